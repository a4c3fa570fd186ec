"""The derived tables: what the store keeps computed from the comments and posts.

Brand flags, campaigns from rules, reply links (``first_reply_at``), the daily and
per-channel rollups, the notable comments and each post's sentiment, all recomputed per
channel inside the transaction that changed their inputs. The definitions of an
actionable comment, an answered one and a brand reply live here, in SQL, once; the
rollup's column whitelists (response-time buckets, count columns) too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Literal

import duckdb

from trustdash.store.db import Database, read_setting, retry_on_conflict

# Response-time buckets kept in the rollup (hours); channel targets snap to one of these.
TARGET_BUCKETS = (1, 2, 4, 8, 12, 24, 48, 72, 168)
BUCKET_COL = {h: f"in_{h}h" for h in TARGET_BUCKETS}

# The rollup's count columns (all but channel, campaign and day).
ROLLUP_COUNTS = (
    "audience", "pos", "neg", "neu", "unscored", "complaints", "actionable", "answered",
    *BUCKET_COL.values(), "brand_replies", "n_en", "n_fr", "n_other", "rating_sum", "rating_n",
)  # fmt: skip

# The rollup's counts summed over campaigns (channel_rollup is daily_rollup without them).
CHANNEL_SUMS = ", ".join(f"sum({c}) AS {c}" for c in ROLLUP_COUNTS)
_NOTABLE_PER_DAY = 3

# What the responsiveness figures count, defined here once (see _refresh_reply_links for
# how a reply is linked): an audience comment is *actionable* when it asks, complains or
# is negative; it is *answered* once a brand reply is linked to it; a *brand reply* is a
# comment of the brand's accounts that no automation wrote.
ACTIONABLE = "(is_question OR is_complaint OR label = 'negative')"
ANSWERED = "first_reply_at IS NOT NULL"
BRAND_REPLY = "is_brand AND NOT coalesce(is_automated, false)"
# An inline reply (a review site's answer on the review itself, with its date) is a brand
# reply too; dated before the review, it is no response time (see _refresh_reply_links).
INLINE_REPLY = "NOT is_brand AND replied_at IS NOT NULL"
# The version of these definitions: a store derived under another one is derived again
# when it is opened (settings key DERIVED_VERSION_KEY).
DERIVED_VERSION = 3

# Bucket columns come from a whitelist.
_ROLLUP_SELECT = (
    """SELECT channel, coalesce(campaign, '') AS campaign, CAST(created_at AS DATE) AS day,"""  # noqa: S608
    f"""
    count(*) FILTER (WHERE NOT is_brand) AS audience,
    count(*) FILTER (WHERE NOT is_brand AND label = 'positive') AS pos,
    count(*) FILTER (WHERE NOT is_brand AND label = 'negative') AS neg,
    count(*) FILTER (WHERE NOT is_brand AND label = 'neutral' AND scored) AS neu,
    count(*) FILTER (WHERE NOT is_brand AND NOT scored) AS unscored,
    count(*) FILTER (WHERE NOT is_brand AND is_complaint) AS complaints,
    count(*) FILTER (WHERE NOT is_brand AND {ACTIONABLE}) AS actionable,
    count(*) FILTER (WHERE NOT is_brand AND {ACTIONABLE} AND {ANSWERED}) AS answered, """
    + ", ".join(
        f"""count(*) FILTER (WHERE NOT is_brand AND {ACTIONABLE} AND {ANSWERED}
        AND date_diff('second', created_at, first_reply_at) <= {h * 3600}) AS {col}"""
        for h, col in BUCKET_COL.items()
    )
    + f""",
    count(*) FILTER (WHERE {BRAND_REPLY} OR ({INLINE_REPLY})) AS brand_replies,
    count(*) FILTER (WHERE NOT is_brand AND lang = 'en') AS n_en,
    count(*) FILTER (WHERE NOT is_brand AND lang = 'fr') AS n_fr,
    count(*) FILTER (WHERE NOT is_brand AND lang NOT IN ('en', 'fr')) AS n_other,
    sum(rating) FILTER (WHERE NOT is_brand AND rating IS NOT NULL) AS rating_sum,
    count(rating) FILTER (WHERE NOT is_brand) AS rating_n
    FROM comments WHERE created_at IS NOT NULL AND channel IN (SELECT unnest(?))
    GROUP BY ALL"""
)


class DerivedData(Database):
    """The store's recomputation of every derived table."""

    @retry_on_conflict
    def refresh_all(self) -> None:
        """Recompute every derived table (after settings that change brand or campaigns)."""
        with self.transaction() as cur:
            chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments").fetchall()]
            posts_chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM posts").fetchall()]
            apply_post_campaign_rules(cur, posts_chans)
            refresh_derived(cur, chans)


