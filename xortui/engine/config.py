"""An experiment's configuration, how each field is read from text, and its limits.

Every front end (dashboard fields, CLI options) parses through `FIELDS`, so a value is refused with the same
message wherever it is typed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from xortui.engine.activations import ACTIVATIONS
from xortui.engine.tasks import TASKS, get_task

DEVICES = ("auto", "cpu", "cuda")
HEADS = ("sigmoid",)  # sigmoid output + binary cross-entropy, as in the lecture
OPTIMIZERS = ("sgd",)

MAX_DEPTH = 64
MAX_WIDTH = 4096
MAX_PARAMETERS = 10_000_000
MAX_STEPS = 1_000_000_000
MAX_LR = 1e6
MAX_SEED = 2**63 - 1


class ConfigError(ValueError):
    """A value that cannot be used, with the field it belongs to and a message fit to show a user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ExperimentConfig:
    task: str = "xor"
    hidden: tuple[int, ...] = (2,)  # hidden layer widths; () is the lecture's single linear layer
    activation: str = "sigmoid"  # after every hidden layer; the output layer is the head's
    head: str = "sigmoid"
    optimizer: str = "sgd"
    lr: float = 1.0
    steps: int = 10001
    seed: int = 777
    device: str = "auto"
    log_every: int = 100

    @property
    def layers(self) -> tuple[int, ...]:
        return (get_task(self.task).n_inputs, *self.hidden, 1)

    @property
    def n_parameters(self) -> int:
        sizes = self.layers
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))

    def replace(self, **changes: Any) -> "ExperimentConfig":
        return replace(self, **changes)

    def validate(self) -> "ExperimentConfig":
        """Check every field and the whole; raise ConfigError naming the first bad field."""
        for spec in FIELDS.values():
            if spec.attribute is not None:
                spec.check(getattr(self, spec.attribute))
        if self.n_parameters > MAX_PARAMETERS:
            raise ConfigError(
                "layers", f"{self.n_parameters:,} parameters is too many (at most {MAX_PARAMETERS:,})"
            )
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "layers": list(self.layers),
            "activation": self.activation,
            "head": self.head,
            "optimizer": self.optimizer,
            "lr": self.lr,
            "steps": self.steps,
            "seed": self.seed,
            "device": self.device,
            "log_every": self.log_every,
        }


# ---------------------------------------------------------------------------------------------- text parsing


def _shown(text: str) -> str:
    """User text quoted for a one-line message: control characters escaped, long text cut."""
    text = text.strip()
    cut = text if len(text) <= 24 else text[:21] + "..."
    return "'" + cut.encode("unicode_escape").decode("ascii") + "'"


def _int(field: str, text: str, low: int, high: int) -> int:
    text = text.strip().replace("_", "")
    if not text:
        raise ConfigError(field, f"needs a whole number from {low:,} to {high:,}")
    try:
        value = int(text)
    except ValueError:
        try:  # accept 1e4 when it is a whole number
            as_float = float(text)
        except ValueError:
            raise ConfigError(field, f"{_shown(text)} is not a whole number") from None
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise ConfigError(field, f"{_shown(text)} is not a whole number") from None
        value = int(as_float)
    _check_range(field, value, low, high)
    return value


