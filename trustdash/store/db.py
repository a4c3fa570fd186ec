"""The database under the store: connection, backends, cursors, transactions, ids.

One DuckDB connection per process and target, a cursor per call (cursors are cheap and
make the connection safe to share between Streamlit's threads). Every value goes in as a
parameter; the few identifiers that vary come from fixed whitelists of the store package,
never from user input.

Writes are serialised inside the process by a lock and each write runs in one
transaction: a failed or killed write leaves nothing behind.

Two backends sit behind the same interface, chosen by the target alone: a DuckDB file
(embedded, one writing process) or ``ducklake:postgres:...`` (DuckLake, see
:mod:`trustdash.store.lake`: many processes, snapshot reads, writes that lose a commit
conflict are re-run, see :func:`retry_on_conflict`). The SQL is the same for both, so the
schema has no PRIMARY KEY or UNIQUE constraints (DuckLake has none): uniqueness comes from
the anti-join inserts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from trustdash import config
from trustdash.i18n import tr
from trustdash.store import lake


class StoreBusy(RuntimeError):
    """The store file is held by another process."""


def _cannot_open(target: str, exc: BaseException) -> str:
    return tr("Cannot open the store {store}: {error}", store=target, error=exc)


class StoreError(RuntimeError):
    """A user-facing store problem (message is shown as is)."""


class StoreConflict(StoreError):
    """A write lost a commit race against another process (DuckLake backend)."""


# A lost commit race is re-run on a fresh snapshot; imports get more tries because
# every import rewrites rollups, so concurrent importers serialise through these retries.
WRITE_ATTEMPTS = 10
IMPORT_ATTEMPTS = 30
_retry_state = threading.local()


def retry_on_conflict(method: Callable[..., Any]) -> Callable[..., Any]:
    """Re-run a write method whose transaction lost a commit race.

    Only for methods whose every run is atomic or idempotent (one transaction, or
    transactions that can be repeated). Nested calls leave the retrying to the outermost.
    """

    @functools.wraps(method)
    def wrapper(self: Database, *args: Any, **kwargs: Any) -> Any:
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


@functools.cache
def _file_header_bytes() -> int:
    """The bytes before the first block of a DuckDB file, measured on a fresh file (so no
    storage-format constant is assumed)."""
    with tempfile.TemporaryDirectory(prefix="trustdash-probe-") as tmp:
        path = Path(tmp) / "probe.duckdb"
        con = duckdb.connect(str(path))
        try:
            con.execute("CREATE TABLE probe AS SELECT 1 AS x")
            con.execute("CHECKPOINT")
            block_size, blocks = _blocks(con)
        finally:
            con.close()
        return path.stat().st_size - block_size * blocks


def _blocks(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    row = con.execute(
        "SELECT block_size, total_blocks FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchone()
    return int(row[0]), int(row[1])  # type: ignore[index]


def _trim_dead_tail(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Give back the space a killed write left at the end of the file.

    DuckDB writes the blocks of a large insert before the commit. When the process dies in
    the transaction, those blocks lie past the last block the file's header knows: never
    read again, only overwritten by later writes, yet the file keeps their size. The store
    opened after a dead import checkpoints (the WAL goes into the file) and cuts the file
    back to its known blocks. The connection stays open meanwhile, so no other process can
    write; a checkpoint refused because a write of this process is under way skips it."""
    try:
        con.execute("CHECKPOINT")
        block_size, blocks = _blocks(con)
        known = _file_header_bytes() + block_size * blocks
        size = path.stat().st_size
        if size > known and (size - known) % block_size == 0:
            # truncate(2) by path: no second descriptor is opened and closed, which would
            # drop DuckDB's lock on the file.
            os.truncate(path, known)
    except (duckdb.Error, OSError):
        return


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used" in text


# Tables whose ids are allocated by new_id, and the settings rows counting them (DuckLake).
ID_TABLES = ("imports", "campaign_rules", "annotations", "subscriptions")
ID_KEY_PREFIX = "_next_id."
IMPORT_GUARD_KEY = ID_KEY_PREFIX + "import_guard"  # hidden from all_settings() alike
DELIVERY_GUARD_KEY = ID_KEY_PREFIX + "delivery_guard"


