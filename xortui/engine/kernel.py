"""The training step, written out by hand and compiled with TorchScript.

K networks of one shape are trained at once: weights are stacked as (K, out, in), biases as (K, out), inputs as
(K, rows, in). Member k never sees another member's numbers. Backward passes call the same ATen kernels that
autograd calls (`sigmoid_backward`, `binary_cross_entropy_backward`, ...), in autograd's order, so a single run
(K = 1: plain `mm`/`addmm`, as nn.Linear does) reproduces the lecture's `loss.backward(); optimizer.step()` loop to
the last bit, without its per-step Python and autograd overhead. K > 1 uses `bmm`, whose small-matrix kernel
rounds a little differently from `mm`: a population member follows its single run up to those last bits.

`forward` and `backward` are the reference; `train_steps` runs one of two fused loops (`_train_single` for K = 1,
`_train_batched` otherwise) that do the same arithmetic with fewer tensor operations per step, because at these
sizes each operation's overhead costs more than its arithmetic. Tests compare every derivative here with
autograd's and the fused loops with `forward` + `backward`.
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
def member_losses(p: Tensor, y: Tensor) -> Tensor:
    """Each member's mean binary cross-entropy, (K, rows, 1) -> (K,): sum / rows, which is what BCELoss's mean
    computes (so K = 1 gives the lecture's digits). A member with a non-finite output gets NaN rather than BCE's
    error about inputs outside [0, 1]."""
    finite = torch.isfinite(p).flatten(1).all(1)
    safe = torch.where(torch.isfinite(p), p, torch.full_like(p, 0.5))
    loss = torch.nn.functional.binary_cross_entropy(safe, y, reduction="none").sum((1, 2)) / p.shape[1]
    return torch.where(finite, loss, torch.full_like(loss, float("nan")))


@torch.jit.script
def _train_batched(
    weights: List[Tensor],
    biases: List[Tensor],
    x: Tensor,
    y: Tensor,
    inv_rows: Tensor,
    ones_row: Tensor,
    code: int,
    slope: float,
    lr: float,
    n: int,
    first_step: int,
    log_every: int,
    loss_log: Tensor,
    output_log: Tensor,
) -> None:
    """`forward` + `backward` + SGD for K > 1 networks, with three changes that each save a tenth or more of a
    step: views made once per call; the head's 1/rows given as BCE's incoming gradient instead of a division
    afterwards (a truth table's rows are a power of two, so the scaling is exact in either place); bias gradients
    as ones_row (K, 1, rows) @ g, one bmm instead of a slower `sum` over the middle dimension (the same bits as
    `sum` on the lecture's sizes, measured)."""
    last = len(weights) - 1
    biases_3d = [b.unsqueeze(1) for b in biases]
    weights_t = [w.transpose(1, 2) for w in weights]
    logged = 0
    for t in range(n):
        zs: List[Tensor] = []
        hs: List[Tensor] = [x]
        h = x
        for i in range(last + 1):
            z = torch.baddbmm(biases_3d[i], h, weights_t[i])
            h = torch.sigmoid(z) if i == last else activate(z, code, slope)
            zs.append(z)
            hs.append(h)
        if log_every > 0 and (first_step + t) % log_every == 0:  # the loss the lecture prints: before the update
            loss_log[logged] = member_losses(h, y)
            output_log[logged] = h[:, :, 0]
            logged += 1
        g = torch.ops.aten.binary_cross_entropy_backward(inv_rows, h, y, None, 0)
        g = torch.ops.aten.sigmoid_backward(g, h)
        for i in range(last, -1, -1):
            a = hs[i]
            grad_w = torch.bmm(g.transpose(1, 2), a)
            grad_b = torch.bmm(ones_row, g).squeeze(1)
            if i > 0:  # before the update: the gradient flows through the weights this step used
                g = torch.bmm(g, weights[i])
                g = activate_backward(g, zs[i - 1], a, code, slope)
            weights[i].add_(grad_w, alpha=-lr)
            biases[i].add_(grad_b, alpha=-lr)


@torch.jit.script
def _train_single(
    weights: List[Tensor],
    weights_t: List[Tensor],
    biases: List[Tensor],
    x: Tensor,
    y: Tensor,
    one: Tensor,
    code: int,
    slope: float,
    lr: float,
    n: int,
    first_step: int,
    log_every: int,
    loss_log: Tensor,
    output_log: Tensor,
) -> None:
    """`forward` + `backward` + SGD for one network, on 2-d views (weights (out, in), their transposes, biases
    (out,), x (rows, in), y (rows, 1)) made once per call rather than by index/unsqueeze at every step: at these
    sizes each tensor op costs about as much as the arithmetic, so the step is written with as few as possible.
    The ops and their order are `forward`'s and `backward`'s K = 1 branch; BCE's "mean" reduction divides by
    rows * 1 outputs, as autograd's does."""
    last = len(weights) - 1
    logged = 0
    y3 = y.unsqueeze(0)
    for t in range(n):
        zs: List[Tensor] = []
        hs: List[Tensor] = [x]
        h = x
        for i in range(last + 1):
            z = torch.addmm(biases[i], h, weights_t[i])
            h = torch.sigmoid(z) if i == last else activate(z, code, slope)
            zs.append(z)
            hs.append(h)
        if log_every > 0 and (first_step + t) % log_every == 0:  # the loss the lecture prints: before the update
            loss_log[logged] = member_losses(h.unsqueeze(0), y3)
            output_log[logged] = h[:, 0].unsqueeze(0)
            logged += 1
        g = torch.ops.aten.binary_cross_entropy_backward(one, h, y, None, 1)
        g = torch.ops.aten.sigmoid_backward(g, h)
        for i in range(last, -1, -1):
            a = hs[i]
            grad_w = torch.mm(g.t(), a)
            grad_b = g.sum(0)
            if i > 0:  # before the update: the gradient flows through the weights this step used
                g = torch.mm(g, weights[i])
                g = activate_backward(g, zs[i - 1], a, code, slope)
            weights[i].add_(grad_w, alpha=-lr)
            biases[i].add_(grad_b, alpha=-lr)


def log_steps(first_step: int, n: int, log_every: int) -> range:
    """The log steps among first_step .. first_step + n - 1."""
    start = -(-first_step // log_every) * log_every
    return range(start, first_step + n, log_every)


StepLog = Tuple[range, Tensor, Tensor]  # log steps, losses (m, K), outputs (m, K, rows)


def train_steps(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, y: Tensor, code: int, slope: float, lr: float, n: int,
    first_step: int = 0, log_every: int = 0,
) -> StepLog:
    """n steps of plain SGD, updating weights and biases in place, with no host synchronisation.

    With `log_every`, the steps first_step .. first_step + n - 1 that are multiples of it record each member's
    loss and outputs from that step's forward pass (before its update, as the lecture prints them): returned as
    (those steps, losses (m, K), outputs (m, K, rows)), still on the device. So a run can go on across many log
    steps in one call and read them back once.

    Runs under inference_mode: no tensor here needs autograd, and skipping its dispatch layer saves about a
    sixth of a small network's step."""
    steps = log_steps(first_step, n, log_every) if log_every > 0 else range(0)
    k, rows = x.shape[0], x.shape[1]
    with torch.inference_mode():
        loss_log = torch.empty((len(steps), k), dtype=x.dtype, device=x.device)
        output_log = torch.empty((len(steps), k, rows), dtype=x.dtype, device=x.device)
        if k == 1:
            # Views made outside the loop share storage, so the in-place updates reach `weights` and `biases`.
            w2 = [w[0] for w in weights]
            _train_single(
                w2, [w.t() for w in w2], [b[0] for b in biases], x[0], y[0],
                torch.ones((), dtype=x.dtype, device=x.device), code, slope, lr, n,
                first_step, log_every, loss_log, output_log,
            )
        else:
            inv_rows = torch.full((), 1.0 / rows, dtype=x.dtype, device=x.device)
            ones_row = torch.ones((k, 1, rows), dtype=x.dtype, device=x.device)
            _train_batched(
                weights, biases, x, y, inv_rows, ones_row, code, slope, lr, n, first_step, log_every, loss_log, output_log
            )
    return steps, loss_log, output_log
