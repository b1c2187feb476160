"""The activation registry: one entry per activation, used by the models, the pickers and the CLI.

This module does not import torch, so pickers can be filled before torch has loaded. The maths lives in
`kernel.py`, which dispatches on `Activation.code`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Activation:
    name: str
    code: int  # the kernel's dispatch number
    formula: str
    description: str
    can_die: bool  # outputs exactly 0 on a half-line, so a unit can stop learning ("dying ReLU")


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", 0, "1 / (1 + e^-x)", "the lecture's; saturates, f' peaks at 0.25", False),
        Activation("tanh", 1, "tanh(x)", "zero-centred sigmoid; f' peaks at 1", False),
        Activation("relu", 2, "max(0, x)", "f' = 0 for x < 0: units can die", True),
        Activation("leaky_relu", 3, "max(a*x, x)", "ReLU with slope a (default 0.01) below 0", False),
        Activation("elu", 4, "x if x > 0 else e^x - 1", "smooth ReLU with a negative tail", False),
        Activation("gelu", 5, "x * Phi(x)", "Gaussian error linear unit", False),
        Activation("silu", 6, "x * sigmoid(x)", "sigmoid-weighted linear unit (swish)", False),
        Activation("identity", 7, "x", "no activation: the network stays linear", False),
        Activation("prelu", 8, "max(a*x, x), a learned",
                   "Leaky ReLU whose slope a is learned: one per layer, shared by its units, from 0.25", False),
    )
}


PRELU_INIT = 0.25  # PReLU's slope before training, nn.PReLU()'s default


def get_activation(name: str) -> Activation:
    return ACTIVATIONS[name]
