"""A single run: train one network and hand out progress snapshots."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Callable, Iterator

import torch

from xortui.engine.config import ExperimentConfig
from xortui.engine import divergence
from xortui.engine.devices import describe, resolve_device
from xortui.engine.metrics import inspect, near_ln2, verdict
from xortui.engine.population import Population
from xortui.engine.tasks import get_task

RUNNING, FINISHED, STOPPED, DIVERGED = "running", "finished", "stopped", "diverged"

clock = time.perf_counter  # module-level so tests can make timings deterministic

CHUNK_SECONDS = 0.1  # longest stretch of training between two looks at the stop flag (and two GIL hand-overs)


@dataclass(frozen=True)
class Snapshot:
    """The network at one step. `step` counts updates done: the lecture prints the loss at step s before
    update s, which is this snapshot's loss at step = s."""

    step: int
    steps: int  # steps in the whole run
    loss: float
    outputs: tuple[float, ...]  # the network's output on each truth-table row (softmax: class 1's probability)
    predictions: tuple[int, ...]  # output > 0.5 (softmax: argmax of the class probabilities)
    targets: tuple[int, ...]
    elapsed: float  # seconds since the run started
    steps_per_second: float
    device: str
    state: str = RUNNING  # the last snapshot of a run says how it ended
    logged: bool = True  # at a log step (part of the loss curve) rather than a time tick
    widths: tuple[int, ...] = ()  # hidden layer widths
    dead: tuple[int, ...] = ()  # dead units in each hidden layer (output 0 on every row)
    grad_norms: tuple[float, ...] = ()  # |d loss / d W| of each Linear layer, input side first
    verdict: str = ""  # solved, plateau, not converged (k/n rows right), diverged: see metrics.verdict
    saturated: bool = False  # an output pinned at the wrong end, its loss term at/near BCE's clamp: no progress
    diverged_at: int | None = None  # a diverged run: the first step with a non-finite value or a dead saturation
    probabilities: tuple[tuple[float, float], ...] = ()  # softmax head: (p0, p1) for each row; () for sigmoid

    @property
    def note(self) -> str:
        """What the status line and the CLI summary say about a diverged or saturated run ('' otherwise)."""
        if self.state == DIVERGED:
            at = self.step if self.diverged_at is None else self.diverged_at
            why = "loss or weights non-finite" if not math.isfinite(self.loss) else (
                "outputs pinned at 0/1, loss at BCE's clamp, gradients zero")
            return f"diverged at step {at:,} ({why})"
        if self.saturated:
            return "saturated: an output is pinned at the wrong end (loss at BCE's clamp), not learning"
        return ""

    @property
    def correct(self) -> tuple[bool, ...]:
        return tuple(p == t for p, t in zip(self.predictions, self.targets))

    @property
    def accuracy(self) -> float:
        return sum(self.correct) / len(self.targets)

    def as_dict(self) -> dict:
        record = asdict(self)
        record["accuracy"] = self.accuracy
        return record


