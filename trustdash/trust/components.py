"""The six components of the Trust Score: for each, which rows count, its formula, and how
it adds up across channels, campaigns and periods.

Which rows count (the store's derived rollup, one row per channel, campaign and day,
counts only audience comments, never the brand's own):

* **P / N / neutral**: audience comments labelled positive / negative / neutral (a star
  rating decides the label of a rated review).
* **A (audience)**: every audience comment; **C (complaints)**: those flagged as a
  complaint.
* **Act (actionable)**: audience comments that are a question, a complaint or negative.
* **R (answered within target)**: actionable comments whose first brand reply (a brand
  comment in the thread, or an inline review reply) came at or after the comment and
  within the channel's target time.

Every count is recency-weighted (:func:`trustdash.trust.model.recency_weight`) and summed
over the group's rows by :mod:`trustdash.trust.counts` (``Rollup``), which also applies the
rules below: that is where a channel without reply data is left out of Act and R.

How components add up across channels: a component that is not measurable on a channel
is left out of that channel's contribution to every total (brand, campaign, period,
channel-equal), never counted as zero:

* **S1, S2** are measurable wherever there are audience comments.
* **S3** is measurable only on channels whose exports carry brand replies
  (:data:`REPLY_DATA`): the actionable comments of a channel without reply data are not
  counted in any total's Act or R.
* **S4, S5** come from posts: a channel without posts contributes no post to a total's
  percentiles.
* **S6** needs 4 weeks with polar comments in its 12-week window. A brand total (the
  brand, a brand period) is the mean of its channels' S6 where measurable, weighted by
  their polar comments (:func:`brand_consistency`); a campaign's comes from its own
  weekly series.

A component weighs in a total by its coverage (:func:`used_weights`): the share of the
total's comments that come from channels where it is measurable (for S6, of the polar
comments of the channels in its window). The brand then leans on each component as much as
its channels do, and scores among them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from trustdash.trust.model import COMPONENTS, ArrayLike, Number, is_missing, norm_weights, shrink


def net_sentiment(pos: Number, neg: Number) -> float | None:
    """Net sentiment ``(P - N) / (P + N)`` in [-1, 1] (polar-only form); ``None`` if P + N = 0."""
    total = float(pos) + float(neg)
    if total <= 0:
        return None
    return (float(pos) - float(neg)) / total


# --------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------


def s1_sentiment_balance(pos: ArrayLike, neg: ArrayLike, m: float, mu: ArrayLike) -> Any:
    """S1 = ``(P + m*mu) / (P + N + m)``: shrunk positive share of polar audience comments.

    ``mu`` is the prior positive share (parent level). Net sentiment shown
    alongside is ``2*S1 - 1`` (shrunk) or ``(P - N)/(P + N)`` (raw).
    """
    return shrink(pos, np.add(pos, neg), m, mu)


def s2_complaint_pressure(
    complaints: ArrayLike, audience: ArrayLike, m: float, mu: ArrayLike
) -> Any:
    """S2 = ``1 - (C + m*(1 - mu)) / (A + m) = (A - C + m*mu) / (A + m)``.

    ``C`` complaints among ``A`` audience comments (neutral included);
    ``mu`` is the prior *complaint-free* share.
    """
    return shrink(np.subtract(audience, complaints), audience, m, mu)


def s3_responsiveness(
    answered_in_target: ArrayLike, actionable: ArrayLike, m: float, mu: ArrayLike
) -> Any:
    """S3 = ``(R + m*mu) / (A + m)``: shrunk share of actionable comments answered in target.

    ``R`` actionable comments with a brand reply within the channel's
    target time, ``A`` actionable comments (questions, complaints,
    negatives); ``mu`` the prior answered-in-target share. ``A = 0`` gives ``mu``.
    """
    return shrink(answered_in_target, actionable, m, mu)


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
    return consistency(sd, _spike_weeks(share, neg))


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


def brand_consistency(channel_s6: np.ndarray, polar: np.ndarray) -> np.ndarray:
    """S6 of a total across channels (brand, or a brand period): per row,
    ``Σ_k n_k·S6_k / Σ_k n_k`` over the channels ``k`` where S6 is measurable, ``n_k``
    the channel's polar comments in the row's 12 weeks; NaN where no channel's S6 is.

    Pooling the channels' weeks first would smooth their noise away and make the brand
    look steadier than every channel it is made of.
    """
    ok = ~np.isnan(channel_s6) & (polar > 0)
    weight = np.where(ok, polar, 0.0)
    total = weight.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weight * np.nan_to_num(channel_s6)).sum(axis=1) / total
    return np.where(total > 0, mean, np.nan)


def consistency_coverage(channel_s6: np.ndarray, polar: np.ndarray) -> np.ndarray:
    """Coverage of S6 on a total across channels (see :func:`used_weights`): per row, the
    polar comments of the channels where S6 is measurable over all the channels' polar
    comments in the row's 12 weeks (:func:`coverage_share`)."""
    ok = ~np.isnan(channel_s6) & (polar > 0)
    return coverage_share(np.where(ok, polar, 0.0).sum(axis=1), polar.sum(axis=1))


