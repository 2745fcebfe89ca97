"""How wide the page's main column is, measured in the browser, and the one way a page draws a chart.

A small component reports the width of the main block (rounded down to 20 px, and again whenever it changes by a
step, as when a phone turns or the sidebar opens) into the session; `chart` fits every chart to it
(charts.kit.fit_spec): side-by-side views shrink, or stack when they would get too narrow, presenter view gets
chart text of at least 16 px, and every chart carries its text alternative (an aria-label).
Until the first report arrives (the first run of a session) the charts keep their designed widths; a browser whose
column holds every chart of the page as designed does not report at all (fitting would change nothing).
"""

from __future__ import annotations

import streamlit as st

WIDTH_KEY = "screen.width"  # the session-state key of the last reported main-column width (px)
NEED_KEY = "screen.need"  # this run's widest chart: the column width (px) at which every chart fits as designed
BUCKET = 20  # px: widths are reported rounded down to this, so resizing reruns rarely
HYSTERESIS = 40  # px: a change smaller than this is not reported (a scrollbar coming and going)

_JS = """
// A "Skip to the lesson" link as the page's first Tab stop (before the sidebar): it moves focus to the main column.
const skipLink = () => {
  if (document.getElementById("descent-skip")) return;
  const style = document.createElement("style");
  style.textContent = `#descent-skip { position: fixed; left: -9999px; top: 0.5rem; z-index: 1000000;
    padding: 0.4rem 0.8rem; background: #fff; color: #000; border: 2px solid #0072B2; border-radius: 0.3rem;
    font-size: 1rem; } #descent-skip:focus { left: 0.5rem; }
    .katex-display { overflow-x: auto; overflow-y: hidden; max-width: 100%; }
    .player-follow { overflow-x: auto; max-width: 100%; }`;
  document.head.appendChild(style);
  const link = document.createElement("a");
  link.id = "descent-skip";
  link.href = "#";
  link.textContent = "Skip to the lesson";
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (!main) return;
    main.setAttribute("tabindex", "-1");
    main.focus();
  });
  document.body.prepend(link);
};

export default function(component) {
  const { setStateValue, data } = component;
  const bucket = (data && data.bucket) || 20;
  const hysteresis = (data && data.hysteresis) || 40;
  const last = data && data.width;
  const need = (data && data.need) || 0;
  const block = () => document.querySelector('[data-testid="stMainBlockContainer"]');
  const measure = () => {
    const el = block();
    if (!el) return;
    const style = getComputedStyle(el);
    const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const width = Math.floor(inner / bucket) * bucket;
    const sent = window.__descentWidthSent || last;
    // A first visit on a screen wide enough for every chart as designed: nothing would change, so no report and
    // no second run of the page (half the server's work for a room opening one link on laptops).
    if (width > 0 && !sent && width >= need) {
      document.documentElement.dataset.descentWidth = "known";
      return;
    }
    // Only a real change: not the few px a scrollbar takes when the page grows taller than the window.
    // data-descent-width on <html> says whether the server knows this width ("known") or a rerun to tell it is
    // on its way ("reporting"): browser tests wait for the page that rerun draws (tools/screenshots.wait_for_app).
    if (width > 0 && (!sent || Math.abs(width - sent) >= hysteresis)) {
      window.__descentWidthSent = width;  // once per width, however often the component is mounted
      document.documentElement.dataset.descentWidth = "reporting";
      setStateValue("width", width);
    } else if (last && Math.abs(width - last) < hysteresis) {
      document.documentElement.dataset.descentWidth = "known";
    }
  };
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(measure, 250); };
  const observer = new ResizeObserver(later);
  const el = block();
  if (el) observer.observe(el);
  measure();
  skipLink();
  return () => { observer.disconnect(); clearTimeout(timer); };
}
"""

_meter = st.components.v2.component("descent_screen", js=_JS)


def measure() -> None:
    """Place the width meter (and the skip link to the lesson) on the page; call once per run, after the page."""
    need = st.session_state.pop(NEED_KEY, 0)
    data = {"bucket": BUCKET, "hysteresis": HYSTERESIS, "width": st.session_state.get(WIDTH_KEY), "need": need}
    _meter(key="screen", data=data, on_width_change=_keep)


def _keep() -> None:
    width = (st.session_state.get("screen") or {}).get("width")
    if isinstance(width, (int, float)) and 100 <= width <= 10_000:
        st.session_state[WIDTH_KEY] = int(width)


def width() -> int | None:
    """The main column's width in px as last reported, or None before the browser has reported it."""
    value = st.session_state.get(WIDTH_KEY)
    return int(value) if isinstance(value, int) else None


def chart(spec, description: str, *, share: float = 1.0, **kwargs):
    """Draw a chart (a finished Vega-Lite dict, or an Altair chart) fitted to `share` of the main column, with
    presenter view's chart text when presenting and `description` as its text alternative. kwargs go to
    st.vega_lite_chart (key, on_select, selection_mode)."""
    # Imported here, not at the top: app.py imports this module, and the home page draws no chart.
    from charts.kit import designed_width, fit_spec

    if not isinstance(spec, dict):
        from ui.cache import finished_spec

        spec = finished_spec(spec)
    known = width()
    presenting = bool(st.session_state.get("presenter", False))
    need = designed_width(spec, presenting=presenting) / share
    st.session_state[NEED_KEY] = max(st.session_state.get(NEED_KEY, 0), min(need, 100_000))  # inf: always fitted
    fitted = fit_spec(spec, width=None if known is None else known * share, presenting=presenting,
                      description=description)  # fmt: skip
    return st.vega_lite_chart(fitted, **kwargs)
