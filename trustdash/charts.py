"""Plotly figures: pure functions from result frames to figures (no streamlit).

Every point and bar carries ``customdata`` naming the slice behind it
(channel, period start and end) so that the pages can open the comments
behind a click. Texts are in the current interface language (:mod:`trustdash.i18n`):
default titles are marked where they are written and translated with ``term()``, since a
caller may pass a title it has already translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import polars as pl

from trustdash import trust
from trustdash.filters import period_end
from trustdash.i18n import (
    fmt_date,
    fmt_decimal,
    fmt_number,
    fmt_percent,
    get_lang,
    mark,
    month_names,
    plotly_separators,
    tr,
)
from trustdash.i18n.terms import component_label, term
from trustdash.safe_text import plotly_escape

BAND_COLOURS = {
    "Excellent": "#1a7f37",
    "Good": "#4c9a2a",
    "Fragile": "#d4a72c",
    "At risk": "#e07b24",
    "Critical": "#c62828",
    trust.NO_DATA: "#9e9e9e",
}
# The group name of the brand-wide series (trustdash.analysis), shown in the reader's words.
BRAND = mark("brand")
PALETTE = ["#1f6f8b", "#e07b24", "#6a4c93", "#2a9d8f", "#c62828", "#8d6e63", "#5c6bc0", "#43a047"]
_LAYOUT = dict(
    margin=dict(l=10, r=10, t=40, b=10),
    template="plotly_white",
    font=dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13),
    legend=dict(orientation="h", yanchor="top", y=-0.12, x=0),
)


def _layout() -> dict:
    """The shared layout, with the reader's decimal and thousands separators."""
    return {**_LAYOUT, "separators": plotly_separators()}


def plotly_locale() -> dict:
    """Plotly's locale for the current language (month and day names, separators, its
    toolbar's texts), built from Babel: plotly's own locale files are not shipped."""
    if get_lang() == "en":
        return {}
    days = [tr(d) for d in _DAYS]
    return {
        "dictionary": {k: tr(k) for k in _PLOTLY_TEXTS},
        "format": {
            "days": days,
            "shortDays": [d[:3] + "." for d in days],
            "months": month_names(),
            "shortMonths": month_names(short=True),
            "date": "%d/%m/%Y",
            "decimal": ",",
            "thousands": "\u202f",
            "year": "%Y",
            "month": "%b %Y",
            "dayMonth": "%-d %b",
            "dayMonthYear": "%-d %b %Y",
        },
    }


def plotly_config(**extra: object) -> dict:
    """``config`` for a figure: plotly's texts and dates in the reader's language."""
    config: dict = dict(extra)
    locale = plotly_locale()
    if locale:
        config["locale"] = get_lang()
        config["locales"] = {get_lang(): locale}
    return config


_DAYS = (mark("Sunday"), mark("Monday"), mark("Tuesday"), mark("Wednesday"),
         mark("Thursday"), mark("Friday"), mark("Saturday"))  # fmt: skip
_PLOTLY_TEXTS = (
    mark("Autoscale"), mark("Box Select"), mark("Download plot as a png"), mark("Lasso Select"),
    mark("Pan"), mark("Reset axes"), mark("Zoom"), mark("Zoom in"), mark("Zoom out"),
    mark("Double-click to zoom back out"), mark("Reset"), mark("Produced with Plotly.js"),
)  # fmt: skip


def _empty(title: str, message: str = mark("No data for these filters")) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=tr(message), showarrow=False, font=dict(size=15, color="#777"))
    fig.update_layout(title=plotly_escape(term(title)), xaxis_visible=False, yaxis_visible=False,
                      **_layout())  # fmt: skip
    return fig


