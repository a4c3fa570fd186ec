"""Import batches: one import is one transaction, written through an :class:`ImportBatch`.

The batch deduplicates and upserts comments, posts and daily metrics against what is
stored, keeps the comment rows of an embedded store in staging Parquet files until the
end, journals its writes on DuckLake so that a lost commit race re-applies them on a
fresh snapshot, and refreshes the derived tables of the channels it touched.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from trustdash.i18n import tr
from trustdash.store import lake
from trustdash.store.db import (
    IMPORT_ATTEMPTS,
    IMPORT_GUARD_KEY,
    Database,
    StoreConflict,
    StoreError,
    now,
)
from trustdash.store.derived import apply_post_campaign_rules, refresh_derived
from trustdash.store.schema import COMMENT_INSERT_COLUMNS, POST_COLUMNS

_POST_METRICS = ("impressions", "reach", "views", "likes", "comments", "shares", "saves", "clicks")


@dataclass
class ImportCounts:
    rows_imported: int = 0
    rows_updated: int = 0
    duplicates: int = 0


class Batches(Database):
    """The store's imports."""

    # Comment batches of an embedded store's imports wait here (see ImportBatch).
    staging_dir: Path | None = None

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
        with self.write_lock:
            # Claimed before the import's transaction starts: a claim committed after its
            # snapshot would make the import's own guard update below conflict.
            with self.cursor() as idcur:
                import_id = self.new_id(idcur, "imports")
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
            cur.execute("UPDATE settings SET value = value WHERE key = ?", [IMPORT_GUARD_KEY])

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
                json.dumps(meta.get("warnings", [])), meta.get("imported_by"), now(),
                meta.get("options", ""),
            ],
        )  # fmt: skip


def _journaled(method: Callable[..., None]) -> Callable[..., None]:
    """Record a write of the batch so that a lost commit race can re-apply it."""

    @functools.wraps(method)
    def wrapper(self: ImportBatch, *args: Any) -> None:
        if self._journal is not None and not self._replaying:
            self._journal.append((method.__name__, tuple(self._keep(a) for a in args)))
        method(self, *args)

    return wrapper


class ImportBatch:
    """Rows of one import, written inside its transaction (see :meth:`Batches.import_batch`)."""

    def __init__(self, store: Batches, cur: duckdb.DuckDBPyConnection, import_id: int) -> None:
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
            raise StoreError(tr("internal error: a column of Python objects reached the store"))
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
                [self.import_id, now()],
            ).fetchone()
            cols = ", ".join(POST_COLUMNS)
            ins = self.cur.execute(
                f"""INSERT INTO posts ({cols}, campaign_source, import_id, updated_at)
                    SELECT {cols}, CASE WHEN campaign IS NOT NULL THEN 'file' END, ?, ?
                    FROM staged_posts s WHERE NOT EXISTS (
                      SELECT 1 FROM posts p WHERE p.channel = s.channel
                        AND p.post_id = s.post_id)""",  # noqa: S608
                [self.import_id, now()],
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
    def set_warnings(self, warnings: Sequence[str]) -> None:
        """The import record's warnings (notes found while reading the file)."""
        self.cur.execute(
            "UPDATE imports SET warnings = ? WHERE id = ?",
            [json.dumps(list(warnings)), self.import_id],
        )

    def stored_daily_values(
        self, channels: Sequence[str], start: Any, end: Any
    ) -> pl.DataFrame:
        """The stored daily metrics of ``channels`` between two dates (``channel``, ``date``,
        ``metric``, ``stored``), as this import's transaction sees them."""
        return self.cur.execute(
            "SELECT channel, date, metric, value AS stored FROM daily_metrics "
            "WHERE list_contains(?, channel) AND date BETWEEN ? AND ?",
            [list(channels), start, end],
        ).pl()

    @_journaled
    def add_rejected(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Rejected rows as (row number, reason, raw JSON)."""
        if not rows:
            return
        self.rejected += len(rows)
        kept = rows[:10_000]
        # One columnar insert: executemany costs seconds for 10,000 rows (more with
        # non-ASCII reasons, as in French).
        frame = pl.DataFrame(
            {
                "import_id": [self.import_id] * len(kept),
                "row_number": [int(r) for r, _, _ in kept],
                "reason": [reason for _, reason, _ in kept],
                "raw": [raw for _, _, raw in kept],
            },
            schema={"import_id": pl.Int64, "row_number": pl.Int64, "reason": pl.String,
                    "raw": pl.String},
        )  # fmt: skip
        self.cur.register("new_rejected", frame.to_arrow())
        try:
            self.cur.execute(
                "INSERT INTO rejected_rows SELECT import_id, row_number, reason, raw "
                "FROM new_rejected"
            )
        finally:
            self.cur.unregister("new_rejected")

    def _finish(self) -> None:
        if self._staged:
            cols = ", ".join(COMMENT_INSERT_COLUMNS)
            self.cur.execute(
                f"INSERT INTO comments ({cols}) SELECT {cols} FROM read_parquet(?)",  # noqa: S608
                [self._staged],
            )
        if self.post_channels:
            apply_post_campaign_rules(self.cur, sorted(self.post_channels))
        refresh_derived(self.cur, sorted(self.channels | self.post_channels))
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


def clear_dead_staging(root: Path) -> bool:
    """Remove what imports of dead processes left in ``root``: only this process can hold
    the DuckDB file open, so a folder of another process is from an import that died.
    Returns whether there was any."""
    if not root.is_dir():
        return False
    found = False
    for child in root.iterdir():
        parts = child.name.split("-")
        pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
        if pid == os.getpid():
            continue  # another Store of this process may be importing
        shutil.rmtree(child, ignore_errors=True)
        found = True
    return found


def prepare_staging(target: str, backend: str) -> tuple[Path | None, bool]:
    """The staging folder of an embedded store file (``None`` for DuckLake and in-memory
    stores), cleared of dead imports' leftovers, and whether there were any."""
    if backend != "embedded" or target == ":memory:":
        return None, False
    root = Path(target + ".staging")
    return root, clear_dead_staging(root)
