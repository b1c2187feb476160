"""The runs screen: past runs listed, filtered, sorted, marked and overlaid, loaded into the panel, deleted."""

import asyncio
import math
import time

import pytest
from textual.widgets import DataTable, Input, Select, Static

from xortui.app.app import XorTuiApp
from xortui.app.runs import COLUMNS, CompareTables, ConfirmScreen, RunsPlot, RunsScreen, config_from_dict
from xortui.engine.config import ConfigError, ExperimentConfig
from xortui.engine.tasks import get_task
from xortui.store import open_store

BASE_TIME = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC: fixed, so the snapshot does not move with the clock

RUNS = [  # (hidden, activation, lr, seed, how fast the loss falls, predictions)
    ((2,), "sigmoid", 1.0, 777, 0.0006, (0, 1, 1, 0)),
    ((4,), "relu", 0.5, 1, 0.0015, (0, 1, 1, 0)),
    ((2,), "tanh", 0.1, 3, 0.0, (0, 1, 1, 1)),
]


def synthetic_curve(rate: float, steps: int = 5001, every: int = 100) -> list[tuple[int, float]]:
    """A loss that sits near ln 2, then falls at `rate` (0: stays on the plateau)."""
    points = []
    for step in range(0, steps, every):
        plateau = math.log(2) + 0.05 * math.exp(-step / 300)
        points.append((step, plateau * math.exp(-rate * max(0, step - 1000))))
    return points


def record_runs(path) -> list[int]:
    """Three finished xor runs with synthetic curves and outcomes, started an hour apart."""
    ids = []
    targets = get_task("xor").targets
    with open_store(path) as store:
        for i, (hidden, activation, lr, seed, rate, predictions) in enumerate(RUNS):
            config = ExperimentConfig(hidden=hidden, activation=activation, lr=lr, seed=seed, steps=5001)
            started = BASE_TIME + 3600 * i
            run_id = store.begin_run(config.as_dict(), device="cpu", started_at=started)
            curve = synthetic_curve(rate)
            store.append_points(run_id, curve)
            outputs = [0.9 * p + 0.05 + 0.01 * r for r, p in enumerate(predictions)]
            right = sum(p == t for p, t in zip(predictions, targets))
            store.finish_run(run_id, "finished", {
                "step": 5001, "loss": curve[-1][1], "outputs": outputs, "predictions": list(predictions),
                "targets": list(targets), "accuracy": right / 4,
                "verdict": "solved" if right == 4 else f"plateau ({right}/4 rows right)",
            }, ended_at=started + 2)
            ids.append(run_id)
    return ids


