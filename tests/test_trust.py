"""Tests of the trust math (trustdash.trust): hand-computed cases and a validity check."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from trustdash import trust
from trustdash.trust import (
    COMPONENT_NAMES,
    COMPONENTS,
    DEFAULT_TARGET_HOURS,
    PRESETS,
    TrustSettings,
    alerts,
    band,
    beta_interval,
    biggest_changes,
    brand_total,
    coverage_share,
    explain,
    net_sentiment,
    rank_stability,
    recency_weight,
    response_stats,
    s1_sentiment_balance,
    s2_complaint_pressure,
    s3_responsiveness,
    s4_advocacy,
    s5_engagement_quality,
    s6_consistency,
    score_groups,
    shrink,
    trust_score,
    used_weights,
)
from trustdash.trust import intervals as trust_intervals

LOOSE = TrustSettings(min_polar=0.0, max_width=100.0)  # insufficient-data rule out of the way


def counts_frame(rows: list[dict]) -> pl.DataFrame:
    """Counts rows with defaults: neutral 0, audience = pos+neg+neu, raw counts = weighted."""
    out = []
    for r in rows:
        r = dict(r)
        r.setdefault("neu", 0.0)
        r.setdefault("complaints", 0.0)
        r.setdefault("actionable", 0.0)
        r.setdefault("answered_in_target", 0.0)
        r.setdefault("audience", r["pos"] + r["neg"] + r["neu"])
        r.setdefault("n_raw", int(round(r["audience"])))
        r.setdefault("polar_raw", int(round(r["pos"] + r["neg"])))
        out.append(r)
    return pl.DataFrame(out).with_columns(
        pl.col(c).cast(pl.Float64)
        for c in ("pos", "neg", "neu", "audience", "complaints", "actionable", "answered_in_target")
    )


def by_group(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["group"]: r for r in frame.iter_rows(named=True)}


# --------------------------------------------------------------------------- constants


def test_presets_sum_to_one_and_follow_their_definition():
    for name, weights in PRESETS.items():
        assert set(weights) == set(COMPONENTS), name
        assert math.isclose(sum(weights.values()), 1.0, abs_tol=1e-12), name
        assert all(w > 0 for w in weights.values()), name
    assert PRESETS["Default"] == {
        "S1": 0.30,
        "S2": 0.15,
        "S3": 0.25,
        "S4": 0.15,
        "S5": 0.05,
        "S6": 0.10,
    }
    assert all(math.isclose(w, 1 / 6) for w in PRESETS["Equal"].values())
    care, rep, default = PRESETS["Care-first"], PRESETS["Reputation-first"], PRESETS["Default"]
    assert math.isclose(care["S3"], 0.40)
    assert math.isclose(care["S1"], 0.24) and math.isclose(care["S6"], 0.08)
    assert math.isclose(rep["S1"] + rep["S2"], 0.60)
    assert math.isclose(rep["S1"] / rep["S2"], 2.0)
    # the components not pinned keep their Default proportions
    assert math.isclose(rep["S3"] / rep["S4"], default["S3"] / default["S4"])
    assert math.isclose(care["S4"] / care["S5"], default["S4"] / default["S5"])
    assert COMPONENT_NAMES["S3"] == "Responsiveness"


def test_target_hours_defaults_and_overrides():
    s = TrustSettings()
    assert s.target_hours("x") == 1
    assert s.target_hours("Facebook") == 24
    assert s.target_hours("youtube") == 48
    assert s.target_hours("trustpilot") == 72 == DEFAULT_TARGET_HOURS["reviews"]
    assert s.target_hours("mastodon") == 24
    assert TrustSettings(targets={"x": 2.0}).target_hours("X") == 2.0


def test_settings_are_hashable_for_caching():
    assert hash(TrustSettings()) == hash(TrustSettings())
    assert TrustSettings().with_weights(PRESETS["Equal"]) != TrustSettings()
    assert len({TrustSettings(), TrustSettings(), TrustSettings(seed=1)}) == 2


def test_settings_reject_bad_values():
    with pytest.raises(ValueError):
        TrustSettings(weights={"S9": 1.0})
    with pytest.raises(ValueError):
        TrustSettings(weights={"S1": -1.0, "S2": 2.0})
    with pytest.raises(ValueError):
        TrustSettings(level=1.0)


# --------------------------------------------------------------------------- machinery


def test_recency_weight_half_life():
    assert recency_weight(0, 90) == 1.0
    assert math.isclose(recency_weight(90, 90), 0.5)
    assert math.isclose(recency_weight(180, 90), 0.25)
    assert math.isclose(recency_weight(30, 60), 0.5**0.5)
    assert recency_weight(365, 0) == 1.0  # H = 0: off
    assert recency_weight(-5, 90) == 1.0  # after the end of the period: age 0
    arr = recency_weight(np.array([[0.0, 90.0], [270.0, 45.0]]), 90)
    assert arr.shape == (2, 2)
    np.testing.assert_allclose(arr, [[1.0, 0.5], [0.125, 0.5**0.5]])
    assert isinstance(recency_weight(10, 90), float)


def test_shrink_hand_computed():
    assert math.isclose(shrink(8, 10, 10, 0.5), 13 / 20)  # (8 + 5) / (10 + 10)
    assert math.isclose(shrink(0, 0, 10, 0.3), 0.3)  # no data: the prior
    assert math.isclose(shrink(3, 4, 0, 0.9), 0.75)  # m = 0: the raw share
    assert shrink(0, 0, 0, 0.42) == 0.42  # nothing at all: mu, no division by zero
    assert math.isclose(shrink(600, 1000, 10, 0.8), 608 / 1010)
    np.testing.assert_allclose(
        shrink(np.array([1.0, 9.0]), np.array([10.0, 10.0]), 10, 0.5), [0.3, 0.7]
    )


def _beta22_cdf(x: float) -> float:
    return 3 * x**2 - 2 * x**3


def test_beta_interval_known_quantiles():
    # Beta(1, 1) (k = n = 0, m = 2, mu = 0.5): quantiles equal p
    lo, hi = beta_interval(0, 0, 2, 0.5, level=0.8)
    assert math.isclose(lo, 0.1, abs_tol=1e-9) and math.isclose(hi, 0.9, abs_tol=1e-9)
    lo, hi = beta_interval(0, 0, 2, 0.5, level=0.5)
    assert math.isclose(lo, 0.25, abs_tol=1e-9) and math.isclose(hi, 0.75, abs_tol=1e-9)
    # Beta(2, 2) (k = 1, n = 2, m = 2, mu = 0.5): symmetric around the median 0.5, CDF 3x^2 - 2x^3
    lo, hi = beta_interval(1, 2, 2, 0.5, level=0.8)
    assert math.isclose(lo + hi, 1.0, abs_tol=1e-9)
    assert math.isclose(_beta22_cdf(lo), 0.1, abs_tol=1e-9)
    assert math.isclose(_beta22_cdf(hi), 0.9, abs_tol=1e-9)
    lo, hi = beta_interval(1, 2, 2, 0.5, level=1e-9)
    assert math.isclose(lo, 0.5, abs_tol=1e-6)  # the median
    # Beta(3, 1) (k = n = 2, m = 2, mu = 0.5): CDF x^3, quantile p^(1/3)
    lo, hi = beta_interval(2, 2, 2, 0.5, level=0.8)
    assert math.isclose(lo, 0.1 ** (1 / 3), abs_tol=1e-9)
    assert math.isclose(hi, 0.9 ** (1 / 3), abs_tol=1e-9)


def test_beta_interval_pure_python_fallback_matches(monkeypatch):
    cases = [(0, 0, 2, 0.5), (1, 2, 2, 0.5), (2, 2, 2, 0.5), (7, 40, 10, 0.8), (590, 600, 10, 0.9)]
    exact = [beta_interval(*c) for c in cases]
    monkeypatch.setattr(trust_intervals, "_scipy_betaincinv", None)
    for case, (lo, hi) in zip(cases, exact, strict=True):
        flo, fhi = beta_interval(*case)
        assert math.isclose(flo, lo, abs_tol=1e-9), case
        assert math.isclose(fhi, hi, abs_tol=1e-9), case
    lo, hi = beta_interval(2, 2, 2, 0.5, level=0.8)
    assert math.isclose(lo, 0.1 ** (1 / 3), abs_tol=1e-9)
    # a large sample (slow-converging continued fraction) stays accurate
    lo, hi = beta_interval(30000, 50000, 10, 0.5)
    assert 0.597 < lo < 0.6 < hi < 0.603
    assert math.isclose((lo + hi) / 2, 30005 / 50010, abs_tol=1e-4)


def test_beta_interval_degenerate_parameters():
    assert beta_interval(0, 5, 0, 0.5) == (0.0, 0.0)  # a = 0: all mass at 0
    assert beta_interval(5, 5, 0, 0.5) == (1.0, 1.0)  # b = 0: all mass at 1


def test_band_boundaries():
    assert band(100) == "Excellent"
    assert band(80) == "Excellent"
    assert band(79.99) == "Good"
    assert band(65) == "Good"
    assert band(64.99) == "Fragile"
    assert band(50) == "Fragile"
    assert band(49.99) == "At risk"
    assert band(35) == "At risk"
    assert band(34.99) == "Critical"
    assert band(0) == "Critical"
    assert band(None) == "No data"
    assert band(float("nan")) == "No data"


def test_net_sentiment():
    assert net_sentiment(30, 10) == 0.5
    assert net_sentiment(0, 4) == -1.0
    assert net_sentiment(0, 0) is None


# --------------------------------------------------------------------------- components


def test_proportion_components_hand_computed():
    # S1 = (P + m mu) / (P + N + m) = (30 + 10*0.7) / (40 + 10)
    assert math.isclose(s1_sentiment_balance(30, 10, 10, 0.7), 37 / 50)
    # S2 = 1 - (C + m(1 - mu)) / (A + m) with mu the complaint-free share
    assert math.isclose(s2_complaint_pressure(10, 90, 10, 0.9), 1 - (10 + 1) / 100)
    assert math.isclose(s2_complaint_pressure(0, 0, 10, 0.9), 0.9)
    # S3 = (R + m mu) / (A + m)
    assert math.isclose(s3_responsiveness(15, 20, 10, 0.4), 19 / 30)
    assert math.isclose(s3_responsiveness(0, 0, 10, 0.4), 0.4)


def weekly_frame(pairs: list[tuple[float, float]]) -> pl.DataFrame:
    start = date(2024, 1, 1)
    return pl.DataFrame(
        {
            "week": [start + timedelta(weeks=i) for i in range(len(pairs))],
            "pos": [float(p) for p, _ in pairs],
            "neg": [float(n) for _, n in pairs],
        }
    )


def test_consistency_formula():
    # steady weeks: sd 0, no spike -> 1
    assert math.isclose(s6_consistency(weekly_frame([(80, 20)] * 12), 10, 0.8), 1.0)
    # m = 0: net sentiment 0.5 for 4 weeks and 0 for 4 weeks -> population sd 0.25 -> 1 - 0.5
    assert math.isclose(s6_consistency(weekly_frame([(75, 25)] * 4 + [(50, 50)] * 4), 0, 0.5), 0.5)
    # shrinkage enters the weekly net sentiment: m = 10, mu = 0.5 pulls both levels to 0
    pairs = [(9, 1)] * 6 + [(1, 9)] * 6
    nets = [2 * (9 + 5) / 20 - 1] * 6 + [2 * (1 + 5) / 20 - 1] * 6
    expect = 1 - min(1.0, float(np.std(nets)) / 0.5)
    assert math.isclose(s6_consistency(weekly_frame(pairs), 10, 0.5), expect)


def test_consistency_spike_weeks_and_min_count():
    # 11 calm weeks (negative share 0.1) and one week at 0.5 with 50 negatives: one spike
    calm = [(90, 10)] * 11
    sd = 0.8 * math.sqrt(11) / 12  # population sd of eleven 0.8 and one 0.0
    got = s6_consistency(weekly_frame(calm + [(50, 50)]), 0, 0.5)
    assert math.isclose(got, (1 - sd / 0.5) * 0.9)
    # the same share with only 5 negatives is not a spike
    got = s6_consistency(weekly_frame(calm + [(5, 5)]), 0, 0.5)
    assert math.isclose(got, 1 - sd / 0.5)
    # two spike weeks: each is judged against the 11 others (leave-one-out baseline)
    got = s6_consistency(weekly_frame([(90, 10)] * 10 + [(50, 50)] * 2), 0, 0.5)
    assert math.isclose(got, (1 - float(np.std([0.8] * 10 + [0.0] * 2)) / 0.5) * 0.8)
    # the spike penalty is capped at 5 weeks (-50 %), the sd term at 1
    assert math.isclose(trust.consistency(0.0, 7), 0.5)
    assert math.isclose(trust.consistency(0.25, 3), 0.5 * 0.7)
    assert trust.consistency(0.8, 0) == 0.0
    # a chaotic series gives 0
    assert s6_consistency(weekly_frame([(100, 0), (0, 100)] * 6), 0, 0.5) == 0.0


def test_consistency_window_and_minimum_weeks():
    assert s6_consistency(weekly_frame([(80, 20)] * 3), 10, 0.8) is None
    # empty weeks carry no data: 3 weeks of data + 5 empty ones -> None
    assert s6_consistency(weekly_frame([(80, 20)] * 3 + [(0, 0)] * 5), 10, 0.8) is None
    # only the last 12 weeks count: volatile old weeks are ignored
    old = [(100, 0), (0, 100)] * 5
    assert math.isclose(s6_consistency(weekly_frame(old + [(80, 20)] * 12), 0, 0.5), 1.0)
    assert s6_consistency(weekly_frame([]), 10, 0.5) is None


def posts_frame(rows: list[tuple]) -> pl.DataFrame:
    cols = ["channel", "post_id", "created_at", "likes", "comments", "shares", "reach"]
    cols += ["impressions", "campaign", "net_negative"]
    return pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows]).with_columns(
        pl.col("created_at").cast(pl.Datetime("us"))
    )


def test_s4_advocacy_percentile_within_channel():
    d = datetime(2024, 6, 1)
    rows = [
        # facebook: share ratios 0.1, 0.2, 0.3, 0.4 (engagements 100); two in the period
        ("facebook", "f1", d - timedelta(days=200), 80, 10, 10, 1000, None, "a", False),
        ("facebook", "f2", d - timedelta(days=100), 70, 10, 20, 1000, None, "a", False),
        ("facebook", "f3", d + timedelta(days=2), 60, 10, 30, 1000, None, "b", False),
        ("facebook", "f4", d + timedelta(days=5), 50, 10, 40, 1000, None, "b", False),
        # older than 12 months: outside the reference set
        ("facebook", "f0", d - timedelta(days=500), 0, 0, 100, 1000, None, "a", False),
        # x: a different scale entirely; one post in the period, one before
        ("x", "x1", d - timedelta(days=10), 900, 99, 1, 1000, None, "a", False),
        ("x", "x2", d + timedelta(days=3), 990, 0, 10, 1000, None, "b", False),
    ]
    posts = posts_frame(rows)
    out = by_group(s4_advocacy(posts, date(2024, 6, 1), date(2024, 6, 30)))
    # mid-rank percentiles (rank - 0.5) / N: f3 -> 2.5/4, f4 -> 3.5/4
    assert math.isclose(out["facebook"]["s4"], (2.5 / 4 + 3.5 / 4) / 2)
    assert out["facebook"]["posts"] == 2
    assert math.isclose(out["x"]["s4"], 1.5 / 2)  # the higher of two x posts
    by_campaign = by_group(s4_advocacy(posts, date(2024, 6, 1), date(2024, 6, 30), by="campaign"))
    assert set(by_campaign) == {"b"}
    assert math.isclose(by_campaign["b"]["s4"], (2.5 / 4 + 3.5 / 4 + 0.75) / 3)
    # no share data at all: the group is absent (S4 missing)
    no_shares = posts.with_columns(shares=pl.lit(None, dtype=pl.Int64))
    assert s4_advocacy(no_shares, date(2024, 6, 1), date(2024, 6, 30)).height == 0


def test_s5_engagement_quality_excludes_net_negative_and_falls_back_to_impressions():
    d = datetime(2024, 6, 1)
    rows = [
        ("instagram", "i1", d, 10, 0, 0, 1000, None, None, False),  # 1 %
        ("instagram", "i2", d, 20, 0, 0, 1000, None, None, False),  # 2 %
        ("instagram", "i3", d, 30, 0, 0, None, 1000, None, False),  # 3 % via impressions
        ("instagram", "i4", d, 900, 0, 0, 1000, None, None, True),  # outrage: excluded
        ("instagram", "i5", d, 5, 0, 0, None, None, None, False),  # no denominator: skipped
    ]
    out = by_group(s5_engagement_quality(posts_frame(rows), date(2024, 6, 1), date(2024, 6, 1)))
    # percentiles among i1..i3: 0.5/3, 1.5/3, 2.5/3 -> mean 0.5; with i4 it would be lower
    assert math.isclose(out["instagram"]["s5"], 0.5)
    assert out["instagram"]["posts"] == 3
    only_i3 = posts_frame(rows).filter(pl.col("post_id") != "i4")
    got = s5_engagement_quality(only_i3.filter(pl.col("post_id") != "i5"), None, None)
    assert got["posts"].to_list() == [3]


# --------------------------------------------------------------------------- trust score


def test_trust_score_renormalises_missing_components():
    comps = {"S1": 0.8, "S2": 0.9, "S3": None, "S4": 0.5, "S5": 0.5, "S6": 1.0}
    score, used, missing = trust_score(comps, PRESETS["Default"])
    assert missing == ["S3"]
    assert used["S3"] == 0.0
    assert math.isclose(sum(used.values()), 1.0)
    assert math.isclose(used["S1"], 0.30 / 0.75)
    expect = 100 * (0.30 * 0.8 + 0.15 * 0.9 + 0.15 * 0.5 + 0.05 * 0.5 + 0.10 * 1.0) / 0.75
    assert math.isclose(score, expect)
    full = dict(comps, S3=0.6)
    score, used, missing = trust_score(full, PRESETS["Default"])
    assert missing == [] and math.isclose(used["S3"], 0.25)
    assert math.isclose(score, 100 * (0.24 + 0.135 + 0.15 + 0.075 + 0.025 + 0.1))
    # custom weights need not sum to 1
    score, _, _ = trust_score({"S1": 1.0, "S2": 0.0}, {"S1": 3.0, "S2": 1.0})
    assert math.isclose(score, 75.0)
    assert trust_score({k: None for k in COMPONENTS}, PRESETS["Default"])[0] is None



def test_a_component_weighs_by_its_coverage():
    # Responsiveness measured on a quarter of a total's comments weighs a quarter of 0.25.
    comps = {"S1": 0.8, "S2": 0.9, "S3": 0.2, "S4": None, "S5": None, "S6": None}
    score, used, _ = trust_score(comps, PRESETS["Default"], {"S3": 0.25})
    total = 0.30 + 0.15 + 0.25 * 0.25
    assert math.isclose(used["S3"], 0.25 * 0.25 / total)
    assert math.isclose(score, 100 * (0.30 * 0.8 + 0.15 * 0.9 + 0.0625 * 0.2) / total)
    # Full coverage is the plain renormalisation; no coverage drops the component.
    assert trust_score(comps, PRESETS["Default"], {"S3": 1.0}) == trust_score(
        comps, PRESETS["Default"])
    zero, used0, _ = trust_score(comps, PRESETS["Default"], {"S3": 0.0})
    assert used0["S3"] == 0.0 and math.isclose(zero, 100 * (0.24 + 0.135) / 0.45)
    # The vectorised weights production calls are the same numbers.
    w = np.array([PRESETS["Default"][k] for k in COMPONENTS])
    avail = np.array([True, True, True, False, False, False])
    cover = np.array([1.0, 1.0, 0.25, 1.0, 1.0, 1.0])
    assert np.allclose(used_weights(w, avail, cover), [used[k] for k in COMPONENTS])
    assert coverage_share(0.0, 0.0) == 1.0 and coverage_share(3.0, 12.0) == 0.25


def test_scoring_reads_coverage_columns():
    counts = counts_frame([dict(group="brand", pos=70, neg=30, actionable=40,
                                answered_in_target=10)]).with_columns(
        cover_S3=pl.Series([0.2]))  # fmt: skip
    s = TrustSettings()
    row = score_groups(counts, s).row(0, named=True)
    assert math.isclose(row["coverage"]["S3"], 0.2)
    want, _, _ = trust_score({k: row[k] for k in COMPONENTS}, s.weights, {"S3": 0.2})
    assert math.isclose(row["trust"], want)
    plain = score_groups(counts.drop("cover_S3"), s).row(0, named=True)
    assert plain["coverage"]["S3"] == 1.0 and plain["trust"] < row["trust"]  # S3 is low
    # The explanation shows the coverage, the formula with it, and says what it means.
    info = explain(row, s)
    s3 = next(c for c in info["components"] if c["id"] == "S3")
    assert math.isclose(s3["coverage"], 0.2) and math.isclose(s3["weight"], row["weights_used"]["S3"])
    assert "c_k" in info["formula"]
    assert any("measured on 20 % of the comments" in n for n in info["notes"])
    plain_info = explain(plain, s)
    assert "c_k" not in plain_info["formula"]
    assert not any("measured on" in n for n in plain_info["notes"])

def test_score_groups_point_values_prior_and_columns():
    counts = counts_frame(
        [
            dict(
                group="a",
                pos=30,
                neg=10,
                neu=10,
                complaints=5,
                actionable=20,
                answered_in_target=15,
            ),
            dict(
                group="b", pos=10, neg=30, neu=0, complaints=20, actionable=30, answered_in_target=5
            ),
        ]
    )
    s = TrustSettings()
    out = score_groups(counts, s)
    for col in ("group", "trust", "low", "high", "band", "n", "n_polar", "net_sentiment"):
        assert col in out.columns
    for col in (*COMPONENTS, "weights_used", "missing", "flags", "insufficient", "rank"):
        assert col in out.columns
    a = by_group(out)["a"]
    # pooled prior: (sum + 10*0.5) / (total + 10)
    mu1, mu2, mu3 = (40 + 5) / (80 + 10), (65 + 5) / (90 + 10), (20 + 5) / (50 + 10)
    assert math.isclose(a["prior_S1"], mu1)
    assert math.isclose(a["prior_S2"], mu2)
    assert math.isclose(a["prior_S3"], mu3)
    s1, s2, s3 = (30 + 10 * mu1) / 50, (45 + 10 * mu2) / 60, (15 + 10 * mu3) / 30
    assert math.isclose(a["S1"], s1) and math.isclose(a["S2"], s2) and math.isclose(a["S3"], s3)
    assert math.isclose(a["trust"], 100 * (0.30 * s1 + 0.15 * s2 + 0.25 * s3) / 0.70)
    assert a["missing"] == ["S4", "S5", "S6"]
    assert math.isclose(a["weights_used"]["S1"], 0.30 / 0.70)
    assert a["low"] <= a["trust"] <= a["high"]
    assert a["net_sentiment"] == 0.5
    assert a["band"] == band(a["trust"])
    # an explicit prior replaces the pooled one
    given = by_group(score_groups(counts, s, prior={"S1": 0.9, "S2": 0.9, "S3": 0.9}))["a"]
    assert math.isclose(given["S1"], (30 + 9) / 50)
    assert given["prior_S1"] == 0.9


def test_score_groups_uses_s4_to_s6_columns():
    counts = counts_frame([dict(group="a", pos=50, neg=50, actionable=10, answered_in_target=5)])
    counts = counts.with_columns(s4=pl.lit(1.0), s5=pl.lit(None, dtype=pl.Float64), s6=pl.lit(0.0))
    row = score_groups(counts, LOOSE).row(0, named=True)
    assert row["S4"] == 1.0 and row["S5"] is None and row["S6"] == 0.0
    assert row["missing"] == ["S5"]
    w = {k: v / 0.95 for k, v in PRESETS["Default"].items()}
    expect = 100 * (w["S1"] * row["S1"] + w["S2"] * row["S2"] + w["S3"] * row["S3"] + w["S4"])
    assert math.isclose(row["trust"], expect)


def test_s3_dropped_without_reply_data_and_prior_with_reply_data():
    rows = [
        dict(group="a", pos=40, neg=10, actionable=12),
        dict(group="b", pos=20, neg=20, actionable=0),
    ]
    no_replies = score_groups(counts_frame(rows), LOOSE)
    for r in no_replies.iter_rows(named=True):
        assert r["S3"] is None
        assert "S3" in r["missing"]
        assert "partial: S3 (no reply data)" in r["flags"]
        assert r["weights_used"]["S3"] == 0.0
        assert math.isclose(sum(r["weights_used"].values()), 1.0)
    # once the export carries replies, a group with 0 actionable items gets the prior mu3
    rows[0]["answered_in_target"] = 6
    with_replies = by_group(score_groups(counts_frame(rows), LOOSE))
    mu3 = (6 + 5) / (12 + 10)
    assert math.isclose(with_replies["b"]["S3"], mu3)
    assert math.isclose(with_replies["a"]["S3"], (6 + 10 * mu3) / 22)
    assert not any(f.startswith("partial: S3") for f in with_replies["b"]["flags"])
    # a per-group reply_data column decides per group
    frame = counts_frame(rows).with_columns(reply_data=pl.Series([True, False]))
    per_group = by_group(score_groups(frame, LOOSE))
    assert per_group["a"]["S3"] is not None and per_group["b"]["S3"] is None


def test_group_without_any_data():
    counts = counts_frame([dict(group="a", pos=40, neg=10), dict(group="empty", pos=0, neg=0)])
    rows = by_group(score_groups(counts, TrustSettings()))
    assert rows["empty"]["trust"] is None and rows["empty"]["rank"] is None
    assert rows["empty"]["band"] == "No data"
    assert rows["a"]["rank"] == 1
    assert score_groups(counts.head(0), TrustSettings()).height == 0


def test_insufficient_data_rule():
    rows = [
        dict(group="nine", pos=6, neg=3, actionable=5, answered_in_target=3),
        dict(group="ten", pos=7, neg=3, actionable=5, answered_in_target=3),
        dict(group="big", pos=600, neg=400, actionable=500, answered_in_target=200),
    ]
    s = TrustSettings(max_width=100.0)
    out = by_group(score_groups(counts_frame(rows), s))
    assert out["nine"]["insufficient"] and "insufficient data" in out["nine"]["flags"]
    assert not out["ten"]["insufficient"]
    assert not out["big"]["insufficient"]
    # the width rule: a 10-comment group has a wide interval, a 1000-comment one not
    narrow = by_group(score_groups(counts_frame(rows), TrustSettings(max_width=5.0)))
    assert narrow["ten"]["high"] - narrow["ten"]["low"] > 5.0
    assert narrow["ten"]["insufficient"]
    assert any(f.startswith("wide interval") for f in narrow["ten"]["flags"])
    assert not narrow["big"]["insufficient"]
    # insufficient groups rank after every sufficient one, even with a higher lower bound
    tiny = dict(group="tiny", pos=5, neg=0, actionable=2, answered_in_target=2)
    out = by_group(score_groups(counts_frame(rows + [tiny]), s))
    assert out["tiny"]["low"] > out["big"]["low"]
    assert out["tiny"]["rank"] > out["big"]["rank"]


def test_ranking_uses_lower_bound():
    # "small": higher point score but a wide interval; "large": slightly lower, precise
    rows = [
        dict(group="small", pos=19, neg=1, actionable=4, answered_in_target=4),
        dict(group="large", pos=870, neg=130, actionable=400, answered_in_target=340),
    ]
    prior = {"S1": 0.9, "S2": 0.99, "S3": 0.8}
    out = by_group(score_groups(counts_frame(rows), LOOSE, prior=prior))
    assert out["small"]["trust"] > out["large"]["trust"]
    assert out["small"]["low"] < out["large"]["low"]
    assert out["large"]["rank"] == 1 and out["small"]["rank"] == 2


def test_intervals_reproducible_and_independent_of_other_groups():
    rows = [
        dict(group="a", pos=40, neg=10, actionable=10, answered_in_target=6),
        dict(group="b", pos=20, neg=20, actionable=10, answered_in_target=3),
    ]
    prior = {"S1": 0.6, "S2": 0.9, "S3": 0.5}
    first = score_groups(counts_frame(rows), TrustSettings(), prior)
    again = score_groups(counts_frame(rows), TrustSettings(), prior)
    assert first["low"].to_list() == again["low"].to_list()
    assert first["high"].to_list() == again["high"].to_list()
    alone = score_groups(counts_frame(rows[:1]), TrustSettings(), prior).row(0, named=True)
    assert alone["low"] == first["low"][0] and alone["high"] == first["high"][0]
    other_seed = score_groups(counts_frame(rows), TrustSettings(seed=7), prior)
    assert other_seed["low"].to_list() != first["low"].to_list()
    # the Monte-Carlo interval is close to the analytic one when only S1 counts
    only_s1 = TrustSettings(weights={"S1": 1.0}, draws=20000)
    row = score_groups(counts_frame(rows[:1]), only_s1, prior).row(0, named=True)
    lo, hi = beta_interval(40, 50, 10, 0.6, 0.8)
    assert abs(row["low"] - 100 * lo) < 0.3 and abs(row["high"] - 100 * hi) < 0.3


# --------------------------------------------------------------------------- validity


def simulate(truth: dict[str, tuple[float, float, float, int]], seed: int) -> pl.DataFrame:
    """Sample comments per channel from true (positive, complaint, reply) rates."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, (p_pos, p_complaint, p_reply, size) in truth.items():
        neu = rng.binomial(size, 0.3)
        polar = size - neu
        pos = rng.binomial(polar, p_pos)
        neg = polar - pos
        complaints = rng.binomial(neg, min(1.0, p_complaint / max(1e-9, 1 - p_pos)))
        actionable = neg + rng.binomial(neu, 0.2)
        answered = rng.binomial(actionable, p_reply)
        rows.append(
            dict(
                group=name,
                pos=pos,
                neg=neg,
                neu=neu,
                complaints=complaints,
                actionable=actionable,
                answered_in_target=answered,
            )
        )
    return counts_frame(rows)