class Database:
    """The connection to a store target: an embedded DuckDB file (``":memory:"`` for a
    throwaway one) or a DuckLake (``ducklake:postgres:<libpq string>``, data under
    ``TRUSTDASH_DATA_PATH``), with its cursors, transactions, id allocation and
    introspection. Of the tables it knows only the id counters (see :meth:`new_id`)."""

    def __init__(self, target: str | Path | None = None, *, wait_seconds: float = 10.0) -> None:
        self.target = config.db_target(target)
        self.backend = "ducklake" if lake.is_lake(self.target) else "embedded"
        self.write_lock = threading.RLock()
        self._catalog: str | None = None  # the lake's alias in the process's host database
        self._con = self._connect(wait_seconds)

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
                    raise StoreError(_cannot_open(self.target, exc)) from exc
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        tr(
                            "The store {store} is in use by another process (the running app?). "
                            "Import from the app's Import page, stop the other process, or use "
                            "the DuckLake backend for several writers.",
                            store=self.target,
                        )
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except duckdb.Error as exc:
                raise StoreError(_cannot_open(self.target, exc)) from exc

    def trim_dead_tail(self) -> None:
        """After an import died (its staging files were found): see ``_trim_dead_tail``."""
        if self.backend == "embedded" and self.target != ":memory:":
            with self.write_lock:
                _trim_dead_tail(self._con, Path(self.target))

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
        first (DuckLake); callers re-run the whole transaction (see :func:`retry_on_conflict`
        and :meth:`~trustdash.store.batches.Batches.import_batch`). Readers never wait: they
        see the last committed snapshot.
        """
        with self.write_lock, self.cursor() as cur:
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

    def new_id(self, cur: duckdb.DuckDBPyConnection, table: str) -> int:
        """A fresh id for ``table`` (one of :data:`ID_TABLES`).

        One process writes an embedded file, so max + 1 inside the transaction is safe.
        DuckLake writers in several processes would all read the same max, and DuckLake has
        no unique constraint to catch the clash: the id is claimed in its own short
        transaction instead (a gap is left if the caller's transaction then fails).
        """
        if self.backend == "ducklake":
            return self._claim_id(table)
        row = cur.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()  # noqa: S608
        return int(row[0]) if row else 1

    @retry_on_conflict
    def _claim_id(self, table: str) -> int:
        # The counter row was committed by migrate(), so every claimer deletes the same
        # committed row: DuckLake rejects all but the first concurrent commit, and the
        # losers retry on the new value. max(id) keeps ids ahead of restored rows.
        key = ID_KEY_PREFIX + table
        with self.transaction() as cur:
            have = cur.execute(
                "SELECT max(TRY_CAST(value AS BIGINT)) FROM settings WHERE key = ?", [key]
            ).fetchone()
            top = cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()  # noqa: S608
            new = max(int((have or [0])[0] or 0), int((top or [0])[0] or 0)) + 1
            cur.execute("DELETE FROM settings WHERE key = ?", [key])
            cur.execute("INSERT INTO settings VALUES (?, ?)", [key, json.dumps(new)])
        return new

    def table_columns(self, table: str) -> list[str]:
        with self.cursor() as cur:
            return [d[0] for d in cur.execute(f'SELECT * FROM "{table}" LIMIT 0').description]  # noqa: S608

    def row_count(self, table: str) -> int:
        return int(self.one(f'SELECT count(*) FROM "{table}"') or 0)  # noqa: S608 - catalog names

    def frame(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).pl()

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None


def read_setting(cur: duckdb.DuckDBPyConnection, key: str, default: Any) -> Any:
    """A setting read inside an open transaction (``default`` when missing or unreadable)."""
    row = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    if not row:
        return default
    try:
        return json.loads(row[0])
    except ValueError:
        return default


def _conflict_message(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return f"Another process changed the same data at the same time ({first[:200]}); try again."


def now() -> dt.datetime:
    """The current UTC time without time zone (as the store's TIMESTAMP columns hold it)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
