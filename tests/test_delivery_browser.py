"""The link in an emailed brief opens the same view in a real browser: the Brief page of
the brief's window, with the brief's headline (Playwright + Debian chromium)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, READY, ROOT, free_port, run_streamlit
from trustdash.delivery.messages import build_brief
from trustdash.filters import Filters
from trustdash.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


def test_the_brief_link_opens_the_briefs_view(browser, demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copy2(demo_db, db)
    port = free_port()
    store = Store(db)
    try:
        end = store.date_bounds()[1]
        assert end is not None
        week = Filters(start=end - dt.timedelta(days=6), end=end, granularity="day")
        note = build_brief(store, week, "en", f"http://localhost:{port}")
    finally:
        store.close()  # the app holds the file from now on
    assert note.link is not None and "lang=en" in note.link
    emailed = re.search(r"Brand Trust Score: (\d+)", note.text)
    assert emailed, note.text[:300]
    with run_streamlit(ROOT, tmp_path, db=db, port=port) as server:
        assert note.link.startswith(server.url)
        context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(note.link)
            page.locator(READY).wait_for(timeout=TIMEOUT_MS)
            heading = page.get_by_role("heading", name="Leadership brief")
            heading.wait_for(timeout=TIMEOUT_MS)
            page.locator(READY).wait_for(timeout=TIMEOUT_MS)
            metric = page.locator("[data-testid='stMetricValue']").first
            metric.wait_for(timeout=TIMEOUT_MS)
            assert metric.inner_text().strip() == emailed.group(1)
            # The brief's window, not the default one, is what the page shows.
            body = page.locator("body").inner_text()
            assert f"{week.start:%Y}" in body
            page.screenshot(path=str(tmp_path / "brief_from_email.png"), full_page=True)
        finally:
            context.close()
