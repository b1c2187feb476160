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

from typing import List, Optional, Tuple

import torch
from torch import Tensor

# TorchScript's optimising executor specialises each compiled loop to the shapes it has seen; in a process that
# trains networks of many shapes (a test run, a sweep over layer lists) it fell into re-specialising on every
# call: parity-5 after a few deep presets took 57 s instead of 0.3 s (measured). Unoptimised graphs cost 5-15 %
# on the lecture's presets and have no such cliff.
torch._C._set_graph_executor_optimize(False)

# Activation codes: the `code` of each entry in activations.ACTIVATIONS.
SIGMOID, TANH, RELU, LEAKY_RELU, ELU, GELU, SILU, IDENTITY, PRELU = range(9)
# Head and optimizer codes: the `code` of each entry in config.HEADS and config.OPTIMIZERS.
HEAD_SIGMOID, HEAD_SOFTMAX = 0, 1
SGD, MOMENTUM, ADAM = 0, 1, 2

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
    if code == 8:  # PReLU at a fixed slope (its learned slopes go through `prelu`): for plots
        return torch.nn.functional.leaky_relu(z, slope)
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
    if code == 8:
        return torch.ops.aten.leaky_relu_backward(grad, z, slope, False)
    return grad


@torch.jit.script
def prelu(z: Tensor, a: Tensor) -> Tensor:
    """PReLU with a learned slope: a is (K, 1, 1), one slope per member shared by the layer's units (nn.PReLU()'s
    default), z is (K, rows, width). The kernel F.prelu calls."""
    return torch.ops.aten._prelu_kernel(z, a)


@torch.jit.script
def prelu_backward(grad: Tensor, z: Tensor, a: Tensor) -> Tuple[Tensor, Tensor]:
    """d(loss)/dz and d(loss)/da (K, 1, 1) from d(loss)/d prelu(z, a): the kernel autograd calls, then the sum over
    rows and units that autograd's broadcast of the shared slope does."""
    grad_z, grad_a = torch.ops.aten._prelu_kernel_backward(grad, z, a)
    return grad_z, grad_a.sum((1, 2), keepdim=True)


@torch.jit.script
def log_softmax(z: Tensor) -> Tensor:
    """log softmax over the last dimension, as z - max - log(sum(exp(z - max))): torch.log_softmax's own kernel
    hands even a (1, 4, 2) tensor to the thread pool, which on a busy machine costs milliseconds a step."""
    shifted = z - z.amax(-1, keepdim=True)
    return shifted - shifted.exp().sum(-1, keepdim=True).log()


@torch.jit.script
def forward(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, code: int, slope: float, head: int = 0,
    slopes: Optional[List[Tensor]] = None,
) -> Tuple[List[Tensor], List[Tensor]]:
    """Pre-activations zs[l] and activations hs[l + 1] of every layer; hs[0] is the input, hs[-1] the output:
    the sigmoid head's probabilities (K, rows, 1), or the softmax head's log-probabilities (K, rows, 2).
    With PReLU (code PRELU), `slopes` holds each hidden layer's (K, 1, 1) slope."""
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
        if i == last:
            h = torch.sigmoid(z) if head == 0 else log_softmax(z)
        elif code == 8 and slopes is not None:
            h = prelu(z, slopes[i])
        else:
            h = activate(z, code, slope)
        zs.append(z)
        hs.append(h)
    return zs, hs


