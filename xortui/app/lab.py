"""The activation lab (f2): an activation's f(x) and f'(x) over [-5, 5], where it saturates or is dead, and a
softmax calculator.

The numbers come from the engine (`activations_math`: the kernel's own functions, differentiated by autograd),
computed in a thread so that opening the lab before torch has loaded does not freeze the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Select, Static
from textual_plotext import PlotextPlot

from xortui.engine.activations import ACTIVATIONS

LOW, HIGH, POINTS = -5.0, 5.0, 201
BAR_WIDTH = 30
LECTURE_VECTOR = "1, 2, 3"


class CurvePlot(PlotextPlot):
    """f and f' of one activation; told apart by marker (• and x) as well as colour, with a legend."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.xs: list[float] = []
        self.f: list[float] = []
        self.df: list[float] = []
        self.name_shown = ""

    def show(self, name: str, xs: list[float], f: list[float], df: list[float]) -> None:
        self.name_shown, self.xs, self.f, self.df = name, xs, f, df
        self.replot()

    def replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        if self.xs:
            plt.title(self.name_shown)
            plt.xlabel("x")
            plt.hline(0.0, color="gray")
            plt.plot(self.xs, self.f, marker="dot", color="cyan", label="f(x)")
            plt.plot(self.xs, self.df, marker="x", color="orange", label="f'(x)")
        self.refresh()

    def on_resize(self) -> None:
        self.replot()


def softmax_lines(values: list[float], probabilities: list[float]) -> Text:
    """One line per entry: its z, its probability to 4 decimals, and a bar."""
    text = Text()
    width = max(len(f"{v:g}") for v in values)
    for i, (z, p) in enumerate(zip(values, probabilities)):
        if i:
            text.append("\n")
        text.append(f"z = {z:>{width}g}  ")
        text.append(f"{p:.4f}  ", style="bold")
        cells = round(p * BAR_WIDTH)
        text.append("█" * cells, style="green")
        text.append("·" * (BAR_WIDTH - cells), style="dim")
        text.append(f" {p:.0%}")
    return text


class ActivationLab(Screen[None]):
    BINDINGS = [Binding("escape,f2", "app.pop_screen", "Back to the dashboard")]

    def __init__(self, activation: str = "sigmoid", **kwargs) -> None:
        super().__init__(**kwargs)
        self.initial = activation if activation in ACTIVATIONS else "sigmoid"

    def compose(self) -> ComposeResult:
        with Vertical(id="lab"):
            with Horizontal(classes="lab-row"):
                yield Label("Activation", classes="lab-label")
                yield Select(
                    [(name, name) for name in ACTIVATIONS], value=self.initial, allow_blank=False, compact=True,
                    id="lab-activation",
                )
            yield Static("", id="lab-formula")
            yield CurvePlot(id="lab-plot")
            yield Static("computing…", id="lab-note")
            with Horizontal(classes="lab-row"):
                yield Label("Softmax of", classes="lab-label")
                yield Input(LECTURE_VECTOR, compact=True, id="lab-vector", placeholder="numbers, like 1, 2, 3")
            yield Static("", id="lab-vector-error")
            yield Static("", id="lab-softmax")
        yield Footer(compact=True, show_command_palette=False)  # every key fits in 80 columns

    def on_mount(self) -> None:
        self.query_one("#lab").border_title = "activation lab · f2 or escape: back"
        self.show_activation(self.initial)
        self.show_softmax(LECTURE_VECTOR)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "lab-activation" and event.value in ACTIVATIONS:
            self.show_activation(str(event.value))

    def show_activation(self, name: str) -> None:
        a = ACTIVATIONS[name]
        self.query_one("#lab-formula", Static).update(Text.assemble((f"f(x) = {a.formula}", "bold"), "  ",
                                                                    (a.description, "italic")))
        self.query_one("#lab-note", Static).update(Text("computing…", style="dim"))
        self.compute(name)

    @work(thread=True, exclusive=True, group="lab", exit_on_error=False)
    def compute(self, name: str) -> None:
        from xortui.engine.activations_math import curve, grid, shape_note

        xs = grid(LOW, HIGH, POINTS)
        f, df = curve(name, xs)
        note = shape_note(name, LOW, HIGH)
        try:
            self.app.call_from_thread(self._shown, name, xs, f, df, note)
        except RuntimeError:  # the app closed meanwhile
            pass

    def _shown(self, name: str, xs, f, df, note: str) -> None:
        if str(self.query_one("#lab-activation", Select).value) != name:
            return  # the user has moved on
        self.query_one(CurvePlot).show(name, xs, f, df)
        self.query_one("#lab-note", Static).update(Text(note))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "lab-vector":
            self.show_softmax(event.value)

    def show_softmax(self, text: str) -> None:
        from xortui.engine.activations_math import parse_vector, softmax

        field = self.query_one("#lab-vector", Input)
        error = self.query_one("#lab-vector-error", Static)
        try:
            values = parse_vector(text)
        except ValueError as problem:
            field.add_class("-invalid")
            error.update(str(problem))
            error.display = True
            return
        field.remove_class("-invalid")
        error.display = False
        self.query_one("#lab-softmax", Static).update(softmax_lines(values, softmax(values)))
