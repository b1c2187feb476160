"""The dashboard driven by keys through Textual's pilot, as a user would."""

import asyncio
import threading
import time

from textual.widgets import Input, Select, Static

from xortui.app.app import XorTuiApp
from xortui.app.widgets import LossPlot, StatusLine, TruthTable
from pilot_helpers import wait_until


def run(coro):
    return asyncio.run(coro)



def table_rows(app):
    table = app.query_one(TruthTable)
    return [table.get_row_at(i) for i in range(table.row_count)]


def test_choose_xor_nn_by_keys_and_train_it():
    async def scenario():
        app = XorTuiApp(preset="xor-single-layer")
        async with app.run_test(size=(100, 30)) as pilot:
            assert app.focused is app.query_one("#preset", Select)
            await pilot.press("enter", "down", "enter")
            assert app.query_one("#preset", Select).value == "xor-nn"
            assert app.query_one("#layers", Input).value == "2,2,1"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished")
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = table_rows(app)
            assert [row[4] for row in rows] == ["0", "1", "1", "0"]
            assert [str(row[5]) for row in rows] == ["✓", "✓", "✓", "✓"]
            assert app.query_one(TruthTable).border_subtitle == "accuracy 4/4 = 100% · solved"
            curve = app.query_one(LossPlot).curve
            assert curve.steps[0] == 0 and curve.steps[-1] == 10000
            assert curve.losses[0] > 0.74 and curve.losses[-1] < 0.0013
            status = str(app.query_one(StatusLine).render())
            assert "finished" in status and "10,001/10,001" in status and "cpu" in status

    run(scenario())


def test_stop_mid_run_keeps_the_curve():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            steps = app.query_one("#steps", Input)
            steps.value = "10000000"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: len(app.query_one(LossPlot).curve) > 3)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.state == "stopped", timeout=5)
            await app.workers.wait_for_complete()
            status = str(app.query_one(StatusLine).render())
            assert "stopped" in status and "/10,000,000" in status
            assert len(app.query_one(LossPlot).curve) > 3

    run(scenario())


def test_quit_mid_run_ends_the_training_thread():
    before = threading.active_count()

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#steps", Input).value = "10000000"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: len(app.query_one(LossPlot).curve) > 3)
            await pilot.press("ctrl+q")
        return app

    app = run(scenario())
    assert app.return_code == 0
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before


def test_bad_field_blocks_the_start_and_says_why():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await app.engine_loaded.wait()
            app.query_one("#lr", Input).focus()
            await pilot.press("ctrl+u", "a", "b", "c")
            await pilot.pause()
            message = app.query_one("#lr-error", Static)
            assert message.display and str(message.render()) == "'abc' is not a number"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert app.state == "idle" and app.run_id == 0
            assert app.focused is app.query_one("#lr", Input)
            await pilot.press("ctrl+u", "1")
            await pilot.pause()
            assert not app.query_one("#lr-error", Static).display

    run(scenario())


def test_depth_and_width_rewrite_the_layer_list():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#depth", Input).focus()
            await pilot.press("ctrl+u", "3")
            app.query_one("#width", Input).focus()
            await pilot.press("ctrl+u", "1", "0")
            await pilot.pause()
            assert app.query_one("#layers", Input).value == "2,10,10,10,1"

    run(scenario())


def test_q_types_into_a_field_instead_of_quitting():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#seed", Input).focus()
            await pilot.press("end", "q")
            await pilot.pause()
            assert app.is_running
            assert app.query_one("#seed", Input).value == "777q"
            assert "not a whole number" in str(app.query_one("#seed-error", Static).render())

    run(scenario())


def test_dashboard_runs_are_recorded(private_store):
    from xortui.store import open_store

    async def scenario():
        app = XorTuiApp(preset="xor-nn", store_path=str(private_store))
        async with app.run_test(size=(80, 24)) as pilot:
            await app.engine_loaded.wait()
            app.query_one("#steps", Input).value = "501"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished")
            await app.workers.wait_for_complete()

    run(scenario())
    with open_store(private_store) as store:
        (record,) = store.list_runs()
        assert record.state == "finished"
        assert [step for step, _ in store.curve(record.id)] == [0, 100, 200, 300, 400, 500]
        assert "--steps 501" in record.reproduce


def test_escape_leaves_a_field_so_q_quits():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            app.query_one("#seed", Input).focus()
            await pilot.press("escape")
            assert app.focused is None
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running
        return app

    assert run(scenario()).return_code == 0


def test_splash_first_then_the_dashboard_and_q_quits_during_the_splash():
    async def scenario():
        app = XorTuiApp(splash=True)  # as the command line starts it
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.dashboard_built)
            assert not app.query("#splash")
            assert app.query_one("#steps", Input).value == "10001"
            assert app.focused is app.query_one("#preset")
            await app.engine_loaded.wait()
            assert "idle" in str(app.query_one(StatusLine).render())

        seen = []
        app = XorTuiApp(splash=True)
        async with app.run_test(size=(100, 30)) as pilot:
            seen.append(str(app.query_one("#splash", Static).render()))
            await pilot.press("q")
            await pilot.pause(0.1)
        assert "loading the dashboard" in seen[0]
        assert app.return_code == 0

    run(scenario())


def test_preset_description_says_what_an_edit_changed_and_comes_back_when_undone():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            description = app.query_one("#preset-description", Static)
            assert "2-2-1 sigmoid" in str(description.render())
            app.query_one("#lr", Input).value = "100"
            app.query_one("#seed", Input).value = "1"
            await pilot.pause()
            assert str(description.render()) == "xor-nn, changed: lr, seed"
            app.query_one("#lr", Input).value = "1"
            app.query_one("#seed", Input).value = "777"
            app.query_one("#activation", Select).value = "relu"
            await pilot.pause()
            assert str(description.render()) == "xor-nn, changed: activation"
            app.query_one("#activation", Select).value = "sigmoid"
            await pilot.pause()
            assert "2-2-1 sigmoid" in str(description.render())

    run(scenario())
