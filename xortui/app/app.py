"""The xortui dashboard.

Data flows one way: the panel's configuration goes to a thread worker that runs the engine; the worker posts
progress messages (at most about ten a second, whatever the training speed); the app shows them. Widgets are
touched only on the UI thread. torch is imported in the background, so the first frame comes at once.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Static
from textual.worker import WorkerCancelled, WorkerFailed, get_current_worker

from xortui.app.messages import EngineReady, RunFailed, RunProgress, StoreFailed
from xortui.engine.config import ConfigError, ExperimentConfig
from xortui.engine.presets import DEFAULT_PRESET
from xortui.engine.tasks import get_task

if TYPE_CHECKING:
    from xortui.app.help import HelpScreen
    from xortui.app.inside import InsideView
    from xortui.app.panel import ExperimentPanel
    from xortui.app.toosmall import TooSmall
    from xortui.app.widgets import LossPlot, StatusLine, TruthTable

UPDATE_SECONDS = 0.1  # screen updates per run: about ten a second
DETAIL_SECONDS = 0.25  # the truth table and inside view: about four a second


def import_dashboard() -> None:
    """Import the dashboard's widgets (plotext and ~200 widgets' styles come with them). With the splash they are
    imported after the first frame, so that frame needs little more than Textual itself."""
    global HelpScreen, InsideView, ExperimentPanel, TooSmall, LossPlot, StatusLine, TruthTable
    from xortui.app.help import HelpScreen
    from xortui.app.inside import InsideView
    from xortui.app.panel import ExperimentPanel
    from xortui.app.toosmall import TooSmall
    from xortui.app.widgets import LossPlot, StatusLine, TruthTable


class XorTuiApp(App):
    CSS_PATH = Path(__file__).with_name("xortui.tcss")
    TITLE = "xortui"
    BINDINGS = [
        Binding("ctrl+r,f5", "start", "Run", priority=True),
        Binding("ctrl+s", "stop", "Stop", priority=True),
        Binding("ctrl+n", "reset", "Reset", priority=True),
        Binding("ctrl+l", "toggle_log", "Log y", priority=True),
        Binding("f1,question_mark", "help", "Help"),
        Binding("f2", "lab", "Lab"),
        Binding("f3", "runs", "Runs"),
        Binding("f4", "sweep", "Sweep"),
        Binding("f6", "use_cpu", "Use CPU"),  # shown only while CUDA was chosen and is missing
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("q", "quit", "Quit", show=False),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    def __init__(self, preset: str = DEFAULT_PRESET, store_path: str | None = None, splash: bool = False) -> None:
        super().__init__()
        self.preset = preset
        # splash: the first frame is a one-line loading screen and the dashboard is built just after it (the
        # command line does this, so that something is on screen at once); tests build the dashboard at once.
        self.splash = splash
        self.dashboard_built = False
        self.store_path = store_path  # None: $XORTUI_STORE, else the user's data directory
        self.store = None  # opened with the engine, off the UI thread
        self.store_error = None
        self.run_id = 0
        self.state = "idle"
        self.engine_ready = False
        self.last_snapshot = None  # the newest snapshot of the current run
        self._details_drawn_at = 0.0
        self._cuda_noticed_at = -self.CUDA_NOTICE_SECONDS  # when the "no CUDA" notice last went up
        self.engine_loaded = asyncio.Event()  # set once torch is in: tests and scripts can await it
        self._stop = threading.Event()

    def compose(self) -> ComposeResult:
        if self.splash:
            yield Static("xortui\n\nloading the dashboard…", id="splash")
        else:
            yield from self.dashboard()

    def dashboard(self) -> ComposeResult:
        import_dashboard()
        with Horizontal(id="main"):
            yield ExperimentPanel(self.preset, id="panel")
            with Vertical(id="results"):
                yield LossPlot(id="loss")
                yield InsideView(id="inside")
                yield TruthTable(id="table")
        yield StatusLine(id="status")
        yield Footer(compact=True, show_command_palette=False)  # every key fits in 80 columns
        yield TooSmall(id="too-small")  # in place of all the above while the terminal is below the minimum

    def on_mount(self) -> None:
        if self.splash:
            self.call_after_refresh(self.replace_splash)
        else:
            self.dashboard_mounted()

    async def replace_splash(self) -> None:
        # The dashboard is mounted hidden behind the splash and shown in one frame (no half-built frames).
        self.screen.add_class("-building")
        await self.screen.mount_compose(self.dashboard())
        if not self.query("#panel"):
            return  # the app is closing (q during the splash)
        self.query_one("#splash").remove()
        self.screen.remove_class("-building")
        self.dashboard_mounted()
        self.refresh_bindings()  # the footer was built while only quit was allowed
        if self.focused is None:
            self.screen.focus_next()  # the preset picker, as when the dashboard is composed at once

    def dashboard_mounted(self) -> None:
        # The training thread needs the GIL only between chunks, but then it waits for the UI thread to give it up,
        # by default for up to 5 ms at a time; 1 ms keeps that wait small beside the chunk.
        sys.setswitchinterval(0.001)
        self.dashboard_built = True
        self.query_one("#panel").border_title = "xortui · experiment"
        self.query_one("#loss").border_title = "loss"
        self.query_one("#inside").border_title = "inside the network"
        table = self.query_one(TruthTable)
        table.border_title = "truth table"
        table.show_task(get_task("xor"))
        self.query_one(StatusLine).show("loading", note="loading torch…")
        # torch is imported after the first frame is painted: the import holds the GIL for most of 2 s
        self.call_after_refresh(self.load_engine)

    @work(thread=True, group="engine", exit_on_error=False)
    def load_engine(self) -> None:
        import xortui.engine.training  # noqa: F401  (torch, and the compiled kernel)
        from xortui.store import try_open_store

        self.store, self.store_error = try_open_store(self.store_path)
        self.post_message(EngineReady())

    def on_engine_ready(self, _: EngineReady) -> None:
        self.engine_ready = True
        self.engine_loaded.set()
        if self.state == "loading":
            self.state = "idle"
        if self.store_error is not None:
            self.notify(f"runs are not recorded: {self.store_error}", severity="warning", timeout=8)
        if self.run_id == 0:
            self.query_one(StatusLine).show("idle", note="ctrl+r to train, f1 for help")
        self.check_device()

    def on_resize(self, event) -> None:
        if self.dashboard_built:
            self.query_one(TooSmall).fit(event.size)

    # ------------------------------------------------------------------------------------------ actions

    def on_select_changed(self, event) -> None:
        # a new task shows its truth table at once (unless a run is showing its own)
        if event.select.id in ("task", "preset", "head") and self.state != "running":
            from xortui.engine.tasks import TASKS

            panel = self.query_one(ExperimentPanel)
            name = panel.task_name()
            if name in TASKS:
                self.query_one(TruthTable).show_task(TASKS[name], panel.head_name())
        if event.select.id == "device":
            self.check_device()

    # ------------------------------------------------------------------------------------------ devices

    cuda_missing = False  # CUDA is chosen in the device field and torch has none: f6 switches to cpu

    def check_device(self) -> bool:
        """False, with a notice that offers the CPU, when the device field says cuda and torch has no CUDA. Until
        torch is loaded this cannot be known without blocking: the worker then refuses, with the same notice."""
        from textual.widgets import Select

        if self.query_one("#device", Select).value != "cuda":
            if self.cuda_missing:
                self.cuda_missing = False
                self.query_one(ExperimentPanel).show_device_error("")
                self.refresh_bindings()
            return True
        if not self.engine_ready:
            return True
        from xortui.engine.devices import resolve_device

        try:
            resolve_device("cuda")
        except ConfigError as error:
            self.show_cuda_missing(error.message)
            return False
        return True

    CUDA_NOTICE_SECONDS = 10.0

    def show_cuda_missing(self, message: str) -> None:
        self.cuda_missing = True
        self.query_one(ExperimentPanel).show_device_error(f"{message} (f6: use cpu)")
        # One notice on screen at a time: pressing ctrl+r again while it shows would only stack copies of it.
        if time.monotonic() - self._cuda_noticed_at >= self.CUDA_NOTICE_SECONDS:
            self._cuda_noticed_at = time.monotonic()
            self.notify(f"{message}. Press f6 to switch to the CPU.", title="no CUDA", severity="warning",
                        timeout=self.CUDA_NOTICE_SECONDS)
        self.refresh_bindings()

    def action_use_cpu(self) -> None:
        from textual.widgets import Select

        self.query_one("#device", Select).value = "cpu"  # its Changed event clears the notice
        self.notify("device: cpu", timeout=3)

    def on_experiment_panel_start_requested(self, _: ExperimentPanel.StartRequested) -> None:
        self.action_start()

    def action_start(self) -> None:
        config = self.query_one(ExperimentPanel).read_config()
        if config is None:
            self.notify("fix the marked field first", severity="error", timeout=3)
            return
        if not self.check_device():
            return
        self.start_run(config)

    def start_run(self, config: ExperimentConfig) -> None:
        self._stop.set()  # the running worker (if any) ends at its next chunk
        self._stop = threading.Event()
        self.run_id += 1
        self.state = "running"
        self.query_one(LossPlot).clear()
        self.query_one(InsideView).clear()
        self.query_one(TruthTable).show_task(get_task(config.task), config.head)
        self.query_one(StatusLine).show("running", note="" if self.engine_ready else "loading torch…")
        self.train(self.run_id, config, self._stop)

    def action_stop(self) -> None:
        if self.state == "running":
            self._stop.set()

    def action_reset(self) -> None:
        self._stop.set()
        self.run_id += 1  # drop anything still in flight from the old run
        self.state = "idle"
        self.query_one(LossPlot).clear()
        self.query_one(InsideView).clear()
        panel = self.query_one(ExperimentPanel)
        self.query_one(TruthTable).show_task(get_task(panel.task_name()), panel.head_name())
        self.query_one(StatusLine).show("idle")

    async def action_quit(self) -> None:
        """Quit, after letting a running training worker end its run (within a chunk, about 0.1 s): its last
        step is what the store records as the run's end, and the process exits without waiting for threads."""
        self._stop.set()
        training = [worker for worker in self.workers if worker.group == "train" and not worker.is_finished]
        if training:
            try:
                await asyncio.wait_for(self.workers.wait_for_complete(training), timeout=1.0)
            except asyncio.TimeoutError:
                self.log.warning("training worker still running at quit")
            except (WorkerCancelled, WorkerFailed):  # cancelled before it began, or failed: nothing to wait for
                pass
        await super().action_quit()

    def action_leave_field(self) -> None:
        """Escape leaves a text field, so that single keys (q, ?) act again."""
        if isinstance(self.focused, Input):
            self.set_focus(None)

    def action_toggle_log(self) -> None:
        self.query_one(LossPlot).toggle_log_y()

    def action_runs(self) -> None:
        from textual.screen import ModalScreen

        from xortui.app.runs import RunsScreen  # the runs screen: past runs, overlays, load, delete

        if isinstance(self.screen, RunsScreen):
            self.screen.dismiss(None)
        elif not isinstance(self.screen, ModalScreen):
            self.push_screen(RunsScreen())

    def action_lab(self) -> None:
        from xortui.app.lab import ActivationLab  # f(x), f'(x) and softmax: a screen of its own

        if self.screen is self.screen_stack[0]:
            activation = str(self.query_one("#activation").value)
            self.push_screen(ActivationLab(activation))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_sweep(self) -> None:
        from xortui.app.sweep_screen import SweepScreen

        if not isinstance(self.screen, SweepScreen):
            self.push_screen(SweepScreen())

    DASHBOARD_ACTIONS = frozenset({"start", "stop", "reset", "toggle_log", "sweep"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.dashboard_built:
            return action == "quit"  # a key pressed during the splash waits for nothing but quitting
        if action == "use_cpu":
            return self.cuda_missing and self.screen is self.screen_stack[0]
        # The dashboard's keys belong to the dashboard: on another screen the same key reaches that screen.
        if action in self.DASHBOARD_ACTIONS and self.screen is not self.screen_stack[0]:
            return False
        return True

    # ------------------------------------------------------------------------------------------ the worker

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def train(self, run_id: int, config: ExperimentConfig, stop: threading.Event) -> None:
        from xortui.engine.training import RUNNING, train
        from xortui.store import RunRecorder, reproduce_command

        worker = get_current_worker()
        pending: list[tuple[int, float]] = []
        last_post = 0.0
        recorder = None
        snap = None
        try:
            for snap in train(config, lambda: stop.is_set() or worker.is_cancelled, tick_seconds=DETAIL_SECONDS):
                if recorder is None:
                    recorder = RunRecorder.start(
                        self.store, config.as_dict(), device=snap.device,
                        command=reproduce_command(config.as_dict()),
                        on_error=lambda error: self.post_message(StoreFailed(str(error))),
                    )
                if snap.logged:
                    pending.append((snap.step, snap.loss))
                    recorder.add(snap.step, snap.loss)
                now = time.monotonic()
                if now - last_post >= UPDATE_SECONDS or snap.state != RUNNING:
                    self.post_message(RunProgress(run_id, tuple(pending), snap))
                    pending = []
                    last_post = now
        except ConfigError as error:
            self.post_message(RunFailed(run_id, f"{error.field}: {error.message}"))
        except Exception as error:  # shown to the user with its cause; the app stays usable
            self.log.error("training failed", error)
            self.post_message(RunFailed(run_id, f"{type(error).__name__}: {error}"))
            if recorder is not None:
                recorder.finish("failed", {"error": f"{type(error).__name__}: {error}"})
        finally:
            if recorder is not None and snap is not None:
                recorder.finish(snap.state if snap.state != RUNNING else "stopped", snap.as_dict())

    def on_run_progress(self, message: RunProgress) -> None:
        if message.run_id != self.run_id or not self.query(LossPlot):
            return  # from a replaced run, or one still reporting while the app closes and its widgets are gone
        snap = message.snapshot
        self.last_snapshot = snap
        final = snap.state != "running"
        self.query_one(LossPlot).add_points(message.points, now=final)
        # The table (up to 64 rows) and the inside view cost the UI thread more than the status line: a few
        # times a second is enough for the eye, and leaves the GIL to training.
        if final or time.monotonic() - self._details_drawn_at >= DETAIL_SECONDS:
            self._details_drawn_at = time.monotonic()
            self.query_one(TruthTable).show(snap)
            self.query_one(InsideView).show(snap)
        self.state = snap.state
        self.query_one(StatusLine).show(snap.state, snap, note=snap.note)
        if snap.state == "diverged":
            self.notify(snap.note, title="run diverged", severity="warning", timeout=8)

    def on_store_failed(self, message: StoreFailed) -> None:
        self.notify(f"this run is no longer recorded: {message.message}", severity="warning", timeout=8)

    def on_run_failed(self, message: RunFailed) -> None:
        if message.run_id != self.run_id or not self.query(StatusLine):
            return
        self.state = "failed"
        self.query_one(StatusLine).show("failed", note=message.message)
        if message.message.startswith("device: CUDA is not available"):
            self.show_cuda_missing(message.message.removeprefix("device: "))
        else:
            self.notify(message.message, title="run failed", severity="error", timeout=8)
