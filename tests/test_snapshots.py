"""Pictures of the dashboard. When one changes, open the SVG and look at it before accepting it."""

import pytest

from xortui.app.app import XorTuiApp

SIZES = [(80, 24), (120, 40)]


async def engine_loaded(pilot):
    await pilot.app.engine_loaded.wait()
    await pilot.pause()


async def xor_nn_finished(pilot):
    await pilot.app.engine_loaded.wait()
    await pilot.press("ctrl+r")
    await pilot.pause(0.2)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)
    assert pilot.app.state == "finished"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_idle_dashboard(snap_compare, size):
    assert snap_compare(XorTuiApp(), terminal_size=size, run_before=engine_loaded)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_finished_xor_nn_run(snap_compare, steady_clock, size):
    assert snap_compare(XorTuiApp(preset="xor-nn"), terminal_size=size, run_before=xor_nn_finished)