@torch.jit.script
def gradients(
    weights: List[Tensor], zs: List[Tensor], hs: List[Tensor], y: Tensor, code: int, slope: float, head: int = 0,
    slopes: Optional[List[Tensor]] = None,
) -> Tuple[List[Tensor], List[Tensor], List[Tensor]]:
    """Gradients of each member's mean loss (the head's: binary cross-entropy of the sigmoid output, or
    cross-entropy of the softmax, y one-hot (K, rows, 2)) for every weight, bias and PReLU slope."""
    batched = y.shape[0] > 1
    p = hs[-1]
    if head == 0:
        one = torch.ones((), dtype=p.dtype, device=p.device)
        # BCELoss(mean): grad * (p - y) / max(p (1 - p), eps), then divided by the number of rows.
        # Reduction 2 is "sum": "mean" would divide by every member's rows at once.
        g = torch.ops.aten.binary_cross_entropy_backward(one, p, y, None, 2) / p.shape[1]
        g = torch.ops.aten.sigmoid_backward(g, p)
    else:
        # cross_entropy(mean) = nll_loss(log_softmax): nll's gradient is -1/rows at each row's class; through
        # log_softmax's backward, g - exp(log p) * sum(g), that is (p - y) / rows.
        g = (p.exp() - y) / p.shape[1]
    grad_w: List[Tensor] = []
    grad_b: List[Tensor] = []
    grad_s: List[Tensor] = []
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
            if code == 8 and slopes is not None:
                g, grad_a = prelu_backward(g, zs[i - 1], slopes[i - 1])
                grad_s.append(grad_a)
            else:
                g = activate_backward(g, zs[i - 1], a, code, slope)
    grad_w.reverse()
    grad_b.reverse()
    grad_s.reverse()
    return grad_w, grad_b, grad_s


@torch.jit.script
def backward(
    weights: List[Tensor], zs: List[Tensor], hs: List[Tensor], y: Tensor, code: int, slope: float, head: int = 0,
    slopes: Optional[List[Tensor]] = None,
) -> Tuple[List[Tensor], List[Tensor]]:
    """Gradients of each member's mean loss for every weight and bias (`gradients` without the slopes')."""
    grad_w, grad_b, _ = gradients(weights, zs, hs, y, code, slope, head, slopes)
    return grad_w, grad_b


@torch.jit.script
def member_losses(p: Tensor, y: Tensor, head: int = 0) -> Tensor:
    """Each member's mean loss, (K, rows, outputs) -> (K,). The sigmoid head: binary cross-entropy, sum / rows,
    which is what BCELoss's mean computes (so K = 1 gives the lecture's digits); a member with a non-finite output
    gets NaN rather than BCE's error about inputs outside [0, 1]. The softmax head: p holds log-probabilities and
    y is one-hot, and the loss is cross-entropy's mean, -sum(log p[class]) / rows."""
    finite = torch.isfinite(p).flatten(1).all(1)
    if head == 1:
        loss = -(p * y).sum((1, 2)) / p.shape[1]
        return torch.where(finite, loss, torch.full_like(loss, float("nan")))
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


