"""The pages' result cache: each wrapper returns what its analysis call returns, computes
it once per store state and arguments, and computes again after any write."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from polars.testing import assert_frame_equal

from tests.conftest import comments_csv, make_rows
from trustdash import analysis
from trustdash.filters import Filters
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
    ov = cache.overview(filled, f, with_brand_series=True)
    assert isinstance(ov, analysis.Overview)
    want = analysis.overview(filled, f, with_brand_series=True)
    assert_frame_equal(ov.channels, want.channels)
    assert_frame_equal(ov.brand_series, want.brand_series)
    assert_frame_equal(cache.trust_table(filled, f, "campaign"),
                       analysis.trust_table(filled, f, "campaign"))  # fmt: skip
    assert_frame_equal(cache.series(filled, f), analysis.series(filled, f))
    assert_frame_equal(cache.channel_components(filled, f, "x"),
                       analysis.channel_components(filled, f, "x"))  # fmt: skip
    assert_frame_equal(cache.campaign_phases(filled, "Spring"),
                       analysis.campaign_phases(filled, "Spring"))  # fmt: skip
    for business in (False, True):
        assert_frame_equal(
            cache.responsiveness(filled, f, business_hours=business),
            analysis.responsiveness(filled, f, business_hours=business),
        )


def test_computed_once_per_store_state_and_again_after_a_write(
    filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch, "trust_table")
    f = Filters()
    first = cache.trust_table(filled, f, "channel")
    cache.trust_table(filled, f, "channel")
    assert len(calls) == 1  # a rerun of the page reads the cache
    cache.trust_table(filled, f, "campaign")
    cache.trust_table(filled, f.with_(start=dt.date(2026, 6, 1)), "channel")
    assert len(calls) == 3  # other arguments are other entries
    filled.set_setting("weights", {"S1": 1.0, "S2": 0, "S3": 0, "S4": 0, "S5": 0, "S6": 0})
    after = cache.trust_table(filled, f, "channel")
    assert len(calls) == 4  # a settings change is a new data version
    assert after["trust"].to_list() != first["trust"].to_list()