def test_validity_ranking_matches_known_truth():
    # true (positive share, complaint share, reply rate, comments), best to worst
    truth = {
        "e": (0.90, 0.02, 0.90, 500),
        "d": (0.78, 0.05, 0.75, 450),
        "c": (0.65, 0.09, 0.55, 400),
        "b": (0.52, 0.14, 0.40, 550),
        "a": (0.40, 0.20, 0.20, 480),
    }
    for seed in (1, 2, 3):
        out = score_groups(simulate(truth, seed), TrustSettings())
        ranked = out.sort("rank")["group"].to_list()
        assert ranked == list(truth), (seed, ranked)
        assert not out["insufficient"].any()


def test_validity_six_perfect_comments_do_not_beat_six_hundred_good_ones():
    rows = [
        dict(group="tiny", pos=6, neg=0, actionable=0, answered_in_target=0),
        dict(group="big", pos=540, neg=60, actionable=100, answered_in_target=85),
        dict(group="other", pos=300, neg=200, actionable=250, answered_in_target=100),
    ]
    for s in (TrustSettings(), LOOSE):  # with and without the insufficient-data rule
        out = by_group(score_groups(counts_frame(rows), s))
        assert out["big"]["rank"] < out["tiny"]["rank"]
        assert out["big"]["low"] > out["tiny"]["low"]
    # and shrinkage keeps the tiny group's S1 far from its raw 100 %
    out = by_group(score_groups(counts_frame(rows), TrustSettings()))
    assert out["tiny"]["S1"] < 540 / 600
    assert out["tiny"]["insufficient"]


