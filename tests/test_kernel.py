"""The hand-derived kernel against autograd: every activation's value and derivative, the sigmoid + BCE head, and
whole-network gradients for one network (mm) and a stack (bmm)."""

import pytest
import torch
import torch.nn.functional as F

from xortui.engine import kernel
from xortui.engine.activations import ACTIVATIONS

SLOPE = 0.01

# What each code must compute, written independently of kernel.activate.
REFERENCE = {
    kernel.SIGMOID: torch.sigmoid,
    kernel.TANH: torch.tanh,
    kernel.RELU: torch.relu,
    kernel.LEAKY_RELU: lambda z: F.leaky_relu(z, SLOPE),
    kernel.ELU: F.elu,
    kernel.GELU: F.gelu,
    kernel.SILU: F.silu,
    kernel.IDENTITY: lambda z: z,
    kernel.PRELU: lambda z: F.prelu(z, torch.tensor([SLOPE])),  # at a fixed slope; learned: test_heads_optimizers
}

# A grid with exact 0 (where ReLU-like derivatives are decided by convention) and both tails.
GRID = torch.cat([torch.linspace(-6, 6, 121), torch.tensor([0.0, -0.0, 1e-7, -1e-7, 30.0, -30.0])])


def test_every_registered_activation_has_a_reference():
    assert sorted(a.code for a in ACTIVATIONS.values()) == sorted(REFERENCE)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_value_and_derivative_match_autograd(name):
    code = ACTIVATIONS[name].code
    z = GRID.clone().requires_grad_(True)
    expected = REFERENCE[code](z)
    upstream = torch.linspace(-2, 2, len(GRID))  # a non-constant incoming gradient
    (expected_grad,) = torch.autograd.grad(expected, z, upstream)
    with torch.no_grad():
        a = kernel.activate(z.detach(), code, SLOPE)
        grad = kernel.activate_backward(upstream, z.detach(), a, code, SLOPE)
    torch.testing.assert_close(a, expected.detach(), rtol=0, atol=0)
    torch.testing.assert_close(grad, expected_grad, rtol=1e-6, atol=1e-7)


def test_sigmoid_bce_head_matches_autograd():
    z = torch.linspace(-8, 8, 12).reshape(1, 12, 1).requires_grad_(True)
    y = (torch.arange(12) % 2).float().reshape(1, 12, 1)
    (expected,) = torch.autograd.grad(F.binary_cross_entropy(torch.sigmoid(z), y), z)
    p = torch.sigmoid(z.detach())
    g = torch.ops.aten.binary_cross_entropy_backward(torch.ones(()), p, y, None, 2) / p.shape[1]
    torch.testing.assert_close(torch.ops.aten.sigmoid_backward(g, p), expected, rtol=1e-6, atol=1e-8)


def _stack(layers, seeds):
    gen = torch.Generator().manual_seed(sum(seeds) + len(layers))
    weights = [torch.randn(len(seeds), o, i, generator=gen) for i, o in zip(layers[:-1], layers[1:])]
    biases = [torch.randn(len(seeds), o, generator=gen) for o in layers[1:]]
    return weights, biases


XOR_X = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]])
XOR_Y = torch.tensor([[0.0], [1], [1], [0]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("k", [1, 3])
def test_network_gradients_match_autograd(name, k):
    code = ACTIVATIONS[name].code
    weights, biases = _stack((2, 5, 3, 1), list(range(k)))
    x, y = XOR_X.expand(k, -1, -1).contiguous(), XOR_Y.expand(k, -1, -1).contiguous()
    params = [t.clone().requires_grad_(True) for t in weights + biases]
    ws, bs = params[:3], params[3:]
    h = x
    for i, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w.transpose(1, 2) + b[:, None, :]
        h = torch.sigmoid(h) if i == 2 else REFERENCE[code](h)
    # Each member's mean loss, summed: members are independent, so this is each member's own gradient.
    loss = sum(F.binary_cross_entropy(h[j], y[j]) for j in range(k))
    expected = torch.autograd.grad(loss, params)
    zs, hs = kernel.forward(weights, biases, x, code, SLOPE)
    grad_w, grad_b = kernel.backward(weights, zs, hs, y, code, SLOPE)
    for got, want in zip(grad_w + grad_b, expected):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k", [1, 3])
def test_train_steps_is_forward_backward_and_sgd(k):
    """The fused training loop (a separate code path for K = 1) takes exactly the steps forward/backward give."""
    weights, biases = _stack((2, 4, 1), list(range(k)))
    x, y = XOR_X.expand(k, -1, -1).contiguous(), XOR_Y.expand(k, -1, -1).contiguous()
    ref_w, ref_b = [w.clone() for w in weights], [b.clone() for b in biases]
    for _ in range(5):
        zs, hs = kernel.forward(ref_w, ref_b, x, kernel.TANH, SLOPE)
        grad_w, grad_b = kernel.backward(ref_w, zs, hs, y, kernel.TANH, SLOPE)
        for p, g in zip(ref_w + ref_b, grad_w + grad_b):
            p.sub_(0.5 * g)
    kernel.train_steps(weights, biases, x, y, kernel.TANH, SLOPE, 0.5, 5)
    # K = 1 runs the very ops of forward/backward. K > 1 sums bias gradients with a bmm instead of `sum`: the same
    # bits on this machine's kernels, but another CPU's `sum` may add the rows in another order.
    tol = 0 if k == 1 else 1e-6
    for got, want in zip(weights + biases, ref_w + ref_b):
        torch.testing.assert_close(got, want, rtol=tol, atol=tol)
        assert not got.is_inference()  # still usable outside inference_mode


def test_logging_inside_the_loop_matches_evaluation_at_each_log_step():
    """train_steps(log_every=...) records the loss and outputs of each log step's forward pass; they are the
    same bits as stopping there and evaluating, for one network and for a population."""
    import torch

    from xortui.engine.population import Population
    from xortui.engine.presets import PRESETS

    config = PRESETS["xor-nn"].config
    for seeds in ([777], [777, 1, 2]):
        stepped = Population(config, seeds, torch.device("cpu"))
        expected = {}
        while stepped.step <= 700:
            if stepped.step % 100 == 0:
                ev = stepped.evaluate()
                expected[stepped.step] = (ev.loss.tolist(), ev.outputs.tolist())
            stepped.train(1)
        logged = Population(config, seeds, torch.device("cpu"))
        got = {}
        for n in (150, 333, 218):  # chunks that start and end between log steps
            steps, losses, outputs = logged.train(n, log_every=100)
            for i, step in enumerate(steps):
                got[step] = (losses[i].tolist(), outputs[i].tolist())
        assert sorted(got) == [0, 100, 200, 300, 400, 500, 600, 700]
        assert got == expected
