"""Altair chart builders: tidy frames in, alt.Chart out. No streamlit here."""

from gd_core.charts.common import PALETTE, finite_rows, step_slider, strict_spec, thin_steps

__all__ = ["PALETTE", "finite_rows", "step_slider", "strict_spec", "thin_steps"]
