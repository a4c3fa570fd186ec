"""Shared page pieces: KPIs that explain themselves, charts with drill-down, safe text,
downloads. User-supplied text (comments, authors, campaign and file names) is only
ever shown as plain text or escaped: never as HTML or live markdown.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from trustdash import trust
from trustdash.charts import selection_slices
from trustdash.exporting import to_csv_bytes, to_xlsx_bytes
from trustdash.filters import Filters, to_params
from trustdash.ui.guard import PageContext

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: object) -> str:
    """Text safe to embed in markdown: every markdown/HTML character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def kpi(
    label: str,
    row: dict[str, Any] | None,
    settings: trust.TrustSettings,
    *,
    delta: float | None = None,
    key: str,
    help_text: str | None = None,
) -> None:
    """A Trust Score metric with its band, interval and a "How is this computed?" panel."""
    if not row or row.get("trust") is None:
        st.metric(label, "—", help="No data for these filters.")
        return
    insufficient = bool(row.get("insufficient"))
    value = fmt_score(row["trust"]) + ("" if not insufficient else " ⚠")
    st.metric(
        label,
        value,
        delta=None if delta is None else f"{delta:+.1f} vs previous period",
        help=help_text,
    )
    low, high = row.get("low"), row.get("high")
    band = row.get("band") or trust.band(row["trust"])
    interval = f" · 80 % interval {low:.0f}–{high:.0f}" if low is not None else ""
    st.caption(f"{band}{interval}" + (" · insufficient data" if insufficient else ""))
    explain_panel(row, settings, key=key)


def explain_panel(row: dict[str, Any], settings: trust.TrustSettings, *, key: str) -> None:
    with st.expander("How is this computed?", expanded=False):
        try:
            info = trust.explain(row, settings)
        except Exception as exc:  # an explanation must never break the page
            st.caption(f"No explanation available ({type(exc).__name__}).")
            return
        _render_explanation(info)


def _render_explanation(info: Any, depth: int = 0) -> None:
    if isinstance(info, dict):
        for k, v in info.items():
            if isinstance(v, dict | list) and v:
                st.markdown(f"**{md_escape(k)}**")
                _render_explanation(v, depth + 1)
            else:
                st.text(f"{k}: {_plainval(v)}")
    elif isinstance(info, list):
        for item in info:
            if isinstance(item, dict):
                st.text(" · ".join(f"{k}: {_plainval(v)}" for k, v in item.items()))
            else:
                st.text(f"• {_plainval(item)}")
    else:
        st.text(_plainval(info))


def _plainval(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def download_buttons(frame: pl.DataFrame, name: str, *, key: str) -> None:
    """CSV and XLSX downloads of a table (cells that would run as formulas neutralised)."""
    if frame.is_empty():
        return
    c1, c2 = st.columns(2)
    c1.download_button(
        "⬇ CSV", to_csv_bytes(frame), f"{name}.csv", "text/csv", key=f"{key}_csv",
        on_click="ignore",
    )  # fmt: skip
    c2.download_button(
        "⬇ XLSX",
        to_xlsx_bytes(frame),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )


def chart(
    ctx: PageContext,
    fig: go.Figure,
    *,
    key: str,
    dimension: str = "channel",
    data: pl.DataFrame | None = None,
) -> None:
    """A plotly chart whose points and bars open the comments behind them when clicked."""
    event = st.plotly_chart(
        fig, key=key, on_select="rerun", selection_mode=("points",), width="stretch"
    )
    if data is not None and not data.is_empty():
        st.download_button(
            "⬇ chart data (CSV)", to_csv_bytes(data), f"{key}.csv", "text/csv",
            key=f"{key}_data", on_click="ignore",
        )  # fmt: skip
    slices = selection_slices(event)
    if slices:
        drilldown(ctx, slices, dimension=dimension, key=f"{key}_dd")


def slice_filters(base: Filters, group: str, start: str, end: str, dimension: str) -> Filters:
    f = base
    if dimension == "channel" and group:
        f = f.with_(channels=(group,))
    elif dimension == "campaign" and group:
        f = f.with_(campaigns=(group,))
    try:
        if start:
            f = f.with_(start=dt.date.fromisoformat(start[:10]))
        if end:
            f = f.with_(end=dt.date.fromisoformat(end[:10]))
    except ValueError:
        pass
    return f


def drilldown(
    ctx: PageContext, slices: list[tuple[str, str, str]], *, dimension: str, key: str
) -> None:
    """The comments behind the selected points."""
    for i, (group, start, end) in enumerate(slices[:3]):
        f = slice_filters(ctx.filters, group, start, end, dimension)
        total = ctx.store.count_comments(f)
        st.markdown(
            f"**Comments behind this point** — {md_escape(group or 'all')}, "
            f"{md_escape(start[:10] or 'start')} → {md_escape(end[:10] or 'end')}: {total:,}"
        )
        frame = ctx.store.comments(f, limit=200, order="most_negative")
        comments_table(frame, key=f"{key}_{i}")
        nav_link("pages/4_Conversations.py", "Open in Conversations", "💬", to_params(f))


def comments_table(
    frame: pl.DataFrame, *, key: str, height: int = 360, selectable: bool = False
) -> int | None:
    """Comments as a grid (cells are drawn as text, never as HTML). With ``selectable``,
    returns the index of the row the user picked."""
    if frame.is_empty():
        st.caption("No comments match.")
        return None
    cols = [
        c for c in ("created_at", "channel", "campaign", "label", "rating", "polarity", "text",
                    "author", "reply_hours", "lang")
        if c in frame.columns
    ]  # fmt: skip
    config = {
        "text": st.column_config.TextColumn("comment", width="large"),
        "polarity": st.column_config.NumberColumn(format="%.2f"),
        "reply_hours": st.column_config.NumberColumn("first reply (h)", format="%.1f"),
    }
    if not selectable:
        st.dataframe(frame.select(cols), key=key, height=height, hide_index=True,
                     column_config=config)  # fmt: skip
        return None
    event = st.dataframe(
        frame.select(cols), key=key, height=height, hide_index=True, column_config=config,
        on_select="rerun", selection_mode="single-row",
    )  # fmt: skip
    try:
        rows = event.selection.rows  # type: ignore[union-attr]
    except AttributeError:
        rows = []
    return int(rows[0]) if rows else None


def quote(text: str, caption: str = "") -> None:
    """A comment quoted as plain text."""
    with st.container(border=True):
        st.text(text if len(text) < 600 else text[:600] + "…")
        if caption:
            st.caption(md_escape(caption))


def nav_link(
    page_file: str, label: str, icon: str, query_params: dict | None = None
) -> None:
    """A link to another page. Falls back to a plain relative link when the current
    script is not run from ``app.py`` (a deep link before the app's first run)."""
    try:
        st.page_link(page_file, label=label, icon=icon, query_params=query_params)
    except Exception:
        from urllib.parse import urlencode

        slug = page_file.rsplit("/", 1)[-1].removesuffix(".py").split("_", 1)[-1]
        slug = "" if page_file == "app.py" else slug
        qs = ("?" + urlencode(query_params, doseq=True)) if query_params else ""
        st.markdown(f"[{md_escape(label)}](./{slug}{qs})")


def empty_state(message: str, *, import_link: bool = True) -> None:
    st.info(message, icon="📭")
    if import_link:
        nav_link("pages/6_Import.py", "Go to Import", "📥")