def refresh_derived(cur: duckdb.DuckDBPyConnection, channels: Sequence[str]) -> None:
    """Brand flags, campaign rules, reply links, rollups for ``channels`` (inside a txn)."""
    chans = list(dict.fromkeys(c for c in channels if c))
    if not chans:
        return
    brand = [a.lower() for a in read_setting(cur, "brand_accounts", [])]
    # Only rows whose value changes are written: an UPDATE of every row of a channel
    # makes DuckDB rewrite all of it at COMMIT (about a third of a 1M-row import).
    cur.execute(
        """UPDATE comments SET is_brand = coalesce(is_brand_source, false)
           OR (author IS NOT NULL AND lower(trim(author)) IN (SELECT unnest($1)))
           WHERE channel IN (SELECT unnest($2)) AND is_brand IS DISTINCT FROM (
             coalesce(is_brand_source, false)
             OR (author IS NOT NULL AND lower(trim(author)) IN (SELECT unnest($1))))""",
        [brand, chans],
    )
    _apply_campaign_rules(cur, chans)
    _refresh_reply_links(cur, chans)
    cur.execute("DELETE FROM daily_rollup WHERE channel IN (SELECT unnest(?))", [chans])
    cur.execute("INSERT INTO daily_rollup " + _ROLLUP_SELECT, [chans])
    cur.execute("DELETE FROM channel_rollup WHERE channel IN (SELECT unnest(?))", [chans])
    cur.execute(
        f"INSERT INTO channel_rollup SELECT channel, day, {CHANNEL_SUMS} "  # noqa: S608 - whitelist
        "FROM daily_rollup WHERE channel IN (SELECT unnest(?)) GROUP BY channel, day "
        "ORDER BY day, channel",
        [chans],
    )
    cur.execute("DELETE FROM notable_comments WHERE channel IN (SELECT unnest(?))", [chans])
    cur.execute(
        """INSERT INTO notable_comments
           SELECT channel, coalesce(campaign, ''), day, created_at, text, label, polarity,
                  row_key
           FROM (SELECT channel, campaign, CAST(created_at AS DATE) AS day, created_at,
                   text, label, polarity, row_key,
                   row_number() OVER (PARTITION BY channel, campaign,
                     CAST(created_at AS DATE) ORDER BY polarity ASC, row_key) AS worst,
                   row_number() OVER (PARTITION BY channel, campaign,
                     CAST(created_at AS DATE) ORDER BY polarity DESC, row_key) AS best
                 FROM comments
                 WHERE channel IN (SELECT unnest(?)) AND NOT is_brand
                   AND created_at IS NOT NULL AND label IN ('negative', 'positive'))
           WHERE (label = 'negative' AND worst <= ?) OR (label = 'positive' AND best <= ?)""",
        [chans, _NOTABLE_PER_DAY, _NOTABLE_PER_DAY],
    )
    cur.execute("DELETE FROM post_sentiment WHERE channel IN (SELECT unnest(?))", [chans])
    cur.execute(
        """INSERT INTO post_sentiment
           SELECT channel, post_id, count(*) FILTER (WHERE label = 'positive'),
                  count(*) FILTER (WHERE label = 'negative')
           FROM comments WHERE channel IN (SELECT unnest(?)) AND post_id IS NOT NULL
             AND NOT is_brand GROUP BY ALL""",
        [chans],
    )