def _check_range(field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(field, f"must be from {low:,} to {high:,} (got {value:,})")


def _choice(field: str, text: str, choices: tuple[str, ...]) -> str:
    value = text.strip().lower().replace("-", "_") if field == "activation" else text.strip().lower()
    if value not in choices:
        raise ConfigError(field, f"{_shown(text)} is not one of: {', '.join(choices)}")
    return value


def parse_lr(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ConfigError("lr", f"{_shown(text)} is not a number") from None
    check_lr(value)
    return value


def check_lr(value: float) -> None:
    if not math.isfinite(value) or not 0 < value <= MAX_LR:
        raise ConfigError("lr", f"must be a number above 0 and at most {MAX_LR:g} (got {value:g})")


def parse_hidden_from_layers(text: str, task: str = "xor") -> tuple[int, ...]:
    """'2,10,10,10,1' -> (10, 10, 10): the full layer list, checked against the task's inputs and outputs."""
    n_in = get_task(task).n_inputs
    parts = [p for p in text.replace(" ", ",").replace("-", ",").split(",") if p.strip()]
    if len(parts) < 2:
        raise ConfigError("layers", f"needs at least inputs and output, like {n_in},2,1")
    sizes = []
    for part in parts:
        try:
            sizes.append(int(part))
        except ValueError:
            raise ConfigError("layers", f"{_shown(part)} is not a whole number") from None
    if sizes[0] != n_in:
        raise ConfigError("layers", f"must start with {n_in}: the {task} task has {n_in} inputs")
    if sizes[-1] != 1:
        raise ConfigError("layers", "must end with 1: one output unit")
    hidden = tuple(sizes[1:-1])
    check_hidden(hidden)
    return hidden


def check_hidden(hidden: tuple[int, ...]) -> None:
    if len(hidden) > MAX_DEPTH:
        raise ConfigError("layers", f"at most {MAX_DEPTH} hidden layers (got {len(hidden)})")
    for width in hidden:
        if not 1 <= width <= MAX_WIDTH:
            raise ConfigError("layers", f"hidden widths must be from 1 to {MAX_WIDTH:,} (got {width:,})")


def hidden_from_depth_width(depth: int, width: int) -> tuple[int, ...]:
    return (width,) * depth


def format_layers(config: ExperimentConfig) -> str:
    return ",".join(str(n) for n in config.layers)


@dataclass(frozen=True)
class FieldSpec:
    """One editable value: how it reads from text, how it is checked, and what a user is told about it."""

    name: str
    label: str
    help: str
    parse: Callable[[str], Any]
    check: Callable[[Any], None] = field(default=lambda value: None)
    attribute: str | None = None  # the ExperimentConfig attribute it sets, if any


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec(
            "task", "Task", f"truth table to learn: {', '.join(TASKS)}",
            lambda t: _choice("task", t, tuple(TASKS)),
            lambda v: _choice("task", str(v), tuple(TASKS)), "task",
        ),
        FieldSpec(
            "layers", "Layers", f"all layer sizes, inputs to output, e.g. 2,10,10,10,1 "
            f"(hidden widths 1-{MAX_WIDTH}, at most {MAX_DEPTH} hidden layers, {MAX_PARAMETERS:,} parameters)",
            parse_hidden_from_layers, check_hidden, "hidden",
        ),
        FieldSpec(
            "depth", "Depth", f"number of hidden layers, 0-{MAX_DEPTH} (0: one linear layer)",
            lambda t: _int("depth", t, 0, MAX_DEPTH),
        ),
        FieldSpec(
            "width", "Width", f"units in each hidden layer, 1-{MAX_WIDTH}",
            lambda t: _int("width", t, 1, MAX_WIDTH),
        ),
        FieldSpec(
            "activation", "Activation", f"after each hidden layer: {', '.join(ACTIVATIONS)}",
            lambda t: _choice("activation", t, tuple(ACTIVATIONS)),
            lambda v: _choice("activation", str(v), tuple(ACTIVATIONS)), "activation",
        ),
        FieldSpec(
            "head", "Head", "output layer and loss: sigmoid (+ binary cross-entropy)",
            lambda t: _choice("head", t, HEADS), lambda v: _choice("head", str(v), HEADS), "head",
        ),
        FieldSpec(
            "optimizer", "Optimizer", "sgd", lambda t: _choice("optimizer", t, OPTIMIZERS),
            lambda v: _choice("optimizer", str(v), OPTIMIZERS), "optimizer",
        ),
        FieldSpec("lr", "LR", f"above 0, at most {MAX_LR:g}", parse_lr, check_lr, "lr"),
        FieldSpec(
            "steps", "Steps", f"training steps, 1-{MAX_STEPS:,} (the lecture: 10001)",
            lambda t: _int("steps", t, 1, MAX_STEPS), lambda v: _check_range("steps", v, 1, MAX_STEPS), "steps",
        ),
        FieldSpec(
            "seed", "Seed", f"torch.manual_seed before the layers are built, 0-{MAX_SEED}",
            lambda t: _int("seed", t, 0, MAX_SEED), lambda v: _check_range("seed", v, 0, MAX_SEED), "seed",
        ),
        FieldSpec(
            "device", "Device", "auto (CUDA when available, else CPU), cpu or cuda",
            lambda t: _choice("device", t, DEVICES), lambda v: _choice("device", str(v), DEVICES), "device",
        ),
        FieldSpec(
            "log_every", "Log every", f"record the loss every N steps, 1-{MAX_STEPS:,}",
            lambda t: _int("log_every", t, 1, MAX_STEPS),
            lambda v: _check_range("log_every", v, 1, MAX_STEPS), "log_every",
        ),
    )
}


def parse_field(name: str, text: str) -> Any:
    return FIELDS[name].parse(text)
