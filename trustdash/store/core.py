"""The store as the rest of trustdash sees it: :class:`Store`, one object made of the
store's concerns (:mod:`~trustdash.store.db` underneath; schema, derived tables,
imports, reads and administration on top), and the process-wide registry of open stores.
"""

from __future__ import annotations

import threading
from pathlib import Path

from trustdash import config
from trustdash.store.admin import Admin
from trustdash.store.batches import Batches, prepare_staging
from trustdash.store.delivery import Deliveries
from trustdash.store.queries import Queries


class Store(Admin, Queries, Batches, Deliveries):
    """A trustdash store: an embedded DuckDB file (``":memory:"`` for a throwaway one) or a
    DuckLake (``ducklake:postgres:<libpq string>``, data under ``TRUSTDASH_DATA_PATH``),
    migrated to the latest schema when opened."""

    def __init__(self, target: str | Path | None = None, *, wait_seconds: float = 10.0) -> None:
        super().__init__(target, wait_seconds=wait_seconds)
        self.staging_dir, import_died = prepare_staging(self.target, self.backend)
        if import_died:
            self.trim_dead_tail()
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise


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
    """Close every store :func:`open_store` opened."""
    with _STORES_LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()
