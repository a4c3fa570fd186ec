"""The words of trustdash's own vocabulary that reach the reader as values: trust bands,
component names, presets, sentiment labels, table headers. The domain writes them in
English (they are also keys); they are marked here for the catalog and translated where
they are shown. Data (comment texts, channel and campaign names) is never translated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import polars as pl

from trustdash.i18n import (
    fmt_decimal,
    fmt_level,
    fmt_number,
    fmt_percent,
    fmt_plain,
    get_lang,
    known,
    list_sep,
    mark,
    tr,
)

# trust.BANDS, trust.NO_DATA, trust.INSUFFICIENT, trust.COMPONENT_NAMES, trust.PRESETS
# (tests/test_i18n.py checks that this list covers them).
VOCABULARY = (
    mark("Excellent"), mark("Good"), mark("Fragile"), mark("At risk"), mark("Critical"),
    mark("No data"), mark("insufficient data"),
    mark("Sentiment balance"), mark("Complaint pressure"), mark("Responsiveness"),
    mark("Advocacy"), mark("Engagement quality"), mark("Consistency"),
    mark("Default"), mark("Equal"), mark("Care-first"), mark("Reputation-first"),
    mark("positive"), mark("neutral"), mark("negative"), mark("negative spike"),
    mark("ok"), mark("failed"), mark("nothing new"), mark("partial"), mark("other"),
    # Post metrics of the Channels page (analysis.post_metrics).
    mark("posts"), mark("engagements"), mark("reach"), mark("advocacy"),
)  # fmt: skip

# Column names of the tables the pages show and offer for download.
COLUMNS: dict[str, str] = {
    name: name
    for name in (
        mark("rank"), mark("channel"), mark("campaign"), mark("trust"), mark("low"),
        mark("high"), mark("band"), mark("comments"), mark("flags"), mark("window starting"),
        mark("kind"), mark("negative %"), mark("baseline %"), mark("negative comments"),
        mark("target (h)"), mark("actionable"), mark("answered"), mark("reply rate %"),
        mark("median (h)"), mark("p90 (h)"), mark("within target %"), mark("created_at"),
        mark("label"), mark("polarity"), mark("text"), mark("author"), mark("reply_hours"),
        mark("lang"), mark("term"), mark("negative"), mark("positive"), mark("row_key"),
        mark("model_label"), mark("created_by"), mark("id"), mark("imported_at"),
        mark("file_name"), mark("format_label"), mark("confidence"), mark("table_name"),
        mark("rows_read"), mark("rows_imported"), mark("rows_updated"), mark("duplicates"),
        mark("rejected"), mark("imported_by"), mark("warnings"), mark("row_number"),
        mark("reason"), mark("raw"), mark("value"), mark("start_date"), mark("end_date"),
        mark("date"), mark("posts"), mark("daily_metrics"), mark("imports"), mark("period"),
        mark("file"), mark("format"), mark("table"), mark("read"), mark("imported"),
        mark("updated"), mark("status"), mark("notes"), mark("column"), mark("sample"),
        mark("phase"), mark("from"), mark("to"), mark("component"), mark("weight"),
        mark("points"), mark("how"), mark("metric"),
        mark("value (0–1)"), mark("leans"), mark("name"), mark("comment"),
        mark("first reply (h)"), mark("post_id"), mark("is_brand"), mark("likes"),
        mark("comment_id"), mark("parent_id"), mark("total"), mark("n"),
        mark("brand_replies"), mark("unscored"), mark("weights_used"), mark("before"),
        mark("during"), mark("after"), mark("reason"), mark("note"),
    )
}  # fmt: skip
# Columns whose values are words of the vocabulary above (translated with the header).
WORD_COLUMNS = ("band", "label", "model_label", "kind", "status", "leans", "phase", "note",
                "reason", "format_label")  # fmt: skip
BINS_PREFIX = "bins: "


def term(value: object) -> str:
    """A vocabulary word in the reader's language; anything else as it is."""
    if value is None:
        return ""
    text = str(value)
    return tr(text) if text and known(text) else text


def component_label(cid: str, name: str) -> str:
    """A component as the pages name it: ``S1 Sentiment balance``."""
    return f"{cid} {tr(name)}"


def header(name: str) -> str:
    """A table column's name in the reader's language."""
    if name.startswith(BINS_PREFIX):
        return tr("bins: {range}", range=name.removeprefix(BINS_PREFIX))
    if name[:2] in ("S1", "S2", "S3", "S4", "S5", "S6") and name[2:3] == " ":
        return component_label(name[:2], name[3:])
    return tr(name) if name in COLUMNS else name


