"""Inside the network: dead units, gradient norms against autograd, and the verdicts on the lecture's runs."""

import math

import pytest
import torch

from xortui.engine.config import ExperimentConfig
from xortui.engine.kernel import dead_units
from xortui.engine.metrics import DEAD_THRESHOLD, inspect, plateau_grace, verdict
from xortui.engine.population import Population
from xortui.engine.presets import PRESETS
from xortui.engine.training import train

LN2 = math.log(2)


def test_dead_units_of_a_constructed_network():
    config = ExperimentConfig(hidden=(4, 3), activation="relu", steps=1)
    pop = Population(config, [1, 2], torch.device("cpu"))
    with torch.no_grad():
        w0, b0 = pop.weights[0], pop.biases[0]
        w0[:] = 1.0
        b0[:] = 0.5  # every first-layer unit alive: output >= 0.5 on every row
        w0[0, 1] = -1.0  # member 0: units 1 and 3 get a negative input on every row of {0,1}^2
        b0[0, 1] = -0.1
        w0[0, 3] = torch.tensor([-2.0, -3.0])
        b0[0, 3] = 0.0  # output 0 at row (0, 0) exactly, negative elsewhere: dead too
        w0[0, 2] = torch.tensor([1.0, -1.0])
        b0[0, 2] = 0.0  # output 0 at (0, 0) and (1, 1) but 1 at (1, 0): alive
        pop.weights[1][:] = 0.1
        pop.biases[1][:] = 0.0
        pop.biases[1][1, 2] = -100.0  # member 1: second layer's unit 2 is dead
    inside = inspect(pop)
    assert inside.widths == (4, 3)
    assert inside.dead.tolist() == [[2, 0], [0, 1]]


def test_dead_units_threshold():
    h = torch.tensor([[[0.0, 1e-7, 2e-6], [1e-6, -1e-7, 0.0]]])  # (K=1, rows=2, width=3)
    assert dead_units([h], DEAD_THRESHOLD).tolist() == [[2]]
    no_hidden = Population(ExperimentConfig(hidden=()), [1, 2, 3], torch.device("cpu"))
    assert inspect(no_hidden).dead.shape == (3, 0)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "identity"])
@pytest.mark.parametrize("hidden", [(), (3,), (5, 4, 3)])
def test_gradient_norms_equal_autograds(activation, hidden):
    config = ExperimentConfig(task="parity-3", hidden=hidden, activation=activation, seed=5)
    pop = Population(config, [5], torch.device("cpu"))
    pop.train(7)  # away from the initial point
    layers = [torch.nn.Linear(1, 1) for _ in pop.weights]
    with torch.no_grad():
        for layer, w, b in zip(layers, pop.weights, pop.biases):
            layer.weight = torch.nn.Parameter(w[0].clone())
            layer.bias = torch.nn.Parameter(b[0].clone())
    act = {
        "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01), "elu": torch.nn.functional.elu,
        "gelu": torch.nn.functional.gelu, "silu": torch.nn.functional.silu, "identity": lambda z: z,
    }[activation]
    h = pop.x[0]
    for layer in layers[:-1]:
        h = act(layer(h))
    loss = torch.nn.BCELoss()(torch.sigmoid(layers[-1](h)), pop.y[0])
    loss.backward()
    expected = [layer.weight.grad.norm().item() for layer in layers]
    got = inspect(pop).grad_norms[0].tolist()
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-9)


def test_verdict_rules():
    assert verdict(0.01, 4, 4) == "solved"
    assert verdict(0.06, 4, 4) == "not converged (4/4 rows right)"
    assert verdict(float("nan"), 2, 4) == "diverged"
    assert verdict(0.5, 4, 4, finite=False) == "diverged"
    assert verdict(50.0, 2, 4) == "diverged"
    assert plateau_grace(10001) == 3001 and plateau_grace(1000) == 3000
    assert verdict(LN2, 2, 4, step=3000, steps=10001, near_ln2_since=0) == "not converged (2/4 rows right)"
    assert verdict(LN2, 2, 4, step=3001, steps=10001, near_ln2_since=0) == "plateau"
    assert verdict(LN2 * 1.02, 2, 4, step=9000, steps=10001, near_ln2_since=0) == "not converged (2/4 rows right)"
    assert verdict(LN2, 2, 4, step=10001, steps=10001, near_ln2_since=0, final=True).startswith("not converged")


def test_single_layer_is_not_converged_at_ln2_and_called_a_plateau_on_the_way():
    snaps = list(train(PRESETS["xor-single-layer"].config))
    assert snaps[-1].verdict == "not converged (2/4 rows right)"
    assert snaps[-1].loss == pytest.approx(LN2, rel=1e-6)
    assert snaps[-1].widths == () and snaps[-1].dead == () and len(snaps[-1].grad_norms) == 1
    assert {s.verdict for s in snaps if 3500 <= s.step <= 10000} == {"plateau"}  # ln 2 from step ~100
    assert all(s.verdict.startswith("not converged") for s in snaps if s.step <= 3000)


def test_xor_nn_is_never_stuck_during_its_plateau_and_ends_solved():
    snaps = list(train(PRESETS["xor-nn"].config))
    early = [s for s in snaps if s.step <= 2500]
    assert len(early) == 26
    assert all(s.verdict != "plateau" for s in snaps)
    assert snaps[-1].verdict == "solved" and snaps[-1].dead == (0,) and snaps[-1].widths == (2,)
    assert len(snaps[-1].grad_norms) == 2 and all(g > 0 for g in snaps[-1].grad_norms)


def test_lr_1e6_diverges():
    last = list(train(PRESETS["xor-nn"].config.replace(lr=1e6, steps=201)))[-1]
    assert last.verdict == "diverged"


def test_a_run_the_loop_calls_diverged_has_that_verdict():
    # saturated for good at a loss under DIVERGED_LOSS: the training loop's own finding sets the verdict
    from xortui.engine import training

    last = list(train(PRESETS["xor-nn"].config.replace(lr=1e6, steps=201)))[-1]
    assert last.state == training.DIVERGED and last.verdict == "diverged"
