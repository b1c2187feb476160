"""The dashboard's displays: loss plot, truth table, status line. They show snapshots; they never train."""

from __future__ import annotations

import math
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


class LossPlot(PlotextPlot):
    """Loss against step, thinned to a few points per column; a dotted line marks ln 2, where XOR stalls."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.curve = Curve()
        self.log_y = False
        self.hidden_steps = 0  # non-finite losses left out of the plot

    def clear(self) -> None:
        self.curve.clear()
        self.hidden_steps = 0
        self.replot()

    def add_points(self, points: tuple[tuple[int, float], ...]) -> None:
        for step, loss in points:
            if math.isfinite(loss):
                self.curve.add(step, loss)
            else:
                self.hidden_steps += 1
        self.replot()

    def toggle_log_y(self) -> None:
        self.log_y = not self.log_y
        self.replot()

    def render(self) -> RenderResult:
        if not len(self.curve):
            return Text("no data yet: press ctrl+r to train", style="dim", justify="center")
        return super().render()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.title("loss" + (" (log y)" if self.log_y else ""))
        plt.xlabel("step")
        plt.yscale("log" if self.log_y else "linear")
        steps, losses = self.curve.thinned(max(8, 2 * self.size.width))
        if steps:
            if self.log_y:
                losses = [max(loss, LOG_FLOOR) for loss in losses]
            plt.hline(LN2, color="gray")
            plt.plot(steps, losses, marker="braille", color="cyan")
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


class TruthTable(DataTable):
    """Each row of the task with the network's output, its predicted class and a right/wrong mark."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="none", zebra_stripes=False, **kwargs)

    def show_task(self, task: Task) -> None:
        self.clear(columns=True)
        for i in range(task.n_inputs):
            self.add_column(f"x{i + 1}", key=f"x{i + 1}")
        self.add_column("target", key="target")
        self.add_column("output", key="output", width=9)
        self.add_column("pred", key="pred")
        self.add_column("", key="mark", width=3)
        for i, (row, target) in enumerate(zip(task.inputs, task.targets)):
            self.add_row(*map(str, row), str(target), "-", "-", "", key=str(i))
        self.border_subtitle = "accuracy -"

    def show(self, snapshot: "Snapshot") -> None:
        for i, (output, prediction, right) in enumerate(
            zip(snapshot.outputs, snapshot.predictions, snapshot.correct)
        ):
            self.update_cell(str(i), "output", f"{output:.6f}" if math.isfinite(output) else "nan")
            self.update_cell(str(i), "pred", str(prediction))
            mark = Text("✓", style="bold green") if right else Text("✗", style="bold red")
            self.update_cell(str(i), "mark", mark)
        right = sum(snapshot.correct)
        self.border_subtitle = f"accuracy {right}/{len(snapshot.correct)} = {snapshot.accuracy:.0%}"


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
        self.update(text)
