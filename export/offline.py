"""A scene as one self-contained web page: its charts and their data, the app's player, formulas and settings.

Vega, Vega-Lite and Vega-Embed are inlined from vl-convert-python's bundle (`vl_convert.javascript_bundle`, pinned
in requirements.txt): one pip package the app already can install, no npm build to vendor, and its Vega-Lite (6.4)
is the one Altair 6.3 writes specs for. The bundle is ~0.9 MB and takes a few CPU seconds to build, so it is
built once, in a child process, and cached on disk (see vega_bundle). The player is the app's own (ui/player.py's
HTML, CSS and ES module), read from the source file without importing Streamlit, and started with the
`{parentElement, data}` object it expects.
Everything that may have come from a visitor (title, formulas, settings, link) is HTML-escaped; the chart specs
(data included) travel gzipped in base64, which has no character that could close their script block and keeps
pages with five optimizer runs or 10,000 minibatch steps well under 2 MB.
"""

from __future__ import annotations

import ast
import base64
import gzip
import html
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

VEGA_LITE_VERSION = "6.4"
MAX_PAGE_BYTES = 2 * 1024 * 1024  # what the issue allows; charts ship thinned data (≤ ~400 steps per run)
_UI = Path(__file__).resolve().parent.parent / "ui"
_PLAYER_SOURCES = (_UI / "player_assets.py", _UI / "player.py")  # the first that exists wins
_EXPORT_DEFAULT = "export default function(component)"
_EMBED_OPTIONS = {
    "renderer": "canvas",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}


@dataclass(frozen=True)
class PlayerAssets:
    """The app's player: its HTML, CSS and ES-module JavaScript (`export default function(component)`)."""

    html: str
    css: str
    js: str


@cache
def player_assets() -> PlayerAssets:
    """_HTML, _CSS and _JS from ui/player_assets.py (if the lead moves them there) or ui/player.py, via ast."""
    path = next(p for p in _PLAYER_SOURCES if p.exists())
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            values |= {t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)}
    assets = PlayerAssets(values["_HTML"], values["_CSS"], values["_JS"])
    if _EXPORT_DEFAULT not in assets.js:
        raise ValueError(f"{path} no longer starts its player with {_EXPORT_DEFAULT!r}")
    return assets


_BUILD_BUNDLE = "import sys, vl_convert; sys.stdout.write(vl_convert.javascript_bundle(vl_version=sys.argv[1]))"


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script that sets window.vega, window.vegaLite and window.vegaEmbed.

    Built in a child process and kept in ~/.cache/descent: building it in the server would leave vl-convert's
    JavaScript runtime resident (+120 MB RSS, measured) on a host with 1 GB; this way the server holds only
    the 0.9 MB of text. Built once per vl-convert version (about 5 CPU seconds).
    """
    name = f"vega-bundle-{metadata.version('vl-convert-python')}-vl{VEGA_LITE_VERSION}.js"
    path = Path.home() / ".cache" / "descent" / name
    if path.is_file():
        return path.read_text(encoding="utf-8")
    built = subprocess.run(
        [sys.executable, "-c", _BUILD_BUNDLE, VEGA_LITE_VERSION], capture_output=True, check=True, timeout=120
    ).stdout.decode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_text(built, encoding="utf-8")
        partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
    except OSError:
        pass  # a read-only home: keep the bundle in memory only
    return built


def _inline_script(text: str) -> str:
    """JavaScript that cannot end its <script> element early."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def _json_block(value) -> str:
    """Strict JSON (no NaN) with <, > and & escaped, safe inside <script type="application/json">."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _packed(value) -> str:
    """Strict JSON (no NaN), gzip-compressed, in base64: chart data is repetitive JSON, about 5× smaller so."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(gzip.compress(text.encode("utf-8"), mtime=0)).decode("ascii")


def _link_html(link: str) -> str:
    """The scene's link as text, and as a hyperlink only when it is an http(s) URL."""
    text = html.escape(link)
    if re.match(r"https?://", link, flags=re.IGNORECASE):
        return f'<a href="{html.escape(link, quote=True)}">{text}</a>'
    return f"<code>{text}</code>" if link else "(none)"


_PAGE_CSS = """
:root { --st-text-color: #262730; --st-secondary-background-color: #f0f2f6; --st-border-color: #c9d1d9;
        --st-primary-color: #ff4b4b; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--st-text-color);
       margin: 1.5rem auto; max-width: 1200px; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
.meta { opacity: 0.8; font-size: 0.9rem; word-break: break-all; }
.chart { margin: 1rem 0; overflow-x: auto; }
.player [data-act=copy] { display: none; }  /* the link is written out above: a file:// URL is not worth copying */
code, pre { background: var(--st-secondary-background-color); padding: 0.1rem 0.3rem; border-radius: 0.2rem;
            white-space: pre-wrap; word-break: break-word; }
"""

_START = """
(async () => {
  // The chart specs travel gzipped (base64): DecompressionStream unpacks them in the browser, offline.
  const packed = document.getElementById("descent-specs").textContent.trim();
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const specs = JSON.parse(await new Response(stream).text());
  const options = JSON.parse(document.getElementById("descent-options").textContent);
  window.descentViews = [];
  for (const [index, spec] of specs.entries()) {
    const result = await vegaEmbed(`#descent-chart-${index}`, spec, options.embed);
    window.descentViews.push(result.view);
  }
  descentPlayer({ parentElement: document.getElementById("descent-player"), data: { name: options.step } });
})();
"""


def offline_page(
    charts: list[dict],
    *,
    title: str,
    formulas: list[str],
    settings: list[str],
    link: str,
    version: str,
    step_name: str = "step",
) -> str:
    """One .html file that opens from file:// with the network off: charts, data, player, formulas and settings."""
    assets = player_assets()
    player_js = assets.js.replace(_EXPORT_DEFAULT, "const descentPlayer = function(component)", 1)
    chart_divs = "\n".join(f'<div class="chart" id="descent-chart-{i}"></div>' for i in range(len(charts)))
    formula_items = "\n".join(f"<li><code>{html.escape(f)}</code></li>" for f in formulas)
    setting_items = "\n".join(f"<li>{html.escape(s)}</li>" for s in settings)
    options = {"embed": _EMBED_OPTIONS, "step": step_name}
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Descent {html.escape(version)}">
<title>{html.escape(title)}</title>
<style>{_PAGE_CSS}{assets.css}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="meta">Descent {html.escape(version)} · saved from the app; this scene in the app: {_link_html(link)}</p>
</header>
<div id="descent-player">{assets.html}</div>
{chart_divs}
<section><h2>Formulas</h2><ul>
{formula_items}
</ul></section>
<section><h2>Settings</h2><ul>
{setting_items}
</ul></section>
<script type="application/octet-stream" id="descent-specs">{_packed(charts)}</script>
<script type="application/json" id="descent-options">{_json_block(options)}</script>
<script>{_inline_script(vega_bundle())}</script>
<script>{_inline_script(player_js)};
{_START}</script>
</body>
</html>
"""
