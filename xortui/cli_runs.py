"""`xortui runs ...`: list, show, export and delete recorded runs.

Registered by the main CLI with `cli.add_command(runs)`. `store_option` and `no_store_option` are shared with
`xortui run` and `xortui sweep`, so every command names the store the same way (`--store PATH`, or $XORTUI_STORE).

Errors reach the user as one line on stderr: exit 2 for an unknown run id, exit 1 for a store that cannot be used.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from datetime import datetime
from typing import Any, Callable, Iterable, NoReturn

import click

from xortui.store import (
    ENV_VAR,
    RunRecord,
    RunStore,
    StoreError,
    UnknownRunError,
    default_store_path,
    open_store,
    open_store_for_reading,
    reproduce_command,
)

EXIT_STORE_ERROR = 1
EXIT_UNKNOWN_RUN = 2


def store_option(command: Callable) -> Callable:
    """`--store PATH` (or $XORTUI_STORE); the value is None when neither is given, meaning the default store."""
    return click.option(
        "--store", "store_path", type=click.Path(dir_okay=False), envvar=ENV_VAR, show_envvar=True, default=None,
        help="Run store file (default: runs.db in the user's data directory).",
    )(command)


def no_store_option(command: Callable) -> Callable:
    """`--no-store`: train without recording (for `xortui run` and `xortui sweep`)."""
    return click.option("--no-store", is_flag=True, default=False, help="Do not record this run in the store.")(
        command
    )


# ---------------------------------------------------------------------------------------------- helpers


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)  # as click writes its own usage errors
    sys.exit(code)


def _parse_id(text: str) -> int:
    """'12' or '#12'; anything else is an unknown run id."""
    cleaned = text.strip().lstrip("#")
    if not cleaned.isdigit():
        _fail(f"no run with id {text!r}", EXIT_UNKNOWN_RUN)
    return int(cleaned)


def _reading(store_path: str | None) -> RunStore | None:
    try:
        return open_store_for_reading(store_path)
    except StoreError as exc:
        _fail(str(exc), EXIT_STORE_ERROR)


def _get(store: RunStore | None, run_id: int) -> RunRecord:
    if store is None:
        _fail(f"no run with id {run_id}", EXIT_UNKNOWN_RUN)
    try:
        return store.get_run(run_id)
    except UnknownRunError as exc:
        _fail(str(exc), EXIT_UNKNOWN_RUN)
    except StoreError as exc:
        _fail(str(exc), EXIT_STORE_ERROR)


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _num(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None else format(value, spec)


def _seq(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def run_command_options() -> set[str] | None:
    """The option names `xortui run` accepts, so a reproduce command leaves out what this CLI cannot take.
    None (use every config key) when the main CLI or its `run` command is not there."""
    try:
        from xortui.cli import cli  # imported late: xortui.cli imports this module

        command = cli.commands.get("run")  # type: ignore[attr-defined]
        return None if command is None else {p.name for p in command.params if p.name}
    except Exception:  # noqa: BLE001 - any trouble here just means "build from every key"
        return None


def _reproduce(run: RunRecord) -> str:
    return reproduce_command(run.config, run_command_options())


def _finite(value: Any) -> Any:
    """Strict JSON for notebooks: NaN and infinities become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------- commands


@click.group("runs")
def runs() -> None:
    """Recorded runs: list, show, export, delete."""


LIST_COLUMNS = ("id", "started", "state", "task", "layers", "activation", "lr", "steps", "seed", "device", "loss",
                "accuracy", "verdict")


def _row(run: RunRecord) -> dict[str, str]:
    config = run.config
    return {
        "id": str(run.id), "started": _when(run.started_at), "state": run.state,
        "task": str(config.get("task", "-")), "layers": _seq(config.get("layers", "-")),
        "activation": str(config.get("activation", "-")), "lr": _num(_as_float(config.get("lr")), "g"),
        "steps": str(config.get("steps", "-")), "seed": str(config.get("seed", "-")), "device": run.device,
        "loss": _num(run.final_loss), "accuracy": "-" if run.accuracy is None else f"{run.accuracy:.0%}",
        "verdict": run.verdict or "-",
    }


