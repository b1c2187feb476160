"""A sweep plan from text (the CLI's options, the sweep screen's fields), read by the same field parsers as a
single run. Importing it loads no torch: the CLI imports it at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xortui.engine.config import ConfigError, parse_field, parse_hidden_from_layers
from xortui.engine.presets import DEFAULT_PRESET, PRESETS

if TYPE_CHECKING:
    from xortui.engine.sweep import SweepPlan


def _split(text: str, field: str) -> list[str]:
    """'a, b' -> ['a', 'b']; an empty item ('a,,b') is a typo and refused."""
    parts = [part.strip() for part in text.split(",")]
    if "" in parts:
        raise ConfigError(field, f"'{text.strip()[:30]}' has an empty item")
    return parts


def plan_from_text(options: dict) -> "SweepPlan":
    """The sweep plan from text values (the CLI's options, the sweep screen's fields), every value parsed by the
    same field parsers as `run`; raises ConfigError naming the bad field."""
    from xortui.engine.sweep import plan_sweep  # torch

    base = PRESETS[options.get("preset") or DEFAULT_PRESET].config
    changes = {k: parse_field(k, options[k]) for k in ("steps", "device", "log_every", "head") if options.get(k)}
    base = base.replace(**changes)
    seeds = options.get("seeds") or "100"
    grid: dict[str, list] = {}
    if options.get("task"):
        grid["task"] = [parse_field("task", t) for t in _split(options["task"], "task")]
    tasks = grid.get("task", [base.task])
    if options.get("layers"):
        grid["hidden"] = [parse_hidden_from_layers(layers, tasks[0], base.head) for layers in options["layers"]]
    if options.get("activation"):
        grid["activation"] = [parse_field("activation", a) for a in _split(options["activation"], "activation")]
    if options.get("optimizer"):
        grid["optimizer"] = [parse_field("optimizer", o) for o in _split(options["optimizer"], "optimizer")]
    if options.get("lr"):
        grid["lr"] = [parse_field("lr", v) for v in _split(options["lr"], "lr")]
    try:
        n = int(seeds.strip())
    except ValueError:
        raise ConfigError("seeds", f"'{seeds.strip()[:20]}' is not a whole number") from None
    return plan_sweep(base, grid, seeds=n)
