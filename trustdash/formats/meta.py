"""Meta layouts: Business Suite post exports (Facebook, Instagram), page-level
daily metric CSVs, legacy Facebook Insights post export, and the
"Download your information" comments JSON."""

from __future__ import annotations

from typing import Any

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm, preamble_text, slug
from trustdash.i18n import mark
from trustdash.readers import RawTable, fix_mojibake_deep


def _longer_caption(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    # the caption sits in Title or Description depending on the post type
    cols = {norm(c): c for c in batch.columns}
    title = pl.col(cols["title"]) if "title" in cols else pl.lit(None, dtype=pl.String)
    desc = pl.col(cols["description"]) if "description" in cols else pl.lit(None, dtype=pl.String)
    longer = (
        pl.when(desc.str.len_chars().fill_null(0) >= title.str.len_chars().fill_null(0))
        .then(desc)
        .otherwise(title)
    )
    return batch.with_columns(longer.alias("__mbs_caption"))


MBS_FB = FormatDef(
    id="meta_bs_posts",
    label=mark("Meta Business Suite posts export (Facebook)"),
    table="posts",
    channel="facebook",
    signature=("post id", "page id", "publish time"),
    optional=(
        "page name",
        "title",
        "description",
        "permalink",
        "post type",
        "reactions",
        "comments",
        "shares",
        "views",
        "reach",
        "total clicks",
        "custom labels",
        "reactions, comments and shares",
    ),  # fmt: skip
    anchors=("post id", "page id"),
    mapping={
        "post_id": ("Post ID",),
        "author": ("Page name",),
        "created_at": ("Publish time",),
        "text": ("__mbs_caption",),
        "url": ("Permalink",),
        "post_type": ("Post type",),
        "campaign": ("Custom labels",),
        "views": ("Views",),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "likes": ("Reactions",),
        "comments": ("Comments",),
        "shares": ("Shares",),
        "clicks": ("Total clicks",),
    },
    derived=("__mbs_caption",),
    prepare=_longer_caption,
    dayfirst=False,
    date_formats=("%m/%d/%Y %H:%M",),
    snapshot=True,
)

MBS_IG = FormatDef(
    id="meta_bs_posts_instagram",
    label=mark("Meta Business Suite posts export (Instagram)"),
    table="posts",
    channel="instagram",
    signature=("post id", "account id", "publish time"),
    optional=(
        "account username",
        "account name",
        "description",
        "permalink",
        "post type",
        "views",
        "reach",
        "likes",
        "shares",
        "follows",
        "comments",
        "saves",
    ),  # fmt: skip
    anchors=("post id", "account id"),
    mapping={
        "post_id": ("Post ID",),
        "author": ("Account username",),
        "created_at": ("Publish time",),
        "text": ("__mbs_caption",),
        "url": ("Permalink",),
        "post_type": ("Post type",),
        "views": ("Views",),
        "impressions": ("Impressions",),
        "reach": ("Reach",),
        "likes": ("Likes",),
        "comments": ("Comments",),
        "shares": ("Shares",),
        "saves": ("Saves",),
    },
    derived=("__mbs_caption",),
    prepare=_longer_caption,
    dayfirst=False,
    date_formats=("%m/%d/%Y %H:%M",),
    snapshot=True,
)


def metric_title(ctx: Ctx) -> str | None:
    """The metric named on the title line above ``"Date","Primary"``."""
    rows = [r for r in ctx.table.preamble if r and not r[0].startswith("sep=")]
    for row in reversed(rows):
        text = " ".join(c for c in row if c).strip()
        if text:
            return text
    return None


def _daily_channel(ctx: Ctx) -> str | None:
    text = preamble_text(ctx).casefold()
    if "instagram" in text:
        return "instagram"
    if "facebook" in text:
        return "facebook"
    return None


def _slug_metric(frame: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    title = metric_title(ctx)
    if not title:
        return frame
    name = title.casefold()
    for prefix in ("facebook ", "instagram "):
        name = name.removeprefix(prefix)
    return frame.with_columns(pl.lit(slug(name)).alias("metric"))


META_DAILY = FormatDef(
    id="meta_daily_metric",
    label=mark("Meta daily metric export"),
    table="daily_metrics",
    signature=("date", "primary"),
    mapping={"date": ("Date",)},
    metric_columns=("Primary",),
    channel_rule=_daily_channel,
    finish=_slug_metric,
)

FB_LEGACY = FormatDef(
    id="fb_legacy_insights_posts",
    label=mark("Facebook legacy Insights post export"),
    table="posts",
    channel="facebook",
    signature=("post id", "permalink", "post message", "posted"),
    optional=(
        "type",
        "lifetime post total reach",
        "lifetime post total impressions",
        "like",
        "comment",
        "share",
        "lifetime engaged users",
    ),  # fmt: skip
    mapping={
        "post_id": ("Post ID",),
        "url": ("Permalink",),
        "text": ("Post Message",),
        "created_at": ("Posted",),
        "post_type": ("Type",),
        "reach": ("Lifetime Post Total Reach",),
        "impressions": ("Lifetime Post Total Impressions",),
        "likes": ("like",),
        "comments": ("comment",),
        "shares": ("share",),
        "clicks": ("link clicks",),
    },
    dayfirst=False,
    snapshot=True,
)


def combine_legacy_insights(tables: list[RawTable]) -> list[RawTable]:
    """Legacy Insights workbooks spread one post over several sheets: likes,
    comments and shares live on "Lifetime Talking About This"; clicks on
    "Consumptions".  Join them onto Key Metrics and drop the side sheets."""
    if len(tables) < 2:
        return tables

    def cols(t: RawTable) -> set[str]:
        return {norm(c) for c in t.columns}

    key = next(
        (t for t in tables if {"post id", "posted", "lifetime post total reach"} <= cols(t)), None
    )
    if key is None or key.frame is None:
        return tables
    frame = key.frame
    post_col = next(c for c in key.columns if norm(c) == "post id")
    used = []
    for t in tables:
        if t is key or t.frame is None or "post id" not in cols(t) or "posted" not in cols(t):
            continue
        used.append(t)
        tid = next(c for c in t.columns if norm(c) == "post id")
        wanted = [c for c in t.columns if norm(c) in ("share", "like", "comment", "link clicks")]
        wanted = [c for c in wanted if c not in frame.columns]
        if wanted:
            side = t.frame.select(pl.col(tid).alias(post_col), *wanted).unique(post_col)
            frame = frame.join(side, on=post_col, how="left")
    if not used:
        return tables
    key.frame = frame
    key.columns = frame.columns
    return [t for t in tables if t not in used]


COMBINERS = [combine_legacy_insights]


def _dyi_comments(obj: Any) -> list[dict[str, Any]] | None:
    """Facebook DYI ``comments.json`` -> flat records, mojibake repaired."""
    if not isinstance(obj, dict) or "comments_v2" not in obj:
        return None
    out = []
    for item in fix_mojibake_deep(obj.get("comments_v2") or []):
        if not isinstance(item, dict):
            continue
        for d in item.get("data") or []:
            c = d.get("comment") if isinstance(d, dict) else None
            if isinstance(c, dict):
                out.append(
                    {
                        "dyi_timestamp": str(c.get("timestamp", item.get("timestamp", ""))),
                        "dyi_comment": c.get("comment"),
                        "dyi_author": c.get("author"),
                        "dyi_title": item.get("title"),
                    }
                )
    return out


_IG_COMMENT_KEYS = ("comment", "commentaire", "kommentar", "comentario", "commento", "opmerking")
_IG_OWNER_KEYS = ("media owner", "propriétaire", "proprietaire", "eigentümer", "propietario")


def _ig_entry(smd: dict[str, Any]) -> dict[str, Any] | None:
    comment = owner = stamp = fallback = None
    for key, val in smd.items():
        if not isinstance(val, dict):
            continue
        if "timestamp" in val:
            stamp = val["timestamp"] if stamp is None else stamp
            continue
        low = str(key).casefold()
        if low.startswith(_IG_OWNER_KEYS):
            owner = val.get("value")
        elif low.startswith(_IG_COMMENT_KEYS):
            comment = val.get("value")
        elif fallback is None:
            fallback = val.get("value")
    comment = comment if comment is not None else fallback
    if comment is None and stamp is None:
        return None
    return {
        "dyi_ig_timestamp": None if stamp is None else str(stamp),
        "dyi_ig_comment": comment,
        "dyi_ig_media_owner": owner,
        # the export holds the account's own comments
        "dyi_ig_own": "true",
    }


def _ig_dyi_comments(obj: Any) -> list[dict[str, Any]] | None:
    """Instagram DYI ``post_comments_1.json`` (a list) / ``reels_comments.json``
    (``{"comments_reels_comments": [...]}``) -> flat records, mojibake repaired."""
    items = obj
    if isinstance(obj, dict):
        lists = [v for k, v in obj.items() if "comments" in str(k) and isinstance(v, list)]
        items = lists[0] if len(lists) == 1 else None
    if not isinstance(items, list) or not items:
        return None
    if not all(isinstance(i, dict) and isinstance(i.get("string_map_data"), dict) for i in items):
        return None
    out = []
    for item in fix_mojibake_deep(items):
        rec = _ig_entry(item["string_map_data"])
        if rec is not None:
            out.append(rec)
    return out


JSON_EXPANDERS = [_dyi_comments, _ig_dyi_comments]

FB_DYI = FormatDef(
    id="fb_dyi_comments",
    label=mark("Facebook 'Download your information' comments"),
    table="comments",
    channel="facebook",
    signature=("dyi timestamp", "dyi comment"),
    mapping={
        "created_at": ("dyi_timestamp",),
        "text": ("dyi_comment",),
        "author": ("dyi_author",),
    },
)

IG_DYI = FormatDef(
    id="ig_dyi_comments",
    label=mark("Instagram 'Download your information' comments"),
    table="comments",
    channel="instagram",
    signature=("dyi ig timestamp", "dyi ig comment"),
    mapping={
        "created_at": ("dyi_ig_timestamp",),
        "text": ("dyi_ig_comment",),
        "is_brand": ("dyi_ig_own",),
    },
)

FORMATS = [MBS_FB, MBS_IG, META_DAILY, FB_LEGACY, FB_DYI, IG_DYI]
