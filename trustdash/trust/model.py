"""The trust model: its components, weights, bands, settings and the two operations every
component uses (recency weighting and shrinkage toward a prior).

Conventions (see docs/trust.md):

* A proportion is reported shrunk toward a prior mean ``mu`` with prior strength ``m``:
  ``(k + m*mu) / (n + m)``, the mean of the posterior ``Beta(k + m*mu, n - k + m*(1 - mu))``.
* Components S1..S6 live in [0, 1]; the Trust Score in [0, 100].
* A component that is not measurable is ``None`` (NaN in arrays, null in frames): it is
  dropped and the weights of the others are renormalised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

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

# (lower bound inclusive, label), highest first; "No data" for a missing score.
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


def is_missing(x: Any) -> bool:
    """True for None and NaN: a value that is not there."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def band(score: float | None) -> str:
    """Band of a 0..100 score: >=80 Excellent, >=65 Good, >=50 Fragile, >=35 At risk,
    else Critical (thresholds on the unrounded score); ``None``/NaN -> "No data"."""
    if is_missing(score):
        return NO_DATA
    for lower, label in BANDS:
        if score >= lower:
            return label
    return BANDS[-1][1]  # pragma: no cover


def norm_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """The weight of every component (0 for those not given), as floats."""
    return {k: float(weights.get(k, 0.0)) for k in COMPONENTS}


_BAND_LABELS = np.array([label for _, label in BANDS] + [NO_DATA], dtype=object)


def bands(trust: np.ndarray) -> list[str]:
    """:func:`band` of every score (NaN: no data), without a Python call per score."""
    lower = np.array([lo for lo, _ in BANDS])
    with np.errstate(invalid="ignore"):
        # Index of the first band whose lower bound the score reaches (NaN reaches none).
        idx = np.argmax(trust[:, None] >= lower[None, :], axis=1)
    idx = np.where(np.isnan(trust), len(BANDS), idx)
    return _BAND_LABELS[idx].tolist()
