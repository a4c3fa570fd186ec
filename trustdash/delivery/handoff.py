"""Hand a delivery run to the running app when it holds the embedded store.

DuckDB lets one process write a database file, and the app holds it while it runs. So the
app's process also runs deliveries: ``python -m trustdash deliver`` (from cron, a systemd
timer or the ``deliver --watch`` sidecar) drops a request into ``<store>.inbox/``, the
app's delivery thread runs it against its own connection and writes the outcomes back,
and the command prints them as if it had sent them itself. Without a running app the
command opens the store and runs in its own process. The DuckLake backend has no such
limit and never hands off.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from trustdash.delivery.run import run
from trustdash.inbox import inbox_dir
from trustdash.store import Store

log = logging.getLogger(__name__)

HEARTBEAT = "deliver.alive"
HEARTBEAT_FRESH_SECONDS = 6.0
_REQUEST = ".deliver"
_RESULT = ".delivered.json"


def watcher_alive(target: str) -> bool:
    """Whether an app process takes delivery runs for this store right now."""
    try:
        beat = inbox_dir(target) / HEARTBEAT
        return time.time() - beat.stat().st_mtime < HEARTBEAT_FRESH_SECONDS
    except OSError:
        return False


def submit(target: str, *, force: bool = False, timeout: float = 1800.0) -> list[dict[str, Any]]:
    """Ask the app's process for a delivery run and wait for its outcomes."""
    box = inbox_dir(target)
    box.mkdir(parents=True, exist_ok=True)
    job = uuid.uuid4().hex
    tmp = box / f"{job}.tmp"
    tmp.write_text(json.dumps({"force": bool(force)}))
    request = box / f"{job}{_REQUEST}"
    os.replace(tmp, request)
    result = box / f"{job}{_RESULT}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            data = json.loads(result.read_text())
            result.unlink(missing_ok=True)
            return data
        if not watcher_alive(target) and request.exists():
            request.unlink(missing_ok=True)
            raise RuntimeError("the app holding the store stopped before taking the delivery run")
        time.sleep(0.2)
    raise TimeoutError(f"the app did not finish the delivery run within {timeout:.0f} s")


def process_pending(store: Store, target: str) -> int:
    """Run every queued delivery request; returns how many were run."""
    box = inbox_dir(target)
    done = 0
    for request in sorted(box.glob(f"*{_REQUEST}")):
        running = request.with_suffix(".delivering")
        try:
            os.replace(request, running)
        except OSError:
            continue  # taken by another watcher
        job = running.name.split(".")[0]
        try:
            spec = json.loads(running.read_text() or "{}")
            outcomes = [o.as_dict() for o in run(store, force=bool(spec.get("force")))]
        except Exception as exc:  # report, never kill the watcher
            log.exception("delivery request %s failed", job)
            outcomes = [{"subscription": None, "to": None, "kind": None, "status": "failed",
                         "error": f"the delivery run failed in the app: {exc}"}]  # fmt: skip
        out = box / f"{job}.delivered.tmp"
        out.write_text(json.dumps(outcomes, ensure_ascii=False, default=str))
        os.replace(out, box / f"{job}{_RESULT}")
        running.unlink(missing_ok=True)
        done += 1
    return done


def start_watcher(store: Store, interval: float = 1.0) -> threading.Thread | None:
    """Start the app-side delivery thread for an embedded store (no-op for other backends)."""
    target = store.target
    if store.backend != "embedded" or target == ":memory:":
        return None
    box: Path = inbox_dir(target)

    def loop() -> None:
        while True:
            try:
                box.mkdir(parents=True, exist_ok=True)
                (box / HEARTBEAT).touch()
                process_pending(store, target)
            except Exception:
                log.exception("delivery watcher error")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="trustdash-deliver", daemon=True)
    thread.start()
    return thread
