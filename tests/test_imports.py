"""A server's first visitor waits for no heavy import on the home page (issue 10), and gd_core's lazy names
(PEP 562) are the very objects of its submodules. Each import check runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import gd_core as gd
from gd_core import optimizers
from tests.pagetools import ROOT

HEAVY = ("torch", "pandas", "altair", "numpy")


def fresh(code: str) -> dict:
    """Run `code` in a new interpreter at the repository root; it prints one JSON value as its last line."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_app_and_home_page_modules_import_no_torch_pandas_or_altair():
    loaded = fresh(
        """
        import json, sys
        from ui import preload, lecture, links, presenter, screen, server_guard, settings
        import ui.memory, lessons, gd_core as gd
        from ui.scenes import SCENES
        [scene.query() for scene in SCENES], [lecture.settings_line(s) for s in lecture.running_order()]
        gd.OPTIMIZER_LABELS, gd.DEVICE_CHOICES
        print(json.dumps([m for m in HEAVY if m in sys.modules]))
        """.replace("HEAVY", repr(HEAVY))
    )
    assert loaded == []


def test_the_first_run_of_the_home_page_needs_no_torch_and_draws_the_device_caption_after_it():
    result = fresh("""
        import json, sys
        from streamlit.testing.v1 import AppTest
        import ui.preload, ui.settings
        ui.preload.start = lambda: None  # no background imports: what the run itself imports is what is measured
        real, seen = ui.settings.draw_device_caption, {}
        def after_page():
            seen["torch before the caption"] = "torch" in sys.modules
            real()
        ui.settings.draw_device_caption = after_page
        at = AppTest.from_file("app.py", default_timeout=120).run()
        print(json.dumps({**seen, "exceptions": len(at.exception), "title": at.title[0].value,
                          "captions": [c.value for c in at.sidebar.caption]}))
        """)
    assert result["exceptions"] == 0
    assert result["title"].startswith("Descent")
    assert result["torch before the caption"] is False  # the whole home page was drawn without torch
    assert result["captions"].count(f"Computing on **{gd.resolve_device('auto').label}**.") == 1


def test_every_public_name_is_its_submodules_object():
    for module_name, names in gd._SUBMODULES.items():
        module = sys.modules.get(f"gd_core.{module_name}") or __import__(f"gd_core.{module_name}", fromlist=["_"])
        for name in names:
            assert getattr(gd, name) is getattr(module, name), name
    assert sorted(gd.__all__) == sorted(gd._WHERE)
    assert set(gd.__all__) <= set(dir(gd))


def test_a_submodule_and_a_function_of_one_name_keep_the_function():
    result = fresh("""
        import json, sys
        import gd_core as gd
        import gd_core.curvature  # binds the submodule to its package: the function must stay
        from gd_core import curvature
        print(json.dumps([callable(gd.curvature) and gd.curvature is sys.modules["gd_core.curvature"].curvature,
                          curvature is gd.curvature, type(gd.optimizers).__name__]))
        """)
    assert result == [True, True, "module"]


def test_an_unknown_name_is_an_attribute_error():
    try:
        gd.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("gd.no_such_name resolved")


def test_the_light_labels_name_every_optimizer_record():
    assert dict(gd.OPTIMIZER_LABELS) == {record.id: record.label for record in optimizers.REGISTRY}
    assert gd.OPTIMIZER_LABELS is optimizers.OPTIMIZER_LABELS
    assert tuple(gd.OPTIMIZER_LABELS) == gd.OPTIMIZERS


def test_the_preload_waits_for_the_first_page_then_imports_warms_and_freezes():
    result = fresh("""
        import json, sys, time
        import ui.preload as preload
        preload.BROWSER_GRACE_S = 0.0
        thread = preload.start()
        time.sleep(1.0)
        before = "torch" in sys.modules or "pandas" in sys.modules
        preload.page_drawn()
        thread.join(120)
        import gc
        imported = [preload.loaded(m) for m in preload.HEAVY]
        after = "torch._dynamo" in sys.modules
        print(json.dumps({"imported": imported, "torch before": before, "dynamo after": after,
                          "frozen": gc.get_freeze_count(), "stages": sorted(preload.timings),
                          "same": preload.start() is thread}))
        """)
    assert result["torch before"] is False  # nothing runs beside the first page (one interpreter lock)
    assert all(result["imported"])
    assert result["dynamo after"] is True
    assert result["frozen"] > 100_000
    assert result["stages"] == ["imports", "warm"]
    assert result["same"] is True


def test_the_vega_chunk_the_browser_is_asked_to_fetch_exists_in_this_streamlit():
    from ui import preload

    assert len(preload.CHUNKS) == 1  # a Streamlit that renamed its chart chunk: the prefetch would silently stop
    assert (preload._STATIC_JS / preload.CHUNKS[0]).read_text().count("embed.") >= 1  # it imports Vega's embed.js


def test_the_reaper_returns_pyarrows_pool_too(monkeypatch):
    import pyarrow as pa

    from ui import memory

    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    monkeypatch.setattr(pa, "default_memory_pool", Pool)
    memory.reap_once()
    assert released == [True]  # Streamlit's Arrow bytes live in pyarrow's own pool, which malloc_trim cannot reach
