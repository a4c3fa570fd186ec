"""X / Twitter layouts: analytics per-tweet and daily exports (legacy, EN/FR),
the 2024+ content export, the data archive's tweets.js, and Kaggle twcs."""

from __future__ import annotations

import re

import polars as pl

from trustdash import parsing
from trustdash.formats.base import Ctx, FormatDef
from trustdash.i18n import mark


def _handle_from_name(frame: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # tweet_activity_metrics_<handle>_<start>_<end>_<lang>.csv: the only place
    # the account appears
    m = re.search(r"tweet_activity_metrics_(.+?)_\d{8}_\d{8}", ctx.name)
    if m and "author" in frame.columns:
        return frame.with_columns(pl.col("author").fill_null(m.group(1)))
    if m:
        return frame.with_columns(pl.lit(m.group(1)).alias("author"))
    return frame


def _snowflake_time(frame: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # the export's Date has no time; the Snowflake id holds the exact instant
    if "post_id" not in frame.columns:
        return frame
    exact = parsing.snowflake_datetime_expr(pl.col("post_id"))
    return frame.with_columns(pl.coalesce(exact, pl.col("created_at")).alias("created_at"))


_PROMOTED = ("promoted impressions", "promoted engagements", "promoted likes",
             "promoted favorites", "promoted retweets", "promoted replies")  # fmt: skip

TWEET_ACTIVITY = FormatDef(
    id="x_tweet_activity",
    label=mark("X per-tweet activity export"),
    table="posts",
    channel="x",
    signature=("tweet id|identifiant du tweet", "tweet text|texte du tweet", "time|heure"),
    optional=(
        "tweet permalink|permalien du tweet",
        "impressions",
        "engagements|engagements",
        "retweets",
        "replies|reponses",
        "likes|favorites|j'aime",
        "url clicks|clics sur l'url",
        *_PROMOTED,
    ),
    anchors=("tweet id", "tweet text"),
    mapping={
        "post_id": ("Tweet id", "Identifiant du Tweet"),
        "url": ("Tweet permalink", "Permalien du Tweet"),
        "text": ("Tweet text", "Texte du Tweet"),
        "created_at": ("time", "heure"),
        "impressions": ("impressions",),
        "likes": ("likes", "favorites", "J'aime"),
        "shares": ("retweets",),
        "comments": ("replies", "Réponses"),
        "clicks": ("url clicks", "Clics sur l'URL"),
        "views": ("media views", "Vues du média"),
    },
    date_formats=("%Y-%m-%d %H:%M %z",),
    finish=_handle_from_name,
)

DAILY_ACTIVITY = FormatDef(
    id="x_daily_activity",
    label=mark("X daily activity export"),
    table="daily_metrics",
    channel="x",
    signature=("date|column 1", "tweets published|tweets publies", "impressions"),
    optional=("engagements", "retweets", "replies", "likes|favorites", "follows"),
    mapping={"date": ("Date", "column_1")},
    drop_first_values=(),
)

CONTENT_2024 = FormatDef(
    id="x_content",
    label=mark("X content export (2024+)"),
    table="posts",
    channel="x",
    signature=("post id", "date", "post text"),
    optional=(
        "post link",
        "impressions",
        "likes",
        "engagements",
        "bookmarks",
        "shares",
        "reposts",
        "replies",
        "profile visits",
        "url clicks",
    ),  # fmt: skip
    anchors=("post id", "post text"),
    mapping={
        "post_id": ("Post id",),
        "created_at": ("Date",),
        "text": ("Post text",),
        "url": ("Post Link",),
        "impressions": ("Impressions",),
        "likes": ("Likes",),
        "shares": ("Reposts",),
        "comments": ("Replies",),
        "saves": ("Bookmarks",),
        "clicks": ("URL Clicks",),
    },
    finish=_snowflake_time,
)

ARCHIVE = FormatDef(
    id="x_archive_tweets",
    label=mark("X archive tweets.js"),
    table="posts",
    channel="x",
    signature=("id str", "full text", "created at"),
    optional=("favorite count", "retweet count", "lang", "in reply to status id str", "source"),
    mapping={
        "post_id": ("id_str",),
        "text": ("full_text",),
        "created_at": ("created_at",),
        "likes": ("favorite_count",),
        "shares": ("retweet_count",),
    },
    date_formats=("%b %d %H:%M:%S %z %Y",),
)

TWCS = FormatDef(
    id="x_twcs",
    label=mark("Customer Support on Twitter (twcs) dataset"),
    table="comments",
    channel="x",
    signature=("tweet id", "author id", "inbound", "created at", "text"),
    optional=("response tweet id", "in response to tweet id"),
    mapping={
        "comment_id": ("tweet_id",),
        "author": ("author_id",),
        "is_brand": ("inbound",),
        "created_at": ("created_at",),
        "text": ("text",),
        "parent_id": ("in_response_to_tweet_id",),
    },
    invert=("is_brand",),
    date_formats=("%b %d %H:%M:%S %z %Y",),
)

FORMATS = [TWEET_ACTIVITY, DAILY_ACTIVITY, CONTENT_2024, ARCHIVE, TWCS]
