"""Shared page pieces: KPIs that explain themselves, charts with drill-down, safe text,
downloads. User-supplied text (comments, authors, campaign and file names) is only
ever shown as plain text or escaped: never as HTML or live markdown.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from trustdash import analysis, charts, trust
from trustdash.charts import selection_slices
from trustdash.exporting import to_csv_bytes, to_xlsx_bytes
from trustdash.filters import Filters, opening_params
from trustdash.i18n import (
    fmt_date,
    fmt_decimal,
    fmt_level,
    fmt_number,
    fmt_plain,
    get_lang,
    list_sep,
    mark,
    tr,
)
from trustdash.i18n.terms import (
    explain_interval,
    explain_notes,
    flag_text,
    header_map,
    localise,
    term,
)
from trustdash.safe_text import reveal_bidi_columns
from trustdash.ui.guard import PageContext
from trustdash.ui.text import md_escape, nav_link


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
    if analysis.shown_score(row) is None:
        # No score made of priors: a dash and the reason (the panel still explains it).
        reason = analysis.insufficient_text(row)
        st.metric(label, "—", help=tr("Insufficient data: {reason}.", reason=reason))
        st.caption(md_escape(tr("Insufficient data: {reason}", reason=reason)))
        if row and row.get("trust") is not None:
            explain_panel(row, settings, key=key)
        return
    assert row is not None
    st.metric(
        label,
        fmt_score(row["trust"]),
        delta=None if delta is None else tr("{delta} vs previous period",
                                            delta=fmt_decimal(delta, 1, sign=True)),
        help=help_text,
    )  # fmt: skip
    low, high = row.get("low"), row.get("high")
    band = row.get("band") or trust.band(row["trust"])
    parts = [term(band)]
    if low is not None:
        parts.append(tr("{level} interval {low}–{high}", level=fmt_level(), low=fmt_number(low),
                        high=fmt_number(high)))  # fmt: skip
    st.caption(" · ".join(parts))
    explain_panel(row, settings, key=key)


def explain_panel(row: dict[str, Any], settings: trust.TrustSettings, *, key: str) -> None:
    """The "How is this computed?" panel: every value rounded, every term named."""
    with st.expander(tr("How is this computed?"), expanded=False):
        try:
            info = trust.explain(row, settings)
        except Exception as exc:  # an explanation must never break the page
            st.caption(tr("No explanation available ({error}).", error=type(exc).__name__))
            return
        if isinstance(info, dict) and get_lang() != "en":
            info = _in_reader_words(info, row, settings)
        _render_explanation(info)


def _in_reader_words(
    info: dict[str, Any], row: dict[str, Any], settings: trust.TrustSettings
) -> dict[str, Any]:
    """The explanation's texts (written in English by trust.explain) in the reader's
    language, from the same numbers."""
    return {
        **info,
        "interval": explain_interval(info, settings.draws),
        "formula": term(info.get("formula")),
        "dropped": [{**d, "reason": term(d.get("reason"))} for d in info.get("dropped") or []],
        "components": [{**c, "formula": term(c.get("formula"))}
                       for c in info.get("components") or []],
        "notes": explain_notes(info, prior=settings.prior_strength,
                               half_life=settings.half_life_days, min_polar=settings.min_polar,
                               max_width=settings.max_width,
                               insufficient=bool(row.get("insufficient"))),
    }  # fmt: skip


# What each term of the explanation means, in the words the panel prints.
TERMS: dict[str, str] = {
    "P": mark("P: positive comments"),
    "N": mark("N: negative comments"),
    "neutral": mark("neutral comments"),
    "audience": mark("A: audience comments"),
    "complaints": mark("C: complaints"),
    "actionable": mark("Act: actionable comments (questions, complaints, negatives)"),
    "answered_in_target": mark("R: actionable comments answered within the target time"),
    "comments (raw)": mark("comments (not weighted)"),
    "polar comments (raw)": mark("positive or negative comments (not weighted)"),
    "m": mark("prior strength (how many comments the prior weighs as)"),
    "mu_S1": mark("μ1: positive share for the whole brand (the prior for S1)"),
    "mu_S2": mark("μ2: share without complaints for the whole brand (the prior for S2)"),
    "mu_S3": mark("μ3: share answered in time for the whole brand (the prior for S3)"),
}
_NOTE_WORDS = {
    "prior strength m": mark("prior strength (how many comments the prior weighs as)"),
    "parent-level mean μ": mark("brand-wide average μ"),
}


def _term(key: object) -> str:
    """An explanation term in words (its key when it has none)."""
    text = TERMS.get(str(key))
    return tr(text) if text else str(key)


def _render_explanation(info: Any) -> None:
    if not isinstance(info, dict) or "components" not in info:
        _render_plain(info)
        return
    score = _plainval(info.get("score"), 0)
    title = tr("Score {score}", score=md_escape(score))
    st.markdown(
        f"**{title}** · "
        f"{md_escape(term(info.get('band') or ''))} · {md_escape(info.get('interval') or '')}"
    )
    st.text(str(info.get("formula", "")))
    st.caption(tr(
        "S_k: a component's value from 0 to 1 · w_k: its weight · Σ_available: the sum over "
        "the components measurable here."
    ))  # fmt: skip
    covered = bool(info.get("covered"))
    if covered:
        st.caption(tr("c_k: the share of the comments measured by the component (the "
                      "comments of the channels where it is measurable)."))  # fmt: skip
    rows = []
    interval_header = tr("{level} interval", level=fmt_level())
    for c in info.get("components") or []:
        interval = c.get("interval")
        rows.append({
            "component": f"{c.get('id')} {term(c.get('name'))}",
            "value (0–1)": _plainval(c.get("value"), 3),
            "weight": _plainval(c.get("weight"), 2),
            **({"c_k": _plainval(c.get("coverage"), 2)} if covered else {}),
            "points": _plainval(c.get("contribution"), 1),
            interval_header: "—" if not interval else
            f"{_plainval(interval[0], 3)}–{_plainval(interval[1], 3)}",
            "how": c.get("text") or c.get("formula") or "",
        })  # fmt: skip
    if rows:
        st.markdown("**" + tr("Components") + "**")
        st.dataframe(localise(pl.DataFrame(rows)).to_arrow(), hide_index=True)
    st.markdown(tr("**Counts** (recent comments weigh more: see Recency below)"))
    for k, v in (info.get("counts") or {}).items():
        st.text(tr("{term}: {value}", term=_term(k), value=_plainval(v, 1)))
    st.markdown(tr("**Prior** (what a group with few comments is pulled toward)"))
    for k, v in (info.get("prior") or {}).items():
        st.text(tr("{term}: {value}", term=_term(k), value=_plainval(v, 3)))
    for d in info.get("dropped") or []:
        st.text(tr("Not measurable: {id} {name} ({reason})", id=d.get("id"),
                   name=term(d.get("name")), reason=d.get("reason")))  # fmt: skip
    flags = info.get("flags") or []
    if flags:
        st.text(tr("Flags: {flags}", flags=list_sep().join(flag_text(f) for f in flags)))
    st.markdown("**" + tr("Notes") + "**")
    for note in info.get("notes") or []:
        text = str(note)
        for old, plain in _NOTE_WORDS.items():
            text = text.replace(old, tr(plain))
        st.text(f"• {text}")


def _render_plain(info: Any) -> None:
    if isinstance(info, dict):
        for k, v in info.items():
            if isinstance(v, dict | list) and v:
                st.markdown(f"**{md_escape(_term(k))}**")
                _render_plain(v)
            else:
                st.text(tr("{term}: {value}", term=_term(k), value=_plainval(v)))
    elif isinstance(info, list):
        for item in info:
            if isinstance(item, dict):
                st.text(" · ".join(tr("{term}: {value}", term=k, value=_plainval(v))
                                   for k, v in item.items()))  # fmt: skip
            else:
                st.text(f"• {_plainval(item)}")
    else:
        st.text(_plainval(info))


def _plainval(v: Any, decimals: int = 3) -> str:
    """A value as a reader wants it: rounded (trailing zeros dropped), "—" when missing."""
    if v is None or (isinstance(v, float) and v != v):
        return NA
    if isinstance(v, bool):
        return tr("yes") if v else tr("no")
    if isinstance(v, float):
        return fmt_plain(v, decimals)
    if isinstance(v, int):
        return fmt_number(v)
    if isinstance(v, list | tuple):
        return ", ".join(_plainval(x, decimals) for x in v)
    return str(v)


NA = "—"


def display_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` for display: missing values shown as "—". The grid draws any missing
    cell as "None" (whatever a styler says), so a column with missing values becomes
    text; returns the frame and the names of the columns turned into text."""
    exprs, as_text = [], []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if not frame[name].null_count():
            exprs.append(col)
            continue
        if dtype == pl.String:
            exprs.append(col.fill_null(NA))
            continue
        french = get_lang() == "fr"
        if dtype.is_float():
            text = col.round(2).cast(pl.String)
            text = text.str.replace(".", ",", literal=True) if french else text
        elif dtype == pl.Datetime or dtype == pl.Date:
            day = "%d/%m/%Y" if french else "%Y-%m-%d"
            text = col.dt.strftime(day + " %H:%M" if dtype == pl.Datetime else day)
        elif isinstance(dtype, pl.List):
            text = col.cast(pl.List(pl.String)).list.join(", ")
        else:
            text = col.cast(pl.String)
        exprs.append(text.fill_null(NA).alias(name))
        as_text.append(name)
    return frame.select(exprs), as_text


