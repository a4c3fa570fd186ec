"""Charts: what they show when the data are thin."""

from __future__ import annotations

import datetime as dt

import polars as pl

from trustdash import charts


def _series(periods: list[dt.date]) -> pl.DataFrame:
    n = len(periods)
    return pl.DataFrame({
        "channel": ["youtube"] * n, "period": periods, "trust": [70.0] * n,
        "low": [60.0] * n, "high": [80.0] * n, "insufficient": [False] * n,
    })  # fmt: skip


def test_a_lone_period_keeps_a_date_axis() -> None:
    """One point on a time chart: the axis spans a few periods around it, in days (plotly
    alone zooms to a millisecond and labels the ticks 23:59:59.999)."""
    day = dt.date(2022, 10, 31)
    fig = charts.trust_over_time(_series([day]), granularity="week")
    low, high = fig.layout.xaxis.range
    assert (dt.date.fromisoformat(str(low)[:10]), dt.date.fromisoformat(str(high)[:10])) == (
        day - dt.timedelta(days=14), day + dt.timedelta(days=14))
    long = pl.DataFrame({"component": ["S1"], "period": [day], "value": [0.7]})
    assert charts.components_over_time(long).layout.xaxis.range is not None
    # Several periods: plotly's own range.
    two = charts.trust_over_time(_series([day, day + dt.timedelta(days=7)]), granularity="week")
    assert two.layout.xaxis.range is None
