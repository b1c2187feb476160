"""The dashboard's displays: loss plot, truth table, status line. They show snapshots; they never train."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import RenderResult
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from xortui.engine.curve import Curve
from xortui.engine.tasks import Task

if TYPE_CHECKING:
    from xortui.engine.training import Snapshot

LN2 = math.log(2)
LOG_FLOOR = 1e-12  # plotext cannot take log(0)
PLOT_LIMIT = 1e30  # plotext overflows on values near the float maximum
REDRAW_SECONDS = 0.25  # the loss plot redraws at most four times a second while a run streams in ...
PLOT_SHARE = 0.1  # ... and less often when its renders would take more than about a tenth of a core ...
SLOWEST_REDRAW_SECONDS = 1.0  # ... but at least once a second


class LossPlot(PlotextPlot):
    """Loss against step, thinned to a few points per column; a line marks ln 2, where XOR stalls.

    Never raises, whatever it is fed: non-finite losses (and ones too large for plotext) are left out and counted
    in the border subtitle; on a log axis, losses <= 0 are drawn at LOG_FLOOR and counted; if plotext still fails,
    the widget says so in words. The data is handed to plotext afresh at every render: plotext's build is not
    idempotent on a log axis (it rescales its stored data in place, so a second build took log of a log)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.curve = Curve()
        self.log_y = False
        self.hidden_steps = 0  # losses left out of the plot: non-finite, or beyond PLOT_LIMIT
        self._drawn_at = 0.0  # time.monotonic() of the last replot
        self._render_seconds = 0.0  # how long the last render took (plotext's build and its text)
        self._redraw_due = False  # a replot is scheduled

    def clear(self) -> None:
        self.curve.clear()
        self.hidden_steps = 0
        self.replot()

    def add_points(self, points: tuple[tuple[int, float], ...], now: bool = False) -> None:
        """Add to the curve and redraw: at once when `now` (a run's last points), else at most every
        REDRAW_SECONDS. plotext's build is the UI thread's largest cost, and the UI thread shares the GIL with
        training."""
        for step, loss in points:
            if math.isfinite(loss) and abs(loss) <= PLOT_LIMIT:
                self.curve.add(step, loss)
            else:
                self.hidden_steps += 1
        wait = self.redraw_seconds() - (time.monotonic() - self._drawn_at)
        if now or wait <= 0:
            self.replot()
        elif not self._redraw_due:
            self._redraw_due = True
            self.set_timer(wait, self.replot)

    def redraw_seconds(self) -> float:
        """The time between redraws while a run streams in: plotext's cost grows with the plot's area (about 8 ms
        at 80x24, 17 ms at 120x40, 48 ms at 200x60 on a 2-core machine, and Textual's own drawing of the result
        about doubles it), and the UI thread's time is taken from training's (they share the GIL)."""
        return min(SLOWEST_REDRAW_SECONDS, max(REDRAW_SECONDS, 2 * self._render_seconds / PLOT_SHARE))

    def toggle_log_y(self) -> None:
        self.log_y = not self.log_y
        self.replot()

    def notes(self) -> list[str]:
        notes = []
        if self.hidden_steps:
            s = "s" if self.hidden_steps > 1 else ""
            notes.append(f"{self.hidden_steps:,} non-finite point{s} hidden")
        if self.log_y:
            floored = sum(1 for loss in self.curve.losses if loss <= LOG_FLOOR)
            if floored:
                notes.append(f"{floored:,} at or below 0 drawn at {LOG_FLOOR:g}")
        return notes

    def render(self) -> RenderResult:
        if not len(self.curve):
            why = "; ".join(self.notes()) or "no data yet: press ctrl+r to train"
            return Text(why, style="dim", justify="center")
        try:
            began = time.perf_counter()
            self._draw()
            rendered = super().render()
            self._render_seconds = time.perf_counter() - began
            return rendered
        except Exception as error:  # plotext has more corner cases than we know of: say so, don't crash
            self.log.error("loss plot failed", error)
            return Text(f"loss plot unavailable: {type(error).__name__}: {error}", style="dim", justify="center")

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title("loss" + (" (log y)" if self.log_y else "") + ", ─ ln 2")
        plt.xlabel("step")
        plt.yscale("log" if self.log_y else "linear")
        steps, losses = self.curve.thinned(max(8, 2 * self.size.width))
        if self.log_y:
            losses = [max(loss, LOG_FLOOR) for loss in losses]
        plt.hline(LN2, color="gray")
        plt.plot(steps, losses, marker="braille", color="cyan")

    def replot(self) -> None:
        self._drawn_at = time.monotonic()
        self._redraw_due = False
        self.border_subtitle = "; ".join(self.notes())
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


