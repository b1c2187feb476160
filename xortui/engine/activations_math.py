"""Activation functions as numbers: f and f' on a grid (from the kernel's own `activate`, differentiated by
autograd), where each saturates or is dead, and softmax. Used by the activation lab and its tests."""

from __future__ import annotations

import math
from typing import Sequence

from xortui.engine.activations import get_activation

DEFAULT_LEAKY_SLOPE = 0.01  # population.DEFAULT_LEAKY_SLOPE, the slope training uses

SATURATION_FRACTION = 0.1  # f' below this share of its peak counts as saturated


def grid(low: float = -5.0, high: float = 5.0, n: int = 201) -> list[float]:
    """n evenly spaced points from low to high, including both ends (and 0 when the range is symmetric)."""
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def curve(name: str, xs: Sequence[float], slope: float = DEFAULT_LEAKY_SLOPE) -> tuple[list[float], list[float]]:
    """f(x) and f'(x) of the named activation at each x: the kernel's `activate`, the function training uses,
    with its derivative from autograd. (torch is imported here: softmax and parse_vector stay cheap.)"""
    import torch

    from xortui.engine import kernel

    code = get_activation(name).code
    if name == "prelu":  # its slope is learned: shown at its starting value
        from xortui.engine.activations import PRELU_INIT

        slope = PRELU_INIT
    x = torch.tensor(list(xs), dtype=torch.float64, requires_grad=True)
    with torch.enable_grad():
        y = kernel.activate(x, code, slope)
        (dy,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
    if dy is None:  # cannot happen for these activations, but identity's graph is trivial
        dy = torch.ones_like(x)
    return y.detach().tolist(), dy.tolist()


def shape_note(name: str, low: float = -5.0, high: float = 5.0) -> str:
    """One line on where f' peaks, where it is 0 (dead) and where it fades towards 0 (saturated), measured on a
    grid over [low, high]."""
    xs = grid(low, high, 1001)
    step = xs[1] - xs[0]
    _, df = curve(name, xs)
    peak = max(df)
    at_peak = [x for x, d in zip(xs, df) if d >= peak - 1e-9]
    if len(at_peak) == len(xs):
        parts = [f"f' = {peak:.3g} everywhere"]
    elif len(at_peak) > 1 and at_peak[-1] == xs[-1]:
        parts = [f"f' = {peak:.3g} for x > {round(at_peak[0] - step / 2, 1) + 0.0:.2g}"]
    else:
        parts = [f"f' peaks at {peak:.3g} (x = {at_peak[0]:.2g})"]
    zero = [x for x, d in zip(xs, df) if d == 0.0]
    if zero:
        parts.append(f"f' = 0 for x <= {max(zero):.2g}: dead there, no gradient flows back")
    fading = [(x, d) for x, d in zip(xs, df) if abs(d) < SATURATION_FRACTION * peak]
    left = [x for x, d in fading if x < at_peak[0]]
    right = [x for x, d in fading if x > at_peak[-1]]
    # saturation: f' small and still falling towards the end of the range (a constant small slope is not)
    falling_left = bool(left) and abs(df[0]) < 0.5 * abs(df[xs.index(max(left))])
    falling_right = bool(right) and abs(df[-1]) < 0.5 * abs(df[xs.index(min(right))])
    ranges = ([f"x < {max(left):.2g}"] if not zero and falling_left else []) + (
        [f"x > {min(right):.2g}"] if falling_right else [])
    if ranges:
        parts.append(f"saturates for {' and '.join(ranges)} (f' under {SATURATION_FRACTION:.0%} of its peak)")
    if not zero and df[0] == df[1] and 0 < abs(df[0]) < peak:  # Leaky ReLU, PReLU: a straight line below 0
        size = "small constant" if abs(df[0]) < SATURATION_FRACTION * peak else "constant"
        learned = ", its start: training learns it" if name == "prelu" else ""
        parts.append(f"a {size} slope ({df[0]:.2g}{learned}) below 0: units cannot die")
    return "; ".join(parts)


def softmax(values: Sequence[float]) -> list[float]:
    """e^z_i / sum_j e^z_j, shifted by the largest z so it cannot overflow."""
    top = max(values)
    exps = [math.exp(v - top) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def parse_vector(text: str, max_len: int = 12) -> list[float]:
    """'1, 2, 3' or '1 2 3' -> [1.0, 2.0, 3.0]; ValueError with a one-line message fit to show."""
    parts = [p for p in text.replace(",", " ").replace(";", " ").split() if p]
    if not parts:
        raise ValueError("type numbers separated by commas, like 1, 2, 3")
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            shown = part if len(part) <= 12 else part[:9] + "..."
            raise ValueError(f"{shown.encode('unicode_escape').decode('ascii')!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{part!r}: only finite numbers")
        values.append(value)
    if len(values) > max_len:
        raise ValueError(f"at most {max_len} numbers (got {len(values)})")
    return values
