"""No CUDA: the CLI refuses in one line (exit 2); the dashboard says so, offers the CPU (f6) and stays usable. An
error in the middle of a run (a CUDA error, say) ends that run with its message; the next run works."""

import asyncio
import os
import subprocess
import sys

from textual.widgets import Input, Select, Static

from xortui.app.app import XorTuiApp
from xortui.app.widgets import StatusLine
from xortui.engine import devices
from pilot_helpers import wait_until


def run(coro):
    return asyncio.run(coro)



def notices(app):
    return [(n.title, n.message) for n in app._notifications]


def test_cli_cuda_hidden_exits_2_with_one_line():
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, "-m", "xortui", "run", "--device", "cuda", "--no-store"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: Invalid value for '--device': CUDA is not available (")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_dashboard_offers_cpu_when_cuda_is_missing(monkeypatch):
    monkeypatch.setattr(devices, "cuda_available", lambda: False)

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.engine_ready)
            app.query_one("#steps", Input).value = "201"
            app.query_one("#device", Select).value = "cuda"
            await pilot.pause()
            error = app.query_one("#device-error", Static)
            assert error.display and "CUDA is not available" in str(error.render())
            assert "use cpu or auto" in str(error.render()) and "f6" in str(error.render())
            assert any(title == "no CUDA" and "f6" in message for title, message in notices(app))
            await pilot.press("ctrl+r", "ctrl+r")  # refused: no run starts on a device that is not there
            await pilot.pause()
            assert app.run_id == 0 and app.state == "idle"
            assert [title for title, _ in notices(app)].count("no CUDA") == 1  # not one more per key press
            await pilot.press("f6")
            await pilot.pause()
            assert app.query_one("#device", Select).value == "cpu"
            assert not app.query_one("#device-error", Static).display
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished")
            assert "cpu" in str(app.query_one(StatusLine).render())

    run(scenario())


def test_worker_refusing_cuda_shows_the_same_notice(monkeypatch):
    """Before torch is loaded the dashboard cannot ask it; then the worker refuses, with the same offer."""
    monkeypatch.setattr(devices, "cuda_available", lambda: False)

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.engine_ready)
            config = app.query_one("#panel").read_config().replace(device="cuda")
            app.start_run(config)  # as if ctrl+r came before torch was in
            await wait_until(pilot, lambda: app.state == "failed")
            assert app.cuda_missing
            assert "CUDA is not available" in str(app.query_one("#device-error", Static).render())
            assert "CUDA is not available" in str(app.query_one(StatusLine).render())
            assert app.is_running

    run(scenario())


def test_error_mid_run_ends_that_run_and_the_next_one_works(monkeypatch):
    from xortui.engine import training

    real_train = training.train

    def failing_train(config, *args, **kwargs):
        snaps = real_train(config, *args, **kwargs)
        yield next(snaps)
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.engine_ready)
            monkeypatch.setattr(training, "train", failing_train)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "failed")
            status = str(app.query_one(StatusLine).render())
            assert "failed" in status and "RuntimeError: CUDA error: an illegal memory access" in status
            assert any(title == "run failed" and "illegal memory access" in message
                       for title, message in notices(app))
            monkeypatch.setattr(training, "train", real_train)
            app.query_one("#steps", Input).value = "301"
            app.query_one("#device", Select).value = "auto"  # switching device between runs
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished")
            app.query_one("#device", Select).value = "cpu"
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished" and app.run_id == 3)

    run(scenario())
