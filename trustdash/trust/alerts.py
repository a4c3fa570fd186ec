"""Negative-spike alerts and first-response statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from trustdash.trust.model import RESPONSE_BINS, is_missing

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
    vals = [None if is_missing(v) else max(0.0, float(v)) for v in first_response_hours]  # type: ignore[arg-type]
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