@pytest.fixture
def utc(monkeypatch):
    """Times shown in UTC, whatever the machine's zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def run(coro):
    return asyncio.run(coro)


def runs_table(app) -> DataTable:
    return app.screen.query_one("#runs-table", DataTable)


def listed_ids(app) -> list[int]:
    table = runs_table(app)
    return [int(str(table.get_row_at(i)[1])) for i in range(table.row_count)]


def test_config_from_dict_reads_a_stored_config_and_ignores_unknown_keys():
    stored = ExperimentConfig(task="parity-3", hidden=(4, 3), activation="relu", lr=0.25, seed=5).as_dict()
    stored["future_option"] = "whatever"
    config = config_from_dict(stored)
    assert config == ExperimentConfig(task="parity-3", hidden=(4, 3), activation="relu", lr=0.25, seed=5)
    assert config_from_dict({"task": "xor", "layers": [2, 1]}).hidden == ()
    with pytest.raises(ConfigError):
        config_from_dict({"task": "no-such-task", "layers": [2, 2, 1]})
    with pytest.raises(ConfigError):
        config_from_dict({"task": "xor", "layers": [2, 2, 1], "activation": "nope"})


def test_runs_screen_filter_mark_overlay_load_and_delete(private_store):
    ids = record_runs(private_store)

    async def scenario():
        app = XorTuiApp(store_path=str(private_store))
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            assert listed_ids(app) == ids[::-1]  # newest first

            # filter by text
            await pilot.press("slash", *"relu")
            await pilot.pause(0.4)  # the filter reads the store when typing pauses
            assert listed_ids(app) == [ids[1]]
            await pilot.press(*"zzz")
            await pilot.pause(0.4)
            assert listed_ids(app) == []
            assert "no run matches" in str(app.screen.query_one("#runs-message", Static).render())
            app.screen.query_one("#runs-filter", Input).value = ""
            await pilot.pause(0.4)
            assert listed_ids(app) == ids[::-1]
            assert not app.screen.query_one("#runs-message", Static).display

            # sort: a key cycles the sort column, another reverses it; a header click sorts by that column
            screen = app.screen
            await pilot.press("enter")  # enter in the filter goes to the table
            assert app.focused is runs_table(app)
            for _ in range(len(COLUMNS)):
                if screen.sort_key == "lr":
                    break
                await pilot.press("s")
            assert screen.sort_key == "lr"
            assert listed_ids(app) == [ids[2], ids[1], ids[0]]  # lr 0.1, 0.5, 1.0
            await pilot.press("r")
            assert listed_ids(app) == [ids[0], ids[1], ids[2]]
            await pilot.click("#runs-table", offset=(4, 0))  # the "#" header
            await pilot.pause()
            assert screen.sort_key == "id"
            assert listed_ids(app) == ids[::-1]

            # mark three: their curves overlaid, their tables side by side
            runs_table(app).focus()
            runs_table(app).move_cursor(row=0)
            await pilot.press("space", "space", "space")
            await pilot.pause()
            assert screen.marked == ids[::-1]
            plot = screen.query_one(RunsPlot)
            assert len(plot.series) == 3
            assert [s.run_id for s in plot.series] == ids[::-1]
            assert all(len(s.points) == 51 for s in plot.series)
            assert plot.plt._active.monitor.signals == 3  # what plotext was given: three series
            labels = [s.label for s in plot.series]
            assert labels[1].startswith(f"#{ids[1]} relu") and len(set(labels)) == 3
            compare = screen.query_one(CompareTables).query_one(DataTable)
            assert compare.row_count == 4 and len(compare.columns) == 3 + 3
            last_row = [str(cell) for cell in compare.get_row_at(3)]
            assert last_row[3] == "0.98 1✗"  # the tanh run gets row (1,1) wrong
            assert "3 marked" in str(screen.query_one("#runs-count", Static).render())
            runs_table(app).move_cursor(row=0)
            await pilot.press("space")  # space again unmarks
            await pilot.pause()
            assert screen.marked == ids[1::-1]
            assert len(plot.series) == 2

            # the reproduce command of the run under the cursor
            runs_table(app).move_cursor(row=1)
            await pilot.pause()
            reproduce = str(screen.query_one("#runs-reproduce", Static).render())
            assert f"#{ids[1]}" in reproduce and "xortui run --layers 2,4,1 --activation relu" in reproduce
            await pilot.press("y")
            assert app.clipboard.startswith("xortui run --layers 2,4,1 --activation relu")

            # load it into the panel and go back to the dashboard
            await pilot.press("l")
            await pilot.pause()
            assert not isinstance(app.screen, RunsScreen)
            assert app.query_one("#layers", Input).value == "2,4,1"
            assert app.query_one("#activation", Select).value == "relu"
            assert app.query_one("#lr", Input).value == "0.5"
            assert app.query_one("#seed", Input).value == "1"

            # delete one, after saying no once
            await pilot.press("f3")
            await pilot.pause()
            assert listed_ids(app) == ids[::-1]
            runs_table(app).move_cursor(row=0)
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert listed_ids(app) == ids[::-1]
            await pilot.press("d")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            assert listed_ids(app) == ids[1::-1]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, RunsScreen)
            await app.workers.wait_for_complete()

    run(scenario())
    with open_store(private_store) as store:
        assert [r.id for r in store.list_runs()] == ids[1::-1]


@pytest.mark.parametrize("kind", ["missing", "not a database"])
def test_runs_screen_with_no_usable_store_says_so_in_one_line(tmp_path, kind):
    path = tmp_path / "elsewhere.db"
    if kind == "not a database":
        path.write_text("these are my notes, not a database\n")

    async def scenario():
        app = XorTuiApp(store_path=str(path))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            message = app.screen.query_one("#runs-message", Static)
            assert message.display
            text = str(message.render())
            assert ("no runs recorded yet" if kind == "missing" else "not an xortui run store") in text
            assert runs_table(app).row_count == 0
            await pilot.press("space", "d", "l", "s", "y")  # nothing to act on: nothing happens
            await pilot.pause()
            assert isinstance(app.screen, RunsScreen)
            await app.workers.wait_for_complete()

    run(scenario())
    if kind == "not a database":
        assert path.read_text() == "these are my notes, not a database\n"  # left untouched


async def three_runs_overlaid(pilot):
    await pilot.app.workers.wait_for_complete()  # torch loaded, the store opened
    await pilot.press("f3")
    await pilot.pause()
    await pilot.press("space", "space", "space")
    await pilot.pause(0.2)
    assert len(pilot.app.screen.query_one(RunsPlot).series) == 3


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs_screen_overlay_of_three_runs(snap_compare, private_store, utc, size):
    record_runs(private_store)
    app = XorTuiApp(store_path=str(private_store))
    assert snap_compare(app, terminal_size=size, run_before=three_runs_overlaid)


def test_a_long_history_lists_the_first_rows_and_says_how_many_match(private_store, monkeypatch):
    import xortui.app.runs as runs_module

    ids = record_runs(private_store)
    monkeypatch.setattr(runs_module, "MAX_ROWS", 2)

    async def scenario():
        app = XorTuiApp(store_path=str(private_store))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            assert listed_ids(app) == [ids[2], ids[1]]
            assert "first 2 of 3 runs" in str(app.screen.query_one("#runs-count", Static).render())
            await app.workers.wait_for_complete()

    run(scenario())


def test_series_labels_name_the_settings_that_tell_runs_apart():
    from xortui.app.runs import differing_keys

    configs = [ExperimentConfig(lr=1.0).as_dict(), ExperimentConfig(lr=100.0).as_dict(),
               ExperimentConfig(lr=0.5, activation="relu").as_dict()]
    assert differing_keys(configs) == ["lr", "activation"]  # lr alone tells all three apart: it comes first
    configs[2] = ExperimentConfig(task="parity-3", hidden=(4,)).as_dict()
    assert differing_keys(configs) == ["task", "lr"]  # two groups each: the reading order decides
    assert differing_keys(configs[:1]) == []


def test_a_run_still_training_moves_on_the_runs_screen(private_store):
    with open_store(private_store) as store:
        run_id = store.begin_run(ExperimentConfig().as_dict(), device="cpu")
        store.append_points(run_id, [(0, 0.75), (100, 0.70)])

    async def scenario():
        app = XorTuiApp(store_path=str(private_store))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3")
            await pilot.pause()
            plot = app.screen.query_one(RunsPlot)
            assert [len(s.points) for s in plot.series] == [2]
            assert "running" in str(runs_table(app).get_row_at(0)[10])
            with open_store(private_store) as store:  # another xortui goes on recording it
                store.append_points(run_id, [(200, 0.6), (300, 0.5)])
                store.finish_run(run_id, "finished", {"loss": 0.5, "accuracy": 1.0, "verdict": "solved"})
            await pilot.pause(1.5)
            assert [len(s.points) for s in plot.series] == [4]
            row = runs_table(app).get_row_at(0)
            assert "finished" in str(row[10]) and str(row[7]) == "0.5" and str(row[9]) == "solved"
            await app.workers.wait_for_complete()

    run(scenario())
