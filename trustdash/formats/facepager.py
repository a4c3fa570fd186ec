"""Facepager exports: one ';' table holding nodes of several levels.

Level 1 data rows are posts; level 2+ rows are comments whose ``parent_id``
is the *row id* of their parent node in the same file, so comments are
resolved with a lookup over the whole table."""

from __future__ import annotations

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm
from trustdash.i18n import mark
from trustdash.parsing import null_if_empty

_SIG = ("level", "id", "parent id", "object id", "object type", "query type")


def _col(batch: pl.DataFrame, name: str) -> str | None:
    return next((c for c in batch.columns if norm(c) == name), None)


def _data_rows(batch: pl.DataFrame) -> pl.Expr:
    otype = _col(batch, "object type")
    return pl.col(otype).str.strip_chars().str.to_lowercase() == "data"


def _posts(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    level = _col(batch, "level")
    return batch.filter(_data_rows(batch) & (pl.col(level).str.strip_chars() == "1"))


def _comments(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    level, rid, pid, oid = (_col(batch, n) for n in ("level", "id", "parent id", "object id"))
    from_id = _col(batch, "from.id")
    assert level and rid and pid and oid
    nodes = batch.select(
        pl.col(rid).alias("__rid"),
        pl.col(pid).alias("__pid"),
        pl.col(oid).alias("__oid"),
        pl.col(level).str.strip_chars().cast(pl.Int64, strict=False).alias("__lvl"),
        (pl.col(from_id) if from_id else pl.lit(None, dtype=pl.String)).alias("__from"),
    ).unique("__rid", keep="first")
    rows = batch.filter(
        _data_rows(batch) & (pl.col(level).str.strip_chars().cast(pl.Int64, strict=False) >= 2)
    )
    parent = nodes.rename({c: c + "_p" for c in nodes.columns})
    grand = nodes.rename({c: c + "_g" for c in nodes.columns})
    rows = rows.join(parent, left_on=pid, right_on="__rid_p", how="left")
    rows = rows.join(grand, left_on="__pid_p", right_on="__rid_g", how="left")
    # the post is the level-1 ancestor; the parent is the direct parent node
    post = pl.when(pl.col("__lvl_p") == 1).then(pl.col("__oid_p")).otherwise(pl.col("__oid_g"))
    rows = rows.with_columns(post.alias("__fp_post"))
    post = pl.col("__fp_post")
    own = null_if_empty(pl.col(oid))
    # Some queries write the post's (or the parent's) object id on comment rows: not an
    # id of their own.  Such rows get a stable key from the Facepager row id, prefixed
    # with the post id, so re-imports of the same export de-duplicate and replies
    # still point at them.
    own_ok = own.is_not_null() & (own != post).fill_null(True)
    own_ok = own_ok & (own != pl.col("__oid_p")).fill_null(True)
    parent_oid = null_if_empty(pl.col("__oid_p"))
    parent_ok = parent_oid.is_not_null() & (parent_oid != post).fill_null(True)
    parent_ok = parent_ok & (parent_oid != null_if_empty(pl.col("__oid_g"))).fill_null(True)
    rows = rows.with_columns(
        pl.when(own_ok)
        .then(own)
        .otherwise(pl.concat_str([post.fill_null("?"), pl.lit("_fp"), pl.col(rid)]))
        .alias("__fp_comment"),
        pl.when(pl.col("__lvl_p") == 1)
        .then(pl.col("__oid_p"))
        .when(parent_ok)
        .then(parent_oid)
        .when(pl.col(pid).is_not_null())
        .then(pl.concat_str([post.fill_null("?"), pl.lit("_fp"), pl.col(pid)]))
        .alias("__fp_parent"),
    )
    if from_id:
        # a comment written by the account that wrote the post is the brand's
        post_author = pl.when(pl.col("__lvl_p") == 1).then(pl.col("__from_p"))
        post_author = post_author.otherwise(pl.col("__from_g"))
        rows = rows.with_columns(
            pl.when(pl.col(from_id).is_not_null() & post_author.is_not_null())
            .then((pl.col(from_id) == post_author).cast(pl.String))
            .alias("__fp_brand")
        )
    else:
        rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias("__fp_brand"))
    return rows


def _channel(ctx: Ctx) -> str | None:
    head = ctx.table.head(20)
    col = next((c for c in head.columns if norm(c) == "query type"), None)
    if col is None:
        return None
    for v in head[col].drop_nulls().to_list():
        low = v.casefold()
        for key in ("facebook", "instagram", "youtube", "twitter", "tiktok", "linkedin"):
            if low.startswith(key):
                return "x" if key == "twitter" else key
    return None


POSTS = FormatDef(
    id="facepager_posts",
    label=mark("Facepager export (posts)"),
    table="posts",
    signature=_SIG,
    optional=("message", "created time", "from.name", "permalink url", "like count"),
    channel_rule=_channel,
    mapping={
        "post_id": ("object_id",),
        "text": ("message",),
        "created_at": ("created_time",),
        "author": ("from.name",),
        "url": ("permalink_url",),
        "likes": ("reactions.summary.total_count", "like_count"),
        "comments": ("comments.summary.total_count", "comment_count"),
        "shares": ("shares.count",),
    },
    prepare=_posts,
    drop_first_values=(),
    whole_table=True,
    companions=("facepager_comments",),
)

COMMENTS = FormatDef(
    id="facepager_comments",
    label=mark("Facepager export (comments)"),
    table="comments",
    signature=_SIG + ("__facepager_comments__",),  # never detected alone: companion of posts
    channel_rule=_channel,
    mapping={
        "comment_id": ("__fp_comment",),
        "post_id": ("__fp_post",),
        "parent_id": ("__fp_parent",),
        "text": ("message",),
        "created_at": ("created_time",),
        "author": ("from.name",),
        "is_brand": ("__fp_brand",),
        "likes": ("like_count", "reactions.summary.total_count"),
        "url": ("permalink_url",),
    },
    derived=("__fp_comment", "__fp_post", "__fp_parent", "__fp_brand"),
    prepare=_comments,
    drop_first_values=(),
    whole_table=True,
)

FORMATS = [POSTS, COMMENTS]