# --------------------------------------------------------------------------- roll-ups


def test_brand_total_both_modes():
    # Simpson-style: a huge mediocre channel and a small excellent one
    rows = [
        dict(group="big", pos=600, neg=400, actionable=400, answered_in_target=200),
        dict(group="small", pos=95, neg=5, actionable=10, answered_in_target=9),
    ]
    counts = counts_frame(rows)
    s = TrustSettings()
    vol = brand_total(counts, s, "volume")
    assert vol["mode"] == "volume" and "Volume-weighted" in vol["label"]
    # pooled counts, shrunk toward the brand-wide means (themselves shrunk toward 0.5)
    mu1, mu2, mu3 = (695 + 5) / (1100 + 10), (1100 + 5) / (1100 + 10), (209 + 5) / (410 + 10)
    s1 = (695 + 10 * mu1) / (1100 + 10)
    s2 = (1100 + 10 * mu2) / (1100 + 10)
    s3 = (209 + 10 * mu3) / (410 + 10)
    assert math.isclose(vol["trust"], 100 * (0.30 * s1 + 0.15 * s2 + 0.25 * s3) / 0.70)
    assert vol["low"] <= vol["trust"] <= vol["high"]
    # a score_groups output (which carries the counts) gives the same volume total
    assert math.isclose(brand_total(score_groups(counts, s), s, "volume")["trust"], vol["trust"])
    with_s4 = counts.with_columns(s4=pl.Series([0.2, 1.0]))
    vol4 = brand_total(with_s4, s, "volume")
    assert math.isclose(vol4["components"]["S4"], (0.2 * 1000 + 1.0 * 100) / 1100)
    # S4 measured on the small channel only: it covers that channel's share of comments.
    only_small = counts.with_columns(s4=pl.Series([None, 1.0], dtype=pl.Float64))
    part = brand_total(only_small, s, "volume")
    assert math.isclose(part["components"]["S4"], 1.0)
    w4 = 0.15 * 100 / 1100
    assert math.isclose(part["weights_used"]["S4"], w4 / (0.30 + 0.15 + 0.25 + w4))
    eq = brand_total(counts, s, "channel_equal")
    groups = score_groups(counts, s)
    assert eq["mode"] == "channel_equal" and "Channel-equal" in eq["label"]
    assert math.isclose(eq["trust"], float(groups["trust"].mean()))
    assert eq["trust"] > vol["trust"]  # the small excellent channel weighs half
    assert eq["low"] <= eq["trust"] <= eq["high"]
    # the mean of draws is narrower than the widest channel interval
    assert eq["high"] - eq["low"] < float((groups["high"] - groups["low"]).max())
    # from a score frame (a score_groups output) without raw counts: same mean
    approx = brand_total(
        groups.select("group", "trust", "low", "high", "n", "missing", "insufficient", *COMPONENTS),
        s,
        "channel_equal",
    )
    assert math.isclose(approx["trust"], eq["trust"])
    assert approx["low"] < approx["trust"] < approx["high"]
    with pytest.raises(ValueError):
        brand_total(counts, s, "median")  # type: ignore[arg-type]


