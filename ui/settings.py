"""The sidebar's shared settings (device, seed), read by every page.

The sidebar needs no torch: the device caption ("Computing on cpu (float64)") asks torch, so on a server's first run,
before torch is imported, its place is kept and it is drawn after the page (`draw_device_caption`, called by app.py):
the first visitor's home page waits for no torch.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import streamlit as st

import gd_core as gd
from ui import preload
from ui.widgets import bound

_run = threading.local()  # the caption's place, kept from sidebar() to draw_device_caption() in one script run
DEVICE_LABELS = {"auto": "auto (best available)", "cpu": "cpu", "cuda": "cuda (NVIDIA GPU)", "mps": "mps (Apple GPU)"}


@dataclass(frozen=True)
class Settings:
    """What every page needs from the sidebar."""

    device: str
    seed: int
    presenting: bool = False

    @property
    def resolved(self) -> gd.ResolvedDevice:
        """The device the page computes on (imports torch on first use)."""
        return _resolved(self.device)


@functools.cache
def _resolved(device: str) -> gd.ResolvedDevice:
    return gd.resolve_device(device)  # cached: the same answer all the server's life (torch.cuda asks the driver)


def _caption(slot, device: str) -> None:
    resolved = _resolved(device)
    with slot.container():
        st.caption(f"Computing on **{resolved.label}**.")
        if resolved.note:
            st.info(resolved.note, icon="ℹ️")


def draw_device_caption() -> None:
    """Draw the sidebar's device caption where sidebar() kept its place, if it was deferred in this run."""
    pending, _run.pending = getattr(_run, "pending", None), None
    if pending is not None:
        _caption(*pending)


def sidebar() -> Settings:
    """Draw the shared settings in the sidebar and return them."""
    with st.sidebar:
        st.subheader("Settings")
        device = bound(
            st.selectbox,
            "Device",
            key="device",
            options=gd.DEVICE_CHOICES,
            format_func=DEVICE_LABELS.get,
            help="Where torch computes. 'auto' picks cuda, then mps, then the CPU.",
        )
        slot = st.empty()
        _run.pending = None
        if preload.loaded("torch"):  # every run but a new server's first: drawn at once, no flicker
            _caption(slot, device)
        else:
            _run.pending = (slot, device)
        bound(
            st.number_input,
            "Random seed",
            key="seed",
            min_value=0,
            max_value=2**31 - 1,
            step=1,
            help="Seeds the synthetic data and the minibatch shuffles: the same seed replays the same run.",
        )
        bound(
            st.toggle,
            "Presenter view",
            key="presenter",
            help="For a projector: larger text and charts, fewer controls, high contrast.",
        )
        preload.vega_chunks()  # the browser fetches Vega's chunks now, while the server still runs the page
    return current()


def current() -> Settings:
    """The settings as chosen in the sidebar (defaults when a page runs on its own, as in tests)."""
    device = st.session_state.get("device", "auto")
    seed = int(st.session_state.get("seed", 0))
    presenting = bool(st.session_state.get("presenter", False))
    return Settings(device=device, seed=seed, presenting=presenting)
