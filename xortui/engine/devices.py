"""Which torch device a run uses."""

from __future__ import annotations

import torch

from xortui.engine.config import ConfigError


def cuda_available() -> bool:
    return torch.cuda.is_available()


def resolve_device(name: str) -> torch.device:
    """'auto' is the lecture's rule: CUDA when available, else CPU. 'cuda' without CUDA is a ConfigError."""
    if name == "auto":
        return torch.device("cuda" if cuda_available() else "cpu")
    if name == "cuda" and not cuda_available():
        why = "this torch is a CPU-only build" if torch.version.cuda is None else "no CUDA device is visible"
        raise ConfigError("device", f"CUDA is not available ({why}); use cpu or auto")
    return torch.device(name)


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda:{device.index or 0} ({torch.cuda.get_device_name(device)})"
    return "cpu"