def localise(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its headers, and the vocabulary words in its cells, in the reader's
    language (a no-op in English). Data cells are left as they are."""
    if get_lang() == "en" or not frame.width:
        return frame
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if name in WORD_COLUMNS and dtype == pl.String:
            words = [w for w in frame[name].drop_nulls().unique().to_list() if w]
            col = col.replace({w: flag_text(w) for w in words})
        elif name == "flags" and dtype == pl.String:  # flags joined with "; "
            cells = [c for c in frame[name].drop_nulls().unique().to_list() if c]
            col = col.replace({c: list_sep().join(flag_text(f) for f in c.split("; "))
                               for c in cells})  # fmt: skip
        exprs.append(col.alias(header(name)))
    names = [header(n) for n in frame.columns]
    if len(set(names)) < len(names):  # two headers that read the same: keep the originals
        return frame
    return frame.select(exprs)


def header_map(frame: pl.DataFrame) -> Mapping[str, str]:
    """Original column name → shown name (for column configurations)."""
    return {n: header(n) for n in frame.columns}


def change_reason(change: Mapping[str, Any]) -> str:
    """The "what changed" sentence of :func:`trustdash.trust.biggest_changes` in the
    reader's language, rebuilt from its fields (component, before, after)."""
    name = change.get("component_name")
    before, after = change.get("before"), change.get("after")
    if not name:
        return str(change.get("reason") or "")
    name = tr(name)

    def v(x: float) -> str:
        return fmt_decimal(x, 2)

    if before is None and after is not None:
        return tr("{name} became available ({after})", name=name, after=v(after))
    if after is None and before is not None:
        return tr("{name} was dropped (was {before})", name=name, before=v(before))
    if before is None or after is None:
        return tr("{name} unchanged", name=name)
    if after > before:
        return tr("{name} rose from {before} to {after}", name=name, before=v(before),
                  after=v(after))  # fmt: skip
    if after < before:
        return tr("{name} fell from {before} to {after}", name=name, before=v(before),
                  after=v(after))  # fmt: skip
    return tr("{name} stayed at {after} (weights changed)", name=name, after=v(after))


# -- the "How is this computed?" panel ------------------------------------------------------
# trust.explain() writes its texts in English; in another language the panel writes them
# from the same numbers. trust.MISSING_REASON and the components' formulas in words:
EXPLAIN_VOCABULARY = (
    mark("no polar comments"), mark("no audience comments"), mark("no reply data"),
    mark("no post/share data"), mark("no post/reach data"), mark("fewer than 4 weeks"),
    mark("mean within-channel percentile of (shares + reposts) / engagements"),
    mark("mean within-channel percentile of engagements / reach (not net-negative posts)"),
    mark("(1 − min(1, sd/0.5)) · (1 − 0.1·min(5, spike weeks)), last 12 weeks"),
    mark("Trust = 100 · Σ w_k·S_k / Σ_available w_k"), mark("no interval (no data)"),
    mark("Trust = 100 · Σ w_k·c_k·S_k / Σ_available w_k·c_k"),
)  # fmt: skip
_PARTIAL = re.compile(r"^partial: (S\d) \((.*)\)$")
_FEW_POLAR = re.compile(r"^few polar comments \(([\d.]+) < ([\d.]+)\)$")
_FEW_RECENT = re.compile(r"^few recent polar comments \(([\d.]+) < ([\d.]+); (\d+) in all\)$")
_WIDE = re.compile(r"^wide interval \(([\d.]+) > ([\d.]+) points\)$")


def flag_text(flag: object) -> str:
    """A score's flag ("partial: S3 (no reply data)", "few polar comments (3.2 < 30)"…)
    in the reader's language."""
    text = str(flag)
    if m := _PARTIAL.match(text):
        return tr("partial: {id} ({reason})", id=m[1], reason=term(m[2]))
    if m := _FEW_POLAR.match(text):
        return tr("few polar comments ({n} < {minimum})", n=fmt_decimal(float(m[1]), 1),
                  minimum=fmt_plain(float(m[2]), 1))  # fmt: skip
    if m := _FEW_RECENT.match(text):
        return tr("few recent polar comments ({n} < {minimum}; {total} in all)",
                  n=fmt_decimal(float(m[1]), 1), minimum=fmt_plain(float(m[2]), 1),
                  total=fmt_number(int(m[3])))  # fmt: skip
    if m := _WIDE.match(text):
        return tr("wide interval ({width} > {maximum} points)", width=fmt_decimal(float(m[1]), 1),
                  maximum=fmt_plain(float(m[2]), 1))  # fmt: skip
    return term(text)


def explain_interval(info: Mapping[str, Any], draws: int) -> str:
    """The panel's interval line: "80 % interval 58.2–61.9 (400 Monte-Carlo draws)"."""
    low, high = info.get("low"), info.get("high")
    if low is None or high is None:
        return tr("no interval (no data)")
    return tr("{level} interval {low}–{high} ({draws} Monte-Carlo draws)",
              level=fmt_level(round(float(info.get("level") or 0.8) * 100)),
              low=fmt_decimal(low, 1), high=fmt_decimal(high, 1), draws=fmt_number(draws))  # fmt: skip


def explain_notes(
    info: Mapping[str, Any], *, prior: float, half_life: float, min_polar: float,
    max_width: float, insufficient: bool,
) -> list[str]:
    """The panel's notes (how proportions are shrunk, recency, ranking…)."""
    m = fmt_plain(prior, 2)
    notes = [
        tr("Proportions are shrunk toward the brand-wide average μ with a prior strength m = "
           "{m} (as if {m} extra comments at the average).", m=m),
        tr("Recency: item weight 0.5^(age/{days} days)", days=fmt_plain(half_life, 2))
        if half_life > 0 else tr("Recency weighting off."),
        tr("Rankings sort on the lower bound of the interval."),
    ]  # fmt: skip
    if info.get("dropped"):
        notes.append(tr("Dropped components' weights are shared among the others "
                        "(renormalised)."))  # fmt: skip
    for c in info.get("covered") or []:  # components measured on part of the comments
        notes.append(tr("{id} {name} is measured on {share} of the comments (the channels "
                        "where it is measurable): its weight is scaled by that share.",
                        id=c["id"], name=term(c["name"]),
                        share=fmt_percent(float(c["coverage"]), 0)))  # fmt: skip
    if insufficient:
        notes.append(tr("Insufficient data: fewer than {n} polar comments or an interval "
                        "wider than {width} points.", n=fmt_plain(min_polar, 2),
                        width=fmt_plain(max_width, 2)))  # fmt: skip
    return notes
