"""Shared fixtures: the devices this machine has, so every numeric test runs on each of them."""

import os

import pytest

import charts.kit  # noqa: F401  (AppTest puts a page's folder first on sys.path: its charts.py would shadow the kit)
import gd_core as gd

DEVICES = gd.available_devices()
# The servers the tests start (they inherit this) do not make a busy session wait for its fair share: a browser test
# clicks through heavy scenes faster than any student. tests/test_fair_share.py starts its own with it on.
os.environ.setdefault("DESCENT_FAIR_SHARE", "off")


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Each available device in turn (cpu everywhere; cuda / mps where present)."""
    return request.param


def tolerance(device: str) -> float:
    """Relative tolerance: float64 on cpu/cuda, float32 on mps."""
    return 1e-4 if device == "mps" else 1e-10
