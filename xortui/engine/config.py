"""An experiment's configuration, how each field is read from text, and its limits.

Every front end (dashboard fields, CLI options) parses through `FIELDS`, so a value is refused with the same
message wherever it is typed.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from xortui.engine.activations import ACTIVATIONS
from xortui.engine.tasks import TASKS, get_task

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class Head:
    """An output layer and its loss. `code` is the kernel's dispatch number."""

    name: str
    code: int
    outputs: int  # units in the last Linear layer
    description: str


@dataclass(frozen=True)
class Optimizer:
    """An update rule. `code` is the kernel's dispatch number; `settings` name its ExperimentConfig fields (besides
    lr), which front ends show and a stored run records only for this optimizer."""

    name: str
    code: int
    settings: tuple[str, ...]
    description: str
    buffers: int = 0  # state tensors kept per parameter tensor (momentum's velocity; Adam's two moments)


HEADS: dict[str, Head] = {
    h.name: h
    for h in (
        Head("sigmoid", 0, 1, "one sigmoid output + binary cross-entropy (the lecture's)"),
        Head("softmax", 1, 2, "two outputs, softmax over the classes + cross-entropy; prediction = argmax"),
    )
}

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in (
        Optimizer("sgd", 0, (), "plain SGD, p -= lr * g (the lecture's)"),
        Optimizer("momentum", 1, ("momentum",), "SGD with momentum: buf = m * buf + g, p -= lr * buf", buffers=1),
        Optimizer("adam", 2, ("beta1", "beta2", "eps"), "Adam (torch.optim.Adam, no weight decay)", buffers=2),
    )
}

# Every optimizer setting, in the order front ends show them.
OPTIMIZER_SETTINGS: tuple[str, ...] = tuple(dict.fromkeys(s for o in OPTIMIZERS.values() for s in o.settings))

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
    momentum: float = 0.9  # the momentum optimizer's m
    beta1: float = 0.9  # Adam's betas and eps: torch.optim.Adam's defaults
    beta2: float = 0.999
    eps: float = 1e-8

    @property
    def layers(self) -> tuple[int, ...]:
        return (get_task(self.task).n_inputs, *self.hidden, HEADS[self.head].outputs)

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
            # only the chosen optimizer's settings: the others do not change the run
            **{name: getattr(self, name) for name in OPTIMIZERS[self.optimizer].settings},
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


def _float_in(field: str, low: float, high: float, low_open: bool = False, high_open: bool = False):
    """A parser and a checker for a number in [low, high] (an open end where said)."""
    words = f"{'above' if low_open else 'at least'} {low:g} and {'below' if high_open else 'at most'} {high:g}"

    def check(value: float) -> None:
        ok = math.isfinite(value) and (low < value if low_open else low <= value) and (
            value < high if high_open else value <= high)
        if not ok:
            raise ConfigError(field, f"must be a number {words} (got {value:g})")

    def parse(text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise ConfigError(field, f"{_shown(text)} is not a number") from None
        check(value)
        return value

    return parse, check, words


def parse_hidden_from_layers(text: str, task: str = "xor", head: str = "sigmoid") -> tuple[int, ...]:
    """'2,10,10,10,1' -> (10, 10, 10): the full layer list, checked against the task's inputs and the head's
    outputs (1 for sigmoid, 2 for softmax)."""
    n_in = get_task(task).n_inputs
    # "2,10,1", "2, 10, 1", "2-10-1" and "2 10 1" all read the same; "2,,1" is a typo, not "2,1"
    parts = re.split(r"\s*[,-]\s*|\s+", text.strip()) if text.strip() else []
    if "" in parts:
        raise ConfigError("layers", f"{_shown(text)} has an empty item")
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
    outputs = HEADS[head].outputs if head in HEADS else 1
    if sizes[-1] != outputs:
        raise ConfigError("layers", "must end with 1: one output unit" if outputs == 1 else
                          f"must end with {outputs}: the {head} head has {outputs} outputs")
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
            "head", "Head", "output layer and loss: " + "; ".join(f"{h.name}: {h.description}" for h in HEADS.values()),
            lambda t: _choice("head", t, tuple(HEADS)), lambda v: _choice("head", str(v), tuple(HEADS)), "head",
        ),
        FieldSpec(
            "optimizer", "Optimizer", "; ".join(f"{o.name}: {o.description}" for o in OPTIMIZERS.values()),
            lambda t: _choice("optimizer", t, tuple(OPTIMIZERS)),
            lambda v: _choice("optimizer", str(v), tuple(OPTIMIZERS)), "optimizer",
        ),
        FieldSpec("lr", "LR", f"above 0, at most {MAX_LR:g}", parse_lr, check_lr, "lr"),
        *(
            FieldSpec(name, label, f"{what}: {words} (default {default:g})", parse, check, name)
            for name, label, what, default, (parse, check, words) in (
                ("momentum", "Momentum", "the momentum optimizer's m", 0.9, _float_in("momentum", 0, 1, high_open=True)),
                ("beta1", "Beta1", "Adam's beta1 (first-moment decay)", 0.9, _float_in("beta1", 0, 1, high_open=True)),
                ("beta2", "Beta2", "Adam's beta2 (second-moment decay)", 0.999, _float_in("beta2", 0, 1, high_open=True)),
                ("eps", "Eps", "Adam's eps (added to the denominator)", 1e-8, _float_in("eps", 0, 1, low_open=True)),
            )
        ),
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
