"""The engine imports no UI library, and the dashboard's first frame does not wait for torch."""

import subprocess
import sys

ENGINE_MODULES = [
    "config", "tasks", "activations", "presets", "curve", "devices", "kernel", "population", "training", "metrics",
    "divergence", "sweep", "sweep_text", "activations_math",
]


def imported_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return set(done.stdout.split())


def test_engine_imports_no_ui_library():
    modules = imported_after("\n".join(f"import xortui.engine.{m}" for m in ENGINE_MODULES))
    assert "torch" in modules  # the check below is only meaningful if the engine really loaded
    for ui in ("textual", "click", "plotext", "textual_plotext", "rich"):
        assert ui not in modules, f"the engine imported {ui}"


def test_dashboard_module_does_not_import_torch():
    modules = imported_after("import xortui.app.app, xortui.cli")
    assert "textual" in modules
    assert "torch" not in modules


def test_first_frame_waits_for_neither_plotext_nor_the_dashboard_widgets():
    # what `xortui` imports before its first (splash) frame: the widgets come after it
    modules = imported_after("import xortui.launch, xortui.app.app")  # what `xortui` with no arguments imports
    for later in ("plotext", "textual_plotext", "xortui.app.panel", "xortui.app.widgets", "importlib.metadata",
                  "click", "xortui.cli", "xortui.store"):
        assert later not in modules, f"{later} is imported before the first frame"
