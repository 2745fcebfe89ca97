"""Showing a visitor's text (typed losses, link values, file names, CSV headers) as text, never as markup.

Streamlit renders Markdown (links, images, HTML-ish tags, :colour[...] directives and $LaTeX$) in st.markdown,
st.error, st.toast and friends. Every message that quotes what a visitor sent passes it through `plain()`;
tests/test_text.py greps the code for messages built from user text without it.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:=\"'])")


def plain(text: object, limit: int | None = None) -> str:
    """`text` with every Markdown-, LaTeX- and HTML-active character backslashed, so it shows literally.

    `limit` cuts it (with …) before escaping, so a message stays short whatever was sent.
    """
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    text = "".join(ch if ch.isprintable() or ch == " " else "�" for ch in text)  # no control characters
    return _ACTIVE.sub(r"\\\1", text)
