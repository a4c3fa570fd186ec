"""Scoring: counts (with S4..S6 beside them) in, per-group Trust Scores out.

Per group, each component comes from its formula in :mod:`trustdash.trust.components`;
``trust = 100 · Σ w·S / Σ_available w`` (:func:`trustdash.trust.components.trust_score`);
the interval from :mod:`trustdash.trust.intervals`; then sufficiency, flags, ranks and
the frame the pages show (:data:`SCORE_SCHEMA`). Totals across groups (brand,
channel-equal) and the rank-stability check are here too.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow as pa

from trustdash.trust.components import (
    PARTIAL_FLAG,
    coverage_share,
    s1_sentiment_balance,
    s2_complaint_pressure,
    s3_responsiveness,
    used_weights,
)
from trustdash.trust.counts import (
    COUNT_COLUMNS,
    SCORE_INPUTS,
    Counts,
    column,
    counts_of,
    height,
    optional_column,
    reply_data,
    select_rows,
    strings,
)
from trustdash.trust.intervals import draw_memo, fill_draws, quantiles
from trustdash.trust.model import (
    COMPONENTS,
    INSUFFICIENT,
    PRESETS,
    PROPORTION_COMPONENTS,
    TrustSettings,
    band,
    bands,
    norm_weights,
)

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
    "coverage": _WEIGHT_STRUCT,
    "missing": pl.List(pl.String()),
    "flags": pl.List(pl.String()),
    "insufficient": pl.Boolean(),
    "prior_S1": pl.Float64(),
    "prior_S2": pl.Float64(),
    "prior_S3": pl.Float64(),
    "rank": pl.Int64(),
    # pass-through counts (for explain() and the "How is this computed?" panel)
    **{c: pl.Float64() for c in COUNT_COLUMNS},
    "channel": pl.String(),
}


def as_counts(table: pl.DataFrame | Counts) -> Counts:
    """A counts table, from a frame (the form tests and callers outside a computation
    hold) or as it is."""
    return counts_of(table) if isinstance(table, pl.DataFrame) else table


def pooled_prior(counts: Counts, m: float) -> dict[str, float]:
    """Prior means from the pooled totals of ``counts``, each shrunk toward 0.5 with ``m``.

    ``S1``: positive share ``(sum P + 0.5m) / (sum P + sum N + m)``;
    ``S2``: complaint-free share; ``S3``: answered-in-target share over
    groups with reply data.
    """
    pos, neg = column(counts, "pos"), column(counts, "neg")
    aud, comp = column(counts, "audience"), column(counts, "complaints")
    act, ans = column(counts, "actionable"), column(counts, "answered_in_target")
    reply = reply_data(counts) if height(counts) else np.zeros(0, dtype=bool)
    p, n, a, c = float(pos.sum()), float(neg.sum()), float(aud.sum()), float(comp.sum())
    return {
        "S1": float(s1_sentiment_balance(p, n, m, 0.5)),
        "S2": float(s2_complaint_pressure(c, a, m, 0.5)),
        "S3": float(s3_responsiveness(float(ans[reply].sum()), float(act[reply].sum()), m, 0.5)),
    }



# Columns of a counts table giving the coverage of S3..S6 on each group (see
# components.used_weights); absent or NaN means 1 (a single channel, or a total whose
# channels all measure the component).
COVERAGE_COLUMNS = {"S3": "cover_S3", "S4": "cover_S4", "S5": "cover_S5", "S6": "cover_S6"}


def coverage(counts: Counts) -> np.ndarray:
    """Each group's coverage of each component (G, 6): 1 for S1 and S2, the
    :data:`COVERAGE_COLUMNS` for S3..S6."""
    g = height(counts)
    out = np.ones((g, len(COMPONENTS)))
    for cid, name in COVERAGE_COLUMNS.items():
        if name in counts:
            values = np.asarray(counts[name], dtype=float)
            out[:, COMPONENTS.index(cid)] = np.clip(np.nan_to_num(values, nan=1.0), 0.0, 1.0)
    return out


MISSING_BY_CODE = [
    tuple(cid for j, cid in enumerate(COMPONENTS) if code >> j & 1)
    for code in range(1 << len(COMPONENTS))
]


@dataclass
class Scored:
    """Internal result of scoring: per-group arrays and the trust draws (groups x draws);
    the :data:`SCORE_SCHEMA` frame is built only when asked for (a brand total reads the
    arrays alone)."""

    counts: Counts
    settings: TrustSettings
    groups: list[str]
    values: np.ndarray  # (G, 6) S1..S6, NaN where missing
    used: np.ndarray  # (G, 6) renormalised weights
    trust: np.ndarray  # NaN for a group without a score
    mus: np.ndarray  # (G, 3) prior means of S1..S3
    n_raw: np.ndarray
    polar_raw: np.ndarray
    counted: dict[str, np.ndarray]  # the pass-through counts
    cover: np.ndarray  # (G, 6) each component's coverage (see components.used_weights)
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
        return [list(MISSING_BY_CODE[c]) for c in self.details()["codes"].tolist()]

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
            "n_raw": self.n_raw, "polar_raw": self.polar_raw,
            "reply_data": reply_data(self.counts),
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
            "band": bands(self.trust[i : i + 1])[0],
            "n": int(self.n_raw[i : i + 1].astype(np.int64)[0]),
            "n_polar": int(self.polar_raw[i : i + 1].astype(np.int64)[0]),
            "net_sentiment": opt(det["net"][i]),
            **{cid: opt(self.values[i, j]) for j, cid in enumerate(COMPONENTS)},
            "weights_used": {cid: float(self.used[i, j]) for j, cid in enumerate(COMPONENTS)},
            "coverage": {cid: float(self.cover[i, j]) for j, cid in enumerate(COMPONENTS)},
            "missing": list(MISSING_BY_CODE[det["codes"][i]]),
            "flags": _row_flags(det, self.settings, i),
            "insufficient": bool(det["insufficient"][i]),
            **{f"prior_{cid}": float(self.mus[i, j])
               for j, cid in enumerate(PROPORTION_COMPONENTS)},  # fmt: skip
            "rank": det["rank"][i],
            **{c: float(self.counted[c][i]) for c in COUNT_COLUMNS},
            "channel": det["channel"][i],
        }


def score(
    counts: Counts,
    settings: TrustSettings,
    prior: Mapping[str, float] | None,
    row_prior: np.ndarray | None = None,
    partition: Sequence[str] | None = None,
    fixed_columns: Sequence[str] = ("s4", "s5", "s6"),
    remember: bool = True,
) -> Scored:
    """Score ``counts`` (see :func:`score_groups`).

    ``row_prior`` (G, 3) gives each row its own prior means for S1..S3 instead of one
    for the frame, and ``partition`` ranks rows within each partition value: several
    frames scored at once, exactly as each would be alone. ``fixed_columns`` name the
    columns holding S4..S6 (a score frame has them as ``S4``..``S6``). ``remember``: keep
    the draws for :func:`shared_draws` (groups never scored again need not be kept).
    """
    g = height(counts)
    m = float(settings.prior_strength)
    if row_prior is None:
        base_prior = pooled_prior(counts, m)
        mu = {k: float((prior or {}).get(k, base_prior[k])) for k in PROPORTION_COMPONENTS}
        mus = np.broadcast_to(np.array([mu["S1"], mu["S2"], mu["S3"]]), (g, 3))
    else:
        mus = np.asarray(row_prior, dtype=float).reshape(g, 3)

    groups = strings(counts, "group") or [""] * g
    counted = {c: column(counts, c) for c in COUNT_COLUMNS}
    pos, neg = counted["pos"], counted["neg"]
    aud, comp = counted["audience"], counted["complaints"]
    act, ans = counted["actionable"], counted["answered_in_target"]
    # A table of scores carries the raw counts as ``n`` and ``n_polar``.
    n_raw = column(counts, "n_raw" if "n_raw" in counts else "n")
    polar_raw = column(counts, "polar_raw" if "polar_raw" in counts else "n_polar")
    reply = reply_data(counts)

    # Each proportion component from its formula, and its Beta posterior (columns 0..2).
    s_prop = np.stack(
        [s1_sentiment_balance(pos, neg, m, mus[:, 0]),
         s2_complaint_pressure(comp, aud, m, mus[:, 1]),
         s3_responsiveness(ans, act, m, mus[:, 2])], axis=1,
    )  # fmt: skip
    k_ = np.stack([pos, aud - comp, ans], axis=1)
    n_ = np.stack([pos + neg, aud, act], axis=1)
    a = k_ + m * mus
    b = n_ - k_ + m * (1.0 - mus)
    fixed = np.stack([optional_column(counts, c) for c in fixed_columns], axis=1)

    values = np.concatenate([s_prop, fixed], axis=1)  # (G, 6)
    values[:, 2] = np.where(reply, values[:, 2], np.nan)
    # Without an audience comment there is nothing to score: the proportions would be
    # their priors alone, so the group has no score (its post components stay shown).
    has_comments = (n_raw > 0) | (pos + neg > 0) | (aud > 0) | (act > 0)
    values[~has_comments, :3] = np.nan
    no_data = ~has_comments

    # A component measured on none of a total's comments is not measurable there.
    cover = coverage(counts)
    values[cover <= 0] = np.nan
    w = np.array([norm_weights(settings.weights)[k] for k in COMPONENTS])
    avail = ~np.isnan(values) & (w > 0)
    used = used_weights(w, avail, cover)

    scorable = ~no_data & (used.sum(axis=1) > 0)
    trust = np.where(scorable, 100.0 * (used * np.nan_to_num(values)).sum(axis=1), np.nan)
    return Scored(
        counts=counts, settings=settings, groups=groups, values=values, used=used,
        trust=trust, mus=mus, n_raw=n_raw, polar_raw=polar_raw, counted=counted, cover=cover,
        beta_a=a, beta_b=b, w3=100.0 * used[:, :3],
        fixed_part=100.0 * (used[:, 3:] * np.nan_to_num(fixed)).sum(axis=1),
        partition=partition, remember=remember,
    )  # fmt: skip


def _intervals(scored: Scored) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    memo = draw_memo() if scored.remember else None
    rows = np.flatnonzero(scorable).tolist()
    if memo is None:
        fill_draws(draws, rows, groups, a, b, w3, settings.seed)
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
        fill_draws(draws, list(keys), groups, a, b, w3, settings.seed)
        memo.update((key, draws[i].copy()) for i, key in keys.items())
    draws += scored.fixed_part[:, None]
    low = np.full(g, np.nan)
    high = np.full(g, np.nan)
    if scorable.any():
        q = quantiles(draws[scorable], [tail, 1.0 - tail])
        low[scorable] = np.minimum(q[0], trust[scorable])
        high[scorable] = np.maximum(q[1], trust[scorable])
    return draws, low, high


def _score_details(scored: Scored) -> dict[str, Any]:
    """What the score frame derives per group: sufficiency, missing components (as 6-bit
    codes), net sentiment, rank and channel (shared by :attr:`Scored.frame` and ``row``)."""
    counts = scored.counts
    g = height(counts)
    pos, neg = scored.counted["pos"], scored.counted["neg"]
    checks = _sufficiency(scored)
    polar_eff, insufficient = checks["polar_eff"], checks["insufficient"]
    with np.errstate(invalid="ignore", divide="ignore"):
        net = np.where(polar_eff > 0, (pos - neg) / np.where(polar_eff > 0, polar_eff, 1.0), np.nan)
    channel = strings(counts, "channel") or [None] * g
    return {
        **checks,
        "codes": np.isnan(scored.values) @ (1 << np.arange(len(COMPONENTS))),
        "net": net,
        "rank": _ranks(scored, insufficient) if g else [],
        "channel": channel,
    }


def _sufficiency(scored: Scored) -> dict[str, np.ndarray]:
    """Per group: scored, polar comments, few of them, interval width, too wide, and
    insufficient (few, too wide or no score)."""
    settings = scored.settings
    ok = scored.scored
    polar_eff = scored.counted["pos"] + scored.counted["neg"]
    width = scored.high - scored.low
    few = polar_eff < settings.min_polar
    with np.errstate(invalid="ignore"):
        wide = ok & (width > settings.max_width)
    return {"ok": ok, "polar_eff": polar_eff, "polar_raw": scored.polar_raw, "few": few,
            "width": width, "wide": wide, "insufficient": few | wide | ~ok}  # fmt: skip


def _few_polar_flag(effective: float, raw: float, settings: TrustSettings) -> str:
    """Why a group has too few polar comments. When there are enough of them but recency
    weighting leaves too few (old comments in a long window), the flag says so, with both
    counts: "few recent polar comments (0.4 < 10; 312 in all)"."""
    if settings.half_life_days > 0 and raw >= settings.min_polar:
        return (f"few recent polar comments ({effective:.1f} < {settings.min_polar:g}; "
                f"{int(raw)} in all)")  # fmt: skip
    return f"few polar comments ({effective:.1f} < {settings.min_polar:g})"


def _row_flags(det: Mapping[str, Any], settings: TrustSettings, i: int) -> list[str]:
    """Group ``i``'s flags: no data, or its partial components then its insufficiency."""
    if not det["ok"][i]:
        return ["no data"]
    flags = [PARTIAL_FLAG[cid] for cid in MISSING_BY_CODE[det["codes"][i]]]
    if det["insufficient"][i]:
        flags.append(INSUFFICIENT)
        if det["few"][i]:
            flags.append(_few_polar_flag(det["polar_eff"][i], det["polar_raw"][i], settings))
        if det["wide"][i]:
            flags.append(f"wide interval ({det['width'][i]:.1f} > {settings.max_width:g} points)")
    return flags


