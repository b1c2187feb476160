"""K networks of one configuration, differing only in seed, trained together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from xortui.engine import kernel
from xortui.engine.activations import get_activation
from xortui.engine.config import ExperimentConfig
from xortui.engine.tasks import get_task

DEFAULT_LEAKY_SLOPE = 0.01


def initial_parameters(layers: Sequence[int], seed: int) -> list[tuple[Tensor, Tensor]]:
    """Weights and biases exactly as the lecture draws them: nn.Linear layers built in order on the CPU under
    torch.manual_seed(seed). The global RNG is restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        built = [torch.nn.Linear(n_in, n_out) for n_in, n_out in zip(layers[:-1], layers[1:])]
    return [(layer.weight.detach(), layer.bias.detach()) for layer in built]


@dataclass(frozen=True)
class Evaluation:
    """Every member's state at one step, on the host."""

    loss: Tensor  # (K,)
    outputs: Tensor  # (K, rows): the network's output for each truth-table row
    finite: Tensor  # (K,) bool: outputs and weights are all finite


class Population:
    def __init__(self, config: ExperimentConfig, seeds: Sequence[int], device: torch.device) -> None:
        self.config = config
        self.seeds = list(seeds)
        self.device = device
        task = get_task(config.task)
        self.activation_code = get_activation(config.activation).code
        self.slope = DEFAULT_LEAKY_SLOPE
        members = [initial_parameters(config.layers, seed) for seed in self.seeds]
        n_layers = len(config.layers) - 1
        self.weights = [torch.stack([m[i][0] for m in members]).to(device) for i in range(n_layers)]
        self.biases = [torch.stack([m[i][1] for m in members]).to(device) for i in range(n_layers)]
        k = len(self.seeds)
        inputs = torch.tensor(task.inputs, dtype=torch.float32)
        targets = torch.tensor(task.targets, dtype=torch.float32).unsqueeze(1)
        self.x = inputs.expand(k, -1, -1).contiguous().to(device)
        self.y = targets.expand(k, -1, -1).contiguous().to(device)
        self.step = 0

    def train(self, n: int, log_every: int = 0) -> "kernel.StepLog":
        """n more steps; with `log_every`, the log steps among them with each member's loss and outputs (see
        kernel.train_steps), still on the device."""
        log = kernel.train_steps(
            self.weights, self.biases, self.x, self.y, self.activation_code, self.slope, self.config.lr, n,
            self.step, log_every,
        )
        self.step += n
        return log

    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        _, hs = kernel.forward(self.weights, self.biases, self.x, self.activation_code, self.slope)
        p = hs[-1]
        finite = torch.isfinite(p).flatten(1).all(1)
        for w, b in zip(self.weights, self.biases):
            finite &= torch.isfinite(w).flatten(1).all(1) & torch.isfinite(b).all(1)
        loss = kernel.member_losses(p, self.y)
        loss = torch.where(finite, loss, torch.full_like(loss, float("nan")))  # non-finite weights count too
        return Evaluation(loss=loss.cpu(), outputs=p[..., 0].cpu(), finite=finite.cpu())
