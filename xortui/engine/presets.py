"""Named experiments. The first three are the lecture's, exactly."""

from __future__ import annotations

from dataclasses import dataclass

from xortui.engine.config import ExperimentConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: ExperimentConfig


_LECTURE = ExperimentConfig(activation="sigmoid", lr=1.0, steps=10001, seed=777, log_every=100)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("xor-single-layer", "2-1: one linear layer cannot learn XOR (loss stays ln 2)",
               _LECTURE.replace(hidden=())),
        Preset("xor-nn", "2-2-1 sigmoid: a plateau near ln 2 to step ~2,000, then solved",
               _LECTURE.replace(hidden=(2,))),
        Preset("xor-wide-deep", "2-10-10-10-1 sigmoid: longer plateau (~5,000), lower final loss",
               _LECTURE.replace(hidden=(10, 10, 10))),
    )
}

DEFAULT_PRESET = "xor-nn"


def get_preset(name: str) -> Preset:
    return PRESETS[name]
