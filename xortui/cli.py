"""The command line: `xortui` opens the dashboard; `xortui run` trains headless; `xortui presets` lists presets."""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from typing import Any

import click

from xortui import __version__
from xortui.launch import dashboard, exit_at_once
from xortui.engine.config import (
    FIELDS,
    OPTIMIZER_SETTINGS,
    OPTIMIZERS,
    ConfigError,
    ExperimentConfig,
    format_layers,
    hidden_from_depth_width,
    parse_hidden_from_layers,
)
from xortui.engine.curve import Curve
from xortui.engine.presets import DEFAULT_PRESET, PRESETS

JSON_LOSSES = 100_000  # at most this many (step, loss) points in `run --json`'s record
from xortui.cli_runs import no_store_option, runs, store_option
from xortui.cli_sweep import sweep
from xortui.store import RunRecorder, reproduce_command, try_open_store


class OneLineErrors(click.Group):
    """Usage errors as a single line (`Error: Invalid value for '--lr': ...`), exit code 2, no usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def bad_option(error: ConfigError) -> click.BadParameter:
    return click.BadParameter(error.message, param_hint=f"'{option_name(error.field)}'")


def config_from_options(preset: str | None, options: dict[str, str | None]) -> ExperimentConfig:
    """The preset (or the default one), with every option the user gave parsed and checked as the dashboard
    checks its fields."""
    config = PRESETS[preset or DEFAULT_PRESET].config
    given = {name: text for name, text in options.items() if text is not None}
    try:
        changes: dict[str, Any] = {}
        for name in ("task", "activation", "head", "optimizer", "lr", "steps", "seed", "device", "log_every",
                     *OPTIMIZER_SETTINGS):
            if name in given:
                changes[name] = FIELDS[name].parse(given[name])
        config = config.replace(**changes)
        for name in OPTIMIZER_SETTINGS:
            if name in given and name not in OPTIMIZERS[config.optimizer].settings:
                users = [o.name for o in OPTIMIZERS.values() if name in o.settings]
                raise ConfigError(name, f"applies to --optimizer {' or '.join(users)} (this run's is {config.optimizer})")
        if "layers" in given:
            if "depth" in given or "width" in given:
                raise ConfigError("layers", "give either --layers or --depth/--width, not both")
            config = config.replace(hidden=parse_hidden_from_layers(given["layers"], config.task, config.head))
        elif "depth" in given or "width" in given:
            depth = FIELDS["depth"].parse(given["depth"]) if "depth" in given else len(config.hidden)
            width = FIELDS["width"].parse(given["width"]) if "width" in given else (config.hidden or (2,))[0]
            config = config.replace(hidden=hidden_from_depth_width(depth, width))
        return config.validate()
    except ConfigError as error:
        raise bad_option(error) from None


def _preset_option(f):
    return click.option(
        "--preset", type=click.Choice(list(PRESETS)), default=None,
        help=f"start from this preset (default {DEFAULT_PRESET}); other options override it",
    )(f)


@click.group(cls=OneLineErrors, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="xortui")
@_preset_option
@store_option
@click.pass_context
def cli(ctx: click.Context, preset: str | None, store_path: str | None) -> None:
    """Train small neural networks on truth tables and watch them learn.

    With no command, opens the dashboard.
    """
    if ctx.invoked_subcommand is None:
        dashboard(preset, store_path)


def _field_option(name: str, metavar: str):
    spec = FIELDS[name]
    return click.option(option_name(name), name, metavar=metavar, default=None, help=spec.help)


@cli.command()
@_preset_option
@_field_option("layers", "LIST")
@_field_option("depth", "N")
@_field_option("width", "N")
@_field_option("activation", "NAME")
@_field_option("lr", "RATE")
@_field_option("steps", "N")
@_field_option("seed", "N")
@_field_option("device", "NAME")
@_field_option("log_every", "N")
@_field_option("task", "NAME")
@_field_option("head", "NAME")
@_field_option("optimizer", "NAME")
@_field_option("momentum", "M")
@_field_option("beta1", "B")
@_field_option("beta2", "B")
@_field_option("eps", "E")
@click.option("--json", "as_json", is_flag=True,
              help=f"print one JSON record instead of text (the losses of every log step, evenly thinned past "
                   f"{JSON_LOSSES:,} points)")
@store_option
@no_store_option
def run(preset: str | None, as_json: bool, store_path: str | None, no_store: bool, **options: str | None) -> None:
    """Train one network headless and print the loss as the lecture does.

    Prints `step loss` at every log step, then the final outputs (Hypothesis), predicted classes (Correct) and
    accuracy, as the course notebooks do. Ctrl+C stops and prints what was reached (exit 130). A run whose
    numbers blow up (a non-finite loss or weight, or outputs pinned at the wrong 0/1 with no gradient left, as a
    learning rate of 100 does) ends with "diverged at step N"; --json then has "state": "diverged" and
    "diverged_at": N.
    """
    from xortui.engine.devices import resolve_device
    from xortui.engine.training import FINISHED, STOPPED, train

    config = config_from_options(preset, options)
    try:
        resolve_device(config.device)
    except ConfigError as error:
        raise bad_option(error) from None

    store, store_error = (None, None) if no_store else try_open_store(store_path)
    if store_error is not None:
        click.echo(f"# not recording: {store_error}", err=True)
    losses = Curve(JSON_LOSSES)  # memory stays flat however many log steps (log_every 1 over 10^9 steps...)
    last = None
    recorder = None
    interrupted = False
    # Ctrl+C asks training to stop after its current chunk (at most ~0.1 s), so the summary describes the step
    # reached, measured afresh; a second Ctrl+C interrupts at once.
    stop = threading.Event()

    def on_ctrl_c(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_ctrl_c)
    run_snapshots = train(config, stop.is_set)
    try:
        for snap in run_snapshots:
            if recorder is None:
                recorder = RunRecorder.start(
                    store, config.as_dict(), device=snap.device, command=reproduce_command(config.as_dict()),
                    on_error=lambda error: click.echo(f"# not recording: {error}", err=True),
                )
            last = snap
            if snap.logged:
                losses.add(snap.step, snap.loss)
                recorder.add(snap.step, snap.loss)
                if not as_json:
                    click.echo(f"{snap.step} {snap.loss!r}")
    except KeyboardInterrupt:
        interrupted = True
        run_snapshots.close()
    finally:
        signal.signal(signal.SIGINT, previous)
    interrupted = interrupted or stop.is_set()
    if last is None:  # interrupted before the first step
        sys.exit(130)
    state = STOPPED if interrupted else last.state
    recorder.finish(state, last.as_dict())
    if as_json:
        click.echo(json.dumps(_record(config, last, state, losses)))
    else:
        _print_final(config, last, state)
    if interrupted:
        sys.exit(130)


def _record(config: ExperimentConfig, last, state: str, losses: Curve) -> dict:
    return {
        "xortui": __version__,
        "config": config.as_dict(),
        "device": last.device,
        "state": state,
        "steps_done": last.step,
        "elapsed_s": round(last.elapsed, 4),
        "steps_per_second": round(last.steps_per_second, 1),
        "diverged_at": last.diverged_at if state == "diverged" else None,
        "saturated": last.saturated,
        # NaN -> null: strict JSON. Every log step, evenly thinned past JSON_LOSSES points.
        "losses": {str(step): _finite_or_none(loss) for step, loss in zip(losses.steps, losses.losses)},
        "final": {
            "loss": _finite_or_none(last.loss),
            "hypothesis": [_finite_or_none(v) for v in last.outputs],
            # softmax head: [p0, p1] for each row (hypothesis is p1); [] for the sigmoid head
            "probabilities": [[_finite_or_none(v) for v in row] for row in last.probabilities],
            "predicted": list(last.predictions),
            "targets": list(last.targets),
            "correct": list(last.correct),
            "accuracy": last.accuracy,
            "verdict": last.verdict,
            "hidden_widths": list(last.widths),
            "dead_units": list(last.dead),  # per hidden layer: units whose output is 0 on every row
            "grad_norms": [_finite_or_none(g) for g in last.grad_norms],  # |d loss / d W| per Linear layer
        },
    }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _inside_line(last) -> str:
    """'dead L1 3/10 L2 0/10; |grad| L1 1.2e-04 L2 ... out 3.4e-03', the dashboard's inside view on one line."""
    dead = " ".join(f"L{i + 1} {d}/{w}" for i, (d, w) in enumerate(zip(last.dead, last.widths)))
    names = [f"L{i + 1}" for i in range(len(last.widths))] + ["out"]
    grads = " ".join(f"{name} {g:.1e}" for name, g in zip(names, last.grad_norms))
    return (f"dead {dead}; " if dead else "") + f"|grad| {grads}"


