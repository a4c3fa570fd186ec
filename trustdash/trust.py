"""The trust math of trustdash (see docs/trust.md and TRUST_MODEL.md).

Everything here is a pure function of aggregated counts or small frames: the
store computes the (recency-weighted) counts in SQL, this module turns them
into components, scores, intervals, ranks, alerts and explanations.

Conventions
-----------
* A proportion is always reported shrunk toward a prior mean ``mu`` with prior
  strength ``m``: ``(k + m*mu) / (n + m)``, the mean of the posterior
  ``Beta(k + m*mu, n - k + m*(1 - mu))``.
* Components S1..S6 live in [0, 1]; the Trust Score in [0, 100].
* A component that cannot be computed is ``None`` (null in frames); it is
  dropped and the weights of the others are renormalised.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import polars as pl

try:  # scipy is optional: exact Beta quantiles fall back to a pure-Python inverse.
    from scipy.special import betaincinv as _scipy_betaincinv
except ImportError:  # pragma: no cover - exercised only where scipy is absent
    _scipy_betaincinv = None

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

COMPONENTS: tuple[str, ...] = ("S1", "S2", "S3", "S4", "S5", "S6")

COMPONENT_NAMES: dict[str, str] = {
    "S1": "Sentiment balance",
    "S2": "Complaint pressure",
    "S3": "Responsiveness",
    "S4": "Advocacy",
    "S5": "Engagement quality",
    "S6": "Consistency",
}

# Components estimated from counts with a Beta posterior (they carry sampling
# uncertainty in the Monte-Carlo interval); S4-S6 are held fixed.
PROPORTION_COMPONENTS: tuple[str, ...] = ("S1", "S2", "S3")

_DEFAULT_WEIGHTS: dict[str, float] = {
    "S1": 0.30,
    "S2": 0.15,
    "S3": 0.25,
    "S4": 0.15,
    "S5": 0.05,
    "S6": 0.10,
}


def _pin(base: Mapping[str, float], pinned: Mapping[str, float]) -> dict[str, float]:
    """Weights with ``pinned`` components fixed and the others scaled to fill the rest.

    When several components are pinned together (``{"S1": x, "S2": y}``) they
    keep the values given; the remaining ``1 - sum(pinned)`` is split among
    the other components in proportion to ``base``.
    """
    rest = {k: v for k, v in base.items() if k not in pinned}
    room = 1.0 - sum(pinned.values())
    total = sum(rest.values())
    out = {k: float(v) for k, v in pinned.items()}
    out.update({k: room * v / total for k, v in rest.items()})
    return {k: out[k] for k in COMPONENTS}


# Reputation-first keeps the Default 2:1 ratio of S1:S2 (0.40 + 0.20 = 0.60).
PRESETS: dict[str, dict[str, float]] = {
    "Default": dict(_DEFAULT_WEIGHTS),
    "Equal": {k: 1.0 / len(COMPONENTS) for k in COMPONENTS},
    "Care-first": _pin(_DEFAULT_WEIGHTS, {"S3": 0.40}),
    "Reputation-first": _pin(_DEFAULT_WEIGHTS, {"S1": 0.40, "S2": 0.20}),
}

# Target first-response time (hours) per channel; any other channel: 24 h.
DEFAULT_TARGET_HOURS: dict[str, float] = {
    "x": 1.0,
    "twitter": 1.0,
    "facebook": 24.0,
    "instagram": 24.0,
    "tiktok": 24.0,
    "linkedin": 24.0,
    "youtube": 48.0,
    "trustpilot": 72.0,
    "google": 72.0,
    "reviews": 72.0,
}
DEFAULT_TARGET_HOURS_OTHER = 24.0

# (lower bound inclusive, label), highest first.  "No data" for a missing score.
BANDS: tuple[tuple[float, str], ...] = (
    (80.0, "Excellent"),
    (65.0, "Good"),
    (50.0, "Fragile"),
    (35.0, "At risk"),
    (-math.inf, "Critical"),
)
NO_DATA = "No data"

INSUFFICIENT = "insufficient data"

RESPONSE_BINS: tuple[tuple[str, float, float], ...] = (
    ("0–1 h", 0.0, 1.0),
    ("1–4 h", 1.0, 4.0),
    ("4–8 h", 4.0, 8.0),
    ("8–24 h", 8.0, 24.0),
    ("24 h+", 24.0, math.inf),
)

Number = float | int
ArrayLike = float | int | np.ndarray | Sequence[float]


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustSettings:
    """User settings of the trust model (all editable on the Settings page).

    ``weights`` need not sum to 1 (they are renormalised); ``targets``
    overrides :data:`DEFAULT_TARGET_HOURS` per channel (lower-case names).
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(PRESETS["Default"]))
    half_life_days: float = 90.0  # 0 = recency weighting off
    prior_strength: float = 10.0  # m
    level: float = 0.80  # interval level
    draws: int = 1000  # Monte-Carlo draws per group
    min_polar: float = 10.0  # insufficient data below this effective n of polar comments
    max_width: float = 30.0  # insufficient data when the interval is wider (points)
    seed: int = 12345  # Monte-Carlo seed: same inputs -> same interval
    targets: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(COMPONENTS)
        if unknown:
            raise ValueError(f"unknown components in weights: {sorted(unknown)}")
        if any(w < 0 or not math.isfinite(w) for w in self.weights.values()):
            raise ValueError("weights must be finite and non-negative")
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one weight must be positive")
        if not 0.0 < self.level < 1.0:
            raise ValueError("level must be in (0, 1)")
        if self.half_life_days < 0 or self.prior_strength < 0:
            raise ValueError("half_life_days and prior_strength must be >= 0")
        if self.draws < 2:
            raise ValueError("draws must be >= 2")

    def __hash__(self) -> int:  # the mappings make the generated hash fail
        return hash(
            (
                tuple(sorted(self.weights.items())),
                tuple(sorted(self.targets.items())),
                self.half_life_days,
                self.prior_strength,
                self.level,
                self.draws,
                self.min_polar,
                self.max_width,
                self.seed,
            )
        )

    def target_hours(self, channel: str) -> float:
        """Target first-response time in hours for ``channel`` (override, default, or 24)."""
        key = (channel or "").strip().lower()
        if key in self.targets:
            return float(self.targets[key])
        return DEFAULT_TARGET_HOURS.get(key, DEFAULT_TARGET_HOURS_OTHER)

    def with_weights(self, weights: Mapping[str, float]) -> TrustSettings:
        """A copy with other weights (e.g. a preset)."""
        return replace(self, weights=dict(weights))


# --------------------------------------------------------------------------
# Shared machinery
# --------------------------------------------------------------------------


def _out(x: np.ndarray, scalar: bool) -> Any:
    return float(x) if scalar else x


def recency_weight(age_days: ArrayLike, half_life_days: float) -> Any:
    """Recency weight ``w = 0.5 ** (age_days / H)``; ``H = 0`` turns weighting off (w = 1).

    Ages are counted from the end of the selected period; negative ages
    (items after the end) are treated as age 0, so ``0 < w <= 1``.
    Returns a float for a scalar input, else an array of the same shape.
    """
    scalar = np.ndim(age_days) == 0
    age = np.clip(np.asarray(age_days, dtype=float), 0.0, None)
    if not half_life_days or half_life_days <= 0:
        return _out(np.ones_like(age), scalar)
    return _out(np.power(0.5, age / float(half_life_days)), scalar)


