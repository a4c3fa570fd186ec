"""A write killed inside its transaction leaves nothing once the store is opened again:
no staging file, no rows, and no growth of the DuckDB file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, comments_csv, make_rows

from trustdash.ingest import import_files
from trustdash.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

# Opens the store as the app or the CLI would, writes ~100 MB inside one transaction (DuckDB
# writes those blocks to the file before the commit) and is killed before committing.
_KILLED_WRITE = """
import os, signal, sys
from pathlib import Path
from trustdash.store import Store
store = Store(sys.argv[1])
staging = Path(sys.argv[1] + ".staging") / f"import-{os.getpid()}-dead"
staging.mkdir(parents=True)
(staging / "comments-0.parquet").write_bytes(b"x" * 1000)
with store.transaction() as cur:
    cur.execute(
        "CREATE TABLE scratch AS SELECT range AS i, md5(range::VARCHAR) || md5((range + 1)::VARCHAR)"
        " AS s FROM range(1500000)"
    )
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_killed_write_leaves_no_staging_and_no_growth(tmp_path: Path) -> None:
    db = tmp_path / "dead.duckdb"
    s = Store(db)
    assert import_files(s, [("a.csv", comments_csv(make_rows(200)))])[0].ok
    counts = s.table_counts()
    s.close()
    before = db.stat().st_size

    proc = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITE, str(db)], cwd=ROOT, capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    staging = Path(str(db) + ".staging")
    assert any(staging.rglob("*.parquet"))  # what the killed import left
    assert db.stat().st_size > before + 20_000_000  # its blocks are in the file

    s = Store(db)
    try:
        assert s.table_counts() == counts
        with s.cursor() as cur:
            tables = {
                r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
        assert "scratch" not in tables
        assert not any(staging.rglob("*"))
        # The file is back to its size (one block of slack for the checkpoint on open).
        assert db.stat().st_size <= before + 262_144
        # and keeps working: a new import goes in and is read back
        assert import_files(s, [("b.csv", comments_csv(make_rows(50, prefix="b")))])[0].ok
        assert s.table_counts()["comments"] == counts["comments"] + 50
    finally:
        s.close()
    s = Store(db)
    try:
        assert s.table_counts()["comments"] == counts["comments"] + 50
    finally:
        s.close()
