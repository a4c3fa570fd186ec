"""YouTube: Studio "export current view" tables, Data API commentThreads JSON
and the usual flattened comment CSVs."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm
from trustdash.i18n import mark, tr


def _url(frame: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    if "post_id" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.coalesce(pl.col("url"), pl.lit("https://youtu.be/") + pl.col("post_id")).alias("url")
        if "url" in frame.columns
        else (pl.lit("https://youtu.be/") + pl.col("post_id")).alias("url")
    )


STUDIO_TABLE = FormatDef(
    id="youtube_studio_table",
    label=mark("YouTube Studio export (Table data)"),
    table="posts",
    channel="youtube",
    signature=("content", "video title", "video publish time"),
    optional=(
        "duration",
        "views",
        "likes",
        "shares",
        "comments added",
        "impressions",
        "watch time (hours)",
        "engaged views",
        "subscribers",
    ),  # fmt: skip
    anchors=("content", "video title"),
    mapping={
        "post_id": ("Content",),
        "text": ("Video title",),
        "created_at": ("Video publish time",),
        "likes": ("Likes",),
        "shares": ("Shares",),
        "comments": ("Comments added",),
        "views": ("Views",),
        "impressions": ("Impressions",),
    },
    dayfirst=False,
    date_formats=("%b %d %Y",),
    finish=_url,
)

STUDIO_CHART = FormatDef(
    id="youtube_studio_chart",
    label=mark("YouTube Studio export (Chart data)"),
    table="daily_metrics",
    channel="youtube",
    signature=("date", "content", "video title"),
    optional=("video publish time", "duration", "views", "engaged views"),
    mapping={"date": ("Date",)},
    metric_exclude=("content", "video title", "video publish time", "duration"),
    aggregate_daily=True,  # one row per video and day: the channel's day is their sum
)

STUDIO_TOTALS = FormatDef(
    id="youtube_studio_totals",
    label=mark("YouTube Studio export (Totals)"),
    table="daily_metrics",
    channel="youtube",
    signature=("date",),
    name_pattern=r"(^|/)totals[^/]*\.csv$|studio_totals",
    mapping={"date": ("Date",)},
)

API_COMMENTS = FormatDef(
    id="youtube_api_comments",
    label=mark("YouTube Data API comments"),
    table="comments",
    channel="youtube",
    signature=("commentid", "videoid", "textoriginal", "publishedat"),
    optional=("parentid", "authordisplayname", "likecount", "isbrand", "threadid"),
    mapping={
        "comment_id": ("commentId",),
        "post_id": ("videoId",),
        "parent_id": ("parentId",),
        "author": ("authorDisplayName",),
        "text": ("textOriginal", "textDisplay"),
        "likes": ("likeCount",),
        "created_at": ("publishedAt",),
        "is_brand": ("isBrand",),
    },
)

UCI_COMMENTS = FormatDef(
    id="youtube_comments_csv",
    label=mark("YouTube comments CSV (COMMENT_ID, AUTHOR, DATE, CONTENT)"),
    table="comments",
    channel="youtube",
    signature=("comment id", "author", "date", "content"),
    optional=("class",),
    mapping={
        "comment_id": ("COMMENT_ID",),
        "author": ("AUTHOR",),
        "created_at": ("DATE",),
        "text": ("CONTENT",),
    },
)


def _flatten_comment(c: dict[str, Any], thread: dict[str, Any] | None) -> dict[str, Any]:
    sn = c.get("snippet") or {}
    tsn = (thread or {}).get("snippet") or {}
    author_ch = (sn.get("authorChannelId") or {}).get("value")
    channel = sn.get("channelId") or tsn.get("channelId")
    return {
        "commentId": c.get("id"),
        "threadId": (thread or {}).get("id"),
        "videoId": sn.get("videoId") or tsn.get("videoId"),
        "parentId": sn.get("parentId"),
        "authorDisplayName": sn.get("authorDisplayName"),
        "authorChannelId": author_ch,
        "channelId": channel,
        "textOriginal": sn.get("textOriginal") or sn.get("textDisplay"),
        "likeCount": None if sn.get("likeCount") is None else str(sn.get("likeCount")),
        "publishedAt": sn.get("publishedAt"),
        # the channel answering under its own video is the brand
        "isBrand": None if not (author_ch and channel) else str(author_ch == channel).lower(),
    }


def _comment_threads(obj: Any) -> list[dict[str, Any]] | None:
    """commentThreads.list / comments.list responses (one or a list of pages)."""
    pages = obj if isinstance(obj, list) else [obj]
    items: list[dict[str, Any]] = []
    for p in pages:
        if isinstance(p, dict) and isinstance(p.get("items"), list):
            items.extend(i for i in p["items"] if isinstance(i, dict))
        elif isinstance(p, dict) and str(p.get("kind", "")).startswith("youtube#comment"):
            items.append(p)
    if not items or not any(str(i.get("kind", "")).startswith("youtube#comment") for i in items):
        return None
    out = []
    for it in items:
        if it.get("kind") == "youtube#commentThread":
            top = (it.get("snippet") or {}).get("topLevelComment")
            if isinstance(top, dict):
                out.append(_flatten_comment(top, it))
            for r in (it.get("replies") or {}).get("comments") or []:
                if isinstance(r, dict):
                    out.append(_flatten_comment(r, it))
        elif it.get("kind") == "youtube#comment":
            out.append(_flatten_comment(it, None))
    return out


JSON_EXPANDERS = [_comment_threads]

_SEGMENTS = pl.Struct(
    {"takeoutSegments": pl.List(pl.Struct({"text": pl.String})), "text": pl.String}
)


def _segment_text(value: str | None) -> str | None:
    """One Takeout ``Comment Text`` cell -> plain text (slow path, odd cells)."""
    if value is None or not value.lstrip().startswith("{"):
        return value
    try:
        obj = json.loads(value)
    except ValueError:
        return value
    if not isinstance(obj, dict):
        return value
    segs = obj.get("takeoutSegments")
    if isinstance(segs, list):
        return "".join(str(s.get("text", "")) for s in segs if isinstance(s, dict))
    return str(obj.get("text", value))


def takeout_text(series: pl.Series) -> pl.Series:
    """``{"takeoutSegments":[{"text":"a"},{"text":"b"}]}`` / ``{"text":"…"}`` -> ``ab``."""
    s = series.cast(pl.String)
    is_json = s.str.strip_chars_start().str.starts_with("{").fill_null(False)
    if not is_json.any():
        return s
    idx = is_json.arg_true()
    sub = s.gather(idx)
    try:
        dec = sub.str.json_decode(_SEGMENTS)
        segs = dec.struct.field("takeoutSegments").list.eval(pl.element().struct.field("text"))
        text = pl.select(
            pl.coalesce(pl.lit(segs).list.join(""), pl.lit(dec.struct.field("text")))
        ).to_series()
        text = pl.select(pl.coalesce(pl.lit(text), pl.lit(sub))).to_series()
    except pl.exceptions.PolarsError:
        text = pl.Series([_segment_text(v) for v in sub.to_list()], dtype=pl.String)
    return s.scatter(idx, text)


def _takeout_prepare(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    col = next(c for c in batch.columns if norm(c) == "comment text")
    note = tr("Takeout holds the account's own comments: they are marked as the brand's replies")
    if note not in ctx.warnings:
        ctx.warnings.append(note)
    return batch.with_columns(
        takeout_text(batch[col]).alias("__takeout_text"), pl.lit("true").alias("__takeout_own")
    )


TAKEOUT_COMMENTS = FormatDef(
    id="youtube_takeout_comments",
    label=mark("Google Takeout YouTube comments (comments.csv)"),
    table="comments",
    channel="youtube",
    signature=("comment id", "comment text", "video id", "comment create timestamp"),
    optional=("channel id", "parent comment id", "post id", "top level comment id", "price"),
    mapping={
        "comment_id": ("Comment ID",),
        "parent_id": ("Parent Comment ID",),
        "post_id": ("Video ID", "Post ID"),
        "created_at": ("Comment Create Timestamp",),
        "text": ("__takeout_text",),
        "is_brand": ("__takeout_own",),
    },
    derived=("__takeout_text", "__takeout_own"),
    prepare=_takeout_prepare,
    finish=_url,
    priority=1,
)

FORMATS = [STUDIO_TABLE, STUDIO_CHART, STUDIO_TOTALS, API_COMMENTS, UCI_COMMENTS, TAKEOUT_COMMENTS]