def shrink(k: ArrayLike, n: ArrayLike, m: float, mu: ArrayLike) -> Any:
    """Shrunk proportion ``(k + m*mu) / (n + m)``.

    ``k`` successes out of ``n`` (both possibly recency-weighted), prior
    strength ``m`` and prior mean ``mu``. With ``n + m = 0`` the result is ``mu``.
    """
    scalar = all(np.ndim(v) == 0 for v in (k, n, mu))
    k_ = np.asarray(k, dtype=float)
    n_ = np.asarray(n, dtype=float)
    mu_ = np.asarray(mu, dtype=float)
    den = n_ + m
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.where(den > 0, (k_ + m * mu_) / np.where(den > 0, den, 1.0), mu_)
    return _out(val, scalar)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for i in range(1, 20000):
        i2 = 2 * i
        aa = i * (b - i) * x / ((qam + i2) * (a + i2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + i) * (qab + i) * x / ((a + i2) * (qap + i2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta ``I_x(a, b)`` (pure Python)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _betaincinv_py(a: float, b: float, p: float) -> float:
    """Inverse of ``I_x(a, b)`` in x by bisection (pure Python, ~1e-15 accuracy)."""
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _betainc(a, b, mid) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return 0.5 * (lo + hi)


def _beta_ppf(a: float, b: float, p: float) -> float:
    """Quantile ``p`` of Beta(a, b); degenerate parameters give point masses."""
    if a <= 0 and b <= 0:
        return p  # no information at all: uniform
    if a <= 0:
        return 0.0
    if b <= 0:
        return 1.0
    if _scipy_betaincinv is not None:
        return float(_scipy_betaincinv(a, b, p))
    return _betaincinv_py(a, b, p)


def beta_interval(
    k: Number, n: Number, m: float, mu: float, level: float = 0.8
) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of ``Beta(k + m*mu, n - k + m*(1 - mu))``.

    Returns the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles, exact
    (scipy's ``betaincinv`` when importable, else a bisection on a
    continued-fraction ``betainc``).
    """
    a = float(k) + m * float(mu)
    b = float(n) - float(k) + m * (1.0 - float(mu))
    tail = (1.0 - level) / 2.0
    return _beta_ppf(a, b, tail), _beta_ppf(a, b, 1.0 - tail)


def _is_missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def band(score: float | None) -> str:
    """Band of a 0..100 score: >=80 Excellent, >=65 Good, >=50 Fragile, >=35 At risk,
    else Critical (thresholds on the unrounded score); ``None``/NaN -> "No data"."""
    if _is_missing(score):
        return NO_DATA
    for lower, label in BANDS:
        if score >= lower:
            return label
    return BANDS[-1][1]  # pragma: no cover


def net_sentiment(pos: Number, neg: Number) -> float | None:
    """Net sentiment ``(P - N) / (P + N)`` in [-1, 1] (polar-only form); ``None`` if P + N = 0."""
    total = float(pos) + float(neg)
    if total <= 0:
        return None
    return (float(pos) - float(neg)) / total


# --------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------


def s1_sentiment_balance(pos: Number, neg: Number, m: float, mu: float) -> float:
    """S1 = ``(P + m*mu) / (P + N + m)``: shrunk positive share of polar audience comments.

    ``mu`` is the prior positive share (parent level). Net sentiment shown
    alongside is ``2*S1 - 1`` (shrunk) or ``(P - N)/(P + N)`` (raw).
    """
    return float(shrink(pos, float(pos) + float(neg), m, mu))


def s2_complaint_pressure(complaints: Number, audience: Number, m: float, mu: float) -> float:
    """S2 = ``1 - (C + m*(1 - mu)) / (A + m) = (A - C + m*mu) / (A + m)``.

    ``C`` complaints among ``A`` audience comments (neutral included);
    ``mu`` is the prior *complaint-free* share.
    """
    return float(shrink(float(audience) - float(complaints), audience, m, mu))


def s3_responsiveness(answered_in_target: Number, actionable: Number, m: float, mu: float) -> float:
    """S3 = ``(R + m*mu) / (A + m)``: shrunk share of actionable comments answered in target.

    ``R`` actionable comments with a brand reply within the channel's
    target time, ``A`` actionable comments (questions, complaints,
    negatives); ``mu`` the prior answered-in-target share. ``A = 0`` gives ``mu``.
    """
    return float(shrink(answered_in_target, actionable, m, mu))


def _bounds(
    start: date | datetime | None, end: date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """(inclusive start, exclusive end); a date end covers that whole day."""

    def as_dt(d: date | datetime | None, end_side: bool) -> datetime | None:
        if d is None:
            return None
        if isinstance(d, datetime):
            return d.replace(tzinfo=None) + (timedelta(microseconds=1) if end_side else timedelta())
        base = datetime(d.year, d.month, d.day)
        return base + (timedelta(days=1) if end_side else timedelta())

    return as_dt(start, False), as_dt(end, True)


def _num(posts: pl.DataFrame, name: str) -> pl.Expr:
    if name in posts.columns:
        return pl.col(name).cast(pl.Float64)
    return pl.lit(None, dtype=pl.Float64)


def _engagements(posts: pl.DataFrame) -> pl.Expr:
    parts = [_num(posts, c) for c in ("likes", "comments", "shares", "reposts", "saves")]
    known = pl.any_horizontal([p.is_not_null() for p in parts])
    total = pl.sum_horizontal([p.fill_null(0.0) for p in parts])
    return pl.when(known).then(total).otherwise(None)


def _post_percentiles(
    posts: pl.DataFrame,
    value: pl.Expr,
    period_start: date | datetime | None,
    period_end: date | datetime | None,
    window_days: int,
) -> pl.DataFrame:
    """The period's posts with a valid ``value``, each with ``_pct``: its within-channel
    mid-rank percentile among the channel's posts of the reference window."""
    if posts.height == 0 or "created_at" not in posts.columns:
        return posts.clear().with_columns(_pct=pl.lit(None, pl.Float64))
    frame = posts.with_columns(
        _v=value,
        _t=pl.col("created_at").cast(pl.Datetime("us")),
        _ch=pl.col("channel").cast(pl.String) if "channel" in posts.columns else pl.lit(""),
    ).filter(pl.col("_t").is_not_null())
    if frame.height == 0:
        return posts.clear().with_columns(_pct=pl.lit(None, pl.Float64))
    start, end = _bounds(period_start, period_end)
    if end is None:
        end = frame["_t"].max() + timedelta(microseconds=1)  # type: ignore[operator]
    if start is None:
        start = frame["_t"].min()
    ref_start = min(start, end - timedelta(days=window_days))  # type: ignore[type-var]
    ref = frame.filter(
        (pl.col("_t") >= ref_start) & (pl.col("_t") < end) & pl.col("_v").is_not_null()
    ).with_columns(
        _pct=(pl.col("_v").rank("average").over("_ch") - 0.5) / pl.len().over("_ch"),
    )
    return ref.filter(pl.col("_t") >= start).drop("_v", "_t", "_ch")


def _percentile_component(
    posts: pl.DataFrame,
    value: pl.Expr,
    name: str,
    period_start: date | datetime | None,
    period_end: date | datetime | None,
    by: str,
    window_days: int,
) -> pl.DataFrame:
    """Mean within-channel mid-rank percentile of ``value`` over the period's posts, by ``by``."""
    schema = {"group": pl.String(), name: pl.Float64(), "posts": pl.Int64()}
    sel = _post_percentiles(posts, value, period_start, period_end, window_days)
    if sel.height == 0:
        return pl.DataFrame(schema=schema)
    return (
        sel.with_columns(
            group=(pl.col(by) if by in sel.columns else pl.lit(None)).cast(pl.String)
        )
        .filter(pl.col("group").is_not_null())
        .group_by("group")
        .agg(pl.col("_pct").mean().alias(name), pl.len().cast(pl.Int64).alias("posts"))
        .sort("group")
        .select(list(schema))
    )


def component_percentiles(
    posts: pl.DataFrame,
    period_start: date | datetime | None = None,
    period_end: date | datetime | None = None,
    window_days: int = 365,
) -> pl.DataFrame:
    """The period's posts, each with its S4 and S5 percentiles ``p4`` and ``p5`` (null
    where the post has no valid ratio or, for S5, is net negative).

    The mean of ``p4`` (``p5``) over a group's posts is that group's
    :func:`s4_advocacy` (:func:`s5_engagement_quality`): several groupings of the same
    window (channel, brand, channel × week) share one ranking instead of one each.
    """
    if posts.height == 0:
        return posts.hstack([pl.Series(name, [], dtype=pl.Float64) for name in ("p4", "p5")])
    numbered = posts.with_row_index("_row")
    p4 = _post_percentiles(numbered, _advocacy_ratio(numbered), period_start, period_end,
                           window_days)  # fmt: skip
    kept = numbered
    if "net_negative" in numbered.columns:
        kept = numbered.filter(~pl.col("net_negative").fill_null(False))
    p5 = _post_percentiles(kept, _engagement_rate(kept), period_start, period_end, window_days)
    both = p4.select("_row", pl.col("_pct").alias("p4")).join(
        p5.select("_row", pl.col("_pct").alias("p5")), on="_row", how="full", coalesce=True
    )
    return numbered.join(both, on="_row", how="inner").sort("_row").drop("_row")


def s4_advocacy(
    posts: pl.DataFrame,
    period_start: date | datetime | None = None,
    period_end: date | datetime | None = None,
    by: str = "channel",
    window_days: int = 365,
) -> pl.DataFrame:
    """S4 Advocacy: mean within-channel percentile of the per-post advocacy ratio.

    Per post: ``ratio = (shares + reposts) / (likes + comments + shares + reposts + saves)``
    (absent columns and nulls count 0; ratio is null when shares and reposts are
    both unknown or engagements are 0). Reference set: posts of the same channel
    created in ``[min(period_start, period_end - 365 days), period_end]``.
    Each post gets its mid-rank percentile ``(#below + 0.5*#equal) / #reference``
    within its channel's reference set (0.5 = typical for that channel).
    S4 of a group = mean percentile of the group's posts created in
    ``[period_start, period_end]`` (``by``: "channel" or "campaign").
    Missing period bounds default to the posts' min / max time; a ``date``
    end includes that whole day.

    Returns columns ``group`` (str), ``s4`` (float in [0, 1]), ``posts``
    (number of posts averaged). Groups without any valid post are absent (S4 missing).
    """
    value = _advocacy_ratio(posts)
    return _percentile_component(posts, value, "s4", period_start, period_end, by, window_days)


def _advocacy_ratio(posts: pl.DataFrame) -> pl.Expr:
    known = _num(posts, "shares").is_not_null() | _num(posts, "reposts").is_not_null()
    eng = _engagements(posts)
    shared = pl.sum_horizontal(
        [_num(posts, "shares").fill_null(0.0), _num(posts, "reposts").fill_null(0.0)]
    )
    return pl.when(known & (eng > 0)).then(shared / eng).otherwise(None)


def s5_engagement_quality(
    posts: pl.DataFrame,
    period_start: date | datetime | None = None,
    period_end: date | datetime | None = None,
    by: str = "channel",
    window_days: int = 365,
) -> pl.DataFrame:
    """S5 Engagement quality: mean within-channel percentile of engagement rate by reach.

    Only posts whose comments are **not** net negative are used
    (``net_negative`` true -> excluded, false/null -> kept), both for the
    reference set and the average: outrage is not trust.
    Per post: ``rate = (likes + comments + shares + reposts + saves) / reach``,
    falling back to ``impressions`` when reach is null or 0 (null when both are).
    Percentiles and periods exactly as in :func:`s4_advocacy`.

    Returns columns ``group``, ``s5`` (float in [0, 1]), ``posts``.
    """
    kept = posts
    if "net_negative" in posts.columns:
        kept = posts.filter(~pl.col("net_negative").fill_null(False))
    value = _engagement_rate(kept)
    return _percentile_component(kept, value, "s5", period_start, period_end, by, window_days)


def _engagement_rate(posts: pl.DataFrame) -> pl.Expr:
    reach = _num(posts, "reach")
    impressions = _num(posts, "impressions")
    denom = pl.when(reach > 0).then(reach).when(impressions > 0).then(impressions).otherwise(None)
    return _engagements(posts) / denom


def s6_consistency(weekly: pl.DataFrame, m: float, mu: float) -> float | None:
    """S6 Consistency over the last 12 weeks.

    ``S6 = (1 - min(1, sd / 0.5)) * (1 - 0.1 * min(5, spike_weeks))`` where
    ``sd`` is the population standard deviation of the weekly shrunk net
    sentiment ``2 * (P + m*mu) / (P + N + m) - 1`` and a spike week is a week
    whose negative share ``N / (P + N)`` exceeds the mean + 2 sd of the
    negative shares of the *other* weeks of the window, with ``N >= 10``.
    Uses the 12 latest rows by ``week`` (columns ``week, pos, neg``); weeks
    with ``P + N = 0`` carry no data and are skipped. ``None`` with fewer
    than 4 weeks of data.
    """
    if weekly.height == 0:
        return None
    rows = (
        weekly.sort("week")
        .tail(12)
        .select(
            pl.col("pos").cast(pl.Float64).fill_null(0.0),
            pl.col("neg").cast(pl.Float64).fill_null(0.0),
        )
    )
    return s6_from_counts(rows["pos"].to_numpy(), rows["neg"].to_numpy(), m, mu)


def s6_from_counts(pos: np.ndarray, neg: np.ndarray, m: float, mu: float) -> float | None:
    """:func:`s6_consistency` on arrays of weekly positive and negative counts (oldest
    first, the window's weeks only): the same formula without building a frame."""
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    keep = (pos + neg) > 0
    pos, neg = pos[keep], neg[keep]
    if len(pos) < 4:
        return None
    net = 2.0 * np.asarray(shrink(pos, pos + neg, m, mu)) - 1.0
    sd = float(np.std(net))
    share = neg / (pos + neg)
    return _consistency(sd, _spike_weeks(share, neg))


def s6_from_windows(pos: np.ndarray, neg: np.ndarray, m: float, mu: float) -> np.ndarray:
    """:func:`s6_from_counts` for many windows at once: row ``r`` of the (R, W) arrays
    holds one window's weekly P and N (weeks with ``P + N = 0`` carry no data, as there).

    Per row, over its weeks with data: ``S6 = (1 - min(1, sd / 0.5)) * (1 - 0.1 *
    min(5, spike_weeks))``, ``sd`` the population standard deviation of the shrunk net
    sentiment ``2 * (P + m*mu) / (P + N + m) - 1``, a spike week one whose negative
    share exceeds the mean + 2 sd of the other weeks' shares with ``N >= 10``.
    NaN where fewer than 4 weeks have data.
    """
    pos = np.asarray(pos, dtype=float)
    neg = np.asarray(neg, dtype=float)
    tot = pos + neg
    keep = tot > 0
    weeks = keep.sum(axis=1)
    n = np.maximum(weeks, 1)[:, None]
    net = np.where(keep, 2.0 * (pos + m * mu) / (tot + m) - 1.0, 0.0)
    mean = net.sum(axis=1, keepdims=True) / n
    sd = np.sqrt(np.where(keep, (net - mean) ** 2, 0.0).sum(axis=1) / n[:, 0])
    share = np.where(keep, neg / np.where(keep, tot, 1.0), 0.0)
    # Leave-one-out moments of the other weeks' shares, in closed form.
    others = np.maximum(n - 1, 1)
    others_mean = (share.sum(axis=1, keepdims=True) - share) / others
    others_var = np.maximum(
        ((share**2).sum(axis=1, keepdims=True) - share**2) / others - others_mean**2, 0.0
    )
    spikes = (keep & (neg >= 10) & (share > others_mean + 2.0 * np.sqrt(others_var) + 1e-12)).sum(
        axis=1
    )
    s6 = (1.0 - np.minimum(1.0, sd / 0.5)) * (1.0 - 0.1 * np.minimum(5, spikes))
    return np.where(weeks >= 4, s6, np.nan)


def _spike_weeks(share: np.ndarray, neg: np.ndarray) -> int:
    """Weeks whose negative share exceeds the mean + 2 sd (population) of the *other*
    weeks' shares, with at least 10 negatives; leave-one-out moments in closed form."""
    n = len(share)
    total, total_sq = share.sum(), (share**2).sum()
    others_mean = (total - share) / (n - 1)
    others_var = np.maximum((total_sq - share**2) / (n - 1) - others_mean**2, 0.0)
    return int(((neg >= 10) & (share > others_mean + 2.0 * np.sqrt(others_var) + 1e-12)).sum())


def _consistency(sd: float, spike_weeks: int) -> float:
    """``(1 - min(1, sd / 0.5)) * (1 - 0.1 * min(5, spike_weeks))``."""
    return (1.0 - min(1.0, sd / 0.5)) * (1.0 - 0.1 * min(5, spike_weeks))


# --------------------------------------------------------------------------
# Trust Score
# --------------------------------------------------------------------------


def _norm_weights(weights: Mapping[str, float]) -> dict[str, float]:
    return {k: float(weights.get(k, 0.0)) for k in COMPONENTS}


def trust_score(
    components: Mapping[str, float | None], weights: Mapping[str, float]
) -> tuple[float | None, dict[str, float], list[str]]:
    """Trust Score ``100 * sum(w_k * S_k) / sum_{available} w_k``.

    Returns ``(score, used, missing)``: ``used`` the weights renormalised over
    the available components (0 for dropped ones, summing to 1), ``missing``
    the component ids whose value is None/NaN/absent. ``score`` is None when no
    component with a positive weight is available.
    """
    w = _norm_weights(weights)
    missing = [k for k in COMPONENTS if _is_missing(components.get(k))]
    avail = {k: w[k] for k in COMPONENTS if k not in missing and w[k] > 0}
    total = sum(avail.values())
    if total <= 0:
        return None, {k: 0.0 for k in COMPONENTS}, missing
    used = {k: avail.get(k, 0.0) / total for k in COMPONENTS}
    score = 100.0 * sum(used[k] * float(components[k]) for k in avail)  # type: ignore[arg-type]
    return score, used, missing


_SCORE_INPUTS = frozenset(
    {"group", "channel", "n_raw", "polar_raw", "reply_data", "answered", "s4", "s5", "s6",
     "pos", "neg", "neu", "audience", "complaints", "actionable", "answered_in_target"}
)  # fmt: skip
_COUNT_COLS = ("pos", "neg", "neu", "audience", "complaints", "actionable", "answered_in_target")
_WEIGHT_STRUCT = pl.Struct({k: pl.Float64() for k in COMPONENTS})

SCORE_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "trust": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "band": pl.String(),
    "n": pl.Int64(),
    "n_polar": pl.Int64(),
    "net_sentiment": pl.Float64(),
    **{k: pl.Float64() for k in COMPONENTS},
    "weights_used": _WEIGHT_STRUCT,
    "missing": pl.List(pl.String()),
    "flags": pl.List(pl.String()),
    "insufficient": pl.Boolean(),
    "prior_S1": pl.Float64(),
    "prior_S2": pl.Float64(),
    "prior_S3": pl.Float64(),
    "rank": pl.Int64(),
    # pass-through counts (for explain() and the "How is this computed?" panel)
    **{c: pl.Float64() for c in _COUNT_COLS},
    "channel": pl.String(),
}

_PARTIAL_REASON = {
    "S1": "no polar comments",
    "S2": "no audience comments",
    "S3": "no reply data",
    "S4": "no post/share data",
    "S5": "no post/reach data",
    "S6": "fewer than 4 weeks",
}
_PARTIAL_FLAG = {cid: f"partial: {cid} ({reason})" for cid, reason in _PARTIAL_REASON.items()}


# A counts table: a frame, or its columns as a mapping of names to numpy arrays (strings
# as lists), which the Overview hands from one step to the next without building frames.
Table = pl.DataFrame | Mapping[str, Any]


def _height(counts: Table) -> int:
    if isinstance(counts, pl.DataFrame):
        return counts.height
    return len(counts["group"])


def _array(counts: Table, name: str) -> np.ndarray | None:
    """Column ``name`` as a numpy array (nulls as NaN), None when absent."""
    if isinstance(counts, pl.DataFrame):
        column = counts.get_column(name, default=None)
        return None if column is None else column.to_numpy()
    value = counts.get(name)
    return None if value is None else np.asarray(value)


def _strings(counts: Table, name: str) -> list[str | None] | None:
    """Column ``name`` as a list of strings (None for nulls), None when absent."""
    if isinstance(counts, pl.DataFrame):
        column = counts.get_column(name, default=None)
        return None if column is None else column.cast(pl.String).to_list()
    value = counts.get(name)
    return None if value is None else [None if v is None else str(v) for v in value]


def _select_rows(counts: Table, mask: np.ndarray) -> Table:
    if isinstance(counts, pl.DataFrame):
        return counts.filter(pl.Series(mask))
    rows = np.flatnonzero(mask).tolist()
    return {
        name: [value[i] for i in rows] if isinstance(value, list) else np.asarray(value)[mask]
        for name, value in counts.items()
    }


def _col(counts: Table, name: str, default: float = 0.0) -> np.ndarray:
    # Straight to numpy (nulls become NaN): no polars expression per column, which costs
    # a query plan each and dominates when many small frames are scored.
    arr = _array(counts, name)
    if arr is None:
        return np.full(_height(counts), default, dtype=float)
    arr = np.asarray(arr, dtype=float)
    return np.where(np.isnan(arr), default, arr)


def _opt_col(counts: Table, name: str) -> np.ndarray:
    """Nullable float column as an array with NaN for null / absent."""
    arr = _array(counts, name)
    if arr is None:
        return np.full(_height(counts), np.nan)
    return np.asarray(arr, dtype=float)


def _has_reply_data(counts: Table) -> np.ndarray:
    """Per-group flag: does the export carry brand replies for this group?

    ``reply_data`` column (bool) when the store provides it; otherwise inferred
    for the whole frame: reply data exists iff any reply was seen (sum of
    ``answered_in_target``, or of ``answered`` at any delay when present, > 0).
    """
    if isinstance(counts, pl.DataFrame):
        flag = counts.get_column("reply_data", default=None)
        if flag is not None:
            if flag.dtype == pl.Boolean and not flag.has_nulls():
                return flag.to_numpy().astype(bool)  # no cast: each would run a query plan
            return flag.cast(pl.Boolean).fill_null(False).to_numpy().astype(bool)
    elif counts.get("reply_data") is not None:
        return np.asarray(counts["reply_data"], dtype=bool)
    seen = _col(counts, "answered_in_target").sum() > 0
    if _array(counts, "answered") is not None:
        seen = seen or _col(counts, "answered").sum() > 0
    return np.full(_height(counts), bool(seen))


def pooled_prior(counts: Table, m: float) -> dict[str, float]:
    """Prior means from the pooled totals of ``counts``, each shrunk toward 0.5 with ``m``.

    ``S1``: positive share ``(sum P + 0.5m) / (sum P + sum N + m)``;
    ``S2``: complaint-free share; ``S3``: answered-in-target share over
    groups with reply data.
    """
    pos, neg = _col(counts, "pos"), _col(counts, "neg")
    aud, comp = _col(counts, "audience"), _col(counts, "complaints")
    act, ans = _col(counts, "actionable"), _col(counts, "answered_in_target")
    reply = _has_reply_data(counts) if _height(counts) else np.zeros(0, dtype=bool)
    p, n, a, c = float(pos.sum()), float(neg.sum()), float(aud.sum()), float(comp.sum())
    return {
        "S1": _shrunk(p, p + n, m, 0.5),
        "S2": _shrunk(a - c, a, m, 0.5),
        "S3": _shrunk(float(ans[reply].sum()), float(act[reply].sum()), m, 0.5),
    }


def _shrunk(k: float, n: float, m: float, mu: float) -> float:
    """:func:`shrink` of one proportion, in plain floats (same operations, no arrays)."""
    den = n + m
    return (k + m * mu) / den if den > 0 else mu


def _beta_draws(
    rng: np.random.Generator,
    a: Sequence[float],
    b: Sequence[float],
    size: int,
    weights: Sequence[float],
    out: np.ndarray,
) -> None:
    """``out[k]`` = ``size`` draws of ``X_k ~ Beta(a[k], b[k])`` (independent), for each
    component of non-zero weight; degenerate parameters give point masses.

    Non-positive ``a`` -> 0, non-positive ``b`` -> 1; both -> uniform. A component of
    weight 0 is not drawn (``out[k]`` is left as it is: it adds nothing), so it uses none
    of the stream.
    """
    for k in range(len(a)):
        ak, bk = a[k], b[k]
        if weights[k] == 0.0:
            continue
        if ak > 0 and bk > 0:
            # Scalar parameters: numpy's fastest Beta path (no per-sample broadcasting).
            out[k] = rng.beta(ak, bk, size)
        elif ak <= 0 and bk <= 0:
            out[k] = rng.random(size)
        else:
            out[k] = 0.0 if ak <= 0 else 1.0


class _GroupStreams:
    """A random generator per group, keyed by (seed, group name): a group's draws depend
    on nothing else, so its interval is the same whichever groups are scored with it.

    One SFC64 generator per thread is re-keyed per group instead of built per group:
    building one through numpy's seed hashing costs ~20 µs, more than the 300 Beta
    samples of a trend point. The key is a BLAKE2b hash of the group name under the seed:
    its 24 bytes are SFC64's three state words, the fourth (the counter) is 1. The whole
    state is set, so nothing of a previous group carries over; the hash mixes the state
    as numpy's seed hashing does, so no outputs are skipped.
    """

    _COUNTER = (1).to_bytes(8, "little")

    def __init__(self, seed: int) -> None:
        kept = getattr(_THREAD_BITS, "sfc64", None)
        if kept is None:
            bits = np.random.SFC64(0)
            kept = _THREAD_BITS.sfc64 = (bits, np.random.Generator(bits), bits.state)
        self._bits, self._gen, self._state = kept
        self._key = str(int(seed)).encode("ascii")[:64]

    def __call__(self, group: str) -> np.random.Generator:
        digest = hashlib.blake2b(str(group).encode("utf-8"), digest_size=24, key=self._key)
        self._state["state"]["state"] = np.frombuffer(
            digest.digest() + self._COUNTER, dtype="<u8"
        )
        self._bits.state = self._state
        return self._gen


_THREAD_BITS = threading.local()


def _fill_draws(
    draws: np.ndarray,
    rows: list[int],
    groups: Sequence[str],
    a: np.ndarray,
    b: np.ndarray,
    w3: np.ndarray,
    seed: int,
) -> None:
    """``draws[i]`` for each of ``rows``: ``sum_k w3[i, k] * X_k`` with ``X_k`` the Beta
    draws of group ``groups[i]`` (its own stream), weighted for all groups at once."""
    if not rows:
        return
    d = draws.shape[1]
    raw = np.zeros((len(rows), a.shape[1], d))
    streams = _GroupStreams(seed)
    # Python floats: the loop passes them to numpy as they are, without a conversion each.
    a_rows, b_rows, w_rows = a[rows].tolist(), b[rows].tolist(), w3[rows].tolist()
    for j, i in enumerate(rows):
        _beta_draws(streams(groups[i]), a_rows[j], b_rows[j], d, w_rows[j], raw[j])
    weights = w3[rows]
    total = raw[:, 0] * weights[:, :1]
    for k in range(1, raw.shape[1]):
        total += raw[:, k] * weights[:, k : k + 1]
    draws[rows] = total


def _quantiles(draws: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.quantile(draws, q, axis=1)`` (linear interpolation), from one sort of the rows:
    cheaper than numpy's selection of four order statistics per row for a few hundred
    rows of a few hundred draws."""
    ordered = np.sort(draws, axis=1)
    n = ordered.shape[1]
    out = np.empty((len(q), ordered.shape[0]))
    for j, p in enumerate(q):
        h = (n - 1) * float(p)
        lo = min(int(math.floor(h)), n - 1)
        hi = min(lo + 1, n - 1)
        out[j] = ordered[:, lo] + (h - lo) * (ordered[:, hi] - ordered[:, lo])
    return out


# Draws already made in the current computation (see shared_draws), by their inputs.
_SHARED_DRAWS: contextvars.ContextVar[dict[tuple[Any, ...], np.ndarray] | None] = (
    contextvars.ContextVar("trustdash_shared_draws", default=None)
)


@contextlib.contextmanager
def shared_draws() -> Iterator[None]:
    """Within the block, a group scored again with the same Beta posteriors, weights,
    seed and draw count reuses its Monte-Carlo trust draws instead of redrawing them.

    Exact, not an approximation: the draws are a deterministic function of exactly those
    inputs (the generator is seeded per group). The Overview scores its channels twice,
    per channel and for the channel-equal total; the memo lives for one computation only.
    """
    token = _SHARED_DRAWS.set({})
    try:
        yield
    finally:
        _SHARED_DRAWS.reset(token)


_MISSING_BY_CODE = [
    tuple(cid for j, cid in enumerate(COMPONENTS) if code >> j & 1)
    for code in range(1 << len(COMPONENTS))
]


@dataclass
class _Scored:
    """Internal result of scoring: per-group arrays and the trust draws (groups x draws);
    the :data:`SCORE_SCHEMA` frame is built only when asked for (a brand total reads the
    arrays alone)."""

    counts: Table
    settings: TrustSettings
    groups: list[str]
    values: np.ndarray  # (G, 6) S1..S6, NaN where missing
    used: np.ndarray  # (G, 6) renormalised weights
    trust: np.ndarray  # NaN for a group without a score
    mus: np.ndarray  # (G, 3) prior means of S1..S3
    n_raw: np.ndarray
    polar_raw: np.ndarray
    counted: dict[str, np.ndarray]  # the pass-through counts
    # The Beta posteriors' parameters (G, 3), the weights of S1..S3 in points (G, 3) and
    # the fixed part of the score: the Monte-Carlo draws are made when first asked for
    # (the Overview reads the changes between windows, which need no interval, first).
    beta_a: np.ndarray
    beta_b: np.ndarray
    w3: np.ndarray
    fixed_part: np.ndarray
    partition: Sequence[str] | None = None
    remember: bool = True
    _intervals: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    _frame: pl.DataFrame | None = None
    _details: dict[str, Any] | None = None

    @property
    def draws(self) -> np.ndarray:
        """Trust draws (G, D), NaN rows for groups without a score."""
        return self._monte_carlo()[0]

    @property
    def low(self) -> np.ndarray:
        return self._monte_carlo()[1]

    @property
    def high(self) -> np.ndarray:
        return self._monte_carlo()[2]

    def _monte_carlo(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._intervals is None:
            self._intervals = _intervals(self)
        return self._intervals

    @property
    def scored(self) -> np.ndarray:
        return ~np.isnan(self.trust)

    @property
    def insufficient(self) -> np.ndarray:
        """Fewer polar comments than ``min_polar``, an interval wider than ``max_width``,
        or no score (what the frame's ``insufficient`` column says)."""
        if self._details is not None:
            return self._details["insufficient"]
        return _sufficiency(self)["insufficient"]

    def missing(self) -> list[list[str]]:
        # Each row's set of missing components as a 6-bit code, looked up (64 lists).
        return [list(_MISSING_BY_CODE[c]) for c in self.details()["codes"].tolist()]

    def details(self) -> dict[str, Any]:
        """The derived per-group columns of the score frame, as arrays and lists."""
        if self._details is None:
            self._details = _score_details(self)
        return self._details

    @property
    def frame(self) -> pl.DataFrame:
        if self._frame is None:
            self._frame = _score_frame(self)
        return self._frame

    def frame_of(
        self, names: Sequence[str] | None = None, order: Sequence[int] | None = None
    ) -> pl.DataFrame:
        """The columns ``names`` of :attr:`frame` (all by default), its rows in ``order``
        (positions) when given."""
        return _score_frame(self, names, order)

    def change_rows(self) -> list[dict[str, Any]]:
        """Each group's score, components and weights, as rows of the frame give them:
        what :func:`biggest_changes` reads (no interval needed)."""

        def opt(x: float) -> float | None:
            return None if math.isnan(x) else x

        values, used = self.values.tolist(), self.used.tolist()
        return [
            {"group": group, "trust": opt(score),
             **{cid: opt(v) for cid, v in zip(COMPONENTS, values[i], strict=True)},
             "weights_used": dict(zip(COMPONENTS, used[i], strict=True))}
            for i, (group, score) in enumerate(zip(self.groups, self.trust.tolist(), strict=True))
        ]  # fmt: skip

    def rescoring_table(self) -> dict[str, Any]:
        """The columns of :attr:`frame` that scoring it again reads (a channel-equal total
        scores a channel table again), as arrays."""
        return {
            "group": self.groups, "trust": self.trust,
            **{cid: self.values[:, j] for j, cid in enumerate(COMPONENTS)}, **self.counted,
        }  # fmt: skip

    def row(self, i: int) -> dict[str, Any]:
        """Row ``i`` of :attr:`frame` exactly as ``frame.row(i, named=True)`` gives it,
        without building the frame (a brand headline needs one row)."""
        det = self.details()

        def opt(x: float) -> float | None:
            return None if math.isnan(x) else float(x)

        ok = bool(det["ok"][i])
        return {
            "group": self.groups[i],
            "trust": opt(self.trust[i]),
            "low": opt(self.low[i]) if ok else None,
            "high": opt(self.high[i]) if ok else None,
            "band": _bands(self.trust[i : i + 1])[0],
            "n": int(self.n_raw[i : i + 1].astype(np.int64)[0]),
            "n_polar": int(self.polar_raw[i : i + 1].astype(np.int64)[0]),
            "net_sentiment": opt(det["net"][i]),
            **{cid: opt(self.values[i, j]) for j, cid in enumerate(COMPONENTS)},
            "weights_used": {cid: float(self.used[i, j]) for j, cid in enumerate(COMPONENTS)},
            "missing": list(_MISSING_BY_CODE[det["codes"][i]]),
            "flags": _row_flags(det, self.settings, i),
            "insufficient": bool(det["insufficient"][i]),
            **{f"prior_{cid}": float(self.mus[i, j])
               for j, cid in enumerate(PROPORTION_COMPONENTS)},  # fmt: skip
            "rank": det["rank"][i],
            **{c: float(self.counted[c][i]) for c in _COUNT_COLS},
            "channel": det["channel"][i],
        }


def _score(
    counts: Table,
    settings: TrustSettings,
    prior: Mapping[str, float] | None,
    row_prior: np.ndarray | None = None,
    partition: Sequence[str] | None = None,
    fixed_columns: Sequence[str] = ("s4", "s5", "s6"),
    remember: bool = True,
) -> _Scored:
    """Score ``counts`` (see :func:`score_groups`).

    ``row_prior`` (G, 3) gives each row its own prior means for S1..S3 instead of one
    for the frame, and ``partition`` ranks rows within each partition value: several
    frames scored at once, exactly as each would be alone. ``fixed_columns`` name the
    columns holding S4..S6 (a score frame has them as ``S4``..``S6``). ``remember``: keep
    the draws for :func:`shared_draws` (groups never scored again need not be kept).
    """
    g = _height(counts)
    m = float(settings.prior_strength)
    if row_prior is None:
        base_prior = pooled_prior(counts, m)
        mu = {k: float((prior or {}).get(k, base_prior[k])) for k in PROPORTION_COMPONENTS}
        mus = np.broadcast_to(np.array([mu["S1"], mu["S2"], mu["S3"]]), (g, 3))
    else:
        mus = np.asarray(row_prior, dtype=float).reshape(g, 3)

    groups = _strings(counts, "group") or [""] * g
    counted = {c: _col(counts, c) for c in _COUNT_COLS}
    pos, neg = counted["pos"], counted["neg"]
    aud, comp = counted["audience"], counted["complaints"]
    act, ans = counted["actionable"], counted["answered_in_target"]
    n_raw = _col(counts, "n_raw")
    polar_raw = _col(counts, "polar_raw")
    reply = _has_reply_data(counts)

    # Beta posterior parameters for S1..S3 (columns 0..2).
    k_ = np.stack([pos, aud - comp, ans], axis=1)
    n_ = np.stack([pos + neg, aud, act], axis=1)
    a = k_ + m * mus
    b = n_ - k_ + m * (1.0 - mus)
    s_prop = np.asarray(shrink(k_, n_, m, mus))
    fixed = np.stack([_opt_col(counts, c) for c in fixed_columns], axis=1)

    values = np.concatenate([s_prop, fixed], axis=1)  # (G, 6)
    values[:, 2] = np.where(reply, values[:, 2], np.nan)
    has_comments = (n_raw > 0) | (pos + neg > 0) | (aud > 0) | (act > 0)
    no_data = ~has_comments & np.all(np.isnan(fixed), axis=1)

    w = np.array([_norm_weights(settings.weights)[k] for k in COMPONENTS])
    avail = ~np.isnan(values) & (w > 0)
    wsum = (avail * w).sum(axis=1)
    used = np.where(wsum[:, None] > 0, avail * w / np.where(wsum > 0, wsum, 1.0)[:, None], 0.0)

    scorable = ~no_data & (wsum > 0)
    trust = np.where(scorable, 100.0 * (used * np.nan_to_num(values)).sum(axis=1), np.nan)
    return _Scored(
        counts=counts, settings=settings, groups=groups, values=values, used=used,
        trust=trust, mus=mus, n_raw=n_raw, polar_raw=polar_raw, counted=counted,
        beta_a=a, beta_b=b, w3=100.0 * used[:, :3],
        fixed_part=100.0 * (used[:, 3:] * np.nan_to_num(fixed)).sum(axis=1),
        partition=partition, remember=remember,
    )  # fmt: skip


def _intervals(scored: _Scored) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The trust draws (G, D) of ``scored`` and each group's interval (low, high).

    S1..S3 are drawn from their Beta posteriors, S4..S6 fixed. One generator per group,
    seeded by (seed, group name), so that a group's interval does not depend on which
    other groups are in the frame; the rest is vectorised over groups.
    """
    settings, groups, trust = scored.settings, scored.groups, scored.trust
    a, b, w3 = scored.beta_a, scored.beta_b, scored.w3
    g, d = len(groups), int(settings.draws)
    tail = (1.0 - settings.level) / 2.0
    scorable = ~np.isnan(trust)
    draws = np.full((g, d), np.nan)
    memo = _SHARED_DRAWS.get() if scored.remember else None
    rows = np.flatnonzero(scorable).tolist()
    if memo is None:
        _fill_draws(draws, rows, groups, a, b, w3, settings.seed)
    else:
        # A group's draws are a function of these inputs only (the memo's key).
        inputs = np.hstack([a, b, w3])
        keys = {}
        for i in rows:
            key = (int(settings.seed), d, groups[i], inputs[i].tobytes())
            if key in memo:
                draws[i] = memo[key]
            else:
                keys[i] = key
        _fill_draws(draws, list(keys), groups, a, b, w3, settings.seed)
        memo.update((key, draws[i].copy()) for i, key in keys.items())
    draws += scored.fixed_part[:, None]
    low = np.full(g, np.nan)
    high = np.full(g, np.nan)
    if scorable.any():
        q = _quantiles(draws[scorable], [tail, 1.0 - tail])
        low[scorable] = np.minimum(q[0], trust[scorable])
        high[scorable] = np.maximum(q[1], trust[scorable])
    return draws, low, high


_BAND_LABELS = np.array([label for _, label in BANDS] + [NO_DATA], dtype=object)


def _bands(trust: np.ndarray) -> list[str]:
    """:func:`band` of every score (NaN: no data), without a Python call per score."""
    lower = np.array([lo for lo, _ in BANDS])
    with np.errstate(invalid="ignore"):
        # Index of the first band whose lower bound the score reaches (NaN reaches none).
        idx = np.argmax(trust[:, None] >= lower[None, :], axis=1)
    idx = np.where(np.isnan(trust), len(BANDS), idx)
    return _BAND_LABELS[idx].tolist()


def _score_details(scored: _Scored) -> dict[str, Any]:
    """What the score frame derives per group: sufficiency, missing components (as 6-bit
    codes), net sentiment, rank and channel (shared by :attr:`_Scored.frame` and ``row``)."""
    counts = scored.counts
    g = _height(counts)
    pos, neg = scored.counted["pos"], scored.counted["neg"]
    checks = _sufficiency(scored)
    polar_eff, insufficient = checks["polar_eff"], checks["insufficient"]
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(polar_eff > 0, (pos - neg) / np.where(polar_eff > 0, polar_eff, 1.0), np.nan)
    channel = _strings(counts, "channel") or [None] * g
    return {
        **checks,
        "codes": np.isnan(scored.values) @ (1 << np.arange(len(COMPONENTS))),
        "net": net,
        "rank": _ranks(scored, insufficient) if g else [],
        "channel": channel,
    }


def _sufficiency(scored: _Scored) -> dict[str, np.ndarray]:
    """Per group: scored, polar comments, few of them, interval width, too wide, and
    insufficient (few, too wide or no score)."""
    settings = scored.settings
    ok = scored.scored
    polar_eff = scored.counted["pos"] + scored.counted["neg"]
    width = scored.high - scored.low
    few = polar_eff < settings.min_polar
    with np.errstate(invalid="ignore"):
        wide = ok & (width > settings.max_width)
    return {"ok": ok, "polar_eff": polar_eff, "few": few, "width": width, "wide": wide,
            "insufficient": few | wide | ~ok}  # fmt: skip


def _row_flags(det: Mapping[str, Any], settings: TrustSettings, i: int) -> list[str]:
    """Group ``i``'s flags: no data, or its partial components then its insufficiency."""
    if not det["ok"][i]:
        return ["no data"]
    flags = [_PARTIAL_FLAG[cid] for cid in _MISSING_BY_CODE[det["codes"][i]]]
    if det["insufficient"][i]:
        flags.append(INSUFFICIENT)
        if det["few"][i]:
            flags.append(f"few polar comments ({det['polar_eff'][i]:.1f} < {settings.min_polar:g})")
        if det["wide"][i]:
            flags.append(f"wide interval ({det['width'][i]:.1f} > {settings.max_width:g} points)")
    return flags


def _flag_column(det: Mapping[str, Any], settings: TrustSettings) -> pl.Series:
    """The ``flags`` column; without an insufficient scored group every row's flags follow
    from its missing components alone, taken from a table of the 64 cases."""
    ok, codes = det["ok"], det["codes"]
    if (ok & det["insufficient"]).any():
        return _string_lists([_row_flags(det, settings, i) for i in range(len(ok))])
    return _code_lists(np.where(ok, codes, len(_MISSING_BY_CODE)), "flags")


@functools.cache
def _code_table(kind: str) -> Any:
    """The lists a 6-bit missing-components code stands for, as an Arrow list array:
    the missing components, or the flags (with "no data" at code 64)."""
    import pyarrow as pa

    if kind == "missing":
        lists = [list(t) for t in _MISSING_BY_CODE]
    else:
        lists = [[_PARTIAL_FLAG[c] for c in t] for t in _MISSING_BY_CODE] + [["no data"]]
    return pa.array(lists, type=pa.list_(pa.string()))


def _code_lists(codes: np.ndarray, kind: str) -> pl.Series:
    """A List(String) column with row i the list of code ``codes[i]`` (see _code_table)."""
    import pyarrow as pa

    series = pl.from_arrow(_code_table(kind).take(pa.array(np.asarray(codes, dtype=np.int64))))
    assert isinstance(series, pl.Series)
    return series


def _score_frame(
    scored: _Scored, names: Sequence[str] | None = None, order: Sequence[int] | None = None
) -> pl.DataFrame:
    """The :data:`SCORE_SCHEMA` frame, built column by column (no per-row dicts); only the
    columns ``names`` (in that order) when given, and the rows in ``order`` (positions)
    when given: cheaper than sorting the frame, which moves every column. Columns that
    need no interval (scores, components, weights, counts) do not make the draws."""
    wanted = list(SCORE_SCHEMA) if names is None else list(names)
    if _height(scored.counts) == 0:
        return pl.DataFrame(schema={c: SCORE_SCHEMA[c] for c in wanted})
    rows = np.arange(len(scored.groups)) if order is None else np.asarray(order, dtype=np.intp)

    def pick(x: Any) -> Any:
        return [x[i] for i in rows.tolist()] if isinstance(x, list) else x[rows]

    found: dict[str, Any] = {}

    def det(name: str) -> Any:
        if not found:
            found.update({k: pick(v) for k, v in scored.details().items()})
        return found[name]

    trust, values = pick(scored.trust), pick(scored.values)

    # Float64 arrays make Float64 columns: naming the dtype would add a cast per column.
    def nullable(name: str, x: np.ndarray) -> pl.Series:
        return pl.Series(name, np.ascontiguousarray(x, dtype=float), nan_to_null=True)

    def floats(name: str, x: np.ndarray) -> pl.Series:
        return pl.Series(name, np.ascontiguousarray(x, dtype=float))

    build: dict[str, Any] = {
        "group": lambda name: pl.Series(name, pick(scored.groups), dtype=pl.String),
        "trust": lambda name: nullable(name, trust),
        "low": lambda name: nullable(name, np.where(det("ok"), pick(scored.low), np.nan)),
        "high": lambda name: nullable(name, np.where(det("ok"), pick(scored.high), np.nan)),
        "band": lambda name: pl.Series(name, _bands(trust), dtype=pl.String),
        "n": lambda name: pl.Series(name, pick(scored.n_raw).astype(np.int64)),
        "n_polar": lambda name: pl.Series(name, pick(scored.polar_raw).astype(np.int64)),
        "net_sentiment": lambda name: nullable(name, det("net")),
        **{cid: (lambda name, j=j: nullable(name, values[:, j]))
           for j, cid in enumerate(COMPONENTS)},  # fmt: skip
        "weights_used": lambda name: _weight_structs(pick(scored.used)),
        "missing": lambda name: _code_lists(det("codes"), "missing").alias(name),
        "flags": lambda name: _flag_column(
            {k: det(k) for k in ("ok", "insufficient", "codes", "few", "wide", "width",
                                 "polar_eff")}, scored.settings).alias(name),  # fmt: skip
        "insufficient": lambda name: pl.Series(name, det("insufficient")),
        **{f"prior_{cid}": (lambda name, j=j: floats(name, pick(scored.mus)[:, j]))
           for j, cid in enumerate(PROPORTION_COMPONENTS)},  # fmt: skip
        "rank": lambda name: pl.Series(name, det("rank"), dtype=pl.Int64),
        **{c: (lambda name, c=c: floats(name, pick(scored.counted[c]))) for c in _COUNT_COLS},
        "channel": lambda name: pl.Series(name, det("channel"), dtype=pl.String),
    }
    # Every column is built with its schema type (tests check the schema): no cast.
    return pl.DataFrame([build[name](name) for name in wanted])


def _weight_structs(used: np.ndarray) -> pl.Series:
    """The ``weights_used`` struct column, from the weights' (G, 6) array in one go."""
    frame = pl.from_numpy(np.ascontiguousarray(used, dtype=float), schema=list(COMPONENTS),
                          orient="row")  # fmt: skip
    return frame.to_struct("weights_used")


def _string_lists(lists: list[list[str]]) -> pl.Series:
    """A List(String) column from Python lists, built from flat values and offsets: about
    ten times cheaper than polars' row-by-row conversion of nested lists."""
    import pyarrow as pa

    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum([len(x) for x in lists], out=offsets[1:])
    # String views are polars' own layout: nothing to convert on the way in.
    flat = pa.array([v for x in lists for v in x], type=pa.string_view())
    series = pl.from_arrow(pa.ListArray.from_arrays(pa.array(offsets), flat))
    assert isinstance(series, pl.Series)
    return series


def _ranks(scored: _Scored, insufficient: np.ndarray) -> list[int | None]:
    """Rank 1 = best: sufficient groups first, then by lower bound, trust, name (desc/desc/asc);
    within each partition value when the scoring had partitions. None without a score."""
    g = len(scored.groups)
    rows = np.flatnonzero(scored.scored)
    parts = list(scored.partition) if scored.partition is not None else [None] * g
    # lexsort: the last key is the primary one; it is stable, as sorted() was.
    order = rows[
        np.lexsort(
            (
                np.array([scored.groups[i] for i in rows.tolist()], dtype=str),
                -scored.trust[rows],
                -scored.low[rows],
                insufficient[rows],
            )
        )
    ]
    rank: list[int | None] = [None] * g
    seen: dict[Any, int] = {}
    for i in order.tolist():
        seen[parts[i]] = seen.get(parts[i], 0) + 1
        rank[i] = seen[parts[i]]
    return rank


def score_groups(
    counts: pl.DataFrame, settings: TrustSettings, prior: Mapping[str, float] | None = None
) -> pl.DataFrame:
    """Score every group (channel, campaign, ...) of ``counts``.

    Per group, with ``m = settings.prior_strength`` and prior means ``mu``
    (``prior`` or the pooled totals of ``counts`` shrunk toward 0.5, see
    :func:`pooled_prior`):

    * S1 = (P + m mu1)/(P + N + m); S2 = (A - C + m mu2)/(A + m);
      S3 = (R + m mu3)/(Act + m), null when the export has no reply data
      (``reply_data`` column false, or, without that column, no reply at all in
      the frame); S4..S6 taken from the optional ``s4``/``s5``/``s6`` columns.
    * trust = 100 sum(w S)/sum_available(w) (:func:`trust_score`).
    * low/high: ``level`` quantiles of ``draws`` Monte-Carlo trust values with
      S1..S3 drawn from their Beta posteriors and S4..S6 fixed; each group has
      its own generator seeded by (seed, group name), so its interval does not
      depend on the other groups in the frame. The point score is always
      inside [low, high].
    * insufficient: P + N (recency-weighted) < min_polar, or high - low > max_width.
    * rank: 1 = best, sorting sufficient groups first, then the lower bound.

    Output columns: see :data:`SCORE_SCHEMA` (the counts are passed through
    at the end for :func:`explain`). ``trust`` is null for a group with no data.
    """
    if counts.height == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    return _score(counts, settings, prior).frame


def score_partitions(
    counts: Table,
    settings: TrustSettings,
    by: str,
    priors: Mapping[str, Mapping[str, float]] | None = None,
) -> pl.DataFrame:
    """:func:`score_groups` of each ``by`` partition of ``counts`` (e.g. each channel's
    weeks), in one pass instead of one call per partition.

    A partition's prior means are ``priors[value]`` (missing components, or a missing
    value: the partition's own pooled totals, :func:`pooled_prior`), its ranks are within
    the partition and its draws are seeded per group as always: every row is exactly what
    ``score_groups(partition, settings, priors.get(value))`` gives. Rows keep the order of
    ``counts``; the ``by`` column is dropped.
    """
    if _height(counts) == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    return _score_partitions(counts, settings, by, priors).frame


def _score_partitions(
    counts: Table,
    settings: TrustSettings,
    by: str,
    priors: Mapping[str, Mapping[str, float]] | None = None,
) -> _Scored:
    """:func:`score_partitions` before its frame is built (``counts`` not empty)."""
    parts = _strings(counts, by) or []
    # The partition column stays unless scoring would read it (a column it does not read
    # costs nothing, dropping one costs a query plan).
    body = counts
    if by in _SCORE_INPUTS:
        body = (counts.drop(by) if isinstance(counts, pl.DataFrame)
                else {k: v for k, v in counts.items() if k != by})  # fmt: skip
    keys = np.array(parts, dtype=object)
    row_prior = np.empty((len(parts), 3))
    for value in dict.fromkeys(parts):
        mask = keys == value
        given = dict((priors or {}).get(value) or {})
        if any(k not in given for k in PROPORTION_COMPONENTS):
            base = pooled_prior(_select_rows(body, mask), float(settings.prior_strength))
            given = {**base, **given}
        row_prior[mask] = [float(given[k]) for k in PROPORTION_COMPONENTS]
    # A partition's groups (a channel's periods) are not scored again in a computation.
    return _score(body, settings, None, row_prior=row_prior, partition=parts, remember=False)


# --------------------------------------------------------------------------
# Roll-ups and sensitivity
# --------------------------------------------------------------------------


def _pool(counts: pl.DataFrame) -> pl.DataFrame:
    """One row with the summed counts; s4..s6 volume-weighted (by n_raw) means."""
    # a score_groups output carries the counts too, under n / n_polar / S4..S6
    alias = {"n_raw": "n", "polar_raw": "n_polar", "s4": "S4", "s5": "S5", "s6": "S6"}

    def name(c: str) -> str:
        return c if c in counts.columns or alias[c] not in counts.columns else alias[c]

    sums = {c: float(_col(counts, c).sum()) for c in _COUNT_COLS}
    for c in ("n_raw", "polar_raw"):
        sums[c] = float(_col(counts, name(c)).sum())
    row: dict[str, Any] = {"group": "All", **sums}
    vol = _col(counts, name("n_raw"))
    for c in ("s4", "s5", "s6"):
        vals = _opt_col(counts, name(c))
        ok = ~np.isnan(vals)
        if not ok.any():
            row[c] = None
        else:
            wts = vol[ok] if vol[ok].sum() > 0 else np.ones(ok.sum())
            row[c] = float(np.average(vals[ok], weights=wts))
    if "reply_data" in counts.columns:
        row["reply_data"] = bool(_has_reply_data(counts).any())
    elif "answered" in counts.columns:
        row["answered"] = float(_col(counts, "answered").sum())
    return pl.DataFrame([row])


def brand_total(
    group_scores_or_counts: Table,
    settings: TrustSettings,
    mode: Literal["volume", "channel_equal"] = "volume",
    prior: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Brand-level Trust Score, saying which roll-up is shown (Simpson's paradox).

    * ``"volume"``: the score of the pooled counts (all comments count
      equally; S4..S6 volume-weighted means of the groups' values), with the
      brand prior 0.5 (the brand's parent level) unless ``prior`` is given.
      Needs counts (a :func:`score_groups` output also carries them).
    * ``"channel_equal"``: the mean of the groups' scores (each channel counts
      equally). Interval: quantiles of the average of the per-group Monte-Carlo
      draws when counts are given; from a score frame without counts, a
      normal approximation ``sd_mean = sqrt(sum sd_g^2) / G``,
      ``sd_g = (high - low) / (2 z)``.

    Returns a dict: mode, label, trust, low, high, band, groups, n,
    insufficient, missing, weights_used.
    """
    frame = group_scores_or_counts
    columns = frame.columns if isinstance(frame, pl.DataFrame) else list(frame)
    is_scores = "trust" in columns
    tail = (1.0 - settings.level) / 2.0
    if mode == "volume":
        assert isinstance(frame, pl.DataFrame), "a volume total pools a frame"
        pooled = _pool(frame)
        brand_prior = prior or {"S1": 0.5, "S2": 0.5, "S3": 0.5}
        row = score_groups(pooled, settings, brand_prior).row(0, named=True)
        return {
            "mode": "volume",
            "label": "Volume-weighted: all comments pooled (large channels weigh more)",
            "trust": row["trust"],
            "low": row["low"],
            "high": row["high"],
            "band": row["band"],
            "groups": frame.height,
            "n": row["n"],
            "insufficient": row["insufficient"],
            "missing": row["missing"],
            "weights_used": row["weights_used"],
            "components": {k: row[k] for k in COMPONENTS},
        }
    if mode != "channel_equal":
        raise ValueError("mode must be 'volume' or 'channel_equal'")
    if is_scores and "pos" not in columns:
        assert isinstance(frame, pl.DataFrame)
        scores = frame.filter(pl.col("trust").is_not_null())
        g = scores.height
        if g == 0:
            trust = low = high = None
        else:
            z = NormalDist().inv_cdf(1.0 - tail)
            sds = (scores["high"] - scores["low"]).to_numpy() / (2.0 * z)
            trust = float(scores["trust"].mean())  # type: ignore[arg-type]
            half = z * math.sqrt(float((sds**2).sum())) / g
            low, high = trust - half, trust + half
    else:
        # A score frame carries its counts (and S4..S6 under their own names): scored
        # again for the draws, read as arrays, no frame built.
        fixed = ("s4", "s5", "s6") if "s4" in columns or "S4" not in columns else (
            "S4", "S5", "S6")  # fmt: skip
        scored = _score(frame, settings, prior, fixed_columns=fixed)
        ok = ~np.isnan(scored.draws).any(axis=1)
        g = int(ok.sum())
        if g == 0:
            trust = low = high = None
        else:
            trust = float(scored.trust[ok].mean())
            mean_draws = scored.draws[ok].mean(axis=0)
            lo, hi = _quantiles(mean_draws[None, :], [tail, 1.0 - tail])[:, 0]
            low, high = min(float(lo), trust), max(float(hi), trust)
        values = scored.values[ok]
        present = ~np.isnan(values)
        missing = np.isnan(scored.values[ok]) @ (1 << np.arange(len(COMPONENTS)))
        return {
            "mode": "channel_equal",
            "label": f"Channel-equal: mean of {g} channel scores (each channel weighs the same)",
            "trust": trust,
            "low": low,
            "high": high,
            "band": band(trust),
            "groups": g,
            "n": int(scored.n_raw[ok].astype(np.int64).sum()) if g else 0,
            "insufficient": bool(g == 0 or scored.insufficient[ok].all()),
            "missing": sorted({c for code in missing.tolist() for c in _MISSING_BY_CODE[code]}),
            "weights_used": None,
            "components": {
                k: float(values[present[:, j], j].mean()) if present[:, j].any() else None
                for j, k in enumerate(COMPONENTS)
            },
        }
    n = int(scores["n"].sum()) if g else 0
    return {
        "mode": "channel_equal",
        "label": f"Channel-equal: mean of {g} channel scores (each channel weighs the same)",
        "trust": trust,
        "low": low,
        "high": high,
        "band": band(trust),
        "groups": g,
        "n": n,
        "insufficient": bool(g == 0 or scores["insufficient"].all()),
        "missing": sorted({c for lst in scores["missing"].to_list() for c in lst}),
        "weights_used": None,
        "components": {
            k: (float(scores[k].mean()) if g and scores[k].null_count() < g else None)  # type: ignore[arg-type]
            for k in COMPONENTS
        },
    }


def _kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-a between two rankings of the same items (1.0 with < 2 items)."""
    n = len(x)
    if n < 2:
        return 1.0
    s = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            s += np.sign(x[i] - x[j]) * np.sign(y[i] - y[j])
    return float(s / (n * (n - 1) / 2))


def rank_stability(
    counts: pl.DataFrame,
    settings: TrustSettings,
    presets: Mapping[str, Mapping[str, float]] = PRESETS,
    prior: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Does the ranking of groups change across weight presets? (OECD/JRC sensitivity step)

    Scores ``counts`` once per preset (same seeds, so only the weights differ)
    and returns ``ranks`` {preset: {group: rank}}, ``stable`` (the order is
    identical under all presets), ``shift`` {group: max rank - min rank},
    ``max_shift``, ``agreement`` (mean pairwise Kendall tau-a of the preset
    rankings, 1 = identical, -1 = reversed) and ``min_agreement``.
    Groups without a score are left out.
    """
    ranks: dict[str, dict[str, int]] = {}
    for name, weights in presets.items():
        frame = score_groups(counts, settings.with_weights(weights), prior)
        frame = frame.filter(pl.col("rank").is_not_null())
        ranks[name] = dict(zip(frame["group"].to_list(), frame["rank"].to_list(), strict=True))
    names = list(ranks)
    groups = sorted(set().union(*[set(r) for r in ranks.values()])) if ranks else []
    shift = {
        grp: int(max(ranks[p][grp] for p in names) - min(ranks[p][grp] for p in names))
        for grp in groups
    }
    taus = [
        _kendall_tau([ranks[p][grp] for grp in groups], [ranks[q][grp] for grp in groups])
        for i, p in enumerate(names)
        for q in names[i + 1 :]
    ]
    return {
        "ranks": ranks,
        "stable": all(v == 0 for v in shift.values()),
        "shift": shift,
        "max_shift": max(shift.values(), default=0),
        "agreement": float(np.mean(taus)) if taus else 1.0,
        "min_agreement": float(min(taus)) if taus else 1.0,
    }


# --------------------------------------------------------------------------
# Alerts and response times
# --------------------------------------------------------------------------

ALERT_SCHEMA: dict[str, pl.DataType] = {
    "group": pl.String(),
    "period": pl.Date(),
    "kind": pl.String(),
    "share": pl.Float64(),
    "baseline_mean": pl.Float64(),
    "baseline_sd": pl.Float64(),
    "neg": pl.Float64(),
}


def alerts(
    series: pl.DataFrame,
    k: float = 2.0,
    min_count: int = 10,
    persistence: int = 2,
    cooldown: int = 2,
    baseline: int = 8,
    min_baseline: int = 3,
) -> pl.DataFrame:
    """Negative-spike alerts per group.

    For each group (rows ordered by ``period``), window ``t`` *exceeds* when
    ``share_t = neg_t / total_t > mean + k * sd`` of the shares of the previous
    ``baseline`` windows (current excluded; windows with total 0 skipped; sample
    sd, ddof=1; at least ``min_baseline`` baseline windows needed) **and**
    ``neg_t >= min_count``. An alert is raised at the window where ``persistence``
    consecutive windows exceed, unless it is within ``cooldown`` windows after
    the previous alert; an alert resets the run count (a new alert needs
    ``persistence`` new consecutive exceeding windows).

    Returns rows (group, period, kind="negative spike", share, baseline_mean,
    baseline_sd, neg) with the values of the alerting window.
    """
    if series.height == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    frame = series
    if "group" not in frame.columns:
        frame = frame.with_columns(group=pl.lit(""))
    frame = frame.select(
        pl.col("group").cast(pl.String),
        "period",
        pl.col("neg").cast(pl.Float64).fill_null(0.0),
        pl.col("total").cast(pl.Float64).fill_null(0.0),
    ).sort(["group", "period"])
    return alerts_from_arrays(
        frame.get_column("group").to_list(),
        frame.get_column("period").to_list(),
        frame.get_column("neg").to_numpy(),
        frame.get_column("total").to_numpy(),
        k=k, min_count=min_count, persistence=persistence, cooldown=cooldown,
        baseline=baseline, min_baseline=min_baseline,
    )  # fmt: skip


def alerts_from_arrays(
    names: Sequence[str],
    periods: Sequence[Any],
    neg_all: np.ndarray,
    total_all: np.ndarray,
    *,
    k: float = 2.0,
    min_count: int = 10,
    persistence: int = 2,
    cooldown: int = 2,
    baseline: int = 8,
    min_baseline: int = 3,
) -> pl.DataFrame:
    """:func:`alerts` of rows already sorted by group, then period: group names, periods
    (dates), negative and total counts (no nulls)."""
    if len(names) == 0:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_all = np.where(total_all > 0, neg_all / np.where(total_all > 0, total_all, 1.0), np.nan)
    need = max(2, min_baseline)
    out: list[dict[str, Any]] = []
    starts = [i for i in range(len(names)) if i == 0 or names[i] != names[i - 1]]
    bounds = list(zip(starts, [*starts[1:], len(names)], strict=True))
    # Every group has as many periods (the usual case): all groups' moments at once.
    same_length = len({hi - lo for lo, hi in bounds}) == 1
    if same_length:
        shape = (len(bounds), len(names) // len(bounds))
        moments = [m.reshape(-1) for m in _baseline_moments(share_all.reshape(shape), baseline,
                                                             need)]  # fmt: skip
    for lo, hi in bounds:
        share, neg = share_all[lo:hi], neg_all[lo:hi]
        if same_length:
            mean, sd, enough = (m[lo:hi] for m in moments)
        else:
            mean, sd, enough = _baseline_moments(share, baseline, need)
        with np.errstate(invalid="ignore"):
            exceeds = enough & ~np.isnan(share) & (share > mean + k * sd) & (neg >= min_count)
        if not exceeds.any():
            continue  # no window exceeds: no alert
        run = 0
        last_alert = -(10**9)
        for t in range(hi - lo):
            run = run + 1 if exceeds[t] else 0
            if run >= persistence and t > last_alert + cooldown:
                period = periods[lo + t]
                if isinstance(period, datetime):
                    period = period.date()
                out.append(
                    {
                        "group": names[lo],
                        "period": period,
                        "kind": "negative spike",
                        "share": float(share[t]),
                        "baseline_mean": float(mean[t]),
                        "baseline_sd": float(sd[t]),
                        "neg": float(neg[t]),
                    }
                )
                last_alert = t
                run = 0
    if not out:
        return pl.DataFrame(schema=ALERT_SCHEMA)
    return pl.DataFrame(out, schema=ALERT_SCHEMA)


def _baseline_moments(
    share: np.ndarray, baseline: int, need: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window ``t`` (the last axis): mean and sample sd (ddof=1) of the non-NaN shares
    among the ``baseline`` previous windows, and whether there are at least ``need`` of
    them. Several groups' series of one length can come at once as the rows of a 2-D array.
    """
    n = share.shape[-1]
    padded = np.concatenate([np.full((*share.shape[:-1], baseline), np.nan), share], axis=-1)
    # Window t holds share[..., t - baseline : t] (the current window excluded).
    win = np.lib.stride_tricks.sliding_window_view(padded, baseline, axis=-1)[..., :n, :]
    ok = ~np.isnan(win)
    count = ok.sum(axis=-1)
    vals = np.where(ok, win, 0.0)
    safe = np.maximum(count, 1)
    mean = vals.sum(axis=-1) / safe
    dev = np.where(ok, win - mean[..., None], 0.0)
    sd = np.sqrt((dev**2).sum(axis=-1) / np.maximum(count - 1, 1))
    enough = count >= need
    return np.where(enough, mean, np.nan), np.where(enough, sd, np.nan), enough


def business_hours_between(
    start: datetime, end: datetime, open_hour: int = 9, close_hour: int = 18
) -> float:
    """Hours between ``start`` and ``end`` that fall in business hours.

    Business hours: Monday–Friday, ``[open_hour, close_hour)``. The delay is the
    length of ``[start, end] ∩ ⋃_weekdays [day + open_hour, day + close_hour)``,
    so a comment posted on Friday evening and answered on Monday at 10:00 waited 1 h.
    """
    if end <= start:
        return 0.0
    total = 0.0
    day = datetime(start.year, start.month, start.day)
    while day <= end:
        if day.weekday() < 5:
            lo = max(start, day + timedelta(hours=open_hour))
            hi = min(end, day + timedelta(hours=close_hour))
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600.0
        day += timedelta(days=1)
    return total


def response_stats(
    first_response_hours: Sequence[float | None], target_hours: float
) -> dict[str, Any]:
    """First-response statistics of actionable comments (heavy-tailed: no mean).

    ``None``/NaN = unanswered; negative delays count as 0. Returns
    ``total``, ``answered``, ``reply_rate`` = answered / total,
    ``median`` and ``p90`` (hours, answered only, linear interpolation),
    ``within_target`` = (answered with delay <= target) / total, ``target_hours``
    and ``bins``: counts in "0–1 h", "1–4 h", "4–8 h", "8–24 h", "24 h+"
    (each bin ``[lo, hi)``) and "unanswered". Ratios are None when total is 0,
    median/p90 None when nothing was answered.
    """
    vals = [None if _is_missing(v) else max(0.0, float(v)) for v in first_response_hours]  # type: ignore[arg-type]
    answered = np.array([v for v in vals if v is not None], dtype=float)
    total = len(vals)
    bins = {
        label: int(((answered >= lo) & (answered < hi)).sum()) for label, lo, hi in RESPONSE_BINS
    }
    bins["unanswered"] = total - len(answered)
    has = len(answered) > 0
    return {
        "total": total,
        "answered": int(len(answered)),
        "reply_rate": (len(answered) / total) if total else None,
        "median": float(np.median(answered)) if has else None,
        "p90": float(np.percentile(answered, 90)) if has else None,
        "within_target": (float((answered <= target_hours).sum()) / total) if total else None,
        "target_hours": float(target_hours),
        "bins": bins,
    }


# --------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------

_FORMULAS = {
    "S1": "(P + m·μ1) / (P + N + m)",
    "S2": "(A − C + m·μ2) / (A + m)",
    "S3": "(R + m·μ3) / (Act + m)",
    "S4": "mean within-channel percentile of (shares + reposts) / engagements",
    "S5": "mean within-channel percentile of engagements / reach (not net-negative posts)",
    "S6": "(1 − min(1, sd/0.5)) · (1 − 0.1·min(5, spike weeks)), last 12 weeks",
}


def _f(x: Any) -> float | None:
    return None if _is_missing(x) else float(x)


def explain(row: Mapping[str, Any], settings: TrustSettings) -> dict[str, Any]:
    """Everything the "How is this computed?" panel shows, as plain strings and numbers.

    ``row`` is one row of :func:`score_groups` (``frame.row(i, named=True)``).
    Returns: group, score, band, interval (text), level, formula, components
    (list of {id, name, value, weight, contribution, formula, interval?}),
    counts {P, N, neutral, audience, complaints, actionable, answered_in_target},
    prior {m, mu_S1, mu_S2, mu_S3}, dropped [{id, name, reason}], weights_used,
    flags, notes.
    """
    m = float(settings.prior_strength)
    weights = row.get("weights_used") or {}
    if isinstance(weights, str):
        weights = json.loads(weights)
    counts = {
        "P": _f(row.get("pos")),
        "N": _f(row.get("neg")),
        "neutral": _f(row.get("neu")),
        "audience": _f(row.get("audience")),
        "complaints": _f(row.get("complaints")),
        "actionable": _f(row.get("actionable")),
        "answered_in_target": _f(row.get("answered_in_target")),
        "comments (raw)": row.get("n"),
        "polar comments (raw)": row.get("n_polar"),
    }
    kn = {
        "S1": (counts["P"], None if counts["P"] is None else counts["P"] + (counts["N"] or 0.0)),
        "S2": (
            None
            if counts["audience"] is None
            else counts["audience"] - (counts["complaints"] or 0.0),
            counts["audience"],
        ),
        "S3": (counts["answered_in_target"], counts["actionable"]),
    }
    comps = []
    for cid in COMPONENTS:
        value = _f(row.get(cid))
        w = float(weights.get(cid, 0.0)) if value is not None else 0.0
        item: dict[str, Any] = {
            "id": cid,
            "name": COMPONENT_NAMES[cid],
            "value": value,
            "weight": w,
            "contribution": None if value is None else 100.0 * w * value,
            "formula": _FORMULAS[cid],
        }
        mu = _f(row.get(f"prior_{cid}"))
        if cid in kn and value is not None and mu is not None and kn[cid][1] is not None:
            k, n = kn[cid]
            lo, hi = beta_interval(k or 0.0, n, m, mu, settings.level)
            item["interval"] = [lo, hi]
            item["text"] = f"({k:.1f} + {m:g}·{mu:.3f}) / ({n:.1f} + {m:g}) = {value:.3f}"
        comps.append(item)
    dropped = [
        {"id": c, "name": COMPONENT_NAMES[c], "reason": _PARTIAL_REASON[c]}
        for c in (row.get("missing") or [])
    ]
    score = _f(row.get("trust"))
    low, high = _f(row.get("low")), _f(row.get("high"))
    pct = f"{settings.level * 100:g} %"
    interval = (
        f"{pct} interval {low:.1f}–{high:.1f} ({settings.draws} Monte-Carlo draws)"
        if low is not None and high is not None
        else "no interval (no data)"
    )
    notes = [
        "Proportions are shrunk toward the parent-level mean μ with prior strength m "
        f"= {m:g} (as if {m:g} extra comments at the average).",
        f"Recency: item weight 0.5^(age/{settings.half_life_days:g} days)"
        if settings.half_life_days > 0
        else "Recency weighting off.",
        "Rankings sort on the lower bound of the interval.",
    ]
    if dropped:
        notes.append("Dropped components' weights are shared among the others (renormalised).")
    if row.get("insufficient"):
        notes.append(
            f"Insufficient data: fewer than {settings.min_polar:g} polar comments "
            f"or an interval wider than {settings.max_width:g} points."
        )
    return {
        "group": row.get("group"),
        "score": score,
        "band": row.get("band") or band(score),
        "interval": interval,
        "low": low,
        "high": high,
        "level": settings.level,
        "formula": "Trust = 100 · Σ w_k·S_k / Σ_available w_k",
        "components": comps,
        "counts": counts,
        "prior": {
            "m": m,
            "mu_S1": _f(row.get("prior_S1")),
            "mu_S2": _f(row.get("prior_S2")),
            "mu_S3": _f(row.get("prior_S3")),
        },
        "dropped": dropped,
        "weights_used": {k: float(v) for k, v in weights.items()},
        "flags": list(row.get("flags") or []),
        "notes": notes,
    }


def biggest_changes(
    current: pl.DataFrame, previous: pl.DataFrame, top: int = 3
) -> list[dict[str, Any]]:
    """The ``top`` groups with the largest |Δ trust| between two :func:`score_groups` outputs.

    For each: ``group``, ``previous``, ``current``, ``delta`` (points), the
    ``component`` whose weighted contribution ``100·w_used·S`` moved most,
    its ``component_name``, ``before``/``after`` values and a ``reason`` text
    such as "Responsiveness fell from 0.71 to 0.52" (or "... was dropped" /
    "... became available"). Groups scored in only one frame are skipped.
    """
    return _biggest_changes(current.iter_rows(named=True), previous.iter_rows(named=True), top)


def _biggest_changes(
    current: Iterable[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]], top: int
) -> list[dict[str, Any]]:
    """:func:`biggest_changes` of rows (group, trust, weights_used, S1..S6 of each)."""
    cur = {r["group"]: r for r in current if r["trust"] is not None}
    prev = {r["group"]: r for r in previous if r["trust"] is not None}
    items = []
    for grp in cur.keys() & prev.keys():
        c, p = cur[grp], prev[grp]
        delta = float(c["trust"]) - float(p["trust"])
        best, best_move = None, -1.0
        for cid in COMPONENTS:
            cw = (c["weights_used"] or {}).get(cid, 0.0) * (c[cid] or 0.0)
            pw = (p["weights_used"] or {}).get(cid, 0.0) * (p[cid] or 0.0)
            move = abs(100.0 * (cw - pw))
            if move > best_move + 1e-12:
                best, best_move = cid, move
        if best is None:  # pragma: no cover - COMPONENTS is never empty
            continue
        before, after = p[best], c[best]
        name = COMPONENT_NAMES[best]
        if before is None and after is not None:
            reason = f"{name} became available ({after:.2f})"
        elif after is None and before is not None:
            reason = f"{name} was dropped (was {before:.2f})"
        elif before is None or after is None:
            reason = f"{name} unchanged"
        else:
            verb = "rose" if after > before else "fell" if after < before else "stayed"
            reason = (
                f"{name} {verb} from {before:.2f} to {after:.2f}"
                if verb != "stayed"
                else f"{name} stayed at {after:.2f} (weights changed)"
            )
        items.append(
            {
                "group": grp,
                "previous": float(p["trust"]),
                "current": float(c["trust"]),
                "delta": delta,
                "component": best,
                "component_name": name,
                "before": before,
                "after": after,
                "reason": reason,
            }
        )
    items.sort(key=lambda d: (-abs(d["delta"]), str(d["group"])))
    return items[: max(0, top)]
