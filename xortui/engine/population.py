"""K networks of one configuration, differing only in seed, trained together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor

from xortui.engine import kernel
from xortui.engine.activations import PRELU_INIT, get_activation
from xortui.engine.config import HEADS, OPTIMIZERS, ExperimentConfig
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
    outputs: Tensor  # (K, rows): the network's output for each truth-table row (softmax: class 1's probability)
    finite: Tensor  # (K,) bool: outputs and weights are all finite
    probabilities: Tensor | None = None  # (K, rows, 2): the softmax head's class probabilities (p0, p1)

    @property
    def predictions(self) -> Tensor:
        """(K, rows) bool: class 1 predicted. Sigmoid: output > 0.5; softmax: argmax (p1 > p0; a tie is class 0)."""
        if self.probabilities is not None:
            return self.probabilities[..., 1] > self.probabilities[..., 0]
        return self.outputs > 0.5


class Population:
    def __init__(self, config: ExperimentConfig, seeds: Sequence[int], device: torch.device) -> None:
        self.config = config
        self.seeds = list(seeds)
        self.device = device
        task = get_task(config.task)
        self.activation_code = get_activation(config.activation).code
        self.slope = DEFAULT_LEAKY_SLOPE
        self.head = HEADS[config.head].code
        optimizer = OPTIMIZERS[config.optimizer]
        self.optimizer = optimizer.code
        self.hyper = tuple(float(getattr(config, name)) for name in optimizer.settings) + (0.0,) * (
            3 - len(optimizer.settings))
        members = [initial_parameters(config.layers, seed) for seed in self.seeds]
        n_layers = len(config.layers) - 1
        self.weights = [torch.stack([m[i][0] for m in members]).to(device) for i in range(n_layers)]
        self.biases = [torch.stack([m[i][1] for m in members]).to(device) for i in range(n_layers)]
        k = len(self.seeds)
        inputs = torch.tensor(task.inputs, dtype=torch.float32)
        targets = torch.tensor(task.targets, dtype=torch.float32).unsqueeze(1)
        if self.head == kernel.HEAD_SOFTMAX:  # one-hot over the two classes
            targets = torch.cat([1 - targets, targets], 1)
        self.x = inputs.expand(k, -1, -1).contiguous().to(device)
        self.y = targets.expand(k, -1, -1).contiguous().to(device)
        # PReLU: one learned slope per hidden layer and member, shared by the layer's units, from nn.PReLU()'s 0.25
        # (nn.PReLU draws nothing from the RNG, so the Linear layers' weights are as without it).
        self.slopes = [
            torch.full((k, 1, 1), PRELU_INIT, dtype=torch.float32, device=device)
            for _ in (config.hidden if self.activation_code == kernel.PRELU else ())
        ]
        self.state = [torch.zeros_like(p) for p in self.parameters() for _ in range(optimizer.buffers)]
        self.step = 0

    def parameters(self) -> list[Tensor]:
        """Every trained tensor, in the kernel's order: weights, biases, PReLU slopes."""
        return [*self.weights, *self.biases, *self.slopes]

    def tensors(self) -> list[Tensor]:
        """Everything training changes (parameters and the optimizer's buffers): what a checkpoint saves."""
        return [*self.parameters(), *self.state]

    def train(self, n: int, log_every: int = 0) -> "kernel.StepLog":
        """n more steps; with `log_every`, the log steps among them with each member's loss and outputs (see
        kernel.train_steps), still on the device."""
        log = kernel.train_steps(
            self.weights, self.biases, self.x, self.y, self.activation_code, self.slope, self.config.lr, n,
            self.step, log_every, self.head, self.optimizer, self.hyper, self.slopes, self.state,
        )
        self.step += n
        return log

    def forward(self) -> tuple[list[Tensor], list[Tensor]]:
        """kernel.forward on the current parameters: (pre-activations, activations)."""
        return kernel.forward(self.weights, self.biases, self.x, self.activation_code, self.slope, self.head,
                              self.slopes)

    def gradients(self, zs: list[Tensor], hs: list[Tensor]) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
        """kernel.gradients of each member's loss: (weights', biases', slopes')."""
        return kernel.gradients(self.weights, zs, hs, self.y, self.activation_code, self.slope, self.head,
                                self.slopes)

    @torch.no_grad()
    def evaluate(self) -> Evaluation:
        loss, p, finite = kernel.evaluate(self.weights, self.biases, self.x, self.y, self.activation_code,
                                          self.slope, self.head, self.slopes)
        if self.device.type != "cpu":  # (on the CPU, .cpu() would be one more call giving up the GIL)
            loss, p, finite = loss.cpu(), p.cpu(), finite.cpu()
        if self.head == kernel.HEAD_SOFTMAX:
            probabilities = p.exp()
            return Evaluation(loss=loss, outputs=probabilities[..., 1], finite=finite, probabilities=probabilities)
        return Evaluation(loss=loss, outputs=p[..., 0], finite=finite)
