"""The activation lab: every activation's f and f' against torch's own, softmax as in the lecture, and the
screen driven by keys."""

import asyncio
import re

import pytest
import torch
import torch.nn.functional as F
from textual.widgets import Input, Select, Static

from xortui.engine.activations import ACTIVATIONS
from xortui.engine.activations_math import curve, grid, parse_vector, shape_note, softmax

REFERENCE = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
    "elu": F.elu, "gelu": F.gelu, "silu": F.silu, "identity": lambda x: x,
    "prelu": lambda x: F.prelu(x, torch.tensor([0.25], dtype=x.dtype)),  # at its starting slope
}


def test_every_activation_has_a_reference():
    assert set(REFERENCE) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_value_and_derivative_match_torch(name):
    xs = grid(-5, 5, 101)
    assert 0.0 in xs
    f, df = curve(name, xs)
    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = REFERENCE[name](x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    assert f == pytest.approx(y.detach().tolist(), abs=1e-12)
    assert df == pytest.approx(dy.tolist(), abs=1e-12)
    at_zero = xs.index(0.0)
    assert df[at_zero] == pytest.approx(dy[at_zero].item(), abs=1e-12)


def test_lecture_numbers():
    assert curve("relu", [-2, -1, 0, 1, 2])[0] == [0, 0, 0, 1, 2]
    assert [f"{p:.4f}" for p in softmax([1, 2, 3])] == ["0.0900", "0.2447", "0.6652"]
    assert softmax([1000, 1000]) == [0.5, 0.5]  # no overflow
    assert max(curve("sigmoid", grid())[1]) == pytest.approx(0.25)


def test_shape_notes():
    assert shape_note("sigmoid").startswith("f' peaks at 0.25 (x = 0); saturates for x < -3.6 and x > 3.6")
    assert "f' = 0 for x <= 0: dead there" in shape_note("relu")
    assert "units cannot die" in shape_note("leaky_relu")
    assert "a constant slope (0.25, its start: training learns it) below 0: units cannot die" in shape_note("prelu")
    assert shape_note("identity") == "f' = 1 everywhere"


@pytest.mark.parametrize(
    "text, message",
    [("", "type numbers separated by commas"), ("1, x", "'x' is not a number"), ("1, inf", "only finite"),
     (",".join(["1"] * 13), "at most 12 numbers (got 13)")],
)
def test_bad_vectors(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_vector(text)
    assert parse_vector(" 1 2,3;4 ") == [1.0, 2.0, 3.0, 4.0]


def test_lab_by_keys():
    from xortui.app.app import XorTuiApp
    from xortui.app.lab import ActivationLab, CurvePlot

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f2")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ActivationLab)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "0.9000" not in str(screen.query_one("#lab-softmax", Static).render())
            assert "0.0900" in str(screen.query_one("#lab-softmax", Static).render())
            assert screen.query_one(CurvePlot).name_shown == "sigmoid"
            screen.query_one("#lab-activation", Select).value = "relu"
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "dead there" in str(screen.query_one("#lab-note", Static).render())
            field = screen.query_one("#lab-vector", Input)
            field.focus()
            await pilot.press("end", ",", "a")
            await pilot.pause()
            error = screen.query_one("#lab-vector-error", Static)
            assert error.display and str(error.render()) == "'a' is not a number"
            await pilot.press("backspace", "0")
            await pilot.pause()
            assert not error.display
            assert str(screen.query_one("#lab-softmax", Static).render()).count("z =") == 4
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ActivationLab)

    asyncio.run(scenario())


async def lab_open(pilot):
    while not pilot.app.engine_ready:  # torch loaded: the footer and status line are final
        await pilot.pause(0.05)
    await pilot.press("f2")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def test_lab_snapshot(snap_compare):
    from xortui.app.app import XorTuiApp

    assert snap_compare(XorTuiApp(), terminal_size=(80, 24), run_before=lab_open)