def _flag_column(det: Mapping[str, Any], settings: TrustSettings) -> pl.Series:
    """The ``flags`` column; without an insufficient scored group every row's flags follow
    from its missing components alone, taken from a table of the 64 cases."""
    ok, codes = det["ok"], det["codes"]
    if (ok & det["insufficient"]).any():
        return _string_lists([_row_flags(det, settings, i) for i in range(len(ok))])
    return _code_lists(np.where(ok, codes, len(MISSING_BY_CODE)), "flags")


@functools.cache
def _code_table(kind: str) -> Any:
    """The lists a 6-bit missing-components code stands for, as an Arrow list array:
    the missing components, or the flags (with "no data" at code 64)."""

    if kind == "missing":
        lists = [list(t) for t in MISSING_BY_CODE]
    else:
        lists = [[PARTIAL_FLAG[c] for c in t] for t in MISSING_BY_CODE] + [["no data"]]
    return pa.array(lists, type=pa.list_(pa.string()))


def _code_lists(codes: np.ndarray, kind: str) -> pl.Series:
    """A List(String) column with row i the list of code ``codes[i]`` (see _code_table)."""

    series = pl.from_arrow(_code_table(kind).take(pa.array(np.asarray(codes, dtype=np.int64))))
    assert isinstance(series, pl.Series)
    return series


