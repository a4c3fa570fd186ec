"""Charts: what they show when the data are thin."""

from __future__ import annotations

import datetime as dt

import polars as pl

from trustdash import analysis, charts


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


def test_a_line_breaks_across_a_long_silence() -> None:
    """Weeks 1–3, then three empty weeks (still joined), then seven years later: two lines,
    one legend entry, every point kept for the drill-down."""
    first = dt.date(2014, 1, 6)
    weeks = [first + dt.timedelta(weeks=k) for k in (0, 1, 2, 6)]
    periods = [*weeks, dt.date(2022, 10, 31)]
    fig = charts.trust_over_time(_series(periods), granularity="week", show_interval=False)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [len(t.x) for t in lines] == [4, 1]
    assert [t.showlegend for t in lines] == [True, False]
    assert [row[1] for t in lines for row in t.customdata] == [str(p) for p in periods]
    # Four empty weeks break the line too.
    gap = [first, first + dt.timedelta(weeks=5)]
    fig = charts.trust_over_time(_series(gap), granularity="week", show_interval=False)
    assert [len(t.x) for t in fig.data] == [1, 1]


def test_interval_bands_draw_no_markers() -> None:
    """A band is an area: even a short one (plotly gives traces under 20 points markers by
    default) draws no point of its own."""
    first = dt.date(2014, 1, 6)
    periods = [first + dt.timedelta(weeks=k) for k in range(3)]
    fig = charts.trust_over_time(_series(periods), granularity="week", show_interval=True)
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 1 and bands[0].mode == "lines"


def test_a_metric_of_two_days_is_drawn_on_a_week_of_dates_and_named() -> None:
    """A page metric exported for two days (20 follows, then 31): the axis spans a week of
    dates around them (not 24 hours of ticks), each day has a marker and the legend names
    the metric although it is the only one."""
    frame = pl.DataFrame({
        "channel": ["facebook"] * 2, "metric": ["follows"] * 2,
        "date": [dt.date(2025, 8, 1), dt.date(2025, 8, 2)], "value": [20.0, 31.0],
    })  # fmt: skip
    fig = charts.metric_series(frame)
    low, high = (dt.datetime.fromisoformat(str(x)) for x in fig.layout.xaxis.range)
    assert high - low == dt.timedelta(days=7)
    assert low < dt.datetime(2025, 8, 1) and high > dt.datetime(2025, 8, 2)
    (trace,) = fig.data
    assert "markers" in trace.mode and trace.name == "facebook · follows"
    assert fig.layout.showlegend is True
    # A long series keeps plotly's own range and a plain line.
    days = [dt.date(2025, 1, 1) + dt.timedelta(days=k) for k in range(90)]
    long = pl.DataFrame({"channel": ["x"] * 90, "metric": ["impressions"] * 90,
                         "date": days, "value": [float(k) for k in range(90)]})  # fmt: skip
    fig = charts.metric_series(long)
    assert fig.layout.xaxis.range is None and fig.data[0].mode == "lines"


def test_the_components_of_a_hidden_score_show_no_proportion() -> None:
    """A channel whose score is hidden for insufficient data: its S1–S3 (mostly the prior)
    read "insufficient data", not 0.50; a component it measures from posts keeps its value;
    a missing one reads "dropped"."""
    row = {"trust": 55.0, "insufficient": True, "S1": 0.5, "S2": 0.5, "S3": None, "S4": 0.62,
           "S5": None, "S6": None}  # fmt: skip
    assert analysis.shown_score(row) is None
    (bar,) = charts.components_bar(row, shown=analysis.shown_score(row) is not None).data
    assert list(bar.text) == ["insufficient data", "insufficient data", "dropped", "0.62",
                              "dropped", "dropped"]  # fmt: skip
    assert list(bar.x)[:2] == [0, 0]
    (bar,) = charts.components_bar(row).data
    assert list(bar.text)[:2] == ["0.50", "0.50"]
