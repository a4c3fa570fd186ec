"""Results of :mod:`trustdash.analysis` cached per store state, filters and arguments.

Every widget click reruns a Streamlit page; the numbers only change when the data,
the settings or the filters do. Each wrapper below calls one analysis function and
returns its own type; its cache key is the store's target, the store's
``data_version`` and the call's arguments, so an import, a relabel or a settings
change is seen at once. A page run reads ``data_version`` once (the page guard does,
``PageContext.version``) and passes it to every wrapper it calls. The store itself is
passed as ``_store``: Streamlit leaves arguments starting with an underscore out of the
key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from trustdash import analysis, rescoring
from trustdash.filters import Filters
from trustdash.i18n import get_lang
from trustdash.store import Store

_CACHE = {"max_entries": 64, "ttl": 3600, "show_spinner": False}


@dataclass(frozen=True)
class Facts:
    """What every page's sidebar and empty state read about the store."""

    channels: list[str]
    campaigns: list[str]
    bounds: tuple[dt.date | None, dt.date | None]
    empty: bool
    # First and last day with an audience comment (None, None without any).
    comment_bounds: tuple[dt.date | None, dt.date | None] = (None, None)


@st.cache_data(**_CACHE)
def _facts(_store: Store, target: str, version: str) -> Facts:
    return Facts(channels=_store.channels(), campaigns=_store.campaigns(),
                 bounds=_store.date_bounds(), empty=_store.is_empty(),
                 comment_bounds=_store.comment_bounds())  # fmt: skip


def facts(store: Store, version: str) -> Facts:
    """The store's channels, campaigns, date bounds (of all data and of comments) and
    emptiness, read once per state."""
    return _facts(store, store.target, version)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _rescoring_checked(_store: Store, target: str, version: str) -> rescoring.Job | None:
    return rescoring.start_background(_store)


def rescoring_job(store: Store, version: str) -> rescoring.Job | None:
    """The re-scoring job of this store, started when its state needs one. Whether it is
    needed depends on the scorer and on settings, which are part of the data version, so
    it is asked once per state and process; a job's progress is read at every run."""
    job = rescoring.current_job(store)
    if job is not None and not job.done:
        return job
    return _rescoring_checked(store, store.target, version) or job


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _figure(
    target: str, version: str, lang: str, key: Hashable, _build: Callable[[], go.Figure]
) -> go.Figure:
    return _build()


def figure(
    store: Store, version: str, key: Hashable, build: Callable[[], go.Figure]
) -> go.Figure:
    """The chart ``build()`` draws, built once per store state, language and ``key`` and
    then shared by every session (``st.plotly_chart`` only reads a figure). ``key`` names
    the chart and every argument it is drawn from besides the store's data, typically the
    filters: a crowd opening the same link then costs one figure, not one per visitor."""
    return _figure(store.target, version, get_lang(), key, build)


@st.cache_data(**_CACHE)
def _overview(
    _store: Store, target: str, version: str, f: Filters, with_brand_series: bool
) -> analysis.Overview:
    return analysis.overview(_store, f, with_brand_series=with_brand_series)


def overview(store: Store, version: str, f: Filters, *, with_brand_series: bool = False) -> analysis.Overview:
    """``analysis.overview``, computed once per store state."""
    return _overview(store, store.target, version, f, with_brand_series)


@st.cache_data(**_CACHE)
def _trust_table(_store: Store, target: str, version: str, f: Filters, by: str) -> pl.DataFrame:
    return analysis.trust_table(_store, f, by)


def trust_table(store: Store, version: str, f: Filters, by: str) -> pl.DataFrame:
    """``analysis.trust_table``, computed once per store state."""
    return _trust_table(store, store.target, version, f, by)


@st.cache_data(**_CACHE)
def _series(_store: Store, target: str, version: str, f: Filters) -> pl.DataFrame:
    return analysis.series(_store, f)


def series(store: Store, version: str, f: Filters) -> pl.DataFrame:
    """``analysis.series``, computed once per store state."""
    return _series(store, store.target, version, f)


@st.cache_data(**_CACHE)
def _channel_components(
    _store: Store, target: str, version: str, f: Filters, channel: str
) -> pl.DataFrame:
    return analysis.channel_components(_store, f, channel)


def channel_components(store: Store, version: str, f: Filters, channel: str) -> pl.DataFrame:
    """``analysis.channel_components``, computed once per store state."""
    return _channel_components(store, store.target, version, f, channel)


@st.cache_data(**_CACHE)
def _campaign_phases(_store: Store, target: str, version: str, campaign: str) -> pl.DataFrame:
    return analysis.campaign_phases(_store, campaign)


def campaign_phases(store: Store, version: str, campaign: str) -> pl.DataFrame:
    """``analysis.campaign_phases``, computed once per store state."""
    return _campaign_phases(store, store.target, version, campaign)


@st.cache_data(**_CACHE)
def _responsiveness(
    _store: Store, target: str, version: str, f: Filters, business_hours: bool
) -> pl.DataFrame:
    return analysis.responsiveness(_store, f, business_hours=business_hours)


def responsiveness(store: Store, version: str, f: Filters, *, business_hours: bool = False) -> pl.DataFrame:
    """``analysis.responsiveness``, computed once per store state."""
    return _responsiveness(store, store.target, version, f, business_hours)


@st.cache_data(**_CACHE)
def _representative_comments(
    _store: Store, target: str, version: str, f: Filters, n: int
) -> list[dict[str, Any]]:
    return analysis.representative_comments(_store, f, n)


def representative_comments(
    store: Store, version: str, f: Filters, n: int = 3
) -> list[dict[str, Any]]:
    """``analysis.representative_comments``, read once per store state."""
    return _representative_comments(store, store.target, version, f, n)
