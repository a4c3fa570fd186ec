"""The store: the only module that speaks SQL.

One DuckDB connection per process and target, a cursor per call (cursors are
cheap and make the connection safe to share between Streamlit's threads).
Every value goes in as a parameter; the few identifiers that vary (group
columns, response-time buckets, export tables) come from fixed whitelists in
this module, never from user input.

Writes are serialised inside the process by a lock and each import runs in
one transaction: a failed or killed import leaves nothing behind.

Two backends sit behind the same interface, chosen by the target alone: a DuckDB file
(embedded, one writing process) or ``ducklake:postgres:...`` (DuckLake, see
:mod:`trustdash.lake`: many processes, snapshot reads, writes that lose a commit
conflict are re-run). The SQL is the same for both, so the schema has no PRIMARY KEY or
UNIQUE constraints (DuckLake has none): uniqueness comes from the anti-join inserts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from trustdash import config, lake
from trustdash.filters import NO_CAMPAIGN, Filters

# Response-time buckets kept in the rollup (hours); channel targets snap to one of these.
TARGET_BUCKETS = (1, 2, 4, 8, 12, 24, 48, 72, 168)
_BUCKET_COL = {h: f"in_{h}h" for h in TARGET_BUCKETS}

_GROUP_EXPR = {
    "brand": "'brand'",
    "channel": "channel",
    # A constant of ours, not user input: comments outside any campaign get a visible name.
    "campaign": f"coalesce(nullif(campaign, ''), '{NO_CAMPAIGN}')",
    "day": "CAST(day AS VARCHAR)",
    "week": "CAST(date_trunc('week', day) AS DATE)::VARCHAR",
    "month": "CAST(date_trunc('month', day) AS DATE)::VARCHAR",
}
_PERIOD_END = {
    "day": "day",
    "week": "CAST(date_trunc('week', day) + INTERVAL 6 DAY AS DATE)",
    "month": "CAST(date_trunc('month', day) + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)",
}
EXPORT_TABLES = ("comments", "posts", "daily_metrics", "imports", "rejected_rows")
# Tables a backup holds (restored in this order), and those recomputed after a restore.
BACKUP_TABLES = (
    "settings", "campaigns", "campaign_rules", "annotations", "mapping_profiles", "imports",
    "rejected_rows", "comments", "posts", "daily_metrics", "sentiment_cache", "label_overrides",
)  # fmt: skip
DERIVED_TABLES = ("daily_rollup", "channel_rollup", "post_sentiment", "notable_comments")
# The rollup's count columns (all but channel, campaign and day).
_ROLLUP_COUNTS = (
    "audience", "pos", "neg", "neu", "unscored", "complaints", "actionable", "answered",
    *_BUCKET_COL.values(), "brand_replies", "n_en", "n_fr", "n_other", "rating_sum", "rating_n",
)  # fmt: skip

SCHEMA_VERSION = 3

# The rollup's counts summed over campaigns (channel_rollup is daily_rollup without them).
_CHANNEL_SUMS = ", ".join(f"sum({c}) AS {c}" for c in _ROLLUP_COUNTS)

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE IF NOT EXISTS imports (
            id BIGINT, file_name VARCHAR, sha256 VARCHAR, format VARCHAR,
            format_label VARCHAR, confidence DOUBLE, channel VARCHAR, campaign VARCHAR,
            table_name VARCHAR, rows_read BIGINT, rows_imported BIGINT, rows_updated BIGINT,
            duplicates BIGINT, rejected BIGINT, warnings VARCHAR, imported_by VARCHAR,
            imported_at TIMESTAMP, options VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS rejected_rows (
            import_id BIGINT, row_number BIGINT, reason VARCHAR, raw VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS comments (
            channel VARCHAR NOT NULL, row_key VARCHAR NOT NULL, comment_id VARCHAR,
            post_id VARCHAR, parent_id VARCHAR, author VARCHAR, is_brand BOOLEAN,
            is_brand_source BOOLEAN, is_automated BOOLEAN, created_at TIMESTAMP,
            replied_at TIMESTAMP, reply_text VARCHAR, text VARCHAR, likes BIGINT,
            shares BIGINT, rating DOUBLE, campaign VARCHAR, campaign_source VARCHAR,
            url VARCHAR, lang VARCHAR, polarity DOUBLE, label VARCHAR, scored BOOLEAN,
            model_polarity DOUBLE, model_label VARCHAR, is_complaint BOOLEAN,
            is_question BOOLEAN, text_key VARCHAR, first_reply_at TIMESTAMP,
            import_id BIGINT)""",
        """CREATE TABLE IF NOT EXISTS posts (
            channel VARCHAR NOT NULL, post_id VARCHAR NOT NULL, created_at TIMESTAMP,
            author VARCHAR, text VARCHAR, url VARCHAR, post_type VARCHAR, campaign VARCHAR,
            campaign_source VARCHAR, impressions BIGINT, reach BIGINT, views BIGINT,
            likes BIGINT, comments BIGINT, shares BIGINT, saves BIGINT, clicks BIGINT,
            import_id BIGINT, updated_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS daily_metrics (
            channel VARCHAR NOT NULL, date DATE NOT NULL, metric VARCHAR NOT NULL,
            value DOUBLE, import_id BIGINT)""",
        """CREATE TABLE IF NOT EXISTS sentiment_cache (
            text_key VARCHAR, polarity DOUBLE, label VARCHAR, lang VARCHAR,
            scored BOOLEAN, is_complaint BOOLEAN, is_question BOOLEAN)""",
        """CREATE TABLE IF NOT EXISTS label_overrides (
            channel VARCHAR, row_key VARCHAR, label VARCHAR, polarity DOUBLE,
            created_by VARCHAR, created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS campaigns (
            name VARCHAR, description VARCHAR, start_date DATE, end_date DATE,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS campaign_rules (
            id BIGINT, campaign VARCHAR, kind VARCHAR, value VARCHAR,
            channel VARCHAR, start_date DATE, end_date DATE, created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS annotations (
            id BIGINT, date DATE, channel VARCHAR, text VARCHAR,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS settings (key VARCHAR, value VARCHAR)""",
        """CREATE TABLE IF NOT EXISTS mapping_profiles (
            signature VARCHAR, name VARCHAR, profile VARCHAR,
            created_at TIMESTAMP)""",
        """CREATE TABLE IF NOT EXISTS daily_rollup (
            channel VARCHAR, campaign VARCHAR, day DATE, audience DOUBLE, pos DOUBLE,
            neg DOUBLE, neu DOUBLE, unscored DOUBLE, complaints DOUBLE, actionable DOUBLE,
            answered DOUBLE, """
        + ", ".join(f"{c} DOUBLE" for c in _BUCKET_COL.values())
        + """, brand_replies DOUBLE, n_en DOUBLE, n_fr DOUBLE, n_other DOUBLE,
            rating_sum DOUBLE, rating_n DOUBLE)""",
        """CREATE TABLE IF NOT EXISTS post_sentiment (
            channel VARCHAR, post_id VARCHAR, pos BIGINT, neg BIGINT)""",
    ],
    # The few most negative and most positive audience comments per channel, campaign and
    # day, kept at import so that "the comments behind a change" never scan the comments.
    2: [
        """CREATE TABLE IF NOT EXISTS notable_comments (
            channel VARCHAR, campaign VARCHAR, day DATE, created_at TIMESTAMP, text VARCHAR,
            label VARCHAR, polarity DOUBLE, row_key VARCHAR)""",
    ],
    # The daily rollup summed over campaigns (one row per channel and day): what a view
    # without a campaign filter reads, a sixth of the rows (numpy conversion costs per value).
    3: [
        """CREATE TABLE IF NOT EXISTS channel_rollup (channel VARCHAR, day DATE, """
        + ", ".join(f"{c} DOUBLE" for c in _ROLLUP_COUNTS)
        + ")",
        f"INSERT INTO channel_rollup SELECT channel, day, {_CHANNEL_SUMS} FROM daily_rollup "  # noqa: S608 - whitelist
        "GROUP BY channel, day ORDER BY day, channel",
    ],
}
_NOTABLE_PER_DAY = 3

# Tables whose ids are allocated by _new_id, and the settings rows counting them (DuckLake).
_ID_TABLES = ("imports", "campaign_rules", "annotations")
_ID_KEY_PREFIX = "_next_id."
_IMPORT_GUARD_KEY = _ID_KEY_PREFIX + "import_guard"  # hidden from all_settings() alike

_MIGRATION_TABLES = tuple(
    stmt.split("EXISTS", 1)[1].split("(", 1)[0].strip()
    for steps in _MIGRATIONS.values()
    for stmt in steps
    if stmt.lstrip().startswith("CREATE TABLE")
)

