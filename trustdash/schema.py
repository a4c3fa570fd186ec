"""Canonical tables of trustdash.

Every importer maps what it reads onto these columns; the store creates its
tables from them.  Column order here is the order used everywhere (frames
handed to the store, exports, backups).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# Target tables an import can feed.
TABLES = ("comments", "posts", "daily_metrics")

# The canonical fields of each target table, with their polars dtypes.
# Ids are always strings: platform ids overflow floats and keep leading
# characters such as "-" that numbers would lose.
COMMENT_FIELDS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "comment_id": pl.String(),
    "post_id": pl.String(),
    "parent_id": pl.String(),
    "author": pl.String(),
    "is_brand": pl.Boolean(),
    "is_automated": pl.Boolean(),
    "created_at": pl.Datetime("us"),
    "replied_at": pl.Datetime("us"),  # brand reply time when the export gives it inline (reviews)
    "reply_text": pl.String(),  # inline brand reply (reviews)
    "text": pl.String(),  # original text, kept for display
    "likes": pl.Int64(),
    "shares": pl.Int64(),
    "rating": pl.Float64(),  # stars 1..5 for reviews
    "campaign": pl.String(),
    "lang": pl.String(),
    "url": pl.String(),
}

POST_FIELDS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "post_id": pl.String(),
    "created_at": pl.Datetime("us"),
    "author": pl.String(),
    "text": pl.String(),
    "url": pl.String(),
    "post_type": pl.String(),
    "campaign": pl.String(),
    "impressions": pl.Int64(),
    "reach": pl.Int64(),
    "views": pl.Int64(),
    "likes": pl.Int64(),
    "comments": pl.Int64(),
    "shares": pl.Int64(),
    "saves": pl.Int64(),
    "clicks": pl.Int64(),
}

DAILY_METRIC_FIELDS: dict[str, pl.DataType] = {
    "channel": pl.String(),
    "date": pl.Date(),
    "metric": pl.String(),
    "value": pl.Float64(),
}

FIELDS: dict[str, dict[str, pl.DataType]] = {
    "comments": COMMENT_FIELDS,
    "posts": POST_FIELDS,
    "daily_metrics": DAILY_METRIC_FIELDS,
}

# Fields without which a row of that table means nothing.
REQUIRED: dict[str, tuple[str, ...]] = {
    "comments": ("text", "created_at"),
    "posts": ("post_id", "created_at"),
    "daily_metrics": ("date", "metric", "value"),
}

# Sentiment labels.
LABELS = ("positive", "neutral", "negative")

# Channel names the product knows; any other non-empty name is accepted too.
KNOWN_CHANNELS = (
    "x",
    "facebook",
    "instagram",
    "linkedin",
    "youtube",
    "tiktok",
    "trustpilot",
    "google",
    "reviews",
    "listening",
)


@dataclass(frozen=True)
class Granularity:
    name: str
    trunc: str  # DuckDB date_trunc part


GRANULARITIES = {
    "day": Granularity("day", "day"),
    "week": Granularity("week", "week"),
    "month": Granularity("month", "month"),
}


def empty_frame(table: str) -> pl.DataFrame:
    """An empty frame with the canonical columns of ``table``."""
    return pl.DataFrame(schema=FIELDS[table])


def conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """Return ``frame`` with exactly the canonical columns of ``table``.

    Missing columns are added as nulls, extra columns dropped, dtypes cast
    (strictly for ids/strings, which never fail).
    """
    fields = FIELDS[table]
    cols = []
    for name, dtype in fields.items():
        if name in frame.columns:
            cols.append(pl.col(name).cast(dtype, strict=False).alias(name))
        else:
            cols.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(cols)
