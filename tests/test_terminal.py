"""Below the minimum size the dashboard says so in one centred notice; it comes back on resize, and a run goes on
training meanwhile, losing nothing."""

import asyncio

from textual.widgets import Input

from xortui.app.app import XorTuiApp
from xortui.app.toosmall import MIN_HEIGHT, MIN_WIDTH, TooSmall
from xortui.app.widgets import LossPlot
from pilot_helpers import wait_until


def shows_notice(app) -> bool:
    notice = app.query_one(TooSmall)
    return notice.display and not app.query_one("#main").display and not app.query_one("#status").display


def test_too_small_says_what_it_needs_and_comes_back_with_focus():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(40, 10)) as pilot:
            await pilot.pause()
            assert shows_notice(app)
            text = str(app.query_one(TooSmall).render())
            assert f"terminal too small: needs {MIN_WIDTH} x {MIN_HEIGHT}" in text and "(now 40 x 10)" in text
            await pilot.resize_terminal(100, 30)
            await wait_until(pilot, lambda: not shows_notice(app))
            assert app.query_one("#main").display and not app.query_one(TooSmall).display
            seed = app.query_one("#seed", Input)
            seed.focus()
            await pilot.resize_terminal(MIN_WIDTH, MIN_HEIGHT - 1)  # one row short
            await wait_until(pilot, lambda: shows_notice(app))
            await pilot.resize_terminal(MIN_WIDTH, MIN_HEIGHT)  # exactly the minimum is enough
            await wait_until(pilot, lambda: not shows_notice(app))
            assert app.focused is seed

    asyncio.run(scenario())


def test_resizing_mid_run_loses_nothing_and_training_goes_on():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#steps", Input).value = "10000000"
            await wait_until(pilot, lambda: app.engine_ready)
            await pilot.press("ctrl+r")
            curve = app.query_one(LossPlot).curve
            await wait_until(pilot, lambda: len(curve) > 2)
            await pilot.resize_terminal(MIN_WIDTH - 1, MIN_HEIGHT)  # one column short
            await wait_until(pilot, lambda: shows_notice(app))
            seen = len(curve)
            await wait_until(pilot, lambda: len(curve) > seen + 2)  # training goes on behind the notice
            await pilot.resize_terminal(120, 40)
            await wait_until(pilot, lambda: not shows_notice(app))
            assert app.state == "running" and curve.steps[0] == 0 and len(curve) > seen
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: app.state == "stopped", timeout=5)

    asyncio.run(scenario())