def _spike_weeks(share: np.ndarray, neg: np.ndarray) -> int:
    """Weeks whose negative share exceeds the mean + 2 sd (population) of the *other*
    weeks' shares, with at least 10 negatives; leave-one-out moments in closed form."""
    n = len(share)
    total, total_sq = share.sum(), (share**2).sum()
    others_mean = (total - share) / (n - 1)
    others_var = np.maximum((total_sq - share**2) / (n - 1) - others_mean**2, 0.0)
    return int(((neg >= 10) & (share > others_mean + 2.0 * np.sqrt(others_var) + 1e-12)).sum())


def consistency(sd: float, spike_weeks: int) -> float:
    """``(1 - min(1, sd / 0.5)) * (1 - 0.1 * min(5, spike_weeks))``."""
    return (1.0 - min(1.0, sd / 0.5)) * (1.0 - 0.1 * min(5, spike_weeks))


def used_weights(weights: np.ndarray, available: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """The weights a group's score uses, per group (rows) and component (columns):
    ``u_k = w_k·a_k·c_k / Σ_j w_j·a_j·c_j``, 0 for every component when the sum is 0.

    ``w_k`` the preset's weight, ``a_k`` 1 where the component is measurable on the group
    and ``c_k`` its coverage: the share of the group's comments that come from channels
    where the component is measurable (:func:`coverage_share`; 1 on a single channel, and
    for S1 and S2, which every comment measures). A component measured on a tenth of a
    brand's comments therefore weighs a tenth of its weight in the brand's score, as it
    does in the mean of the channels' scores weighted by their comments.
    """
    raw = np.where(available, weights * coverage, 0.0)
    total = raw.sum(axis=-1, keepdims=True)
    return np.where(total > 0, raw / np.where(total > 0, total, 1.0), 0.0)


def coverage_share(covered: ArrayLike, total: ArrayLike) -> np.ndarray:
    """Coverage of a component on a group: ``covered / total``, the group's
    (recency-weighted) comments from channels where the component is measurable over all
    of its comments; 1 where the group has none (nothing to weigh down)."""
    covered, total = np.asarray(covered, dtype=float), np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, covered / np.where(total > 0, total, 1.0), 1.0)
    return np.clip(np.nan_to_num(share, nan=1.0), 0.0, 1.0)


def trust_score(
    components: Mapping[str, float | None],
    weights: Mapping[str, float],
    coverage: Mapping[str, float] | None = None,
) -> tuple[float | None, dict[str, float], list[str]]:
    """Trust Score ``100 * Σ_k u_k·S_k`` with ``u`` the weights of :func:`used_weights`:
    ``100 * Σ w_k·c_k·S_k / Σ_available w_k·c_k`` (coverage ``c_k`` 1 unless given).

    Returns ``(score, used, missing)``: ``used`` the weights renormalised over
    the available components (0 for dropped ones, summing to 1), ``missing``
    the component ids whose value is None/NaN/absent. ``score`` is None when no
    component with a positive weight is available.
    """
    w = norm_weights(weights)
    missing = [k for k in COMPONENTS if is_missing(components.get(k))]
    avail = np.array([k not in missing for k in COMPONENTS])
    cover = np.array([float((coverage or {}).get(k, 1.0)) for k in COMPONENTS])
    u = used_weights(np.array([w[k] for k in COMPONENTS]), avail, cover)
    used = {k: float(u[j]) for j, k in enumerate(COMPONENTS)}
    if u.sum() <= 0:
        return None, used, missing
    score = 100.0 * sum(used[k] * float(components[k]) for k in COMPONENTS if used[k] > 0)  # type: ignore[arg-type]
    return score, used, missing


MISSING_REASON = {
    "S1": "no polar comments",
    "S2": "no audience comments",
    "S3": "no reply data",
    "S4": "no post/share data",
    "S5": "no post/reach data",
    "S6": "fewer than 4 weeks",
}
PARTIAL_FLAG = {cid: f"partial: {cid} ({reason})" for cid, reason in MISSING_REASON.items()}


FORMULAS = {
    "S1": "(P + m·μ1) / (P + N + m)",
    "S2": "(A − C + m·μ2) / (A + m)",
    "S3": "(R + m·μ3) / (Act + m)",
    "S4": "mean within-channel percentile of (shares + reposts) / engagements",
    "S5": "mean within-channel percentile of engagements / reach (not net-negative posts)",
    "S6": "(1 − min(1, sd/0.5)) · (1 − 0.1·min(5, spike weeks)), last 12 weeks",
}
