"""The sweep screen: a grid of configurations times many seeds, trained in a thread worker, with progress, ETA
and a sortable results table. The same engine and parsers as `xortui sweep`."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from xortui.engine.config import ConfigError

MAX_SWEEP_SECONDS = 3600.0  # a longer sweep is refused here; `xortui sweep --max-hours` allows more

# (column key, title, format) as the CLI's table shows them
COLUMNS = (
    ("config", "#", "{}"), ("layers", "layers", "{}"), ("activation", "activation", "{}"),
    ("lr", "lr", "{:g}"), ("solved_fraction", "solved", "{:.0%}"), ("solve_step_median", "step p50", "{:,.0f}"),
    ("solve_step_iqr", "IQR", "{:,.0f}"), ("loss_p50", "loss p50", "{:.3g}"), ("loss_p90", "loss p90", "{:.3g}"),
    ("dead_unit_rate", "dead", "{:.0%}"),
)
FIELDS = (
    ("layers", "Layers", "2,2,1; 2,4,1", "layer lists, separated by ;"),
    ("activation", "Activations", "sigmoid, relu", "comma-separated"),
    ("lr", "LRs", "1", "comma-separated learning rates"),
    ("seeds", "Seeds", "100", "seeds 0..N-1 per configuration"),
    ("steps", "Steps", "3001", "steps per configuration"),
)


class SweepProgress(Message):
    def __init__(self, sweep_id: int, fraction: float, eta: float | None, row: dict | None) -> None:
        super().__init__()
        self.sweep_id, self.fraction, self.eta, self.row = sweep_id, fraction, eta, row


class SweepEnded(Message):
    def __init__(self, sweep_id: int, message: str, failed: bool = False) -> None:
        super().__init__()
        self.sweep_id, self.message, self.failed = sweep_id, message, failed


class SweepScreen(Screen):
    BINDINGS = [
        Binding("ctrl+r", "start", "Sweep", priority=True),
        Binding("ctrl+s", "stop", "Stop", priority=True),
        Binding("ctrl+o", "sort", "Sort", priority=True),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sweep_id = 0
        self.rows: list[dict] = []
        self.sort_index = 0  # into SORT_KEYS
        self.running = False

    SORT_KEYS = ("config", "solved_fraction", "solve_step_median", "loss_p50", "dead_unit_rate")

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-form"):
            for key, label, value, hint in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label, classes="label")
                    yield Input(value, id=f"sweep-{key}", compact=True, tooltip=hint)
            yield Static("", id="sweep-message")
            with Horizontal(id="sweep-progress-row"):
                yield ProgressBar(total=1.0, show_eta=False, id="sweep-progress")
                yield Label("", id="sweep-eta")
        yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)  # every key fits in 80 columns

    def on_mount(self) -> None:
        self.query_one("#sweep-form").border_title = "sweep: a grid x seeds"
        table = self.query_one(DataTable)
        table.border_title = "results (ctrl+o: sort)"
        for key, title, _ in COLUMNS:
            table.add_column(title, key=key)

    def _options(self) -> dict:
        value = lambda key: self.query_one(f"#sweep-{key}", Input).value  # noqa: E731
        return {
            "layers": [part for part in value("layers").split(";") if part.strip()],
            "activation": value("activation"),
            "lr": value("lr"),
            "steps": value("steps"),
            "seeds": value("seeds"),
        }

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#sweep-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    def action_start(self) -> None:
        from xortui.engine.sweep_text import plan_from_text

        try:
            plan = plan_from_text(self._options())
        except ConfigError as error:
            self._say(f"{error.field}: {error.message}", error=True)
            return
        self.sweep_id += 1
        self.rows = []
        self.query_one(DataTable).clear()
        self.query_one(ProgressBar).update(progress=0)
        self._say(f"{len(plan.configs)} configuration(s) x {len(plan.seeds)} seeds: estimating…")
        self.running = True
        self.sweep(self.sweep_id, plan)

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "sweep")

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(self.SORT_KEYS)
        self._fill()

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def sweep(self, sweep_id: int, plan) -> None:
        from xortui.engine.sweep import ConfigResult, estimate, run_sweep

        worker = get_current_worker()
        try:
            estimated = estimate(plan, max_seconds=MAX_SWEEP_SECONDS)
            self.post_message(SweepEnded(sweep_id, f"running: {estimated.describe()}"))
            last = 0.0
            rows = []
            state = "finished"
            for event in run_sweep(plan, estimated):
                if worker.is_cancelled:
                    state = "stopped"
                    break
                if isinstance(event, ConfigResult):
                    rows.append(event.as_row())
                    self.post_message(SweepProgress(sweep_id, -1, None, rows[-1]))
                elif time.monotonic() - last > 0.1:
                    last = time.monotonic()
                    self.post_message(SweepProgress(sweep_id, event.fraction, event.eta, None))
            self._record(plan, state, rows)
            self.post_message(SweepEnded(sweep_id, state))
        except ConfigError as error:
            self.post_message(SweepEnded(sweep_id, f"refused: {error.message}", failed=True))
        except Exception as error:  # shown, with its cause; the screen stays usable
            self.post_message(SweepEnded(sweep_id, f"{type(error).__name__}: {error}", failed=True))

    def _record(self, plan, state: str, rows: list[dict]) -> None:
        """Keep the sweep's table in the run store, when there is one (as `xortui sweep` does)."""
        from xortui.store import StoreError

        store = getattr(self.app, "store", None)
        if store is None:
            return
        try:
            sweep_id = store.begin_sweep(plan.configs[0].as_dict(), command="dashboard sweep")
            store.finish_sweep(sweep_id, state, rows)
        except StoreError as error:
            self.app.notify(f"sweep not recorded: {error}", severity="warning")

    def on_sweep_progress(self, message: SweepProgress) -> None:
        if message.sweep_id != self.sweep_id:
            return
        if message.row is not None:
            self.rows.append(message.row)
            self._fill()
            return
        from xortui.engine.sweep import format_seconds

        self.query_one(ProgressBar).update(progress=message.fraction)
        eta = "ETA ?" if message.eta is None else f"ETA {format_seconds(message.eta)}"
        self.query_one("#sweep-eta", Label).update(eta)

    def on_sweep_ended(self, message: SweepEnded) -> None:
        if message.sweep_id != self.sweep_id:
            return
        self._say(message.message, error=message.failed)
        if message.message in ("finished", "stopped") or message.failed:
            self.running = False
            if message.message == "finished":
                self.query_one(ProgressBar).update(progress=1.0)
                self.query_one("#sweep-eta", Label).update("done")

    def _fill(self) -> None:
        key = self.SORT_KEYS[self.sort_index]
        descending = key in ("solved_fraction", "dead_unit_rate")
        rows = sorted(self.rows, key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0))
        if descending:
            rows = sorted(rows, key=lambda r: (r[key] is None, -(r[key] or 0)))
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            table.add_row(*(_cell(row[k], fmt) for k, _, fmt in COLUMNS))
        table.border_title = f"results, by {key} (ctrl+o: sort)"


def _cell(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return fmt.format(value)
