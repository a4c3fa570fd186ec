"""A leader opens a French share link in a fresh browser whose language is French and reads
the Overview in French, charts included (Playwright + Debian chromium; ``-m browser``)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, READY, ROOT, Server, run_streamlit

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Page = playwright_api.Page

TIMEOUT_MS = 60_000
MONTHS_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
             "nov.", "déc.")  # fmt: skip


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("i18n_server")
    db = work / "store.duckdb"
    shutil.copy2(demo_db, db)
    with run_streamlit(ROOT, work, db=db) as srv:
        yield srv


def _ready(page: Page) -> None:
    page.wait_for_timeout(300)
    page.locator(READY).wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    page.locator(READY).wait_for(timeout=TIMEOUT_MS)


def _fresh(browser, locale: str) -> tuple[object, Page]:
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def test_a_french_share_link_opens_the_french_overview(browser, server: Server) -> None:
    # The link as an English session makes it after switching to French.
    context, page = _fresh(browser, "en-US")
    try:
        page.goto(server.url + "/")
        _ready(page)
        expect(page.get_by_role("heading", name="Trust overview")).to_be_visible()
        page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
        _ready(page)
        expect(page.get_by_role("heading", name="Vue d'ensemble de la confiance")).to_be_visible()
        link = page.get_by_test_id("stSidebar").get_by_test_id("stCode").first.inner_text()
        link = link.strip()
        assert "lang=fr" in link, link
    finally:
        context.close()
    # A leader opens it in a fresh French browser.
    context, page = _fresh(browser, "fr-FR")
    try:
        page.goto(link)
        _ready(page)
        expect(page.get_by_role("heading", name="Vue d'ensemble de la confiance")).to_be_visible()
        metric = page.get_by_test_id("stMetric").filter(has_text="Commentaires du public").first
        value = metric.get_by_test_id("stMetricValue").inner_text().strip()
        assert re.fullmatch(r"\d{1,3}([\u202f\u00a0 ]\d{3})+", value), value
        charts = page.get_by_test_id("stPlotlyChart")
        expect(charts.first).to_be_visible()
        page.wait_for_timeout(1500)  # plotly draws its axes after the element shows
        text = " ".join(charts.all_text_contents())
        assert "Score de confiance par canal" in text
        assert any(m in text for m in MONTHS_FR), text[:400]
        for english in ("Trust Score", "Jun", "Aug", "Oct"):
            assert english not in text, english
    finally:
        context.close()


def test_a_french_browser_without_a_link_reads_french(browser, server: Server) -> None:
    context, page = _fresh(browser, "fr-FR")
    try:
        page.goto(server.url + "/Brief")
        _ready(page)
        expect(page.get_by_role("heading", name="Synthèse pour la direction")).to_be_visible()
    finally:
        context.close()