def _as_float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@runs.command("list")
@store_option
@click.option("--filter", "-f", "text_filter", default=None, metavar="TEXT",
              help="Only runs where every word begins a word of the run (e.g. 'relu finished', 'lr=0.5').")
@click.option("--sort", "sort", default="started", show_default=True, metavar="COLUMN",
              help=f"Column to sort by: {', '.join(LIST_COLUMNS)}, or any config key.")
@click.option("--asc", is_flag=True, help="Ascending order (default: descending, newest first).")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=None, help="Show at most N runs.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_runs(store_path: str | None, text_filter: str | None, sort: str, asc: bool, limit: int | None,
              as_json: bool) -> None:
    """List recorded runs, newest first."""
    from xortui.engine.config import ExperimentConfig

    known = [*LIST_COLUMNS, *(k for k in ExperimentConfig().as_dict() if k not in LIST_COLUMNS)]
    if sort not in known:
        raise click.BadParameter(f"'{sort}' is not one of: {', '.join(known)}", param_hint="'--sort'")
    store = _reading(store_path)
    if store is None:
        records: list[RunRecord] = []
    else:
        with store:
            try:
                records = store.list_runs(text_filter, order_by=sort, descending=not asc, limit=limit)
            except StoreError as exc:
                _fail(str(exc), EXIT_STORE_ERROR)
    if as_json:
        click.echo(json.dumps([_finite(r.as_dict()) for r in records], indent=2, allow_nan=False))
        return
    if not records:
        where = store_path or default_store_path()
        click.echo("No runs match." if store is not None and text_filter else f"No runs recorded yet (store: {where}).")
        return
    rows = [_row(r) for r in records]
    widths = {c: max(len(c), *(len(row[c]) for row in rows)) for c in LIST_COLUMNS}
    numeric = {"id", "lr", "steps", "seed", "loss", "accuracy"}

    def line(cells: dict[str, str]) -> str:
        return "  ".join(cells[c].rjust(widths[c]) if c in numeric else cells[c].ljust(widths[c])
                         for c in LIST_COLUMNS).rstrip()

    click.echo(line({c: c.upper() for c in LIST_COLUMNS}))
    for row in rows:
        click.echo(line(row))


@runs.command("show")
@store_option
@click.argument("run_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the run and its curve as JSON.")
def show_run(store_path: str | None, run_id: str, as_json: bool) -> None:
    """Show one run: configuration, outcome, curve and the command that reproduces it."""
    store = _reading(store_path)
    run = _get(store, _parse_id(run_id))
    try:
        curve = store.curve(run.id)
    except StoreError as exc:
        _fail(str(exc), EXIT_STORE_ERROR)
    finally:
        store.close()
    reproduce = _reproduce(run)
    if as_json:
        record = _export_record(run, curve)
        record["reproduce"] = reproduce
        click.echo(json.dumps(record, indent=2, allow_nan=False))
        return
    final = run.final or {}
    duration = "" if run.duration is None else f"  ({run.duration:.1f} s)"
    lines = [f"Run {run.id}  {run.state}" + (f"  (sweep {run.sweep_id})" if run.sweep_id is not None else "")]
    lines.append(f"  started      {_when(run.started_at)}   ended {_when(run.ended_at)}{duration}")
    lines.append(f"  device       {run.device}")
    lines.append("  versions     " + ", ".join(f"{k} {v}" for k, v in run.versions.items() if v is not None))
    lines.append("  config       " + " ".join(f"{k}={_seq(v)}" for k, v in run.config.items()))
    if curve:
        (s0, l0), (s1, l1) = curve[0], curve[-1]
        lines.append(f"  curve        {len(curve)} points: step {s0} loss {l0:.6g} -> step {s1} loss {l1:.6g}")
    else:
        lines.append("  curve        no points")
    if final:
        lines.append(f"  loss         {_num(run.final_loss, '.6g')}")
        if run.accuracy is not None:
            lines.append(f"  accuracy     {run.accuracy:.0%}")
        if run.verdict:
            lines.append(f"  verdict      {run.verdict}")
        for key in ("targets", "outputs", "predictions"):
            if key in final:
                values = final[key]
                text = " ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in values) \
                    if isinstance(values, list) else str(values)
                lines.append(f"  {key:<12} {text}")
        for key, value in final.items():
            if key not in ("loss", "accuracy", "verdict", "targets", "outputs", "predictions"):
                lines.append(f"  {key:<12} {json.dumps(value) if not isinstance(value, str) else value}")
    if run.facts:
        lines.append("  facts        " + json.dumps(run.facts))
    if run.command:
        lines.append(f"  started by   {run.command}")
    lines.append("")
    lines.append("Reproduce with:")
    lines.append(f"  {reproduce}")
    click.echo("\n".join(lines))


