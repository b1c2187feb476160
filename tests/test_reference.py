"""The lecture's three experiments reproduce every printed loss and the notebooks' final outputs."""

import math

import pytest

from xortui.engine.presets import PRESETS
from xortui.engine.training import FINISHED, train


@pytest.fixture(scope="module")
def runs():
    return {name: list(train(PRESETS[name].config)) for name in ("xor-single-layer", "xor-nn", "xor-wide-deep")}


@pytest.mark.parametrize("name", ["xor-single-layer", "xor-nn", "xor-wide-deep"])
def test_every_printed_loss(name, runs, reference):
    expected = reference["experiments"][name]
    assert list(PRESETS[name].config.layers) == expected["layers"]
    logged = {s.step: s.loss for s in runs[name] if s.logged}
    assert sorted(logged) == list(range(0, 10001, 100))
    tolerance = reference["tolerance_rel"]
    for step, loss in expected["losses"].items():
        assert logged[int(step)] == pytest.approx(loss, rel=tolerance), f"step {step}"


@pytest.mark.parametrize("name", ["xor-single-layer", "xor-nn", "xor-wide-deep"])
def test_final_outputs_predictions_accuracy(name, runs, reference):
    expected = reference["experiments"][name]["final"]
    final = runs[name][-1]
    assert final.state == FINISHED
    assert final.step == 10001
    assert final.outputs == pytest.approx(expected["hypothesis"], rel=reference["tolerance_rel"])
    assert list(final.predictions) == expected["predicted"]
    assert final.accuracy == expected["accuracy"]


def test_single_layer_sits_at_ln2(runs):
    assert runs["xor-single-layer"][-1].loss == pytest.approx(math.log(2), rel=1e-6)


def test_softmax_and_relu_examples_from_the_lecture(reference):
    import torch

    z = torch.tensor(reference["softmax_example"]["z"])
    assert [round(v, 4) for v in torch.softmax(z, 0).tolist()] == reference["softmax_example"]["softmax"]
    x = torch.tensor(reference["relu_example"]["x"])
    assert torch.relu(x).tolist() == reference["relu_example"]["relu"]
