"""The store's reads for the dashboards: settings, filters turned into WHERE clauses,
the aggregation reads of the rollups, comments and their counts, posts, daily metrics,
annotations, the import history, the cache key (:meth:`Queries.data_version`) and
table exports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from trustdash.filters import NO_CAMPAIGN, Filters
from trustdash.i18n import tr
from trustdash.store.db import ID_KEY_PREFIX, Database, StoreError
from trustdash.store.derived import ACTIONABLE, ANSWERED, ROLLUP_COUNTS
from trustdash.store.schema import EXPORT_TABLES


class Queries(Database):
    """The store's reads: what the dashboards, reports and exports show."""

    # -- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        raw = self.one("SELECT value FROM settings WHERE key = ?", [key])
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    def all_settings(self) -> dict[str, Any]:
        out = {}
        for key, raw in self.rows(
            "SELECT key, value FROM settings WHERE NOT starts_with(key, ?)", [ID_KEY_PREFIX]
        ):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(raw)
        return out

    # -- reads for the dashboard ------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self.one("SELECT count(*) FROM comments") and not self.one(
            "SELECT count(*) FROM posts"
        )

    def table_counts(self) -> dict[str, int]:
        return {
            t: int(self.one(f"SELECT count(*) FROM {t}") or 0)  # noqa: S608 - whitelist
            for t in ("comments", "posts", "daily_metrics", "imports")
        }

    def channels(self) -> list[str]:
        """Every channel with data of any kind; comments are known by their rollup (a read
        of the comments themselves would scan them)."""
        rows = self.rows(
            "SELECT channel FROM (SELECT channel FROM channel_rollup UNION SELECT channel FROM "
            "posts UNION SELECT channel FROM daily_metrics) WHERE channel IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def campaigns(self) -> list[str]:
        rows = self.rows(
            "SELECT name FROM (SELECT campaign AS name FROM daily_rollup WHERE campaign <> '' "
            "UNION SELECT campaign FROM posts WHERE campaign IS NOT NULL "
            "UNION SELECT name FROM campaigns) ORDER BY 1"
        )
        return [r[0] for r in rows]

    def date_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        row = self.rows(
            "SELECT min(d), max(d) FROM (SELECT min(day) AS d FROM channel_rollup "
            "UNION ALL SELECT max(day) FROM channel_rollup "
            "UNION ALL SELECT CAST(min(created_at) AS DATE) FROM posts "
            "UNION ALL SELECT CAST(max(created_at) AS DATE) FROM posts)"
        )[0]
        return row[0], row[1]

    def comment_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day with an audience comment (None, None without any)."""
        row = self.rows("SELECT min(day), max(day) FROM channel_rollup WHERE audience > 0")[0]
        return row[0], row[1]

    def _rollup_where(self, f: Filters) -> tuple[str, list[Any]]:
        conds: list[str] = ["TRUE"]
        params: list[Any] = []
        if f.start:
            conds.append("day >= ?")
            params.append(f.start)
        if f.end:
            conds.append("day <= ?")
            params.append(f.end)
        if f.channels:
            conds.append("channel IN (SELECT unnest(?))")
            params.append(list(f.channels))
        if f.campaigns:
            conds.append("campaign IN (SELECT unnest(?))")
            params.append(["" if c == NO_CAMPAIGN else c for c in f.campaigns])
        return " AND ".join(conds), params

    # -- aggregation reads of the rollups ---------------------------------------------------
    def rollup_rows(self, f: Filters) -> dict[str, np.ndarray]:
        """The daily rollup rows of the filter's window, channels and campaigns (one per
        channel, campaign and day) as numpy arrays: ``channel``, ``campaign``, ``day`` and
        every count column, nulls as 0.

        Read as they are, without grouping: :class:`trustdash.trust.Rollup` sums them for
        every grouping, and a plain read is the cheapest query.
        """
        where, params = self._rollup_where(f)
        cols = ", ".join(ROLLUP_COUNTS)
        with self.cursor() as cur:
            raw = cur.execute(
                f"SELECT channel, campaign, day, {cols} FROM daily_rollup WHERE {where}",  # noqa: S608 - whitelist
                params,
            ).fetchnumpy()
        out = {k: np.ma.filled(v, 0.0) if isinstance(v, np.ma.MaskedArray) else v
               for k, v in raw.items()}  # fmt: skip
        out["day"] = out["day"].astype("datetime64[D]")
        return out

    def rollup_days(self, f: Filters) -> dict[str, np.ndarray]:
        """:meth:`rollup_rows` summed over campaigns: one row per channel and day of the
        filter's window, channels and campaigns (``channel``, ``day`` and every count
        column, nulls as 0), in no particular order.

        Without a campaign filter these are the rows of ``channel_rollup``, kept at import:
        handing rows over to numpy costs per value, and summing them in the query costs
        more than reading them (a sixth of the rows of :meth:`rollup_rows`).
        """
        where, params = self._rollup_where(f)
        if f.campaigns:
            cols = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in ROLLUP_COUNTS)
            sql = f"SELECT channel, day, {cols} FROM daily_rollup WHERE {where} GROUP BY channel, day"  # noqa: S608 - whitelist
        else:
            cols = ", ".join(f"coalesce({c}, 0) AS {c}" for c in ROLLUP_COUNTS)
            sql = f"SELECT channel, day, {cols} FROM channel_rollup WHERE {where}"  # noqa: S608 - whitelist
        with self.cursor() as cur:
            out = cur.execute(sql, params).fetchnumpy()
        out["day"] = out["day"].astype("datetime64[D]")
        return out

    def rollup_channel_replies(self) -> list[tuple[str, bool]]:
        """Each channel of the rollup and whether its exports carry brand replies (a brand
        reply or an answered comment anywhere in the store): S3 is measurable only there."""
        rows = self.rows(
            "SELECT channel, sum(brand_replies) + sum(answered) > 0 FROM channel_rollup "
            "GROUP BY 1 ORDER BY 1"
        )
        return [(r[0], bool(r[1])) for r in rows]

    # -- posts, comments, metrics -----------------------------------------------------------
    def posts_frame(self, f: Filters, *, lookback_days: int = 365) -> pl.DataFrame:
        """Posts of the selected channels/campaigns from ``lookback_days`` before the window
        end (percentiles need the channel's trailing year), with comment sentiment."""
        conds, params = ["TRUE"], []
        if f.end:
            conds.append("p.created_at < ?")
            params.append(f.end + dt.timedelta(days=1))
            conds.append("p.created_at >= ?")
            params.append(f.end - dt.timedelta(days=lookback_days))
        if f.channels:
            conds.append("p.channel IN (SELECT unnest(?))")
            params.append(list(f.channels))
        cols = """p.channel, p.post_id, p.created_at, p.text, p.url, p.campaign,
                    p.likes, p.comments, p.shares, p.saves, p.clicks, p.impressions, p.reach,
                    p.views"""
        where = " AND ".join(conds)
        # Stores of comments alone hold no posts: a plain read says so for half the cost of
        # planning the join.
        plain = self.frame(f"SELECT {cols} FROM posts p WHERE {where}", params)  # noqa: S608
        if plain.height == 0:
            return plain.hstack(
                [pl.Series("pos", [], dtype=pl.Int64), pl.Series("neg", [], dtype=pl.Int64),
                 pl.Series("net_negative", [], dtype=pl.Boolean)]
            )  # fmt: skip
        sql = f"""SELECT {cols}, coalesce(s.pos, 0) AS pos, coalesce(s.neg, 0) AS neg,
                    coalesce(s.neg, 0) > coalesce(s.pos, 0) AS net_negative
                  FROM posts p LEFT JOIN post_sentiment s USING (channel, post_id)
                  WHERE {where}"""  # noqa: S608
        return self.frame(sql, params)

    def _comment_where(
        self,
        f: Filters,
        *,
        label: Sequence[str] = (),
        lang: Sequence[str] = (),
        answered: str | None = None,
        search: str | None = None,
        audience_only: bool = True,
        day: dt.date | None = None,
        period: tuple[dt.date, dt.date] | None = None,
        actionable: bool = False,
    ) -> tuple[str, list[Any]]:
        conds, params = ["created_at IS NOT NULL"], []
        if f.start:
            conds.append("created_at >= ?")
            params.append(dt.datetime.combine(f.start, dt.time()))
        if f.end:
            conds.append("created_at < ?")
            params.append(dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time()))
        if f.channels:
            conds.append("channel IN (SELECT unnest(?))")
            params.append(list(f.channels))
        if f.campaigns:
            named = [c for c in f.campaigns if c != NO_CAMPAIGN]
            part = "campaign IN (SELECT unnest(?))"
            if NO_CAMPAIGN in f.campaigns:
                part = f"({part} OR campaign IS NULL)"
            conds.append(part)
            params.append(named)
        if audience_only:
            conds.append("NOT is_brand")
        if label:
            conds.append("label IN (SELECT unnest(?))")
            params.append(list(label))
        if lang:
            conds.append("lang IN (SELECT unnest(?))")
            params.append(list(lang))
        if answered == "answered":
            conds.append(ANSWERED)
        elif answered == "unanswered":
            conds.append(f"NOT ({ANSWERED})")
        if actionable:
            conds.append(ACTIONABLE)
        if search:
            conds.append("text ILIKE ?")
            params.append("%" + search.replace("%", r"\%").replace("_", r"\_") + "%")
        if day:
            conds.append("CAST(created_at AS DATE) = ?")
            params.append(day)
        if period:
            conds.append("created_at >= ? AND created_at < ?")
            params.extend(
                [
                    dt.datetime.combine(period[0], dt.time()),
                    dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time()),
                ]
            )
        return " AND ".join(conds), params

    def comments(
        self,
        f: Filters,
        *,
        limit: int = 500,
        offset: int = 0,
        order: str = "newest",
        **kwargs: Any,
    ) -> pl.DataFrame:
        """The comments behind the numbers, newest first (or oldest/most negative)."""
        where, params = self._comment_where(f, **kwargs)
        order_sql = {
            "newest": "created_at DESC",
            "oldest": "created_at ASC",
            "most_negative": "polarity ASC, created_at DESC",
            "most_positive": "polarity DESC, created_at DESC",
        }.get(order, "created_at DESC")
        sql = f"""SELECT created_at, channel, campaign, author, text, label, polarity, lang,
                    is_complaint, is_question, first_reply_at,
                    date_diff('second', created_at, first_reply_at) / 3600.0 AS reply_hours,
                    likes, rating, post_id, comment_id, row_key, import_id,
                    EXISTS (SELECT 1 FROM label_overrides o WHERE o.channel = comments.channel
                            AND o.row_key = comments.row_key) AS overridden
                  FROM comments WHERE {where} ORDER BY {order_sql}
                  LIMIT ? OFFSET ?"""  # noqa: S608 - where built here, order from a whitelist
        return self.frame(sql, [*params, int(limit), int(offset)])

    def count_comments(self, f: Filters, **kwargs: Any) -> int:
        where, params = self._comment_where(f, **kwargs)
        return int(self.one(f"SELECT count(*) FROM comments WHERE {where}", params) or 0)  # noqa: S608

    def comment_texts(self, f: Filters, *, limit: int = 50_000, **kwargs: Any) -> pl.DataFrame:
        """Text and label of a sample of comments (for the words that separate classes)."""
        where, params = self._comment_where(f, **kwargs)
        return self.frame(
            f"SELECT text, label FROM comments WHERE {where} AND scored "  # noqa: S608
            "ORDER BY created_at DESC LIMIT ?",
            [*params, int(limit)],
        )

    def response_times(self, f: Filters) -> pl.DataFrame:
        """Actionable audience comments with their first response delay in hours."""
        where, params = self._comment_where(f, actionable=True)
        return self.frame(
            f"""SELECT channel, created_at,
                  date_diff('second', created_at, first_reply_at) / 3600.0 AS hours
                FROM comments WHERE {where}""",  # noqa: S608
            params,
        )

    def daily_metric_series(self, f: Filters) -> pl.DataFrame:
        conds, params = ["TRUE"], []
        if f.start:
            conds.append("date >= ?")
            params.append(f.start)
        if f.end:
            conds.append("date <= ?")
            params.append(f.end)
        if f.channels:
            conds.append("channel IN (SELECT unnest(?))")
            params.append(list(f.channels))
        return self.frame(
            f"SELECT channel, date, metric, value FROM daily_metrics WHERE {' AND '.join(conds)} "  # noqa: S608
            "ORDER BY channel, metric, date",
            params,
        )

    # -- imports history ----------------------------------------------------------------------
    def imports(self) -> pl.DataFrame:
        return self.frame(
            "SELECT id, imported_at, file_name, format_label, confidence, channel, campaign, "
            "table_name, rows_read, rows_imported, rows_updated, duplicates, rejected, "
            "imported_by, warnings FROM imports ORDER BY id DESC"
        )

    def rejected_rows(self, import_id: int) -> pl.DataFrame:
        return self.frame(
            "SELECT row_number, reason, raw FROM rejected_rows WHERE import_id = ? "
            "ORDER BY row_number",
            [int(import_id)],
        )

    # -- campaigns and annotations ----------------------------------------------------------
    def campaign_windows(self) -> pl.DataFrame:
        """First and last activity date per campaign (for before/during/after)."""
        return self.frame(
            """SELECT campaign, min(day) AS start_date, max(day) AS end_date,
                      sum(audience) AS comments
               FROM daily_rollup WHERE campaign <> '' GROUP BY 1 ORDER BY 2"""
        )

    def annotations(self, f: Filters | None = None) -> pl.DataFrame:
        conds, params = ["TRUE"], []
        if f and f.start:
            conds.append("date >= ?")
            params.append(f.start)
        if f and f.end:
            conds.append("date <= ?")
            params.append(f.end)
        return self.frame(
            f"SELECT id, date, channel, text FROM annotations WHERE {' AND '.join(conds)} "  # noqa: S608
            "ORDER BY date",
            params,
        )

    # -- the result cache's key ------------------------------------------------------------
    def data_version(self) -> str:
        """Changes whenever anything a view shows could change (imports, deletions,
        settings, rules, labels): the key of the app's result cache. Cheap: small tables
        and rollups only, one UNION query (a SELECT of many scalar subqueries plans slowly)."""
        rows = self.rows(
            """SELECT 1 AS k, CAST(coalesce(sum(audience) + sum(brand_replies) + sum(neg), 0) AS VARCHAR)
                 FROM daily_rollup
               UNION ALL SELECT 2 AS k, CAST(count(*) AS VARCHAR) FROM posts
               UNION ALL SELECT 3 AS k, CAST(count(*) AS VARCHAR) FROM daily_metrics
               UNION ALL SELECT 4 AS k, CAST(coalesce(max(id), 0) AS VARCHAR) FROM imports
               UNION ALL SELECT 5 AS k, CAST(coalesce(sum(rows_updated), 0) AS VARCHAR) FROM imports
               UNION ALL SELECT 6 AS k, md5(coalesce(string_agg(key || '=' || value, ';' ORDER BY key),
                 '')) FROM settings
               UNION ALL SELECT 7 AS k, md5(coalesce(string_agg(channel || row_key || label, ';'
                 ORDER BY channel, row_key), '')) FROM label_overrides
               UNION ALL SELECT 8 AS k, CAST(count(*) AS VARCHAR) FROM campaign_rules
               UNION ALL SELECT 9 AS k, CAST(count(*) AS VARCHAR) FROM annotations ORDER BY k"""
        )
        return "|".join(str(r[1]) for r in rows)

    # -- notable comments -------------------------------------------------------------------
    def top_comments(
        self, f: Filters, channels: Sequence[str], *, per_channel: int = 3, worst: bool = True
    ) -> pl.DataFrame:
        """The most negative (or positive) audience comments of each channel in the window,
        read from the small notable-comments table kept at import (no scan of comments)."""
        g = f.with_(channels=tuple(channels))
        where, params = self._rollup_where(g)
        order = "polarity ASC" if worst else "polarity DESC"
        label = "negative" if worst else "positive"
        return self.frame(
            f"""SELECT created_at, channel, text, label, polarity FROM (
                  SELECT *, row_number() OVER (PARTITION BY channel ORDER BY {order},
                    created_at DESC) AS rn
                  FROM notable_comments WHERE {where} AND label = ?)
                WHERE rn <= ? ORDER BY channel, rn""",  # noqa: S608
            [*params, label, int(per_channel)],
        )

    def change_drivers(
        self,
        f: Filters,
        worst: Sequence[str],
        best: Sequence[str],
        *,
        per_channel: int = 3,
    ) -> pl.DataFrame:
        """:meth:`top_comments` for two sets of channels in one read: the most negative
        comments of the ``worst`` channels and the most positive of the ``best`` ones
        (ordered by channel, then label, then rank)."""
        where, params = self._rollup_where(f.with_(channels=()))
        return self.frame(
            f"""SELECT created_at, channel, text, label, polarity FROM notable_comments
                WHERE {where} AND ((label = 'negative' AND list_contains(?, channel))
                                   OR (label = 'positive' AND list_contains(?, channel)))
                QUALIFY row_number() OVER (PARTITION BY channel, label ORDER BY
                  CASE WHEN label = 'negative' THEN polarity ELSE -polarity END,
                  created_at DESC) <= ?
                ORDER BY channel, label,
                  CASE WHEN label = 'negative' THEN polarity ELSE -polarity END,
                  created_at DESC""",  # noqa: S608 - where built here
            [*params, list(worst), list(best), int(per_channel)],
        )

    # -- texts to rescore -------------------------------------------------------------------
    def distinct_texts(self, part: int, parts: int) -> pl.DataFrame:
        """Distinct comment texts of one hash partition (rescoring goes part by part so
        that memory stays bounded)."""
        return self.frame(
            "SELECT DISTINCT coalesce(text, '') AS text FROM comments "
            "WHERE hash(coalesce(text, '')) % ? = ?",
            [int(parts), int(part)],
        )

    # -- export -----------------------------------------------------------------------------
    def table_frame(self, table: str, f: Filters | None = None) -> pl.DataFrame:
        if table not in EXPORT_TABLES:
            raise StoreError(
                tr(
                    "Unknown table {table}; choose one of {tables}.",
                    table=repr(table),
                    tables=", ".join(EXPORT_TABLES),
                )
            )
        return self.frame(f"SELECT * FROM {table}")  # noqa: S608 - whitelist
