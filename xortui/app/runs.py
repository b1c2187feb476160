"""The runs screen: every recorded run, newest first; filter, sort, mark several to overlay their loss curves and
compare their final truth tables, load one into the experiment panel, copy its reproduce command, delete runs.

It reads the run store (xortui.store: plain SQLite, small reads) on the UI thread. A store that is missing or
cannot be used is one line on the screen, never a traceback. No torch here: the dashboard imports this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Input, Static
from textual_plotext import PlotextPlot

from xortui.engine.config import OPTIMIZER_SETTINGS, ConfigError, ExperimentConfig
from xortui.engine.tasks import TASKS
from xortui.store import RUNNING, RunRecord, RunStore, StoreError, UnknownRunError, open_store_for_reading

MARK = "●"

# Each overlaid series differs from its neighbours in colour and in marker, so it can be told apart without colour.
# Colours as RGB, so the plot and the tables' headers show the same colour whatever the terminal's palette.
SERIES_STYLES = (
    ((0, 200, 220), "braille"),  # cyan
    ((235, 90, 205), "x"),  # magenta
    ((240, 170, 40), "+"),  # orange
    ((100, 210, 90), "dot"),  # green
    ((150, 150, 255), "*"),  # lavender
    ((240, 90, 80), "o"),  # red
)


def series_style(index: int) -> tuple[tuple[int, int, int], str]:
    return SERIES_STYLES[index % len(SERIES_STYLES)]


def rich_colour(rgb: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*rgb)

# (key, header, order_by for RunStore.list_runs): results come before the less telling columns, so the first
# screenful at 80 columns holds what one compares runs by.
COLUMNS = (
    ("id", "#", "id"),
    ("started", "started", "started"),
    ("task", "task", "task"),
    ("layers", "layers", "layers"),
    ("activation", "act", "activation"),
    ("lr", "lr", "lr"),
    ("loss", "loss", "final_loss"),
    ("accuracy", "acc", "accuracy"),
    ("verdict", "verdict", "verdict"),
    ("state", "state", "state"),
    ("steps", "steps", "steps"),
    ("seed", "seed", "seed"),
)
SORT_KEYS = {key: order_by for key, _, order_by in COLUMNS}
# Sorting a column in this set starts descending (newest, highest first); others start ascending.
DESCENDING_FIRST = {"id", "started", "accuracy", "steps"}

FILTER_DELAY_S = 0.15
FOLLOW_SECONDS = 1.0  # how often runs still training are read again
FOLLOW_ROWS = 50  # running runs followed in the list (the top rows: a store may hold many killed ones)
MAX_ROWS = 200  # rows shown at once: a DataTable of thousands takes seconds to build; the filter narrows them

CONFIG_KEYS = ("task", "activation", "head", "optimizer", "lr", "steps", "seed", "device", "log_every",
               *OPTIMIZER_SETTINGS)


def config_from_dict(stored: dict[str, Any]) -> ExperimentConfig:
    """The ExperimentConfig a stored config dict describes (ExperimentConfig.as_dict's keys; `layers` is the full
    list, inputs first and the output last). Unknown keys are ignored. Raises ConfigError for a bad value."""
    if not isinstance(stored, dict):
        raise ConfigError("config", "the stored configuration is not a mapping")
    values: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        if key in stored and stored[key] is not None:
            values[key] = stored[key]
    task = str(values.get("task", "xor"))
    if task not in TASKS:
        raise ConfigError("task", f"unknown task {task!r}")
    try:
        if "layers" in stored:
            layers = [int(n) for n in stored["layers"]]
            if len(layers) < 2:
                raise ConfigError("layers", "the stored layer list is too short")
            values["hidden"] = tuple(layers[1:-1])
        elif "hidden" in stored:
            values["hidden"] = tuple(int(n) for n in stored["hidden"])
        for key, kind in (("lr", float), ("steps", int), ("seed", int), ("log_every", int),
                          *((name, float) for name in OPTIMIZER_SETTINGS)):
            if key in values:
                values[key] = kind(values[key])
        for key in ("task", "activation", "head", "optimizer", "device"):
            if key in values:
                values[key] = str(values[key])
    except (TypeError, ValueError) as error:
        raise ConfigError("config", f"the stored configuration has a bad value ({error})") from None
    return ExperimentConfig(**values).validate()


def differing_keys(configs: list[dict[str, Any]], most: int = 2) -> list[str]:
    """Up to `most` config keys whose values differ between runs, chosen to tell the most runs apart (ties in a
    reading order): with runs differing in activation and lr, where two share an activation, lr comes first."""
    keys = [k for k in ("task", "activation", "layers", "lr", "seed", "steps", "optimizer", "head", "device")
            if len({repr(c.get(k)) for c in configs}) > 1]
    chosen: list[str] = []
    while keys and len(chosen) < most:
        def groups(key: str) -> int:
            return len({tuple(repr(c.get(k)) for k in (*chosen, key)) for c in configs})

        best = max(keys, key=groups)  # max keeps the first of equals: the reading order breaks ties
        chosen.append(best)
        keys.remove(best)
    return chosen


def short_value(key: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if key == "lr" and isinstance(value, (int, float)):
        return f"lr {value:g}"
    if key in ("seed", "steps"):
        return f"{key} {value}"
    return str(value)


def series_label(run: RunRecord, keys: list[str], width: int = 20) -> str:
    """'#3 relu 2,4,1': the run's id and up to two of the settings that differ between the compared runs."""
    label = " ".join([f"#{run.id}", *(short_value(k, run.config.get(k)) for k in keys[:2])])
    return label if len(label) <= width else label[: width - 1] + "…"


