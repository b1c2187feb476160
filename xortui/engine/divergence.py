"""When a run has gone wrong for good, and the exact step it happened.

Two ways a run dies:

* non-finite: a weight, an output or the loss is NaN or infinite;
* saturated for good: an output is pinned at the wrong end (0 for a 1 row, 1 for a 0 row; its term of the loss
  at or near BCE's clamp of 100, where log is clamped at -100) and the weights no longer change at all. A sigmoid
  output at exactly 0 or 1 passes back a gradient of exactly 0, so SGD can never move it again. This is what a
  learning rate of 100 or 10^6 does to these networks: the loss jumps to ~50 and stays there, finite.
  (The softmax head has no such dead end: cross-entropy's gradient p - y is not 0 at a wrong pinned output.)

The training loop looks once per chunk (one host sync per chunk, none per step). When a chunk ends in a dead
state, it replays from the last healthy checkpoint one step at a time to find the first bad step.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import torch
from torch import Tensor

from xortui.engine import kernel

SATURATED_TERM = -math.log(1e-6)  # a row's loss term above this: its output is within 1e-6 of the wrong end
REPLAY_SECONDS = 0.3  # longest search for the exact step; past it the step is known to a chunk

NONFINITE, SATURATED = "non-finite", "saturated"

Checkpoint = tuple[int, list[Tensor]]  # the step, and a copy of population.tensors()


def row_terms(outputs: Sequence[float], targets: Sequence[int]) -> list[float]:
    """Each row's binary cross-entropy term, with BCE's clamp (log >= -100)."""
    terms = []
    for p, t in zip(outputs, targets):
        q = p if t else 1.0 - p
        terms.append(100.0 if not q > 0 else min(100.0, -math.log(q)) if q == q else math.nan)
    return terms


def saturated(outputs: Sequence[float], targets: Sequence[int]) -> bool:
    """Some row's output is pinned at the wrong end: 0 or 1 to within 1e-6, its loss term at or near the clamp."""
    return any(term >= SATURATED_TERM for term in row_terms(outputs, targets) if term == term)


def trouble(population, targets: Sequence[int]) -> str | None:
    """NONFINITE, SATURATED or None for member 0, from one evaluation."""
    ev = population.evaluate()
    if not bool(ev.finite[0]) or not math.isfinite(float(ev.loss[0])):
        return NONFINITE
    if ev.probabilities is None and saturated(ev.outputs[0].tolist(), targets):  # sigmoid head only: see above
        return SATURATED
    return None


def save(population) -> Checkpoint:
    """The step and a copy of everything training changes: weights, biases, PReLU slopes, optimizer buffers."""
    return population.step, kernel.clone_all(population.tensors())


def restore(population, checkpoint: Checkpoint) -> None:
    """In place (copy_), so views of the weights taken elsewhere stay valid."""
    step, saved = checkpoint
    with torch.no_grad():
        for live, copy in zip(population.tensors(), saved):
            live.copy_(copy)
    population.step = step


def unchanged(population, checkpoint: Checkpoint) -> bool:
    """No parameter differs from the checkpoint's (bit for bit)."""
    _, saved = checkpoint
    return all(torch.equal(a, b) for a, b in zip(population.parameters(), saved))


def first_bad_step(
    population,
    healthy: Checkpoint,
    targets: Sequence[int],
    fallback: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """The first step after `healthy` at which the run is non-finite or saturated, found by replaying one step
    at a time; the population is left at that step. When the replay takes longer than REPLAY_SECONDS (a long
    saturated-but-moving stretch) or a stop is asked for, the population goes back to where it was and
    `fallback` (the first chunk end seen in trouble) is returned."""
    end = save(population)
    restore(population, healthy)
    deadline = time.monotonic() + REPLAY_SECONDS
    while population.step < end[0]:
        population.train(1)
        if trouble(population, targets) is not None:
            return population.step
        if time.monotonic() > deadline or should_stop():
            break
    restore(population, end)
    return fallback
