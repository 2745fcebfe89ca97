"""Descent: a gradient-descent teaching dashboard. Run with `streamlit run app.py`."""

import streamlit as st

from ui import preload
from ui.memory import cap_malloc_arenas, start_reaper

cap_malloc_arenas()  # many sessions, one thread each; large blocks mmapped: before the imports, see ui/memory.py
preload.start()  # torch, pandas, Altair imported in the background once the first page is drawn: ui/preload.py

from lessons import HOME, PAGES  # noqa: E402 (none of these imports torch, pandas or Altair)
from ui import fair_share, lecture, links, presenter, screen, server_guard, settings  # noqa: E402

start_reaper()  # expired cache entries dropped and freed memory returned every 30 s, even with no visitors
server_guard.install()  # visitors cannot clear the caches, read /_stcore/metrics or pin uploads: see the module

st.set_page_config(
    page_title="Descent: gradient descent, step by step",
    page_icon="📉",
    layout="wide",
    initial_sidebar_state="collapsed" if presenter.requested() else "auto",  # presenting: all width to the charts
)

links.upgrade_old_keys()  # links shared before the URL keys were renamed still open their scene
incoming = st.query_params.to_dict()  # the link as opened, before the widgets read (and clean) it
navigation = st.navigation(
    [
        st.Page(page.page, title=page.title, icon=page.icon, url_path=page.url_path or None, default=page is HOME)
        for page in PAGES
    ]
)
if settings.sidebar().presenting:
    presenter.apply()
lecture.bar(navigation.url_path)  # a scene opened from the lecture's running order: its bar, above the lesson
with fair_share.turn():  # a session that has used far more than its share waits first: see ui/fair_share.py
    try:
        navigation.run()
        links.report_ignored(incoming)  # before the width report below, whose rerun would stop this run first
    finally:  # last, so that its report (which reruns the page once) comes when the page has been drawn
        settings.draw_device_caption()  # a new server's first run only: kept until torch is imported (ui/settings.py)
        preload.page_drawn()
        screen.measure()  # the main column's width, which every chart is fitted to; and the skip link
