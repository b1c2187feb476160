"""The training step, written out by hand and compiled with TorchScript.

K networks of one shape are trained at once: weights are stacked as (K, out, in), biases as (K, out), inputs as
(K, rows, in). Member k never sees another member's numbers, so it follows exactly the path a single network
would. Backward passes call the same ATen kernels that autograd calls (`sigmoid_backward`,
`binary_cross_entropy_backward`, ...), in autograd's order, so a single run (K = 1, plain `mm`) reproduces the
lecture's `loss.backward(); optimizer.step()` loop to the last bit or close to it, without its per-step Python and
autograd overhead. Tests compare every derivative here with autograd's.
"""

from __future__ import annotations

from typing import List, Tuple

import torch
from torch import Tensor

# Activation codes: the `code` of each entry in activations.ACTIVATIONS.
SIGMOID, TANH, RELU, LEAKY_RELU, ELU, GELU, SILU, IDENTITY = range(8)

@torch.jit.script
def activate(z: Tensor, code: int, slope: float) -> Tensor:
    if code == 0:
        return torch.sigmoid(z)
    if code == 1:
        return torch.tanh(z)
    if code == 2:
        return torch.relu(z)
    if code == 3:
        return torch.nn.functional.leaky_relu(z, slope)
    if code == 4:
        return torch.nn.functional.elu(z)
    if code == 5:
        return torch.nn.functional.gelu(z)
    if code == 6:
        return torch.nn.functional.silu(z)
    return z


@torch.jit.script
def activate_backward(grad: Tensor, z: Tensor, a: Tensor, code: int, slope: float) -> Tensor:
    """d(loss)/dz from d(loss)/da, where a = activate(z)."""
    if code == 0:
        return torch.ops.aten.sigmoid_backward(grad, a)
    if code == 1:
        return torch.ops.aten.tanh_backward(grad, a)
    if code == 2:
        return torch.ops.aten.threshold_backward(grad, a, 0.0)
    if code == 3:
        return torch.ops.aten.leaky_relu_backward(grad, z, slope, False)
    if code == 4:
        return torch.ops.aten.elu_backward(grad, 1.0, 1.0, 1.0, False, z)
    if code == 5:
        return torch.ops.aten.gelu_backward(grad, z)
    if code == 6:
        return torch.ops.aten.silu_backward(grad, z)
    return grad


@torch.jit.script
def forward(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, code: int, slope: float
) -> Tuple[List[Tensor], List[Tensor]]:
    """Pre-activations zs[l] and activations hs[l + 1] of every layer; hs[0] is the input, hs[-1] the output."""
    batched = x.shape[0] > 1
    zs: List[Tensor] = []
    hs: List[Tensor] = [x]
    h = x
    last = len(weights) - 1
    for i in range(len(weights)):
        if batched:
            z = torch.baddbmm(biases[i].unsqueeze(1), h, weights[i].transpose(1, 2))
        else:  # exactly nn.Linear's arithmetic
            z = torch.addmm(biases[i][0], h[0], weights[i][0].t()).unsqueeze(0)
        h = torch.sigmoid(z) if i == last else activate(z, code, slope)
        zs.append(z)
        hs.append(h)
    return zs, hs


@torch.jit.script
def backward(
    weights: List[Tensor], zs: List[Tensor], hs: List[Tensor], y: Tensor, code: int, slope: float
) -> Tuple[List[Tensor], List[Tensor]]:
    """Gradients of each member's mean binary cross-entropy (sigmoid output) for every weight and bias."""
    batched = y.shape[0] > 1
    p = hs[-1]
    one = torch.ones((), dtype=p.dtype, device=p.device)
    # BCELoss(mean): grad * (p - y) / max(p (1 - p), eps), then divided by the number of rows.
    # Reduction 2 is "sum": "mean" would divide by every member's rows at once.
    g = torch.ops.aten.binary_cross_entropy_backward(one, p, y, None, 2) / p.shape[1]
    g = torch.ops.aten.sigmoid_backward(g, p)
    grad_w: List[Tensor] = []
    grad_b: List[Tensor] = []
    for i in range(len(weights) - 1, -1, -1):
        a = hs[i]
        if batched:
            grad_w.append(torch.bmm(g.transpose(1, 2), a))
        else:
            grad_w.append(torch.mm(g[0].t(), a[0]).unsqueeze(0))
        grad_b.append(g.sum(1))
        if i > 0:
            if batched:
                g = torch.bmm(g, weights[i])
            else:
                g = torch.mm(g[0], weights[i][0]).unsqueeze(0)
            g = activate_backward(g, zs[i - 1], a, code, slope)
    grad_w.reverse()
    grad_b.reverse()
    return grad_w, grad_b


@torch.jit.script
def train_steps(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, y: Tensor, code: int, slope: float, lr: float, n: int
) -> None:
    """n steps of plain SGD, updating weights and biases in place, with no host synchronisation."""
    for _ in range(n):
        zs, hs = forward(weights, biases, x, code, slope)
        grad_w, grad_b = backward(weights, zs, hs, y, code, slope)
        for i in range(len(weights)):
            weights[i].add_(grad_w[i], alpha=-lr)
            biases[i].add_(grad_b[i], alpha=-lr)