def trust_by_group(
    table: pl.DataFrame,
    title: str = mark("Trust Score by channel"),
    start: dt.date | None = None,
    end: dt.date | None = None,
    axis_title: str = mark("Trust Score (0–100)"),
) -> go.Figure:
    """Horizontal bars of trust with their interval, best lower bound on top."""
    title, axis_title = term(title), term(axis_title)
    rows = table.filter(pl.col("trust").is_not_null()) if table.height else table
    if rows.is_empty():
        # The groups are there, but none has enough data for a score to be shown.
        return _empty(title, mark("Not enough data for a score in this selection")
                      if table.height else mark("No data for these filters"))  # fmt: skip
    rows = rows.sort("rank", descending=True)
    groups = [str(g) for g in rows["group"].to_list()]
    trusts = rows["trust"].to_list()
    lows, highs = rows["low"].to_list(), rows["high"].to_list()
    insufficient = rows["insufficient"].to_list()
    colours = [
        "#bdbdbd" if ins else BAND_COLOURS.get(b, "#1f6f8b")
        for b, ins in zip(rows["band"].to_list(), insufficient, strict=True)
    ]
    text = [
        f"{t:.0f}" + (" · " + tr("insufficient data") if ins else "")
        for t, ins in zip(trusts, insufficient, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=trusts,
            y=[plotly_escape(g) for g in groups],
            orientation="h",
            marker_color=colours,
            error_x=dict(
                type="data",
                symmetric=False,
                array=[h - t for h, t in zip(highs, trusts, strict=True)],
                arrayminus=[t - lo for lo, t in zip(lows, trusts, strict=True)],
                color="#444",
                thickness=1.5,
            ),
            text=text,
            textposition="inside",
            insidetextanchor="start",
            customdata=[[g, str(start or ""), str(end or "")] for g in groups],
            hovertemplate=tr("%{y}: %{x:.1f}") + "<extra></extra>",
        )
    )
    fig.update_layout(title=plotly_escape(title), **_layout())
    fig.update_xaxes(range=[0, 100], autorange=False, title=axis_title, dtick=20)
    # Room for the "100" tick label, which plotly hides when it would overflow.
    fig.update_layout(margin=dict(l=10, r=30, t=40, b=10))
    fig.update_layout(height=max(260, 60 + 42 * len(groups)))
    return fig


def trust_over_time(
    series: pl.DataFrame,
    title: str = mark("Trust Score over time"),
    annotations: pl.DataFrame | None = None,
    alerts: pl.DataFrame | None = None,
    granularity: str = "week",
    show_interval: bool | None = None,
    axis_title: str = mark("Trust Score"),
) -> go.Figure:
    """One line per channel with its interval band, event annotations and alert markers."""
    title, axis_title = term(title), term(axis_title)
    if series.is_empty():
        return _empty(title)
    fig = go.Figure()
    step = {"day": 1, "week": 7, "month": 31}.get(granularity, 7)
    channels = series.get_column("channel").unique(maintain_order=True).to_list()
    if show_interval is None:
        # Interval bands help for a few lines and clutter many.
        show_interval = len(channels) <= 3
    for i, channel in enumerate(channels):
        colour = PALETTE[i % len(PALETTE)]
        whole = series.filter(pl.col("channel") == channel).sort("period")
        for k, part in enumerate(_runs(whole, granularity)):
            x = part["period"].to_list()
            ends = [period_end(p, granularity) for p in x]
            if show_interval and len(x) > 1:
                fig.add_trace(
                    go.Scatter(
                        x=x + x[::-1],
                        y=part["high"].to_list() + part["low"].to_list()[::-1],
                        fill="toself",
                        fillcolor=_alpha(colour, 0.12),
                        mode="lines",  # plotly adds markers to short traces by default
                        line=dict(width=0),
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=plotly_escape(channel),
                    )
                )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=part["trust"].to_list(),
                    mode="lines+markers",
                    name=plotly_escape(tr(BRAND) if channel == BRAND else channel),
                    legendgroup=plotly_escape(channel),
                    showlegend=k == 0,
                    line=dict(color=colour, width=2),
                    marker=dict(
                        size=7,
                        symbol=["circle-open" if ins else "circle" for ins in part["insufficient"]],
                    ),
                    customdata=[[str(channel), str(p), str(e), fmt_date(p)]
                                for p, e in zip(x, ends, strict=True)],
                    # The name is already escaped; customdata stays raw for the drill-down.
                    hovertemplate=tr("%{fullData.name} · %{customdata[3]}: %{y:.1f}")
                    + "<extra></extra>",
                )
            )
    if annotations is not None and annotations.height:
        for row in annotations.iter_rows(named=True):
            fig.add_vline(x=row["date"], line=dict(color="#888", dash="dot", width=1))
            fig.add_annotation(
                x=row["date"], y=1.0, yref="paper", text=plotly_escape(str(row["text"] or "")[:40]),
                showarrow=False, font=dict(size=11, color="#555"), textangle=-90,
                xanchor="right", yanchor="top",
            )  # fmt: skip
    if alerts is not None and alerts.height and "period" in alerts.columns:
        by_key = {
            (str(r["channel"]), r["period"]): r["trust"] for r in series.iter_rows(named=True)
        }
        xs, ys, labels = [], [], []
        for row in alerts.iter_rows(named=True):
            y = by_key.get((str(row["group"]), row["period"]))
            if y is None:
                continue
            xs.append(row["period"])
            ys.append(y)
            labels.append(plotly_escape(tr("Alert · {group}: negative spike ({share} negative)",
                                           group=row["group"],
                                           share=fmt_percent(row["share"], 0))))
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, mode="markers", name=tr("alerts"),
                    marker=dict(symbol="triangle-down", size=14, color="#c62828"),
                    hovertext=labels, hoverinfo="text",
                )
            )  # fmt: skip
    fig.update_layout(
        title=plotly_escape(title),
        yaxis=dict(range=[0, 100], title=axis_title),
        xaxis=dict(title=None, **lone_period_range(series["period"].to_list(), step)),
        **_layout(),
    )
    return fig


