"""LinkedIn Page analytics workbooks (legacy update sheets and 2023+ content
export): per-update sheets -> posts, aggregated/visitor sheets -> daily."""

from __future__ import annotations

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm
from trustdash.i18n import mark


def _activity_id(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # the urn in the link is the stable post id; the link itself is the url
    link = next((c for c in batch.columns if norm(c) in ("update link", "post link")), None)
    if link is None:
        return batch.with_columns(pl.lit(None, dtype=pl.String).alias("__li_post"))
    urn = pl.col(link).str.extract(r"(urn:li:[a-zA-Z]+:\d+)", 1)
    return batch.with_columns(pl.coalesce(urn, pl.col(link)).alias("__li_post"))


_POST_MAPPING = {
    "post_id": ("__li_post",),
    "url": ("Update link", "Post link"),
    "text": ("Update title", "Post title"),
    "post_type": ("Content Type", "Update type", "Post type"),
    "campaign": ("Campaign name",),
    "author": ("Posted by", "Published by"),
    "created_at": ("Created date",),
    "impressions": ("Impressions",),
    "views": ("Video views", "Views (excluding off-site video views)"),
    "clicks": ("Clicks",),
    "likes": ("Likes",),
    "comments": ("Comments",),
    "shares": ("Shares", "Reposts"),
}

UPDATES = FormatDef(
    id="linkedin_update_engagement",
    label=mark("LinkedIn page export (Update Engagement)"),
    table="posts",
    channel="linkedin",
    signature=("update title", "update link", "created date"),
    optional=("update type", "posted by", "impressions", "clicks", "likes", "comments", "shares"),
    anchors=("update title", "update link"),
    mapping=_POST_MAPPING,
    derived=("__li_post",),
    prepare=_activity_id,
    dayfirst=False,
    date_formats=("%m/%d/%Y",),
)

ALL_POSTS = FormatDef(
    id="linkedin_all_posts",
    label=mark("LinkedIn content export (All posts)"),
    table="posts",
    channel="linkedin",
    signature=("post title", "post link", "created date"),
    optional=("post type", "posted by", "impressions", "clicks", "likes", "comments", "reposts"),
    anchors=("post title", "post link"),
    mapping=_POST_MAPPING,
    derived=("__li_post",),
    prepare=_activity_id,
    dayfirst=False,
    date_formats=("%m/%d/%Y",),
)

AGGREGATED = FormatDef(
    id="linkedin_aggregated",
    label=mark("LinkedIn page export (aggregated update metrics)"),
    table="daily_metrics",
    channel="linkedin",
    signature=("date", "impressions (total)|impressions (organic)"),
    optional=(
        "clicks (total)",
        "reactions (total)",
        "comments (total)",
        "shares (total)",
        "reposts (total)",
        "engagement rate (total)",
    ),  # fmt: skip
    mapping={"date": ("Date",)},
    dayfirst=False,
    date_formats=("%m/%d/%Y",),
)

VISITORS = FormatDef(
    id="linkedin_visitors",
    label=mark("LinkedIn page export (visitor metrics)"),
    table="daily_metrics",
    channel="linkedin",
    signature=("date", "overview page views (total)"),
    optional=("overview unique visitors (total)", "total page views (total)"),
    mapping={"date": ("Date",)},
    dayfirst=False,
    date_formats=("%m/%d/%Y",),
)

FORMATS = [UPDATES, ALL_POSTS, AGGREGATED, VISITORS]
