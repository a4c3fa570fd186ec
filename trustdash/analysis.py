"""What the pages and the CLI show, computed from the store's rollups and the trust model.

Pages and the command line call these functions and only lay out their results. No SQL
here (that is :mod:`trustdash.store`), no formulas (that is :mod:`trustdash.trust`):
this module wires the two together per view.

Each view reads the store once through :class:`Reads` (the daily rollup rows of its span,
the channels with reply data, the posts) and sums every table it shows from those reads
with :class:`trustdash.trust.Rollup`: one aggregation path for every grouping, filter and
backend.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import polars as pl

from trustdash import trust
from trustdash.filters import NO_CAMPAIGN, Filters
from trustdash.i18n import mark
from trustdash.i18n.terms import flag_text
from trustdash.store import Store
from trustdash.trust import counts as tc
from trustdash.workspace import trust_settings

GROUPINGS = tc.GROUPINGS
PERIODS = tc.PERIODS
# S6 looks back 12 weeks from the end of each window.
S6_LOOKBACK = dt.timedelta(weeks=12)
# What a channel without comments or reviews shows instead of a score.
NEEDS_COMMENTS = mark("needs comments or reviews")

_T = TypeVar("_T")


def _settings(store: Store, settings: trust.TrustSettings | None) -> trust.TrustSettings:
    return settings or trust_settings(store)


def resolve(store: Store, f: Filters) -> Filters:
    """Open-ended windows end at the last day with data (recency is counted from there)."""
    if f.start is not None and f.end is not None:
        return f
    lo, hi = store.date_bounds()
    return f.with_(start=f.start or lo, end=f.end or hi)


def _done(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> concurrent.futures.Future[_T]:
    """``fn(*args, **kwargs)`` run now, as a finished future (no pool to run it beside)."""
    future: concurrent.futures.Future[_T] = concurrent.futures.Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - handed over to whoever reads the result
        future.set_exception(exc)
    return future


Weekly = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]


class Reads:
    """What one view reads from the store, read once: the daily rollup rows of the span
    ``[start, f.end]`` for ``f``'s channels and campaigns (with their campaign when
    ``campaigns``), the channels whose exports carry brand replies, the store's channels
    and the posts of the span's trailing year. Every count, weekly and period sum the view
    shows is summed from these by :class:`trustdash.trust.Rollup`.

    Windows inside the span (the previous window, S6's look-back, a period) are answered
    from the same reads; asking for anything else is an error, not a silent second read.
    """

    def __init__(
        self,
        store: Store,
        f: Filters,
        start: dt.date | None,
        *,
        campaigns: bool = False,
        pool: concurrent.futures.Executor | None = None,
    ) -> None:
        self.store = store
        self.filters = f
        self.start = start
        run = pool.submit if pool is not None else _done
        # The small reads go beside the rollup read (DuckDB releases the GIL; each read
        # has its own cursor).
        replies = run(store.rollup_channel_replies)
        self._channels = run(store.channels)
        self._posts_from = (f.end - dt.timedelta(days=365)) if f.end else None
        if start is not None and f.end is not None:
            self._posts_from = start - dt.timedelta(days=365)
        lookback = (f.end - start).days + 365 if start is not None and f.end else 365
        self._posts = run(store.posts_frame, f, lookback_days=lookback)
        span = f.with_(start=start)
        rows = store.rollup_rows(span) if campaigns else store.rollup_days(span)
        replied = replies.result()
        self.reply_channels = [c for c, has in replied if has]
        # Channels with comments anywhere in the store, whatever the window.
        self.comment_channels = [c for c, _ in replied]
        self.rollup = trust.Rollup(rows, self.reply_channels)
        self._percentiles: dict[Any, pl.DataFrame] = {}

    def covers(self, g: Filters) -> bool:
        """Whether window ``g`` can be answered from these reads."""
        f = self.filters
        return (
            (self.start is None or (g.start is not None and g.start >= self.start))
            and (f.end is None or (g.end is not None and g.end <= f.end))
            and g.channels == f.channels
            and g.campaigns == f.campaigns
        )

    def _check(self, g: Filters) -> None:
        if not self.covers(g):
            raise ValueError(f"window {g.start}..{g.end} is outside the reads of this view")

    def targets(self, settings: trust.TrustSettings) -> dict[str, float]:
        """Each counted channel's target reply time."""
        return {c: settings.target_hours(c) for c in self.rollup.channels}

    def counts(
        self, g: Filters, by: str, settings: trust.TrustSettings, *, then_by: str | None = None
    ) -> dict[str, Any]:
        """The counts of every ``by`` (then ``then_by``) group of window ``g``."""
        self._check(g)
        return self.rollup.counts(
            g, by, half_life_days=settings.half_life_days, targets=self.targets(settings),
            then_by=then_by,
        )  # fmt: skip

    def audience_in(
        self,
        g: Filters,
        by: str,
        channels: Collection[str],
        settings: trust.TrustSettings,
        *,
        then_by: str | None = None,
    ) -> np.ndarray:
        """Per group of :meth:`counts`, the weighted audience of ``channels``' rows."""
        self._check(g)
        return self.rollup.audience_in(
            g, by, channels, half_life_days=settings.half_life_days,
            targets=self.targets(settings), then_by=then_by,
        )  # fmt: skip

    def weekly(self, g: Filters, dim: str) -> Weekly:
        """Weekly P and N per ``dim`` group: names, week starts, P, N (S6's input)."""
        self._check(g)
        groups, periods, sums = self.rollup.sentiment(g, dim, "week")
        return groups, periods, sums["pos"], sums["neg"]

    def periods(
        self, g: Filters, dim: str
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """P, N and audience per ``dim`` group and period of ``g``'s granularity."""
        self._check(g)
        return self.rollup.sentiment(g, dim, g.granularity)

    def channels(self) -> list[str]:
        """Every channel of the store with data of any kind (comments, posts, metrics)."""
        return self._channels.result()

    def posts(self, g: Filters, *, lookback_days: int = 365) -> pl.DataFrame:
        """The posts of ``g``'s channels from ``lookback_days`` before its end."""
        posts = self._posts.result()
        if g.end is None or posts.height == 0:
            return posts
        if g.channels != self.filters.channels or (
            self._posts_from is not None
            and g.end - dt.timedelta(days=lookback_days) < self._posts_from
        ):
            raise ValueError(f"posts of {g.start}..{g.end} are outside the reads of this view")
        t = pl.col("created_at")
        return posts.filter(
            (t < dt.datetime.combine(g.end + dt.timedelta(days=1), dt.time()))
            & (t >= dt.datetime.combine(g.end - dt.timedelta(days=lookback_days), dt.time()))
        )

    def percentiles(self, g: Filters) -> pl.DataFrame:
        """The window's posts with their S4/S5 percentiles, computed once per window."""
        key = (g.start, g.end, g.channels)
        if key not in self._percentiles:
            self._percentiles[key] = trust.component_percentiles(self.posts(g), g.start, g.end)
        return self._percentiles[key]


def read(
    store: Store,
    f: Filters,
    *,
    first: dt.date | None = None,
    campaigns: bool = False,
    pool: concurrent.futures.Executor | None = None,
) -> Reads:
    """The reads of a view of window ``f`` (resolved): its span starts S6's look-back
    before ``first`` (default: ``f.start``)."""
    start = first or f.start
    return Reads(store, f, None if start is None else start - S6_LOOKBACK,
                 campaigns=campaigns, pool=pool)  # fmt: skip


def counts(
    store: Store,
    f: Filters,
    by: str,
    settings: trust.TrustSettings,
    *,
    then_by: str | None = None,
) -> dict[str, Any]:
    """Recency-weighted counts per group (see :mod:`trustdash.trust.counts`)."""
    f = resolve(store, f)
    reads = read(store, f, campaigns="campaign" in (by, then_by))
    return reads.counts(f, by, settings, then_by=then_by)


def _key_expr(dim: str) -> pl.Expr:
    """The posts' value of a grouping dimension, spelled like the rollup's group keys."""
    if dim == "brand":
        return pl.lit("brand")
    if dim == "channel":
        return pl.col("channel").cast(pl.String)
    if dim == "campaign":
        return pl.col("campaign").cast(pl.String).fill_null(NO_CAMPAIGN)
    return pl.col("created_at").dt.truncate(PERIODS[dim]).dt.date().cast(pl.String)


def _with_components(
    reads: Reads,
    f: Filters,
    c: Mapping[str, Any],
    by: str,
    then_by: str | None,
    s: trust.TrustSettings,
) -> dict[str, Any]:
    """A counts table with S4, S5 (from posts) and S6 (from weekly sentiment) beside,
    and, for totals across channels, the coverage of S3..S6 (``cover_S3``…, see
    :func:`trust.used_weights`).

    For period groups the S6 window is the 12 weeks ending at each period's end;
    otherwise the 12 weeks ending at the filter's end.
    """
    n = tc.height(c)
    s4, s5 = np.full(n, np.nan), np.full(n, np.nan)
    posts = reads.percentiles(f)
    if f.campaigns and posts.height:
        # Posts are ranked within their channel whatever their campaign; a campaign filter
        # keeps the campaign's own posts in the means, as it keeps its own comments.
        posts = posts.filter(_key_expr("campaign").is_in(list(f.campaigns)))
    across = "channel" not in (by, then_by)
    if posts.height:
        post_key = _key_expr(by) + "\x1f" + (_key_expr(then_by) if then_by else pl.lit(""))
        means = (
            posts.group_by(post_key.alias("_key"))
            .agg(pl.col("p4").mean().alias("s4"), pl.col("p5").mean().alias("s5"))
        )  # fmt: skip
        found = dict(zip(means.get_column("_key").to_list(),
                         zip(means.get_column("s4").to_list(), means.get_column("s5").to_list(),
                             strict=True), strict=True))  # fmt: skip
        groups = tc.strings(c, "group") or []
        subs = (tc.strings(c, "sub") or []) if then_by else [""] * n
        for i, (group, sub) in enumerate(zip(groups, subs, strict=True)):
            mean = found.get(group + "\x1f" + sub) if group is not None and sub is not None else None
            if mean is not None:
                s4[i] = np.nan if mean[0] is None else mean[0]
                s5[i] = np.nan if mean[1] is None else mean[1]
    dims = [d for d in (by, then_by) if d in ("brand", "channel", "campaign")]
    period = by if by in PERIODS else (then_by if then_by in PERIODS else None)
    dim = dims[0] if dims else "brand"
    end = f.end or dt.date.today()
    start = (f.start or end) - S6_LOOKBACK
    mu = trust.pooled_prior(c, s.prior_strength)["S1"]
    cover: dict[str, np.ndarray] = {}
    if dim == "brand":
        # The brand's consistency adds up its channels' (see trust.components).
        weekly = reads.weekly(f.with_(start=start, end=end), "channel")
        s6, cover["cover_S6"] = _brand_s6(c, weekly, by, then_by, period, end,
                                          s.prior_strength, mu)  # fmt: skip
    else:
        weekly = reads.weekly(f.with_(start=start, end=end), dim)
        keys = _row_keys(c, by, then_by, dim)
        pos, neg = _s6_windows(weekly, keys, _row_ends(c, by, then_by, period, end))
        s6 = trust.s6_from_windows(pos, neg, s.prior_strength, mu)
    if across:
        # A component weighs in a total by the share of its comments that come from
        # channels where it is measurable (S4 and S5: channels with posts in the window).
        audience = tc.column(c, "audience")
        post_channels = set(posts.get_column("channel").unique().to_list()) if posts.height else set()
        for cid, channels in (("S3", reads.reply_channels), ("S4", post_channels)):
            inside = reads.audience_in(f, by, channels, s, then_by=then_by)
            cover[f"cover_{cid}"] = trust.coverage_share(inside, audience)
        cover["cover_S5"] = cover["cover_S4"]
    return {**c, "s4": s4, "s5": s5, "s6": s6, **cover}


def _row_keys(c: Mapping[str, Any], by: str, then_by: str | None, dim: str) -> list[str]:
    """Each row's group name under ``dim``."""
    if by == dim:
        return [str(k) for k in tc.strings(c, "group") or []]
    if then_by == dim:
        return [str(k) for k in tc.strings(c, "sub") or []]
    return ["brand"] * tc.height(c)


def _row_ends(
    c: Mapping[str, Any], by: str, then_by: str | None, period: str | None, end: dt.date
) -> np.ndarray:
    """Each row's last day: its period's end, or the window's."""
    if period:
        starts = np.array(tc.strings(c, "group" if by == period else "sub"),
                          dtype="datetime64[D]")  # fmt: skip
        return tc.period_end(starts, period)
    return np.full(tc.height(c), np.datetime64(end, "D"))


def _s6_windows(
    weekly: Weekly, keys: Sequence[str], ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The weekly P and N (R, 12) of each row's group ``keys[r]`` over the 12 weeks ending
    with ``ends[r]``'s own week (weeks without rows count zero, which S6 skips).

    The weeks (Mondays) in ``(end − 12 weeks, end]`` are exactly the 12 ending with
    ``end``'s own week, so each row's window is a fixed-width slice of a group × week grid.
    """
    names, periods, week_pos, week_neg = weekly
    rows = len(keys)
    if rows == 0 or len(names) == 0:
        return np.zeros((rows, 12)), np.zeros((rows, 12))
    groups = {g: i for i, g in enumerate(dict.fromkeys(names))}
    base = periods.min()
    days = (periods - base).astype(np.int64)
    n_weeks = int(days.max()) // 7 + 1
    grid_pos = np.zeros((len(groups), n_weeks))
    grid_neg = np.zeros((len(groups), n_weeks))
    gi = np.array([groups[g] for g in names], dtype=np.int64)
    grid_pos[gi, days // 7] = week_pos
    grid_neg[gi, days // 7] = week_neg
    # The grid starts on a Monday: floor division finds each end's own week.
    last_week = (ends - np.datetime64(base, "D")).astype(np.int64) // 7
    cols = last_week[:, None] - np.arange(11, -1, -1)[None, :]
    row_group = np.array([groups.get(k, -1) for k in keys], dtype=np.int64)
    ok = (row_group[:, None] >= 0) & (cols >= 0) & (cols < n_weeks)
    safe_g = np.where(row_group >= 0, row_group, 0)[:, None]
    safe_c = np.clip(cols, 0, n_weeks - 1)
    return (np.where(ok, grid_pos[safe_g, safe_c], 0.0),
            np.where(ok, grid_neg[safe_g, safe_c], 0.0))  # fmt: skip


def _brand_s6(
    c: Mapping[str, Any],
    weekly: Weekly,
    by: str,
    then_by: str | None,
    period: str | None,
    end: dt.date,
    m: float,
    mu: float,
) -> tuple[np.ndarray, np.ndarray]:
    """S6 of brand rows and its coverage: the mean of the S6 of the channels where it is
    measurable, each weighted by its polar comments in the row's 12 weeks
    (:func:`trust.brand_consistency`), and those channels' share of the polar comments
    (:func:`trust.consistency_coverage`)."""
    rows = tc.height(c)
    channels = list(dict.fromkeys(weekly[0]))
    if rows == 0 or not channels:
        return np.full(rows, np.nan), np.ones(rows)
    ends = _row_ends(c, by, then_by, period, end)
    keys = [ch for _ in range(rows) for ch in channels]
    pos, neg = _s6_windows(weekly, keys, np.repeat(ends, len(channels)))
    per_channel = trust.s6_from_windows(pos, neg, m, mu).reshape(rows, len(channels))
    polar = (pos + neg).sum(axis=1).reshape(rows, len(channels))
    return (trust.brand_consistency(per_channel, polar),
            trust.consistency_coverage(per_channel, polar))  # fmt: skip


def _with_post_only_channels(reads: Reads, f: Filters, c: Mapping[str, Any]) -> dict[str, Any]:
    """The channel counts with a row of zero counts for every channel of the selection that
    has posts or metrics but no comment anywhere in the store: it stays listed (its post
    components are computed; it shows what it needs instead of a score)."""
    wanted = set(f.channels) if f.channels else None
    have = set(tc.strings(c, "group") or []) | set(reads.comment_channels)
    extra = [ch for ch in reads.channels()
             if ch not in have and (wanted is None or ch in wanted)]  # fmt: skip
    if not extra:
        return dict(c)
    names = list(tc.strings(c, "group") or []) + extra
    order = sorted(range(len(names)), key=names.__getitem__)
    out: dict[str, Any] = {"group": [names[i] for i in order]}
    for name, value in c.items():
        if name == "group":
            continue
        arr = np.asarray(value)
        fill = np.full(len(extra), np.nan if name == "avg_rating" else 0, dtype=arr.dtype)
        out[name] = np.concatenate([arr, fill])[order]
    return out


def _scored_table(
    reads: Reads,
    f: Filters,
    by: str,
    s: trust.TrustSettings,
    prior: Mapping[str, float] | None = None,
) -> tuple[dict[str, Any], trust.Scored] | None:
    """What :func:`trust_table` is made of: the counts with their components and their
    scoring (None when there are no counts), before any frame of scores is built."""
    c: Mapping[str, Any] = reads.counts(f, by, s)
    if by == "channel":
        c = _with_post_only_channels(reads, f, c)
    if tc.height(c) == 0:
        return None
    full = _with_components(reads, f, c, by, None, s)
    return full, trust.score(full, s, prior)


def trust_table(
    store: Store,
    f: Filters,
    by: str,
    settings: trust.TrustSettings | None = None,
    prior: dict[str, float] | None = None,
) -> pl.DataFrame:
    """Trust per group: one :func:`trust.score_groups` row per channel, campaign or period."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    s = _settings(store, settings)
    f = resolve(store, f)
    reads = read(store, f, campaigns=by == "campaign")
    return _trust_frame(_scored_table(reads, f, by, s, prior), by)


def _trust_frame(found: tuple[dict[str, Any], trust.Scored] | None, by: str) -> pl.DataFrame:
    """:func:`trust_table`'s frame from what :func:`_scored_table` found: periods in order,
    other groups by rank, the counts shown beside the scores."""
    if found is None:
        return pl.DataFrame(schema=trust.SCORE_SCHEMA)
    c, scored = found
    groups = tc.strings(c, "group") or []
    if by in PERIODS:
        order = sorted(range(len(groups)), key=groups.__getitem__)
    else:
        ranks = scored.details()["rank"]
        order = sorted(range(len(ranks)), key=lambda i: (ranks[i] is None, ranks[i] or 0))
    frame = scored.frame_of(order=order).hstack(_columns(c, _EXTRA, order))
    if by != "channel":
        return frame
    # A channel without comments says what it needs rather than a score of priors.
    post_only = frame.get_column("audience_raw").fill_null(0) == 0
    if not post_only.any():
        return frame
    return frame.with_columns(
        pl.when(post_only).then(pl.col("flags").list.concat(pl.lit([NEEDS_COMMENTS])))
        .otherwise(pl.col("flags")).alias("flags")
    )  # fmt: skip


def _columns(
    c: Mapping[str, Any], names: Sequence[str], order: Sequence[int] | None = None
) -> list[pl.Series]:
    """Columns ``names`` of a counts table (Float64, nulls for NaN), rows in ``order``
    (positions) when given."""
    rows = slice(None) if order is None else np.asarray(order, dtype=np.intp)
    return [pl.Series(name, np.asarray(c[name], dtype=float)[rows], nan_to_null=True)
            for name in names]  # fmt: skip


def _first(c: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The first row's values of columns ``names`` (None for NaN)."""
    return {name: None if np.isnan(float(c[name][0])) else float(c[name][0]) for name in names}


# Columns of the counts that a trust table shows beside the scores.
_EXTRA = (
    "unscored", "n_en", "n_fr", "n_other", "avg_rating", "brand_replies", "actionable_raw",
    "answered_raw", "in_target_raw", "neg_raw", "pos_raw", "complaints_raw", "audience_raw",
)  # fmt: skip


def _brand_row(reads: Reads, f: Filters, s: trust.TrustSettings) -> dict[str, Any] | None:
    """The one row of the brand's trust table as a dict (None without counts), without
    building the table: a headline needs one row."""
    found = _scored_table(reads, f, "brand", s)
    if found is None:
        return None
    c, scored = found
    return {**scored.row(0), **_first(c, _EXTRA)}


def shown_score(row: Mapping[str, Any] | None) -> float | None:
    """The score a page or the CLI shows for a row: None when the row has insufficient
    data (a score made mostly of priors is not shown as a number)."""
    if not row or row.get("insufficient") or row.get("trust") is None:
        return None
    return float(row["trust"])


def insufficient_reason(row: Mapping[str, Any] | None) -> str:
    """Why a row shows no score, in plain words."""
    flags = list((row or {}).get("flags") or [])
    if NEEDS_COMMENTS in flags:
        return NEEDS_COMMENTS
    if not row or row.get("trust") is None:
        return mark("no data in this selection")
    if not row.get("n"):
        return NEEDS_COMMENTS
    for flag in flags:
        if flag.startswith(("few polar comments", "few recent polar comments")):
            return flag
        if flag.startswith("wide interval"):
            return flag
    return trust.INSUFFICIENT


def insufficient_text(row: Mapping[str, Any] | None) -> str:
    """:func:`insufficient_reason` in the reader's language (a flag such as "few polar
    comments (3.2 < 10)" keeps its numbers, formatted for the reader)."""
    return flag_text(insufficient_reason(row))


INSUFFICIENT_BAND = mark("Insufficient data")


def shown_table(table: pl.DataFrame) -> pl.DataFrame:
    """A score table as pages show it: no score, interval, band or rank where the data are
    insufficient (the band says so, ``reason`` says why); other rows as they are."""
    if table.is_empty() or "insufficient" not in table.columns:
        return table
    hidden = pl.col("insufficient").fill_null(True) | pl.col("trust").is_null()
    reasons = [None if not (ins or t is None) else insufficient_reason(r)
               for r, ins, t in zip(table.iter_rows(named=True), table["insufficient"].to_list(),
                                    table["trust"].to_list(), strict=True)]  # fmt: skip
    return table.with_columns(
        *(pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c)
          for c in ("trust", "low", "high", "rank") if c in table.columns),
        pl.when(hidden).then(pl.lit(INSUFFICIENT_BAND)).otherwise(pl.col("band")).alias("band"),
        pl.Series("reason", reasons, dtype=pl.String),
    )  # fmt: skip


def brand_headline(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    per_channel: Mapping[str, Any] | pl.DataFrame | None = None,
) -> dict[str, Any]:
    """The brand's Trust Score for the window, volume-weighted and channel-equal
    (``per_channel``: the channel table, or the arrays of it a channel-equal total reads)."""
    s = _settings(store, settings)
    f = resolve(store, f)
    return _headline(read(store, f), f, s, per_channel)


def _headline(
    reads: Reads,
    f: Filters,
    s: trust.TrustSettings,
    per_channel: Mapping[str, Any] | pl.DataFrame | None = None,
) -> dict[str, Any]:
    if per_channel is None:
        per_channel = _rescoring(_scored_table(reads, f, "channel", s))
    row = _brand_row(reads, f, s)
    if row is None:
        return {"trust": None, "band": trust.NO_DATA, "n": 0, "row": None,
                "shown": None, "reason": mark("no data in this selection")}  # fmt: skip
    has_channels = (
        per_channel.height if isinstance(per_channel, pl.DataFrame) else tc.height(per_channel)
    )
    equal = trust.brand_total(per_channel, s, "channel_equal") if has_channels else None
    return {
        "trust": row["trust"],
        "low": row["low"],
        "high": row["high"],
        "band": row["band"],
        "n": row["n"],
        "insufficient": row["insufficient"],
        "missing": row["missing"],
        "flags": row["flags"],
        "label": "Volume-weighted: all comments pooled (large channels weigh more)",
        "row": row,
        "shown": shown_score(row),
        "reason": None if shown_score(row) is not None else insufficient_reason(row),
        "channel_equal": equal,
    }


def _rescoring(found: tuple[dict[str, Any], trust.Scored] | None) -> dict[str, Any]:
    """What a channel-equal total reads of a channel table, without building the table."""
    if found is None:
        return {"group": []}
    return found[1].rescoring_table()


@dataclass
class Overview:
    filters: Filters
    settings: trust.TrustSettings
    headline: dict[str, Any]
    previous: dict[str, Any] | None
    delta: float | None
    channels: pl.DataFrame
    series: pl.DataFrame
    brand_series: pl.DataFrame
    alerts: pl.DataFrame
    changes: list[dict[str, Any]]
    coverage: dict[str, Any]
    annotations: pl.DataFrame
    explain: dict[str, Any] = field(default_factory=dict)


# Monte-Carlo draws per trend point (see series).
_POINT_DRAWS = 100


def series(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    *,
    by: str = "channel",
    level: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Trust per period (the filter's granularity) and per channel (or brand).

    Each group's periods shrink toward that group's level over the whole window
    (``level``: that :func:`trust_table` when the caller has it already).
    Each point's 80 % interval comes from ``min(settings.draws, 100)`` Monte-Carlo draws
    (the headline and the per-channel table use the full ``settings.draws``, 1,000 by
    default): 100 draws put a band edge within about an eighth of the band's half-width
    (standard error of a 10 % quantile from D draws ≈ 1.71 sd / √D; the band's half-width
    is 1.28 sd, so 0.13 of it at 100 draws, 0.077 at 300, 0.042 at 1,000).
    """
    s = _settings(store, settings)
    f = resolve(store, f)
    return _series(read(store, f), f, s, by=by, level=level)


def _series(
    reads: Reads,
    f: Filters,
    s: trust.TrustSettings,
    *,
    by: str = "channel",
    level: pl.DataFrame | None = None,
) -> pl.DataFrame:
    gran = f.granularity
    # Each point's interval is drawn as a band, one per channel and period: its edges
    # need not the headline's precision, and the Beta draws are the largest part of the
    # Overview's cost.
    point_settings = dataclasses.replace(s, draws=min(s.draws, _POINT_DRAWS))
    sub = "brand" if by == "brand" else "channel"
    c = reads.counts(f, gran, s, then_by=sub)
    if tc.height(c) == 0:
        return pl.DataFrame()
    c = _with_components(reads, f, c, gran, sub, s)
    if level is None:
        level = _trust_frame(_scored_table(reads, f, by, s), by)
    priors = {
        g: {"S1": s1, "S2": s2, "S3": s3 or 0.5}
        for g, s1, s2, s3 in zip(*(level.get_column(n).to_list() for n in ("group", "S1", "S2", "S3")),
                                 strict=True)  # fmt: skip
        if s1 is not None
    }
    # All channels' periods in one pass, each channel shrunk toward its own level.
    scored = trust.scored_partitions(c, point_settings, "sub", priors)
    subs, groups = tc.strings(c, "sub") or [], tc.strings(c, "group") or []
    order = sorted(range(len(subs)), key=lambda i: (subs[i], groups[i]))
    frame = scored.frame_of(order=order)
    frame.replace_column(
        frame.get_column_index("channel"),
        pl.Series("channel", [subs[i] for i in order], dtype=pl.String),
    )
    periods = np.array([groups[i] for i in order], dtype="datetime64[D]")
    return frame.hstack(
        [pl.Series("period", periods, dtype=pl.Date),
         *_columns(c, ("neg_raw", "audience_raw"), order)]
    )  # fmt: skip


def coverage(store: Store, f: Filters, settings: trust.TrustSettings) -> dict[str, Any]:
    """Volumes, languages and the unscored share of the selection."""
    f = resolve(store, f)
    return _coverage(read(store, f), f, settings)


def _coverage(reads: Reads, f: Filters, settings: trust.TrustSettings) -> dict[str, Any]:
    c = reads.counts(f, "brand", settings)
    r = _first(c, ("audience_raw", "unscored", "n_en", "n_fr", "n_other", "brand_replies"))
    total = float(r["audience_raw"] or 0)
    return {
        "comments": int(total),
        "unscored": int(r["unscored"] or 0),
        "unscored_share": (float(r["unscored"] or 0) / total) if total else None,
        "languages": {
            "en": int(r["n_en"] or 0),
            "fr": int(r["n_fr"] or 0),
            "other": int(r["n_other"] or 0),
        },
        "brand_replies": int(r["brand_replies"] or 0),
    }


def overview(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    *,
    with_brand_series: bool = False,
) -> Overview:
    """Everything the Overview page shows.

    One computation reads the store a handful of times (:class:`Reads`): the daily rollup
    rows once for the window, the previous window and S6's 12-week look-back, the posts
    once for both windows' percentile components, and the comments behind the biggest
    changes in one query. A channel scored again for the channel-equal total reuses its
    Monte-Carlo draws (:func:`trust.shared_draws`).
    """
    with trust.shared_draws():
        return _overview(store, f, settings, with_brand_series=with_brand_series)


def _overview(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None,
    *,
    with_brand_series: bool,
) -> Overview:
    f = resolve(store, f)
    prev_f = f.previous()
    pool = _read_pool()
    saved = pool.submit(_settings, store, settings)
    first = prev_f.start if prev_f and prev_f.start else f.start
    reads = read(store, f, first=first, pool=pool)
    annotations = pool.submit(store.annotations, f)
    s = saved.result()
    found = _scored_table(reads, f, "channel", s)
    # The previous window's table is not shown: only what the changes and the previous
    # channel-equal total read of it is built.
    prev_found = _scored_table(reads, prev_f, "channel", s) if prev_f else None
    # The changes need no interval: they are known, and the comments behind them asked
    # for, before any Monte-Carlo draw.
    changes = (
        trust.changes_between(found[1].change_rows() if found else [],
                              prev_found[1].change_rows() if prev_found else [], 3)
        if prev_f else []
    )  # fmt: skip
    drivers = pool.submit(_change_drivers, store, f, changes) if changes else None
    channels = _trust_frame(found, "channel")
    head = _headline(reads, f, s, _rescoring(found))
    prev = _headline(reads, prev_f, s, _rescoring(prev_found)) if prev_f else None
    delta = None
    if prev and prev.get("shown") is not None and head.get("shown") is not None:
        delta = float(head["trust"]) - float(prev["trust"])
    ser = _series(reads, f, s, level=channels)
    # Only the Brief and the report draw the brand's own trend.
    brand_ser = _series(reads, f, s, by="brand") if with_brand_series else pl.DataFrame()
    al = _channel_alerts(reads, f)
    cov = _coverage(reads, f, s)
    if drivers is not None:
        for ch, shown in zip(changes, drivers.result(), strict=True):
            ch["drivers"] = shown
    return Overview(
        filters=f,
        settings=s,
        headline=head,
        previous=prev,
        delta=delta,
        channels=channels,
        series=ser,
        brand_series=brand_ser,
        alerts=al,
        changes=changes,
        coverage=cov,
        annotations=annotations.result(),
        explain=trust.explain(head["row"], s) if head.get("row") else {},
    )


# Two threads: an Overview's first reads (settings, channels, posts) run side by side,
# and two sessions' Overviews do not queue behind one thread.
_READ_WORKERS = 2
_READS: concurrent.futures.ThreadPoolExecutor | None = None
_READS_LOCK = threading.Lock()


def _read_pool() -> concurrent.futures.ThreadPoolExecutor:
    """The threads that run an Overview's side reads, started once per process: starting
    and joining a thread per Overview cost as much as a small query."""
    global _READS
    with _READS_LOCK:
        if _READS is None:
            _READS = concurrent.futures.ThreadPoolExecutor(
                max_workers=_READ_WORKERS, thread_name_prefix="trustdash-reads"
            )
        return _READS


def _channel_alerts(reads: Reads, f: Filters) -> pl.DataFrame:
    """Negative-spike alerts per channel at the filter's granularity (an empty frame without
    columns when there is no data)."""
    groups, periods, sums = reads.periods(f, "channel")
    if not groups:
        return pl.DataFrame()
    # Sorted by channel, then period, as the alerts need them.
    return trust.alerts_from_arrays(groups, periods.tolist(), sums["neg"], sums["total"])


def _change_drivers(
    store: Store, f: Filters, changes: Sequence[Mapping[str, Any]]
) -> list[pl.DataFrame]:
    """The comments behind each change, read at once for all of them: the first 3 distinct
    texts among the most negative comments of its channel where trust fell (the most
    positive where it rose), as ``distinct_texts(top_comments(...), 3)`` gives them."""
    tops = store.change_drivers(
        f,
        [c["group"] for c in changes if c["delta"] < 0],
        [c["group"] for c in changes if c["delta"] >= 0],
        per_channel=12,
    )
    shown = tops.select("created_at", "channel", "text", "label")
    keys = list(zip(tops.get_column("channel").to_list(), tops.get_column("label").to_list(),
                    strict=True))  # fmt: skip
    texts = tops.get_column("text").to_list()
    out = []
    for ch in changes:
        key = (ch["group"], "negative" if ch["delta"] < 0 else "positive")
        seen: set[str] = set()
        keep = []
        for i, row_key in enumerate(keys):
            if row_key != key:
                continue
            g = _gist(texts[i])
            if g and g not in seen:
                seen.add(g)
                keep.append(i)
            if len(keep) == 3:
                break
        out.append(shown[keep])
    return out


NO_REPLY_DATA = mark("no reply data in these exports")


def responsiveness(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    *,
    business_hours: bool = False,
) -> pl.DataFrame:
    """Reply rate, median/p90 first response, % within target and the distribution, per
    channel of the selection (delays in business hours only when asked). A channel whose
    exports carry no brand reply has no figures, only ``note`` = :data:`NO_REPLY_DATA`:
    its comments are not unanswered, their answers are not in the export."""
    s = _settings(store, settings)
    replies = dict(store.rollup_channel_replies())
    times = store.response_times(f)
    rows = []
    for (channel,), part in times.sort("channel").group_by(["channel"], maintain_order=True):
        target = s.target_hours(str(channel))
        hours = part.get_column("hours").to_list()
        if business_hours:
            starts = part.get_column("created_at").to_list()
            hours = [
                None if h is None
                else trust.business_hours_between(t, t + dt.timedelta(hours=h))
                for t, h in zip(starts, hours, strict=True)
            ]
        stats = _flatten(trust.response_stats(hours, target))
        if not replies.get(str(channel)):
            stats = {k: (v if k == "total" else None) for k, v in stats.items()}
        rows.append({"channel": channel, "target_hours": target, **stats,
                     "note": None if replies.get(str(channel)) else NO_REPLY_DATA})  # fmt: skip
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


# Where each platform's comment exports come from (a channel with posts only).
COMMENT_EXPORT_HINTS = {
    "facebook": mark("Meta Business Suite gives posts only: export comments with the Graph API "
                "(Facepager, the post's comments) or a tool such as Export Comments."),
    "instagram": mark("Meta Business Suite gives posts only: export comments with the Graph API "
                 "(Facepager, the post's comments) or a tool such as Export Comments."),
    "x": mark("X Analytics gives posts only: export replies and mentions with a listening tool "
         "(Brandwatch, Meltwater, Brand24, Sprout) or the X API."),
    "twitter": mark("X Analytics gives posts only: export replies and mentions with a listening "
               "tool (Brandwatch, Meltwater, Brand24, Sprout) or the X API."),
    "linkedin": mark("LinkedIn page analytics give posts only: export comments from a social "
                "suite (Sprout, Agorapulse) or a listening tool."),
    "tiktok": mark("TikTok Studio gives overview metrics only: export comments from a social suite "
              "or a listening tool."),
    "youtube": mark("YouTube Studio gives metrics only: export comments with Facepager "
               "(commentThreads) or YouTube Data API tools."),
}
DEFAULT_EXPORT_HINT = mark("Import the channel's comments, mentions or reviews (a listening tool or "
                       "the platform's API exports them) to score its trust.")


def comment_export_hint(channel: str) -> str:
    """How to get comment exports for a channel that has posts or metrics only."""
    return COMMENT_EXPORT_HINTS.get(channel.strip().lower(), DEFAULT_EXPORT_HINT)


def post_metrics(store: Store, f: Filters) -> pl.DataFrame:
    """Post metrics of the selection per channel and period (the filter's granularity),
    long form (``channel``, ``date``, ``metric``, ``value``): posts, engagements (likes,
    comments, shares, saves), reach, and advocacy (shares per engagement)."""
    f = resolve(store, f)
    posts = store.posts_frame(f, lookback_days=(f.end - f.start).days if f.start and f.end
                              else 365)  # fmt: skip
    if posts.height == 0:
        return pl.DataFrame(schema={"channel": pl.String, "date": pl.Date, "metric": pl.String,
                                    "value": pl.Float64})  # fmt: skip
    if f.start is not None:
        posts = posts.filter(pl.col("created_at") >= dt.datetime.combine(f.start, dt.time()))
    num = [pl.col(c).cast(pl.Float64).fill_null(0.0) for c in ("likes", "comments", "shares",
                                                                 "saves")]  # fmt: skip
    per = (
        posts.with_columns(
            date=pl.col("created_at").dt.truncate(PERIODS[f.granularity]).dt.date(),
            engagements=pl.sum_horizontal(num),
            reach=pl.coalesce(pl.col("reach"), pl.col("impressions")).cast(pl.Float64),
            shares=pl.col("shares").cast(pl.Float64).fill_null(0.0),
        )
        .group_by("channel", "date")
        .agg(pl.len().cast(pl.Float64).alias("posts"), pl.col("engagements").sum(),
             pl.col("reach").sum(), pl.col("shares").sum())  # fmt: skip
        .with_columns(
            advocacy=pl.when(pl.col("engagements") > 0)
            .then(pl.col("shares") / pl.col("engagements")).otherwise(None)
        )
    )
    return (
        per.unpivot(index=["channel", "date"], on=["posts", "engagements", "reach", "advocacy"],
                    variable_name="metric", value_name="value")  # fmt: skip
        .drop_nulls("value")
        .sort("channel", "metric", "date")
    )


def reply_channels(store: Store, f: Filters) -> tuple[str, ...]:
    """The selection's channels whose exports carry brand replies (where an unanswered
    comment means something)."""
    replied = [c for c, has in store.rollup_channel_replies() if has]
    return tuple(c for c in replied if not f.channels or c in f.channels)


def _flatten(stats: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in stats.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                out[f"{k}: {kk}"] = vv
        else:
            out[k] = v
    return out


_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOP = set(
    """the and for you are but not with this that have was your from they our all can has just
    les des une est pas que qui pour dans sur avec vous nous mais plus son ses aux par tout
    elle ils été être ont sont très cette ces""".split()
)


def separating_terms(
    texts: pl.DataFrame, top: int = 15, min_count: int = 3
) -> pl.DataFrame:
    """Words and two-word phrases that separate negative from positive comments.

    Score per term: log-odds ratio with a +1 prior, ``log((n_neg + 1)/(N_neg + V)) −
    log((n_pos + 1)/(N_pos + V))``; positive scores lean negative.
    """
    neg: Counter[str] = Counter()
    pos: Counter[str] = Counter()
    for text, label in texts.select("text", "label").iter_rows():
        if label not in ("positive", "negative") or not text:
            continue
        words = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
        terms = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
        (neg if label == "negative" else pos).update(terms)
    vocab = set(neg) | set(pos)
    if not vocab:
        return pl.DataFrame(schema={"term": pl.String, "score": pl.Float64, "leans": pl.String})
    n_neg, n_pos, v = sum(neg.values()), sum(pos.values()), len(vocab)
    rows = []
    for t in vocab:
        if neg[t] + pos[t] < min_count:
            continue
        score = math.log((neg[t] + 1) / (n_neg + v)) - math.log((pos[t] + 1) / (n_pos + v))
        rows.append({"term": t, "score": score, "negative": neg[t], "positive": pos[t]})
    if not rows:
        return pl.DataFrame(schema={"term": pl.String, "score": pl.Float64, "leans": pl.String})
    frame = pl.DataFrame(rows)
    worst = frame.sort("score", descending=True).head(top).with_columns(
        pl.lit("negative").alias("leans")
    )
    best = frame.sort("score").head(top).with_columns(pl.lit("positive").alias("leans"))
    return pl.concat([worst, best])


def campaign_phases(
    store: Store, campaign: str, settings: trust.TrustSettings | None = None
) -> pl.DataFrame:
    """Brand trust before, during and after a campaign (windows of the campaign's length)."""
    s = _settings(store, settings)
    windows = store.campaign_windows().filter(pl.col("campaign") == campaign)
    if windows.is_empty():
        return pl.DataFrame()
    start, end = windows.row(0)[1], windows.row(0)[2]
    length = (end - start).days + 1
    phases = {
        "before": (start - dt.timedelta(days=length), start - dt.timedelta(days=1)),
        "during": (start, end),
        "after": (end + dt.timedelta(days=1), end + dt.timedelta(days=length)),
    }
    rows = []
    for name, (a, b) in phases.items():
        f = Filters(start=a, end=b)
        head = brand_headline(store, f, s)
        rows.append(
            {
                "phase": name,
                "from": a,
                "to": b,
                "trust": head.get("trust"),
                "low": head.get("low"),
                "high": head.get("high"),
                "n": head.get("n", 0),
                "band": head.get("band"),
            }
        )
    return pl.DataFrame(rows)


def rank_stability(
    store: Store, f: Filters, by: str = "channel", settings: trust.TrustSettings | None = None
) -> dict[str, Any]:
    """Whether the ranking of ``by`` groups changes across the weight presets (each group
    scored from the same counts and components as its trust table)."""
    s = _settings(store, settings)
    f = resolve(store, f)
    reads = read(store, f, campaigns=by == "campaign")
    c = reads.counts(f, by, s)
    if tc.height(c) == 0:
        return {}
    return trust.rank_stability(_with_components(reads, f, c, by, None, s), s)


def channel_components(
    store: Store, f: Filters, channel: str, settings: trust.TrustSettings | None = None
) -> pl.DataFrame:
    """One channel's components per period (long form: period, component, value)."""
    ser = series(store, f.with_(channels=(channel,)), settings)
    if ser.is_empty():
        return ser
    return ser.select(["period", "trust", *trust.COMPONENTS]).unpivot(
        index=["period"], variable_name="component", value_name="value"
    )


def trust_json(store: Store, f: Filters, by: str) -> list[dict[str, Any]]:
    """The CLI's ``trust --json`` rows."""
    table = trust_table(store, f, by)
    out = []
    for r in table.iter_rows(named=True):
        shown = shown_score(r)
        # A band is the band of a shown score: without one it says why there is none.
        band = r["band"] if shown is not None or r["band"] == trust.NO_DATA else INSUFFICIENT_BAND
        out.append(
            {
                "group": r["group"],
                "trust": _r(shown),
                "low": _r(r["low"] if shown is not None else None),
                "high": _r(r["high"] if shown is not None else None),
                "n": int(r["n"] or 0),
                "band": band,
                "rank": r["rank"] if shown is not None else None,
                "components": {k: _r(r[k], 4) for k in trust.COMPONENTS},
                "flags": list(r["flags"] or []),
            }
        )
    return out


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(float(x), nd)


_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def _gist(text: str | None) -> str:
    """Text reduced to its words, to spot the same comment with other emojis."""
    return _NOT_WORD.sub(" ", (text or "").lower()).strip()


def distinct_texts(frame: pl.DataFrame, n: int) -> pl.DataFrame:
    """The first ``n`` rows whose texts differ by more than emojis and punctuation."""
    seen: set[str] = set()
    keep = []
    for i, text in enumerate(frame.get_column("text").to_list()):
        g = _gist(text)
        if g and g not in seen:
            seen.add(g)
            keep.append(i)
        if len(keep) == n:
            break
    return frame[keep]


def representative_comments(
    store: Store, f: Filters, n: int = 3
) -> list[dict[str, Any]]:
    """A few different comments that show the period: the most negative and most positive."""
    n_neg = max(1, n // 2 + n % 2)
    neg = distinct_texts(
        store.comments(f, limit=50, order="most_negative", label=("negative",)), n_neg
    )
    pos = distinct_texts(
        store.comments(f, limit=50, order="most_positive", label=("positive",)), n - neg.height
    )
    rows = [*neg.iter_rows(named=True), *pos.iter_rows(named=True)]
    return [
        {"channel": r["channel"], "created_at": r["created_at"], "text": r["text"],
         "label": r["label"]}
        for r in rows[:n]
    ]  # fmt: skip