def _score_frame(
    scored: Scored, names: Sequence[str] | None = None, order: Sequence[int] | None = None
) -> pl.DataFrame:
    """The :data:`SCORE_SCHEMA` frame, built column by column (no per-row dicts); only the
    columns ``names`` (in that order) when given, and the rows in ``order`` (positions)
    when given: cheaper than sorting the frame, which moves every column. Columns that
    need no interval (scores, components, weights, counts) do not make the draws."""
    wanted = list(SCORE_SCHEMA) if names is None else list(names)
    if height(scored.counts) == 0:
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
        "band": lambda name: pl.Series(name, bands(trust), dtype=pl.String),
        "n": lambda name: pl.Series(name, pick(scored.n_raw).astype(np.int64)),
        "n_polar": lambda name: pl.Series(name, pick(scored.polar_raw).astype(np.int64)),
        "net_sentiment": lambda name: nullable(name, det("net")),
        **{cid: (lambda name, j=j: nullable(name, values[:, j]))
           for j, cid in enumerate(COMPONENTS)},  # fmt: skip
        "weights_used": lambda name: _weight_structs(pick(scored.used)).alias(name),
        "coverage": lambda name: _weight_structs(pick(scored.cover)).alias(name),
        "missing": lambda name: _code_lists(det("codes"), "missing").alias(name),
        "flags": lambda name: _flag_column(
            {k: det(k) for k in ("ok", "insufficient", "codes", "few", "wide", "width",
                                 "polar_eff", "polar_raw")}, scored.settings).alias(name),  # fmt: skip
        "insufficient": lambda name: pl.Series(name, det("insufficient")),
        **{f"prior_{cid}": (lambda name, j=j: floats(name, pick(scored.mus)[:, j]))
           for j, cid in enumerate(PROPORTION_COMPONENTS)},  # fmt: skip
        "rank": lambda name: pl.Series(name, det("rank"), dtype=pl.Int64),
        **{c: (lambda name, c=c: floats(name, pick(scored.counted[c]))) for c in COUNT_COLUMNS},
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

    offsets = np.zeros(len(lists) + 1, dtype=np.int32)
    np.cumsum([len(x) for x in lists], out=offsets[1:])
    # String views are polars' own layout: nothing to convert on the way in.
    flat = pa.array([v for x in lists for v in x], type=pa.string_view())
    series = pl.from_arrow(pa.ListArray.from_arrays(pa.array(offsets), flat))
    assert isinstance(series, pl.Series)
    return series


