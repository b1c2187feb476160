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
        # Beyond the lecture's three: each outcome below was found by search and is checked by tests/test_presets.py.
        Preset("xor-deep-sigmoid", "2-10x6-1 sigmoid: gradients vanish (|grad| ~1e-7); stuck at ln 2 to the end",
               _LECTURE.replace(hidden=(10,) * 6)),
        Preset("xor-deep-tanh", "2-10x6-1 tanh: early layers' gradients 10-100x below the last's; solved ~4,900",
               _LECTURE.replace(hidden=(10,) * 6, activation="tanh")),
        Preset("xor-deep-relu", "xor-wide-deep with ReLU: no plateau; solved by step 100 with 16 of 30 units dead",
               _LECTURE.replace(hidden=(10, 10, 10), activation="relu")),
        Preset("dying-relu", "2-4-1 ReLU, seed 398: 2 of 4 units die by step 100; stuck at 3/4 rows",
               _LECTURE.replace(hidden=(4,), activation="relu", seed=398, steps=3001, log_every=50)),
        Preset("dying-relu-leaky", "dying-relu's seed with Leaky ReLU (slope 0.01): no unit dies, solved",
               _LECTURE.replace(hidden=(4,), activation="leaky_relu", seed=398, steps=3001, log_every=50)),
        Preset("dying-relu-prelu", "dying-relu's seed with PReLU (a learned slope per layer, from 0.25): solved",
               _LECTURE.replace(hidden=(4,), activation="prelu", seed=398, steps=3001, log_every=50)),
        Preset("xor-softmax", "xor-nn with a softmax head (2 outputs, cross-entropy): solved by step ~2,200",
               _LECTURE.replace(hidden=(2,), head="softmax")),
        Preset("xor-momentum", "xor-nn with momentum 0.9: off the ln 2 plateau and solved by step ~200",
               _LECTURE.replace(hidden=(2,), optimizer="momentum", momentum=0.9, steps=3001)),
        Preset("parity-2", "2-bit parity (XOR again) with 2-4-1 tanh: solved by step ~200",
               _LECTURE.replace(task="parity-2", hidden=(4,), activation="tanh", steps=1001)),
        Preset("parity-3", "3-bit parity, 8 rows, 3-6-1 tanh: solved by step ~300",
               _LECTURE.replace(task="parity-3", hidden=(6,), activation="tanh", steps=1001)),
        Preset("parity-4", "4-bit parity, 16 rows, 4-8-1 tanh (4-4-1 gets stuck at 15/16)",
               _LECTURE.replace(task="parity-4", hidden=(8,), activation="tanh", steps=2001)),
        Preset("parity-5", "5-bit parity, 32 rows, two tanh layers 5-10-10-1: solved by step ~2,000",
               _LECTURE.replace(task="parity-5", hidden=(10, 10), activation="tanh", steps=3001)),
        Preset("parity-6", "6-bit parity, 64 rows, 6-16-16-1 Leaky ReLU, lr 0.5: solved by step ~1,200",
               _LECTURE.replace(task="parity-6", hidden=(16, 16), activation="leaky_relu", lr=0.5, steps=2001)),
    )
}

DEFAULT_PRESET = "xor-nn"


def get_preset(name: str) -> Preset:
    return PRESETS[name]
