"""Store-to-store migration: copy every table of one store into an empty other one
(any backends, typically an embedded file into a DuckLake), for the ``migrate`` command.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trustdash.store import SCHEMA_VERSION, Store, StoreError, lake


def migrate(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    out: Callable[[str], Any] | None = None,
    batch_rows: int = 500_000,
) -> dict[str, int]:
    """Copy every table of the store ``src`` into the empty store ``dst`` (any backends,
    typically an embedded file into a DuckLake), in one transaction; returns row counts.

    Rows stream through Arrow record batches, so memory stays bounded whatever the size.
    """
    src, dst = str(src), str(dst)
    if not lake.is_lake(src) and src != ":memory:" and not Path(src).is_file():
        raise StoreError(f"No store at {src}.")
    if src == dst:
        raise StoreError("The source and the destination are the same store.")
    source = Store(src)
    try:
        if source.schema_version() != SCHEMA_VERSION:
            raise StoreError(f"Could not upgrade {lake.describe(src)} to schema {SCHEMA_VERSION}.")
        target = Store(dst)
        try:
            return copy_tables(source, target, out, batch_rows)
        finally:
            target.close()
    finally:
        source.close()


def copy_tables(
    source: Store, target: Store, out: Callable[[str], Any] | None, batch_rows: int
) -> dict[str, int]:
    """Copy the tables of ``source`` into the empty ``target`` in one transaction."""
    tables = target.user_tables()
    busy = [t for t in ("comments", "posts", "daily_metrics", "imports") if target.row_count(t)]
    if busy:
        raise StoreError(
            f"The destination {lake.describe(target.target)} already holds data ({', '.join(busy)}); "
            "migrate into an empty store."
        )
    have = set(source.user_tables())
    counts: dict[str, int] = {}
    with target.transaction() as cur:
        for table in tables:
            if table not in have:
                continue
            cols = [c for c in target.table_columns(table) if c in set(source.table_columns(table))]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            # Settings and schema rows made by the destination's own migration give way.
            cur.execute(f'DELETE FROM "{table}"')  # noqa: S608 - catalog names
            with source.cursor() as scur:
                reader = scur.execute(
                    f'SELECT {col_sql} FROM "{table}"'  # noqa: S608 - catalog names
                ).fetch_record_batch(batch_rows)
                cur.register("migrate_src", reader)
                try:
                    res = cur.execute(
                        f'INSERT INTO "{table}" ({col_sql}) SELECT {col_sql} FROM migrate_src'  # noqa: S608
                    ).fetchone()
                finally:
                    cur.unregister("migrate_src")
            counts[table] = int(res[0]) if res else 0
            if out:
                out(f"{table}: {counts[table]:,} rows")
    return counts