def test_rank_stability():
    # a: great sentiment, poor care; b: the opposite; c: bad at both
    rows = [
        dict(group="a", pos=950, neg=50, complaints=10, actionable=500, answered_in_target=250),
        dict(group="b", pos=650, neg=350, complaints=250, actionable=500, answered_in_target=480),
        dict(group="c", pos=400, neg=600, complaints=400, actionable=500, answered_in_target=100),
    ]
    res = rank_stability(counts_frame(rows), TrustSettings())
    assert set(res["ranks"]) == set(PRESETS)
    assert res["ranks"]["Care-first"]["b"] == 1
    assert res["ranks"]["Reputation-first"]["a"] == 1
    assert not res["stable"]
    assert res["max_shift"] == 1 and res["shift"]["c"] == 0
    assert res["agreement"] < 1.0
    steady = [
        dict(group="a", pos=900, neg=100, actionable=500, answered_in_target=450),
        dict(group="b", pos=500, neg=500, actionable=500, answered_in_target=100),
    ]
    res = rank_stability(counts_frame(steady), TrustSettings())
    assert res["stable"] and res["max_shift"] == 0 and res["agreement"] == 1.0
    # A group too small for a shown score is not part of the ranking people see.
    tiny = dict(group="t", pos=2, neg=1, actionable=3, answered_in_target=0)
    res = rank_stability(counts_frame([*rows, tiny]), TrustSettings())
    assert all(set(r) == {"a", "b", "c"} for r in res["ranks"].values())
    assert res["ranks"]["Care-first"]["b"] == 1 and res["max_shift"] == 1


