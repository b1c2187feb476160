"""The population engine at K = 1 against the lecture's own loop, run in the same process.

The full 10001-step runs are checked against the lecture's printed numbers in test_reference.py; here the first
2001 steps (the plateau, where rounding differences would show first) are compared with the loop itself, far more
tightly: the bar is 1e-4 relative, and on a CPU build the two agree to the last bit.
"""

import pytest
import torch

from xortui.bench import LECTURE_PRESETS, lecture_loop
from xortui.engine.population import Population, initial_parameters
from xortui.engine.presets import PRESETS
from xortui.engine.training import train

STEPS = 2001


@pytest.mark.parametrize("name", LECTURE_PRESETS)
def test_single_run_equals_lecture_loop(name):
    config = PRESETS[name].config.replace(steps=STEPS, device="cpu")
    expected = lecture_loop(config.layers, steps=STEPS, seed=config.seed, log_every=config.log_every)
    got = {s.step: s.loss for s in train(config) if s.logged}
    assert sorted(got) == sorted(expected)
    for step, loss in expected.items():
        assert got[step] == pytest.approx(loss, rel=1e-4, abs=0), f"step {step}"


def test_initial_parameters_are_nn_linear_under_the_seed():
    torch.manual_seed(5)
    want = [torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)]
    got = initial_parameters((2, 3, 1), 5)
    for layer, (w, b) in zip(want, got):
        assert torch.equal(layer.weight, w) and torch.equal(layer.bias, b)


def test_members_are_independent():
    """A member trains the same alone as beside others (same batched code path: K = 2 vs K = 3)."""
    config = PRESETS["xor-nn"].config
    pair, triple = Population(config, [1, 2], torch.device("cpu")), Population(config, [1, 2, 3], torch.device("cpu"))
    pair.train(300)
    triple.train(300)
    torch.testing.assert_close(pair.evaluate().loss, triple.evaluate().loss[:2], rtol=1e-6, atol=0)


def test_evaluate_marks_diverged_members():
    config = PRESETS["xor-nn"].config
    population = Population(config, [0, 1], torch.device("cpu"))
    population.weights[0][1, 0, 0] = float("nan")
    ev = population.evaluate()
    assert ev.finite.tolist() == [True, False]
    assert torch.isfinite(ev.loss[0]) and torch.isnan(ev.loss[1])