@torch.jit.script
def optimizer_step(
    params: List[Tensor], grads: List[Tensor], state: List[Tensor], opt: int, lr: float, h1: float, h2: float,
    h3: float, step: int,
) -> None:
    """One update of every parameter in place, as torch.optim computes it (single-tensor and foreach give the same
    arithmetic); `step` counts the updates done before this one.

    SGD: p -= lr * g. MOMENTUM (m = h1; dampening 0, no Nesterov): buf = g at the first step, else
    buf = buf * m + g; p -= lr * buf; state holds one buf per parameter. ADAM (beta1, beta2, eps = h1, h2, h3; no
    weight decay, no amsgrad): m.lerp_(g, 1 - beta1); v = v * beta2 + (1 - beta2) g^2; with t = step + 1,
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps), the bias corrections in double precision
    as torch's Python floats are; state holds m and v per parameter."""
    if opt == 0:
        for i in range(len(params)):
            params[i].add_(grads[i], alpha=-lr)
    elif opt == 1:
        for i in range(len(params)):
            buf = state[i]
            if step == 0:
                buf.copy_(grads[i])
            else:
                buf.mul_(h1).add_(grads[i])
            params[i].add_(buf, alpha=-lr)
    else:
        t = float(step + 1)
        bias_correction1 = 1.0 - h1**t
        bias_correction2 = 1.0 - h2**t
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        for i in range(len(params)):
            m = state[2 * i]
            v = state[2 * i + 1]
            g = grads[i]
            m.lerp_(g, 1.0 - h1)
            v.mul_(h2).addcmul_(g, g, value=1.0 - h2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(h3)
            params[i].addcdiv_(m, denom, value=-step_size)


@torch.jit.script
def evaluate(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, y: Tensor, code: int, slope: float, head: int,
    slopes: List[Tensor],
) -> Tuple[Tensor, Tensor, Tensor]:
    """Each member's loss (K,) (NaN where an output or a parameter is non-finite), the head's output (K, rows, 1)
    (or log-probabilities (K, rows, 2)) and finite (K,) bool, in one compiled call: called from Python op by op,
    each of its ~20 small operations would give up the GIL and wait to get it back from a busy dashboard."""
    _, hs = forward(weights, biases, x, code, slope, head, slopes)
    p = hs[-1]
    finite = torch.isfinite(p).flatten(1).all(1)
    for i in range(len(weights)):
        finite = finite & torch.isfinite(weights[i]).flatten(1).all(1) & torch.isfinite(biases[i]).all(1)
    for a in slopes:
        finite = finite & torch.isfinite(a).flatten(1).all(1)
    loss = member_losses(p, y, head)
    loss = torch.where(finite, loss, torch.full_like(loss, float("nan")))  # non-finite weights count too
    return loss, p, finite


@torch.jit.script
def dead_units(hidden: List[Tensor], threshold: float) -> Tensor:
    """(K, layers) counts of units whose output is within `threshold` of 0 on every row, from each hidden
    layer's activations (K, rows, width); at least one layer."""
    return torch.stack([(h.abs() <= threshold).all(1).sum(1) for h in hidden], 1)


@torch.jit.script
def inside(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, y: Tensor, code: int, slope: float, head: int,
    slopes: List[Tensor], threshold: float,
) -> Tuple[Tensor, Tensor]:
    """Dead units per hidden layer (K, hidden layers), units whose output is within `threshold` of 0 on every
    row, and the L2 norm of d loss / d W of every Linear (K, layers), from one forward and one backward pass (the
    training arithmetic; nothing is updated), in one compiled call."""
    zs, hs = forward(weights, biases, x, code, slope, head, slopes)
    grad_w, _, _ = gradients(weights, zs, hs, y, code, slope, head, slopes)
    norms = [torch.linalg.vector_norm(g.flatten(1), 2.0, [1]) for g in grad_w]
    if len(hs) > 2:
        dead = dead_units(hs[1:-1], threshold)
    else:  # no hidden layer
        dead = torch.zeros((x.shape[0], 0), dtype=torch.long, device=x.device)
    return dead, torch.stack(norms, 1)


@torch.jit.script
def head_outputs(h: Tensor, head: int) -> Tensor:
    """What a log step records from the head's output: the sigmoid's probability (K, rows), or both class
    probabilities (K, rows, 2) of the softmax."""
    if head == 0:
        return h[:, :, 0]
    return h.exp()


@torch.jit.script
def _train_general(
    weights: List[Tensor],
    biases: List[Tensor],
    slopes: List[Tensor],
    state: List[Tensor],
    x: Tensor,
    y: Tensor,
    code: int,
    slope: float,
    head: int,
    opt: int,
    lr: float,
    h1: float,
    h2: float,
    h3: float,
    n: int,
    first_step: int,
    log_every: int,
    loss_log: Tensor,
    output_log: Tensor,
) -> None:
    """`forward` + `gradients` + `optimizer_step`, for what the two fused SGD loops do not cover: the softmax head,
    PReLU's learned slopes, momentum and Adam. Parameters in the order weights, biases, slopes."""
    params = weights + biases + slopes
    logged = 0
    for t in range(n):
        zs, hs = forward(weights, biases, x, code, slope, head, slopes)
        h = hs[-1]
        if log_every > 0 and (first_step + t) % log_every == 0:  # before the update, as for SGD
            loss_log[logged] = member_losses(h, y, head)
            output_log[logged] = head_outputs(h, head)
            logged += 1
        grad_w, grad_b, grad_s = gradients(weights, zs, hs, y, code, slope, head, slopes)
        optimizer_step(params, grad_w + grad_b + grad_s, state, opt, lr, h1, h2, h3, first_step + t)


@torch.jit.script
def _chunk(
    weights: List[Tensor], biases: List[Tensor], slopes: List[Tensor], state: List[Tensor], x: Tensor, y: Tensor,
    code: int, slope: float, lr: float, h1: float, h2: float, h3: float, n: int, first_step: int, log_every: int,
    n_logs: int, head: int, opt: int,
) -> Tuple[Tensor, Tensor]:
    """train_steps' work in one compiled call, the log buffers and weight views included: each operation called
    from Python gives up the GIL and, beside a busy dashboard, waits to get it back."""
    k, rows = x.shape[0], x.shape[1]
    loss_log = torch.empty((n_logs, k), dtype=x.dtype, device=x.device)
    if head == 0:
        output_log = torch.empty((n_logs, k, rows), dtype=x.dtype, device=x.device)
    else:
        output_log = torch.empty((n_logs, k, rows, y.shape[2]), dtype=x.dtype, device=x.device)
    if head != 0 or opt != 0 or len(slopes) > 0:
        _train_general(
            weights, biases, slopes, state, x, y, code, slope, head, opt, lr, h1, h2, h3, n, first_step, log_every,
            loss_log, output_log,
        )
    elif k == 1:
        # Views share storage, so the in-place updates reach `weights` and `biases`.
        w2 = [w[0] for w in weights]
        _train_single(
            w2, [w.t() for w in w2], [b[0] for b in biases], x[0], y[0],
            torch.ones((), dtype=x.dtype, device=x.device), code, slope, lr, n, first_step, log_every, loss_log,
            output_log,
        )
    else:
        inv_rows = torch.full((), 1.0 / rows, dtype=x.dtype, device=x.device)
        ones_row = torch.ones((k, 1, rows), dtype=x.dtype, device=x.device)
        _train_batched(
            weights, biases, x, y, inv_rows, ones_row, code, slope, lr, n, first_step, log_every, loss_log, output_log
        )
    return loss_log, output_log


@torch.jit.script
def clone_all(tensors: List[Tensor]) -> List[Tensor]:
    """Copies of every tensor, in one compiled call."""
    return [t.detach().clone() for t in tensors]


def log_steps(first_step: int, n: int, log_every: int) -> range:
    """The log steps among first_step .. first_step + n - 1."""
    start = -(-first_step // log_every) * log_every
    return range(start, first_step + n, log_every)


StepLog = Tuple[range, Tensor, Tensor]  # log steps, losses (m, K), outputs (m, K, rows)


def train_steps(
    weights: List[Tensor], biases: List[Tensor], x: Tensor, y: Tensor, code: int, slope: float, lr: float, n: int,
    first_step: int = 0, log_every: int = 0, head: int = HEAD_SIGMOID, opt: int = SGD,
    hyper: Tuple[float, float, float] = (0.0, 0.0, 0.0), slopes: Optional[List[Tensor]] = None,
    state: Optional[List[Tensor]] = None,
) -> StepLog:
    """n steps of training, updating weights and biases (and PReLU slopes, and the optimizer's state) in place,
    with no host synchronisation. Plain SGD with the sigmoid head runs the fused loops; anything else (the softmax
    head, learned PReLU slopes, momentum or Adam with `hyper` = its settings and `state` = its buffers)
    runs `_train_general`. Outputs are (m, K, rows), or (m, K, rows, 2) with the softmax head.

    With `log_every`, the steps first_step .. first_step + n - 1 that are multiples of it record each member's
    loss and outputs from that step's forward pass (before its update, as the lecture prints them): returned as
    (those steps, losses (m, K), outputs (m, K, rows)), still on the device. So a run can go on across many log
    steps in one call and read them back once.

    Runs under inference_mode: no tensor here needs autograd, and skipping its dispatch layer saves about a
    sixth of a small network's step."""
    steps = log_steps(first_step, n, log_every) if log_every > 0 else range(0)
    with torch.inference_mode():
        loss_log, output_log = _chunk(
            weights, biases, list(slopes or []), list(state or []), x, y, code, slope, lr, *hyper, n, first_step,
            log_every, len(steps), head, opt,
        )
    return steps, loss_log, output_log