# --------------------------------------------------------------------------- alerts


def alert_series(shares: list[float], totals: list[float] | None = None, group: str = "g"):
    totals = totals or [200.0] * len(shares)
    start = date(2024, 1, 1)
    return pl.DataFrame(
        {
            "group": [group] * len(shares),
            "period": [start + timedelta(weeks=i) for i in range(len(shares))],
            "neg": [round(s * t) for s, t in zip(shares, totals, strict=True)],
            "total": totals,
        }
    )


CALM = [0.10, 0.12] * 5  # 10 windows, mean 0.11


def test_alerts_persistence():
    one = alert_series(CALM + [0.30] + [0.11] * 3)
    assert alerts(one).height == 0  # one window only: not persistent
    got = alerts(one, persistence=1)
    assert got.height == 1 and got["period"][0] == date(2024, 1, 1) + timedelta(weeks=10)
    two = alerts(alert_series(CALM + [0.30, 0.30] + [0.11] * 3))
    assert two.height == 1
    assert two["period"][0] == date(2024, 1, 1) + timedelta(
        weeks=11
    )  # where persistence is reached
    row = two.row(0, named=True)
    assert row["kind"] == "negative spike" and row["group"] == "g"
    assert math.isclose(row["share"], 0.30) and row["neg"] == 60
    base = CALM[-7:] + [0.30]  # the previous 8 windows, current excluded
    assert math.isclose(row["baseline_mean"], float(np.mean(base)))
    assert math.isclose(row["baseline_sd"], float(np.std(base, ddof=1)))