def train(
    config: ExperimentConfig,
    should_stop: Callable[[], bool] = lambda: False,
    tick_seconds: float | None = None,
) -> Iterator[Snapshot]:
    """Train `config` and yield a snapshot at every log step (and a fuller one every `tick_seconds`, when given),
    then a final one after the last update whose `state` says how the run ended. `should_stop` is polled between
    chunks of at most CHUNK_SECONDS of training.

    A chunk runs across any number of log steps in one compiled call that records their losses and outputs, and
    is read back once: the training thread holds the GIL about twenty times a second, not at every log step, so
    a dashboard drawing beside it costs it little. The inside-the-network facts (dead units, gradient norms) are
    measured at ticks and at the end; logged snapshots in between carry the latest measurement."""
    config.validate()
    device = resolve_device(config.device)
    device_name = describe(device)
    targets = get_task(config.task).targets
    population = Population(config, [config.seed], device)
    start = clock()
    last_full = start
    near_ln2_since: list[int | None] = [None]  # the step the loss entered the band around ln 2, if it is there
    def measure_inside() -> tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...]]:
        facts = inspect(population)
        dead = tuple(int(n) for n in facts.dead[0].tolist()) if facts.widths else ()
        return facts.widths, dead, tuple(float(g) for g in facts.grad_norms[0].tolist())

    inside = [measure_inside()]  # the latest (widths, dead, grad_norms), as plain Python: read without torch

    softmax = config.head == "softmax"

    def make(step: int, loss: float, outs: list, finite: bool, state: str, logged: bool,
             diverged_at: int | None = None) -> Snapshot:
        """`outs`: each row's output (sigmoid) or [p0, p1] (softmax)."""
        if not near_ln2(loss):
            near_ln2_since[0] = None
        elif near_ln2_since[0] is None:
            near_ln2_since[0] = step
        if softmax:
            probabilities = tuple((float(p0), float(p1)) for p0, p1 in outs)
            outputs = tuple(p1 for _, p1 in probabilities)
            predictions = tuple(int(p1 > p0) for p0, p1 in probabilities)
        else:
            probabilities = ()
            outputs = tuple(outs)
            predictions = tuple(int(o > 0.5) for o in outputs)
        elapsed = clock() - start
        widths, dead, grad_norms = inside[0]
        return Snapshot(
            step=step,
            steps=config.steps,
            loss=loss,
            outputs=outputs,
            predictions=predictions,
            targets=targets,
            elapsed=elapsed,
            steps_per_second=population.step / elapsed if elapsed > 0 else 0.0,
            device=device_name,
            state=DIVERGED if not finite else state,
            logged=logged,
            saturated=finite and not softmax and divergence.saturated(outputs, targets),
            probabilities=probabilities,
            diverged_at=diverged_at if diverged_at is not None else None if finite else step,
            widths=widths,
            dead=dead,
            grad_norms=grad_norms,
            verdict=verdict(
                loss, sum(p == t for p, t in zip(predictions, targets)), len(targets),
                finite=finite and state != DIVERGED,  # the loop's own finding (e.g. pinned outputs) counts too
                step=step, steps=config.steps, near_ln2_since=near_ln2_since[0],
                final=state != RUNNING or step >= config.steps,
            ),
        )

    def snapshot(state: str, logged: bool, diverged_at: int | None = None) -> Snapshot:
        """A full snapshot of the network as it is now, inside facts measured afresh."""
        ev = population.evaluate()
        inside[0] = measure_inside()
        outs = (ev.probabilities if softmax else ev.outputs)[0].tolist()
        return make(population.step, float(ev.loss[0]), outs, bool(ev.finite[0]), state, logged, diverged_at)

    chunk = 1  # grows to about CHUNK_SECONDS of steps
    healthy = divergence.save(population)  # the last chunk start with finite, unsaturated values
    now_healthy = True
    first_trouble: int | None = None  # the first chunk end seen saturated, in the current stretch
    while population.step < config.steps:
        if should_stop():
            yield snapshot(STOPPED, logged=False)
            return
        n = min(config.steps - population.step, chunk)
        began = clock()
        before = divergence.save(population)
        if now_healthy:
            healthy = before
        log_steps, losses, outputs = population.train(n, config.log_every)
        # One look per chunk (one host sync, which also makes the chunk's length measure real work on CUDA).
        trouble = divergence.trouble(population, targets)
        took = clock() - began
        logged = list(zip(log_steps, losses[:, 0].tolist(), outputs[:, 0].tolist()))
        if trouble is None:
            first_trouble = None
        elif first_trouble is None:
            first_trouble = population.step
        if trouble == divergence.NONFINITE or (
            trouble == divergence.SATURATED and divergence.unchanged(population, before)
        ):
            at = divergence.first_bad_step(population, healthy, targets, first_trouble or population.step,
                                           should_stop)
            for step, loss, outs in logged:
                if step < at:
                    yield make(step, loss, outs, math.isfinite(loss), RUNNING, logged=True)
            final = snapshot(DIVERGED, logged=False, diverged_at=at)
            if math.isfinite(final.loss) or at % config.log_every == 0:
                final = replace(final, logged=True)  # the jump to the clamp belongs on the curve
            yield final
            return
        now_healthy = trouble is None
        for step, loss, outs in logged:
            yield make(step, loss, outs, True, RUNNING, logged=True)
        if tick_seconds is not None and clock() - last_full >= tick_seconds and population.step < config.steps:
            yield snapshot(RUNNING, logged=False)
            last_full = clock()
        chunk = max(1, min(chunk * 2, int(n * CHUNK_SECONDS / took) if took > 0 else chunk * 2))
    yield snapshot(FINISHED, logged=False)
