"""`xortui sweep`: how often does a configuration solve its task? A grid of configurations times many seeds."""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import click

from xortui.cli_runs import no_store_option, store_option
from xortui.engine.config import FIELDS, ConfigError
from xortui.engine.sweep_text import plan_from_text

SORTABLE = ("config", "solved_fraction", "solve_step_median", "loss_p50", "dead_unit_rate", "lr", "layers")
SHOWN = (
    ("config", "#", "{}"), ("task", "task", "{}"), ("layers", "layers", "{}"), ("activation", "activation", "{}"),
    ("optimizer", "opt", "{}"), ("lr", "lr", "{:g}"), ("solved_fraction", "solved", "{:.0%}"),
    ("solve_step_median", "step p50", "{:,.0f}"), ("solve_step_iqr", "IQR", "{:,.0f}"),
    ("loss_p10", "loss p10", "{:.3g}"), ("loss_p50", "loss p50", "{:.3g}"), ("loss_p90", "loss p90", "{:.3g}"),
    ("dead_unit_rate", "dead", "{:.0%}"),
)


def build_plan(options: dict, seeds: str):
    """The sweep plan from the options, with errors as click's (named option, exit code 2)."""
    from xortui.cli import bad_option

    try:
        return plan_from_text({**options, "seeds": seeds})
    except ConfigError as error:
        raise bad_option(error) from None


@click.command()
@click.option("--preset", default=None, help="base configuration (default xor-nn); the grid varies it")
@click.option("--layers", multiple=True, metavar="LIST", help="a layer list; repeat for several, e.g. --layers 2,2,1 --layers 2,4,1")
@click.option("--activation", metavar="A,B,..", help="activations to try, comma-separated")
@click.option("--lr", metavar="R,S,..", help="learning rates to try, comma-separated")
@click.option("--task", metavar="T,U,..", help="tasks to try, comma-separated")
@click.option("--optimizer", metavar="O,..", help="optimizers to try, comma-separated")
@click.option("--steps", metavar="N", help=FIELDS["steps"].help)
@click.option("--log-every", "log_every", metavar="N", help="look for 'solved' every N steps")
@click.option("--device", metavar="NAME", help=FIELDS["device"].help)
@click.option("--seeds", default="100", show_default=True, metavar="N", help="seeds 0..N-1 per configuration")
@click.option("--sort", type=click.Choice(SORTABLE), default="config", show_default=True, help="order of the table")
@click.option("--out", type=click.Path(dir_okay=False), help="also write the table: .csv or .json by extension")
@click.option("--json", "as_json", is_flag=True, help="print the table as JSON instead of text")
@click.option("--max-hours", type=float, default=1.0, show_default=True,
              help="refuse a sweep estimated to take longer than this")
@store_option
@no_store_option
def sweep(seeds: str, sort: str, out: str | None, as_json: bool, max_hours: float, store_path: str | None,
          no_store: bool, **options) -> None:
    """Train every configuration of a grid with many seeds at once and report how often each solves its task.

    Per configuration: solved fraction (every row right and loss < 0.05), median and IQR of the step it was
    solved at, final-loss quantiles, dead-unit rate. Memory and time are estimated first; a sweep that would not
    fit is refused.
    """
    from xortui.cli import bad_option
    from xortui.engine.sweep import COLUMNS, ConfigResult, SweepTooBig, estimate, format_seconds, rows, run_sweep
    from xortui.store import try_open_store

    if out and Path(out).suffix.lower() not in (".csv", ".json"):
        raise click.BadParameter("must end in .csv or .json", param_hint="'--out'")
    if out and not Path(out).resolve().parent.is_dir():  # found out now, not after the sweep has run
        raise click.BadParameter(f"folder {Path(out).resolve().parent} does not exist", param_hint="'--out'")
    if not 0 < max_hours:
        raise click.BadParameter(f"must be above 0 (got {max_hours:g})", param_hint="'--max-hours'")
    plan = build_plan(options, seeds)
    show_bar = sys.stderr.isatty()
    if show_bar:  # a person waits for the estimate (seconds for a million seeds); a script gets only the result
        click.echo(f"# {len(plan.configs)} configuration(s) x {len(plan.seeds):,} seeds: estimating…\r", err=True,
                   nl=False)
    try:
        estimated = estimate(plan, max_seconds=max_hours * 3600)
    except SweepTooBig as error:
        raise click.UsageError(f"sweep refused: {error.message}") from None
    except ConfigError as error:
        raise bad_option(error) from None
    click.echo(
        f"# {len(plan.configs)} configuration(s) x {len(plan.seeds)} seeds, {estimated.describe()}", err=True
    )
    results = []
    interrupted = False
    try:
        for event in run_sweep(plan, estimated):
            if isinstance(event, ConfigResult):
                results.append(event)
            elif show_bar:
                filled = int(30 * event.fraction)
                eta = "?" if event.eta is None else format_seconds(event.eta)
                click.echo(f"\r[{'#' * filled}{'.' * (30 - filled)}] {event.fraction:4.0%} ETA {eta}   ", err=True,
                           nl=False)
    except KeyboardInterrupt:
        interrupted = True
    if show_bar:
        click.echo(err=True)
    table = rows(results)
    key = lambda row: (row[sort] is None, row[sort] if row[sort] is not None else 0)  # noqa: E731
    table.sort(key=key, reverse=sort not in ("config", "layers", "lr"))
    table.sort(key=lambda row: row[sort] is None)  # missing values last either way
    if out:
        _write(out, table, list(COLUMNS))
    if not no_store:
        store, error = try_open_store(store_path)
        if error is not None:
            click.echo(f"# not recording: {error}", err=True)
        else:
            sweep_id = store.begin_sweep(plan.configs[0].as_dict(), command=" ".join(["xortui", *sys.argv[1:]]))
            store.finish_sweep(sweep_id, "stopped" if interrupted else "finished", table)
    if as_json:
        click.echo(json.dumps(table))
    else:
        _print_table(table)
    if interrupted:
        sys.exit(130)


def _cell(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value)


def _print_table(table: list[dict]) -> None:
    header = [title for _, title, _ in SHOWN]
    body = [[_cell(row[key], fmt) for key, _, fmt in SHOWN] for row in table]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for r in [header, *body]:
        click.echo("  ".join(cell.rjust(w) for cell, w in zip(r, widths)))


def _write(path: str, table: list[dict], columns: list[str]) -> None:
    target = Path(path)
    if target.suffix.lower() == ".json":
        target.write_text(json.dumps(table, indent=1))
        return
    with target.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(table)