def _column(values, fmt: str) -> str:
    return "[" + " ".join(f"[{fmt.format(v)}]" for v in values) + "]"


def _head_and_optimizer(config: ExperimentConfig) -> str:
    """', softmax head, adam (beta1 0.9, beta2 0.999, eps 1e-08)': what differs from the lecture's setup."""
    parts = [f"{config.head} head"] if config.head != "sigmoid" else []
    if config.optimizer != "sgd":
        settings = ", ".join(f"{name} {getattr(config, name):g}" for name in OPTIMIZERS[config.optimizer].settings)
        parts.append(f"{config.optimizer}" + (f" ({settings})" if settings else ""))
    return "".join(", " + part for part in parts)


def _print_final(config: ExperimentConfig, last, state: str) -> None:
    click.echo()
    if last.probabilities:  # softmax head: both class probabilities of each row
        click.echo(f"P(class 0):  {_column([p0 for p0, _ in last.probabilities], '{:.8g}')}")
        click.echo(f"P(class 1):  {_column([p1 for _, p1 in last.probabilities], '{:.8g}')}")
    else:
        click.echo(f"Hypothesis:  {_column(last.outputs, '{:.8g}')}")
    click.echo(f"Correct:     {_column(last.predictions, '{}.')}")
    click.echo(f"Accuracy:    {last.accuracy}")
    click.echo(
        f"# {format_layers(config)} {config.activation}{_head_and_optimizer(config)}, lr {config.lr:g}, "
        f"seed {config.seed}, on {last.device}: "
        f"{state} after {last.step:,} of {config.steps:,} steps in {last.elapsed:.2f} s "
        f"({last.steps_per_second:,.0f} steps/s), loss {last.loss:.6g}, {sum(last.correct)}/{len(last.correct)} "
        "rows right"
    )
    click.echo(f"# verdict: {last.verdict}; {_inside_line(last)}")
    if last.note and state != "stopped":
        click.echo(f"# {last.note}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="print the presets as JSON")
def presets(as_json: bool) -> None:
    """List the presets with their settings."""
    if as_json:
        click.echo(json.dumps({p.name: {"description": p.description, **p.config.as_dict()} for p in PRESETS.values()}))
        return
    rows = [("name", "layers", "activation", "lr", "steps", "seed", "description")]
    for p in PRESETS.values():
        c = p.config
        rows.append((p.name, format_layers(c), c.activation, f"{c.lr:g}", str(c.steps), str(c.seed), p.description))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1])


cli.add_command(runs)
cli.add_command(sweep)


def main() -> None:
    try:
        cli(prog_name="xortui")
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            exit_at_once(done.code or 0)
        raise
