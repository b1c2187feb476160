"""Benchmark: xortui's engine against the lecture's own training loop, side by side in one run.

    python -m xortui.bench            # the full benchmark (a few minutes on 2 cores)
    python -m xortui.bench --quick    # fewer steps and seeds: a smoke check of every row

Every row is a `Row` in a `Section`; a section is a function returning rows, registered in `SECTIONS`, so a new
measurement is one more function. Timings are the best of `repeats` runs (other processes on a shared machine
only ever make a run slower), and the lecture's loop and the engine are measured in alternation so that a slow
patch of the machine hits both.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import xortui.engine  # noqa: F401  (silences torch's NumPy warning before torch loads)
import torch

from xortui.engine.presets import PRESETS
from xortui.engine.tasks import get_task

LECTURE_PRESETS = ("xor-single-layer", "xor-nn", "xor-wide-deep")


def lecture_loop(layers: Sequence[int], steps: int = 10001, seed: int = 777, log_every: int = 100) -> dict[int, float]:
    """The lecture's code, as the lecture writes it (lab-08_2_xor_nn): nn.Sequential of Linear + Sigmoid, BCELoss,
    SGD(lr=1), zero_grad / backward / step, and `.item()` every `log_every` steps. Returns {step: loss}."""
    torch.manual_seed(seed)
    X = torch.FloatTensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    Y = torch.FloatTensor([[0], [1], [1], [0]])
    modules: list[torch.nn.Module] = []
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        modules += [torch.nn.Linear(n_in, n_out, bias=True), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*modules)
    criterion = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1)
    losses = {}
    for step in range(steps):
        optimizer.zero_grad()
        hypothesis = model(X)
        cost = criterion(hypothesis, Y)
        cost.backward()
        optimizer.step()
        if step % log_every == 0:
            losses[step] = cost.item()
    return losses


# ---------------------------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Options:
    steps: int = 10001  # per single run, as in the lecture
    repeats: int = 3  # timings are the best of this many
    sweep_seeds: int = 256
    sweep_steps: int = 10001
    lecture_loops: int = 3  # lecture loops actually timed for the sweep comparison, then extrapolated


QUICK = Options(steps=1001, repeats=1, sweep_seeds=32, sweep_steps=1001, lecture_loops=1)


@dataclass(frozen=True)
class Row:
    measurement: str
    lecture: str = ""  # the lecture's loop (or the reference point), formatted
    xortui: str = ""
    ratio: float | None = None  # how many times faster xortui is (or whatever the row's bar compares)
    bar: float | None = None  # the bar for `ratio`, if it has one
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.ratio is None or self.bar is None:
            return ""
        return "ok" if self.ratio >= self.bar else "BELOW"


@dataclass
class Section:
    title: str
    measure: Callable[[Options], list[Row]]


def best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Shortest wall time of `repeats` calls, and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    return best, result


def engine_losses(config) -> dict[int, float]:
    from xortui.engine.training import train

    return {s.step: s.loss for s in train(config) if s.logged}


def rate(steps: int, seconds: float) -> str:
    return f"{steps / seconds:,.0f} steps/s"


def single_runs(opts: Options) -> list[Row]:
    """Each lecture preset: the lecture's loop vs xortui.engine.training.train (snapshots at every log step, as
    the CLI and dashboard use it), timed alternately, best of `repeats` each, after one short warm-up of both."""
    rows = []
    bars = {"xor-nn": 5.0}
    for name in LECTURE_PRESETS:
        config = PRESETS[name].config.replace(steps=opts.steps, device="cpu")
        lecture_loop(config.layers, steps=101)
        engine_losses(config.replace(steps=101))  # TorchScript compiles on first use
        lecture_s = engine_s = float("inf")
        for _ in range(opts.repeats):  # alternate, so that a slow patch of a shared machine hits both
            began = time.perf_counter()
            expected = lecture_loop(config.layers, steps=opts.steps)
            lecture_s = min(lecture_s, time.perf_counter() - began)
            began = time.perf_counter()
            got = engine_losses(config)
            engine_s = min(engine_s, time.perf_counter() - began)
        diff = max(abs(got[s] - v) / abs(v) for s, v in expected.items())
        rows.append(Row(
            f"single run {name} ({'-'.join(map(str, config.layers))}), {opts.steps:,} steps",
            rate(opts.steps, lecture_s), rate(opts.steps, engine_s), lecture_s / engine_s, bars.get(name, 3.0),
            f"max rel. loss diff {diff:.1e} over {len(expected)} logged steps",
        ))
    return rows


def seed_sweep(opts: Options) -> list[Row]:
    """`sweep_seeds` seeds of xor-nn in one population (xortui.engine.sweep, statistics included) vs as many
    lecture loops one after another: `lecture_loops` of them (seeds 0, 1, ...) are timed and the fastest is
    multiplied by the number of seeds, rather than running them all."""
    from xortui.engine import sweep

    base = PRESETS["xor-nn"].config.replace(steps=opts.sweep_steps, device="cpu")
    lecture_s = float("inf")
    for seed in range(opts.lecture_loops):
        began = time.perf_counter()
        lecture_loop(base.layers, steps=opts.sweep_steps, seed=seed)
        lecture_s = min(lecture_s, time.perf_counter() - began)
    lecture_total = lecture_s * opts.sweep_seeds  # the fastest loop times the seeds: the ratio errs low
    plan = sweep.plan_sweep(base, {}, seeds=opts.sweep_seeds)
    list(sweep.run_sweep(sweep.plan_sweep(base.replace(steps=101), {}, seeds=opts.sweep_seeds)))  # warm-up
    sweep_s, events = best_time(lambda: list(sweep.run_sweep(plan)), opts.repeats)
    (result,) = [e for e in events if isinstance(e, sweep.ConfigResult)]  # type: ignore[union-attr]
    return [Row(
        f"sweep: {opts.sweep_seeds} seeds of xor-nn, {opts.sweep_steps:,} steps",
        f"{lecture_total:,.1f} s ({opts.sweep_seeds} x the best of {opts.lecture_loops} timed)",
        f"{sweep_s:,.2f} s", lecture_total / sweep_s, 150.0,
        f"solved {result.solved_fraction:.0%} of seeds",
    )]


FIRST_FRAME_SCRIPT = """
import os, sys, time
import xortui.launch  # the `xortui` command's entry point, which opens the dashboard without the command line
from xortui.app.app import XorTuiApp