def _export_record(run: RunRecord, curve: list[tuple[int, float]]) -> dict[str, Any]:
    record = run.as_dict()
    record["started"] = _iso(run.started_at)
    record["ended"] = _iso(run.ended_at)
    record["curve"] = {"step": [s for s, _ in curve], "loss": [loss for _, loss in curve]}
    return _finite(record)


@runs.command("export")
@store_option
@click.argument("run_ids", nargs=-1, metavar="[IDS]...")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="csv: curves in long format (run_id, step, loss); json: runs with their curves.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-", show_default=True,
              help="File to write ('-': standard output).")
def export_runs(store_path: str | None, run_ids: tuple[str, ...], fmt: str, out: str) -> None:
    """Export runs (all of them when no IDS are given) for notebooks and papers."""
    ids = [_parse_id(text) for text in run_ids]
    store = _reading(store_path)
    try:
        if ids:
            records = [_get(store, i) for i in ids]
        else:
            records = [] if store is None else store.list_runs(order_by="id", descending=False)
        curves = {r.id: store.curve(r.id) for r in records} if store is not None else {}
    except StoreError as exc:
        _fail(str(exc), EXIT_STORE_ERROR)
    finally:
        if store is not None:
            store.close()
    buffer = io.StringIO()
    if fmt == "csv":
        _write_csv(buffer, records, curves)
    else:
        document = {
            "format": "xortui-runs", "version": 1,
            "exported": datetime.now().astimezone().isoformat(timespec="seconds"),
            "runs": [_export_record(r, curves[r.id]) for r in records],
        }
        json.dump(document, buffer, indent=2, allow_nan=False)
        buffer.write("\n")
    if out == "-":
        click.echo(buffer.getvalue(), nl=False)
        return
    try:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}", EXIT_STORE_ERROR)
    points = sum(len(c) for c in curves.values())
    click.echo(f"Exported {len(records)} run(s), {points} point(s) to {out}.", err=True)


def _write_csv(handle: Any, records: Iterable[RunRecord], curves: dict[int, list[tuple[int, float]]]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(["run_id", "step", "loss"])
    for run in records:
        for step, loss in curves[run.id]:
            # repr: every digit, so the numbers read back exactly; NaN and inf as 'nan'/'inf', which csv
            # readers and pandas understand.
            writer.writerow([run.id, step, repr(loss)])


@runs.command("rm")
@store_option
@click.argument("run_ids", nargs=-1, required=True, metavar="ID...")
def remove_runs(store_path: str | None, run_ids: tuple[str, ...]) -> None:
    """Delete runs and their curves."""
    ids = [_parse_id(text) for text in run_ids]
    store = _reading(store_path)
    if store is None:
        _fail(f"no run with id {ids[0]}", EXIT_UNKNOWN_RUN)
    with store:
        for run_id in ids:  # check them all first: an unknown id deletes nothing
            _get(store, run_id)
        try:
            for run_id in ids:
                store.delete_run(run_id)
        except StoreError as exc:
            _fail(str(exc), EXIT_STORE_ERROR)
    click.echo("Deleted " + ", ".join(f"run {i}" for i in ids) + ".")
