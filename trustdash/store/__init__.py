"""The store: the only package that speaks SQL.

:mod:`~trustdash.store.db`
    the connection, both backends, cursors, transactions, conflict retries, ids, errors.
:mod:`~trustdash.store.lake`
    the DuckLake backend's adapter (extensions, attach, conflict detection).
:mod:`~trustdash.store.schema`
    DDL by version, the migration, the table lists.
:mod:`~trustdash.store.derived`
    the derived tables (brand flags, campaign rules, reply links, rollups, notable comments,
    post sentiment) and the SQL definitions of actionable, answered and brand reply.
:mod:`~trustdash.store.batches`
    imports: :class:`ImportBatch`, its journal and staging files.
:mod:`~trustdash.store.queries`
    the dashboards' reads.
:mod:`~trustdash.store.admin`
    administration and privacy writes, backup streams.
:mod:`~trustdash.store.delivery`
    subscriptions and the delivery log (a brief period or an alert sent once).
:mod:`~trustdash.store.core`
    :class:`Store`, made of all of the above, and :func:`open_store`.
"""

from __future__ import annotations

from trustdash.store.batches import ImportBatch, ImportCounts
from trustdash.store.core import Store, close_all, open_store
from trustdash.store.db import (
    IMPORT_ATTEMPTS,
    WRITE_ATTEMPTS,
    Database,
    StoreBusy,
    StoreConflict,
    StoreError,
)
from trustdash.store.derived import (
    ACTIONABLE,
    ANSWERED,
    BRAND_REPLY,
    ROLLUP_COUNTS,
    TARGET_BUCKETS,
    bucket_column,
    snap_target,
)
from trustdash.store.schema import (
    BACKUP_TABLES,
    COMMENT_INSERT_COLUMNS,
    DERIVED_TABLES,
    EXPORT_TABLES,
    POST_COLUMNS,
    SCHEMA_VERSION,
)

__all__ = [
    "ACTIONABLE",
    "ANSWERED",
    "BACKUP_TABLES",
    "BRAND_REPLY",
    "COMMENT_INSERT_COLUMNS",
    "DERIVED_TABLES",
    "EXPORT_TABLES",
    "IMPORT_ATTEMPTS",
    "POST_COLUMNS",
    "ROLLUP_COUNTS",
    "SCHEMA_VERSION",
    "TARGET_BUCKETS",
    "WRITE_ATTEMPTS",
    "Database",
    "ImportBatch",
    "ImportCounts",
    "Store",
    "StoreBusy",
    "StoreConflict",
    "StoreError",
    "bucket_column",
    "close_all",
    "open_store",
    "snap_target",
]
