import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def reference() -> dict:
    return json.loads((DATA / "seed-losses.json").read_text())


@pytest.fixture
def steady_clock(monkeypatch):
    """Training timings (elapsed, steps/s) that are the same on every machine, for snapshot tests."""
    from xortui.engine import training

    ticks = iter(range(10**9))
    monkeypatch.setattr(training, "clock", lambda: next(ticks) * 0.001)


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    """Every test records into its own store, never the user's."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv("XORTUI_STORE", str(path))
    return path