class Timed(XorTuiApp):
    def on_mount(self):  # Textual calls XorTuiApp.on_mount too
        self.call_after_refresh(lambda: print(time.time(), flush=True))  # the first (splash) frame

    def dashboard_mounted(self):
        super().dashboard_mounted()
        def painted():
            print(time.time(), flush=True)
            os._exit(0)  # do not wait for torch, still loading in the background
        self.call_after_refresh(painted)

Timed(splash=True).run(headless=True)
"""


def first_frame(opts: Options) -> list[Row]:
    """Launch to first frame: a fresh `python` process is started, imports the entry point and runs the dashboard
    as `xortui` does (headless, so no terminal is needed); the times are from just before the launch to the
    moment the first frame (the splash) and then the whole dashboard have been painted. Python's bytecode cache
    is on, as on every launch after the first (one launch before the timed ones fills it). Beside it, for
    scale, the time a fresh process takes to `import torch`. Best of 2 x `repeats` launches (launch times vary
    more than training speeds)."""
    import subprocess

    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

    def launch(code: str) -> list[float]:
        began = time.time()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        return [float(stamp) - began for stamp in done.stdout.split()]

    launch(FIRST_FRAME_SCRIPT)  # fills the bytecode cache
    frame_s = dashboard_s = torch_s = float("inf")
    for _ in range(2 * opts.repeats):
        first, whole = launch(FIRST_FRAME_SCRIPT)
        frame_s, dashboard_s = min(frame_s, first), min(dashboard_s, whole)
        torch_s = min(torch_s, launch("import time, torch; print(time.time())")[0])
    return [Row("time to first frame", f"import torch alone: {torch_s:.2f} s", f"{frame_s:.2f} s",
                0.5 / frame_s, 1.0, f"ratio: the 0.5 s bar over the measured time; whole dashboard {dashboard_s:.2f} s")]


def dashboard_pace(opts: Options) -> list[Row]:
    """Training speed with the dashboard live (the Textual app running headless, redrawing about ten times a
    second, nothing else touching it) over headless `train()`, for xor-nn with 10 x `steps` steps. This machine's
    speed drifts by tens of percent within a minute, so the two are run in `repeats` blocks of headless, live,
    live, headless, and the ratio is the median of the blocks' ratios. Steps/s as each run reports it."""
    import asyncio
    import statistics
    import tempfile

    from xortui.app.app import XorTuiApp
    from xortui.engine.training import train

    config = PRESETS["xor-nn"].config.replace(steps=10 * opts.steps, device="cpu")

    async def live() -> float:
        app = XorTuiApp(store_path=os.path.join(scratch, "runs.db"))
        async with app.run_test(size=(120, 40)):
            await app.engine_loaded.wait()
            app.start_run(config)
            while app.state in ("running", "idle", "loading"):
                await asyncio.sleep(0.05)  # not the pilot's pause, which sends every widget a message
            return app.last_snapshot.steps_per_second

    def headless() -> float:
        return list(train(config))[-1].steps_per_second

    headless()  # compile
    ratios, live_rates, headless_rates = [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(opts.repeats):
            first = headless()
            lives = [asyncio.run(live()), asyncio.run(live())]
            heads = [first, headless()]
            ratios.append(sum(lives) / sum(heads))
            live_rates += lives
            headless_rates += heads
    return [Row(f"dashboard live vs headless, xor-nn {config.steps:,} steps",
                f"headless {statistics.median(headless_rates):,.0f} steps/s",
                f"{statistics.median(live_rates):,.0f} steps/s", statistics.median(ratios), 0.9,
                "ratio: live over headless, median of " + ", ".join(f"{r:.2f}" for r in ratios))]


SECTIONS = [
    Section("single run", single_runs),
    Section("sweep", seed_sweep),
    Section("first frame", first_frame),
    Section("dashboard", dashboard_pace),
]


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return [
        f"CPU: {cpu}, {os.cpu_count()} logical cores, torch threads {torch.get_num_threads()}",
        f"torch {torch.__version__}, Python {platform.python_version()}, {platform.system()} {platform.release()}",
    ]


def render(rows: list[Row]) -> str:
    """A Markdown table, so the output can go into the README as printed."""
    header = ["measurement", "lecture loop", "xortui", "ratio", "bar", "", "note"]
    body = [
        [r.measurement, r.lecture, r.xortui, f"{r.ratio:,.1f}x" if r.ratio is not None else "",
         f">= {r.bar:g}x" if r.bar is not None else "", r.verdict, r.note]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    fmt = lambda line: "| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |"  # noqa: E731
    return "\n".join([fmt(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(fmt, body)])


def run(opts: Options, sections: list[Section] | None = None, out=sys.stdout) -> list[Row]:
    rows: list[Row] = []
    for section in sections or SECTIONS:
        print(f"measuring: {section.title} ...", file=sys.stderr, flush=True)
        rows += section.measure(opts)
    print("\n".join(machine()), file=out)
    quick = " (a quick check: the bars are for the full benchmark)" if opts.steps < Options.steps else ""
    print(f"single runs of {opts.steps:,} steps; times are the best of {opts.repeats}, the lecture's loop and "
          f"xortui measured alternately in this one process{quick}", file=out)
    print(render(rows), file=out)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xortui.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, seeds and repeats: a smoke check")
    parser.add_argument("--repeats", type=int, help="timings are the best of this many runs")
    args = parser.parse_args(argv)
    opts = QUICK if args.quick else Options()
    if args.repeats:
        opts = replace(opts, repeats=args.repeats)
    run(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
