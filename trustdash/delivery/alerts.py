"""The alerts a subscription is sent: negative spikes and trust dips of the latest periods.

Both are read from one :func:`trustdash.analysis.overview` of the subscription's channels
and campaigns over the window the app opens on (the last six months of data, by week):

* a *negative spike* is the Overview's alert (a channel's share of negative comments above
  its usual level for two weeks running, see :func:`trustdash.trust.alerts`);
* a *trust dip* is a channel whose weekly trust falls by at least :data:`DIP_POINTS`
  and below the previous week's 80 % interval (a fall the interval does not explain).

Only alerts of the last :data:`RECENT_PERIODS` weeks of data are new: a subscription made
today is not sent last spring's alerts (one whose sending failed is still retried after).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from trustdash import analysis, trust
from trustdash.filters import Filters, default_window, period_end
from trustdash.store import Store

DIP_POINTS = 10.0
RECENT_PERIODS = 2
# A spike this many standard deviations above its baseline, or a dip of this many points,
# is "high" severity; the others are "medium".
HIGH_SPIKE_Z = 3.0
HIGH_DIP_POINTS = 20.0
COMMENTS_SHOWN = 3


def window(store: Store, channels: tuple[str, ...], campaigns: tuple[str, ...]) -> Filters | None:
    start, end = default_window(*store.date_bounds())
    if start is None or end is None:
        return None
    return Filters(start, end, channels, campaigns, "week")


def find_alerts(
    store: Store, channels: tuple[str, ...] = (), campaigns: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The alerts for these filters, oldest first, each with its key, kind, channel, window
    (start, end), figures, component, severity and whether it is ``new`` (of the latest
    periods). :func:`comments_behind` reads the comments behind one."""
    f = window(store, channels, campaigns)
    if f is None:
        return []
    ov = analysis.overview(store, f)
    found = [*_spikes(ov.alerts), *_dips(ov.series, ov.settings)]
    if not found:
        return []
    last = max(a["start"] for a in found)
    last_period = max(last, _latest_period(ov.series) or last)
    horizon = last_period - dt.timedelta(days=7 * (RECENT_PERIODS - 1))
    out = []
    for a in sorted(found, key=lambda a: (a["start"], a["channel"], a["kind"])):
        a["new"] = a["start"] >= horizon
        a["end"] = min(period_end(a["start"], "week"), f.end or a["start"])
        a["campaigns"] = campaigns
        a["key"] = f"alert:{a['kind']}:{a['channel']}:{a['start'].isoformat()}"
        out.append(a)
    return out


def _latest_period(series: pl.DataFrame) -> dt.date | None:
    if series.is_empty():
        return None
    return series.get_column("period").max()  # type: ignore[return-value]


def _spikes(alerts: pl.DataFrame) -> list[dict[str, Any]]:
    out = []
    if alerts.is_empty():
        return out
    for r in alerts.iter_rows(named=True):
        sd = r["baseline_sd"] or 0.0
        z = (r["share"] - r["baseline_mean"]) / sd if sd > 0 else float("inf")
        out.append({
            "kind": "negative spike", "channel": r["group"], "start": r["period"],
            "component": "S1",
            "severity": "high" if z >= HIGH_SPIKE_Z else "medium",
            "figures": {"share": r["share"], "mean": r["baseline_mean"], "sd": sd,
                        "neg": r["neg"], "z": None if sd <= 0 else round(z, 2)},
        })  # fmt: skip
    return out


def _dips(series: pl.DataFrame, settings: trust.TrustSettings) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if series.is_empty():
        return out
    rows = series.sort(["channel", "period"]).iter_rows(named=True)
    prev: dict[str, Any] | None = None
    for r in rows:
        if prev is not None and prev["channel"] == r["channel"] and None not in (
            r["trust"], prev["trust"], r["high"], prev["low"]
        ):
            drop = prev["trust"] - r["trust"]
            if drop >= DIP_POINTS and r["high"] < prev["low"]:
                out.append({
                    "kind": "trust dip", "channel": r["channel"], "start": r["period"],
                    "component": _moved(prev, r, settings),
                    "severity": "high" if drop >= HIGH_DIP_POINTS else "medium",
                    "figures": {"current": r["trust"], "low": r["low"], "high": r["high"],
                                "previous": prev["trust"], "plow": prev["low"],
                                "phigh": prev["high"], "delta": -drop},
                })  # fmt: skip
        prev = r
    return out


def _moved(before: dict[str, Any], after: dict[str, Any], s: trust.TrustSettings) -> str | None:
    """The component whose weighted fall is the largest between two periods."""
    best, worst = None, 0.0
    for c in trust.COMPONENTS:
        a, b = after.get(c), before.get(c)
        if a is None or b is None:
            continue
        fall = (float(b) - float(a)) * float(s.weights.get(c, 0.0))
        if fall > worst:
            best, worst = c, fall
    return best


def comments_behind(store: Store, alert: dict[str, Any]) -> list[str]:
    """Up to three different texts among the most negative comments of the alert's channel
    and window."""
    f = Filters(alert["start"], alert["end"], (alert["channel"],),
                tuple(alert.get("campaigns") or ()), "day")  # fmt: skip
    frame = store.comments(f, limit=50, order="most_negative", label=("negative",))
    if frame.is_empty():
        return []
    return [t for t in analysis.distinct_texts(frame, COMMENTS_SHOWN).get_column("text").to_list()
            if t]  # fmt: skip