def test_alerts_threshold_k():
    series = alert_series(CALM + [0.14])
    # baseline of the last 8 calm windows: mean 0.11, sd 0.01069 -> k=2: 0.131, k=3: 0.142
    assert alerts(series, k=2.0, persistence=1).height == 1
    assert alerts(series, k=3.0, persistence=1).height == 0


def test_alerts_min_count():
    totals = [200.0] * 10 + [40.0]
    series = alert_series(CALM + [0.25], totals)  # 10 negatives
    assert alerts(series, persistence=1, min_count=10).height == 1
    assert alerts(series, persistence=1, min_count=11).height == 0


def test_alerts_cooldown():
    series = alert_series(CALM + [0.30, 0.11, 0.30, 0.11, 0.11, 0.11])
    assert alerts(series, persistence=1, cooldown=2).height == 1
    got = alerts(series, persistence=1, cooldown=1)
    assert got.height == 2
    assert got["period"][1] == date(2024, 1, 1) + timedelta(weeks=12)


def test_alerts_baseline_window():
    noisy = [0.02, 0.40] * 6  # volatile history, then a long calm stretch
    series = alert_series(noisy + CALM + [0.20])
    assert alerts(series, persistence=1, baseline=8).height == 1
    assert alerts(series, persistence=1, baseline=22).height == 0  # the noise widens the sd


def test_alerts_groups_and_empty():
    series = pl.concat([alert_series(CALM + [0.3], group="x"), alert_series(CALM, group="y")])
    got = alerts(series, persistence=1)
    assert got["group"].to_list() == ["x"]
    assert alerts(series.head(0)).columns == [
        "group",
        "period",
        "kind",
        "share",
        "baseline_mean",
        "baseline_sd",
        "neg",
    ]


# --------------------------------------------------------------------------- responses


def test_response_stats():
    hours = [0.5, 1.0, 3.9, 4.0, 10.0, 30.0, None, float("nan")]
    st = response_stats(hours, 24)
    assert st["total"] == 8 and st["answered"] == 6
    assert math.isclose(st["reply_rate"], 0.75)
    assert math.isclose(st["median"], 3.95)
    assert math.isclose(st["p90"], 20.0)  # linear interpolation between 10 and 30
    assert math.isclose(st["within_target"], 5 / 8)  # share of all actionable items
    assert st["bins"] == {
        "0–1 h": 1,
        "1–4 h": 2,
        "4–8 h": 1,
        "8–24 h": 1,
        "24 h+": 1,
        "unanswered": 2,
    }
    assert math.isclose(response_stats(hours, 1)["within_target"], 2 / 8)  # <= target
    empty = response_stats([], 24)
    assert empty["reply_rate"] is None and empty["median"] is None
    none_answered = response_stats([None, None], 24)
    assert none_answered["reply_rate"] == 0 and none_answered["p90"] is None


# --------------------------------------------------------------------------- explanations


def test_explain_lists_formula_counts_prior_and_dropped():
    counts = counts_frame([dict(group="fb", pos=30, neg=10, neu=5, complaints=4, actionable=8)])
    s = TrustSettings()
    row = score_groups(counts, s).row(0, named=True)
    ex = explain(row, s)
    assert ex["group"] == "fb" and "Σ" in ex["formula"]
    assert ex["counts"]["P"] == 30 and ex["counts"]["complaints"] == 4
    assert ex["counts"]["actionable"] == 8
    assert ex["prior"]["m"] == 10 and math.isclose(ex["prior"]["mu_S1"], row["prior_S1"])
    assert [d["id"] for d in ex["dropped"]] == ["S3", "S4", "S5", "S6"]
    assert ex["dropped"][0]["reason"] == "no reply data"
    assert "80 %" in ex["interval"]
    s1 = ex["components"][0]
    assert s1["id"] == "S1" and math.isclose(s1["value"], row["S1"])
    assert math.isclose(s1["weight"], 0.30 / 0.45)
    lo, hi = s1["interval"]
    assert lo < s1["value"] < hi
    total = sum(c["contribution"] for c in ex["components"] if c["contribution"] is not None)
    assert math.isclose(total, row["trust"])


def test_biggest_changes():
    before = [
        dict(group="fb", pos=80, neg=20, actionable=50, answered_in_target=40),
        dict(group="ig", pos=80, neg=20, actionable=50, answered_in_target=30),
        dict(group="x", pos=80, neg=20, actionable=50, answered_in_target=30),
    ]
    after = [
        dict(group="fb", pos=80, neg=20, actionable=50, answered_in_target=10),  # care collapsed
        dict(group="ig", pos=50, neg=50, actionable=50, answered_in_target=30),  # sentiment fell
        dict(group="x", pos=81, neg=19, actionable=50, answered_in_target=30),  # barely moved
    ]
    prior = {"S1": 0.7, "S2": 0.95, "S3": 0.6}
    prev = score_groups(counts_frame(before), LOOSE, prior)
    cur = score_groups(counts_frame(after), LOOSE, prior)
    changes = biggest_changes(cur, prev, top=2)
    assert [c["group"] for c in changes] == ["fb", "ig"]
    fb = changes[0]
    assert fb["delta"] < 0 and fb["component"] == "S3"
    expect_before, expect_after = (40 + 6) / 60, (10 + 6) / 60
    assert fb["reason"] == f"Responsiveness fell from {expect_before:.2f} to {expect_after:.2f}"
    assert changes[1]["component"] == "S1"
    assert changes[1]["reason"].startswith("Sentiment balance fell from")
    assert len(biggest_changes(cur, prev)) == 3
    assert biggest_changes(cur, prev.head(0)) == []


def test_score_partitions_equals_scoring_each_partition_alone():
    from polars.testing import assert_frame_equal

    rng = np.random.default_rng(3)
    rows = []
    for sub in ("x", "facebook", "tiny"):
        for week in ("2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"):
            size = 3 if sub == "tiny" else int(rng.integers(20, 400))
            pos = float(rng.integers(0, size + 1))
            rows.append(dict(group=week, sub=sub, pos=pos, neg=size - pos,
                             complaints=float(rng.integers(0, size - pos + 1)),
                             actionable=float(size - pos), answered_in_target=float(size - pos) / 2,
                             reply_data=sub != "facebook", s6=None if sub == "tiny" else 0.7))  # fmt: skip
    counts = counts_frame(rows)
    settings = TrustSettings(draws=300)
    # x has a full prior, facebook a partial one (S3 from its own totals), tiny none.
    priors = {"x": {"S1": 0.6, "S2": 0.8, "S3": 0.4}, "facebook": {"S1": 0.7, "S2": 0.9}}
    got = trust.score_partitions(counts, settings, "sub", priors)
    subs = counts["sub"].to_list()
    for sub in ("x", "facebook", "tiny"):
        alone = score_groups(counts.filter(pl.col("sub") == sub).drop("sub"), settings,
                             priors.get(sub))  # fmt: skip
        mine = got.filter(pl.Series([s == sub for s in subs]))
        assert_frame_equal(mine, alone)
    assert got["rank"].max() == 4  # ranks run within each channel