# A line joins two points of a series when at most this many periods without data lie
# between them; past that the line breaks (a line across months of silence would
# draw a trend that no data shows).
MAX_JOINED_GAP = 3


def _runs(part: pl.DataFrame, granularity: str) -> list[pl.DataFrame]:
    """The rows of one line (sorted by period) cut where more than MAX_JOINED_GAP periods
    without data lie between two points."""
    x = part["period"].to_list()
    cuts = [0]
    for j in range(1, len(x)):
        start = x[j - 1]
        for _ in range(MAX_JOINED_GAP + 1):
            start = period_end(start, granularity) + dt.timedelta(days=1)
        if x[j] > start:
            cuts.append(j)
    cuts.append(len(x))
    return [part.slice(a, b - a) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def lone_period_range(periods: list[Any], step_days: int = 7) -> dict[str, Any]:
    """The x-axis range of a time chart whose points all fall on one period: a few periods
    either side (plotly would zoom to a millisecond around it and label the ticks so)."""
    if len({p for p in periods if p is not None}) != 1:
        return {}
    return min_span_range(periods, 4 * max(step_days, 1))


def min_span_range(dates: list[Any], days: int) -> dict[str, Any]:
    """The x-axis range of a time chart whose dates span less than ``days``: ``days`` wide,
    centred on them (over a day or two plotly labels the axis in hours); else plotly's."""
    distinct = [d for d in dates if d is not None]
    if not distinct:
        return {}
    lo, hi = min(distinct), max(distinct)
    width = dt.timedelta(days=days)
    if hi - lo >= width:
        return {}
    if not isinstance(lo, dt.datetime):  # a date: half a day of padding needs a time
        lo, hi = dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time())
    pad = (width - (hi - lo)) / 2
    return {"range": [lo - pad, hi + pad]}


def components_bar(
    row: dict, title: str = mark("Components"), *, shown: bool = True
) -> go.Figure:
    """The six components (0–1) of one Trust Score, dropped ones shown as such. Where the
    score is not ``shown`` (insufficient data, see ``analysis.shown_score``), neither are
    its proportions (S1–S3): with so few comments they are mostly the prior."""
    title = term(title)
    names = [component_label(c, trust.COMPONENT_NAMES[c]) for c in trust.COMPONENTS]
    values = [None if not shown and c in trust.PROPORTION_COMPONENTS else row.get(c)
              for c in trust.COMPONENTS]  # fmt: skip
    texts = [
        fmt_decimal(v, 2) if v is not None
        else tr("insufficient data") if row.get(c) is not None else tr("dropped")
        for c, v in zip(trust.COMPONENTS, values, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=[v if v is not None else 0 for v in values],
            y=names,
            orientation="h",
            marker_color=["#1f6f8b" if v is not None else "#e0e0e0" for v in values],
            text=texts,
            # A bar of no length has no inside: its word goes beside it.
            textposition=["auto" if v is not None else "outside" for v in values],
        )
    )
    fig.update_layout(title=plotly_escape(title), xaxis=dict(range=[0, 1]), **_layout())
    fig.update_layout(height=300, yaxis=dict(autorange="reversed"))
    return fig


def components_over_time(
    long: pl.DataFrame, title: str = mark("Components over time")
) -> go.Figure:
    title = term(title)
    if long.is_empty():
        return _empty(title)
    fig = go.Figure()
    for i, comp in enumerate(trust.COMPONENTS):
        part = long.filter(pl.col("component") == comp).sort("period")
        if part.is_empty() or part["value"].null_count() == part.height:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["period"].to_list(),
                y=part["value"].to_list(),
                mode="lines+markers",
                name=component_label(comp, trust.COMPONENT_NAMES[comp]),
                line=dict(color=PALETTE[i % len(PALETTE)]),
                customdata=[[comp, str(p), ""] for p in part["period"].to_list()],
            )
        )
    fig.update_layout(title=plotly_escape(title),
                      yaxis=dict(range=[0, 1], title=tr("component (0–1)")),
                      xaxis=lone_period_range(long["period"].to_list()), **_layout())  # fmt: skip
    return fig


