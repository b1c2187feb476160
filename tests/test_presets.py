"""The story presets do what their descriptions say (outcomes found by search on this seed, then fixed here)."""

import pytest

from xortui.engine.presets import PRESETS
from xortui.engine.training import train


def last_snapshot(name):
    return list(train(PRESETS[name].config.replace(device="cpu")))[-1]


def test_every_preset_has_a_one_line_description():
    for preset in PRESETS.values():
        assert preset.description and "\n" not in preset.description and len(preset.description) <= 80
        preset.config.validate()


def test_dying_relu_shows_dead_units_and_fails_and_its_leaky_twin_solves():
    relu = last_snapshot("dying-relu")
    assert relu.dead == (2,) and relu.widths == (4,)
    assert relu.verdict == "not converged (3/4 rows right)"
    leaky = last_snapshot("dying-relu-leaky")
    assert leaky.dead == (0,) and leaky.verdict == "solved"
    assert PRESETS["dying-relu"].config.replace(activation="leaky_relu") == PRESETS["dying-relu-leaky"].config


def test_units_die_during_training_not_at_the_start():
    snaps = list(train(PRESETS["dying-relu"].config.replace(steps=201, device="cpu"), tick_seconds=0.0))
    assert snaps[0].step == 0 and snaps[0].dead == (0,)
    assert snaps[-1].dead == (2,)


def test_deep_sigmoid_vanishes_and_deep_relu_solves():
    sigmoid = last_snapshot("xor-deep-sigmoid")
    assert sigmoid.verdict.startswith("not converged") and abs(sigmoid.loss - 0.6931) < 1e-3
    assert max(sigmoid.grad_norms) < 1e-5
    relu = last_snapshot("xor-deep-relu")
    assert relu.verdict == "solved" and sum(relu.dead) == 16


def test_deep_tanh_gradients_grow_towards_the_output():
    snap = last_snapshot("xor-deep-tanh")
    assert snap.verdict == "solved"
    assert snap.grad_norms[0] * 10 < snap.grad_norms[-1]


@pytest.mark.parametrize("n", range(2, 7))
def test_each_parity_task_is_solved_by_its_preset(n):
    preset = PRESETS[f"parity-{n}"]
    assert preset.config.task == f"parity-{n}"
    assert last_snapshot(f"parity-{n}").verdict == "solved"