def test_s6_from_windows_matches_s6_from_counts_row_by_row():
    rng = np.random.default_rng(11)
    pos = rng.integers(0, 60, (200, 12)).astype(float)
    neg = rng.integers(0, 40, (200, 12)).astype(float)
    neg[::7, 3] = 200  # spike weeks
    empty = rng.random((200, 12)) < 0.3  # weeks without data
    pos[empty] = 0
    neg[empty] = 0
    pos[5, :9] = neg[5, :9] = 0  # three weeks of data only: no score
    got = trust.s6_from_windows(pos, neg, 10.0, 0.6)
    for r in range(200):
        want = trust.s6_from_counts(pos[r], neg[r], 10.0, 0.6)
        if want is None:
            assert np.isnan(got[r])
        else:
            assert got[r] == pytest.approx(want, abs=1e-12)
    assert np.isnan(got[5]) and (got < 0.9).any()


def _alerts_reference(series, k=2.0, min_count=10, persistence=2, cooldown=2, baseline=8,
                      min_baseline=3):  # fmt: skip
    """The alerts rule written window by window, as the docstring states it."""
    out = []
    frame = series.sort(["group", "period"])
    for (grp,), part in frame.group_by(["group"], maintain_order=True):
        neg = part["neg"].cast(pl.Float64).fill_null(0.0).to_numpy()
        total = part["total"].cast(pl.Float64).fill_null(0.0).to_numpy()
        share = [n / t if t > 0 else math.nan for n, t in zip(neg, total, strict=True)]
        run, last = 0, -(10**9)
        for t in range(len(share)):
            prev = [x for x in share[max(0, t - baseline) : t] if not math.isnan(x)]
            exceeds = False
            if not math.isnan(share[t]) and len(prev) >= max(2, min_baseline):
                mean, sd = float(np.mean(prev)), float(np.std(prev, ddof=1))
                exceeds = share[t] > mean + k * sd and neg[t] >= min_count
            run = run + 1 if exceeds else 0
            if run >= persistence and t > last + cooldown:
                out.append((grp, part["period"][t], share[t], mean, sd, float(neg[t])))
                last, run = t, 0
    return out


def test_alerts_match_the_rule_window_by_window():
    rng = np.random.default_rng(5)
    rows = []
    for grp in ("a", "b", "c"):
        for t in range(60):
            total = 0 if rng.random() < 0.1 else int(rng.integers(20, 200))
            spike = t in (20, 21, 22, 35, 36, 50, 51, 52, 53)
            neg = int(total * (0.6 if spike else rng.uniform(0.08, 0.12)))
            rows.append(dict(group=grp, period=date(2026, 1, 1) + timedelta(weeks=t),
                             neg=neg, total=total))  # fmt: skip
    series = pl.DataFrame(rows)
    for kwargs in ({}, {"k": 1.5, "persistence": 1}, {"baseline": 4, "cooldown": 0}):
        got = alerts(series, **kwargs)
        want = _alerts_reference(series, **kwargs)
        assert want
        assert got.height == len(want)
        for row, (grp, period, share, mean, sd, neg) in zip(got.iter_rows(named=True), want,
                                                            strict=True):  # fmt: skip
            assert (row["group"], row["period"], row["neg"]) == (grp, period, neg)
            assert row["share"] == share
            assert row["baseline_mean"] == pytest.approx(mean, abs=1e-12)
            assert row["baseline_sd"] == pytest.approx(sd, abs=1e-12)


def test_component_percentiles_average_to_s4_and_s5_for_any_grouping():
    rng = np.random.default_rng(9)
    d = datetime(2024, 6, 1)
    rows = []
    for i in range(120):
        ch = ("facebook", "x", "instagram")[i % 3]
        reach = None if i % 7 == 0 else int(rng.integers(500, 5000))
        shares = None if i % 11 == 0 else int(rng.integers(0, 50))
        rows.append((ch, f"p{i}", d + timedelta(days=int(rng.integers(-400, 60))),
                     int(rng.integers(0, 300)), int(rng.integers(0, 40)), shares, reach,
                     None if reach else 8000, ("a", "b", None)[i % 3 - 1], i % 5 == 0))  # fmt: skip
    posts = posts_frame(rows).with_columns(week=pl.col("created_at").dt.truncate("1w").cast(pl.String))
    start, end = date(2024, 5, 1), date(2024, 7, 15)
    pct = trust.component_percentiles(posts, start, end)
    assert pct.height > 20
    for by in ("channel", "campaign", "week"):
        means = {r[by]: r for r in pct.filter(pl.col(by).is_not_null()).group_by(by).agg(
            pl.col("p4").mean(), pl.col("p5").mean()).iter_rows(named=True)}  # fmt: skip
        s4 = by_group(s4_advocacy(posts, start, end, by=by))
        s5 = by_group(s5_engagement_quality(posts, start, end, by=by))
        assert s4 and s5
        for group, row in means.items():
            assert row["p4"] == pytest.approx(s4[group]["s4"]) if group in s4 else row["p4"] is None
            assert row["p5"] == pytest.approx(s5[group]["s5"]) if group in s5 else row["p5"] is None


def test_shared_draws_reuse_only_identical_posteriors(monkeypatch):
    rows = [dict(group="a", pos=40, neg=10, actionable=10, answered_in_target=6),
            dict(group="b", pos=20, neg=20, actionable=10, answered_in_target=3)]  # fmt: skip
    prior = {"S1": 0.6, "S2": 0.9, "S3": 0.5}
    alone = score_groups(counts_frame(rows), TrustSettings(), prior)
    other_prior = score_groups(counts_frame(rows), TrustSettings(), {**prior, "S1": 0.4})
    calls = []
    real = trust_intervals.beta_draws
    monkeypatch.setattr(trust_intervals, "beta_draws", lambda *a: calls.append(1) or real(*a))
    with trust.shared_draws():
        first = score_groups(counts_frame(rows), TrustSettings(), prior)
        assert len(calls) == 2
        again = score_groups(counts_frame(rows), TrustSettings(), prior)
        assert len(calls) == 2  # same posteriors: the draws are reused
        moved = score_groups(counts_frame(rows), TrustSettings(), {**prior, "S1": 0.4})
        assert len(calls) == 4  # another prior is another posterior: drawn afresh
        reseeded = score_groups(counts_frame(rows), TrustSettings(seed=7), prior)
        assert len(calls) == 6
    assert first.equals(alone) and again.equals(alone) and moved.equals(other_prior)
    assert reseeded["low"].to_list() != alone["low"].to_list()
    score_groups(counts_frame(rows), TrustSettings(), prior)
    assert len(calls) == 8  # outside the block nothing is kept


# ------------------------------------------------------------- vectorised scoring paths


