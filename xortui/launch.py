"""The `xortui` command's entry point. With no arguments it opens the dashboard without importing the command line
(click and the CLI's modules cost about 0.1 s before the first frame); anything else goes to the command line."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if len(sys.argv) == 1:
        dashboard()
        exit_at_once(0)
    from xortui.cli import main as command_line

    command_line()


def dashboard(preset: str | None = None, store_path: str | None = None) -> None:
    """Run the dashboard until the user quits. The store is `store_path`, else $XORTUI_STORE, else the user's
    data directory."""
    from xortui.app.app import XorTuiApp
    from xortui.engine.presets import DEFAULT_PRESET

    XorTuiApp(preset=preset or DEFAULT_PRESET, store_path=store_path, splash=True).run()


def exit_at_once(code: int) -> None:
    """End the process without the interpreter's teardown, which takes ~0.6 s once torch is loaded: after ctrl+c
    or ctrl+q the user is waiting for the prompt. Everything is done by now (the dashboard has restored the
    terminal, the store has committed, training threads only poll a stop flag); output is flushed first."""
    if "torch" not in sys.modules:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(code)