def thin(points: list[tuple[int, float]], n: int) -> tuple[list[int], list[float]]:
    """At most about `n` finite points, evenly strided, always keeping the last finite one."""
    finite = [(s, l) for s, l in points if isinstance(l, (int, float)) and math.isfinite(l)]
    if not finite:
        return [], []
    stride = max(1, math.ceil(len(finite) / max(n, 2)))
    kept = finite[::stride]
    if kept[-1] != finite[-1]:
        kept.append(finite[-1])
    return [s for s, _ in kept], [l for _, l in kept]


# ---------------------------------------------------------------------------------------------- widgets


@dataclass(frozen=True)
class Series:
    run_id: int
    label: str
    points: tuple[tuple[int, float], ...]


class RunsPlot(PlotextPlot):
    """Loss curves of several runs in one plot; each series has its own colour and marker, named in a legend."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.series: list[Series] = []

    def show(self, series: Iterable[Series]) -> None:
        self.series = list(series)
        self.replot()

    def render(self) -> RenderResult:
        if not any(s.points for s in self.series):
            message = "mark runs with space to compare their curves" if not self.series else "no curve recorded"
            return Text(message, style="dim", justify="center")
        return super().render()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        width = max(8, self.size.width)
        plotted = [(s, *thin(list(s.points), width)) for s in self.series]
        peak = max((max(losses) for _, _, losses in plotted if losses), default=None)
        low = min((min(losses) for _, _, losses in plotted if losses), default=None)
        if peak is not None and low is not None:
            # plotext draws the legend over the top left of the canvas, where loss curves start: leave the
            # legend's rows free above the highest point.
            rows = max(2, self.size.height - 4)  # canvas rows: less the frame and the tick labels
            legend = len([p for p in plotted if p[1]])
            free = min(legend, rows - 1)
            span = max(peak - low, 1e-9)
            plt.ylim(low, low + span * rows / max(rows - free - 0.5, 1))
        for index, (series, steps, losses) in enumerate(plotted):
            color, marker = series_style(index)
            if steps:
                plt.plot(steps, losses, marker=marker, color=color, label=series.label)
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


class CompareTables(VerticalScroll, can_focus=False):
    """The final truth tables of several runs side by side: one table per task, a column per run holding the
    output and the predicted class of each row; a wrong prediction is red and marked ✗. Each run's header has
    its curve's colour."""

    def show(self, runs: list[RunRecord]) -> None:
        self.remove_children()
        groups: dict[str, list[RunRecord]] = {}
        for run in runs:
            groups.setdefault(str(run.config.get("task", "xor")), []).append(run)
        tables = []
        for task_name, members in groups.items():
            task = TASKS.get(task_name)
            if task is None:
                continue
            table = DataTable(cursor_type="none", zebra_stripes=False, show_cursor=False, classes="compare")
            table.border_title = f"{task_name}: output pred"
            for i in range(task.n_inputs):
                table.add_column(f"x{i + 1}", key=f"x{i + 1}")
            table.add_column("t", key="t")
            for run in members:
                header = Text(f"#{run.id}", style=f"bold {rich_colour(series_style(runs.index(run))[0])}")
                table.add_column(header, key=f"r{run.id}")
            for i, (row, target) in enumerate(zip(task.inputs, task.targets)):
                cells: list[Any] = [*map(str, row), str(target)]
                for run in members:
                    cells.append(final_cell(run, i, target))
                table.add_row(*cells, key=str(i))
            tables.append(table)
        if tables:
            self.mount_all(tables)