def _mixed_counts() -> pl.DataFrame:
    """Groups of every kind: sufficient, few polar comments, tied, no data, no reply data."""
    rows = [
        dict(group="big", pos=400, neg=90, actionable=80, answered_in_target=50, s4=0.6,
             s5=0.4, s6=0.8, reply_data=True),
        dict(group="few", pos=3, neg=2, actionable=1, answered_in_target=1, s4=None, s5=0.5,
             s6=None, reply_data=True),
        dict(group="twin-a", pos=50, neg=50, actionable=10, answered_in_target=5, s4=0.5,
             s5=None, s6=0.7, reply_data=False),
        dict(group="twin-b", pos=50, neg=50, actionable=10, answered_in_target=5, s4=0.5,
             s5=None, s6=0.7, reply_data=False),
        dict(group="empty", pos=0, neg=0, audience=0, s4=None, s5=None, s6=None,
             reply_data=False),
        dict(group="wide", pos=12, neg=1, actionable=2, answered_in_target=0, s4=0.9,
             s5=0.1, s6=None, reply_data=True),
    ]  # fmt: skip
    return counts_frame(rows).with_columns(pl.col("s4", "s5", "s6").cast(pl.Float64))


def test_score_rows_without_the_frame_equal_the_frames_rows():
    counts = _mixed_counts()
    for settings in (TrustSettings(), TrustSettings(min_polar=1, max_width=5, draws=50)):
        scored = trust.score(trust.counts_of(counts), settings, None)
        frame = scored.frame
        assert frame.schema == pl.Schema(trust.SCORE_SCHEMA)
        for i in range(frame.height):
            assert scored.row(i) == frame.row(i, named=True)
    # Flags read from the table of missing-component cases (no insufficient scored group).
    some = counts.filter(pl.col("group").is_in(["big", "twin-a", "empty"]))
    scored = trust.score(trust.counts_of(some), TrustSettings(min_polar=1), None)
    assert scored.frame["flags"].to_list() == [
        [], ["partial: S3 (no reply data)", "partial: S5 (no post/reach data)"], ["no data"]]
    assert [scored.row(i) for i in range(3)] == list(scored.frame.iter_rows(named=True))
    # No missing component and no flag anywhere: the list columns keep their type.
    alone = score_groups(counts.head(1), TrustSettings())
    assert alone["missing"].to_list() == [[]] and alone["flags"].to_list() == [[]]
    assert alone.schema == pl.Schema(trust.SCORE_SCHEMA)


def test_score_frame_built_in_order_equals_the_frame_reordered():
    scored = trust.score(trust.counts_of(_mixed_counts()), TrustSettings(), None)
    order = [3, 0, 5, 1, 4, 2]
    assert scored.frame_of(order=order).equals(scored.frame[order])
    names = ["group", "trust", "flags", "weights_used", "rank"]
    assert scored.frame_of(names, order).equals(scored.frame.select(names)[order])


def test_changes_and_channel_equal_from_arrays_equal_those_from_frames():
    now = _mixed_counts()
    before = now.with_columns(pl.col("pos") * 0.7, pl.col("answered_in_target") + 3,
                              pl.col("s4") * 0.9)  # fmt: skip
    settings = TrustSettings(draws=200)
    a, b = trust.score(trust.counts_of(now), settings, None), trust.score(
        trust.counts_of(before), settings, None)
    assert trust.changes_between(a.change_rows(), b.change_rows(), 3) == trust.biggest_changes(
        a.frame, b.frame, 3
    )
    assert [r for r in a.change_rows()] == [
        {k: r[k] for k in ("group", "trust", *COMPONENTS, "weights_used")}
        for r in a.frame.iter_rows(named=True)
    ]
    assert trust.brand_total(a.rescoring_table(), settings, "channel_equal") == trust.brand_total(
        a.frame, settings, "channel_equal"
    )


def test_alerts_of_groups_at_once_equal_each_group_alone():
    rng = np.random.default_rng(8)
    start = date(2025, 1, 6)
    rows = []
    for group in ("a", "b", "c"):
        for t in range(30):
            total = int(rng.integers(50, 200))
            share = 0.1 + (0.5 if t in (12, 13, 20, 21, 22) and group != "c" else 0.0)
            rows.append({"group": group, "period": start + timedelta(weeks=t),
                         "neg": float(rng.binomial(total, share)), "total": float(total)})
    series = pl.DataFrame(rows)
    together = alerts(series)
    alone = pl.concat([alerts(series.filter(pl.col("group") == g)) for g in ("a", "b", "c")])
    assert together.height > 0 and together.equals(alone)
    # groups of other lengths go one by one
    uneven = series.filter(~((pl.col("group") == "b") & (pl.col("period") < start + timedelta(weeks=3))))
    assert alerts(uneven).equals(
        pl.concat([alerts(uneven.filter(pl.col("group") == g)) for g in ("a", "b", "c")])
    )


def _reference_ranks(frame: pl.DataFrame, partition: list | None = None) -> list:
    """The ranking rule written out row by row (the former implementation)."""
    rows = list(frame.iter_rows(named=True))
    parts = partition or [None] * len(rows)
    order = sorted(
        (i for i, r in enumerate(rows) if r["trust"] is not None),
        key=lambda i: (rows[i]["insufficient"], -rows[i]["low"], -rows[i]["trust"],
                       rows[i]["group"]),
    )  # fmt: skip
    rank: list = [None] * len(rows)
    seen: dict = {}
    for i in order:
        seen[parts[i]] = seen.get(parts[i], 0) + 1
        rank[i] = seen[parts[i]]
    return rank


def test_vectorised_ranks_bands_and_quantiles_match_their_references():
    counts = _mixed_counts()
    frame = score_groups(counts, TrustSettings())
    assert frame["rank"].to_list() == _reference_ranks(frame)
    parts = ["p", "q", "p", "q", "p", "q"]
    both = trust.score_partitions(counts.with_columns(pl.Series("part", parts)),
                                  TrustSettings(), "part")  # fmt: skip
    assert both["rank"].to_list() == _reference_ranks(both, parts)
    scores = np.array([np.nan, -3.0, 0.0, 34.999, 35.0, 49.9, 50.0, 64.99, 65.0, 79.99, 80.0,
                       100.0])  # fmt: skip
    assert trust.bands(scores) == [band(None if np.isnan(x) else float(x)) for x in scores]
    rng = np.random.default_rng(4)
    for n in (2, 3, 199, 200, 1000):
        draws = rng.normal(size=(9, n))
        for q in ([0.1, 0.9], [0.025, 0.975], [0.0, 1.0]):
            got = trust.quantiles(draws, q)
            assert np.allclose(got, np.quantile(draws, q, axis=1), rtol=0, atol=1e-12)


def test_group_streams_depend_on_seed_and_group_only():
    streams = trust.GroupStreams(12345)
    first = streams("a").random(5)
    streams("b").random(7)  # another group in between, part of a buffered word left over
    streams("b").integers(0, 2**31, 3, dtype=np.uint32)
    assert np.array_equal(streams("a").random(5), first)
    assert np.array_equal(trust.GroupStreams(12345)("a").random(5), first)
    assert not np.array_equal(trust.GroupStreams(7)("a").random(5), first)
    assert not np.array_equal(streams("a ").random(5), first)
    # The draws themselves are Beta: mean and sd of a large sample.
    out = np.zeros((1, 200_000))
    trust.beta_draws(streams("a"), [30.0], [70.0], 200_000, [1.0], out)
    x = out[0]
    assert abs(x.mean() - 0.3) < 0.002
    assert abs(x.std() - math.sqrt(0.3 * 0.7 / 101)) < 0.001
