"""Hostile files: each ends in a clear message naming the file, in bounded memory,
with nothing stored; one bad file never blocks the good ones (API and CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, comments_csv, make_rows

from tests.hostile import make
from trustdash.ingest import FileResult, import_files
from trustdash.store import Store

BAD_DIR = make.COMMITTED / "bad"
ODD_DIR = make.COMMITTED / "odd"
BAD = sorted(BAD_DIR.iterdir())
ODD = sorted(ODD_DIR.iterdir())
RSS_LIMIT_MB = 1536  # the CLI child must stay under 1.5 GB whatever the file


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("hostile_big")
    return {name: gen(d) for name, gen in make.BIG.items()}


@pytest.fixture
def embedded(tmp_path: Path):
    s = Store(tmp_path / "h.duckdb")
    yield s
    s.close()


def _nothing_stored(store: Store) -> None:
    assert store.table_counts() == {"comments": 0, "posts": 0, "daily_metrics": 0, "imports": 0}
    assert store.table_frame("rejected_rows").height == 0


def _assert_refused(results: list[FileResult], name: str) -> None:
    assert results, name
    for r in results:
        assert not r.ok, f"{name} was accepted: {r}"
        assert r.errors and all(name in e for e in r.errors), r.errors
        assert r.import_id is None and r.rows_imported == 0
        assert "Traceback" not in " ".join(r.errors)


def test_committed_corpus_is_complete() -> None:
    assert len(BAD) == len(make.SMALL) and len(ODD) == len(make.SURVIVABLE)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_file_refused(embedded: Store, path: Path) -> None:
    # as a path (CLI-like) and as bytes (upload-like)
    _assert_refused(import_files(embedded, [(path.name, path)]), path.name)
    _assert_refused(import_files(embedded, [(path.name, path.read_bytes())]), path.name)
    _nothing_stored(embedded)


@pytest.mark.parametrize("path", ODD, ids=lambda p: p.name)
def test_odd_file_handled(embedded: Store, path: Path) -> None:
    results = import_files(embedded, [(path.name, path)])
    stored = 0
    for r in results:
        if r.ok:
            assert r.rows_read == r.rows_imported + r.duplicates + r.rejected + r.rows_updated
            stored += r.rows_imported
        else:
            assert all(path.name in e for e in r.errors)
    assert embedded.table_counts()["comments"] == stored
    if not any(r.ok for r in results):
        _nothing_stored(embedded)


@pytest.mark.parametrize("name", list(make.BIG))
def test_big_hostile_file_refused(embedded: Store, big_files: dict[str, Path], name: str) -> None:
    path = big_files[name]
    started = time.perf_counter()
    _assert_refused(import_files(embedded, [(path.name, path)]), path.name)
    assert time.perf_counter() - started < 60
    _nothing_stored(embedded)


def test_bad_files_never_block_good_ones(embedded: Store, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(comments_csv(make_rows(25)))
    files = [(p.name, p) for p in BAD[: len(BAD) // 2]]
    files += [("good.csv", good)]
    files += [(p.name, p) for p in BAD[len(BAD) // 2 :]]
    results = import_files(embedded, files)
    ok = [r for r in results if r.ok]
    assert [r.path for r in ok] == ["good.csv"] and ok[0].rows_imported == 25
    assert len(results) == len(files)
    assert embedded.table_counts()["comments"] == 25
    assert embedded.table_counts()["imports"] == 1


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def _run_cli(args: list[str], tmp_path: Path) -> tuple[int, str, str, float]:
    """Run the CLI; returns (exit code, stdout, stderr, peak RSS of that child in MB).

    The peak is the child's own high-water mark (``VmHWM``, sampled every 20 ms while it
    runs: it only grows, so the last sample holds the peak). ``wait4``/``getrusage``
    would not do on Linux: a child's ``ru_maxrss`` starts at the RSS of the parent it
    was forked from (here pytest with polars and DuckDB loaded, ~400 MB). Where /proc is
    missing, that rusage figure is used as an upper bound instead."""
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    peak = 0.0
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(
            [sys.executable, "-m", "trustdash", *args], stdout=fo, stderr=fe, cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        sampled = False
        while True:
            hwm = _vm_hwm_mb(proc.pid)
            if hwm is not None:
                peak, sampled = max(peak, hwm), True
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if not sampled:
        peak = usage.ru_maxrss / 1024  # kilobytes on Linux
    return proc.returncode, out.read_text(), err.read_text(), peak


def _check_cli_payload(stdout: str, bad_names: list[str], good: dict[str, int]) -> None:
    payload = json.loads(stdout)["files"]
    by_name: dict[str, list[dict]] = {}
    for p in payload:
        owner = next((n for n in [*bad_names, *good] if p["path"].startswith(n)), p["path"])
        by_name.setdefault(owner, []).append(p)
    for name in bad_names:
        assert name in by_name, name
        for p in by_name[name]:
            assert p["errors"] and all(name in e for e in p["errors"]), p
            assert p["rows_imported"] == 0
    for name, rows in good.items():
        (p,) = by_name[name]
        assert not p["errors"] and p["rows_imported"] == rows, p


def test_cli_batch_of_hostile_files(tmp_path: Path, record_property) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(comments_csv(make_rows(25)))
    db = tmp_path / "cli.duckdb"
    args = ["import", *map(str, BAD), str(good), "--db", str(db), "--json"]
    code, stdout, stderr, rss = _run_cli(args, tmp_path)
    assert code == 1
    assert "Traceback" not in stderr, stderr
    _check_cli_payload(stdout, [p.name for p in BAD], {"good.csv": 25})
    record_property("peak_rss_mb", round(rss))
    print(f"\nCLI batch of {len(BAD)} hostile files + 1 good: peak RSS {rss:.0f} MB")
    assert rss < RSS_LIMIT_MB
    s = Store(db)
    try:
        assert s.table_counts()["comments"] == 25 and s.table_counts()["imports"] == 1
    finally:
        s.close()


@pytest.mark.parametrize("name", list(make.BIG))
def test_cli_big_hostile_file(tmp_path: Path, big_files: dict[str, Path], name: str) -> None:
    path = big_files[name]
    db = tmp_path / "cli.duckdb"
    code, stdout, stderr, rss = _run_cli(["import", str(path), "--db", str(db), "--json"], tmp_path)
    print(f"\nCLI {name} ({path.stat().st_size / 1024**2:.1f} MB on disk): peak RSS {rss:.0f} MB")
    assert code == 1
    assert "Traceback" not in stderr, stderr
    _check_cli_payload(stdout, [path.name], {})
    assert rss < RSS_LIMIT_MB
    s = Store(db)
    try:
        _nothing_stored(s)
    finally:
        s.close()


def test_cli_plain_output_names_the_file(tmp_path: Path) -> None:
    bad = BAD_DIR / "export.csv"
    code, stdout, stderr, _ = _run_cli(
        ["import", str(bad), "--db", str(tmp_path / "p.duckdb")], tmp_path
    )
    assert code == 1 and "export.csv" in stderr and "HTML" in stderr
    assert "Traceback" not in stderr
