"""The lecture running order: the built-in scenes one after another, with ← previous / next → and PageUp/PageDown.

A scene opened from the running order carries its place in the link (?scene=3); the app then draws, above the
lesson, a bar with the scene's title, the settings that make its point, the neighbours' links, and a toggle that
hides the grey "future" path (the whole run drawn faintly ahead of the slider) so the class can guess the next step.
"""

from __future__ import annotations

import re

import streamlit as st

import gd_core as gd
from lessons import HOME, LESSONS, lesson
from ui.scenes import SCENES, URL_SPELLING, Scene
from ui.widgets import bound

POSITION = "scene"  # URL key: the scene's place in the running order, 1-based
HIDE = "lecture.hide_future"  # URL key (a toggle bound to the link): hide the future path
NEXT_LABEL, PREVIOUS_LABEL = "next →", "← previous"
# PageDown / ] and PageUp / [ follow the bar's links (clicking them keeps the session, as the mouse does).
_KEYS_JS = """
export default function (component) {
  const onKey = (event) => {
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const wanted = { PageDown: "next", "]": "next", PageUp: "previous", "[": "previous" }[event.key];
    if (!wanted) return;
    const link = Array.from(document.querySelectorAll("a")).find(
      (a) => (a.textContent || "").includes(wanted === "next" ? "next →" : "← previous"));
    if (link) { event.preventDefault(); link.click(); }
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
"""
_keys = st.components.v2.component("descent_lecture_keys", html="<span></span>", js=_KEYS_JS)


def running_order() -> tuple[Scene, ...]:
    """The scenes in the tutorial's order: by lesson (the registry's order), then as listed."""
    rank = {page.slug: i for i, page in enumerate(LESSONS)}
    return tuple(sorted(SCENES, key=lambda scene: rank[scene.lesson]))  # sorted() is stable


def scene_query(index: int, hide_future: bool = False) -> dict[str, str | list[str]]:
    """The link of the scene at `index` (0-based) in the running order, with its place (and the hide option)."""
    query = running_order()[index].query() | {POSITION: str(index + 1)}
    return query | ({HIDE: "true"} if hide_future else {})


def position() -> int | None:
    """The opened scene's place in the running order (0-based), or None outside the running order."""
    raw = st.query_params.get(POSITION)
    try:
        index = int(raw) - 1 if raw is not None else None
    except ValueError:
        return None
    return index if index is not None and 0 <= index < len(running_order()) else None


def settings_line(scene: Scene) -> str:
    """The settings that make the scene's point, as the class should read them: 'lr = 0.12 · 100 steps'."""
    parts = []
    for name, value in scene.settings.items():
        spell = URL_SPELLING.get((scene.lesson, name))
        shown = spell(value) if spell else (f"{value:g}" if isinstance(value, float) else str(value))
        shown = ", ".join(shown) if isinstance(shown, list) else shown
        parts.append(f"{setting_name(scene, name)} = {shown}")
    return number_minus(" · ".join(parts))


# A hyphen that is a number's sign (not after a letter, or an exponent's): "−4", "1e−5", but "Ill-conditioned".
_SIGN = re.compile(r"(?<![A-Za-z])-(?=\.?\d)|(?<=\de)-(?=\d)")


def number_minus(text: str) -> str:
    """Typographic minus signs for the numbers in a line of text, leaving hyphenated words alone."""
    return _SIGN.sub("−", text)


def setting_name(scene: Scene, name: str) -> str:
    """How the bar names a setting: 'lr (momentum (β = 0.9))' for a per-optimizer lr, else the control's name."""
    for optimizer, label in gd.OPTIMIZER_LABELS.items():
        if name.startswith("lr_") and name.endswith(f"_{optimizer}"):
            return f"lr of {label}"
    return name.replace("_", " ")


def hide_future() -> bool:
    """Whether the lecture bar asks the charts to leave out the future path."""
    return position() is not None and bool(st.session_state.get(HIDE, False))


def bar(url_path: str) -> None:
    """Above the lesson: the running order's bar, when the page was opened as a scene of it."""
    index = position()
    order = running_order()
    if index is None or lesson(order[index].lesson).url_path != url_path:
        return
    scene = order[index]
    with st.container(border=True):
        back, middle, forward = st.columns([1, 5, 1], vertical_alignment="center")
        hidden = bound(st.toggle, "Hide the future path (guess the next step)", key=HIDE, value=False)
        with middle:
            st.markdown(f"**🎬 Scene {index + 1} of {len(order)}: {scene.title}**")
            st.caption(f"{settings_line(scene)}. {scene.says}")
        with back:
            if index > 0:
                previous = order[index - 1]
                st.page_link(previous.page, label=PREVIOUS_LABEL, query_params=scene_query(index - 1, hidden))
            else:
                st.page_link(HOME.page, label="← home")
        with forward:
            if index + 1 < len(order):
                st.page_link(order[index + 1].page, label=NEXT_LABEL, query_params=scene_query(index + 1, hidden))
        _keys(key="lecture-keys")
