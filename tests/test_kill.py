"""Atomic imports: a CLI import SIGKILLed in the middle leaves the store readable and
without a single row of that import."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from trustdash.filters import Filters
from trustdash.store import Store

ROWS = 20_000
KILL_FRACTIONS = (0.1, 0.35, 0.6)  # of the measured duration of a full import

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _big_csv(path: Path, rows: int = ROWS, prefix: str = "k") -> Path:
    rnd = random.Random(prefix)  # other texts too: no sentiment cache hits
    words = (
        "great awful refund love hate slow fast delivery quality price support service "
        "broken perfect merci nul super colis retard"
    ).split()
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("comment_id,post_id,author,created_at,text,likes,channel\n")
        for i in range(rows):
            text = " ".join(rnd.choice(words) for _ in range(8))
            fh.write(
                f"{prefix}{i},p{i % 50},user{i % 3000},2026-0{1 + i % 6}-{1 + i % 28:02d}T"
                f"{i % 24:02d}:00:00,{text} {i},{i % 7},facebook\n"
            )
    return path


def _state(db: Path) -> dict:
    s = Store(db, wait_seconds=30)
    try:
        counts = s.table_counts()
        counts["rejected_rows"] = s.table_frame("rejected_rows").height
        counts["rollup_n"] = int(s.rollup_days(Filters())["audience"].sum())
        return counts
    finally:
        s.close()


# The real CLI, with one probe: a marker file is touched once the import's transaction is
# open, so that the kills below land inside it (nothing on disk shows an open transaction:
# DuckDB writes its WAL only at commit).
_TRACED_CLI = """
import contextlib, sys
from pathlib import Path
from trustdash import store as st
marker = Path(sys.argv[1])
original = st.Store.import_batch

@contextlib.contextmanager
def traced(self, meta):
    with original(self, meta) as batch:
        marker.touch()
        yield batch

st.Store.import_batch = traced
from trustdash.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _cli(db: Path, csv: Path, marker: Path) -> subprocess.Popen:
    marker.unlink(missing_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", _TRACED_CLI, str(marker),
         "import", str(csv), "--db", str(db), "--json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> float:
    started = time.perf_counter()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.perf_counter() - started < timeout
        time.sleep(0.005)
    return time.perf_counter()


def _complete(before: dict) -> dict:
    return {
        **before,
        "comments": before["comments"] + ROWS,
        "imports": before["imports"] + 1,
        "rollup_n": before["rollup_n"] + ROWS,
    }


def test_sigkill_mid_import_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    marker = tmp_path / "in_transaction"
    # a full import first: existing data, and the transaction time the kills are timed on
    proc = _cli(db, _big_csv(tmp_path / "first.csv"), marker)
    opened = _wait_for(marker, proc)
    out, err = proc.communicate(timeout=300)
    in_txn = time.perf_counter() - opened
    assert proc.returncode == 0, err
    assert json.loads(out)["files"][0]["rows_imported"] == ROWS
    before = _state(db)
    wal = Path(str(db) + ".wal")
    outcomes: list[str] = []
    rolled_back: list[Path] = []
    # kills at fractions of the transaction time, then one while the commit writes the WAL
    for i, frac in enumerate([*KILL_FRACTIONS, None]):
        csv = _big_csv(tmp_path / f"kill{i}.csv", prefix=f"b{i}-")  # a leak would show
        proc = _cli(db, csv, marker)
        _wait_for(marker, proc)
        if frac is None:
            while proc.poll() is None and not (wal.exists() and wal.stat().st_size > 0):
                time.sleep(0.001)
        else:
            time.sleep(in_txn * frac)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        killed = proc.returncode == -signal.SIGKILL
        after = _state(db)  # the store opens (WAL replayed) and is readable
        # all or nothing: never a part of the import
        assert after in (before, _complete(before)), (frac, after, before)
        if after == before:
            assert killed
            outcomes.append("rolled back")
            rolled_back.append(csv)
        else:
            outcomes.append("killed after commit: complete" if killed else "finished")
            before = after
    print(f"\nkill test: {in_txn:.1f} s in the transaction; outcomes: {outcomes}")
    assert len(rolled_back) >= 2, outcomes
    # the store still takes a killed import afterwards, completely
    proc = _cli(db, rolled_back[0], marker)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _state(db) == _complete(before)
