"""Inside the network: dead units per hidden layer, gradient norm per layer, and a verdict on the run.

Computed at log points and display ticks only, never in the training loop. Torch only, no UI library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from xortui.engine import kernel


if TYPE_CHECKING:
    from xortui.engine.population import Population

LN2 = math.log(2)
DEAD_THRESHOLD = 1e-6  # a unit is dead when |output| <= this on every row of the task
SOLVED_LOSS = 0.05  # solved: every row right and the loss below this
DIVERGED_LOSS = 10.0  # diverged: the loss blew up past this (BCE clamps log at -100, so it can stay finite)
PLATEAU_BAND = 0.01  # plateau: the loss within 1 % of ln 2 ...
PLATEAU_MIN_STEPS = 3000  # ... for at least this many steps ...
PLATEAU_MIN_FRACTION = 0.3  # ... and for at least this share of the run's steps

SOLVED, PLATEAU, DIVERGED = "solved", "plateau", "diverged"


@dataclass(frozen=True)
class Inside:
    """Every member's inner state at one step, on the host."""

    widths: tuple[int, ...]  # hidden layer widths
    dead: Tensor  # (K, hidden layers) int: dead units per hidden layer
    grad_norms: Tensor  # (K, linear layers): L2 norm of d loss / d W for each Linear, input side first


@torch.no_grad()
def inspect(population: "Population") -> Inside:
    """Dead units and gradient norms of every member, from one forward and one backward pass of the kernel
    (the same arithmetic as training; nothing is updated)."""
    p = population
    dead, norms = kernel.inside(p.weights, p.biases, p.x, p.y, p.activation_code, p.slope, p.head, p.slopes,
                                DEAD_THRESHOLD)
    return Inside(widths=tuple(int(w.shape[1]) for w in p.weights[:-1]), dead=dead.cpu(), grad_norms=norms.cpu())


def near_ln2(loss: float) -> bool:
    return math.isfinite(loss) and abs(loss - LN2) <= PLATEAU_BAND * LN2


def plateau_grace(steps: int) -> int:
    """How long the loss must sit near ln 2 before it is called a plateau. The lecture's 2-2-1 network sits
    there for ~2,000 of its 10,001 steps on its way to solving XOR, and must not be called stuck."""
    return max(PLATEAU_MIN_STEPS, math.ceil(PLATEAU_MIN_FRACTION * steps))


def verdict(
    loss: float,
    rows_right: int,
    rows: int,
    *,
    finite: bool = True,
    step: int = 0,
    steps: int = 0,
    near_ln2_since: int | None = None,
    final: bool = False,
) -> str:
    """'diverged' (a non-finite loss or weight, or a loss above DIVERGED_LOSS: a learning rate like 1e6 throws
    every output to 0 or 1, often the wrong one, and BCE's clamp keeps that loss finite, ~50), 'solved' (every row right and loss < SOLVED_LOSS), 'plateau'
    (while training: the loss has been within 1 % of ln 2 since step `near_ln2_since`, for at least
    `plateau_grace(steps)` steps) or 'not converged (k/n rows right)'. A finished run is never 'plateau': it
    is solved, diverged or not converged."""
    if not finite or not math.isfinite(loss) or loss > DIVERGED_LOSS:
        return DIVERGED
    if rows_right == rows and loss < SOLVED_LOSS:
        return SOLVED
    if (
        not final
        and near_ln2_since is not None
        and near_ln2(loss)
        and step - near_ln2_since >= plateau_grace(steps)
    ):
        return PLATEAU
    return f"not converged ({rows_right}/{rows} rows right)"
