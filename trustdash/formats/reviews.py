"""Review sites: Trustpilot (API JSON, scraped and business CSV/XLSX), Google
Business Profile reviews JSON and insights CSV (per-location metrics). The brand's inline
reply is kept in reply_text/replied_at: a dated reply is the review's first brand reply."""

from __future__ import annotations

import re

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm, slug
from trustdash.i18n import mark, tr
from trustdash.readers import ROW_INDEX, BadFile


def _title_and_text(title_names: tuple[str, ...], text_names: tuple[str, ...]):
    def hook(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
        # the review title often carries the verdict ("Never again"): keep both
        cols = {norm(c): c for c in batch.columns}
        title = next((cols[n] for n in title_names if n in cols), None)
        text = next((cols[n] for n in text_names if n in cols), None)
        t = pl.col(title) if title else pl.lit(None, dtype=pl.String)
        b = pl.col(text) if text else pl.lit(None, dtype=pl.String)
        joined = (
            pl.when(t.is_not_null() & b.is_not_null() & (t != b))
            .then(t + pl.lit("\n\n") + b)
            .otherwise(pl.coalesce(b, t))
        )
        return batch.with_columns(joined.alias("__tp_text"))

    return hook


def _rating_only(frame: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # a star rating without words is still a review
    if "rating" in frame.columns and "text" in frame.columns:
        return frame.with_columns(
            pl.when(pl.col("text").is_null() & pl.col("rating").is_not_null())
            .then(pl.lit(""))
            .otherwise(pl.col("text"))
            .alias("text")
        )
    return frame


TRUSTPILOT_JSON = FormatDef(
    id="trustpilot_reviews_json",
    label=mark("Trustpilot reviews (API JSON)"),
    table="comments",
    channel="trustpilot",
    signature=("stars", "createdat"),
    optional=(
        "id",
        "title",
        "text",
        "consumer.displayname",
        "companyreply.text",
        "language",
        "companyreply.createdat",
        "isverified",
        "likes",
    ),  # fmt: skip
    mapping={
        "comment_id": ("id",),
        "rating": ("stars",),
        "text": ("__tp_text",),
        "created_at": ("createdAt",),
        "author": ("consumer.displayName",),
        "reply_text": ("companyReply.text",),
        "replied_at": ("companyReply.createdAt",),
        "lang": ("language",),
        "likes": ("likes",),
    },
    derived=("__tp_text",),
    prepare=_title_and_text(("title",), ("text",)),
    finish=_rating_only,
)

# Column names across versions of Trustpilot exports (business download, scraped tables).
_TP_CREATED = (
    "Review Created Date (UTC)", "Review Created Date", "Review Created (UTC)",
    "Review Created At", "Review Created", "Review Date (UTC)", "Review Date",
    "Date Created", "Created At (UTC)", "Created At",
)  # fmt: skip
_TP_STARS = ("Review Stars", "Stars", "Review Rating", "Star Rating")
_TP_REPLIED = ("Company Reply Date (UTC)", "Company Reply Date", "Reply Date (UTC)", "Reply Date")


def _alts(names: tuple[str, ...]) -> str:
    return "|".join(norm(n) for n in names)


TRUSTPILOT_SCRAPED = FormatDef(
    id="trustpilot_reviews_table",
    label=mark("Trustpilot reviews table"),
    table="comments",
    channel="trustpilot",
    signature=(
        "review id", "review text", "rating|stars",
        "review time|review date|published date|review published at",
    ),  # fmt: skip
    optional=(
        "review title",
        "reply text",
        "consumer name",
        "language",
        "likes",
        "company domain",
    ),  # fmt: skip
    mapping={
        "comment_id": ("Review ID",),
        "text": ("__tp_text",),
        "rating": ("Rating", "Stars"),
        "created_at": ("Review Time", "Review Date", "Published Date", "Review Published At"),
        "author": ("Consumer Name", "Name"),
        "reply_text": ("Reply Text",),
        "replied_at": ("Reply Time", "Reply Date"),
        "lang": ("Language",),
        "likes": ("Likes",),
    },
    derived=("__tp_text",),
    prepare=_title_and_text(("review title",), ("review text",)),
    finish=_rating_only,
)

TRUSTPILOT_BUSINESS = FormatDef(
    id="trustpilot_business_export",
    label=mark("Trustpilot Business reviews export"),
    table="comments",
    channel="trustpilot",
    signature=("review id", _alts(_TP_CREATED), _alts(_TP_STARS)),
    optional=(
        "review title",
        "review content",
        "reply content",
        _alts(_TP_REPLIED),
        "review language",
    ),  # fmt: skip
    anchors=("review id", _alts(_TP_STARS) + "|review content"),
    mapping={
        "comment_id": ("Review ID",),
        "text": ("__tp_text",),
        "rating": _TP_STARS,
        "created_at": _TP_CREATED,
        "author": ("Review Consumer Name", "Consumer Name", "Reviewer Name"),
        "reply_text": ("Reply Content", "Company Reply", "Reply Text"),
        "replied_at": _TP_REPLIED,
        "lang": ("Review Language", "Language"),
    },
    derived=("__tp_text",),
    prepare=_title_and_text(("review title",), ("review content", "review text", "review body")),
    finish=_rating_only,
)


def _gbp_text(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # translated reviews carry "(Translated by Google) ... (Original) ...":
    # the original words are the customer's
    col = next((c for c in batch.columns if norm(c) == "comment"), None)
    if col is None:
        return batch.with_columns(pl.lit(None, dtype=pl.String).alias("__gbp_text"))
    original = pl.col(col).str.extract(r"(?s)\(Original\)\s*(.*)$", 1)
    return batch.with_columns(pl.coalesce(original, pl.col(col)).alias("__gbp_text"))


GBP = FormatDef(
    id="google_business_reviews",
    label=mark("Google Business Profile reviews (JSON)"),
    table="comments",
    channel="google",
    signature=("reviewid", "starrating", "createtime"),
    optional=(
        "comment",
        "reviewer.displayname",
        "reviewreply.comment",
        "reviewreply.updatetime",
        "name",
        "updatetime",
    ),  # fmt: skip
    mapping={
        "comment_id": ("reviewId",),
        "rating": ("starRating",),
        "text": ("__gbp_text",),
        "created_at": ("createTime",),
        "author": ("reviewer.displayName",),
        "reply_text": ("reviewReply.comment",),
        "replied_at": ("reviewReply.updateTime",),
    },
    derived=("__gbp_text",),
    prepare=_gbp_text,
    finish=_rating_only,
)

_GBP_ID_COLS = ("store code", "business name", "address", "labels")
_NAME_DATE = re.compile(r"(?<!\d)(20\d{2})[-_.]?(\d{2})[-_.]?(\d{2})(?!\d)")


def _gbp_insights_long(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    """One row per location and metric.  The file has no date: the period end is
    taken from the file name (``..._2024-06-01_2024-06-30.csv``)."""
    dates = _NAME_DATE.findall(ctx.name)
    if not dates:
        raise BadFile(
            tr(
                "{file}: Google Business Profile insights carry no date; put the last day of the "
                "period in the file name (e.g. insights_2024-06-30.csv) and import again.",
                file=ctx.name,
            )
        )
    y, m, d = dates[-1]
    note = tr("period end taken from the file name: {date}", date=f"{y}-{m}-{d}")
    if note not in ctx.warnings:
        ctx.warnings.append(note)
    cols = {norm(c): c for c in batch.columns}
    loc = cols.get("store code") or cols.get("business name")
    metrics = [c for c in batch.columns if norm(c) not in _GBP_ID_COLS and c != ROW_INDEX]
    where = pl.coalesce(pl.col(loc), pl.col(cols.get("business name", loc))) if loc else None
    long = batch.select(
        ROW_INDEX,
        (where if where is not None else pl.lit("all")).alias("__loc"),
        *[pl.col(c) for c in metrics],
    ).unpivot(index=[ROW_INDEX, "__loc"], variable_name="__m", value_name="__gbp_value")
    return long.with_columns(
        pl.lit(f"{y}-{m}-{d}").alias("__gbp_date"),
        pl.concat_str(
            [
                pl.col("__m").replace_strict({c: slug(c) for c in metrics}, default="value"),
                pl.col("__loc").str.strip_chars(),
            ],
            separator="@",
        ).alias("__gbp_metric"),
    )


GBP_INSIGHTS = FormatDef(
    id="google_business_insights",
    label=mark("Google Business Profile insights (per location)"),
    table="daily_metrics",
    channel="google",
    signature=("store code", "business name", "calls"),
    absent=("date", "day", "period"),  # dated files are daily metrics mapped by name
    optional=(
        "address",
        "labels",
        "website clicks",
        "directions",
        "google search mobile",
        "google maps mobile",
        "messages",
        "bookings",
    ),  # fmt: skip
    mapping={"date": ("__gbp_date",), "metric": ("__gbp_metric",), "value": ("__gbp_value",)},
    derived=("__gbp_date", "__gbp_metric", "__gbp_value"),
    metric_columns=(),
    prepare=_gbp_insights_long,
    drop_first_values=(),
)

FORMATS = [TRUSTPILOT_JSON, TRUSTPILOT_SCRAPED, TRUSTPILOT_BUSINESS, GBP, GBP_INSIGHTS]