def final_cell(run: RunRecord, row: int, target: int) -> Text:
    final = run.final or {}
    outputs, predictions = final.get("outputs") or (), final.get("predictions") or ()
    if row >= len(outputs) or row >= len(predictions):
        return Text("-", style="dim")
    output, prediction = outputs[row], predictions[row]
    shown = f"{output:.2f}" if isinstance(output, (int, float)) and math.isfinite(output) else "nan"
    if prediction == target:
        return Text(f"{shown} {prediction} ", style="green")
    return Text(f"{shown} {prediction}✗", style="bold red")


# ---------------------------------------------------------------------------------------------- screens


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or the Delete button answers yes, n, escape or Cancel answers no."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Delete") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button("Cancel (n)", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class RunsScreen(Screen[None]):
    """Past runs. Opened from the dashboard (f3); escape goes back."""

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark"),
        Binding("enter,l", "load", "Load", show=False),
        Binding("d,delete", "delete", "Delete"),
        Binding("s", "next_sort", "Sort"),
        Binding("r", "reverse_sort", "Reverse", show=False),
        Binding("c", "clear_marks", "Unmark", show=False),
        Binding("y", "copy_command", "Copy cmd", show=False),
        Binding("slash", "focus_filter", "Filter", show=False),
        Binding("escape,q", "close", "Back"),
    ]

    def __init__(self, store_path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store_path = store_path
        self.store: RunStore | None = None
        self.runs: list[RunRecord] = []
        self.marked: list[int] = []  # run ids, in the order they were marked
        self.sort_key = "started"
        self.descending = True
        self.store_error = ""  # why the store cannot be used, shown instead of the runs
        self.total = 0  # runs matching the filter (only the first MAX_ROWS are listed)
        self.compared: list[RunRecord] = []  # the runs in the plot and the tables
        self._filter_timer = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-bar"):
            yield Input(placeholder="filter: relu  lr=0.5  solved  parity", compact=True, id="runs-filter")
            yield Static("", id="runs-count")
        yield Static("", id="runs-message")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="runs-table")
        yield Static("", id="runs-reproduce")
        with Horizontal(id="runs-compare"):
            yield RunsPlot(id="runs-plot")
            yield CompareTables(id="runs-tables")
        yield Static(
            "[b]space[/] mark  [b]enter[/] load  [b]d[/] delete  [b]s[/]/[b]r[/] sort  [b]/[/] filter  "
            "[b]y[/] copy cmd  [b]esc[/] back",
            id="runs-keys",
        )

    def on_mount(self) -> None:
        self.query_one("#runs-plot").border_title = "loss"
        self.query_one("#runs-table", DataTable).focus()
        path = self.store_path if self.store_path is not None else getattr(self.app, "store_path", None)
        try:
            self.store = open_store_for_reading(path)
        except StoreError as error:
            self.store_error = str(error)
        self.reload()
        self.set_interval(FOLLOW_SECONDS, self.follow_running)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    # ------------------------------------------------------------------------------------------ showing

    def say(self, message: str) -> None:
        """One line under the filter (empty hides it)."""
        label = self.query_one("#runs-message", Static)
        label.update(Text(message))
        label.display = bool(message)

    def reload(self) -> None:
        """Read the runs again (filter, sort) and show them; the cursor stays on the same run."""
        table = self.query_one("#runs-table", DataTable)
        current = self.cursor_run()
        text = self.query_one("#runs-filter", Input).value
        self.runs = []
        total = 0
        if self.store is not None:
            try:
                found = self.store.list_runs(text_filter=text, order_by=SORT_KEYS[self.sort_key],
                                             descending=self.descending)
            except StoreError as error:
                self.store_error = str(error)
            else:
                total = len(found)
                self.runs = found[:MAX_ROWS]
        if self.store_error:
            self.say(self.store_error)
        elif not self.runs and not text.strip():
            self.say("no runs recorded yet: train one with ctrl+r, or `xortui run`")
        elif not self.runs:
            self.say("no run matches the filter")
        else:
            self.say("")
        present = {run.id for run in self.runs}
        table.clear(columns=True)
        table.add_column(MARK, key="mark", width=1)
        for key, header, _ in COLUMNS:
            if key == self.sort_key:
                header += "▼" if self.descending else "▲"
            table.add_column(header, key=key)
        for run in self.runs:
            table.add_row(*self.row_cells(run), key=str(run.id))
        if current is not None and current.id in present:
            table.move_cursor(row=table.get_row_index(str(current.id)), animate=False)
        self.total = total
        self.show_count()
        self.show_selection()

    def show_count(self) -> None:
        count = f"{self.total} run{'s' * (self.total != 1)}"
        if self.total > len(self.runs):
            count = f"first {len(self.runs)} of {count}"
        if self.marked:
            count += f" · {len(self.marked)} marked"
        self.query_one("#runs-count", Static).update(count)

    def row_cells(self, run: RunRecord) -> list[Any]:
        config = run.config
        loss, accuracy = run.final_loss, run.accuracy
        state_style = {"finished": "green", "running": "cyan", "stopped": "yellow", "interrupted": "yellow"}.get(
            run.state, "red")
        return [
            Text(MARK, style="bold magenta") if run.id in self.marked else "",
            Text(str(run.id), justify="right"),
            datetime.fromtimestamp(run.started_at).strftime("%m-%d %H:%M"),
            str(config.get("task", "-")),
            short_value("layers", config.get("layers", "-")),
            str(config.get("activation", "-")),
            Text(f"{config['lr']:g}" if isinstance(config.get("lr"), (int, float)) else "-", justify="right"),
            Text("-" if loss is None else ("nan" if math.isnan(loss) else f"{loss:.4g}"), justify="right"),
            Text("-" if accuracy is None else f"{accuracy:.0%}", justify="right"),
            (run.verdict or "-").split(" (")[0],  # "plateau (3/4 rows right)": acc already says how many
            Text(run.state, style=state_style),
            Text(str(config.get("steps", "-")), justify="right"),
            Text(str(config.get("seed", "-")), justify="right"),
        ]

    def cursor_run(self) -> RunRecord | None:
        table = self.query_one("#runs-table", DataTable)
        if not self.runs or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.runs) - 1)
        return self.runs[row]

    def marked_runs(self) -> list[RunRecord]:
        """The marked runs (read from the store: some may be hidden by the filter), in marking order."""
        runs = []
        for run_id in list(self.marked):
            try:
                runs.append(self.store.get_run(run_id))
            except UnknownRunError:
                self.marked.remove(run_id)
            except StoreError as error:
                self.store_error = str(error)
                self.say(self.store_error)
                break
        return runs

    def show_selection(self) -> None:
        """The reproduce line for the cursor's run; the overlay and tables for the marked runs (or, with none
        marked, the cursor's run)."""
        run = self.cursor_run()
        reproduce = self.query_one("#runs-reproduce", Static)
        if run is None:
            reproduce.update("")
        else:
            line = Text()
            line.append(f"#{run.id} ", style="bold")
            line.append(run.reproduce)
            reproduce.update(line)
        compared = self.marked_runs() if self.marked and self.store is not None else ([run] if run else [])
        self.show_compare(compared)

    def show_compare(self, runs: list[RunRecord]) -> None:
        self.compared = list(runs)
        plot = self.query_one(RunsPlot)
        keys = differing_keys([r.config for r in runs])
        series = []
        for run in runs:
            try:
                points = tuple(self.store.curve(run.id)) if self.store is not None else ()
            except UnknownRunError:  # deleted meanwhile, by another xortui
                points = ()
            except StoreError as error:
                self.store_error = str(error)
                self.say(self.store_error)
                points = ()
            series.append(Series(run.id, series_label(run, keys), points))
        plot.border_title = (f"loss · {len(runs)} marked" if self.marked else "loss") + " · by step"
        plot.show(series)
        self.query_one(CompareTables).show(runs)

    def follow_running(self) -> None:
        """Once a second: runs still training (in this dashboard or another xortui) move on screen, their rows
        and, when they are compared, their curves and tables. A run whose curve has not grown costs one read."""
        if self.store is None or self.store_error:
            return
        table = self.query_one("#runs-table", DataTable)
        keys = ["mark", *(key for key, _, _ in COLUMNS)]
        fresh: dict[int, RunRecord] = {}
        watched = {run.id: run for run in self.runs[:FOLLOW_ROWS] if run.state == RUNNING}
        watched.update({run.id: run for run in self.compared if run.state == RUNNING})
        for run_id, old in watched.items():
            try:
                new = self.store.get_run(run_id)
            except UnknownRunError:
                continue
            except StoreError:
                return
            if (new.state, new.n_points) != (old.state, old.n_points):
                fresh[run_id] = new
        if not fresh:
            return
        for index, run in enumerate(self.runs):
            if run.id in fresh:
                self.runs[index] = fresh[run.id]
                for key, cell in zip(keys, self.row_cells(fresh[run.id])):
                    table.update_cell(str(run.id), key, cell)
        if any(run.id in fresh for run in self.compared):
            self.show_selection()

    # ------------------------------------------------------------------------------------------ events

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "runs-filter":
            event.stop()
            # typing fast reads the store once, when the typing pauses
            if self._filter_timer is not None:
                self._filter_timer.stop()
            self._filter_timer = self.set_timer(FILTER_DELAY_S, self.reload)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "runs-filter":
            event.stop()
            self.query_one("#runs-table", DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs-table":
            self.show_selection()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "runs-table":
            event.stop()
            self.action_load()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table.id != "runs-table":
            return
        event.stop()
        key = event.column_key.value
        if key not in SORT_KEYS:
            return
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, key in DESCENDING_FIRST
        self.reload()

    # ------------------------------------------------------------------------------------------ actions

    def action_toggle_mark(self) -> None:
        run = self.cursor_run()
        if run is None:
            return
        if run.id in self.marked:
            self.marked.remove(run.id)
        else:
            self.marked.append(run.id)
        table = self.query_one("#runs-table", DataTable)
        table.update_cell(str(run.id), "mark", Text(MARK, style="bold magenta") if run.id in self.marked else "")
        self.show_count()
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1, animate=False)  # mark a few in a row by holding space
        self.show_selection()

    def action_clear_marks(self) -> None:
        self.marked.clear()
        self.reload()

    def action_next_sort(self) -> None:
        keys = [key for key, _, _ in COLUMNS]
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self.descending = self.sort_key in DESCENDING_FIRST
        self.reload()

    def action_reverse_sort(self) -> None:
        self.descending = not self.descending
        self.reload()

    def action_focus_filter(self) -> None:
        self.query_one("#runs-filter", Input).focus()

    def action_copy_command(self) -> None:
        run = self.cursor_run()
        if run is not None:
            self.app.copy_to_clipboard(run.reproduce)
            self.notify("reproduce command copied (where the terminal allows)", timeout=3)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_load(self) -> None:
        """Put the cursor's run's configuration in the experiment panel and go back to the dashboard."""
        run = self.cursor_run()
        if run is None:
            return
        try:
            config = config_from_dict(run.config)
        except ConfigError as error:
            self.notify(f"run #{run.id} cannot be loaded: {error.message}", severity="error", timeout=6)
            return
        from xortui.app.panel import ExperimentPanel

        panels = self.app.screen_stack[0].query(ExperimentPanel)
        if not panels:
            self.notify("no experiment panel to load into", severity="error", timeout=4)
            return
        try:
            panels.first().load(config)
        except Exception as error:  # a value the panel's pickers do not offer (a run from another version)
            self.notify(f"run #{run.id} cannot be loaded: {error}", severity="error", timeout=6)
            return
        self.dismiss(None)
        self.app.notify(f"run #{run.id} loaded into the panel: ctrl+r runs it again", timeout=4)

    def action_delete(self) -> None:
        """Delete the marked runs, or with none marked the cursor's run, after a yes/no question."""
        if self.store is None:
            return
        if self.marked:
            ids = list(self.marked)
        else:
            run = self.cursor_run()
            if run is None:
                return
            ids = [run.id]
        names = ", ".join(f"#{i}" for i in ids)
        question = (f"Delete run {names}?" if len(ids) == 1 else f"Delete {len(ids)} marked runs ({names})?")
        question += ("\nIts curve and results are" if len(ids) == 1 else "\nTheir curves and results are") + (
            " removed from the store for good.")
        running = [run.id for run in self.runs if run.id in ids and run.state == "running"]
        if running:
            question += ("\n" + ", ".join(f"#{i}" for i in running) + " is still running (or its xortui was"
                         " killed): a run still training stops being recorded.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_runs(ids)

        self.app.push_screen(ConfirmScreen(question), answered)

    def delete_runs(self, ids: list[int]) -> None:
        deleted = 0
        for run_id in ids:
            try:
                self.store.delete_run(run_id)
                deleted += 1
            except UnknownRunError:
                pass
            except StoreError as error:  # e.g. a read-only store: the runs stay, and the user is told why
                self.notify(str(error), title="not deleted", severity="error", timeout=8)
                break
            if run_id in self.marked:
                self.marked.remove(run_id)
        self.reload()
        if deleted:
            self.notify(f"deleted {deleted} run{'s' * (deleted != 1)}", timeout=3)
