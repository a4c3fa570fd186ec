"""The acceptance set loaded through the Import page in a real browser (Playwright + Debian
chromium): the Overview shows the brand score computed by hand in ``test_acceptance`` and
its channel table keeps the posts-only Facebook channel, saying what it needs.

Run with ``pytest -m browser``; skipped when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, READY, ROOT, run_streamlit
from tests.test_acceptance import (
    ACC,
    ALL_FILES,
    NEEDS,
    Tally,
    by_channel,
    comments,
    components,
    pooled,
    s3_coverage,
    trust_of,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Page = playwright_api.Page

TIMEOUT_MS = 120_000


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000},
            "accept_downloads": True}  # fmt: skip


def ready(page: Page) -> None:
    """Wait until the script run is over (a rerun may start right after: wait twice)."""
    for _ in range(2):
        page.wait_for_timeout(300)
        page.locator(READY).wait_for(timeout=TIMEOUT_MS)


def test_acceptance_files_through_the_import_page(page: Page, tmp_path: Path) -> None:
    from trustdash.store import Store

    page.set_default_timeout(TIMEOUT_MS)
    db = tmp_path / "store.duckdb"
    store = Store(db)
    store.set_setting("half_life_days", 0)  # as in test_acceptance: every comment weighs 1
    store.close()
    total = Tally()
    for t in by_channel().values():
        total.add(t)
    brand = trust_of(components(total, pooled([total])), s3_coverage(comments()))

    with run_streamlit(ROOT, tmp_path, db=db, env={"TRUSTDASH_NO_DEMO": "1"}) as server:
        page.goto(server.url + "/Import")
        ready(page)
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            [str(ACC / name) for name in ALL_FILES]
        )
        ready(page)
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text(f"{len(ALL_FILES)} file(s) imported.")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        ready(page)

        page.goto(server.url + "/")
        ready(page)
        expect(page.get_by_role("heading", name="Trust overview")).to_be_visible()
        ARTIFACTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 1400, "height": 2600})
        page.wait_for_timeout(1500)  # plotly redraws at the new size
        page.screenshot(path=str(ARTIFACTS / "acceptance_overview.png"), full_page=True)

        # The channel table, as its CSV download gives it.
        with page.expect_download() as download:
            page.locator(".st-key-dl_ov_channels_csv button").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        rows = {r["channel"]: r for r in csv.DictReader(io.StringIO(text))}
        assert "facebook" in rows, sorted(rows)
        assert NEEDS in rows["facebook"]["flags"], rows["facebook"]
        # No score made of priors: the posts-only channel shows none.
        assert rows["facebook"]["trust"] in ("", "—"), rows["facebook"]
        metric = page.get_by_test_id("stMetric").filter(has_text="Brand Trust Score").first
        value = metric.get_by_test_id("stMetricValue").inner_text().strip()
        assert re.fullmatch(r"\d{1,3}( ⚠)?", value), f"brand score shown as {value!r}"
        assert int(value.split()[0]) == round(brand), (value, brand)
