"""Concurrent users: threads sharing one store, and CLI imports while the app runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from pathlib import Path

import pytest
from conftest import ROOT, comments_csv, make_rows

from trustdash import analysis
from trustdash.filters import Filters
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

ROUNDS = 6  # imports per importer thread
ROWS = 150  # rows per import


def test_threads_import_and_read_one_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.duckdb")
    errors: list[str] = []
    results: dict[str, list[int]] = {"fb": [], "ig": []}
    reads = [0]
    done = threading.Event()

    def importer(tag: str, channel: str) -> None:
        try:
            for k in range(ROUNDS):
                data = comments_csv(make_rows(ROWS, prefix=f"{tag}{k}-", channel=channel))
                res = import_files(store, [(f"{tag}{k}.csv", data)], ImportOptions())
                if not res[0].ok:
                    errors.append(f"{tag}{k}: {res[0].errors}")
                results[tag].append(res[0].rows_imported)
        except Exception:
            errors.append(traceback.format_exc())

    def reader() -> None:
        try:
            while not done.is_set():
                analysis.trust_table(store, Filters(), "channel")
                store.comments(Filters(), limit=50)
                store.count_comments(Filters())
                store.imports()
                reads[0] += 1
        except Exception:
            errors.append(traceback.format_exc())

    threads = [
        threading.Thread(target=importer, args=("fb", "facebook")),
        threading.Thread(target=importer, args=("ig", "instagram")),
    ]
    rd = [threading.Thread(target=reader) for _ in range(2)]
    started = time.perf_counter()
    for t in [*threads, *rd]:
        t.start()
    for t in threads:
        t.join(timeout=300)
    done.set()
    for t in rd:
        t.join(timeout=60)
    elapsed = time.perf_counter() - started
    try:
        text = "\n".join(errors)
        assert not errors, text
        assert "busy" not in text and "locked" not in text
        assert results == {"fb": [ROWS] * ROUNDS, "ig": [ROWS] * ROUNDS}
        counts = store.table_counts()
        assert counts["comments"] == 2 * ROUNDS * ROWS  # no lost rows
        assert counts["imports"] == 2 * ROUNDS
        by = {r["group"]: r["n"] for r in analysis.trust_json(store, Filters(), "channel")}
        assert by == {"facebook": ROUNDS * ROWS, "instagram": ROUNDS * ROWS}
        assert reads[0] > 0
        print(
            f"\nthreads: {2 * ROUNDS} imports by 2 threads + {reads[0]} read rounds by 2 "
            f"threads in {elapsed:.1f} s, no error, no lost row"
        )
    finally:
        store.close()


APP = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from trustdash import analysis, inbox
    from trustdash.filters import Filters
    from trustdash.store import Store
    db, stop = sys.argv[1], Path(sys.argv[2])
    store = Store(db)
    inbox.start_watcher(store, interval=0.2)
    Path(str(stop) + ".ready").touch()
    reads = 0
    while not stop.exists():
        analysis.trust_table(store, Filters(), "channel")
        reads += 1
        time.sleep(0.05)
    time.sleep(0.5)
    print(json.dumps({"reads": reads, "counts": store.table_counts()}))
    """
)


def test_cli_imports_while_app_holds_the_store(tmp_path: Path) -> None:
    pytest.importorskip("trustdash.inbox")
    db = tmp_path / "app.duckdb"
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(db), str(stop)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not Path(str(stop) + ".ready").exists():
            assert app.poll() is None, app.communicate()[1]
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.1)
        files = []
        for k in range(3):
            p = tmp_path / f"f{k}.csv"
            p.write_bytes(comments_csv(make_rows(ROWS, prefix=f"p{k}-", channel=f"ch{k}")))
            files.append(p)
        clis = [
            subprocess.Popen(
                [sys.executable, "-m", "trustdash", "import", str(p), "--db", str(db), "--json"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for p in files
        ]
        for proc in clis:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            payload = json.loads(out)["files"]
            assert payload[0]["rows_imported"] == ROWS and not payload[0]["errors"]
        stop.touch()
        out, err = app.communicate(timeout=60)
        assert app.returncode == 0, err
        info = json.loads(out.strip().splitlines()[-1])
        assert info["counts"]["comments"] == 3 * ROWS and info["counts"]["imports"] == 3
        assert info["reads"] > 0
        print(f"\nprocesses: 3 CLI imports handed to the app, {info['reads']} reads meanwhile")
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