# Bucket columns come from a whitelist.
_ROLLUP_SELECT = (
    """SELECT channel, coalesce(campaign, '') AS campaign, CAST(created_at AS DATE) AS day,"""  # noqa: S608
    """
    count(*) FILTER (WHERE NOT is_brand) AS audience,
    count(*) FILTER (WHERE NOT is_brand AND label = 'positive') AS pos,
    count(*) FILTER (WHERE NOT is_brand AND label = 'negative') AS neg,
    count(*) FILTER (WHERE NOT is_brand AND label = 'neutral' AND scored) AS neu,
    count(*) FILTER (WHERE NOT is_brand AND NOT scored) AS unscored,
    count(*) FILTER (WHERE NOT is_brand AND is_complaint) AS complaints,
    count(*) FILTER (WHERE NOT is_brand AND (is_question OR is_complaint
        OR label = 'negative')) AS actionable,
    count(*) FILTER (WHERE NOT is_brand AND (is_question OR is_complaint
        OR label = 'negative') AND first_reply_at IS NOT NULL) AS answered, """
    + ", ".join(
        f"""count(*) FILTER (WHERE NOT is_brand AND (is_question OR is_complaint
        OR label = 'negative') AND first_reply_at IS NOT NULL
        AND date_diff('second', created_at, first_reply_at) <= {h * 3600}) AS {col}"""
        for h, col in _BUCKET_COL.items()
    )
    + """,
    count(*) FILTER (WHERE is_brand AND NOT coalesce(is_automated, false)) AS brand_replies,
    count(*) FILTER (WHERE NOT is_brand AND lang = 'en') AS n_en,
    count(*) FILTER (WHERE NOT is_brand AND lang = 'fr') AS n_fr,
    count(*) FILTER (WHERE NOT is_brand AND lang NOT IN ('en', 'fr')) AS n_other,
    sum(rating) FILTER (WHERE NOT is_brand AND rating IS NOT NULL) AS rating_sum,
    count(rating) FILTER (WHERE NOT is_brand) AS rating_n
    FROM comments WHERE created_at IS NOT NULL AND channel IN (SELECT unnest(?))
    GROUP BY ALL"""
)

# Columns written into the comments table from a prepared frame (see ingest).
COMMENT_INSERT_COLUMNS = (
    "channel", "row_key", "comment_id", "post_id", "parent_id", "author", "is_brand",
    "is_brand_source", "is_automated", "created_at", "replied_at", "reply_text", "text",
    "likes", "shares", "rating", "campaign", "campaign_source", "url", "lang", "polarity",
    "label", "scored", "model_polarity", "model_label", "is_complaint", "is_question",
    "text_key", "import_id",
)  # fmt: skip
POST_COLUMNS = (
    "channel", "post_id", "created_at", "author", "text", "url", "post_type", "campaign",
    "impressions", "reach", "views", "likes", "comments", "shares", "saves", "clicks",
)  # fmt: skip
_POST_METRICS = ("impressions", "reach", "views", "likes", "comments", "shares", "saves", "clicks")


class StoreBusy(RuntimeError):
    """The store file is held by another process."""


class StoreError(RuntimeError):
    """A user-facing store problem (message is shown as is)."""


class StoreConflict(StoreError):
    """A write lost a commit race against another process (DuckLake backend)."""


# A lost commit race is re-run on a fresh snapshot; imports get more tries because
# every import rewrites rollups, so concurrent importers serialise through these retries.
WRITE_ATTEMPTS = 10
IMPORT_ATTEMPTS = 30
_retry_state = threading.local()


def _retry_on_conflict(method: Callable[..., Any]) -> Callable[..., Any]:
    """Re-run a write method whose transaction lost a commit race.

    Only for methods whose every run is atomic or idempotent (one transaction, or
    transactions that can be repeated). Nested calls leave the retrying to the outermost.
    """

    @functools.wraps(method)
    def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
        if getattr(_retry_state, "active", False):
            return method(self, *args, **kwargs)
        _retry_state.active = True
        try:
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    return method(self, *args, **kwargs)
                except StoreConflict:
                    if attempt == WRITE_ATTEMPTS - 1:
                        raise
                    time.sleep(lake.backoff(attempt))
        finally:
            _retry_state.active = False
        raise AssertionError("unreachable")

    return wrapper


@dataclass
class ImportCounts:
    rows_imported: int = 0
    rows_updated: int = 0
    duplicates: int = 0


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used" in text


