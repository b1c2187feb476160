"""Messages from the training worker to the app. Each carries the run id, so news from a replaced run is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the app must not import torch before its first frame
    from xortui.engine.training import Snapshot


class RunProgress(Message):
    """New curve points since the last message and the newest snapshot (at most about ten a second)."""

    def __init__(self, run_id: int, points: tuple[tuple[int, float], ...], snapshot: "Snapshot") -> None:
        super().__init__()
        self.run_id = run_id
        self.points = points
        self.snapshot = snapshot


class RunFailed(Message):
    def __init__(self, run_id: int, message: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.message = message


class EngineReady(Message):
    """torch and the engine have been imported in the background."""


class StoreFailed(Message):
    """The run store stopped recording (disk full, file made read-only...); training goes on."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
