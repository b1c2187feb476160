"""Inside the network, live: dead units per hidden layer and the gradient norm of every layer.

Shows what a snapshot carries (`Snapshot.dead`, `.widths`, `.grad_norms`); it computes nothing. A layer with dead
units is red and marked with ✗, so it reads without colour too. The gradient bar is on a log scale (one cell per
decade from 1e-8 to 1), so a deep sigmoid stack's vanishing early-layer gradients show as short bars.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from xortui.engine.training import Snapshot

BAR_CELLS = 8  # decades shown: 1e-8 .. 1
MAX_LAYER_LINES = 4  # deeper networks show their first and last layers and a line for the rest
SHORT_TERMINAL = 30  # below this many rows, at most 3 lines: first layer, the rest in one line, output layer


def grad_bar(norm: float) -> str:
    if not math.isfinite(norm):
        return "?" * BAR_CELLS
    filled = 0 if norm <= 0 else max(0, min(BAR_CELLS, math.ceil(math.log10(norm)) + BAR_CELLS))
    return "█" * filled + "·" * (BAR_CELLS - filled)


def layer_lines(snapshot: "Snapshot") -> list[Text]:
    """One line per Linear layer: hidden ones with their dead units, then the output layer."""
    lines: list[Text] = []
    for i, norm in enumerate(snapshot.grad_norms):
        line = Text()
        if i < len(snapshot.widths):
            dead, width = snapshot.dead[i], snapshot.widths[i]
            label = f"L{i + 1:<3}dead {dead}/{width}"
            line.append(label.ljust(17), style="bold red" if dead else "")
            line.append("✗ " if dead else "  ", style="bold red")
        else:
            line.append("out".ljust(19), style="dim")
        line.append(f"|grad| {norm:.1e} " if math.isfinite(norm) else "|grad|     nan ")
        line.append(grad_bar(norm), style="cyan")
        lines.append(line)
    return lines


def squeeze(lines: list[Text], snapshot: "Snapshot", room: int) -> list[Text]:
    """At most `room` lines: the first and last layers' own lines, the hidden layers between them in one."""
    if len(lines) <= room:
        return lines
    head = (room - 1) // 2
    tail = room - 1 - head  # the output layer's line is the last of these
    first, last = head + 1, len(lines) - tail  # 1-based numbers of the hidden layers folded into one line
    dead = sum(snapshot.dead[first - 1:last])
    units = sum(snapshot.widths[first - 1:last])
    middle = Text(
        f"L{first}-L{last}: {last - first + 1} layers, dead {dead}/{units}" + (" ✗" if dead else ""),
        style="bold red" if dead else "dim",
    )
    return lines[:head] + [middle] + lines[len(lines) - tail:]


class InsideView(Static):
    """Per layer: 'L1  dead 3/10 ✗ |grad| 1.2e-04 ████····'."""

    _lines = 0  # lines shown now

    def clear(self) -> None:
        self._lines = 1
        self.update(Text("dead units and gradients, per layer", style="dim"))

    def on_mount(self) -> None:
        self.clear()

    def show(self, snapshot: "Snapshot") -> None:
        room = MAX_LAYER_LINES + 1 if self.app.size.height >= SHORT_TERMINAL else 3
        lines = squeeze(layer_lines(snapshot), snapshot, room)
        # Laying the screen out again costs the UI thread more than drawing; only a new line count needs it.
        self.update(Text("\n").join(lines), layout=len(lines) != self._lines)
        self._lines = len(lines)
        self.border_subtitle = f"dead {sum(snapshot.dead)}/{sum(snapshot.widths)}" if snapshot.widths else ""
