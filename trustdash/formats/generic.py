"""Generic mapping by column-name synonyms (EN + FR + common export words)."""

from __future__ import annotations

from trustdash.formats.base import norm

# Ordered: earlier synonyms win when several columns could fit a field.
COMMON: dict[str, tuple[str, ...]] = {
    "text": (
        "text", "message", "comment", "comment text", "content", "body", "texte", "commentaire",
        "full text", "fulltext", "textoriginal", "text original", "tweet text", "post text",
        "review text", "review content", "review", "caption", "contenu", "message text",
        "hit sentence", "opening text", "snippet", "description", "post", "title", "titre",
        "textdisplay",
    ),
    "created_at": (
        "created at", "createdat", "created", "date", "time", "timestamp", "datetime",
        "published at", "publishedat", "published", "publish time", "published date",
        "posted at", "posted", "post time", "created time", "created date", "creation date",
        "horodatage", "date de publication", "date publication", "heure", "tweet created",
        "comment date", "review date", "create time", "createtime", "date time",
        "date heure", "publication", "tweet created at", "review time",
    ),
    "comment_id": (
        "comment id", "commentid", "comment_id", "id", "tweet id", "message id", "review id",
        "reviewid", "mention id", "cid", "identifiant", "id commentaire", "status id",
        "resource id", "resourceid",
    ),
    "post_id": (
        "post id", "postid", "video id", "videoid", "media id", "id publication",
        "publication id", "thread id", "threadid", "conversation id",
    ),
    "parent_id": (
        "parent id", "parentid", "in reply to", "in reply to status id", "in response to tweet id",
        "in reply to id", "reply to", "replied to", "parent comment id", "parent",
    ),
    "author": (
        "author", "user", "username", "user name", "screen name", "name", "auteur", "handle",
        "author name", "authordisplayname", "author display name", "from", "from name",
        "utilisateur", "pseudo", "reviewer", "consumer name", "display name", "profile",
        "account", "compte", "nom", "author id", "user id",
    ),
    "is_brand": (
        "is brand", "from brand", "brand", "is brand reply", "by brand", "owner", "is owner",
        "is page", "inbound", "marque",
    ),
    "is_automated": ("is automated", "automated", "is bot", "bot"),
    "likes": (
        "likes", "like count", "likecount", "favorites", "favorite count", "favourites",
        "j'aime", "jaime", "reactions", "votes", "upvotes", "likes count", "nb likes",
    ),
    "shares": ("shares", "retweets", "retweet count", "reposts", "partages", "share count"),
    "channel": (
        "channel", "network", "platform", "source", "reseau", "reseau social", "plateforme",
        "canal", "social network",
    ),
    "campaign": ("campaign", "campagne", "campaign name", "nom de campagne"),
    "rating": ("rating", "stars", "note", "star rating", "starrating", "review stars",
               "review rating", "score", "etoiles"),
    "lang": ("lang", "language", "langue", "locale"),
    "url": ("url", "link", "permalink", "lien", "comment url", "comment link", "post url",
            "permalien", "post link"),
    "reply_text": ("reply text", "reply", "reply content", "brand reply", "company reply",
                   "reponse", "response"),
    "replied_at": ("replied at", "reply date", "reply time", "company reply date",
                   "date reponse", "response date"),
}  # fmt: skip

POSTS_EXTRA: dict[str, tuple[str, ...]] = {
    "post_id": ("post id", "postid", "id", "tweet id", "video id", "media id",
                "id publication", "identifiant"),
    "post_type": ("post type", "type", "media type", "content type", "format"),
    "impressions": ("impressions", "impression count", "impr"),
    "reach": ("reach", "portee", "couverture"),
    "views": ("views", "video views", "vues", "plays", "view count"),
    "comments": ("comments", "comment count", "comments count", "replies", "commentaires",
                 "nb commentaires", "reply count"),
    "saves": ("saves", "saved", "enregistrements", "bookmarks"),
    "clicks": ("clicks", "link clicks", "url clicks", "clics"),
}  # fmt: skip

DAILY: dict[str, tuple[str, ...]] = {
    "date": ("date", "day", "jour", "period", "periode"),
    "metric": ("metric", "metrique", "indicator", "kpi"),
    "value": ("value", "valeur", "count"),
}

# Columns whose presence says "per-post metrics" rather than "comments".
POST_SIGNALS = ("impressions", "reach", "views", "engagements", "post type", "saves", "portee",
                "vues", "engagement rate", "video views")  # fmt: skip
COMMENT_SIGNALS = ("comment id", "commentid", "parent id", "parentid", "in reply to",
                   "in response to tweet id", "inbound", "is brand", "rating", "stars")  # fmt: skip
TEXT_FIELDS_NEEDED = ("text",)


def _resolve(columns: list[str], synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    used: set[str] = set()
    out: dict[str, str] = {}
    # Fields with exact, specific names first so generic words ("id", "date",
    # "post") do not steal their column.
    for fld, cands in synonyms.items():
        for cand in cands:
            col = by_norm.get(norm(cand))
            if col is not None and col not in used:
                out[fld] = col
                used.add(col)
                break
    return out


def suggest(columns: list[str]) -> tuple[str, dict[str, str]]:
    normed = {norm(c) for c in columns}
    daily = _resolve(columns, DAILY)
    if {"date", "metric", "value"} <= set(daily):
        return "daily_metrics", daily
    posts_syn = {**COMMON, **POSTS_EXTRA}
    posts_syn["post_id"] = POSTS_EXTRA["post_id"]
    has_post = any(s in normed for s in POST_SIGNALS)
    has_comment = any(s in normed for s in COMMENT_SIGNALS)
    if has_post and not has_comment:
        mapping = _resolve(columns, _order_posts(posts_syn))
        return "posts", mapping
    comments = _resolve(columns, _order_comments())
    if "text" not in comments and "date" in daily:
        # a date and no text: account-level figures per day
        return "daily_metrics", {"date": daily["date"]}
    return "comments", comments


def _order_comments() -> dict[str, tuple[str, ...]]:
    order = ("comment_id", "parent_id", "post_id", "created_at", "replied_at", "reply_text",
             "text", "author", "is_brand", "is_automated", "likes", "shares", "channel",
             "campaign", "rating", "lang", "url")  # fmt: skip
    return {k: COMMON[k] for k in order}


def _order_posts(syn: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    order = ("post_id", "created_at", "post_type", "text", "author", "url", "campaign",
             "channel", "impressions", "reach", "views", "likes", "comments", "shares", "saves",
             "clicks")  # fmt: skip
    return {k: syn[k] for k in order if k in syn}
