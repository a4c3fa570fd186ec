"""The pages' result cache: each wrapper returns what its analysis call returns, computes
it once per store state and arguments, and computes again after any write."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import plotly.graph_objects as go
import pytest
import streamlit as st
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import analysis, charts
from trustdash.filters import Filters
from trustdash.i18n import using
from trustdash.ingest import import_files
from trustdash.store import Store
from trustdash.ui import cache


@pytest.fixture
def filled(store: Store) -> Store:
    rows = [*make_rows(40, campaign="Spring", reply_every=3, prefix="s"),
            *make_rows(30, channel="x", good=0.3, prefix="x")]  # fmt: skip
    (res,) = import_files(store, [("a.csv", comments_csv(rows))])
    assert res.ok, res.errors
    st.cache_data.clear()
    yield store
    st.cache_data.clear()


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    calls: list[int] = []
    real = getattr(analysis, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, name, counted)
    return calls


def test_wrappers_return_the_analysis_results(filled: Store) -> None:
    f = Filters()
    ov = cache.overview(filled, filled.data_version(), f, with_brand_series=True)
    assert isinstance(ov, analysis.Overview)
    want = analysis.overview(filled, f, with_brand_series=True)
    assert_frame_equal(ov.channels, want.channels)
    assert_frame_equal(ov.brand_series, want.brand_series)
    assert_frame_equal(cache.trust_table(filled, filled.data_version(), f, "campaign"),
                       analysis.trust_table(filled, f, "campaign"))  # fmt: skip
    assert_frame_equal(cache.series(filled, filled.data_version(), f), analysis.series(filled, f))
    assert_frame_equal(cache.channel_components(filled, filled.data_version(), f, "x"),
                       analysis.channel_components(filled, f, "x"))  # fmt: skip
    assert_frame_equal(cache.campaign_phases(filled, filled.data_version(), "Spring"),
                       analysis.campaign_phases(filled, "Spring"))  # fmt: skip
    for business in (False, True):
        assert_frame_equal(
            cache.responsiveness(filled, filled.data_version(), f, business_hours=business),
            analysis.responsiveness(filled, f, business_hours=business),
        )


def test_computed_once_per_store_state_and_again_after_a_write(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch, "trust_table")
    f = Filters()
    first = cache.trust_table(filled, filled.data_version(), f, "channel")
    cache.trust_table(filled, filled.data_version(), f, "channel")
    assert len(calls) == 1  # a rerun of the page reads the cache
    cache.trust_table(filled, filled.data_version(), f, "campaign")
    cache.trust_table(filled, filled.data_version(), f.with_(start=dt.date(2026, 6, 1)), "channel")
    assert len(calls) == 3  # other arguments are other entries
    filled.set_setting("weights", {"S1": 1.0, "S2": 0, "S3": 0, "S4": 0, "S5": 0, "S6": 0})
    after = cache.trust_table(filled, filled.data_version(), f, "channel")
    assert len(calls) == 4  # a settings change is a new data version
    assert after["trust"].to_list() != first["trust"].to_list()


def test_a_cached_figure_is_the_figure_built_directly(filled: Store) -> None:
    """The chart shared by every session is the one the page would draw itself."""
    st.cache_resource.clear()
    f = Filters()
    ov = analysis.overview(filled, f)

    def build() -> go.Figure:
        return charts.trust_by_group(analysis.shown_table(ov.channels), start=f.start, end=f.end)

    shared = cache.figure(filled, filled.data_version(), ("bars", f), build)
    assert shared.to_json() == build().to_json()
    with using("fr"):
        french = cache.figure(filled, filled.data_version(), ("bars", f), build)
    assert french is not shared  # another language is another figure
    assert french.to_json() != shared.to_json()


def test_a_figure_is_built_once_per_store_state_language_and_key(filled: Store) -> None:
    st.cache_resource.clear()
    built: list[int] = []

    def build() -> go.Figure:
        built.append(1)
        return go.Figure(go.Bar(x=[1], y=[len(built)]))

    f = Filters()
    first = cache.figure(filled, filled.data_version(), ("bars", f), build)
    assert cache.figure(filled, filled.data_version(), ("bars", f), build) is first  # a second visitor
    assert len(built) == 1
    cache.figure(filled, filled.data_version(), ("bars", f.with_(start=dt.date(2026, 6, 1))), build)
    cache.figure(filled, filled.data_version(), ("series", f), build)
    assert len(built) == 3  # other filters, another chart: other figures
    filled.set_setting("weights", {"S1": 1.0, "S2": 0, "S3": 0, "S4": 0, "S5": 0, "S6": 0})
    assert cache.figure(filled, filled.data_version(), ("bars", f), build) is not first  # a write: drawn again
    assert len(built) == 4


def test_store_facts_are_the_store_reads_once_per_state(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    real = Store.channels

    def counted(self: Store) -> list[str]:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(Store, "channels", counted)
    facts = cache.facts(filled, filled.data_version())
    assert facts.channels == real(filled)
    assert facts.campaigns == filled.campaigns()
    assert facts.bounds == filled.date_bounds()
    assert facts.empty is False
    cache.facts(filled, filled.data_version())
    assert len(reads) == 1  # the next run, and the next visitor, read the cache
    (res,) = import_files(filled, [("b.csv", comments_csv(make_rows(5, channel="tiktok",
                                                                     prefix="t")))])  # fmt: skip
    assert res.ok, res.errors
    assert "tiktok" in cache.facts(filled, filled.data_version()).channels
    assert len(reads) == 2


def test_a_page_run_reads_the_data_version_once(
    filled: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The guard reads the version and hands it to every cached call of the run."""
    reads: list[int] = []
    real = Store.data_version

    def counted(self: Store) -> str:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(Store, "data_version", counted)
    monkeypatch.setenv("TRUSTDASH_DB", filled.target)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Trust overview"
    assert len(at.get("plotly_chart")) >= 2  # the charts were drawn, from the cache
    assert len(reads) == 1