def _refresh_reply_links(cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
    """First brand reply per audience comment, in one statement that writes only the
    rows whose value changes.

    The reply is the earliest of: the first brand reply by parent id, else the next
    brand comment without parent in the same post's thread order; and the inline reply
    time (reviews) when earlier, unless dated before the comment. Rows that lose their
    reply are reset to NULL.
    """
    cur.execute(
        """UPDATE comments AS c SET first_reply_at = r.v FROM (
             SELECT channel, row_key,
               least(coalesce(max(parent), max(thread)), max(inline)) AS v
             FROM (
               SELECT a.channel, a.row_key, min(b.created_at) AS parent,
                 NULL::TIMESTAMP AS thread, NULL::TIMESTAMP AS inline
               FROM comments a JOIN comments b
                 ON b.channel = a.channel AND b.parent_id = a.comment_id
                AND b.is_brand AND NOT coalesce(b.is_automated, false)
                AND b.created_at >= a.created_at
               WHERE a.channel IN (SELECT unnest($1)) AND NOT a.is_brand
               GROUP BY ALL
               UNION ALL
               -- Only threads holding a brand comment without parent can give one:
               -- the window skips every other post.
               SELECT channel, row_key, NULL, nxt, NULL FROM (
                 SELECT channel, row_key, is_brand,
                   min(CASE WHEN is_brand AND parent_id IS NULL
                            AND NOT coalesce(is_automated, false) THEN created_at END)
                     OVER (PARTITION BY channel, post_id ORDER BY created_at
                           ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nxt
                 FROM comments
                 WHERE channel IN (SELECT unnest($1)) AND post_id IS NOT NULL
                   AND (channel, post_id) IN (
                     SELECT channel, post_id FROM comments
                     WHERE channel IN (SELECT unnest($1)) AND post_id IS NOT NULL
                       AND is_brand AND parent_id IS NULL
                       AND NOT coalesce(is_automated, false)))
               WHERE NOT is_brand AND nxt IS NOT NULL
               UNION ALL
               SELECT channel, row_key, NULL, NULL, replied_at FROM comments
               WHERE channel IN (SELECT unnest($1)) AND replied_at IS NOT NULL
                 AND replied_at >= created_at
               UNION ALL
               SELECT channel, row_key, NULL, NULL, NULL FROM comments
               WHERE channel IN (SELECT unnest($1)) AND first_reply_at IS NOT NULL)
             GROUP BY channel, row_key) AS r
           WHERE c.channel = r.channel AND c.row_key = r.row_key
             AND c.first_reply_at IS DISTINCT FROM r.v""",
        [chans],
    )


def _apply_campaign_rules(cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
    # Rules only ever fill campaigns they own: a campaign that came with the file wins.
    cur.execute(
        """UPDATE comments SET campaign = NULL, campaign_source = NULL
           WHERE channel IN (SELECT unnest(?)) AND campaign_source = 'rule'""",
        [chans],
    )
    apply_post_campaign_rules(cur, chans)
    _apply_rules(cur, "comments", chans)
    # Comments inherit their post's campaign when they have none of their own.
    cur.execute(
        """UPDATE comments AS c SET campaign = p.campaign, campaign_source = 'rule'
           FROM posts p WHERE c.channel = p.channel AND c.post_id = p.post_id
             AND c.campaign IS NULL AND p.campaign IS NOT NULL
             AND c.channel IN (SELECT unnest(?))""",
        [chans],
    )


def apply_post_campaign_rules(cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
    """Campaigns from the rules, for the posts of ``chans`` (rule-made ones first reset)."""
    cur.execute(
        """UPDATE posts SET campaign = NULL, campaign_source = NULL
           WHERE channel IN (SELECT unnest(?)) AND campaign_source = 'rule'""",
        [chans],
    )
    _apply_rules(cur, "posts", chans)


def _apply_rules(
    cur: duckdb.DuckDBPyConnection, table: Literal["comments", "posts"], chans: list[str]
) -> None:
    """Each campaign rule, in order, fills the campaign of the ``table`` rows of ``chans``
    that have none (the table name is one of two constants, never user input)."""
    rules = cur.execute(
        "SELECT campaign, kind, value, channel, start_date, end_date FROM campaign_rules "
        "ORDER BY id"
    ).fetchall()
    for campaign, kind, value, channel, start, end in rules:
        cond, params = _rule_condition(kind, value, start, end)
        if cond is None:
            continue
        scope = "channel IN (SELECT unnest(?))"
        sparams: list[Any] = [chans]
        if channel:
            scope += " AND channel = ?"
            sparams.append(channel)
        cur.execute(
            f"""UPDATE {table} SET campaign = ?, campaign_source = 'rule'
                WHERE {scope} AND campaign IS NULL AND ({cond})""",  # noqa: S608
            [campaign, *sparams, *params],
        )


def _rule_condition(
    kind: str, value: str | None, start: dt.date | None, end: dt.date | None
) -> tuple[str | None, list[Any]]:
    conds, params = [], []
    if kind == "hashtag" and value:
        tag = value if value.startswith("#") else "#" + value
        conds.append("regexp_matches(text, ?, 'i')")
        params.append(r"(^|[^\w])" + re.escape(tag) + r"($|[^\w])")
    elif kind == "keyword" and value:
        conds.append("text ILIKE ?")
        params.append("%" + value.replace("%", r"\%").replace("_", r"\_") + "%")
    elif kind == "post_id" and value:
        conds.append("post_id = ?")
        params.append(value)
    elif kind != "date_window":
        return None, []
    if start:
        conds.append("created_at >= ?")
        params.append(dt.datetime.combine(start, dt.time()))
    if end:
        conds.append("created_at < ?")
        params.append(dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
    if not conds:
        return None, []
    return " AND ".join(conds), params


def bucket_column(hours: float) -> str:
    """The rollup column counting replies within a target time (see :func:`snap_target`)."""
    return BUCKET_COL[snap_target(hours)]


def snap_target(hours: float) -> int:
    """The rollup bucket used for a target time (the largest bucket not above it)."""
    best = TARGET_BUCKETS[0]
    for b in TARGET_BUCKETS:
        if b <= hours + 1e-9:
            best = b
    return best
