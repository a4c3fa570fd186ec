"""Hand a CLI import to the running app when it holds the embedded store.

DuckDB lets one process write a database file. While the app runs, it owns the
file; a CLI import then drops its files and options into ``<store>.inbox/`` and
the app's watcher thread imports them in the app's process (the single writer)
and writes the results back. Reads in the app go on meanwhile (DuckDB's MVCC).
The DuckLake backend has no such limit and never uses the inbox.

Messages of a handed-over import are written in the language of the command that
queued it (the CLI's: English), not in whatever language the app's thread has.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trustdash.formats import ENGINE_ERRORS
from trustdash.i18n import DEFAULT_LANG, get_lang, normalise, tr, using
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

log = logging.getLogger(__name__)

HEARTBEAT = "watcher.alive"
HEARTBEAT_FRESH_SECONDS = 6.0


def inbox_dir(target: str) -> Path:
    return Path(str(target) + ".inbox")


def watcher_alive(target: str) -> bool:
    """Whether an app process is watching this store's inbox right now."""
    beat = inbox_dir(target) / HEARTBEAT
    try:
        return time.time() - beat.stat().st_mtime < HEARTBEAT_FRESH_SECONDS
    except OSError:
        return False


def submit(
    target: str,
    files: Sequence[tuple[str, Path]],
    options: ImportOptions,
    *,
    timeout: float = 3600.0,
) -> list[dict[str, Any]]:
    """Queue an import for the app's process and wait for its results (its messages in
    the caller's language)."""
    box = inbox_dir(target)
    box.mkdir(parents=True, exist_ok=True)
    job = uuid.uuid4().hex
    tmp = box / f"{job}.tmp"
    tmp.mkdir()
    names = []
    for i, (name, path) in enumerate(files):
        # Keep the user's file name for messages; store under an index to avoid clashes.
        dest = tmp / f"{i:04d}"
        shutil.copyfile(path, dest)
        names.append({"name": name, "file": dest.name})
    (tmp / "job.json").write_text(
        json.dumps(
            {"files": names, "options": asdict(options), "lang": get_lang()}, ensure_ascii=False
        )  # fmt: skip
    )
    os.replace(tmp, box / f"{job}.job")
    result = box / f"{job}.result.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            data = json.loads(result.read_text())
            result.unlink(missing_ok=True)
            return data
        if not watcher_alive(target) and (box / f"{job}.job").exists():
            shutil.rmtree(box / f"{job}.job", ignore_errors=True)
            raise RuntimeError("the app holding the store stopped before taking the import")
        time.sleep(0.2)
    raise TimeoutError(f"the app did not finish the import within {timeout:.0f} s")


def process_pending(store: Store, target: str) -> int:
    """Import every queued job; returns how many jobs were processed."""
    box = inbox_dir(target)
    done = 0
    for job_dir in sorted(box.glob("*.job")):
        running = job_dir.with_suffix(".running")
        try:
            os.replace(job_dir, running)
        except OSError:
            continue  # taken by another watcher
        job = running.name.split(".")[0]
        try:
            spec = json.loads((running / "job.json").read_text())
        except (OSError, ValueError):
            spec = {}
        with using(normalise(spec.get("lang")) or DEFAULT_LANG):
            try:
                opts = ImportOptions(**spec.get("options", {}))
                files = [(f["name"], running / f["file"]) for f in spec.get("files", [])]
                results = [r.as_dict() for r in import_files(store, files, opts)]
            except ENGINE_ERRORS as exc:  # report, never kill the watcher
                log.exception("inbox job %s failed", job)
                results = [{"path": "?",
                            "errors": [tr("import failed in the app: {error}", error=exc)]}]  # fmt: skip
        out = box / f"{job}.result.tmp"
        out.write_text(json.dumps(results, ensure_ascii=False, default=str))
        os.replace(out, box / f"{job}.result.json")
        shutil.rmtree(running, ignore_errors=True)
        done += 1
    return done


def watch(
    store: Store,
    process: Callable[[Store, str], int],
    name: str,
    interval: float = 1.0,
    heartbeat: str = HEARTBEAT,
) -> threading.Thread | None:
    """Start a thread of the app's process that runs ``process(store, target)`` on the
    store's inbox every ``interval`` seconds and keeps the ``heartbeat`` file fresh (what
    a command checks to know the app will answer). Embedded stores only: other backends
    take writes from any process. None when there is nothing to watch."""
    target = store.target
    if getattr(store, "backend", "embedded") != "embedded" or target == ":memory:":
        return None
    box = inbox_dir(target)

    def loop() -> None:
        while True:
            try:
                box.mkdir(parents=True, exist_ok=True)
                (box / heartbeat).touch()
                process(store, target)
            except ENGINE_ERRORS:
                log.exception("%s: inbox watcher error", name)
            time.sleep(interval)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread


def start_watcher(store: Store, interval: float = 1.0) -> threading.Thread | None:
    """Start the app-side watcher of CLI imports for an embedded store."""
    return watch(store, process_pending, "trustdash-inbox", interval)