def response_distribution(
    table: pl.DataFrame, title: str = mark("First response time")
) -> go.Figure:
    """Stacked bars of the first-response buckets per channel."""
    title = term(title)
    if table.is_empty():
        return _empty(title, mark("No actionable comments in this selection"))
    bins = [c for c in table.columns if c.startswith("bins: ")]
    fig = go.Figure()
    colours = ["#1a7f37", "#4c9a2a", "#d4a72c", "#e07b24", "#c62828", "#9e9e9e"]
    for i, col in enumerate(bins):
        fig.add_trace(
            go.Bar(
                y=[plotly_escape(c) for c in table["channel"].to_list()],
                x=table[col].to_list(),
                name=plotly_escape(term(col.removeprefix("bins: "))),
                orientation="h",
                marker_color=colours[i % len(colours)],
                customdata=[[c, "", ""] for c in table["channel"].to_list()],
            )
        )
    fig.update_layout(barmode="stack", title=plotly_escape(title),
                      xaxis_title=tr("actionable comments"), **_layout())  # fmt: skip
    return fig


def campaign_compare(table: pl.DataFrame, baseline: float | None = None) -> go.Figure:
    fig = trust_by_group(table, title=mark("Trust Score by campaign"))
    if baseline is not None and table.height:
        fig.add_vline(
            x=baseline, line=dict(color="#333", dash="dash"),
            annotation_text=tr("brand {score}", score=fmt_number(baseline)),
            annotation_position="top",
        )  # fmt: skip
    return fig


def phases_bar(phases: pl.DataFrame, title: str = mark("Before / during / after")) -> go.Figure:
    title = term(title)
    if phases.is_empty():
        return _empty(title)
    rows = phases.filter(pl.col("trust").is_not_null())
    if rows.is_empty():
        return _empty(title)
    fig = go.Figure(
        go.Bar(
            x=[term(p) for p in rows["phase"].to_list()],
            y=rows["trust"].to_list(),
            error_y=dict(
                type="data",
                symmetric=False,
                array=[h - t for h, t in zip(rows["high"], rows["trust"], strict=True)],
                arrayminus=[t - lo for lo, t in zip(rows["low"], rows["trust"], strict=True)],
            ),  # fmt: skip
            marker_color=[BAND_COLOURS.get(b, "#1f6f8b") for b in rows["band"].to_list()],
            text=[f"{t:.0f}" for t in rows["trust"].to_list()],
            customdata=[
                ["", str(a), str(b)] for a, b in zip(rows["from"], rows["to"], strict=True)
            ],
        )
    )
    fig.update_layout(title=plotly_escape(title), yaxis=dict(range=[0, 100]), **_layout())
    return fig


def languages_pie(languages: dict[str, int], unscored: int = 0) -> go.Figure:
    labels = list(languages) + ([tr("unscored")] if unscored else [])
    values = list(languages.values()) + ([unscored] if unscored else [])
    fig = go.Figure(go.Pie(labels=[plotly_escape(x) for x in labels], values=values, hole=0.55))
    fig.update_layout(title=tr("Languages"), **_layout())
    fig.update_layout(height=260)
    return fig


def metric_series(frame: pl.DataFrame, title: str = mark("Channel metrics")) -> go.Figure:
    title = term(title)
    if frame.is_empty():
        return _empty(title)
    fig = go.Figure()
    pairs = frame.select("channel", "metric").unique(maintain_order=True).iter_rows()
    for i, (channel, metric) in enumerate(pairs):
        part = frame.filter((pl.col("channel") == channel) & (pl.col("metric") == metric))
        fig.add_trace(
            go.Scatter(
                x=part["date"].to_list(), y=part["value"].to_list(),
                # A line alone hides a series of one day; markers show each day of a few.
                mode="lines+markers" if part.height < FEW_POINTS else "lines",
                name=plotly_escape(f"{channel} · {term(metric)}"),
                line=dict(color=PALETTE[i % len(PALETTE)]),
            )
        )  # fmt: skip
    # The legend names the metric even when there is only one.
    fig.update_layout(title=plotly_escape(title), showlegend=True,
                      xaxis=min_span_range(frame["date"].to_list(), 7), **_layout())  # fmt: skip
    return fig


# Below this many points a series is drawn with a marker on each.
FEW_POINTS = 20


def _alpha(hex_colour: str, a: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    return f"rgba({r},{g},{b},{a})"


def selection_slices(selection: object) -> list[tuple[str, str, str]]:
    """(group, start, end) of the points a user selected in a chart (from customdata)."""
    out: list[tuple[str, str, str]] = []
    points: Sequence = []
    try:
        points = selection["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        try:
            points = selection.selection.points  # type: ignore[attr-defined]
        except AttributeError:
            return out
    for p in points or []:
        cd = p.get("customdata") if isinstance(p, dict) else None
        if cd and len(cd) >= 3:
            out.append((str(cd[0]), str(cd[1]), str(cd[2])))
    return out
