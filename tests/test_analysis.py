"""What the pages show: filters change numbers, periods, validity of rankings, inbox."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import analysis, trust
from trustdash.filters import NO_CAMPAIGN, Filters, from_params, to_params
from trustdash.ingest import import_files
from trustdash.store import Store


def test_campaign_filter_changes_the_numbers(store: Store) -> None:
    import_files(store, [("a.csv", comments_csv(make_rows(200, campaign="Good", good=0.9,
                                                          prefix="g")))])  # fmt: skip
    import_files(store, [("b.csv", comments_csv(make_rows(200, campaign="Bad", good=0.2,
                                                          prefix="b")))])  # fmt: skip
    all_ = analysis.brand_headline(store, Filters())["trust"]
    good = analysis.brand_headline(store, Filters(campaigns=("Good",)))["trust"]
    bad = analysis.brand_headline(store, Filters(campaigns=("Bad",)))["trust"]
    assert bad < all_ < good


def test_trust_by_period_and_previous_window(store: Store) -> None:
    import_files(store, [("a.csv", comments_csv(make_rows(400, start=dt.datetime(2026, 1, 1))))])
    weeks = analysis.trust_table(store, Filters(), "week")
    assert weeks.height >= 15
    assert weeks["group"].to_list() == sorted(weeks["group"].to_list())
    f = Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 30))
    ov = analysis.overview(store, f)
    assert ov.previous and ov.previous["trust"] is not None
    assert ov.delta is not None
    assert not ov.series.is_empty()


def test_ranking_agrees_with_known_truth(store: Store) -> None:
    # Channels generated with a known order of quality: share of satisfied comments and
    # of answered complaints both decrease from a to e; volumes differ.
    truth = [("a", 0.9, 2, 300), ("b", 0.75, 3, 80), ("c", 0.6, 4, 500), ("d", 0.45, 6, 120),
             ("e", 0.3, 0, 400)]  # fmt: skip
    for name, good, reply_every, n in truth:
        rows = make_rows(n, channel=name, good=good, prefix=name, reply_every=reply_every)
        import_files(store, [(f"{name}.csv", comments_csv(rows))])
    table = analysis.trust_table(store, Filters(), "channel")
    assert table["group"].to_list() == [t[0] for t in truth]


def test_tiny_group_does_not_outrank_a_large_good_one(store: Store) -> None:
    import_files(store, [("big.csv", comments_csv(make_rows(600, channel="big", good=0.85,
                                                            prefix="b")))])  # fmt: skip
    import_files(store, [("tiny.csv", comments_csv(make_rows(6, channel="tiny", good=1.0,
                                                             prefix="t")))])  # fmt: skip
    table = analysis.trust_table(store, Filters(), "channel")
    assert table["group"].to_list()[0] == "big"
    tiny = table.filter(table["group"] == "tiny").row(0, named=True)
    assert tiny["insufficient"]


def test_url_params_round_trip_and_validation() -> None:
    f = Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 1), ("x",), ("Spring", NO_CAMPAIGN), "month")
    parsed = from_params(to_params(f), known_channels=["x", "facebook"],
                         known_campaigns=["Spring"])  # fmt: skip
    assert parsed.filters == f and not parsed.notices
    junk = {"from": "not-a-date", "channel": ["x", "'; DROP"], "campaign": "A" * 10_000,
            "gran": "year"}  # fmt: skip
    parsed = from_params(junk, known_channels=["x"], known_campaigns=[])
    assert parsed.filters.channels == ("x",)
    assert parsed.filters.campaigns == ()
    assert parsed.filters.granularity == "week"
    assert len(parsed.notices) == 4


def test_separating_terms() -> None:
    import polars as pl

    texts = pl.DataFrame(
        {"text": ["refund never arrived"] * 5 + ["love the quality"] * 5,
         "label": ["negative"] * 5 + ["positive"] * 5}
    )  # fmt: skip
    terms = analysis.separating_terms(texts, top=3)
    neg = terms.filter(pl.col("leans") == "negative")["term"].to_list()
    pos = terms.filter(pl.col("leans") == "positive")["term"].to_list()
    assert set(neg) & {"refund", "never arrived", "refund never"}
    assert set(pos) & {"love", "quality", "love the"}


def test_cli_import_is_handed_to_the_running_app(tmp_path: Path) -> None:
    from trustdash import inbox

    db = tmp_path / "app.duckdb"
    app_store = Store(db)  # this process plays the app: it holds the file
    inbox.start_watcher(app_store, interval=0.2)
    f = tmp_path / "c.csv"
    f.write_bytes(comments_csv(make_rows(25)))
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash", "import", str(f), "--db", str(db), "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["rows_imported"] == 25
    assert app_store.table_counts()["comments"] == 25
    app_store.close()


def _mixed_store(store: Store) -> None:
    """Three channels (one with brand replies), two campaigns, about four months."""
    start = dt.datetime(2026, 1, 5, 9)
    for name, camp, good, reply in [("x", "Spring", 0.6, 3), ("facebook", "", 0.8, 0),
                                    ("youtube", "Spring", 0.4, 2), ("x", "", 0.7, 0)]:  # fmt: skip
        rows = make_rows(400, channel=name, campaign=camp, good=good, start=start,
                         prefix=f"{name}{camp}", reply_every=reply)  # fmt: skip
        import_files(store, [(f"{name}{camp}.csv", comments_csv(rows))])


def _period_of(day: dt.date, dim: str | None) -> str:
    if dim in (None, "brand"):
        return "brand" if dim else ""
    if dim == "day":
        return day.isoformat()
    if dim == "week":
        return (day - dt.timedelta(days=day.weekday())).isoformat()
    return day.replace(day=1).isoformat()


def _period_last(start: str, dim: str) -> dt.date:
    first = dt.date.fromisoformat(start)
    if dim == "day":
        return first
    if dim == "week":
        return first + dt.timedelta(days=6)
    nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def _naive_counts(
    store: Store, f: Filters, by: str, then_by: str | None, half_life: float,
    targets: dict[str, float],
) -> dict[tuple[str, str], dict[str, float]]:
    """The documented sums, row by row in plain Python over the stored rollup rows."""
    rows = store.rollup_rows(Filters(channels=f.channels, campaigns=f.campaigns))
    replies = {c for c, has in store.rollup_channel_replies() if has}
    out: dict[tuple[str, str], dict[str, float]] = {}
    for i in range(len(rows["channel"])):
        day = rows["day"][i].astype(dt.date)
        if (f.start and day < f.start) or (f.end and day > f.end):
            continue
        channel, campaign = str(rows["channel"][i]), str(rows["campaign"][i]) or NO_CAMPAIGN

        names = {"channel": channel, "campaign": campaign}
        key = (names.get(by) or _period_of(day, by),
               (names.get(then_by) or _period_of(day, then_by)) if then_by else "")
        end = _period_last(key[0], by) if by in ("day", "week", "month") else f.end
        age = max((end - day).days, 0)
        w = 0.5 ** (age / half_life) if half_life else 1.0
        hours = targets.get(channel, 24.0)
        bucket = max(b for b in (1, 2, 4, 8, 12, 24, 48, 72, 168) if b <= hours)
        tgt = float(rows[f"in_{bucket}h"][i])
        measurable = 1.0 if channel in replies else 0.0
        acc = out.setdefault(key, dict.fromkeys(
            ("pos", "neg", "audience", "complaints", "actionable", "answered_in_target",
             "n_raw", "actionable_raw", "in_target_raw", "reply_data"), 0.0))  # fmt: skip
        for name in ("pos", "neg", "audience", "complaints"):
            acc[name] += w * float(rows[name][i])
        acc["actionable"] += w * float(rows["actionable"][i]) * measurable
        acc["answered_in_target"] += w * tgt
        acc["n_raw"] += float(rows["audience"][i])
        acc["actionable_raw"] += float(rows["actionable"][i])
        acc["in_target_raw"] += tgt
        acc["reply_data"] = max(acc["reply_data"], measurable)
    return out


def test_counts_equal_the_documented_sums_of_the_rollup_rows(store: Store) -> None:
    _mixed_store(store)
    targets = {"x": 1.0, "facebook": 24.0, "youtube": 48.0}
    settings = trust.TrustSettings(targets=targets)
    windows = [
        Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 31)),
        Filters(start=dt.date(2026, 1, 1), end=dt.date(2026, 5, 1), campaigns=("Spring",)),
        Filters(start=dt.date(2026, 2, 10), end=dt.date(2026, 4, 20), channels=("x",)),
        Filters(start=dt.date(2026, 2, 10), end=dt.date(2026, 4, 20), campaigns=(NO_CAMPAIGN,)),
    ]
    groupings = [("brand", None), ("channel", None), ("campaign", None), ("week", "channel"),
                 ("day", "brand"), ("month", "channel"), ("week", None), ("month", "campaign")]
    checked = 0
    for f in windows:
        for by, then_by in groupings:
            for half_life in (90.0, 0.0):
                s = dataclasses.replace(settings, half_life_days=half_life)
                got = analysis.counts(store, f, by, s, then_by=then_by)
                want = _naive_counts(store, f, by, then_by, half_life, targets)
                keys = list(zip(got["group"], got.get("sub") or [""] * len(got["group"]),
                                strict=True))  # fmt: skip
                assert keys == sorted(want), (f, by, then_by)
                for i, key in enumerate(keys):
                    for name, value in want[key].items():
                        assert float(got[name][i]) == pytest.approx(value, rel=1e-9, abs=1e-9), (
                            f, by, then_by, key, name)
                    checked += 1
    assert checked > 200


def _naive_sentiment(store: Store, f: Filters, dim: str, gran: str) -> pl.DataFrame:
    rows = store.rollup_rows(Filters(channels=f.channels, campaigns=f.campaigns))
    acc: dict[tuple[str, str], list[float]] = {}
    for i in range(len(rows["channel"])):
        day = rows["day"][i].astype(dt.date)
        if (f.start and day < f.start) or (f.end and day > f.end):
            continue
        group = str(rows["channel"][i]) if dim == "channel" else "brand"
        sums = acc.setdefault((group, _period_of(day, gran)), [0.0, 0.0, 0.0])
        for j, name in enumerate(("pos", "neg", "audience")):
            sums[j] += float(rows[name][i])
    keys = sorted(acc)
    return pl.DataFrame({
        "group": [k[0] for k in keys],
        "period": [dt.date.fromisoformat(k[1]) for k in keys],
        "pos": [acc[k][0] for k in keys], "neg": [acc[k][1] for k in keys],
        "total": [acc[k][2] for k in keys],
    })  # fmt: skip


def test_overview_equals_the_views_read_from_the_store(store: Store) -> None:
    from polars.testing import assert_frame_equal

    _mixed_store(store)
    changes = 0
    for f in [Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 15)),
              Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 15), campaigns=("Spring",)),
              Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1), channels=("x", "youtube"),
                      granularity="day")]:  # fmt: skip
        ov = analysis.overview(store, f, with_brand_series=True)
        # The same views computed one by one, each reading the store itself.
        channels = analysis.trust_table(store, f, "channel")
        assert_frame_equal(ov.channels, channels, check_exact=False, rel_tol=1e-9)
        head = analysis.brand_headline(store, f)
        assert ov.headline["trust"] == pytest.approx(head["trust"], rel=1e-9)
        assert (ov.headline["low"], ov.headline["high"]) == pytest.approx(
            (head["low"], head["high"]), rel=1e-9
        )
        assert ov.headline["channel_equal"]["trust"] == pytest.approx(
            head["channel_equal"]["trust"], rel=1e-9
        )
        prev = f.previous()
        assert prev is not None
        assert ov.previous is not None
        prev_head = analysis.brand_headline(store, prev)
        assert ov.previous["trust"] == pytest.approx(prev_head["trust"], rel=1e-9)
        assert_frame_equal(ov.series, analysis.series(store, f), check_exact=False, rel_tol=1e-9)
        assert_frame_equal(ov.brand_series, analysis.series(store, f, by="brand"),
                           check_exact=False, rel_tol=1e-9)  # fmt: skip
        per_period = _naive_sentiment(store, f, "channel", f.granularity)
        want_alerts = trust.alerts(per_period.select("group", "period", "neg", "total"))
        assert_frame_equal(ov.alerts, want_alerts)
        assert ov.coverage == analysis.coverage(store, f, analysis.trust_settings(store))
        changes += len(ov.changes)
        for ch in ov.changes:
            worst = ch["delta"] < 0
            tops = store.top_comments(f, [ch["group"]], per_channel=12, worst=worst)
            want = analysis.distinct_texts(tops, 3).get_column("text").to_list()
            assert ch["drivers"].get_column("text").to_list() == want
    assert changes, "the windows should show changes with their comments"


def test_tables_come_sorted_as_a_sort_of_the_frame_would(store: Store) -> None:
    _mixed_store(store)
    f = Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 4, 15))
    for by in ("channel", "week", "campaign"):
        table = analysis.trust_table(store, f, by)
        key = ["group"] if by in analysis.PERIODS else ["rank"]
        assert table.height > 1
        assert table.equals(table.sort(key, nulls_last=by not in analysis.PERIODS,
                                       maintain_order=True))  # fmt: skip
    ser = analysis.series(store, f)
    assert ser.equals(ser.sort("channel", "period", maintain_order=True))


def test_overviews_computed_at_once_in_threads_equal_one_by_one(store: Store) -> None:
    # Each thread re-keys its own generator; the reading threads are shared.
    import threading

    _mixed_store(store)
    windows = [Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 15)),
               Filters(start=dt.date(2026, 2, 1), end=dt.date(2026, 3, 1), granularity="day")]
    want = [analysis.overview(store, f) for f in windows]
    got: dict[int, analysis.Overview] = {}

    def run(i: int) -> None:
        got[i] = analysis.overview(store, windows[i % 2])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, ov in got.items():
        assert ov.channels.equals(want[i % 2].channels)
        assert ov.series.equals(want[i % 2].series)
        assert ov.headline["row"] == want[i % 2].headline["row"]


def test_headline_row_is_the_brand_tables_row(store: Store) -> None:
    _mixed_store(store)
    for f in [Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 15)),
              Filters(channels=("youtube",), campaigns=("Spring",)),
              Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 1))]:  # fmt: skip
        head = analysis.brand_headline(store, f)
        table = analysis.trust_table(store, f, "brand")
        want = table.row(0, named=True) if table.height else None
        if want is None:
            assert head["row"] is None
            continue
        # Equal up to float summation order (DuckLake's parallel sums vary in the last bit).
        assert head["row"].keys() == want.keys()
        for key, value in want.items():
            got = head["row"][key]
            if isinstance(value, float) and isinstance(got, float):
                assert got == pytest.approx(value, rel=1e-9, abs=1e-9, nan_ok=True), key
            else:
                assert got == value, key


def test_series_consistency_uses_each_periods_own_twelve_weeks(store: Store) -> None:
    _mixed_store(store)
    f = Filters(start=dt.date(2026, 3, 4), end=dt.date(2026, 4, 15))
    s = analysis.trust_settings(store)
    ser = analysis.series(store, f, s)
    c = analysis.counts(store, f, "week", s, then_by="channel")
    mu = trust.pooled_prior(c, s.prior_strength)["S1"]
    weekly = _naive_sentiment(store, f.with_(start=f.start - dt.timedelta(weeks=12)), "channel",
                              "week")
    checked = 0
    for row in ser.iter_rows(named=True):
        p_end = row["period"] + dt.timedelta(days=6)
        window = weekly.filter(
            (pl.col("group") == row["channel"])
            & (pl.col("period") > p_end - dt.timedelta(weeks=12))
            & (pl.col("period") <= p_end)
        ).sort("period")
        want = trust.s6_from_counts(window["pos"].to_numpy()[-12:],
                                    window["neg"].to_numpy()[-12:], s.prior_strength, mu)  # fmt: skip
        if want is None:
            assert row["S6"] is None
        else:
            assert row["S6"] == pytest.approx(want, abs=1e-12)
            checked += 1
    assert checked > 5


def test_rank_stability_ranks_the_groups_as_their_table_does(
    demo_db: Path, tmp_path: Path
) -> None:
    """Under the Default preset the sensitivity check ranks the channels exactly as the
    channel table shows them: both score the same counts and components (S4..S6 included),
    and neither ranks a channel whose score is hidden for insufficient data."""
    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    store = Store(path)
    try:
        _, hi = store.date_bounds()
        for f in (Filters(), Filters(start=hi - dt.timedelta(days=90), end=hi)):
            table = analysis.shown_table(analysis.trust_table(store, f, "channel"))
            ranked = {g: r for g, r in zip(table["group"], table["rank"], strict=True)
                      if r is not None}  # fmt: skip
            assert sorted(ranked.values()) == list(range(1, len(ranked) + 1))
            assert analysis.rank_stability(store, f, "channel")["ranks"]["Default"] == ranked
    finally:
        store.close()


def test_a_campaign_filter_scores_the_brand_as_that_campaign(
    demo_db: Path, tmp_path: Path
) -> None:
    """Filtered to one campaign, the brand's comments and posts are that campaign's: its
    headline is the campaign's row, posts components included (a campaign's posts are
    still ranked against all of their channel's posts)."""
    path = tmp_path / "demo.duckdb"
    path.write_bytes(demo_db.read_bytes())
    store = Store(path)
    try:
        _, hi = store.date_bounds()
        f = Filters(start=hi - dt.timedelta(days=400), end=hi, campaigns=("Black Friday 2025",))
        (campaign,) = analysis.trust_table(store, f, "campaign").iter_rows(named=True)
        brand = analysis.brand_headline(store, f)["row"]
        assert campaign["S4"] is not None and abs(campaign["S4"] - 0.5) > 0.05
        for key in ("S1", "S2", "S3", "S4", "S5", "S6", "trust"):
            want = campaign[key]
            assert brand[key] == (None if want is None else pytest.approx(want, rel=1e-9)), key
        # The same campaign's posts make each channel's S4 under the filter.
        everything = {r["group"]: r["S4"] for r in
                      analysis.trust_table(store, f.with_(campaigns=()), "channel").iter_rows(
                          named=True)}  # fmt: skip
        only = {r["group"]: r["S4"] for r in
                analysis.trust_table(store, f, "channel").iter_rows(named=True)}  # fmt: skip
        assert any(only[g] is not None and everything[g] is not None
                   and abs(only[g] - everything[g]) > 0.02 for g in only)  # fmt: skip
    finally:
        store.close()
