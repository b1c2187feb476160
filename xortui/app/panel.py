"""The experiment panel: a preset picker and a field for every configuration value, all keyboard-editable.

Each field is checked as it is typed, with the engine's own parser (config.FIELDS), so the dashboard refuses
exactly what the CLI refuses, with the same words.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from xortui.engine.activations import ACTIVATIONS
from xortui.engine.config import (
    DEVICES,
    FIELDS,
    HEADS,
    OPTIMIZER_SETTINGS,
    OPTIMIZERS,
    ConfigError,
    ExperimentConfig,
    format_layers,
    hidden_from_depth_width,
    parse_hidden_from_layers,
)
from xortui.engine.presets import PRESETS
from xortui.engine.tasks import TASKS

TEXT_FIELDS = ("layers", "depth", "width", "lr", *OPTIMIZER_SETTINGS, "steps", "seed", "log_every")
CHOICE_FIELDS = {
    "task": tuple(TASKS), "activation": tuple(ACTIVATIONS), "head": tuple(HEADS), "optimizer": tuple(OPTIMIZERS),
    "device": DEVICES,
}
ORDER = ("task", "layers", "depth", "width", "activation", "head", "optimizer", "lr", *OPTIMIZER_SETTINGS, "steps",
         "seed", "device", "log_every")


class ExperimentPanel(VerticalScroll, can_focus=False):
    class StartRequested(Message):
        """Enter was pressed in a field."""

    def __init__(self, preset: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.initial_preset = preset
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label("Preset", classes="label")
            yield Select(
                [(name, name) for name in PRESETS], value=self.initial_preset, allow_blank=False,
                compact=True, id="preset",
            )
        yield Static(PRESETS[self.initial_preset].description, id="preset-description")
        for name in ORDER:
            spec = FIELDS[name]
            with Horizontal(classes="field"):
                yield Label(spec.label, classes="label")
                if name in CHOICE_FIELDS:
                    choices = CHOICE_FIELDS[name]
                    yield Select(
                        [(c, c) for c in choices], value=choices[0], allow_blank=False, compact=True, id=name,
                        tooltip=spec.help,
                    )
                else:
                    yield Input(compact=True, id=name, tooltip=spec.help, select_on_focus=True)
            yield Static("", id=f"{name}-error", classes="error")

    def _show_settings(self) -> None:
        """Only the chosen optimizer's settings are shown (momentum for momentum; beta1, beta2, eps for adam)."""
        chosen = OPTIMIZERS.get(self.optimizer_name())
        for name in OPTIMIZER_SETTINGS:
            shown = chosen is not None and name in chosen.settings
            self.query_one(f"#{name}").parent.display = shown
            if not shown:
                self.query_one(f"#{name}-error").display = False

    def on_mount(self) -> None:
        self.load(PRESETS[self.initial_preset].config)

    # ------------------------------------------------------------------------------------------ loading values

    def load(self, config: ExperimentConfig) -> None:
        """Put a configuration's values in the fields."""
        values = {
            "layers": format_layers(config),
            "depth": str(len(config.hidden)),
            "width": str(config.hidden[0]) if config.hidden else self.query_one("#width", Input).value or "2",
            "lr": f"{config.lr:g}",
            "steps": str(config.steps),
            "seed": str(config.seed),
            "log_every": str(config.log_every),
            **{name: _number(getattr(config, name)) for name in OPTIMIZER_SETTINGS},
        }
        for name, value in values.items():
            self.query_one(f"#{name}", Input).value = value
        for name in CHOICE_FIELDS:
            self.query_one(f"#{name}", Select).value = getattr(config, name)
        self._show_settings()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "preset" and event.value in PRESETS:
            preset = PRESETS[str(event.value)]
            self.query_one("#preset-description", Static).update(preset.description)
            self.load(preset.config)
        elif event.select.id == "task":
            # the layer list starts with the task's input count: follow the task, keeping the hidden widths
            layers = self.query_one("#layers", Input)
            parts = [p for p in layers.value.replace(" ", ",").replace("-", ",").split(",") if p.strip()]
            n_in = str(TASKS[self.task_name()].n_inputs) if self.task_name() in TASKS else None
            if n_in is not None and len(parts) >= 2 and parts[0] != n_in:
                layers.value = ",".join([n_in, *parts[1:]])
            self._check("layers")
        elif event.select.id == "head":
            # the layer list ends with the head's outputs (1 for sigmoid, 2 for softmax): follow the head
            layers = self.query_one("#layers", Input)
            parts = [p for p in layers.value.replace(" ", ",").replace("-", ",").split(",") if p.strip()]
            head = HEADS.get(str(event.value))
            if head is not None and len(parts) >= 2 and parts[-1] != str(head.outputs):
                layers.value = ",".join([*parts[:-1], str(head.outputs)])
            self._check("layers")
        elif event.select.id == "optimizer":
            self._show_settings()
        if event.select.id != "preset":
            self._describe_preset()

    # ------------------------------------------------------------------------------------------ checking

    def on_input_changed(self, event: Input.Changed) -> None:
        name = event.input.id
        self._describe_preset()
        if name is None or not self._check(name) or not event.input.has_focus:
            return
        # depth/width and the layer list describe the same thing: keep them in step, from the field being typed
        # in only (a mixed list like 2,10,5,1 shows its first width and must not be flattened by that echo).
        if name == "layers":
            hidden = self._parse("layers")
            depth, width = self.query_one("#depth", Input), self.query_one("#width", Input)
            if depth.value != str(len(hidden)):
                depth.value = str(len(hidden))
            if hidden and width.value != str(hidden[0]):
                width.value = str(hidden[0])
        elif name in ("depth", "width") and self._check("depth") and self._check("width"):
            hidden = hidden_from_depth_width(self._parse("depth"), self._parse("width"))
            layers = self.query_one("#layers", Input)
            current = _try(lambda: parse_hidden_from_layers(layers.value, self.task_name(), self.head_name()))
            if current != hidden:
                layers.value = format_layers(ExperimentConfig(task=self.task_name(), hidden=hidden,
                                                              head=self.head_name()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.StartRequested())

    def task_name(self) -> str:
        return str(self.query_one("#task", Select).value)

    def head_name(self) -> str:
        return str(self.query_one("#head", Select).value)

    def optimizer_name(self) -> str:
        return str(self.query_one("#optimizer", Select).value)

    def _parse(self, name: str):
        text = self.query_one(f"#{name}", Input).value
        if name == "layers":
            return parse_hidden_from_layers(text, self.task_name(), self.head_name())
        return FIELDS[name].parse(text)

    def _check(self, name: str) -> bool:
        """Parse one field; show or clear its message. True when the value is good."""
        try:
            self._parse(name)
        except ConfigError as error:
            self._show_error(name, error.message)
            return False
        self._show_error(name, "")
        return True

    def _show_error(self, name: str, message: str) -> None:
        widget = self.query_one(f"#{name}")
        widget.set_class(bool(message), "-invalid")
        label = self.query_one(f"#{name}-error", Static)
        label.update(message)
        label.display = bool(message)
        if message:
            self.errors[name] = message
        else:
            self.errors.pop(name, None)

    def read_config(self) -> ExperimentConfig | None:
        """The configuration in the fields, or None after showing every bad field's message and focusing the
        first."""
        settings = OPTIMIZERS[self.optimizer_name()].settings  # the others are hidden and not used
        used = [name for name in TEXT_FIELDS if name not in OPTIMIZER_SETTINGS or name in settings]
        bad = [name for name in used if not self._check(name)]
        if bad:
            self.query_one(f"#{bad[0]}").focus()
            return None
        config = self._build_config()
        try:
            return config.validate()
        except ConfigError as error:
            field = error.field if error.field in TEXT_FIELDS else "layers"
            self._show_error(field, error.message)
            self.query_one(f"#{field}").focus()
            return None

    def _build_config(self) -> ExperimentConfig:
        """The fields as a configuration (ConfigError from the first field that does not parse)."""
        settings = OPTIMIZERS[self.optimizer_name()].settings
        return ExperimentConfig(
            task=self.task_name(),
            hidden=self._parse("layers"),
            activation=str(self.query_one("#activation", Select).value),
            head=self.head_name(),
            optimizer=self.optimizer_name(),
            lr=self._parse("lr"),
            steps=self._parse("steps"),
            seed=self._parse("seed"),
            device=str(self.query_one("#device", Select).value),
            log_every=self._parse("log_every"),
            **{name: self._parse(name) for name in settings},
        )

    def _describe_preset(self) -> None:
        """Under the picker: the preset's description while the fields hold it, else what differs from it (an
        edited field, or a past run's settings loaded from the runs screen)."""
        preset = PRESETS.get(str(self.query_one("#preset", Select).value))
        if preset is None:
            return
        config = _try(self._build_config)
        differ = [] if config is None else [
            FIELDS["layers" if name == "hidden" else name].label.lower()
            for name in ("task", "hidden", "activation", "head", "optimizer", "lr", "steps", "seed", "device",
                         "log_every", *OPTIMIZER_SETTINGS)
            if getattr(config, name) != getattr(preset.config, name)
        ]
        text = preset.description if not differ else f"{preset.name}, changed: {', '.join(differ)}"
        self.query_one("#preset-description", Static).update(text)

    def show_device_error(self, message: str) -> None:
        self._show_error("device", message)


def _number(value: float) -> str:
    """Short (0.999, 1e-08) where that reads back exactly; else every digit."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _try(fn):
    try:
        return fn()
    except ConfigError:
        return None
