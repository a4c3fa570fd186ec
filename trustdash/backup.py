"""Backup, restore and migration between stores.

A backup is a folder: one Parquet file per table and ``manifest.json`` with the
schema version, each table's row count and each file's SHA-256. Derived tables
(rollups) are not saved: a restore recomputes them. A restore checks everything
before touching the store (manifest, hashes, row counts, schema version) and then
replaces the tables in one transaction: it either fully happens or not at all.

No SQL here: the store streams tables out (:meth:`Store.table_reader`) and replaces
them from Parquet (:meth:`Store.replace_tables`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from trustdash.store import BACKUP_TABLES, SCHEMA_VERSION, Store, StoreError, open_store

MANIFEST = "manifest.json"
FORMAT = "trustdash-backup"
FORMAT_VERSION = 1


class BackupError(StoreError):
    """The backup folder cannot be used (message for the user)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_table(store: Store, table: str, path: Path) -> int:
    import pyarrow.parquet as pq

    rows = 0
    with store.table_reader(table) as reader:
        with pq.ParquetWriter(path, reader.schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
    return rows


def backup(store: Store, out_dir: str | os.PathLike[str]) -> Path:
    """Write every table of ``store`` into ``out_dir`` (created; must be empty of a
    previous backup). Returns the manifest's path. The folder is complete only once the
    manifest is written (last, atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if (out / MANIFEST).exists():
        raise BackupError(f"{out} already holds a backup; choose an empty folder.")
    tables: dict[str, dict[str, Any]] = {}
    for table in BACKUP_TABLES:
        path = out / f"{table}.parquet"
        rows = _write_table(store, table, path)
        tables[table] = {"file": path.name, "rows": rows, "sha256": _sha256(path)}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": store.schema_version(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": str(getattr(store, "backend", "embedded")),
        "tables": tables,
    }
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, out / MANIFEST)
    return out / MANIFEST


def read_manifest(src_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a backup folder, validated (files present, hashes and counts
    right, schema not newer than this trustdash). Raises :class:`BackupError`."""
    import pyarrow.parquet as pq

    src = Path(src_dir)
    path = src / MANIFEST if src.is_dir() else src
    if not path.is_file():
        raise BackupError(f"{src}: no {MANIFEST}; is this a trustdash backup folder?")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{path}: unreadable manifest ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a trustdash backup manifest.")
    if int(manifest.get("format_version", 0) or 0) > FORMAT_VERSION:
        raise BackupError(f"{path}: written by a newer trustdash (backup format too new).")
    try:
        schema = int(manifest.get("schema_version", 0))
    except (TypeError, ValueError) as exc:
        raise BackupError(f"{path}: the manifest has no valid schema version.") from exc
    if schema > SCHEMA_VERSION:
        raise BackupError(
            f"{path}: the backup has schema {schema}, newer than this trustdash "
            f"({SCHEMA_VERSION}); upgrade trustdash to restore it."
        )
    if schema < 1:
        raise BackupError(f"{path}: the manifest has no valid schema version.")
    tables = manifest.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise BackupError(f"{path}: the manifest lists no tables.")
    unknown = sorted(t for t in tables if t not in BACKUP_TABLES)
    if unknown:
        raise BackupError(f"{path}: unknown table(s) {', '.join(unknown)}.")
    folder = path.parent
    for table, info in tables.items():
        if not isinstance(info, dict):
            raise BackupError(f"{path}: bad entry for table {table}.")
        name = str(info.get("file", ""))
        file = folder / name
        # a manifest names files in its own folder, nothing else
        if not name or Path(name).name != name or not file.is_file():
            raise BackupError(f"{path}: the file of table {table} ({name!r}) is missing.")
        if _sha256(file) != info.get("sha256"):
            raise BackupError(f"{file}: checksum mismatch; the backup is damaged.")
        try:
            rows = pq.ParquetFile(file).metadata.num_rows
        except Exception as exc:
            raise BackupError(f"{file}: unreadable Parquet ({exc}).") from exc
        if rows != info.get("rows"):
            raise BackupError(
                f"{file}: {rows} rows, the manifest says {info.get('rows')}; damaged backup."
            )
    return manifest


def restore(store: Store, src_dir: str | os.PathLike[str]) -> dict[str, int]:
    """Replace the store's tables by a backup's, in one transaction; derived tables
    are recomputed. Returns the rows restored per table."""
    manifest = read_manifest(src_dir)
    src = Path(src_dir)
    folder = src if src.is_dir() else src.parent
    files = {t: folder / info["file"] for t, info in manifest["tables"].items()}
    return store.replace_tables(files)


def migrate(
    src_target: str | os.PathLike[str], dst_target: str | os.PathLike[str]
) -> dict[str, int]:
    """Copy one store into another (e.g. embedded file → DuckLake): a backup of the
    source restored into the destination, through a temporary folder."""
    if str(src_target) == str(dst_target):
        raise BackupError("The source and destination stores are the same.")
    src = open_store(src_target)
    dst = open_store(dst_target)
    tmp = Path(tempfile.mkdtemp(prefix="trustdash-migrate-"))
    try:
        backup(src, tmp / "backup")
        return restore(dst, tmp / "backup")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
