"""Seed sweeps: how often does a configuration solve its task?

A sweep is a grid of configurations (every combination of the values given for `GRID_FIELDS`) times a set of seeds.
Each configuration trains as one Population with one member per seed, so all its seeds run in one batched loop;
member k is the network a single run with seed k trains (up to the last bits of bmm vs mm rounding).

    plan = plan_sweep(base, {"hidden": [(2,), (4,)], "lr": [0.1, 1.0]}, seeds=256)
    estimate(plan)                       # raises SweepTooBig when it would not fit; else memory and time
    for event in run_sweep(plan):        # Progress events, and one ConfigResult per configuration
        ...
    rows([e for e in events if isinstance(e, ConfigResult)])   # list of dicts for CSV / JSON, see COLUMNS

Definitions (also in COLUMNS):
- a member is *solved* at a log point when its outputs are finite, every truth-table row is classified right
  (output > 0.5 exactly for the rows whose target is 1) and its loss is below SOLVED_LOSS (0.05, a mean
  probability of about 0.95 on the right class: right by a margin, not by luck near 0.5);
- the *solved fraction* counts members solved after the last step;
- a member's *solve step* is the first log point (every `log_every` steps, and the last step) at which it was
  solved, for members solved after the last step; its median and spread (quartiles, IQR) are over those members;
- the *dead-unit rate* (activations that can die, such as ReLU) is the share of hidden units, over all members,
  whose output is <= DEAD_OUTPUT on every truth-table row after the last step: they get no gradient, whatever
  the input.
Quantiles interpolate linearly between order statistics (numpy's default), via torch.quantile.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import torch

from xortui.engine.activations import get_activation
from xortui.engine.config import MAX_SEED, OPTIMIZERS, ConfigError, ExperimentConfig, format_layers
from xortui.engine.devices import resolve_device
from xortui.engine.population import Population
from xortui.engine.tasks import get_task

SOLVED_LOSS = 0.05
DEAD_OUTPUT = 1e-6
MEMORY_SHARE = 0.25  # a sweep may use at most this share of the device's memory
PROBE_SEEDS = 4096  # the time estimate trains at most this many seeds and scales up
MAX_SEEDS = 1_000_000
CHUNK_SECONDS = 0.05  # longest stretch of training between two progress checks
PROGRESS_SECONDS = 0.1  # least time between two Progress events (the last of each configuration always comes)

# ExperimentConfig fields a grid may vary, in the order configurations are enumerated (the last varies fastest).
GRID_FIELDS = ("task", "hidden", "activation", "optimizer", "lr")

# The columns of `rows()`, in order, with what each holds. Empty (None) where a value does not exist.
COLUMNS: dict[str, str] = {
    "config": "index of the configuration in the sweep, from 0",
    "task": "truth table learned",
    "layers": "layer sizes, inputs to output, e.g. 2,2,1",
    "activation": "activation after each hidden layer",
    "optimizer": "optimizer",
    "lr": "learning rate",
    "steps": "training steps per member",
    "seeds": "number of seeds (members)",
    "first_seed": "the first seed",
    "solved": "members solved after the last step",
    "solved_fraction": f"solved / seeds; solved = every row right and loss < {SOLVED_LOSS}",
    "solve_step_median": "median first log step at which a finally-solved member was solved",
    "solve_step_p25": "25th percentile of that step",
    "solve_step_p75": "75th percentile of that step",
    "solve_step_iqr": "p75 - p25",
    "loss_p10": "10th percentile of the final loss (finite members)",
    "loss_p50": "median final loss (finite members)",
    "loss_p90": "90th percentile of the final loss (finite members)",
    "diverged_fraction": "share of members whose weights or outputs went non-finite",
    "dead_unit_rate": f"share of hidden units with output <= {DEAD_OUTPUT:g} on every row (ReLU only)",
    "seconds": "wall time to train this configuration",
}


class SweepTooBig(ConfigError):
    """A sweep refused before it starts, with a one-line reason."""

    def __init__(self, message: str) -> None:
        super().__init__("sweep", message)


@dataclass(frozen=True)
class SweepPlan:
    configs: tuple[ExperimentConfig, ...]
    seeds: tuple[int, ...]

    @property
    def total_steps(self) -> int:
        return sum(c.steps for c in self.configs)


def seed_list(seeds: int | Sequence[int]) -> tuple[int, ...]:
    """An int n means seeds 0..n-1; a sequence is taken as given (duplicates refused)."""
    if isinstance(seeds, int):
        if not 1 <= seeds <= MAX_SEEDS:
            raise ConfigError("seeds", f"must be from 1 to {MAX_SEEDS:,} (got {seeds:,})")
        return tuple(range(seeds))
    out = tuple(int(s) for s in seeds)
    if not out:
        raise ConfigError("seeds", "needs at least one seed")
    if len(out) > MAX_SEEDS:
        raise ConfigError("seeds", f"at most {MAX_SEEDS:,} seeds (got {len(out):,})")
    if len(set(out)) != len(out):
        raise ConfigError("seeds", "each seed may appear only once")
    for s in out:
        if not 0 <= s <= MAX_SEED:
            raise ConfigError("seeds", f"seeds must be from 0 to {MAX_SEED} (got {s})")
    return out


def plan_sweep(
    base: ExperimentConfig, grid: Mapping[str, Sequence[Any]] | None = None, seeds: int | Sequence[int] = 1
) -> SweepPlan:
    """Every combination of the grid's values applied to `base`, each validated. Fields not in the grid keep
    base's value; base.seed is ignored (the seeds are the sweep's)."""
    grid = dict(grid or {})
    unknown = sorted(set(grid) - set(GRID_FIELDS))
    if unknown:
        raise ConfigError("grid", f"cannot vary {', '.join(unknown)} (only {', '.join(GRID_FIELDS)})")
    axes = []
    for name in GRID_FIELDS:
        values = list(grid.get(name, [getattr(base, name)]))
        if not values:
            raise ConfigError(name, "the grid needs at least one value")
        if name == "hidden":
            values = [tuple(v) for v in values]
        axes.append([(name, v) for v in dict.fromkeys(values)])  # drop repeats, keep order
    configs = tuple(base.replace(**dict(combo)).validate() for combo in itertools.product(*axes))
    return SweepPlan(configs, seed_list(seeds))


# ---------------------------------------------------------------------------------------------------- estimate


def memory_bytes(config: ExperimentConfig, members: int) -> int:
    """Peak bytes one configuration's population needs, estimated (not measured): float32 parameters three times
    over (the stacked weights, each seed's freshly built layers while they are stacked, the gradients) plus the
    optimizer's buffers (one more copy for momentum, two for Adam), inputs and targets, and three tensors per
    layer per row in flight during a step (pre-activation, activation, gradient)."""
    layers = config.layers
    rows = get_task(config.task).n_rows
    copies = 3 + OPTIMIZERS[config.optimizer].buffers
    per_member = copies * config.n_parameters + rows * (layers[0] + 1) + 3 * rows * sum(layers[1:])
    return 4 * members * per_member


def memory_budget(device: torch.device) -> int:
    """MEMORY_SHARE of the device's memory: RAM for the CPU, the GPU's own memory for CUDA."""
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory * MEMORY_SHARE)
    return int(total_ram() * MEMORY_SHARE)


def total_ram() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    raise RuntimeError("cannot read the size of memory")


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def format_seconds(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


@dataclass(frozen=True)
class Estimate:
    memory_bytes: int  # peak: configurations run one after another
    budget_bytes: int
    seconds: float | None  # None when not probed
    config_seconds: tuple[float, ...] = ()  # per configuration, in plan order

    def describe(self) -> str:
        time_part = f", about {format_seconds(self.seconds)}" if self.seconds is not None else ""
        return f"needs about {format_bytes(self.memory_bytes)} of {format_bytes(self.budget_bytes)}{time_part}"


def estimate(
    plan: SweepPlan,
    probe_steps: int = 20,
    budget_bytes: int | None = None,
    max_seconds: float | None = None,
) -> Estimate:
    """Memory and time a sweep will take. Raises SweepTooBig, before anything is allocated, when the largest
    configuration's population would need more than `budget_bytes` (default: MEMORY_SHARE of the device's memory),
    and after timing, when the whole would take longer than `max_seconds`. Time comes from training each distinct
    shape for `probe_steps` steps (0: skip, seconds is None) and scaling up."""
    device = resolve_device(plan.configs[0].device)
    budget = memory_budget(device) if budget_bytes is None else budget_bytes
    k = len(plan.seeds)
    need = max(memory_bytes(c, k) for c in plan.configs)
    if need > budget:
        worst = max(plan.configs, key=lambda c: memory_bytes(c, k))
        raise SweepTooBig(
            f"{k:,} seeds of {format_layers(worst)} need about {format_bytes(need)}, over the "
            f"{format_bytes(budget)} budget ({MEMORY_SHARE:.0%} of {'GPU memory' if device.type == 'cuda' else 'RAM'})"
            f": use fewer seeds or smaller layers"
        )
    if probe_steps <= 0:
        return Estimate(need, budget, None)
    per_step: dict[tuple, tuple[float, float]] = {}
    config_seconds = []
    for config in plan.configs:
        key = (config.task, config.hidden, config.activation, config.optimizer)
        if key not in per_step:
            per_step[key] = _probe(config, plan.seeds, device, probe_steps)
        build_s, step_s, eval_s = per_step[key]
        config_seconds.append(build_s + config.steps * step_s + (config.steps // config.log_every + 2) * eval_s)
    total = sum(config_seconds)
    if max_seconds is not None and total > max_seconds:
        raise SweepTooBig(
            f"would take about {format_seconds(total)}, over the {format_seconds(max_seconds)} limit: "
            f"use fewer seeds, steps or configurations"
        )
    return Estimate(need, budget, total, tuple(config_seconds))


def _probe(
    config: ExperimentConfig, seeds: Sequence[int], device: torch.device, steps: int
) -> tuple[float, float, float]:
    """Seconds to build the population (each seed's layers are drawn one by one), per training step and per
    evaluation. Measured on the real population size up to PROBE_SEEDS seeds; beyond, on PROBE_SEEDS of them and
    scaled in proportion (the work per step grows with the members; for small networks this overestimates, as
    fixed costs are counted again), so that a million seeds are estimated in seconds, not built for minutes."""
    probe_seeds = list(seeds[:PROBE_SEEDS])
    scale = len(seeds) / len(probe_seeds)
    began = time.perf_counter()
    population = Population(config.replace(lr=min(config.lr, 1e-3)), probe_seeds, device)  # small lr: no divergence
    build_s = time.perf_counter() - began
    for _ in range(3):  # TorchScript profiles and optimises on its first calls
        population.train(1)
    population.evaluate()
    _sync(device)
    began = time.perf_counter()
    population.train(steps)
    _sync(device)
    step_s = (time.perf_counter() - began) / steps
    began = time.perf_counter()
    population.evaluate()
    return build_s * scale, step_s * scale, (time.perf_counter() - began) * scale


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ---------------------------------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Progress:
    config_index: int
    n_configs: int
    step: int  # steps done in this configuration
    steps: int  # steps in this configuration
    done: int  # steps done in the whole sweep (each configuration's steps counted once, not per seed)
    total: int
    elapsed: float  # seconds since the sweep started
    eta: float | None  # seconds left, None until there is a rate to go by

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


@dataclass(frozen=True)
class ConfigResult:
    index: int
    config: ExperimentConfig
    seeds: tuple[int, ...]
    final_loss: tuple[float, ...]  # per member; NaN where diverged
    solved: tuple[bool, ...]  # per member, after the last step
    solve_step: tuple[int | None, ...]  # per member: first log step solved, for members solved at the end
    diverged: tuple[bool, ...]
    dead_unit_rate: float | None  # None unless the activation can die
    seconds: float

    @property
    def solved_fraction(self) -> float:
        return sum(self.solved) / len(self.seeds)

    def solve_step_quantiles(self) -> tuple[float, float, float] | None:
        """(p25, median, p75) of the solve step, None when no member solved."""
        steps = [s for s in self.solve_step if s is not None]
        if not steps:
            return None
        q = torch.quantile(torch.tensor(steps, dtype=torch.float64), torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64))
        return tuple(q.tolist())  # type: ignore[return-value]

    def loss_quantiles(self) -> tuple[float, float, float] | None:
        """(p10, p50, p90) of the finite final losses, None when every member diverged."""
        losses = [v for v in self.final_loss if math.isfinite(v)]
        if not losses:
            return None
        q = torch.quantile(torch.tensor(losses, dtype=torch.float64), torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
        return tuple(q.tolist())  # type: ignore[return-value]

    def as_row(self) -> dict[str, Any]:
        c = self.config
        steps_q = self.solve_step_quantiles()
        loss_q = self.loss_quantiles()
        row = {
            "config": self.index,
            "task": c.task,
            "layers": format_layers(c),
            "activation": c.activation,
            "optimizer": c.optimizer,
            "lr": c.lr,
            "steps": c.steps,
            "seeds": len(self.seeds),
            "first_seed": self.seeds[0],
            "solved": sum(self.solved),
            "solved_fraction": self.solved_fraction,
            "solve_step_median": steps_q[1] if steps_q else None,
            "solve_step_p25": steps_q[0] if steps_q else None,
            "solve_step_p75": steps_q[2] if steps_q else None,
            "solve_step_iqr": steps_q[2] - steps_q[0] if steps_q else None,
            "loss_p10": loss_q[0] if loss_q else None,
            "loss_p50": loss_q[1] if loss_q else None,
            "loss_p90": loss_q[2] if loss_q else None,
            "diverged_fraction": sum(self.diverged) / len(self.seeds),
            "dead_unit_rate": self.dead_unit_rate,
            "seconds": self.seconds,
        }
        assert list(row) == list(COLUMNS)
        return row


def rows(results: Sequence[ConfigResult]) -> list[dict[str, Any]]:
    """One dict per configuration, keys in COLUMNS order: ready for csv.DictWriter or json.dumps."""
    return [r.as_row() for r in results]


def run_sweep(
    plan: SweepPlan, estimated: Estimate | None = None, progress_seconds: float = PROGRESS_SECONDS
) -> Iterator[Progress | ConfigResult]:
    """Train every configuration of `plan`, yielding Progress now and then (at most every `progress_seconds`, and
    at the end of each configuration) and a ConfigResult when a configuration finishes. Stop early by closing the
    generator (or leaving the loop): nothing runs between two events. `estimated` (from `estimate`) weights the
    ETA by each configuration's cost; without it each step of each configuration counts the same."""
    weights = list(estimated.config_seconds) if estimated and estimated.config_seconds else None
    if weights is None:
        weights = [float(c.steps) for c in plan.configs]
    total_work = sum(weights) or 1.0
    total_steps = plan.total_steps
    start = time.perf_counter()
    work_before = 0.0
    done_before = 0
    last_progress = -math.inf
    for index, config in enumerate(plan.configs):
        result = None
        for event in _run_config(index, config, plan.seeds):
            if isinstance(event, ConfigResult):
                result = event
                continue
            step, last = event
            now = time.perf_counter()
            if last or now - last_progress >= progress_seconds:
                last_progress = now
                work = work_before + weights[index] * step / config.steps
                elapsed = now - start
                eta = elapsed * (total_work - work) / work if work > 0 and elapsed > 0 else None
                yield Progress(index, len(plan.configs), step, config.steps, done_before + step, total_steps,
                               elapsed, eta)
        work_before += weights[index]
        done_before += config.steps
        assert result is not None
        yield result


def _run_config(index: int, config: ExperimentConfig, seeds: tuple[int, ...]) -> Iterator[Any]:
    """Yields (step, is_last) after every chunk of training, then the ConfigResult."""
    began = time.perf_counter()
    device = resolve_device(config.device)
    population = Population(config, seeds, device)
    targets = torch.tensor(get_task(config.task).targets, dtype=torch.bool)
    k = len(seeds)
    never = torch.iinfo(torch.int64).max
    first_solved = torch.full((k,), never, dtype=torch.int64)

    def look() -> tuple[torch.Tensor, Any]:
        ev = population.evaluate()
        right = (ev.predictions == targets).all(1)
        solved = ev.finite & right & (ev.loss < SOLVED_LOSS)
        first_solved[:] = torch.where(solved & (first_solved == never), population.step, first_solved)
        return solved, ev

    chunk = 1
    while population.step < config.steps:
        if population.step % config.log_every == 0:
            look()
        next_log = (population.step // config.log_every + 1) * config.log_every
        n = min(next_log, config.steps, population.step + chunk) - population.step
        t = time.perf_counter()
        population.train(n)
        _sync(device)
        took = time.perf_counter() - t
        chunk = max(1, min(chunk * 2, int(n * CHUNK_SECONDS / took) if took > 0 else chunk * 2))
        yield population.step, population.step == config.steps
    solved, ev = look()
    dead = None
    if get_activation(config.activation).can_die and len(config.hidden) > 0:
        with torch.no_grad():
            _, hs = population.forward()
        hidden = torch.cat([h for h in hs[1:-1]], dim=2)  # (K, rows, all hidden units)
        dead = float((hidden <= DEAD_OUTPUT).all(1).float().mean())
    solve_step = [int(s) if ok else None for s, ok in zip(first_solved.tolist(), solved.tolist())]
    yield ConfigResult(
        index=index,
        config=config,
        seeds=seeds,
        final_loss=tuple(ev.loss.tolist()),
        solved=tuple(bool(s) for s in solved.tolist()),
        solve_step=tuple(solve_step),
        diverged=tuple(not f for f in ev.finite.tolist()),
        dead_unit_rate=dead,
        seconds=time.perf_counter() - began,
    )
