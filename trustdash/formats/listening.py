"""Social listening / management tools: Sprout Social post performance,
Brandwatch, Meltwater and Brand24 mentions."""

from __future__ import annotations

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm
from trustdash.i18n import mark

SPROUT_POSTS = FormatDef(
    id="sprout_posts",
    label=mark("Sprout Social post performance export"),
    table="posts",
    signature=("date", "post id", "network", "post"),
    optional=(
        "post type",
        "profile",
        "link",
        "impressions",
        "reach",
        "engagements",
        "reactions",
        "likes",
        "comments",
        "shares",
        "saves",
        "video views",
    ),  # fmt: skip
    mapping={
        "post_id": ("Post ID",),
        "created_at": ("Date",),
        "channel": ("Network",),
        "text": ("Post",),
        "url": ("Link",),
        "post_type": ("Post Type",),
        "author": ("Profile",),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "likes": ("Likes", "Reactions"),
        "comments": ("Comments",),
        "shares": ("Shares",),
        "saves": ("Saves",),
        "clicks": ("Post Link Clicks",),
        "views": ("Video Views",),
    },
    dayfirst=False,
    date_formats=("%m/%d/%Y %I:%M %p",),
)

BRANDWATCH = FormatDef(
    id="brandwatch_mentions",
    label=mark("Brandwatch mentions export"),
    table="comments",
    channel="listening",
    signature=("query name", "date", "url"),
    optional=(
        "query id",
        "title",
        "full text",
        "snippet",
        "author",
        "full name",
        "sentiment",
        "page type",
        "domain",
        "language",
        "country",
        "impressions",
        "reach",
    ),  # fmt: skip
    mapping={
        "comment_id": ("Resource Id", "Mention Id"),
        "created_at": ("Date",),
        "text": ("Full Text", "Snippet", "Title"),
        "author": ("Author", "Full Name"),
        "url": ("Url",),
        "lang": ("Language",),
        "channel": ("Page Type", "Domain"),
        "likes": ("Likes", "X Likes", "Twitter Likes"),
    },
)

MELTWATER = FormatDef(
    id="meltwater_mentions",
    label=mark("Meltwater mentions export"),
    table="comments",
    channel="listening",
    signature=("date", "headline", "url", "hit sentence|opening text", "source"),
    optional=(
        "influencer",
        "country",
        "language",
        "reach",
        "sentiment",
        "engagement",
        "keywords",
    ),  # fmt: skip
    mapping={
        "created_at": ("Date",),
        "text": ("Hit Sentence", "Opening Text", "Headline"),
        "author": ("Influencer",),
        "url": ("URL",),
        "lang": ("Language",),
        "channel": ("Source",),
    },
)


def _brand24_datetime(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    """Brand24 writes the date and the time of a mention in two columns."""
    cols = {norm(c): c for c in batch.columns}
    date, time = pl.col(cols["date"]).str.strip_chars(), pl.col(cols["time"]).str.strip_chars()
    both = pl.when(time.is_not_null() & (time != "")).then(
        pl.concat_str([date, time], separator=" ")
    )
    return batch.with_columns(both.otherwise(date).alias("__b24_created"))


BRAND24 = FormatDef(
    id="brand24_mentions",
    label=mark("Brand24 mentions export"),
    table="comments",
    channel="listening",
    signature=("date", "time", "text", "author", "url", "sourcetype|source type|source"),
    optional=(
        "title",
        "sentiment",
        "sentimentscore|sentiment score",
        "reach",
        "authorfollowers|author followers",
        "language",
        "country",
        "likes",
        "shares",
    ),  # fmt: skip
    mapping={
        "created_at": ("__b24_created",),
        "text": ("text", "title"),
        "author": ("author",),
        "url": ("url",),
        "lang": ("language",),
        "channel": ("sourceType", "source type", "source"),
        "likes": ("likes",),
        "shares": ("shares",),
    },
    derived=("__b24_created",),
    prepare=_brand24_datetime,
)

FORMATS = [SPROUT_POSTS, BRANDWATCH, MELTWATER, BRAND24]
