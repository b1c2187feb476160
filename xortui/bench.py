"""Benchmark: xortui's engine against the lecture's own training loop, side by side in one run.

    python -m xortui.bench            # the full benchmark (a few minutes on 2 cores)
    python -m xortui.bench --quick    # fewer steps and seeds: a smoke check of every row

Every row is a `Row` in a `Section`; a section is a function returning rows, registered in `SECTIONS`, so a new
measurement is one more function. Timings are the best of `repeats` runs (other processes on a shared machine
only ever make a run slower), and the lecture's loop and the engine are measured in alternation so that a slow
patch of the machine hits both.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import xortui.engine  # noqa: F401  (silences torch's NumPy warning before torch loads)
import torch

from xortui.engine.presets import PRESETS
from xortui.engine.tasks import get_task

LECTURE_PRESETS = ("xor-single-layer", "xor-nn", "xor-wide-deep")


def lecture_loop(layers: Sequence[int], steps: int = 10001, seed: int = 777, log_every: int = 100) -> dict[int, float]:
    """The lecture's code, as the lecture writes it (lab-08_2_xor_nn): nn.Sequential of Linear + Sigmoid, BCELoss,
    SGD(lr=1), zero_grad / backward / step, and `.item()` every `log_every` steps. Returns {step: loss}."""
    torch.manual_seed(seed)
    X = torch.FloatTensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    Y = torch.FloatTensor([[0], [1], [1], [0]])
    modules: list[torch.nn.Module] = []
    for n_in, n_out in zip(layers[:-1], layers[1:]):
        modules += [torch.nn.Linear(n_in, n_out, bias=True), torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*modules)
    criterion = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1)
    losses = {}
    for step in range(steps):
        optimizer.zero_grad()
        hypothesis = model(X)
        cost = criterion(hypothesis, Y)
        cost.backward()
        optimizer.step()
        if step % log_every == 0:
            losses[step] = cost.item()
    return losses
