"""The sweep screen: a grid x seeds from the dashboard, with progress, results and refusals."""

import asyncio

from textual.widgets import DataTable, Input, Static

from xortui.app.app import XorTuiApp
from xortui.app.sweep_screen import SweepScreen
from pilot_helpers import wait_until


def test_sweep_from_the_dashboard(private_store):
    from xortui.store import open_store

    async def scenario():
        app = XorTuiApp(store_path=str(private_store))
        async with app.run_test(size=(100, 30)) as pilot:
            await app.engine_loaded.wait()
            await pilot.press("f4")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SweepScreen)
            screen.query_one("#sweep-seeds", Input).value = "16"
            screen.query_one("#sweep-steps", Input).value = "501"
            await pilot.press("ctrl+r")  # the sweep's, not the dashboard's run
            await wait_until(pilot, lambda: not screen.running and len(screen.rows) == 4)
            assert app.run_id == 0
            table = screen.query_one(DataTable)
            assert table.row_count == 4
            assert [table.get_row_at(i)[1:3] for i in range(4)] == [
                ["2,2,1", "sigmoid"], ["2,2,1", "relu"], ["2,4,1", "sigmoid"], ["2,4,1", "relu"]]
            assert str(screen.query_one("#sweep-message", Static).render()) == "finished"
            await pilot.press("ctrl+o")  # sort by solved fraction, best first
            solved = [float(table.get_row_at(i)[4].rstrip("%")) for i in range(4)]
            assert solved == sorted(solved, reverse=True)
            await pilot.press("escape")
            assert not isinstance(app.screen, SweepScreen)
        with open_store(private_store) as store:
            (recorded,) = store.list_sweeps()
            assert recorded.state == "finished" and len(recorded.summary) == 4

    asyncio.run(scenario())


def test_bad_sweep_fields_and_oversized_sweeps_are_refused():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await app.engine_loaded.wait()
            await pilot.press("f4")
            await pilot.pause()
            screen = app.screen
            screen.query_one("#sweep-lr", Input).value = "1, fast"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert str(screen.query_one("#sweep-message", Static).render()) == "lr: 'fast' is not a number"
            screen.query_one("#sweep-lr", Input).value = "1"
            screen.query_one("#sweep-layers", Input).value = "2,1000,1000,1"
            screen.query_one("#sweep-seeds", Input).value = "1000000"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: not screen.running)
            message = str(screen.query_one("#sweep-message", Static).render())
            assert message.startswith("refused: 1,000,000 seeds of 2,1000,1000,1 need about")

    asyncio.run(scenario())
