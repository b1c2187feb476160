"""Below the dashboard's minimum size, one centred line takes its place; the layout comes back on resize.

Only hidden, never removed: a run goes on training and its widgets keep receiving its progress, so nothing is
lost while the terminal is small.

The minimum, measured in tmux with a finished xor-nn run: the experiment panel is 34 columns at its narrowest; the
results column needs 38 more for the truth table with its right/wrong marks (72 in all). At 24 rows the loss plot
shows four rows of curve beside the inside view and the truth table; at 22 it is down to one, at 20 the panel's
fields begin to scroll.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 72, 24
HIDDEN_WHEN_SMALL = ("#main", "#status", "Footer")


class TooSmall(Static):
    DEFAULT_CSS = """
    TooSmall {
        display: none;
        width: 1fr;
        height: 1fr;
        content-align: center middle;
        text-align: center;
        text-style: bold;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._focus_before = None

    def on_mount(self) -> None:
        self.fit(self.app.size)

    def fit(self, size: Size) -> bool:
        """Show the notice instead of the dashboard when `size` is below the minimum; True when it is."""
        small = size.width < MIN_WIDTH or size.height < MIN_HEIGHT
        if small:
            self.update(
                f"terminal too small: needs {MIN_WIDTH} x {MIN_HEIGHT}\n"
                f"(now {size.width} x {size.height})\n"
                "training goes on · ctrl+q quits"
            )
        if small == self.display:
            return small
        screen = self.screen
        if small:
            self._focus_before = self.app.focused
        for selector in HIDDEN_WHEN_SMALL:
            for widget in screen.query(selector):
                widget.display = not small
        self.display = small
        if not small and self._focus_before is not None and self._focus_before.is_attached:
            self.app.set_focus(self._focus_before)
        return small