def _ranks(scored: Scored, insufficient: np.ndarray) -> list[int | None]:
    """Rank 1 = best: sufficient groups first, then by lower bound, trust, name (desc/desc/asc);
    within each partition value when the scoring had partitions. None without a score."""
    g = len(scored.groups)
    rows = np.flatnonzero(scored.scored)
    parts = list(scored.partition) if scored.partition is not None else [None] * g
    # lexsort: the last key is the primary one; it is stable (equal keys keep their order).
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
    counts: pl.DataFrame | Counts,
    settings: TrustSettings,
    prior: Mapping[str, float] | None = None,
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
    table = as_counts(counts)
    if height(table) == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    return score(table, settings, prior).frame


def score_partitions(
    counts: pl.DataFrame | Counts,
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
    table = as_counts(counts)
    if height(table) == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    return scored_partitions(table, settings, by, priors).frame


def scored_partitions(
    counts: Counts,
    settings: TrustSettings,
    by: str,
    priors: Mapping[str, Mapping[str, float]] | None = None,
) -> Scored:
    """:func:`score_partitions` before its frame is built (``counts`` not empty)."""
    parts = strings(counts, by) or []
    # The partition column is left out when scoring would read it.
    body = {k: v for k, v in counts.items() if k != by} if by in SCORE_INPUTS else counts
    keys = np.array(parts, dtype=object)
    row_prior = np.empty((len(parts), 3))
    for value in dict.fromkeys(parts):
        mask = keys == value
        given = dict((priors or {}).get(value) or {})
        if any(k not in given for k in PROPORTION_COMPONENTS):
            base = pooled_prior(select_rows(body, mask), float(settings.prior_strength))
            given = {**base, **given}
        row_prior[mask] = [float(given[k]) for k in PROPORTION_COMPONENTS]
    # A partition's groups (a channel's periods) are not scored again in a computation.
    return score(body, settings, None, row_prior=row_prior, partition=parts, remember=False)


# --------------------------------------------------------------------------
# Roll-ups and sensitivity
# --------------------------------------------------------------------------


def _pool(counts: Counts) -> dict[str, Any]:
    """One row with the summed counts; s4..s6 volume-weighted (by n_raw) means; the
    coverage of S3..S6 from the groups where each is measurable."""
    # a score_groups output carries the counts too, under n / n_polar / S4..S6
    alias = {"n_raw": "n", "polar_raw": "n_polar", "s4": "S4", "s5": "S5", "s6": "S6"}

    def name(c: str) -> str:
        return c if c in counts or alias[c] not in counts else alias[c]

    sums = {c: float(column(counts, c).sum()) for c in COUNT_COLUMNS}
    for c in ("n_raw", "polar_raw"):
        sums[c] = float(column(counts, name(c)).sum())
    row: dict[str, Any] = {"group": ["All"], **{c: np.array([v]) for c, v in sums.items()}}
    vol = column(counts, name("n_raw"))
    for c in ("s4", "s5", "s6"):
        vals = optional_column(counts, name(c))
        ok = ~np.isnan(vals)
        if not ok.any():
            row[c] = np.array([np.nan])
        else:
            wts = vol[ok] if vol[ok].sum() > 0 else np.ones(ok.sum())
            row[c] = np.array([np.average(vals[ok], weights=wts)])
    # Each group adds its comments to a component's coverage where the component is
    # measurable on it (components.used_weights).
    cover = coverage(counts)
    measurable = {"S3": reply_data(counts) if height(counts) else np.zeros(0, dtype=bool)}
    for cid in ("S4", "S5", "S6"):
        measurable[cid] = ~np.isnan(optional_column(counts, name(f"s{cid[1]}")))
    audience = column(counts, "audience")
    polar = column(counts, "pos") + column(counts, "neg")
    for cid, ok in measurable.items():
        base = polar if cid == "S6" else audience
        share = cover[:, COMPONENTS.index(cid)] * ok
        row[COVERAGE_COLUMNS[cid]] = np.array(
            [float(coverage_share((base * share).sum(), base.sum()))]
        )
    if "reply_data" in counts:
        row["reply_data"] = np.array([reply_data(counts).any()])
    elif "answered" in counts:
        row["answered"] = np.array([column(counts, "answered").sum()])
    return row


def brand_total(
    group_scores_or_counts: pl.DataFrame | Counts,
    settings: TrustSettings,
    mode: Literal["volume", "channel_equal"] = "volume",
    prior: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Brand-level Trust Score, saying which roll-up is shown (Simpson's paradox).

    * ``"volume"``: the score of the pooled counts (all comments count
      equally; S4..S6 volume-weighted means of the groups' values), shrunk toward
      the brand-wide means (:func:`pooled_prior`) unless ``prior`` is given, as every
      group of the brand is: a brand of one channel scores as that channel.
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
    table = as_counts(frame)
    is_scores = "trust" in columns
    tail = (1.0 - settings.level) / 2.0
    if mode == "volume":
        pooled = _pool(table)
        row = score_groups(pooled, settings, prior).row(0, named=True)
        return {
            "mode": "volume",
            "label": "Volume-weighted: all comments pooled (large channels weigh more)",
            "trust": row["trust"],
            "low": row["low"],
            "high": row["high"],
            "band": row["band"],
            "groups": height(table),
            "n": row["n"],
            "insufficient": row["insufficient"],
            "missing": row["missing"],
            "weights_used": row["weights_used"],
            "components": {k: row[k] for k in COMPONENTS},
        }
    if mode != "channel_equal":
        raise ValueError("mode must be 'volume' or 'channel_equal'")
    if is_scores and "pos" not in columns:
        if not isinstance(frame, pl.DataFrame):
            raise TypeError("a channel-equal total of scores without counts needs a frame")
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
        scored = score(table, settings, prior, fixed_columns=fixed)
        ok = ~np.isnan(scored.draws).any(axis=1)
        g = int(ok.sum())
        if g == 0:
            trust = low = high = None
        else:
            trust = float(scored.trust[ok].mean())
            mean_draws = scored.draws[ok].mean(axis=0)
            lo, hi = quantiles(mean_draws[None, :], [tail, 1.0 - tail])[:, 0]
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
            "missing": sorted({c for code in missing.tolist() for c in MISSING_BY_CODE[code]}),
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
    counts: pl.DataFrame | Counts,
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
    Groups without a shown score (none, or one from insufficient data) are left out:
    the check is about the ranking people see.
    """
    ranks: dict[str, dict[str, int]] = {}
    for name, weights in presets.items():
        frame = score_groups(counts, settings.with_weights(weights), prior)
        frame = frame.filter(pl.col("rank").is_not_null() & ~pl.col("insufficient").fill_null(True))
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
