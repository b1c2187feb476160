"""Stopping and quitting mid-way through a run of 10^7 steps, in a real terminal (a pty): the CLI's ctrl+c prints
the summary so far and exits 130; the dashboard's ctrl+q ends the process. Bounds are generous (seconds): what is
tested is that it ends, with the right output, not how fast."""

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")

QUIT_BOUND_S = 5.0


class Terminal:
    """A child process on a pty of a given size, with everything it prints collected."""

    def __init__(self, args, cols=100, rows=30, env=None):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, close_fds=True, start_new_session=True,
            env={**os.environ, "TERM": "xterm-256color", **(env or {})},
        )
        os.close(slave)
        self.output = b""

    def read(self, seconds):
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.05))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child has gone and closed its side
                    return
                if not chunk:
                    return
                self.output += chunk

    def read_until(self, needle: bytes, seconds=60.0):
        deadline = time.monotonic() + seconds
        while needle not in self.output:
            assert time.monotonic() < deadline, f"never saw {needle!r}; got {self.output[-2000:]!r}"
            self.read(0.1)

    def wait_for_exit(self, seconds):
        """Seconds the process took to end, reading its output meanwhile (it must not block on a full pty)."""
        began = time.monotonic()
        while self.proc.poll() is None:
            assert time.monotonic() - began < seconds, f"still running after {seconds} s"
            self.read(0.05)
        self.read(0.2)
        return time.monotonic() - began

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_cli_ctrl_c_mid_run_prints_the_summary_and_exits_130(tmp_path):
    term = Terminal([sys.executable, "-m", "xortui", "run", "--steps", "10000000", "--no-store"])
    try:
        term.read_until(b"\n100 ")  # training has begun
        term.read(1.0)
        term.proc.send_signal(signal.SIGINT)
        took = term.wait_for_exit(QUIT_BOUND_S)
        text = term.output.decode(errors="replace")
        assert term.proc.returncode == 130, text[-2000:]
        assert "Hypothesis:" in text and "Accuracy:" in text
        assert "stopped after" in text and "of 10,000,000 steps" in text
        assert "Traceback" not in text
        print(f"ctrl+c to exit: {took:.2f} s")
    finally:
        term.close()


def test_cli_ctrl_c_reports_the_step_reached_not_the_last_logged_one():
    term = Terminal([sys.executable, "-m", "xortui", "run", "--steps", "10000000", "--log-every", "5000000",
                     "--no-store", "--json"])
    try:
        term.read(3.0)  # torch loads, then about a second of training: tens of thousands of steps, none logged
        term.proc.send_signal(signal.SIGINT)
        term.wait_for_exit(QUIT_BOUND_S)
        assert term.proc.returncode == 130
        record = json.loads(term.output.decode().strip().splitlines()[-1])
        assert record["state"] == "stopped"
        assert 0 < record["steps_done"] < 5_000_000  # the step it stopped at: step 0 was the only one logged
        assert list(record["losses"]) == ["0"]
        assert record["final"]["loss"] != pytest.approx(record["losses"]["0"], rel=1e-3)  # measured at that step
    finally:
        term.close()


def test_dashboard_ctrl_q_mid_run_ends_the_process_and_the_store_says_stopped(tmp_path):
    from xortui.store import open_store

    store = tmp_path / "runs.db"
    term = Terminal([sys.executable, "-m", "xortui"], env={"XORTUI_STORE": str(store)})
    try:
        term.read_until(b"idle", seconds=90)  # torch is loaded
        os.write(term.master, b"\t" * 9)  # from the preset picker to the Steps field (past Head and Optimizer)
        term.read(1.0)
        # On a busy machine Textual can hand a key to the widget that had focus before a tab was handled, so the
        # field is cleared and typed again until it shows 10^7.
        for _ in range(3):
            term.output = b""
            os.write(term.master, b"\x15")  # ctrl+u clears it
            term.read(0.3)
            for key in b"10000000":  # 10^7 steps, typed
                os.write(term.master, bytes([key]))
                term.read(0.05)
            term.read(0.5)
            if b"10000000" in term.output:
                break
        else:
            raise AssertionError(f"the Steps field never showed 10000000: {term.output[-2000:]!r}")
        term.output = b""
        os.write(term.master, b"\x1b[15~")  # f5: run
        term.read_until(b"running")
        term.read(0.5)
        os.write(term.master, b"\x11")  # ctrl+q
        took = term.wait_for_exit(QUIT_BOUND_S)
        assert term.proc.returncode == 0
        assert b"Traceback" not in term.output and b"Error" not in term.output
        print(f"ctrl+q to exit: {took:.2f} s")
    finally:
        term.close()
    with open_store(store) as opened:
        (record,) = opened.list_runs()
        assert record.config["steps"] == 10_000_000
        assert record.state == "stopped"  # the run's end reached the store before the process went


def test_dashboard_q_mid_run_of_ten_million_steps_leaves_no_thread():
    import asyncio
    import threading

    from textual.widgets import Input

    from xortui.app.app import XorTuiApp
    from xortui.app.widgets import LossPlot

    before = set(threading.enumerate())

    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#steps", Input).value = "10000000"
            deadline = time.monotonic() + 60
            while not app.engine_ready:
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            await pilot.press("ctrl+r")
            while len(app.query_one(LossPlot).curve) < 3:
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            assert app.state == "running" and app.focused is not None and not isinstance(app.focused, Input)
            await pilot.press("q")  # not typing in a field: q quits
        return app

    began = time.monotonic()
    app = asyncio.run(scenario())
    assert app.return_code == 0
    deadline = time.monotonic() + QUIT_BOUND_S
    while (left := set(threading.enumerate()) - before) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not left, f"threads left behind: {[t.name for t in left]}"
    print(f"run and quit: {time.monotonic() - began:.2f} s")
