"""Names that menus and links need before any computation: plain constants, no torch or pandas.

The home page, the sidebar and the scene links read these on a server's first run, while torch is still being
imported in the background (ui/preload.py); gd_core.optimizers and gd_core.device build their records from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

BETA = 0.9  # momentum's β, also Adam's β₁: written once
DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZER_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "gd": "gradient descent",
        "momentum": f"momentum (β = {BETA:g})",
        "nesterov": f"Nesterov (β = {BETA:g})",
        "rmsprop": "RMSProp",
        "adam": "Adam",
        "newton": "Newton's method",
    }
)
