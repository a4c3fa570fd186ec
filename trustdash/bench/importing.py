"""Import benchmark: trustdash's end-to-end import against DuckDB's plain CSV load.

Run: ``python -m trustdash bench import --rows N`` (or ``python -m trustdash.bench.importing N``).

A realistic comments CSV is generated (ids, post ids, some parent ids, authors, ISO
timestamps, EN/FR texts from templates with about 60 % unique texts, campaign, channel),
then three phases run on the same file, each in its own spawned process so that its peak
memory (RSS high-water mark) is measured on its own:

- ``duckdb``: ``CREATE TABLE t AS SELECT * FROM read_csv('file')`` in a fresh DuckDB file;
- ``import``: ``import_files`` without sentiment scoring into a fresh store (read, detect,
  map, de-duplicate, store, rollups);
- ``import_scored``: the same with sentiment scoring.

Targets: import ≤ 3× the plain load, import with scoring ≤ 10×.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

TARGET_PLAIN = 3.0
TARGET_SCORED = 10.0

_CHANNELS = ["facebook", "instagram", "x", "youtube", "tiktok"]
_CAMPAIGNS = ["summer_sale", "back_to_school", "black_friday", "launch_v2", "noel", ""]
_DECOR = [
    " (order {n})",
    " commande n°{n}",
    " @user{n}",
    " ref {n}",
    " - ticket #{n}",
    " dossier {n}",
]


def generate_csv(path: str | Path, rows: int, seed: int = 11) -> Path:
    """Write a synthetic comments export of ``rows`` rows to ``path`` (vectorised)."""
    from trustdash.bench.sentiment import make_comments

    path = Path(path)
    rng = np.random.default_rng(seed)
    base = pl.Series(make_comments(20_000, seed=seed), dtype=pl.String)
    popular = base.head(2_000)
    n = rows
    idx = np.arange(n, dtype=np.int64)
    unique = rng.random(n) < 0.6
    text_base = base.gather(rng.integers(0, base.len(), n))
    pop = popular.gather(rng.integers(0, popular.len(), n))
    decor_id = rng.integers(0, len(_DECOR), n)
    ref = idx * 7 + 100_000  # distinct numbers: the unique texts stay unique
    decor_pre = pl.Series([d.split("{n}")[0] for d in _DECOR]).gather(decor_id)
    decor_post = pl.Series([d.split("{n}")[1] for d in _DECOR]).gather(decor_id)
    posts = max(1, n // 40)
    post_of = rng.integers(0, posts, n)
    has_parent = rng.random(n) < 0.25
    parent = np.where(has_parent, np.maximum(idx - rng.integers(1, 50, n), 0), -1)
    start = np.datetime64("2024-01-01T00:00:00")
    seconds = np.sort(rng.integers(0, 365 * 86_400, n))
    created = (start + seconds.astype("timedelta64[s]")).astype("datetime64[ms]")
    authors = rng.integers(0, max(10, n // 8), n)
    df = pl.DataFrame(
        {
            "idx": idx,
            "unique": unique,
            "base": text_base,
            "pop": pop,
            "pre": decor_pre,
            "post": decor_post,
            "ref": ref,
            "post_of": post_of,
            "parent": parent,
            "created": created,
            "author": authors,
            "brand": rng.random(n) < 0.05,
            "channel": pl.Series(_CHANNELS).gather(rng.integers(0, len(_CHANNELS), n)),
            "campaign": pl.Series(_CAMPAIGNS).gather(rng.integers(0, len(_CAMPAIGNS), n)),
            "likes": rng.poisson(2.0, n),
        }
    )
    out = df.select(
        pl.format("c{}", pl.col("idx") + 1_000_000_000).alias("comment_id"),
        pl.format("p{}", pl.col("post_of") + 5_000_000).alias("post_id"),
        pl.when(pl.col("parent") >= 0)
        .then(pl.format("c{}", pl.col("parent") + 1_000_000_000))
        .alias("parent_id"),
        pl.when(pl.col("brand"))
        .then(pl.lit("AcmeSupport"))
        .otherwise(pl.format("user_{}", pl.col("author")))
        .alias("author"),
        pl.col("created").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("created_at"),
        pl.when(pl.col("unique"))
        .then(
            pl.concat_str(
                [pl.col("base"), pl.col("pre"), pl.col("ref").cast(pl.String), pl.col("post")]
            )
        )  # fmt: skip
        .otherwise(pl.col("pop"))
        .alias("text"),
        pl.col("likes"),
        pl.col("campaign").replace("", None),
        pl.col("channel"),
    )
    out.write_csv(path)
    return path


# --------------------------------------------------------------------------- phases


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def _phase_duckdb(csv_path: str, workdir: str) -> dict[str, Any]:
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(os.path.join(workdir, "plain.duckdb"))
    con.execute("SET enable_progress_bar = false")
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{csv_path}')")  # noqa: S608
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - t0, "rows": int(rows)}


def _phase_import(csv_path: str, workdir: str, score: bool) -> dict[str, Any]:
    from trustdash.ingest import ImportOptions, import_files
    from trustdash.store import Store

    t0 = time.perf_counter()
    store = Store(os.path.join(workdir, f"store_{int(score)}.duckdb"))
    results = import_files(
        store, [(os.path.basename(csv_path), Path(csv_path))], ImportOptions(score_sentiment=score)
    )
    store.close()
    seconds = time.perf_counter() - t0
    res = results[0]
    return {
        "seconds": seconds,
        "rows": res.rows_imported,
        "rows_read": res.rows_read,
        "rejected": res.rejected,
        "format": res.format,
        "errors": [e for r in results for e in r.errors],
    }


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _child(kind: str, args: tuple, queue: Any) -> None:
    try:
        if kind != "duckdb":
            # Module imports are not part of the timing. DuckDB imports pandas on the first
            # query with parameters (every store call has some); the app has it loaded by
            # Streamlit.
            import pandas  # noqa: F401

            import trustdash.ingest  # noqa: F401
        cpu0 = _cpu()
        if kind == "duckdb":
            out = _phase_duckdb(*args)
        else:
            out = _phase_import(*args, score=kind == "import_scored")
        out["cpu_seconds"] = _cpu() - cpu0
        out["peak_rss_mb"] = _peak_rss_mb()
    except BaseException as exc:  # report, never hang the parent
        out = {"error": f"{type(exc).__name__}: {exc}"}
    queue.put(out)


def _baseline_child(queue: Any) -> None:
    import duckdb  # noqa: F401

    import trustdash.ingest  # noqa: F401

    queue.put({"peak_rss_mb": _peak_rss_mb()})


def run_phase(kind: str, *args: Any) -> dict[str, Any]:
    """Run one phase in a fresh spawned process; returns its figures and peak RSS."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    target: Callable[..., None]
    if kind == "baseline":
        proc = ctx.Process(target=_baseline_child, args=(queue,))
    else:
        target = _child
        proc = ctx.Process(target=target, args=(kind, args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


# --------------------------------------------------------------------------- driver


def run(rows: int = 1_000_000, out: Callable[[str], Any] = print) -> dict[str, Any]:
    """Generate ``rows`` comments, time the three phases, print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="trustdash-bench-") as workdir:
        csv_path = os.path.join(workdir, "comments_bench.csv")
        t0 = time.perf_counter()
        generate_csv(csv_path, rows)
        gen_s = time.perf_counter() - t0
        size_mb = os.path.getsize(csv_path) / 1024**2
        out(f"generated {rows:,} rows ({size_mb:,.1f} MB) in {gen_s:.1f} s")
        base = run_phase("baseline")
        plain = run_phase("duckdb", csv_path, workdir)
        imp = run_phase("import", csv_path, workdir)
        scored = run_phase("import_scored", csv_path, workdir)
    figures: dict[str, Any] = {
        "rows": rows,
        "file_mb": round(size_mb, 1),
        "generate_seconds": round(gen_s, 2),
        "baseline_rss_mb": round(base.get("peak_rss_mb", 0.0), 1),
    }
    plain_s = plain.get("seconds")
    for key, res in (("duckdb", plain), ("import", imp), ("import_scored", scored)):
        if "error" in res or res.get("errors"):
            figures[key] = {"error": res.get("error") or res.get("errors")}
            out(f"{key:>14}: FAILED {figures[key]['error']}")
            continue
        secs = res["seconds"]
        entry = {
            "seconds": round(secs, 2),
            "cpu_seconds": round(res["cpu_seconds"], 2),
            "rows_per_second": round(rows / secs) if secs else None,
            "peak_rss_mb": round(res["peak_rss_mb"], 1),
            "rows_stored": res["rows"],
        }
        if key != "duckdb" and plain_s:
            entry["ratio"] = round(secs / plain_s, 2)
            entry["cpu_ratio"] = round(res["cpu_seconds"] / plain["cpu_seconds"], 2)
            entry["target"] = TARGET_PLAIN if key == "import" else TARGET_SCORED
            entry["within_target"] = entry["ratio"] <= entry["target"]
        figures[key] = entry
    out(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    out(f"baseline process RSS (interpreter + polars + duckdb): {figures['baseline_rss_mb']} MB")
    out(
        f"{'phase':>14} {'seconds':>8} {'cpu s':>7} {'rows/s':>11} {'peak MB':>8} "
        f"{'ratio':>6} {'cpu ratio':>9}  target (on the wall-time ratio)"
    )
    for key in ("duckdb", "import", "import_scored"):
        e = figures[key]
        if "error" in e:
            continue
        ratio = f"{e['ratio']:.2f}x" if "ratio" in e else "1.00x"
        cpu_ratio = f"{e['cpu_ratio']:.2f}x" if "cpu_ratio" in e else "1.00x"
        target = (
            f"<= {e['target']:.0f}x {'ok' if e['within_target'] else 'MISSED'}"
            if "ratio" in e
            else "(reference)"
        )
        out(
            f"{key:>14} {e['seconds']:>8.2f} {e['cpu_seconds']:>7.2f} "
            f"{e['rows_per_second']:>11,} {e['peak_rss_mb']:>8.0f} {ratio:>6} {cpu_ratio:>9}  "
            f"{target}"
        )
    return figures


if __name__ == "__main__":
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
