"""Pick the torch device a computation runs on, and say why when the request cannot be honoured."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gd_core.names import DEVICE_CHOICES


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


@dataclass(frozen=True)
class ResolvedDevice:
    """The device a computation runs on, and a note when it differs from the one asked for."""

    device: torch.device
    note: str = ""

    @property
    def dtype(self) -> torch.dtype:
        """float64 where the device has it; MPS has no float64, so float32 there."""
        return torch.float32 if self.device.type == "mps" else torch.float64

    @property
    def label(self) -> str:
        """A short human name, e.g. 'cpu (float64)'."""
        return f"{self.device.type} ({str(self.dtype).removeprefix('torch.')})"


def available_devices() -> list[str]:
    """The device types this machine can run on, best first."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    return [*found, "cpu"]


def resolve_device(name: str | torch.device | ResolvedDevice = "auto") -> ResolvedDevice:
    """'auto' | 'cpu' | 'cuda' | 'mps' -> a usable device; falls back to cpu with a note, never raises."""
    if isinstance(name, ResolvedDevice):
        return name
    requested = str(name).strip().lower() if name is not None else "auto"
    if requested == "auto":
        return ResolvedDevice(torch.device(available_devices()[0]))
    kind = requested.split(":", 1)[0]
    if kind not in DEVICE_CHOICES:
        return ResolvedDevice(torch.device("cpu"), f"Unknown device {str(name)!r}; using the CPU.")
    if kind == "cpu":
        return ResolvedDevice(torch.device("cpu"))
    if kind not in available_devices():
        return ResolvedDevice(torch.device("cpu"), f"{kind.upper()} is not available here; using the CPU.")
    try:
        device = torch.device(requested)
        torch.zeros(1, device=device)  # an out-of-range index such as cuda:7 fails here
    except (RuntimeError, AssertionError, ValueError) as error:
        return ResolvedDevice(torch.device("cpu"), f"Cannot use {requested!r} ({error}); using the CPU.")
    return ResolvedDevice(device)
