"""Scale benchmark: the embedded store against DuckLake + PostgreSQL, and concurrency.

Run: ``python -m trustdash bench scale --comments N`` (or ``python -m trustdash.bench.scale N``).

One realistic comments CSV (the import benchmark's generator) is imported into a fresh
store on each backend, each in its own process so that peak memory (RSS high-water mark)
is its own; then the Overview is computed twice (cold, warm). Finally two importer
processes (overlapping files) and two reader processes run at once against one DuckLake,
and every row must arrive exactly once while the readers never fail.

DuckLake needs PostgreSQL: ``TRUSTDASH_BENCH_PG`` or ``TRUSTDASH_TEST_PG`` (a libpq
string); otherwise a throwaway cluster is started with ``.ci/postgres.sh`` when the
PostgreSQL binaries are installed, else the DuckLake rows are skipped.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_PG_SCRIPT = ROOT / ".ci" / "postgres.sh"
_BENCH_PG_PORT = "54339"
_BENCH_PG_DIR = "/tmp/trustdash-bench-pg"


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _lake_env(pg: str, workdir: Path, name: str) -> tuple[str, dict[str, str]]:
    """A fresh lake: its own PostgreSQL schema and data folder."""
    env = dict(os.environ)
    env["TRUSTDASH_LAKE_SCHEMA"] = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    env["TRUSTDASH_DATA_PATH"] = str(workdir / f"lake-{name}")
    env.pop("TRUSTDASH_DB", None)
    return f"ducklake:postgres:{pg}", env


@contextlib.contextmanager
def _lake_settings(env: dict[str, str]) -> Iterator[None]:
    """This process's lake settings as in ``env`` for a while (lake.connect reads them)."""
    keys = ("TRUSTDASH_LAKE_SCHEMA", "TRUSTDASH_DATA_PATH")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: env[k] for k in keys})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _child(target: str, csv_path: str) -> dict[str, Any]:
    """Import then compute the Overview (runs in its own process)."""
    from trustdash.analysis import overview
    from trustdash.filters import Filters
    from trustdash.ingest import import_files
    from trustdash.store import Store

    t0 = time.perf_counter()
    store = Store(target)
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = import_files(store, [(Path(csv_path).name, Path(csv_path))])[0]
    seconds = time.perf_counter() - t0
    timings = []
    for _ in range(2):
        t1 = time.perf_counter()
        overview(store, Filters())
        timings.append(time.perf_counter() - t1)
    store.close()
    return {
        "open_s": opened,
        "import_s": seconds,
        "rows_read": res.rows_read,
        "rows_imported": res.rows_imported,
        "rows_per_s": res.rows_read / seconds if seconds else 0.0,
        "overview_cold_s": timings[0],
        "overview_warm_s": timings[1],
        "errors": res.errors,
        "peak_rss_mb": _peak_rss_mb(),
    }


def _run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash.bench.scale", *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600,
    )  # fmt: skip
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout).strip()[-800:]}
    return json.loads(lines[-1])


# -- concurrency ------------------------------------------------------------------------------
def _reader(target: str, stop_file: str) -> dict[str, Any]:
    """Loop the channel trust numbers until ``stop_file`` exists; count errors and check
    that the total never goes backwards (each read is one committed snapshot)."""
    from trustdash.analysis import trust_json
    from trustdash.filters import Filters
    from trustdash.store import Store

    store = Store(target)
    loops, errors, backwards, last, worst = 0, [], 0, -1, 0.0
    while not os.path.exists(stop_file):
        t0 = time.perf_counter()
        try:
            total = sum(int(r.get("n") or 0) for r in trust_json(store, Filters(), "channel"))
            backwards += total < last
            last = max(last, total)
        except Exception as exc:  # counted and reported, the loop goes on
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        worst = max(worst, time.perf_counter() - t0)
        loops += 1
    store.close()
    return {"loops": loops, "errors": errors, "backwards": backwards, "worst_read_s": worst,
            "peak_rss_mb": _peak_rss_mb()}  # fmt: skip


