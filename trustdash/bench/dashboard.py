"""``python -m trustdash bench dashboard [--comments N]``: is the Overview cheaper than one
plain scan of the raw comments?

Builds a store of N scored comments (synthetic, 7 channels, 6 campaigns, two years,
brand replies linked by parent id) through the store's import batches, so the daily
rollups are maintained exactly as at import. Then, in the same run, times:

* everything the Overview shows (:func:`trustdash.analysis.overview`) for the default
  window (the last six months) and after a campaign filter change;
* one plain DuckDB ``GROUP BY channel`` over the comments table, unfiltered and with
  the same campaign filter.

Each figure is the median of several warm runs, the Overview and its scan timed in turns
(a busy moment then weighs on both); the ratio Overview / scan is the target (≤ 1: the
whole Overview costs less than one scan of the raw data).
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from trustdash import analysis
from trustdash.filters import Filters
from trustdash.store import COMMENT_INSERT_COLUMNS, Store

CHANNELS = ["facebook", "instagram", "x", "youtube", "tiktok", "linkedin", "trustpilot"]
CAMPAIGNS = ["", "Winter", "Spring launch", "Summer sale", "Back to school", "Holidays"]
TEXTS = [
    ("I love this brand, great quality", "positive", 0.7),
    ("Colis jamais reçu, remboursement ?", "negative", -0.7),
    ("Where is my order? Still waiting", "negative", -0.4),
    ("Merci pour la livraison rapide !", "positive", 0.6),
    ("Does it come in blue?", "neutral", 0.0),
    ("Bof, pas terrible cette fois", "negative", -0.3),
    ("Perfect gift, thank you", "positive", 0.8),
    ("Ok", "neutral", 0.0),
]
START = dt.datetime(2024, 11, 1)
DAYS = 730
RUNS = 9


def _chunk(rng: np.random.Generator, n: int, offset: int) -> pl.DataFrame:
    """n comments (about 1 in 5 a brand reply to the previous audience comment)."""
    idx = np.arange(offset, offset + n)
    chan = rng.integers(0, len(CHANNELS), n)
    # Time order follows the id order, as real exports do: row groups stay prunable.
    secs = (idx / max(offset + n, 1) * DAYS * 86400).astype(np.int64)
    created = np.datetime64(START) + secs.astype("timedelta64[s]")
    tid = rng.integers(0, len(TEXTS), n)
    camp = rng.integers(0, len(CAMPAIGNS), n)
    is_reply = rng.random(n) < 0.2
    delay = rng.exponential(6 * 3600, n).astype(np.int64)
    ids = np.char.add("c", idx.astype(str))
    parent = np.where(is_reply, np.char.add("c", np.maximum(idx - 1, 0).astype(str)), None)
    texts = np.array([t[0] for t in TEXTS])[tid]
    labels = np.array([t[1] for t in TEXTS])[tid]
    pol = np.array([t[2] for t in TEXTS])[tid]
    created = np.where(is_reply, created + delay.astype("timedelta64[s]"), created)
    frame = pl.DataFrame(
        {
            "channel": np.array(CHANNELS)[chan],
            "row_key": ids,
            "comment_id": ids,
            "post_id": np.char.add("p", (idx // 50).astype(str)),
            "parent_id": pl.Series(parent.astype(str)).replace("None", None),
            "author": np.where(is_reply, "brand", np.char.add("u", (idx % 50_000).astype(str))),
            "is_brand": is_reply,
            "created_at": created.astype("datetime64[us]"),
            "text": np.where(is_reply, "Thanks, we are on it", texts),
            # Built as strings then nulled: a numpy object array would become an Object
            # column, which is not text to DuckDB.
            "campaign": pl.Series(np.array(CAMPAIGNS)[camp]).replace("", None),
            "label": np.where(is_reply, "neutral", labels),
            "polarity": np.where(is_reply, 0.0, pol),
        }
    )
    return frame.with_columns(
        pl.col("is_brand").alias("is_brand_source"),
        pl.lit(False).alias("is_automated"),
        pl.lit(None, pl.Datetime("us")).alias("replied_at"),
        pl.lit(None, pl.String).alias("reply_text"),
        pl.lit(0, pl.Int64).alias("likes"),
        pl.lit(None, pl.Int64).alias("shares"),
        pl.lit(None, pl.Float64).alias("rating"),
        pl.when(pl.col("campaign").is_not_null()).then(pl.lit("file")).alias("campaign_source"),
        pl.lit(None, pl.String).alias("url"),
        pl.when(pl.col("text").str.contains("[éçà]|Merci|Bof")).then(pl.lit("fr"))
        .otherwise(pl.lit("en")).alias("lang"),
        pl.lit(True).alias("scored"),
        pl.col("polarity").alias("model_polarity"),
        pl.col("label").alias("model_label"),
        pl.col("text").str.contains("remboursement|waiting|jamais").alias("is_complaint"),
        pl.col("text").str.contains(r"\?").alias("is_question"),
        pl.col("text").hash().cast(pl.String).alias("text_key"),
        pl.lit(None, pl.Int64).alias("import_id"),
    ).select(COMMENT_INSERT_COLUMNS)  # fmt: skip


def build_store(path: Path, comments: int, out: Callable[[str], Any] = print) -> Store:
    store = Store(path)
    rng = np.random.default_rng(20261126)
    chunk = 1_000_000
    started = time.perf_counter()
    with store.import_batch({"file_name": "bench", "format": "bench", "table": "comments"}) as b:
        for offset in range(0, comments, chunk):
            frame = _chunk(rng, min(chunk, comments - offset), offset)
            b.rows_read += frame.height
            b.add_comments(frame)
            out(f"  built {offset + frame.height:,} comments")
    out(f"  store built in {time.perf_counter() - started:.1f} s (rollups included)")
    return store


def baseline_scan(store: Store, campaign: str | None = None) -> pl.DataFrame:
    """One plain GROUP BY channel over the raw comments (the benchmarks' yardstick)."""
    if campaign is None:
        return store.frame(
            "SELECT channel, count(*) AS n, avg(polarity) AS polarity FROM comments "
            "GROUP BY channel"
        )
    return store.frame(
        "SELECT channel, count(*) AS n, avg(polarity) AS polarity FROM comments "
        "WHERE campaign = ? GROUP BY channel",
        [campaign],
    )


def _median(fn: Callable[[], Any], runs: int = 5) -> float:
    fn()  # warm-up: first-call costs (plans, caches) are not what a user waits for
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _medians_in_turns(
    a: Callable[[], Any], b: Callable[[], Any], runs: int = RUNS
) -> tuple[float, float]:
    """Medians of a and b timed in alternation, so that a busy moment on a shared machine
    falls on both rather than on whichever happened to run then."""
    a(), b()  # warm-up
    ta, tb = [], []
    for _ in range(runs):
        for fn, times in ((a, ta), (b, tb)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return statistics.median(ta), statistics.median(tb)


def run(comments: int = 10_000_000, out: Callable[[str], Any] = print) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="trustdash-bench-") as tmp:
        out(f"Building a store of {comments:,} comments…")
        store = build_store(Path(tmp) / "bench.duckdb", comments, out)
        lo, hi = store.date_bounds()
        assert hi is not None
        window = Filters(start=hi - dt.timedelta(days=182), end=hi)
        campaign = CAMPAIGNS[3]
        overview_s, scan_s = _medians_in_turns(
            lambda: analysis.overview(store, window), lambda: baseline_scan(store)
        )
        overview_campaign_s, scan_campaign_s = _medians_in_turns(
            lambda: analysis.overview(store, window.with_(campaigns=(campaign,))),
            lambda: baseline_scan(store, campaign),
        )
        figures = {
            "comments": float(comments),
            "overview_s": overview_s,
            "scan_s": scan_s,
            "overview_campaign_s": overview_campaign_s,
            "scan_campaign_s": scan_campaign_s,
            # What a page rerun costs in the app: the cache key (the store's data version);
            # the Overview itself comes from the result cache until the data change.
            "cached_s": _median(lambda: store.data_version(), RUNS),
        }
        store.close()
    figures["ratio"] = figures["overview_s"] / figures["scan_s"]
    figures["ratio_campaign"] = figures["overview_campaign_s"] / figures["scan_campaign_s"]
    figures["ratio_cached"] = figures["cached_s"] / figures["scan_s"]
    out("")
    out(f"| {comments:,} comments | seconds (median of {RUNS}, timed in turns) |")
    out("|---|---|")
    out(f"| Overview, everything it shows | {figures['overview_s']:.3f} |")
    out(f"| plain GROUP BY channel scan | {figures['scan_s']:.3f} |")
    out(f"| **ratio Overview / scan** (target ≤ 1) | **{figures['ratio']:.2f}** |")
    out(f"| Overview after a campaign filter change | {figures['overview_campaign_s']:.3f} |")
    out(f"| scan with the same campaign filter | {figures['scan_campaign_s']:.3f} |")
    out(f"| **ratio (campaign)** | **{figures['ratio_campaign']:.2f}** |")
    out(f"| Overview served from the app's result cache (key check) | {figures['cached_s']:.3f} |")
    out(f"| **ratio cached / scan** | **{figures['ratio_cached']:.2f}** |")
    return figures
