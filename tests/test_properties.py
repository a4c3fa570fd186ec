"""Properties of every score the views show, on random stores of mixed channels.

Each score row must be the documented formula applied to that row's own counts, for
every grouping; a channel without reply data leaves the brand's Responsiveness as it
is; and a brand whose channels all have the same components scores within their range.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import comments_csv, make_rows, new_lake
from trustdash import analysis, trust
from trustdash.filters import Filters
from trustdash.ingest import import_files
from trustdash.store import Store

WINDOW = Filters(start=dt.date(2026, 6, 1), end=dt.date(2026, 9, 30))
SETTINGS = trust.TrustSettings()
# No shrinking: each example builds a store, and a failing one is printed as generated.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate]

channel_spec = st.tuples(
    st.sampled_from(["x", "facebook", "youtube", "instagram", "trustpilot"]),
    st.integers(min_value=3, max_value=160),  # comments
    st.floats(min_value=0.05, max_value=0.95),  # share of positive comments
    st.sampled_from([0, 0, 1, 2, 5]),  # a brand reply every k comments (0: no reply data)
    st.sampled_from(["", "Spring", "Autumn"]),
    st.integers(min_value=0, max_value=60),  # start offset (days)
)


def _fresh(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    if backend == "ducklake":
        return Store(new_lake(tmp_path, monkeypatch))
    return Store(tmp_path / f"{uuid.uuid4().hex}.duckdb")


def _fill(store: Store, specs: list[tuple]) -> None:
    files = []
    for i, (channel, n, good, reply, campaign, offset) in enumerate(specs):
        start = dt.datetime(2026, 6, 1, 9) + dt.timedelta(days=offset)
        rows = make_rows(n, channel=channel, campaign=campaign, good=good, start=start,
                         prefix=f"{channel}{i}-", reply_every=reply)  # fmt: skip
        files.append((f"{channel}{i}.csv", comments_csv(rows)))
    import_files(store, files)


def _close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _check_row(row: dict, s: trust.TrustSettings) -> None:
    """The documented formulas (docs/trust.md) on the row's own counts and priors."""
    m = s.prior_strength
    pos, neg = row["pos"], row["neg"]
    aud, comp = row["audience"], row["complaints"]
    act, ans = row["actionable"], row["answered_in_target"]
    if row["trust"] is None:
        return
    assert _close(row["S1"], (pos + m * row["prior_S1"]) / (pos + neg + m))
    assert _close(row["S2"], (aud - comp + m * row["prior_S2"]) / (aud + m))
    if row["S3"] is not None:
        assert _close(row["S3"], (ans + m * row["prior_S3"]) / (act + m))
    # Each weight scaled by the component's coverage: the share of the row's comments from
    # channels where it is measurable (1 on a channel).
    cover = row["coverage"]
    weights = {k: float(s.weights.get(k, 0.0)) * cover[k] for k in trust.COMPONENTS}
    available = {k: w for k, w in weights.items() if row[k] is not None and w > 0}
    total = sum(available.values())
    want = 100.0 * sum(w * row[k] for k, w in available.items()) / total
    assert _close(row["trust"], want)
    for k in trust.COMPONENTS:
        assert _close(row["weights_used"][k], available.get(k, 0.0) / total)
    assert row["low"] is None or row["low"] <= row["trust"] + 1e-9 <= row["high"] + 2e-9


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=PHASES)
@given(specs=st.lists(channel_spec, min_size=1, max_size=4))
def test_every_score_row_is_the_formula_of_its_own_counts(
    specs: list[tuple], backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _fresh(backend, tmp_path, monkeypatch)
    try:
        _fill(store, specs)
        for by in analysis.GROUPINGS:
            table = analysis.trust_table(store, WINDOW, by, SETTINGS)
            for row in table.iter_rows(named=True):
                _check_row(row, SETTINGS)
        # The brand's Act and R are its channels' where S3 is measurable, and S3 covers
        # those channels' share of the brand's comments.
        channels = analysis.trust_table(store, WINDOW, "channel", SETTINGS)
        brand = analysis.trust_table(store, WINDOW, "brand", SETTINGS).row(0, named=True)
        measured = channels.filter(channels["S3"].is_not_null())
        assert _close(brand["actionable"], float(measured["actionable"].sum()), 1e-9)
        assert _close(brand["answered_in_target"], float(measured["answered_in_target"].sum()))
        assert (brand["S3"] is None) == (measured.height == 0)
        if brand["S3"] is not None:
            share = float(measured["audience"].sum()) / float(channels["audience"].sum())
            assert _close(brand["coverage"]["S3"], share)
        # A channel measures a component on all of its own comments, or not at all.
        for row in channels.iter_rows(named=True):
            assert set(row["coverage"].values()) == {1.0}, row["coverage"]
    finally:
        store.close()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=PHASES)