def write_overlapping_files(workdir: Path, rows: int) -> tuple[list[Path], list[Path], int]:
    """Two importers' files: each has its own rows plus a share common to both (the same
    comment exported twice); returns (files of A, files of B, distinct comments)."""
    header = ["comment_id", "post_id", "author", "created_at", "text", "channel"]
    texts = ["Love it, thanks!", "Still waiting for my refund.", "Where is my order?",
             "Great service today", "Terrible app update, it crashes"]  # fmt: skip
    shared = max(rows // 4, 1)

    def write(path: Path, prefix: str, channel: str, n: int) -> None:
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for i in range(n):
                w.writerow([f"{prefix}{i}", f"p{i % 50}", f"u{i % 997}",
                            f"2026-05-{1 + i % 28:02d}T{i % 24:02d}:00:00",
                            texts[i % len(texts)], channel])  # fmt: skip
            for i in range(shared):  # the overlap: same ids, same channel
                w.writerow([f"s{channel}{i}", f"p{i % 50}", f"v{i}",
                            f"2026-05-{1 + i % 28:02d}T12:00:00", texts[i % 3], channel])  # fmt: skip

    a = [workdir / "a_fb.csv", workdir / "a_ig.csv"]
    b = [workdir / "b_fb.csv", workdir / "b_x.csv"]
    write(a[0], "a", "facebook", rows)
    write(a[1], "a", "instagram", rows)
    write(b[0], "b", "facebook", rows)
    write(b[1], "b", "x", rows)
    distinct = 4 * rows + 3 * shared  # facebook's shared rows appear in both A and B
    return a, b, distinct


def run_concurrent(pg: str, workdir: Path, rows: int = 5_000, readers: int = 2) -> dict[str, Any]:
    """Two CLI importer processes and ``readers`` reader processes on one fresh DuckLake."""
    workdir.mkdir(parents=True, exist_ok=True)
    target, env = _lake_env(pg, workdir, "conc")
    a, b, distinct = write_overlapping_files(workdir, rows)
    stop = workdir / "stop"
    stop.unlink(missing_ok=True)
    # Create the lake first so that the readers have a schema to read.
    from trustdash.store import Store

    with _lake_settings(env):
        Store(target).close()
    def spawn(*args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, cwd=ROOT,
        )  # fmt: skip

    t0 = time.perf_counter()
    reader_procs = [
        spawn("trustdash.bench.scale", "reader", target, str(stop)) for _ in range(readers)
    ]
    importers = [
        spawn("trustdash", "import", "--db", target, "--json", *map(str, files))
        for files in (a, b)
    ]
    imports = []
    for p in importers:
        out, err = p.communicate(timeout=1800)
        imports.append({"rc": p.returncode, "stdout": out, "stderr": err[-2000:]})
    import_s = time.perf_counter() - t0
    stop.write_text("stop")
    reads = []
    for p in reader_procs:
        out, err = p.communicate(timeout=300)
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        reads.append(json.loads(lines[-1]) if lines else {"error": err[-2000:]})

    with _lake_settings(env):
        store = Store(target)
        total = store.one("SELECT count(*) FROM comments")
        unique = store.one("SELECT count(*) FROM (SELECT DISTINCT channel, row_key FROM comments)")
        rollup = store.one("SELECT sum(audience) FROM daily_rollup")
        n_imports = store.one("SELECT count(*) FROM imports")
        ids = store.one("SELECT count(DISTINCT id) FROM imports")
        store.close()
    results = []
    for imp in imports:
        with_json = [ln for ln in imp["stdout"].splitlines() if ln.strip().startswith(("[", "{"))]
        try:
            parsed = json.loads("\n".join(with_json)) if with_json else None
        except ValueError:
            parsed = None
        # The CLI prints {"files": [...]} (older versions: a bare list).
        results.append(parsed.get("files") if isinstance(parsed, dict) else parsed)
    return {
        "rows_written": 2 * (2 * rows + 2 * max(rows // 4, 1)),
        "expected_distinct": distinct,
        "stored": total,
        "stored_unique": unique,
        "rollup_audience": rollup,
        "imports": n_imports,
        "distinct_import_ids": ids,
        "import_wall_s": import_s,
        "importers": imports,
        "import_results": results,
        "readers": reads,
    }


# -- PostgreSQL --------------------------------------------------------------------------------
def _find_pg(out: Callable[[str], Any]) -> tuple[str | None, Callable[[], None]]:
    pg = os.environ.get("TRUSTDASH_BENCH_PG") or os.environ.get("TRUSTDASH_TEST_PG")
    if pg:
        return pg, lambda: None
    if not _PG_SCRIPT.is_file() or not list(Path("/usr/lib/postgresql").glob("*/bin/postgres")):
        out("DuckLake skipped: set TRUSTDASH_BENCH_PG (no PostgreSQL binaries found).")
        return None, lambda: None
    script = f'source {_PG_SCRIPT} && pg_start >/dev/null && echo "$TRUSTDASH_TEST_PG"'
    env = {**os.environ, "PG_PORT": _BENCH_PG_PORT, "PG_DIR": _BENCH_PG_DIR}
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env)
    pg = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout else ""
    if not pg:
        out(f"DuckLake skipped: could not start PostgreSQL ({proc.stderr.strip()[-300:]}).")
        return None, lambda: None

    def stop() -> None:
        subprocess.run(["bash", "-c", f"source {_PG_SCRIPT} && pg_stop"], env=env, check=False)

    out("Started a throwaway PostgreSQL for DuckLake.")
    return pg, stop


# -- report ------------------------------------------------------------------------------------
def run(comments: int = 1_000_000, out: Callable[[str], Any] = print) -> dict[str, Any]:
    """Benchmark both backends on ``comments`` rows plus the concurrency run; returns figures."""
    from trustdash.bench.importing import generate_csv

    work = Path(tempfile.mkdtemp(prefix="trustdash-scale-"))
    csv_path = generate_csv(work / "comments.csv", comments)
    out(f"Generated {comments:,} comments ({csv_path.stat().st_size / 1e6:,.0f} MB).")
    figures: dict[str, Any] = {"comments": comments}
    env = {k: v for k, v in os.environ.items() if k != "TRUSTDASH_DB"}
    figures["embedded"] = _run_child(["child", str(work / "bench.duckdb"), str(csv_path)], env)
    pg, stop = _find_pg(out)
    try:
        if pg:
            target, lenv = _lake_env(pg, work, "main")
            figures["ducklake"] = _run_child(["child", target, str(csv_path)], lenv)
            conc_rows = max(1_000, min(comments // 40, 25_000))
            figures["concurrent"] = run_concurrent(pg, work / "concurrent", conc_rows)
    finally:
        stop()
    _print(figures, out)
    return figures


def _ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}×" if isinstance(a, int | float) and b else "—"


def _print(f: dict[str, Any], out: Callable[[str], Any]) -> None:
    emb, dl = f.get("embedded", {}), f.get("ducklake", {})
    for name, d in (("embedded", emb), ("ducklake", dl)):
        if d.get("error"):
            out(f"{name} failed: {d['error']}")
    rows = [
        ("import rows/s", "rows_per_s", "{:,.0f}"),
        ("import seconds", "import_s", "{:.1f}"),
        ("Overview cold (s)", "overview_cold_s", "{:.2f}"),
        ("Overview warm (s)", "overview_warm_s", "{:.2f}"),
        ("peak RSS (MB)", "peak_rss_mb", "{:,.0f}"),
    ]

    def cell(d: dict, key: str, fmt: str) -> str:
        return fmt.format(d[key]) if isinstance(d.get(key), int | float) else "—"

    out(f"\n{'':<20}{'embedded':>14}{'DuckLake':>14}{'DuckLake/emb':>14}")
    for label, key, fmt in rows:
        out(f"{label:<20}{cell(emb, key, fmt):>14}{cell(dl, key, fmt):>14}"
            f"{_ratio(dl.get(key), emb.get(key)):>14}")  # fmt: skip
    c = f.get("concurrent")
    if not c:
        out("\nConcurrency: skipped (no DuckLake).")
        return
    ok = (
        c["stored"] == c["stored_unique"] == c["expected_distinct"]
        and all(i["rc"] == 0 for i in c["importers"])
        and all(not r.get("errors") and not r.get("error") and not r.get("backwards")
                for r in c["readers"])
    )  # fmt: skip
    out(
        f"\nConcurrency (2 importer + {len(c['readers'])} reader processes, one DuckLake): "
        f"{c['rows_written']:,} rows written, {c['stored']:,} stored "
        f"(expected {c['expected_distinct']:,} distinct) in {c['import_wall_s']:.1f} s; "
        + ", ".join(
            f"reader {i + 1}: {r.get('loops', 0)} reads, worst {r.get('worst_read_s', 0):.2f} s, "
            f"{len(r.get('errors', [])) + bool(r.get('error'))} errors"
            for i, r in enumerate(c["readers"])
        )
        + f" — {'OK' if ok else 'FAILED'}"
    )


def main(argv: list[str]) -> int:
    if argv and argv[0] == "child":
        print(json.dumps(_child(argv[1], argv[2])))
        return 0
    if argv and argv[0] == "reader":
        print(json.dumps(_reader(argv[1], argv[2])))
        return 0
    run(int(argv[0]) if argv else 1_000_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
