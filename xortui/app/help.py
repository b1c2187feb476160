"""The help screen: keys, and every field with its limits (from the engine's field specs)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from xortui.app.toosmall import MIN_HEIGHT, MIN_WIDTH
from xortui.engine.config import FIELDS

KEYS = (
    ("ctrl+r / enter", "start a run with the panel's values (restarts a running one)"),
    ("ctrl+s", "stop the run; its curve and table stay"),
    ("ctrl+n", "reset: clear the curve and table"),
    ("ctrl+l", "loss plot: toggle log y"),
    ("tab / shift+tab", "move between fields; enter opens a picker"),
    ("f1 / ?", "this help"),
    ("f2", "activation lab: f(x) and f'(x) of each activation, where it saturates or dies; a softmax calculator"),
    ("f3", "runs: past runs; filter, sort, mark several (space) to overlay curves, load one (enter), delete (d)"),
    ("f4", "sweep: a grid of configurations x many seeds, how often each solves its task (ctrl+o sorts)"),
    ("f6", "use the CPU (offered when the device is cuda and this torch has no CUDA)"),
    ("ctrl+q / q", "quit (q when not typing in a field)"),
)

LIMITS = (
    ("diverged", "a run whose numbers blow up stops with 'diverged at step N': a NaN or infinite loss or weight, "
                 "or outputs pinned at the wrong 0/1 with no gradient left (a learning rate of 100 does this); "
                 "its curve up to step N stays"),
    ("saturated", "an output pinned at the wrong end, its loss term at BCE's clamp (100): shown in the status "
                  "line; not progress"),
    ("plot", "non-finite losses are left out of the loss plot and counted under it"),
    ("terminal", f"at least {MIN_WIDTH} x {MIN_HEIGHT}; smaller, a notice takes the dashboard's place and "
                 "training goes on"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "app.pop_screen", "Close", show=True)]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        for key, what in KEYS:
            keys.add_row(f"[bold]{key}[/]", what)
        fields = Table.grid(padding=(0, 2))
        for spec in FIELDS.values():
            fields.add_row(f"[bold]{spec.label}[/]", spec.help)
        with VerticalScroll(id="help-body"):
            yield Static("[b]xortui[/b]: train a small network on a truth table and watch it learn.\n")
            yield Static("[b u]Keys[/]")
            yield Static(keys)
            yield Static("\n[b u]Fields[/]")
            yield Static(fields)
            limits = Table.grid(padding=(0, 2))
            for name, what in LIMITS:
                limits.add_row(f"[bold]{name}[/]", what)
            yield Static("\n[b u]Limits[/]")
            yield Static(limits)
            yield Static("\n[dim]escape closes this help[/]")
