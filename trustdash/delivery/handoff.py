"""Hand a delivery run to the running app when it holds the embedded store.

DuckDB lets one process write a database file, and the app holds it while it runs. So the
app's process also runs deliveries: ``python -m trustdash deliver`` (from cron, a systemd
timer or the ``deliver --watch`` sidecar) drops a request into ``<store>.inbox/``, the
app's delivery thread runs it against its own connection and writes the outcomes back,
and the command prints them as if it had sent them itself. ``subscribe``,
``subscriptions``, ``pause``, ``resume`` and ``unsubscribe`` are handed over the same way,
and so are the read commands ``trust``, ``report`` and ``export`` (the app writes their
files, at absolute paths the command gives).
Without a running app the command opens the store and runs in its own process. The
DuckLake backend has no such limit and never hands off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from typing import Any

from trustdash import analysis, report
from trustdash.delivery.run import run
from trustdash.exporting import write_table
from trustdash.filters import Filters, default_window
from trustdash.inbox import inbox_dir, watch
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


def perform(store: Store, op: str, args: dict[str, Any]) -> Any:
    """Run one request against ``store``: a delivery run or a subscription change.

    Returns JSON-ready data: the outcomes of a run, ``{"id": N}`` for a new subscription,
    the subscriptions, or whether the subscription to change was found."""
    if op == "deliver":
        return [o.as_dict() for o in run(store, force=bool(args.get("force")))]
    if op == "subscribe":
        return {"id": store.add_subscription(**args)}
    if op == "subscriptions":
        return store.subscriptions()
    if op == "unsubscribe":
        return store.delete_subscription(int(args["id"]))
    if op in ("pause", "resume"):
        return store.update_subscription(int(args["id"]), paused=op == "pause")
    if op == "trust":
        return analysis.trust_json(store, filters_of(args), str(args["by"]))
    if op == "report":
        f = filters_of(args)
        if f.start is None and f.end is None:
            # Same window as the Brief page opens on, so both show the same numbers.
            start, end = default_window(*store.date_bounds())
            f = f.with_(start=start, end=end)
        return str(report.write_report(store, f, str(args["out"]), lang=args.get("lang")))
    if op == "export":
        frame = store.table_frame(str(args["table"]))
        return {"rows": frame.height, "path": str(write_table(frame, str(args["out"])))}
    raise ValueError(f"unknown request {op!r}")


def filters_params(f: Filters) -> dict[str, Any]:
    """``f`` as a request's JSON arguments (see :func:`filters_of`)."""
    return {"since": f.start.isoformat() if f.start else None,
            "until": f.end.isoformat() if f.end else None, "channels": list(f.channels),
            "campaigns": list(f.campaigns), "gran": f.granularity}  # fmt: skip


def filters_of(args: dict[str, Any]) -> Filters:
    def day(value: object) -> dt.date | None:
        return dt.date.fromisoformat(str(value)) if value else None

    return Filters(day(args.get("since")), day(args.get("until")),
                   tuple(args.get("channels") or ()), tuple(args.get("campaigns") or ()),
                   str(args.get("gran") or "week"))  # fmt: skip


def submit(target: str, op: str, args: dict[str, Any], *, timeout: float = 1800.0) -> Any:
    """Ask the app's process to :func:`perform` a request and wait for its answer."""
    box = inbox_dir(target)
    box.mkdir(parents=True, exist_ok=True)
    job = uuid.uuid4().hex
    tmp = box / f"{job}.tmp"
    tmp.write_text(json.dumps({"op": op, "args": args}, ensure_ascii=False))
    request = box / f"{job}{_REQUEST}"
    os.replace(tmp, request)
    result = box / f"{job}{_RESULT}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result.exists():
            data = json.loads(result.read_text())
            result.unlink(missing_ok=True)
            if "error" in data:
                raise RuntimeError(data["error"])
            return data["result"]
        if not watcher_alive(target) and request.exists():
            request.unlink(missing_ok=True)
            raise RuntimeError("the app holding the store stopped before taking the request")
        time.sleep(0.2)
    raise TimeoutError(f"the app did not answer within {timeout:.0f} s")


def process_pending(store: Store, target: str) -> int:
    """Perform every queued request; returns how many were performed."""
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
            answer = {"result": perform(store, str(spec.get("op")), spec.get("args") or {})}
        except Exception as exc:  # report, never kill the watcher
            log.exception("delivery request %s failed", job)
            answer = {"error": f"the request failed in the app: {exc}"}
        out = box / f"{job}.delivered.tmp"
        out.write_text(json.dumps(answer, ensure_ascii=False, default=str))
        os.replace(out, box / f"{job}{_RESULT}")
        running.unlink(missing_ok=True)
        done += 1
    return done


def start_watcher(store: Store, interval: float = 1.0) -> threading.Thread | None:
    """Start the app-side delivery thread for an embedded store (no-op for other backends)."""
    return watch(store, process_pending, "trustdash-deliver", interval, heartbeat=HEARTBEAT)