@given(
    specs=st.lists(channel_spec.filter(lambda c: c[3] > 0), min_size=1, max_size=3),
    silent=channel_spec.filter(lambda c: c[3] == 0),
)
def test_a_channel_without_reply_data_leaves_the_brands_responsiveness(
    specs: list[tuple], silent: tuple, backend: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _fresh(backend, tmp_path, monkeypatch)
    after = _fresh(backend, tmp_path, monkeypatch)
    try:
        _fill(before, specs)
        # The silent channel has a name of its own, so it adds a channel.
        _fill(after, [*specs, ("listening", *silent[1:])])
        s3 = [analysis.trust_table(st_, WINDOW, "brand", SETTINGS).row(0, named=True)["S3"]
              for st_ in (before, after)]  # fmt: skip
        assert s3[0] is not None
        assert _close(s3[0], s3[1])
        heads = [analysis.brand_headline(st_, WINDOW, SETTINGS)["row"]["S3"]
                 for st_ in (before, after)]  # fmt: skip
        assert _close(heads[0], heads[1])
    finally:
        before.close()
        after.close()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=PHASES)
@given(
    goods=st.lists(st.floats(min_value=0.05, max_value=0.95), min_size=2, max_size=4),
    reply=st.sampled_from([0, 1, 3]),
)
def test_the_brand_scores_within_its_channels_when_they_have_the_same_components(
    goods: list[float], reply: int, backend: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    names = ["x", "facebook", "youtube", "instagram"]
    store = _fresh(backend, tmp_path, monkeypatch)
    try:
        # Every channel with 16 weeks of comments (S6 measurable), the same reply data.
        _fill(store, [(names[i], 480, g, reply, "", 0) for i, g in enumerate(goods)])
        channels = analysis.trust_table(store, WINDOW, "channel", SETTINGS)
        missing = channels["missing"].to_list()
        assert missing.count(missing[0]) == len(missing)
        brand = analysis.brand_headline(store, WINDOW, SETTINGS)["row"]
        scores = channels["trust"].to_list()
        # The brand and its channels are shrunk toward the same brand-wide mean μ, the
        # brand (more comments) less: per proportion it lies past the channels' mean S̄ by
        # (C − 1)·m·(S̄ − μ)/(N + m), S̄ weighted by n_c + m (docs/trust.md).
        m, used = SETTINGS.prior_strength, brand["weights_used"]
        rows = list(channels.iter_rows(named=True))
        sizes = {"S1": lambda r: r["pos"] + r["neg"], "S2": lambda r: r["audience"],
                 "S3": lambda r: r["actionable"]}  # fmt: skip
        slack = 0.0
        for k, size in sizes.items():
            if brand[k] is None:
                continue
            mean = (sum((size(r) + m) * r[k] for r in rows)
                    / sum(size(r) + m for r in rows))  # fmt: skip
            total = sum(size(r) for r in rows)
            excess = (len(rows) - 1) * m * (mean - brand[f"prior_{k}"]) / (total + m)
            assert _close(brand[k], mean + excess)
            slack += 100 * used[k] * abs(excess)
        assert min(scores) - slack - 1e-9 <= brand["trust"] <= max(scores) + slack + 1e-9
    finally:
        store.close()



def test_a_small_channel_with_replies_weighs_in_the_brand_by_its_share(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large channel without reply data and a small one that answers few of its
    complaints: the small channel's Responsiveness weighs in the brand by its share of the
    brand's comments, so the brand lies between its two channels (with the full weight,
    it would fall below both)."""
    store = _fresh(backend, tmp_path, monkeypatch)
    try:
        _fill(store, [("x", 300, 0.5, 0, "", 0), ("instagram", 100, 0.6, 5, "", 0)])
        channels = analysis.trust_table(store, WINDOW, "channel", SETTINGS)
        by_name = {r["group"]: r for r in channels.iter_rows(named=True)}
        assert by_name["x"]["S3"] is None and by_name["instagram"]["S3"] < 0.3
        brand = analysis.brand_headline(store, WINDOW, SETTINGS)["row"]
        _check_row(brand, SETTINGS)
        share = by_name["instagram"]["audience"] / (
            by_name["instagram"]["audience"] + by_name["x"]["audience"])
        assert _close(brand["coverage"]["S3"], share)
        assert 0.2 < share < 0.4
        scores = [r["trust"] for r in by_name.values()]
        assert min(scores) <= brand["trust"] <= max(scores)
    finally:
        store.close()