class Store:
    """A trustdash store: an embedded DuckDB file (``":memory:"`` for a throwaway one) or a
    DuckLake (``ducklake:postgres:<libpq string>``, data under ``TRUSTDASH_DATA_PATH``)."""

    def __init__(self, target: str | Path | None = None, *, wait_seconds: float = 10.0) -> None:
        self.target = config.db_target(target)
        self.backend = "ducklake" if lake.is_lake(self.target) else "embedded"
        self._write_lock = threading.RLock()
        self._catalog: str | None = None  # the lake's alias in the process's host database
        self._con = self._connect(wait_seconds)
        # Comment batches of an import wait here (see ImportBatch).
        self.staging_dir: Path | None = None
        if self.backend == "embedded" and self.target != ":memory:":
            self.staging_dir = Path(self.target + ".staging")
            _clear_dead_staging(self.staging_dir)
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise

    # -- connection -------------------------------------------------------------------------
    def _connect(self, wait_seconds: float) -> duckdb.DuckDBPyConnection:
        if self.backend == "ducklake":
            try:
                con, self._catalog = lake.connect(self.target)
                return con
            except lake.LakeError as exc:
                raise StoreError(str(exc)) from exc
        if self.target != ":memory:":
            Path(self.target).parent.mkdir(parents=True, exist_ok=True)
        # Never reach for the network: extensions come from PyPI packages only.
        cfg = {
            "autoinstall_known_extensions": "false",
            "memory_limit": f"{config.db_memory_mb()}MB",
        }
        deadline = time.monotonic() + wait_seconds
        delay = 0.1
        while True:
            try:
                return duckdb.connect(self.target, config=cfg)
            except duckdb.IOException as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"Cannot open the store {self.target}: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"The store {self.target} is in use by another process (the running "
                        "app?). Import from the app's Import page, stop the other process, "
                        "or use the DuckLake backend for several writers."
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise StoreError(f"Cannot open the store {self.target}: {exc}") from exc

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._catalog:
                lake.disconnect(self._con, self._catalog)
            else:
                self._con.close()

    @contextlib.contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            if self._catalog:
                lake.prepare_cursor(cur, self._catalog)
            yield cur
        finally:
            cur.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction; serialised within the process.

        Raises :class:`StoreConflict` when another process committed a clashing write
        first (DuckLake); callers re-run the whole transaction (see ``_retry_on_conflict``
        and :meth:`import_batch`). Readers never wait: they see the last committed snapshot.
        """
        with self._write_lock, self.cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                if isinstance(exc, duckdb.Error) and lake.is_conflict(exc):
                    raise StoreConflict(_conflict_message(exc)) from exc
                raise
            try:
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
                if lake.is_conflict(exc):
                    raise StoreConflict(_conflict_message(exc)) from exc
                raise

    def _new_id(self, cur: duckdb.DuckDBPyConnection, table: str) -> int:
        """A fresh id for ``table`` (one of :data:`_ID_TABLES`).

        One process writes an embedded file, so max + 1 inside the transaction is safe.
        DuckLake writers in several processes would all read the same max, and DuckLake has
        no unique constraint to catch the clash: the id is claimed in its own short
        transaction instead (a gap is left if the caller's transaction then fails).
        """
        if self.backend == "ducklake":
            return self._claim_id(table)
        row = cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()  # noqa: S608
        return int(row[0]) if row else 1

    @_retry_on_conflict
    def _claim_id(self, table: str) -> int:
        # The counter row was committed by migrate(), so every claimer deletes the same
        # committed row: DuckLake rejects all but the first concurrent commit, and the
        # losers retry on the new value. max(id) keeps ids ahead of restored rows.
        key = _ID_KEY_PREFIX + table
        with self.transaction() as cur:
            have = cur.execute(
                "SELECT max(TRY_CAST(value AS BIGINT)) FROM settings WHERE key = ?", [key]
            ).fetchone()
            top = cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
            new = max(int((have or [0])[0] or 0), int((top or [0])[0] or 0)) + 1
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
            cur.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(new)])
        return new

    def user_tables(self) -> list[str]:
        """The store's tables, in creation order (schema_version first)."""
        return ["schema_version", *_MIGRATION_TABLES]

    def table_columns(self, table: str) -> list[str]:
        with self.cursor() as cur:
            return [d[0] for d in cur.execute(f'SELECT * FROM "{table}" LIMIT 0').description]  # noqa: S608

    def row_count(self, table: str) -> int:
        return int(self._one(f'SELECT count(*) FROM "{table}"') or 0)  # noqa: S608 - catalog names

    def _frame(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).pl()

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def _one(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    # -- migrations -------------------------------------------------------------------------
    def schema_version(self) -> int:
        return int(self._one("SELECT coalesce(max(version), 0) FROM schema_version") or 0)

    @_retry_on_conflict
    def migrate(self) -> int:
        """Bring the file to :data:`SCHEMA_VERSION`; returns the number of steps applied."""
        with self.transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)"
            )
            current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
            have = int(current[0]) if current else 0
            if have > SCHEMA_VERSION:
                raise StoreError(
                    f"The store {self.target} was written by a newer trustdash (schema "
                    f"{have} > {SCHEMA_VERSION}); upgrade trustdash to open it."
                )
            steps = 0
            for version in range(have + 1, SCHEMA_VERSION + 1):
                for stmt in _MIGRATIONS[version]:
                    cur.execute(stmt)
                cur.execute(
                    "INSERT INTO schema_version VALUES (?, ?)", [version, _now()]
                )
                steps += 1
            if 0 < have < 2 <= SCHEMA_VERSION:
                # Version 2 added a derived table: fill it for the data already stored.
                chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments")
                         .fetchall()]  # fmt: skip
                self.refresh_derived(cur, chans)
            if self.backend == "ducklake":
                # Id counters must exist as committed rows before any claim (_claim_id).
                for key in (*(_ID_KEY_PREFIX + t for t in _ID_TABLES), _IMPORT_GUARD_KEY):
                    if not cur.execute("SELECT 1 FROM settings WHERE key = ?", [key]).fetchone():
                        cur.execute("INSERT INTO settings VALUES (?, '0')", [key])
            return steps

    # -- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        raw = self._one("SELECT value FROM settings WHERE key = ?", [key])
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    def all_settings(self) -> dict[str, Any]:
        out = {}
        for key, raw in self._rows(
            "SELECT key, value FROM settings WHERE NOT starts_with(key, ?)", [_ID_KEY_PREFIX]
        ):
            with contextlib.suppress(ValueError):
                out[key] = json.loads(raw)
        return out

    @_retry_on_conflict
    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
            cur.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(value)])

    # -- import -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def import_batch(self, meta: Mapping[str, Any]) -> Iterator[ImportBatch]:
        """One import = one transaction. Yields an :class:`ImportBatch` to add rows to.

        The body (reading, scoring) runs once. On DuckLake the batch also journals what it
        was given (frames spilled to local Arrow files), so when the commit loses a race
        against another writer the transaction is rolled back and the journal is re-applied
        on a fresh snapshot: duplicates and counts are recomputed against what the other
        writer committed, and the import id stays the same.
        """
        batch: ImportBatch | None = None
        body_done = False
        with self._write_lock:
            # Claimed before the import's transaction starts: a claim committed after its
            # snapshot would make the import's own guard update below conflict.
            with self.cursor() as idcur:
                import_id = self._new_id(idcur, "imports")
            try:
                for attempt in range(IMPORT_ATTEMPTS):
                    try:
                        with self.transaction() as cur:
                            self._import_guard(cur)
                            if batch is None:
                                batch = ImportBatch(self, cur, import_id)
                                self._insert_import(cur, batch.import_id, meta)
                                yield batch
                                body_done = True
                            else:
                                batch._replay(cur)
                                self._insert_import(cur, batch.import_id, meta)
                            batch._finish()
                        return
                    except StoreConflict:
                        # A failure inside the caller's block is the caller's to handle.
                        if not body_done or attempt == IMPORT_ATTEMPTS - 1:
                            raise
                        time.sleep(lake.backoff(attempt))
                        batch.attempts += 1
            finally:
                if batch is not None:
                    batch._drop_journal()

    def _import_guard(self, cur: duckdb.DuckDBPyConnection) -> None:
        # DuckLake only sees a conflict when a transaction deletes or updates rows another
        # committed meanwhile. Two imports into a channel with no committed rows yet would
        # touch only their own new rows, both commit, and store the overlap twice. Rewriting
        # one shared committed row makes every pair of concurrent imports conflict, so the
        # later one replays against the earlier one's rows.
        if self.backend == "ducklake":
            cur.execute("UPDATE settings SET value = value WHERE key = ?", [_IMPORT_GUARD_KEY])

    @staticmethod
    def _insert_import(
        cur: duckdb.DuckDBPyConnection, import_id: int, meta: Mapping[str, Any]
    ) -> None:
        cur.execute(
            """INSERT INTO imports (id, file_name, sha256, format, format_label, confidence,
            channel, campaign, table_name, rows_read, rows_imported, rows_updated,
            duplicates, rejected, warnings, imported_by, imported_at, options)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, ?, ?, ?, ?)""",
            [
                import_id, meta.get("file_name"), meta.get("sha256"),
                meta.get("format"), meta.get("format_label"), meta.get("confidence"),
                meta.get("channel"), meta.get("campaign"), meta.get("table"),
                json.dumps(meta.get("warnings", [])), meta.get("imported_by"), _now(),
                meta.get("options", ""),
            ],
        )  # fmt: skip

    # -- derived data -----------------------------------------------------------------------
    def refresh_derived(self, cur: duckdb.DuckDBPyConnection, channels: Sequence[str]) -> None:
        """Brand flags, campaign rules, reply links, rollups for ``channels`` (inside a txn)."""
        chans = list(dict.fromkeys(c for c in channels if c))
        if not chans:
            return
        brand = [a.lower() for a in self.get_setting_cur(cur, "brand_accounts", [])]
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
        self._apply_campaign_rules(cur, chans)
        self._refresh_reply_links(cur, chans)
        cur.execute("DELETE FROM daily_rollup WHERE channel IN (SELECT unnest(?))", [chans])
        cur.execute("INSERT INTO daily_rollup " + _ROLLUP_SELECT, [chans])
        cur.execute("DELETE FROM channel_rollup WHERE channel IN (SELECT unnest(?))", [chans])
        cur.execute(
            f"INSERT INTO channel_rollup SELECT channel, day, {_CHANNEL_SUMS} "  # noqa: S608 - whitelist
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

    @staticmethod
    def _refresh_reply_links(cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
        """First brand reply per audience comment, in one statement that writes only the
        rows whose value changes.

        The reply is the earliest of: the first brand reply by parent id, else the next
        brand comment without parent in the same post's thread order; and the inline reply
        time (reviews) when earlier. Rows that lose their reply are reset to NULL.
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
                   UNION ALL
                   SELECT channel, row_key, NULL, NULL, NULL FROM comments
                   WHERE channel IN (SELECT unnest($1)) AND first_reply_at IS NOT NULL)
                 GROUP BY channel, row_key) AS r
               WHERE c.channel = r.channel AND c.row_key = r.row_key
                 AND c.first_reply_at IS DISTINCT FROM r.v""",
            [chans],
        )

    @_retry_on_conflict
    def refresh_all(self) -> None:
        """Recompute every derived table (after settings that change brand or campaigns)."""
        with self.transaction() as cur:
            chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments").fetchall()]
            posts_chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM posts").fetchall()]
            self._apply_post_campaign_rules(cur, posts_chans)
            self.refresh_derived(cur, chans)

    @staticmethod
    def get_setting_cur(cur: duckdb.DuckDBPyConnection, key: str, default: Any) -> Any:
        row = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        if not row:
            return default
        try:
            return json.loads(row[0])
        except ValueError:
            return default

    def _apply_campaign_rules(self, cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
        # Rules only ever fill campaigns they own: a campaign that came with the file wins.
        cur.execute(
            """UPDATE comments SET campaign = NULL, campaign_source = NULL
               WHERE channel IN (SELECT unnest(?)) AND campaign_source = 'rule'""",
            [chans],
        )
        self._apply_post_campaign_rules(cur, chans)
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
                f"""UPDATE comments SET campaign = ?, campaign_source = 'rule'
                    WHERE {scope} AND campaign IS NULL AND ({cond})""",  # noqa: S608
                [campaign, *sparams, *params],
            )
        # Comments inherit their post's campaign when they have none of their own.
        cur.execute(
            """UPDATE comments AS c SET campaign = p.campaign, campaign_source = 'rule'
               FROM posts p WHERE c.channel = p.channel AND c.post_id = p.post_id
                 AND c.campaign IS NULL AND p.campaign IS NOT NULL
                 AND c.channel IN (SELECT unnest(?))""",
            [chans],
        )

    def _apply_post_campaign_rules(self, cur: duckdb.DuckDBPyConnection, chans: list[str]) -> None:
        cur.execute(
            """UPDATE posts SET campaign = NULL, campaign_source = NULL
               WHERE channel IN (SELECT unnest(?)) AND campaign_source = 'rule'""",
            [chans],
        )
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
                f"""UPDATE posts SET campaign = ?, campaign_source = 'rule'
                    WHERE {scope} AND campaign IS NULL AND ({cond})""",  # noqa: S608
                [campaign, *sparams, *params],
            )

    # -- reads for the dashboard ------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self._one("SELECT count(*) FROM comments") and not self._one(
            "SELECT count(*) FROM posts"
        )

    def table_counts(self) -> dict[str, int]:
        return {
            t: int(self._one(f"SELECT count(*) FROM {t}") or 0)  # noqa: S608 - whitelist
            for t in ("comments", "posts", "daily_metrics", "imports")
        }

    def channels(self) -> list[str]:
        rows = self._rows(
            "SELECT channel FROM (SELECT channel FROM comments UNION SELECT channel FROM posts "
            "UNION SELECT channel FROM daily_metrics) WHERE channel IS NOT NULL ORDER BY 1"
        )
        return [r[0] for r in rows]

    def rollup_channels(self) -> list[str]:
        """Channels with comments in the daily rollup (cheaper than :meth:`channels`, which
        reads the comments themselves)."""
        return [r[0] for r in self._rows("SELECT DISTINCT channel FROM channel_rollup ORDER BY 1")]

    def campaigns(self) -> list[str]:
        rows = self._rows(
            "SELECT name FROM (SELECT campaign AS name FROM daily_rollup WHERE campaign <> '' "
            "UNION SELECT campaign FROM posts WHERE campaign IS NOT NULL "
            "UNION SELECT name FROM campaigns) ORDER BY 1"
        )
        return [r[0] for r in rows]

    def date_bounds(self) -> tuple[dt.date | None, dt.date | None]:
        row = self._rows(
            "SELECT min(d), max(d) FROM (SELECT min(day) AS d FROM channel_rollup "
            "UNION ALL SELECT max(day) FROM channel_rollup "
            "UNION ALL SELECT CAST(min(created_at) AS DATE) FROM posts "
            "UNION ALL SELECT CAST(max(created_at) AS DATE) FROM posts)"
        )[0]
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

    def trust_counts(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float] | Sequence[tuple[str, float]],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> pl.DataFrame:
        """Recency-weighted counts per group, ready for ``trust.score_groups``.

        ``by`` is one of brand/channel/campaign/day/week/month; ``then_by`` optionally
        splits each group further (e.g. by=week, then_by=channel). For period groups the
        age of each day is counted from the end of its own period; otherwise from the end
        of the filter window.
        """
        if by not in _GROUP_EXPR or (then_by is not None and then_by not in _GROUP_EXPR):
            raise ValueError(f"unknown grouping {by!r}")
        where, params = self._rollup_where(f)
        if by in _PERIOD_END:
            end_expr = _PERIOD_END[by]
            end_params: list[Any] = []
        else:
            end_expr = "CAST(? AS DATE)"
            end_params = [f.end or dt.date.today()]
        if half_life_days and half_life_days > 0:
            w = f"pow(0.5, greatest(date_diff('day', day, {end_expr}), 0) / ?)"
            w_params = [*end_params, float(half_life_days)]
        else:
            w, w_params = "1.0", []
        target_case, t_params = _target_case(dict(targets), default_target)
        group = _GROUP_EXPR[by]
        sub = f", {_GROUP_EXPR[then_by]} AS sub" if then_by else ""
        sql = f"""
            SELECT {group} AS "group"{sub},
              sum(w * pos) AS pos, sum(w * neg) AS neg, sum(w * neu) AS neu,
              sum(w * audience) AS audience, sum(w * complaints) AS complaints,
              sum(w * actionable) AS actionable, sum(w * answered) AS answered,
              sum(w * tgt) AS answered_in_target,
              CAST(sum(audience) AS BIGINT) AS n_raw,
              CAST(sum(pos + neg) AS BIGINT) AS polar_raw,
              sum(unscored) AS unscored, sum(brand_replies) AS brand_replies,
              sum(n_en) AS n_en, sum(n_fr) AS n_fr, sum(n_other) AS n_other,
              sum(rating_sum) / nullif(sum(rating_n), 0) AS avg_rating,
              sum(audience) AS audience_raw, sum(actionable) AS actionable_raw,
              sum(answered) AS answered_raw, sum(tgt) AS in_target_raw,
              sum(neg) AS neg_raw, sum(pos) AS pos_raw, sum(complaints) AS complaints_raw
            FROM (SELECT *, {w} AS w, {target_case} AS tgt FROM daily_rollup WHERE {where})
            GROUP BY ALL ORDER BY 1
        """  # noqa: S608 - identifiers from whitelists
        frame = self._frame(sql, [*w_params, *t_params, *params])
        return frame

    def rollup_rows(self, f: Filters) -> dict[str, np.ndarray]:
        """The daily rollup rows of the filter's window, channels and campaigns (one per
        channel, campaign and day) as numpy arrays: ``channel``, ``day`` and every count
        column, nulls as 0.

        Read as they are, without grouping: the Overview sums them many ways itself
        (:class:`trustdash.analysis.RollupDays`), and a plain read is the cheapest query.
        """
        where, params = self._rollup_where(f)
        cols = ", ".join(_ROLLUP_COUNTS)
        with self.cursor() as cur:
            raw = cur.execute(
                f"SELECT channel, day, {cols} FROM daily_rollup WHERE {where}",  # noqa: S608 - whitelist
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
            cols = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in _ROLLUP_COUNTS)
            sql = f"SELECT channel, day, {cols} FROM daily_rollup WHERE {where} GROUP BY channel, day"  # noqa: S608 - whitelist
        else:
            cols = ", ".join(f"coalesce({c}, 0) AS {c}" for c in _ROLLUP_COUNTS)
            sql = f"SELECT channel, day, {cols} FROM channel_rollup WHERE {where}"  # noqa: S608 - whitelist
        with self.cursor() as cur:
            out = cur.execute(sql, params).fetchnumpy()
        out["day"] = out["day"].astype("datetime64[D]")
        return out

    def rollup_channel_replies(self) -> list[tuple[str, bool]]:
        """Each channel of the rollup and whether its exports carry brand replies: what
        :meth:`rollup_channels` and :meth:`reply_channels` say, in one read."""
        rows = self._rows(
            "SELECT channel, sum(brand_replies) + sum(answered) > 0 FROM channel_rollup "
            "GROUP BY 1 ORDER BY 1"
        )
        return [(r[0], bool(r[1])) for r in rows]

    def reply_channels(self) -> list[str]:
        """Channels whose exports carry brand replies (else responsiveness is not measurable)."""
        rows = self._rows(
            "SELECT channel FROM channel_rollup GROUP BY 1 "
            "HAVING sum(brand_replies) + sum(answered) > 0"
        )
        return [r[0] for r in rows]

    def weekly_sentiment(self, f: Filters, by: str = "brand") -> pl.DataFrame:
        """Weekly positive/negative counts per group (for consistency and alerts)."""
        if by not in ("brand", "channel", "campaign"):
            raise ValueError(by)
        where, params = self._rollup_where(f)
        sql = f"""SELECT {_GROUP_EXPR[by]} AS "group",
                    CAST(date_trunc('week', day) AS DATE) AS period,
                    sum(pos) AS pos, sum(neg) AS neg, sum(audience) AS total
                  FROM daily_rollup WHERE {where} GROUP BY ALL ORDER BY 1, 2"""  # noqa: S608
        return self._frame(sql, params)

    def period_sentiment(self, f: Filters, by: str = "brand") -> pl.DataFrame:
        """Negative/total counts per group and period at the filter's granularity."""
        if by not in ("brand", "channel", "campaign"):
            raise ValueError(by)
        where, params = self._rollup_where(f)
        trunc = {"day": "day", "week": "week", "month": "month"}[f.granularity]
        sql = f"""SELECT {_GROUP_EXPR[by]} AS "group",
                    CAST(date_trunc('{trunc}', day) AS DATE) AS period,
                    sum(pos) AS pos, sum(neg) AS neg, sum(audience) AS total
                  FROM daily_rollup WHERE {where} GROUP BY ALL ORDER BY 1, 2"""  # noqa: S608
        return self._frame(sql, params)

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
        plain = self._frame(f"SELECT {cols} FROM posts p WHERE {where}", params)  # noqa: S608
        if plain.height == 0:
            return plain.hstack(
                [pl.Series("pos", [], dtype=pl.Int64), pl.Series("neg", [], dtype=pl.Int64),
                 pl.Series("net_negative", [], dtype=pl.Boolean)]
            )  # fmt: skip
        sql = f"""SELECT {cols}, coalesce(s.pos, 0) AS pos, coalesce(s.neg, 0) AS neg,
                    coalesce(s.neg, 0) > coalesce(s.pos, 0) AS net_negative
                  FROM posts p LEFT JOIN post_sentiment s USING (channel, post_id)
                  WHERE {where}"""  # noqa: S608
        return self._frame(sql, params)

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
            conds.append("first_reply_at IS NOT NULL")
        elif answered == "unanswered":
            conds.append("first_reply_at IS NULL")
        if actionable:
            conds.append("(is_question OR is_complaint OR label = 'negative')")
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
        return self._frame(sql, [*params, int(limit), int(offset)])

    def count_comments(self, f: Filters, **kwargs: Any) -> int:
        where, params = self._comment_where(f, **kwargs)
        return int(self._one(f"SELECT count(*) FROM comments WHERE {where}", params) or 0)  # noqa: S608

    def comment_texts(self, f: Filters, *, limit: int = 50_000, **kwargs: Any) -> pl.DataFrame:
        """Text and label of a sample of comments (for the words that separate classes)."""
        where, params = self._comment_where(f, **kwargs)
        return self._frame(
            f"SELECT text, label FROM comments WHERE {where} AND scored "  # noqa: S608
            "ORDER BY created_at DESC LIMIT ?",
            [*params, int(limit)],
        )

    def response_times(self, f: Filters) -> pl.DataFrame:
        """Actionable audience comments with their first response delay in hours."""
        where, params = self._comment_where(f, actionable=True)
        return self._frame(
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
        return self._frame(
            f"SELECT channel, date, metric, value FROM daily_metrics WHERE {' AND '.join(conds)} "  # noqa: S608
            "ORDER BY channel, metric, date",
            params,
        )

    # -- imports history ----------------------------------------------------------------------
    def imports(self) -> pl.DataFrame:
        return self._frame(
            "SELECT id, imported_at, file_name, format_label, confidence, channel, campaign, "
            "table_name, rows_read, rows_imported, rows_updated, duplicates, rejected, "
            "imported_by, warnings FROM imports ORDER BY id DESC"
        )

    def rejected_rows(self, import_id: int) -> pl.DataFrame:
        return self._frame(
            "SELECT row_number, reason, raw FROM rejected_rows WHERE import_id = ? "
            "ORDER BY row_number",
            [int(import_id)],
        )

    @_retry_on_conflict
    def delete_import(self, import_id: int) -> dict[str, int]:
        """Undo an import: its rows, rejected rows, and everything derived from them."""
        with self.transaction() as cur:
            chans = {
                r[0]
                for t in ("comments", "posts", "daily_metrics")
                for r in cur.execute(
                    f"SELECT DISTINCT channel FROM {t} WHERE import_id = ?", [int(import_id)]  # noqa: S608
                ).fetchall()
            }
            removed = {}
            for t in ("comments", "posts", "daily_metrics", "rejected_rows"):
                col = "import_id"
                n = cur.execute(
                    f"DELETE FROM {t} WHERE {col} = ?", [int(import_id)]  # noqa: S608
                ).fetchone()
                removed[t] = int(n[0]) if n else 0
            cur.execute("DELETE FROM imports WHERE id = ?", [int(import_id)])
            self._purge_orphans(cur)
            self.refresh_derived(cur, sorted(chans))
        return removed

    @_retry_on_conflict
    def delete_channel(self, channel: str) -> dict[str, int]:
        """Remove a channel from every table, rollup and cache."""
        with self.transaction() as cur:
            removed = {}
            # Imports that held only this channel go too, with their rejected rows (raw
            # cells of that channel's files must not linger).
            only = [
                r[0]
                for r in cur.execute(
                    """SELECT id FROM imports i WHERE channel = ? OR EXISTS (
                         SELECT 1 FROM comments c WHERE c.import_id = i.id AND c.channel = ?)
                       OR EXISTS (SELECT 1 FROM posts p WHERE p.import_id = i.id
                         AND p.channel = ?)""",
                    [channel, channel, channel],
                ).fetchall()
            ]
            for t in ("comments", "posts", "daily_metrics", "daily_rollup", "channel_rollup",
                      "post_sentiment", "label_overrides", "notable_comments"):  # fmt: skip
                n = cur.execute(f"DELETE FROM {t} WHERE channel = ?", [channel]).fetchone()  # noqa: S608
                removed[t] = int(n[0]) if n else 0
            emptied = [
                i for i in only
                if not any(
                    cur.execute(
                        f"SELECT 1 FROM {t} WHERE import_id = ? LIMIT 1", [i]  # noqa: S608
                    ).fetchone()
                    for t in ("comments", "posts", "daily_metrics")
                )
            ]  # fmt: skip
            if emptied:
                n = cur.execute(
                    "DELETE FROM rejected_rows WHERE import_id IN (SELECT unnest(?))", [emptied]
                ).fetchone()
                removed["rejected_rows"] = int(n[0]) if n else 0
                cur.execute("DELETE FROM imports WHERE id IN (SELECT unnest(?))", [emptied])
                removed["imports"] = len(emptied)
            self._purge_orphans(cur)
        return removed

    @_retry_on_conflict
    def forget_author(self, author: str) -> int:
        """Remove every comment by ``author`` (and its cached scores), then refresh rollups."""
        with self.transaction() as cur:
            chans = [
                r[0]
                for r in cur.execute(
                    "SELECT DISTINCT channel FROM comments WHERE author = ?", [author]
                ).fetchall()
            ]
            n = cur.execute("DELETE FROM comments WHERE author = ?", [author]).fetchone()
            cur.execute(
                "UPDATE posts SET author = NULL WHERE author = ?", [author]
            )
            cur.execute(
                "DELETE FROM rejected_rows WHERE raw ILIKE ?",
                ["%" + author.replace("%", r"\%").replace("_", r"\_") + "%"],
            )
            self._purge_orphans(cur)
            self.refresh_derived(cur, chans)
        return int(n[0]) if n else 0

    @staticmethod
    def _purge_orphans(cur: duckdb.DuckDBPyConnection) -> None:
        # Cached scores are keyed by text; drop those no comment uses any more so that
        # deleted text does not linger in the store.
        cur.execute(
            "DELETE FROM sentiment_cache WHERE text_key NOT IN "
            "(SELECT text_key FROM comments WHERE text_key IS NOT NULL)"
        )
        cur.execute(
            "DELETE FROM label_overrides o WHERE NOT EXISTS (SELECT 1 FROM comments c "
            "WHERE c.channel = o.channel AND c.row_key = o.row_key)"
        )

    # -- manual corrections -----------------------------------------------------------------
    @_retry_on_conflict
    def set_label(self, channel: str, row_key: str, label: str, user: str | None = None) -> None:
        polarity = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}[label]
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM label_overrides WHERE channel = ? AND row_key = ?", [channel, row_key]
            )
            cur.execute(
                "INSERT INTO label_overrides VALUES (?, ?, ?, ?, ?, ?)",
                [channel, row_key, label, polarity, user, _now()],
            )
            cur.execute(
                "UPDATE comments SET label = ?, polarity = ? WHERE channel = ? AND row_key = ?",
                [label, polarity, channel, row_key],
            )
            self.refresh_derived(cur, [channel])

    @_retry_on_conflict
    def clear_label(self, channel: str, row_key: str) -> None:
        with self.transaction() as cur:
            cur.execute(
                "DELETE FROM label_overrides WHERE channel = ? AND row_key = ?", [channel, row_key]
            )
            cur.execute(
                "UPDATE comments SET label = model_label, polarity = model_polarity "
                "WHERE channel = ? AND row_key = ?",
                [channel, row_key],
            )
            self.refresh_derived(cur, [channel])

    def label_overrides(self) -> pl.DataFrame:
        return self._frame(
            "SELECT o.channel, o.row_key, o.label, c.model_label, c.text, o.created_by, "
            "o.created_at FROM label_overrides o LEFT JOIN comments c USING (channel, row_key) "
            "ORDER BY o.created_at DESC"
        )

    # -- campaigns, rules, annotations ------------------------------------------------------
    def add_campaign_rule(
        self,
        campaign: str,
        kind: str,
        value: str = "",
        *,
        channel: str | None = None,
        start: dt.date | None = None,
        end: dt.date | None = None,
    ) -> int:
        if kind not in ("hashtag", "keyword", "post_id", "date_window"):
            raise StoreError(f"Unknown rule kind {kind!r}.")
        if not campaign.strip():
            raise StoreError("A campaign rule needs a campaign name.")
        with self.transaction() as cur:
            rule_id = self._new_id(cur, "campaign_rules")
            cur.execute(
                "INSERT INTO campaign_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rule_id, campaign.strip(), kind, value, channel or None, start, end, _now()],
            )
        self.refresh_all()
        return rule_id

    def campaign_rules(self) -> pl.DataFrame:
        return self._frame(
            "SELECT id, campaign, kind, value, channel, start_date, end_date FROM campaign_rules "
            "ORDER BY id"
        )

    @_retry_on_conflict
    def delete_campaign_rule(self, rule_id: int) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM campaign_rules WHERE id = ?", [int(rule_id)])
        self.refresh_all()

    def campaign_windows(self) -> pl.DataFrame:
        """First and last activity date per campaign (for before/during/after)."""
        return self._frame(
            """SELECT campaign, min(day) AS start_date, max(day) AS end_date,
                      sum(audience) AS comments
               FROM daily_rollup WHERE campaign <> '' GROUP BY 1 ORDER BY 2"""
        )

    @_retry_on_conflict
    def add_annotation(self, day: dt.date, text: str, channel: str | None = None) -> int:
        with self.transaction() as cur:
            ann_id = self._new_id(cur, "annotations")
            cur.execute(
                "INSERT INTO annotations VALUES (?, ?, ?, ?, ?)",
                [ann_id, day, channel or None, text, _now()],
            )
        return ann_id

    def annotations(self, f: Filters | None = None) -> pl.DataFrame:
        conds, params = ["TRUE"], []
        if f and f.start:
            conds.append("date >= ?")
            params.append(f.start)
        if f and f.end:
            conds.append("date <= ?")
            params.append(f.end)
        return self._frame(
            f"SELECT id, date, channel, text FROM annotations WHERE {' AND '.join(conds)} "  # noqa: S608
            "ORDER BY date",
            params,
        )

    @_retry_on_conflict
    def delete_annotation(self, ann_id: int) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM annotations WHERE id = ?", [int(ann_id)])

    # -- mapping profiles ---------------------------------------------------------------------
    def mapping_profiles(self) -> dict[str, dict]:
        out = {}
        for sig, name, profile in self._rows(
            "SELECT signature, name, profile FROM mapping_profiles"
        ):
            with contextlib.suppress(ValueError):
                out[sig] = {"name": name, **json.loads(profile)}
        return out

    @_retry_on_conflict
    def save_mapping_profile(self, signature: str, name: str, profile: Mapping[str, Any]) -> None:
        with self.transaction() as cur:
            cur.execute("DELETE FROM mapping_profiles WHERE signature = ?", [signature])
            cur.execute(
                "INSERT INTO mapping_profiles VALUES (?, ?, ?, ?)",
                [signature, name, json.dumps(dict(profile)), _now()],
            )

    def data_version(self) -> str:
        """Changes whenever anything a view shows could change (imports, deletions,
        settings, rules, labels): the key of the app's result cache. Cheap: small tables
        and rollups only, one UNION query (a SELECT of many scalar subqueries plans slowly)."""
        rows = self._rows(
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

    def top_comments(
        self, f: Filters, channels: Sequence[str], *, per_channel: int = 3, worst: bool = True
    ) -> pl.DataFrame:
        """The most negative (or positive) audience comments of each channel in the window,
        read from the small notable-comments table kept at import (no scan of comments)."""
        g = f.with_(channels=tuple(channels))
        where, params = self._rollup_where(g)
        order = "polarity ASC" if worst else "polarity DESC"
        label = "negative" if worst else "positive"
        return self._frame(
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
        return self._frame(
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

    def baseline_scan(self, campaign: str | None = None) -> pl.DataFrame:
        """One plain GROUP BY channel over the raw comments (the benchmarks' yardstick)."""
        if campaign is None:
            return self._frame(
                "SELECT channel, count(*) AS n, avg(polarity) AS polarity FROM comments "
                "GROUP BY channel"
            )
        return self._frame(
            "SELECT channel, count(*) AS n, avg(polarity) AS polarity FROM comments "
            "WHERE campaign = ? GROUP BY channel",
            [campaign],
        )

    # -- rescoring --------------------------------------------------------------------------
    def distinct_texts(self, part: int, parts: int) -> pl.DataFrame:
        """Distinct comment texts of one hash partition (rescoring goes part by part so
        that memory stays bounded)."""
        return self._frame(
            "SELECT DISTINCT coalesce(text, '') AS text FROM comments "
            "WHERE hash(coalesce(text, '')) % ? = ?",
            [int(parts), int(part)],
        )

    def apply_scores(self, scores: pl.DataFrame) -> int:
        """Store new sentiment for texts (columns text, text_key, polarity, label, lang,
        scored, is_complaint, is_question). Manually relabelled comments keep their label."""
        cols = ["text", "text_key", "polarity", "label", "lang", "scored", "is_complaint",
                "is_question"]  # fmt: skip
        with self.transaction() as cur:
            cur.register("rescored", scores.select(cols).to_arrow())
            try:
                res = cur.execute(
                    """UPDATE comments AS c SET text_key = s.text_key,
                         model_polarity = s.polarity, model_label = s.label,
                         polarity = s.polarity, label = s.label, lang = s.lang,
                         scored = s.scored, is_complaint = s.is_complaint,
                         is_question = s.is_question
                       FROM rescored s WHERE coalesce(c.text, '') = s.text
                         AND NOT EXISTS (SELECT 1 FROM label_overrides o
                           WHERE o.channel = c.channel AND o.row_key = c.row_key)"""
                ).fetchone()
                cur.execute(
                    """INSERT INTO sentiment_cache SELECT DISTINCT ON (text_key) text_key,
                         polarity, label, lang, scored, is_complaint, is_question
                       FROM rescored s WHERE NOT EXISTS (SELECT 1 FROM sentiment_cache c
                         WHERE c.text_key = s.text_key)"""
                )
            finally:
                cur.unregister("rescored")
        return int(res[0]) if res else 0

    # -- export -----------------------------------------------------------------------------
    def table_frame(self, table: str, f: Filters | None = None) -> pl.DataFrame:
        if table not in EXPORT_TABLES:
            raise StoreError(f"Unknown table {table!r}; choose one of {', '.join(EXPORT_TABLES)}.")
        return self._frame(f"SELECT * FROM {table}")  # noqa: S608 - whitelist

    def search_everywhere(self, needle: str) -> list[str]:
        """Tables/columns whose text contains ``needle`` (privacy checks)."""
        hits = []
        # The catalog filter keeps DuckLake's in-memory host database and registered Arrow
        # views out of the search; one scan per table keeps DuckLake's per-query cost low.
        cols: dict[str, list[str]] = {}
        for t, c in self._rows(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR' AND table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY table_name, ordinal_position"
        ):
            cols.setdefault(t, []).append(c)
        pattern = "%" + needle + "%"
        for t, names in cols.items():
            counts = self._rows(
                "SELECT "  # noqa: S608 - catalog names
                + ", ".join(f'count(*) FILTER (WHERE "{c}" ILIKE ?)' for c in names)
                + f' FROM "{t}"',
                [pattern] * len(names),
            )[0]
            hits.extend(f"{t}.{c}" for c, n in zip(names, counts, strict=True) if n)
        return hits

    # -- backup and restore (see trustdash.backup) ---------------------------------------------
    @contextlib.contextmanager
    def table_reader(self, table: str, batch_rows: int = 100_000) -> Iterator[Any]:
        """A pyarrow ``RecordBatchReader`` over one backed-up table (streamed, not loaded)."""
        if table not in BACKUP_TABLES:
            raise StoreError(f"Unknown table {table!r}.")
        with self.cursor() as cur:
            yield cur.execute(f"SELECT * FROM {table}").fetch_record_batch(batch_rows)  # noqa: S608 - whitelist

    def replace_tables(self, parquet_files: Mapping[str, str | Path]) -> dict[str, int]:
        """Replace the given tables by the rows of their Parquet files, in one transaction,
        then recompute every derived table in that same transaction."""
        unknown = [t for t in parquet_files if t not in BACKUP_TABLES]
        if unknown:
            raise StoreError(f"Unknown table(s) in the backup: {', '.join(sorted(unknown))}.")
        counts: dict[str, int] = {}
        with self.transaction() as cur:
            for table in BACKUP_TABLES:
                if table not in parquet_files:
                    continue
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - whitelist
                res = cur.execute(
                    f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)",  # noqa: S608
                    [str(parquet_files[table])],
                ).fetchone()
                counts[table] = int(res[0]) if res else 0
            for table in DERIVED_TABLES:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - whitelist
            chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM comments").fetchall()]
            post_chans = [r[0] for r in cur.execute("SELECT DISTINCT channel FROM posts").fetchall()]
            self._apply_post_campaign_rules(cur, post_chans)
            self.refresh_derived(cur, chans)
        # Restored settings replaced the backend's hidden id counters: re-create them.
        self.migrate()
        return counts

    # -- corrections in bulk ----------------------------------------------------------------
    def same_text_rows(self, channel: str, row_key: str) -> list[tuple[str, str]]:
        """(channel, row_key) of every audience comment whose text equals this comment's."""
        rows = self._rows(
            """SELECT c.channel, c.row_key FROM comments c JOIN comments t
                 ON coalesce(c.text, '') = coalesce(t.text, '')
               WHERE t.channel = ? AND t.row_key = ? AND NOT c.is_brand
               ORDER BY c.channel, c.row_key""",
            [channel, row_key],
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    @_retry_on_conflict
    def set_labels(
        self, keys: Sequence[tuple[str, str]], label: str | None, user: str | None = None
    ) -> int:
        """Label comments by hand in one transaction; ``None`` gives them back to the scorer.

        A comment labelled positive or neutral is not counted as a complaint; labelled
        negative or given back to the scorer, it takes the scorer's complaint flag again.
        Returns the number of comments changed."""
        polarity = {"positive": 0.5, "neutral": 0.0, "negative": -0.5, None: None}[label]
        pairs = list(dict.fromkeys((str(c), str(k)) for c, k in keys))
        if not pairs:
            return 0
        picked = pl.DataFrame(
            {"channel": [c for c, _ in pairs], "row_key": [k for _, k in pairs]},
            schema={"channel": pl.String, "row_key": pl.String},
        )
        with self.transaction() as cur:
            cur.register("relabel_keys", picked.to_arrow())
            try:
                cur.execute(
                    """DELETE FROM label_overrides o WHERE EXISTS (SELECT 1 FROM relabel_keys k
                         WHERE k.channel = o.channel AND k.row_key = o.row_key)"""
                )
                if label is not None:
                    cur.execute(
                        "INSERT INTO label_overrides SELECT channel, row_key, ?, ?, ?, ? "
                        "FROM relabel_keys",
                        [label, polarity, user, _now()],
                    )
                # The scorer's complaint flag per comment, from the score cache by text.
                cur.execute(
                    """CREATE TEMP TABLE relabel_rows AS
                       SELECT c.channel, c.row_key, coalesce(s.is_complaint, c.is_complaint)
                                AS scorer_complaint
                       FROM comments c JOIN relabel_keys k USING (channel, row_key)
                       LEFT JOIN (SELECT DISTINCT ON (text_key) text_key, is_complaint
                                  FROM sentiment_cache) s ON s.text_key = c.text_key"""
                )
            finally:
                cur.unregister("relabel_keys")
            try:
                if label is None:
                    res = cur.execute(
                        """UPDATE comments AS c SET label = c.model_label,
                             polarity = c.model_polarity, is_complaint = r.scorer_complaint
                           FROM relabel_rows r
                           WHERE c.channel = r.channel AND c.row_key = r.row_key"""
                    ).fetchone()
                else:
                    res = cur.execute(
                        """UPDATE comments AS c SET label = ?, polarity = ?,
                             is_complaint = CASE WHEN ? = 'negative' THEN r.scorer_complaint
                                                 ELSE false END
                           FROM relabel_rows r
                           WHERE c.channel = r.channel AND c.row_key = r.row_key""",
                        [label, polarity, label],
                    ).fetchone()
            finally:
                cur.execute("DROP TABLE IF EXISTS relabel_rows")
            self.refresh_derived(cur, sorted({c for c, _ in pairs}))
        return int(res[0]) if res else 0


def _journaled(method: Callable[..., None]) -> Callable[..., None]:
    """Record a write of the batch so that a lost commit race can re-apply it."""

    @functools.wraps(method)
    def wrapper(self: ImportBatch, *args: Any) -> None:
        if self._journal is not None and not self._replaying:
            self._journal.append((method.__name__, tuple(self._keep(a) for a in args)))
        method(self, *args)

    return wrapper


class ImportBatch:
    """Rows of one import, written inside its transaction (see :meth:`Store.import_batch`)."""

    def __init__(self, store: Store, cur: duckdb.DuckDBPyConnection, import_id: int) -> None:
        self.store = store
        self.cur = cur
        self.import_id = import_id
        self.counts = ImportCounts()
        self.rows_read = 0
        self.rejected = 0
        self.channels: set[str] = set()
        self.post_channels: set[str] = set()
        self.attempts = 1
        # Only DuckLake commits can lose a race; the embedded file has one writer.
        self._journal: list[tuple[str, tuple]] | None = [] if store.backend == "ducklake" else None
        self._spill: Path | None = None
        self._replaying = False
        # Embedded store: comment rows wait in Parquet files and go in with one INSERT ...
        # SELECT at the end. Appended inside the open transaction, they would all stay in
        # memory until the commit (DuckDB keeps a transaction's appends in memory), so the
        # memory of an import would grow with the file. (DuckLake keeps its own path.)
        self._staged: list[str] | None = None if store.backend == "ducklake" else []

    def _spill_dir(self) -> Path:
        if self._spill is None:
            root = self.store.staging_dir
            if root is not None:
                root.mkdir(parents=True, exist_ok=True)
            prefix = f"import-{os.getpid()}-"
            self._spill = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        return self._spill

    def _keep(self, arg: Any) -> Any:
        if not isinstance(arg, pl.DataFrame):
            return arg
        # Frames go to local Arrow files, not RAM: a retried import may be millions of rows.
        path = self._spill_dir() / f"{len(self._journal or ())}.arrow"
        arg.write_ipc(path)
        return path

    def _replay(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Re-apply the journal in a new transaction (after a lost commit race)."""
        self.cur = cur
        self.counts = ImportCounts()
        self.rejected = 0
        self.channels.clear()
        self.post_channels.clear()
        self._replaying = True
        try:
            for name, args in self._journal or ():
                loaded = [pl.read_ipc(a) if isinstance(a, Path) else a
                          for a in args]  # fmt: skip
                getattr(self, name)(*loaded)
        finally:
            self._replaying = False

    def _drop_journal(self) -> None:
        self._journal = None
        if self._spill is not None:
            shutil.rmtree(self._spill, ignore_errors=True)
            self._spill = None

    def cached_scores(self, keys: pl.Series) -> pl.DataFrame:
        frame = pl.DataFrame({"text_key": keys.unique()})
        self.cur.register("wanted_keys", frame.to_arrow())
        try:
            return self.cur.execute(
                "SELECT c.* FROM sentiment_cache c JOIN wanted_keys w USING (text_key)"
            ).pl()
        finally:
            self.cur.unregister("wanted_keys")

    @_journaled
    def cache_scores(self, scores: pl.DataFrame) -> None:
        if scores.is_empty():
            return
        cols = ["text_key", "polarity", "label", "lang", "scored", "is_complaint", "is_question"]
        self.cur.register("new_scores", scores.select(cols).unique("text_key").to_arrow())
        try:
            self.cur.execute(
                "INSERT INTO sentiment_cache SELECT n.* FROM new_scores n "
                "WHERE NOT EXISTS (SELECT 1 FROM sentiment_cache c WHERE c.text_key = n.text_key)"
            )
        finally:
            self.cur.unregister("new_scores")

    @_journaled
    def add_comments(self, frame: pl.DataFrame) -> None:
        """Insert prepared comment rows (all of :data:`COMMENT_INSERT_COLUMNS`); rows whose
        (channel, row_key) already exists are counted as duplicates."""
        if frame.is_empty():
            return
        frame = frame.with_columns(pl.lit(self.import_id, dtype=pl.Int64).alias("import_id"))
        if any(t == pl.Object for t in frame.schema.values()):
            # Python objects are not data DuckDB can store: refuse rather than store garbage.
            raise StoreError("internal error: a column of Python objects reached the store")
        staged = frame.select(COMMENT_INSERT_COLUMNS).unique(
            ["channel", "row_key"], keep="first", maintain_order=True
        )
        # Find the keys already stored with a semi join whose hash table is built on the
        # small staged batch (memory stays bounded however big the table grows), drop
        # them here, then append the rest as is.
        keys = staged.select("channel", "row_key")
        self.cur.register("staged_keys", keys.to_arrow())
        try:
            existing = self.cur.execute(
                """SELECT c.channel, c.row_key FROM comments c
                   SEMI JOIN staged_keys s ON c.channel = s.channel AND c.row_key = s.row_key
                   WHERE c.channel IN (SELECT DISTINCT channel FROM staged_keys)"""
            ).pl()
            if self._staged:  # rows of this import's earlier batches
                earlier = self.cur.execute(
                    """SELECT p.channel, p.row_key FROM read_parquet(?) p
                       SEMI JOIN staged_keys s ON p.channel = s.channel AND p.row_key = s.row_key""",
                    [self._staged],
                ).pl()
                existing = pl.concat([existing, earlier], how="vertical_relaxed")
        finally:
            self.cur.unregister("staged_keys")
        if existing.height:
            staged = staged.join(existing, on=["channel", "row_key"], how="anti")
        inserted = staged.height
        if inserted and self._staged is not None:
            path = self._spill_dir() / f"comments-{len(self._staged)}.parquet"
            staged.write_parquet(path, compression="snappy", statistics=False)
            self._staged.append(str(path))
        elif inserted:
            self.cur.register("staged_comments", _row_group_batches(staged))
            try:
                cols = ", ".join(COMMENT_INSERT_COLUMNS)
                self.cur.execute(
                    f"INSERT INTO comments ({cols}) SELECT {cols} FROM staged_comments"  # noqa: S608
                )
            finally:
                self.cur.unregister("staged_comments")
        self.counts.rows_imported += inserted
        self.counts.duplicates += frame.height - inserted
        self.channels.update(staged.get_column("channel").unique().drop_nulls().to_list())

    @_journaled
    def add_posts(self, frame: pl.DataFrame) -> None:
        """Upsert posts on (channel, post_id): lifetime metrics of a later export win."""
        if frame.is_empty():
            return
        staged = frame.select(POST_COLUMNS).unique(
            ["channel", "post_id"], keep="last", maintain_order=True
        )
        self.cur.register("staged_posts", staged.to_arrow())
        try:
            metric_changed = " OR ".join(
                f"(s.{m} IS NOT NULL AND s.{m} IS DISTINCT FROM p.{m})" for m in _POST_METRICS
            )
            upd = self.cur.execute(
                """UPDATE posts AS p SET """  # noqa: S608 - columns from a whitelist
                + ", ".join(f"{m} = coalesce(s.{m}, p.{m})" for m in _POST_METRICS)
                + f""", text = coalesce(p.text, s.text), url = coalesce(p.url, s.url),
                    campaign = coalesce(s.campaign, p.campaign),
                    import_id = ?, updated_at = ?
                    FROM staged_posts s
                    WHERE p.channel = s.channel AND p.post_id = s.post_id
                      AND ({metric_changed})""",  # noqa: S608
                [self.import_id, _now()],
            ).fetchone()
            cols = ", ".join(POST_COLUMNS)
            ins = self.cur.execute(
                f"""INSERT INTO posts ({cols}, campaign_source, import_id, updated_at)
                    SELECT {cols}, CASE WHEN campaign IS NOT NULL THEN 'file' END, ?, ?
                    FROM staged_posts s WHERE NOT EXISTS (
                      SELECT 1 FROM posts p WHERE p.channel = s.channel
                        AND p.post_id = s.post_id)""",  # noqa: S608
                [self.import_id, _now()],
            ).fetchone()
        finally:
            self.cur.unregister("staged_posts")
        updated = int(upd[0]) if upd else 0
        inserted = int(ins[0]) if ins else 0
        self.counts.rows_imported += inserted
        self.counts.rows_updated += updated
        self.counts.duplicates += frame.height - inserted - updated
        self.post_channels.update(staged.get_column("channel").unique().drop_nulls().to_list())

    @_journaled
    def add_daily_metrics(self, frame: pl.DataFrame) -> None:
        """Upsert (channel, date, metric): the latest export's value wins."""
        if frame.is_empty():
            return
        staged = frame.select("channel", "date", "metric", "value").unique(
            ["channel", "date", "metric"], keep="last", maintain_order=True
        )
        self.cur.register("staged_metrics", staged.to_arrow())
        try:
            upd = self.cur.execute(
                """UPDATE daily_metrics AS d SET value = s.value, import_id = ?
                   FROM staged_metrics s WHERE d.channel = s.channel AND d.date = s.date
                     AND d.metric = s.metric AND d.value IS DISTINCT FROM s.value""",
                [self.import_id],
            ).fetchone()
            ins = self.cur.execute(
                """INSERT INTO daily_metrics SELECT s.channel, s.date, s.metric, s.value, ?
                   FROM staged_metrics s WHERE NOT EXISTS (SELECT 1 FROM daily_metrics d
                     WHERE d.channel = s.channel AND d.date = s.date AND d.metric = s.metric)""",
                [self.import_id],
            ).fetchone()
        finally:
            self.cur.unregister("staged_metrics")
        updated = int(upd[0]) if upd else 0
        inserted = int(ins[0]) if ins else 0
        self.counts.rows_imported += inserted
        self.counts.rows_updated += updated
        self.counts.duplicates += frame.height - inserted - updated

    @_journaled
    def add_rejected(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Rejected rows as (row number, reason, raw JSON)."""
        if not rows:
            return
        self.rejected += len(rows)
        self.cur.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?)",
            [[self.import_id, int(r), reason, raw] for r, reason, raw in rows[:10_000]],
        )

    def _finish(self) -> None:
        if self._staged:
            cols = ", ".join(COMMENT_INSERT_COLUMNS)
            self.cur.execute(
                f"INSERT INTO comments ({cols}) SELECT {cols} FROM read_parquet(?)",  # noqa: S608
                [self._staged],
            )
        if self.post_channels:
            self.store._apply_post_campaign_rules(self.cur, sorted(self.post_channels))
        self.store.refresh_derived(self.cur, sorted(self.channels | self.post_channels))
        self.cur.execute(
            """UPDATE imports SET rows_read = ?, rows_imported = ?, rows_updated = ?,
               duplicates = ?, rejected = ? WHERE id = ?""",
            [
                self.rows_read, self.counts.rows_imported, self.counts.rows_updated,
                self.counts.duplicates, self.rejected, self.import_id,
            ],
        )  # fmt: skip


# Record batches of half a DuckDB row group: an INSERT then compresses and writes the
# row groups of a batch on all threads instead of one (one big batch is one scan task).
_INSERT_CHUNK = 122_880 // 2


def _row_group_batches(frame: pl.DataFrame) -> Any:
    """``frame`` as an Arrow table cut into record batches DuckDB can insert in parallel."""
    import pyarrow as pa

    table = frame.to_arrow()
    return pa.Table.from_batches(table.to_batches(max_chunksize=_INSERT_CHUNK), table.schema)


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


def _target_case(targets: Mapping[str, float], default: float) -> tuple[str, list[Any]]:
    """SQL picking each channel's answered-within-target bucket (columns from a whitelist)."""
    parts, params = [], []
    for channel, hours in sorted(targets.items()):
        parts.append(f"WHEN ? THEN {_BUCKET_COL[snap_target(hours)]}")
        params.append(channel)
    default_col = _BUCKET_COL[snap_target(default)]
    if not parts:
        return default_col, []
    return "CASE channel " + " ".join(parts) + f" ELSE {default_col} END", params


def bucket_column(hours: float) -> str:
    """The rollup column counting replies within a target time (see :func:`snap_target`)."""
    return _BUCKET_COL[snap_target(hours)]


def snap_target(hours: float) -> int:
    """The rollup bucket used for a target time (the largest bucket not above it)."""
    best = TARGET_BUCKETS[0]
    for b in TARGET_BUCKETS:
        if b <= hours + 1e-9:
            best = b
    return best


def _conflict_message(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return f"Another process changed the same data at the same time ({first[:200]}); try again."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _clear_dead_staging(root: Path) -> None:
    """Remove what imports of dead processes left in ``root``: only this process can hold
    the DuckDB file open, so a folder of another process is from an import that died."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        parts = child.name.split("-")
        pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
        if pid == os.getpid():
            continue  # another Store of this process may be importing
        shutil.rmtree(child, ignore_errors=True)


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(target: str | Path | None = None) -> Store:
    """The process-wide store for ``target`` (one connection per process)."""
    key = config.db_target(target)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = Store(key)
            _STORES[key] = store
        return store


def close_all() -> None:
    with _STORES_LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()