class TruthTable(DataTable):
    """Each row of the task with the network's output, its predicted class and a right/wrong mark. With the softmax
    head, both class probabilities (p0, p1) in place of the one output."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="none", zebra_stripes=False, **kwargs)
        self.shown_task: Task | None = None
        self.softmax = False

    def show_task(self, task: Task, head: str = "sigmoid") -> None:
        self.shown_task = task
        self.softmax = head == "softmax"
        self.clear(columns=True)
        for i in range(task.n_inputs):
            self.add_column(f"x{i + 1}", key=f"x{i + 1}")
        wide = task.n_inputs >= 5  # short headers, so 5- and 6-bit rows fit an 80-column terminal
        self.add_column("y" if wide else "target", key="target")
        if self.softmax:
            self.add_column("p0", key="p0", width=6 if wide else 8)
            self.add_column("p1", key="p1", width=6 if wide else 8)
        else:
            self.add_column("output", key="output", width=8 if wide else 9)
        self.add_column("ŷ" if wide else "pred", key="pred")
        self.add_column("", key="mark", width=1 if wide else 3)
        blanks = ("-", "-") if self.softmax else ("-",)
        for i, (row, target) in enumerate(zip(task.inputs, task.targets)):
            self.add_row(*map(str, row), str(target), *blanks, "-", "", key=str(i))
        self.border_subtitle = "accuracy -"

    def show(self, snapshot: "Snapshot") -> None:
        softmax = bool(snapshot.probabilities)
        if softmax != self.softmax and self.shown_task is not None:  # the run's head differs from the table's columns
            self.show_task(self.shown_task, "softmax" if softmax else "sigmoid")
        digits = 4 if self.shown_task is not None and self.shown_task.n_inputs >= 5 else 6
        for i, (output, prediction, right) in enumerate(
            zip(snapshot.outputs, snapshot.predictions, snapshot.correct)
        ):
            if softmax:
                for key, p in zip(("p0", "p1"), snapshot.probabilities[i]):
                    self.update_cell(str(i), key, f"{p:.{digits}f}" if math.isfinite(p) else "nan")
            else:
                self.update_cell(str(i), "output", f"{output:.6f}" if math.isfinite(output) else "nan")
            self.update_cell(str(i), "pred", str(prediction))
            mark = Text("✓", style="bold green") if right else Text("✗", style="bold red")
            self.update_cell(str(i), "mark", mark)
        right = sum(snapshot.correct)
        verdict = snapshot.verdict.split(" (")[0]  # the rows right are already in the subtitle
        self.border_subtitle = f"accuracy {right}/{len(snapshot.correct)} = {snapshot.accuracy:.0%}" + (
            f" · {verdict}" if verdict else ""
        )


class StatusLine(Static):
    """Run state, device, step / total, loss, speed and elapsed time, on one line."""

    STATE_STYLES = {
        "idle": "dim",
        "loading": "yellow",
        "running": "bold cyan",
        "stopped": "bold yellow",
        "finished": "bold green",
        "diverged": "bold red",
        "failed": "bold red",
    }

    def show(self, state: str, snapshot: "Snapshot | None" = None, note: str = "") -> None:
        text = Text()
        text.append(f"● {state}", style=self.STATE_STYLES.get(state, ""))
        if snapshot is not None:
            minutes, seconds = divmod(snapshot.elapsed, 60)
            parts = [
                snapshot.device,
                f"{snapshot.step:,}/{snapshot.steps:,}",
                f"loss {snapshot.loss:.4g}",
                f"{snapshot.steps_per_second:,.0f}/s",
                f"{int(minutes)}:{seconds:04.1f}",
            ]
            for part in parts:
                text.append(" │ ", style="dim")
                text.append(part)
        if note:
            text.append(" │ ", style="dim")
            text.append(note, style="italic")
        self.update(text, layout=False)  # one line, always: no need to lay the screen out again