def show_table(frame: pl.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` with missing values shown as "—" (see :func:`display_frame`)."""
    shown, as_text = display_frame(frame)
    config = dict(kwargs.pop("column_config", None) or {})
    for name in as_text:
        if name in config:  # a number format cannot apply to text: keep the label only
            label = config[name].get("label") if isinstance(config[name], dict) else None
            config[name] = st.column_config.TextColumn(label)
    if get_lang() == "fr":  # the grid's own formats are English: numbers and days in French
        for name, dtype in shown.schema.items():
            if name in config:
                continue
            if dtype.is_numeric():
                config[name] = st.column_config.NumberColumn(format="localized")
            elif dtype == pl.Datetime:
                config[name] = st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")
            elif dtype == pl.Date:
                config[name] = st.column_config.DateColumn(format="DD/MM/YYYY")
    # Headers and vocabulary words in the reader's language (configurations follow them).
    names = header_map(shown)
    shown = localise(shown)
    if shown.columns != frame.columns:
        config = {names.get(k, k): v for k, v in config.items()}
    if config:
        kwargs["column_config"] = config
    # An Arrow table goes to the browser as is; a polars frame would be converted to
    # pandas and back to Arrow first, the costliest step of drawing a page.
    return st.dataframe(shown.to_arrow(), **kwargs)


def download_buttons(frame: pl.DataFrame, name: str, *, key: str) -> None:
    """CSV and XLSX downloads of a table (cells that would run as formulas neutralised).

    The files are built when the button is clicked, through the session's websocket:
    nothing is stored under ``/media`` while the page is only displayed, and a link
    generated by a click is removed by the sweeper (see ``trustdash.ui.sweeper``)."""
    if frame.is_empty():
        return
    frame = localise(frame)
    french = get_lang() == "fr"  # the click may be served outside this run's language
    c1, c2 = st.columns(2)
    c1.download_button(
        "⬇ CSV", lambda: to_csv_bytes(frame, french=french), f"{name}.csv", "text/csv",
        key=f"{key}_csv", on_click="ignore",
    )  # fmt: skip
    c2.download_button(
        "⬇ XLSX",
        lambda: to_xlsx_bytes(frame),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A CSV download in the layout the reader's spreadsheet opens (``;`` and decimal
    commas in French)."""
    return to_csv_bytes(frame, french=get_lang() == "fr")


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
        fig, key=key, on_select="rerun", selection_mode=("points",), width="stretch",
        config=plotly_config(),
    )
    if data is not None and not data.is_empty():
        shown, french = localise(data), get_lang() == "fr"
        st.download_button(
            tr("⬇ chart data (CSV)"), lambda: to_csv_bytes(shown, french=french),
            f"{key}.csv", "text/csv", key=f"{key}_data", on_click="ignore",
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
        words = {"group": tr("all"), "start": tr("start"), "end": tr("end")}
        st.markdown(tr(
            "**Comments behind this point** — {group}, {start} → {end}: {total}",
            group=md_escape(group or words["group"]),
            start=md_escape(_day(start) or words["start"]),
            end=md_escape(_day(end) or words["end"]), total=fmt_number(total),
        ))  # fmt: skip
        frame = ctx.store.comments(f, limit=200, order="most_negative")
        comments_table(frame, key=f"{key}_{i}")
        nav_link("pages/4_Conversations.py", tr("Open in Conversations"), "💬",
                 {**opening_params(f), "lang": get_lang()})  # fmt: skip


def _day(iso: str) -> str:
    """An ISO date from a chart's point, for the reader (English keeps the ISO form)."""
    if get_lang() == "en":
        return iso[:10]
    try:
        return fmt_date(dt.date.fromisoformat(iso[:10]))
    except ValueError:
        return iso[:10]


# Streamlit's data grid: header and row heights in pixels.
_GRID_HEADER_PX = 38
_GRID_ROW_PX = 35


def comments_table(
    frame: pl.DataFrame, *, key: str, height: int = 360, selectable: bool = False
) -> int | None:
    """Comments as a grid (cells are drawn as text, never as HTML). With ``selectable``,
    returns the index of the row the user picked."""
    if frame.is_empty():
        st.caption(tr("No comments match."))
        return None
    cols = [
        c for c in ("created_at", "channel", "campaign", "label", "rating", "polarity", "text",
                    "author", "reply_hours", "lang")
        if c in frame.columns
    ]  # fmt: skip
    config = {
        "text": st.column_config.TextColumn(tr("comment"), width="large"),
        "polarity": st.column_config.NumberColumn(format=_number_format(2)),
        # Stars as given (4, not 4.0; a half star stays 4.5).
        "rating": st.column_config.NumberColumn(
            tr("stars"), format="localized" if get_lang() == "fr" else "plain"),
        "reply_hours": st.column_config.NumberColumn(tr("first reply (h)"),
                                                     format=_number_format(1)),
    }  # fmt: skip
    frame = reveal_bidi_columns(frame, ("campaign", "author"))
    # A short list gets a short grid (the fixed height would show empty rows under it).
    height = min(height, _GRID_HEADER_PX + _GRID_ROW_PX * frame.height + 3)
    if get_lang() == "fr":
        config["created_at"] = st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm")
    if not selectable:
        show_table(frame.select(cols), key=key, height=height, hide_index=True,
                     column_config=config)  # fmt: skip
        return None
    event = show_table(
        frame.select(cols), key=key, height=height, hide_index=True, column_config=config,
        on_select="rerun", selection_mode="single-row",
    )  # fmt: skip
    try:
        rows = event.selection.rows  # type: ignore[union-attr]
    except AttributeError:
        rows = []
    return int(rows[0]) if rows else None


def _number_format(digits: int) -> str:
    """A column's number format: printf-style in English, the reader's locale in French."""
    return "localized" if get_lang() == "fr" else f"%.{digits}f"


def plotly_config() -> dict[str, Any]:
    """``config`` for st.plotly_chart: plotly's own texts (toolbar, month names) in the
    reader's language, from :func:`trustdash.charts.plotly_locale` (no download)."""
    return charts.plotly_config()


def quote(text: str, caption: str = "") -> None:
    """A comment quoted as plain text."""
    with st.container(border=True):
        st.text(text if len(text) < 600 else text[:600] + "…")
        if caption:
            st.caption(md_escape(caption))


def empty_state(message: str, *, import_link: bool = True) -> None:
    st.info(message, icon="📭")
    if import_link:
        nav_link("pages/6_Import.py", tr("Go to Import"), "📥", {"lang": get_lang()})
