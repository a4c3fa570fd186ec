"""TikTok Studio exports: Overview and follower/viewer histories (daily,
often without a year), and the per-video Content export."""

from __future__ import annotations

import polars as pl

from trustdash.formats.base import Ctx, FormatDef, norm
from trustdash.i18n import mark

OVERVIEW = FormatDef(
    id="tiktok_overview",
    label=mark("TikTok Studio Overview export"),
    table="daily_metrics",
    channel="tiktok",
    signature=("date", "video views", "profile views"),
    optional=("likes", "comments", "shares", "reached audience", "new followers"),
    mapping={"date": ("Date",)},
)

FOLLOWERS = FormatDef(
    id="tiktok_follower_history",
    label=mark("TikTok follower history export"),
    table="daily_metrics",
    channel="tiktok",
    signature=("date", "followers", "difference in followers from previous day"),
    mapping={"date": ("Date",)},
)

VIEWERS = FormatDef(
    id="tiktok_viewers",
    label=mark("TikTok viewers export"),
    table="daily_metrics",
    channel="tiktok",
    signature=("date", "total viewers", "new viewers"),
    mapping={"date": ("Date",)},
)


def _video_id(batch: pl.DataFrame, ctx: Ctx) -> pl.DataFrame:
    names = ("video link", "enlace del video", "lien de la video", "lien video")
    link = next((c for c in batch.columns if norm(c) in names), None)
    if link is None:
        return batch.with_columns(pl.lit(None, dtype=pl.String).alias("__tt_video"))
    vid = pl.col(link).str.extract(r"/video/(\d+)", 1)
    return batch.with_columns(pl.coalesce(vid, pl.col(link)).alias("__tt_video"))


CONTENT = FormatDef(
    id="tiktok_content",
    label=mark("TikTok Studio Content export"),
    table="posts",
    channel="tiktok",
    signature=(
        "video title|titulo del video|titre de la video",
        "post time|hora de publicacion|heure de publication",
        "video link|enlace del video|lien de la video",
    ),
    optional=(
        "total likes|me gusta totales",
        "total comments|comentarios totales",
        "total shares|veces compartido",
        "total views|visualizaciones totales",
    ),  # fmt: skip
    mapping={
        "post_id": ("__tt_video",),
        "url": ("Video link", "Enlace del video", "Lien de la vidéo"),
        "text": ("Video title", "Título del video", "Titre de la vidéo"),
        "created_at": ("Post time", "Hora de publicación", "Heure de publication"),
        "likes": ("Total likes", "Me gusta totales", "J'aime"),
        "comments": ("Total comments", "Comentarios totales", "Commentaires"),
        "shares": ("Total shares", "Veces compartido", "Partages"),
        "views": ("Total views", "Visualizaciones totales", "Vues"),
        "reach": ("Reach", "Alcance", "Portée"),
    },
    derived=("__tt_video",),
    prepare=_video_id,
)

FORMATS = [OVERVIEW, FOLLOWERS, VIEWERS, CONTENT]
