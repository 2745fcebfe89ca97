"""The sidebar's shared settings (device, seed), read by every page."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import gd_core as gd
from ui.widgets import bound

DEVICE_LABELS = {"auto": "auto (best available)", "cpu": "cpu", "cuda": "cuda (NVIDIA GPU)", "mps": "mps (Apple GPU)"}


@dataclass(frozen=True)
class Settings:
    """What every page needs from the sidebar."""

    device: str
    seed: int
    resolved: gd.ResolvedDevice
    presenting: bool = False


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
        resolved = gd.resolve_device(device)
        st.caption(f"Computing on **{resolved.label}**.")
        if resolved.note:
            st.info(resolved.note, icon="ℹ️")
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
    return current()


def current() -> Settings:
    """The settings as chosen in the sidebar (defaults when a page runs on its own, as in tests)."""
    device = st.session_state.get("device", "auto")
    seed = int(st.session_state.get("seed", 0))
    presenting = bool(st.session_state.get("presenter", False))
    return Settings(device=device, seed=seed, resolved=gd.resolve_device(device), presenting=presenting)
