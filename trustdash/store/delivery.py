"""Subscriptions and the delivery log.

A delivery is identified by its subscription and its item key (a brief period such as
``brief:week:2026-05-25``, or an alert such as ``alert:negative spike:x:2026-05-18``).
That pair is unique: a delivery is claimed inside a transaction that first reads the
pair's row (DuckLake has no UNIQUE constraint), so a brief period or an alert is never
sent twice to one subscription. On DuckLake every claim also rewrites one shared settings
row, so two processes claiming at once conflict and the later one re-reads.

Statuses: ``sending`` (claimed), ``sent``, ``retry`` (failed, tried again from
``next_attempt_at`` on), ``failed`` (given up), ``skipped`` (not sent on purpose: a
cool-down, a severity below the subscription's minimum).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import duckdb
import polars as pl

from trustdash.store.db import DELIVERY_GUARD_KEY, now, retry_on_conflict
from trustdash.store.schema import Schema

SUBSCRIPTION_COLUMNS = (
    "id", "recipient", "kind", "every", "weekday", "lang", "channels", "campaigns",
    "min_severity", "cooldown_hours", "paused", "created_by", "created_at",
)  # fmt: skip
_EDITABLE = frozenset(SUBSCRIPTION_COLUMNS) - {"id", "created_by", "created_at"}
_LIST_COLUMNS = ("channels", "campaigns")
_INSERT_SUBSCRIPTION = (
    f"INSERT INTO subscriptions ({', '.join(SUBSCRIPTION_COLUMNS)}) "  # noqa: S608 - constants
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?)"
)
FINAL_STATUSES = ("sent", "failed", "skipped")
# A claim older than this whose sender never reported back (a crashed process) is tried
# again: the server may or may not have taken the message.
STALE_CLAIM = dt.timedelta(minutes=15)


def _subscription(row: Sequence[Any]) -> dict[str, Any]:
    out = dict(zip(SUBSCRIPTION_COLUMNS, row, strict=True))
    for k in _LIST_COLUMNS:
        out[k] = tuple(json.loads(out[k] or "[]"))
    out["paused"] = bool(out["paused"])
    return out


class Deliveries(Schema):
    """Subscriptions (who receives what) and the log of deliveries."""

    # -- subscriptions ----------------------------------------------------------------------
    @retry_on_conflict
    def add_subscription(
        self,
        recipient: str,
        kind: str,
        *,
        every: str = "weekly",
        weekday: int = 0,
        lang: str = "en",
        channels: Sequence[str] = (),
        campaigns: Sequence[str] = (),
        min_severity: str = "medium",
        cooldown_hours: float = 24.0,
        created_by: str | None = None,
    ) -> int:
        with self.transaction() as cur:
            sub_id = self.new_id(cur, "subscriptions")
            cur.execute(
                _INSERT_SUBSCRIPTION,
                [sub_id, recipient, kind, every, int(weekday), lang,
                 json.dumps(list(channels)), json.dumps(list(campaigns)), min_severity,
                 float(cooldown_hours), created_by, now()],
            )  # fmt: skip
        return sub_id

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription, oldest first (channels and campaigns as tuples)."""
        rows = self.rows(
            f"SELECT {', '.join(SUBSCRIPTION_COLUMNS)} FROM subscriptions ORDER BY id"  # noqa: S608 - constants
        )
        return [_subscription(r) for r in rows]

    def subscription(self, sub_id: int) -> dict[str, Any] | None:
        rows = self.rows(
            f"SELECT {', '.join(SUBSCRIPTION_COLUMNS)} FROM subscriptions WHERE id = ?",  # noqa: S608 - constants
            [int(sub_id)],
        )
        return _subscription(rows[0]) if rows else None

    @retry_on_conflict
    def update_subscription(self, sub_id: int, **changes: Any) -> bool:
        """Change some of a subscription's fields; False when there is no such subscription."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        with self.transaction() as cur:
            if not cur.execute("SELECT 1 FROM subscriptions WHERE id = ?", [int(sub_id)]).fetchone():
                return False
            for key, value in changes.items():
                if key in _LIST_COLUMNS:
                    value = json.dumps(list(value))
                cur.execute(
                    f"UPDATE subscriptions SET {key} = ? WHERE id = ?",  # noqa: S608 - whitelist
                    [value, int(sub_id)],
                )
        return True

    @retry_on_conflict
    def delete_subscription(self, sub_id: int) -> bool:
        """Remove a subscription (its delivery log stays); False when there was none."""
        with self.transaction() as cur:
            found = cur.execute(
                "SELECT 1 FROM subscriptions WHERE id = ?", [int(sub_id)]
            ).fetchone()
            cur.execute("DELETE FROM subscriptions WHERE id = ?", [int(sub_id)])
        return bool(found)

    # -- the delivery log -------------------------------------------------------------------
    def last_delivery_at(self, sub_id: int, kind: str) -> dt.datetime | None:
        """When this subscription last had a delivery of ``kind`` claimed or skipped."""
        return self.one(
            "SELECT max(created_at) FROM deliveries WHERE subscription_id = ? AND kind = ?",
            [int(sub_id), kind],
        )

    def last_sent(self, sub_id: int, kind: str, summary_prefix: str) -> dt.datetime | None:
        """When a delivery of ``kind`` whose summary starts with ``summary_prefix`` was last
        sent to this subscription (the alert cool-down reads it per channel)."""
        return self.one(
            """SELECT max(sent_at) FROM deliveries WHERE subscription_id = ? AND kind = ?
               AND status = 'sent' AND starts_with(summary, ?)""",
            [int(sub_id), kind, summary_prefix],
        )

    def delivery_status(self, sub_id: int, item_key: str) -> str | None:
        """The status of one delivery (None when there is none)."""
        return self.one(
            "SELECT status FROM deliveries WHERE subscription_id = ? AND item_key = ?",
            [int(sub_id), item_key],
        )

    def pending_keys(self, sub_id: int, kind: str) -> list[str]:
        """Item keys of ``kind`` claimed or waiting for a retry for this subscription."""
        rows = self.rows(
            "SELECT item_key FROM deliveries WHERE subscription_id = ? AND kind = ? "
            "AND status IN ('sending', 'retry') ORDER BY item_key",
            [int(sub_id), kind],
        )
        return [r[0] for r in rows]

    def delivered_keys(self, sub_id: int) -> set[str]:
        """Item keys this subscription has a final status for (sent, failed or skipped)."""
        rows = self.rows(
            "SELECT item_key FROM deliveries WHERE subscription_id = ? "
            "AND status IN ('sent', 'failed', 'skipped')",
            [int(sub_id)],
        )
        return {r[0] for r in rows}

    def _serialise_deliveries(self, cur: duckdb.DuckDBPyConnection) -> None:
        """On DuckLake, writes to the deliveries log also touch one guard row, so two
        runs deciding about the same item conflict at commit and one retries."""
        if self.backend == "ducklake":
            cur.execute("UPDATE settings SET value = value WHERE key = ?", [DELIVERY_GUARD_KEY])

    @retry_on_conflict
    def claim_delivery(
        self,
        sub_id: int,
        recipient: str,
        kind: str,
        item_key: str,
        summary: str,
        *,
        force: bool = False,
        at: dt.datetime | None = None,
    ) -> int | None:
        """Claim a delivery before sending it: the attempt number, or None when it must not
        be sent now (already sent, failed for good or skipped; being sent by another run;
        waiting for its next attempt, unless ``force``)."""
        at = at or now()
        with self.transaction() as cur:
            self._serialise_deliveries(cur)
            row = cur.execute(
                """SELECT status, attempts, next_attempt_at, updated_at, created_at
                   FROM deliveries WHERE subscription_id = ? AND item_key = ?""",
                [int(sub_id), item_key],
            ).fetchone()
            created = at
            attempts = 1
            if row is not None:
                status, tried, next_at, updated, created = row
                if status in FINAL_STATUSES:
                    return None
                if status == "sending" and updated and at - updated < STALE_CLAIM:
                    return None
                if status == "retry" and next_at and next_at > at and not force:
                    return None
                attempts = int(tried or 0) + 1
                cur.execute(
                    "DELETE FROM deliveries WHERE subscription_id = ? AND item_key = ?",
                    [int(sub_id), item_key],
                )
            cur.execute(
                """INSERT INTO deliveries (subscription_id, recipient, kind, item_key, summary,
                   status, error, attempts, next_attempt_at, sent_at, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, 'sending', NULL, ?, NULL, NULL, ?, ?)""",
                [int(sub_id), recipient, kind, item_key, summary, attempts, created, at],
            )
        return attempts

    @retry_on_conflict
    def finish_delivery(
        self,
        sub_id: int,
        item_key: str,
        status: str,
        *,
        error: str | None = None,
        next_attempt_at: dt.datetime | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        """Record how a claimed delivery ended: sent, retry (with its next attempt) or failed."""
        at = at or now()
        with self.transaction() as cur:
            cur.execute(
                """UPDATE deliveries SET status = ?, error = ?, next_attempt_at = ?,
                   sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ?
                   WHERE subscription_id = ? AND item_key = ?""",
                [status, error, next_attempt_at, status, at, at, int(sub_id), item_key],
            )

    @retry_on_conflict
    def record_skipped(
        self,
        sub_id: int,
        recipient: str,
        kind: str,
        item_key: str,
        summary: str,
        reason: str,
        *,
        at: dt.datetime | None = None,
    ) -> bool:
        """Log an item this subscription is not sent (once); False when it had a row already."""
        at = at or now()
        with self.transaction() as cur:
            self._serialise_deliveries(cur)
            n = cur.execute(
                """INSERT INTO deliveries (subscription_id, recipient, kind, item_key, summary,
                   status, error, attempts, next_attempt_at, sent_at, created_at, updated_at)
                   SELECT ?, ?, ?, ?, ?, 'skipped', ?, 0, NULL, NULL, ?, ?
                   WHERE NOT EXISTS (SELECT 1 FROM deliveries
                                     WHERE subscription_id = ? AND item_key = ?)""",
                [int(sub_id), recipient, kind, item_key, summary, reason, at, at,
                 int(sub_id), item_key],
            ).fetchone()  # fmt: skip
        return bool(n and n[0])

    def delivery_log(self, limit: int = 200, subscription_id: int | None = None) -> pl.DataFrame:
        """The latest deliveries, newest first."""
        where, params = "", []
        if subscription_id is not None:
            where, params = "WHERE subscription_id = ?", [int(subscription_id)]
        return self.frame(
            f"""SELECT subscription_id, recipient, kind, item_key, summary, status, error,
                       attempts, next_attempt_at, sent_at, created_at, updated_at
                FROM deliveries {where}
                ORDER BY updated_at DESC, item_key LIMIT ?""",  # noqa: S608 - constant where
            [*params, int(limit)],
        )
