"""Truth-table tasks: the gates and n-bit parity, and the dashboard following a task change."""

import asyncio

import pytest
from textual.widgets import Input, Select

from xortui.engine.config import ConfigError, ExperimentConfig, parse_hidden_from_layers
from xortui.engine.tasks import TASKS


@pytest.mark.parametrize(
    "name, targets",
    [
        ("xor", (0, 1, 1, 0)), ("and", (0, 0, 0, 1)), ("or", (0, 1, 1, 1)), ("nand", (1, 1, 1, 0)),
        ("nor", (1, 0, 0, 0)), ("xnor", (1, 0, 0, 1)), ("parity-2", (0, 1, 1, 0)),
    ],
)
def test_two_input_gates(name, targets):
    task = TASKS[name]
    assert task.inputs == ((0, 0), (0, 1), (1, 0), (1, 1))
    assert task.targets == targets


@pytest.mark.parametrize("n", range(2, 7))
def test_parity(n):
    task = TASKS[f"parity-{n}"]
    assert task.n_inputs == n and task.n_rows == 2**n
    assert len(set(task.inputs)) == 2**n
    assert all(t == sum(row) % 2 for row, t in zip(task.inputs, task.targets))


def test_layers_start_with_the_tasks_inputs():
    assert ExperimentConfig(task="parity-4", hidden=(8, 8)).validate().layers == (4, 8, 8, 1)
    assert parse_hidden_from_layers("6,16,1", "parity-6") == (16,)
    with pytest.raises(ConfigError, match="must start with 4: the parity-4 task has 4 inputs"):
        parse_hidden_from_layers("2,2,1", "parity-4")


def test_choosing_parity_6_rewrites_the_layers_and_shows_64_rows():
    from xortui.app.app import XorTuiApp
    from xortui.app.widgets import TruthTable

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#task", Select).value = "parity-6"
            await pilot.pause()
            assert app.query_one("#layers", Input).value == "6,2,1"
            table = app.query_one(TruthTable)
            assert table.row_count == 64
            assert table.get_row_at(63)[:7] == ["1", "1", "1", "1", "1", "1", "0"]
            assert app.query_one("#panel").read_config().layers == (6, 2, 1)

    asyncio.run(scenario())


def test_six_input_rows_fit_80_columns_with_their_marks():
    from xortui.app.app import XorTuiApp
    from xortui.app.widgets import TruthTable

    async def scenario():
        app = XorTuiApp(preset="parity-6")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            table = app.query_one(TruthTable)
            assert [str(c.label) for c in table.columns.values()][6:9] == ["y", "output", "ŷ"]
            assert table.virtual_size.width <= table.scrollable_content_region.width + 1  # the last padding
            assert table.region.bottom <= 22  # the subtitle with the verdict stays on screen

    asyncio.run(scenario())
