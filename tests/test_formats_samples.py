"""Every real sample export opens with the expected channel and tables.  Skipped when
the shared samples are absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustdash.formats import open_sources

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "exports"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not available")

# file name fragment -> expected (channel, tables of its sources)
EXPECTED = {
    "meta_business_suite_fb_posts": ("facebook", {"posts"}),
    "meta_business_suite_ig_posts": ("instagram", {"posts"}),
    "meta_daily_metric_utf16le": ("facebook", {"daily_metrics"}),
    "legacy_insights_post_export": ("facebook", {"posts"}),
    "facepager": ("facebook", {"posts", "comments"}),
    "linkedin_page_export": ("linkedin", {"posts", "daily_metrics"}),
    "Overview_en": ("tiktok", {"daily_metrics"}),
    "daily_tweet_activity": ("x", {"daily_metrics"}),
    "tweet_activity_metrics": ("x", {"posts"}),
    "twitter_metrics_monthly": ("x", {"daily_metrics"}),
    "studio_Chart_data": ("youtube", {"daily_metrics"}),
    "studio_Totals": ("youtube", {"daily_metrics"}),
    "studio_content_Table_data": ("youtube", {"posts"}),
    "uci_spam_Youtube": ("youtube", {"comments"}),
}


def _files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_sample_opens_with_its_channel_and_tables(path: Path) -> None:
    # Every sample is a real export of a supported layout: a BadFile here is a regression.
    sources = open_sources(path)
    total = 0
    for s in sources:
        for frame, _ in s.frames():
            total += frame.height
    key = next((k for k in EXPECTED if k in path.name), None)
    assert key is not None, f"no expectation for {path.name}"
    channel, tables = EXPECTED[key]
    assert {s.channel for s in sources} == {channel}
    assert {s.table for s in sources} == tables
    if "header_only" not in path.name:
        assert total > 0


def test_fb_legacy_workbook_has_likes_from_second_sheet() -> None:
    path = SAMPLES / "facebook" / "legacy_insights_post_export_NPLF_Q2_2020_spreadsheetml.xls"
    if not path.exists():
        pytest.skip("sample missing")
    (src,) = open_sources(path)
    df = next(src.frames())[0]
    assert df["likes"].drop_nulls().len() > 0 and df["post_id"][0].count("_") == 1
