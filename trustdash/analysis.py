"""What the pages and the CLI show, computed from the store's rollups and the trust model.

Pages and the command line call these functions and only lay out their
results. No SQL here (that is :mod:`trustdash.store`), no formulas (that is
:mod:`trustdash.trust`): this module wires the two together per view.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import re
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from trustdash import trust
from trustdash.filters import NO_CAMPAIGN, Filters
from trustdash.store import Store, bucket_column
from trustdash.workspace import trust_settings

GROUPINGS = ("brand", "channel", "campaign", "day", "week", "month")


def _settings(store: Store, settings: trust.TrustSettings | None) -> trust.TrustSettings:
    return settings or trust_settings(store)


class _Memo:
    """Read-through cache of the store's reads for one computation, so the many views of
    the Overview do not read the same posts or weekly series again."""

    CACHED = frozenset(
        {"posts_frame", "weekly_sentiment", "channels", "reply_channels", "date_bounds",
         "campaigns", "trust_counts", "rollup_channels", "weekly_arrays", "count_arrays"}
    )  # fmt: skip

    def __init__(self, store: Store) -> None:
        self._store = store
        self._cache: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._store, name)
        if name not in self.CACHED:
            return attr

        def cached(*args: Any, **kwargs: Any) -> Any:
            key = (name, args, tuple(sorted(kwargs.items())))
            if key not in self._cache:
                self._cache[key] = attr(*args, **kwargs)
            return self._cache[key]

        return cached


def memo(store: Store) -> Store:
    """``store`` with its reads cached for the duration of one view's computation."""
    return store if isinstance(store, _Memo) else _Memo(store)  # type: ignore[return-value]


def resolve(store: Store, f: Filters) -> Filters:
    """Open-ended windows end at the last day with data (recency is counted from there)."""
    if f.start is not None and f.end is not None:
        return f
    lo, hi = store.date_bounds()
    return f.with_(start=f.start or lo, end=f.end or hi)


def _targets(store: Store, settings: trust.TrustSettings) -> dict[str, float]:
    # Only channels with rollup rows can be counted: no need to read the comments for names.
    return {c: settings.target_hours(c) for c in store.rollup_channels()}


def counts(
    store: Store,
    f: Filters,
    by: str,
    settings: trust.TrustSettings,
    *,
    then_by: str | None = None,
) -> pl.DataFrame:
    """Recency-weighted counts per group, with the reply-data flag the model needs."""
    frame = store.trust_counts(
        f,
        by,
        half_life_days=settings.half_life_days,
        # A tuple, so that the per-computation memo can reuse the result.
        targets=tuple(sorted(_targets(store, settings).items())),
        then_by=then_by,
    )
    flag = _reply_flags(store, f, by, then_by, frame)
    # Appended as a ready column: an expression would run a query plan per call.
    return frame.hstack([pl.Series("reply_data", flag, dtype=pl.Boolean)])


def _counts(
    store: Store,
    f: Filters,
    by: str,
    settings: trust.TrustSettings,
    *,
    then_by: str | None = None,
) -> trust.Table:
    """:func:`counts`, as named arrays when the store is an Overview's view (no frame)."""
    arrays = getattr(store, "count_arrays", None)
    table = None
    if arrays is not None:
        table = arrays(
            f, by, half_life_days=settings.half_life_days,
            targets=tuple(sorted(_targets(store, settings).items())), then_by=then_by,
        )  # fmt: skip
    if table is None:
        return counts(store, f, by, settings, then_by=then_by)
    flag = np.array(_reply_flags(store, f, by, then_by, table), dtype=bool)
    return {**table, "reply_data": flag}


def _reply_flags(
    store: Store, f: Filters, by: str, then_by: str | None, table: trust.Table
) -> list[bool]:
    """Per group: does its channel's export carry brand replies?"""
    reply_channels = set(store.reply_channels())
    if by == "channel" or then_by == "channel":
        names = trust._strings(table, "group" if by == "channel" else "sub") or []
        return [name in reply_channels for name in names]
    # Every reply channel is a store channel: without a channel filter, any will do.
    any_reply = bool(reply_channels & set(f.channels) if f.channels else reply_channels)
    return [any_reply] * trust._height(table)


PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}

# Rollup columns that the trust counts weight by recency.
_WEIGHTED = ("pos", "neg", "neu", "audience", "complaints", "actionable", "answered")
_PLAIN = ("unscored", "brand_replies", "n_en", "n_fr", "n_other")
_RAW = (("audience_raw", "audience"), ("actionable_raw", "actionable"),
        ("answered_raw", "answered"), ("in_target_raw", "_tgt"), ("neg_raw", "neg"),
        ("pos_raw", "pos"), ("complaints_raw", "complaints"))  # fmt: skip
_CONSTANT = ("brand", None)


class RollupDays:
    """Rows of :meth:`Store.rollup_days` (or :meth:`Store.rollup_rows`): the Overview
    aggregates them a dozen ways (groups, windows, weights), each a few array operations
    on a few thousand rows rather than a query or a dataframe plan. Campaigns are summed
    over (rows are filtered by campaign when read)."""

    def __init__(self, rows: Mapping[str, np.ndarray]) -> None:
        names = np.asarray(rows["channel"], dtype=object).tolist()
        self.channels = sorted(set(names))
        code = {c: i for i, c in enumerate(self.channels)}
        codes = np.fromiter((code[c] for c in names), dtype=np.int64, count=len(names))
        days = np.asarray(rows["day"]).astype("datetime64[D]").astype(np.int64)
        first = int(days.min()) if len(days) else 0
        span = int(days.max()) - first + 1 if len(days) else 1
        # Summed over campaigns once: every later aggregation reads one row per channel-day.
        keys, index = _dense(codes * span + (days - first), len(self.channels) * span)
        self.code = keys // span
        self.day = (keys % span + first).astype("datetime64[D]")
        self._names = [c for c in rows if c not in ("channel", "day", "campaign")]
        # The count columns side by side, nulls as 0: a grouping gathers its rows once for
        # all of them.
        matrix = np.column_stack([np.asarray(rows[c], dtype=float) for c in self._names]
                                 or [np.zeros(len(codes))])  # fmt: skip
        matrix[np.isnan(matrix)] = 0.0
        if len(keys) == len(codes):
            # One row per channel-day already (Store.rollup_days): only put them in order.
            order = np.empty(len(keys), dtype=np.intp)
            order[index] = np.arange(len(keys))
            self._matrix = matrix[order]
        else:
            width = matrix.shape[1]
            self._matrix = np.bincount(
                (index[:, None] * width + np.arange(width)).ravel(),
                weights=matrix.ravel(), minlength=len(keys) * width,
            ).reshape(len(keys), width)  # fmt: skip
        self.cols = {c: self._matrix[:, j] for j, c in enumerate(self._names)}
        self._at = {c: j for j, c in enumerate(self._names)}
        self._period_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._blocks: dict[Any, tuple[list[str], np.ndarray]] = {}
        self._windows: dict[Any, np.ndarray] = {}

    def _keys(self, dim: str | None, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Each row's group code under ``dim`` and the (sorted) group names."""
        if dim is None or dim == "brand":
            return np.zeros(len(rows), dtype=np.int64), ["brand" if dim else ""]
        if dim == "channel":
            return self.code[rows], self.channels
        if dim in PERIODS:
            starts, codes = self._periods(dim)
            present, inverse = _dense(codes[rows], len(starts))
            return inverse, list(np.datetime_as_string(starts[present], unit="D"))
        raise ValueError(f"rollup days are summed over campaigns: no {dim!r} key")

    def _periods(self, dim: str) -> tuple[np.ndarray, np.ndarray]:
        """The period starts of the whole rollup (sorted) and each row's period code."""
        if dim not in self._period_codes:
            starts, codes = np.unique(_period_start(self.day, dim), return_inverse=True)
            self._period_codes[dim] = (starts, codes.astype(np.int64))
        return self._period_codes[dim]

    def _window(self, f: Filters) -> np.ndarray:
        """Positions of the rows of ``f``'s days (each window is asked for several times)."""
        key = (f.start, f.end)
        if key not in self._windows:
            keep = np.ones(len(self.day), dtype=bool)
            if f.start is not None:
                keep &= self.day >= np.datetime64(f.start, "D")
            if f.end is not None:
                keep &= self.day <= np.datetime64(f.end, "D")
            self._windows[key] = np.flatnonzero(keep)
        return self._windows[key]

    def _groups(
        self, rows: np.ndarray, by: str, then_by: str | None
    ) -> tuple[np.ndarray, list[str], list[str] | None, int]:
        """Dense group index per row, the groups' names (and sub-names), sorted by name."""
        g_code, g_names = self._keys(by, rows)
        s_code, s_names = self._keys(then_by, rows)
        present, inverse = _dense(g_code * len(s_names) + s_code, len(g_names) * len(s_names))
        groups = [g_names[k] for k in (present // len(s_names)).tolist()]
        subs = [s_names[k] for k in (present % len(s_names)).tolist()] if then_by else None
        return inverse, groups, subs, len(present)

    def count_arrays(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> dict[str, Any]:
        """The columns of :meth:`counts` as arrays (names as lists; nulls as NaN)."""
        rows = self._window(f)
        index, groups, subs, k = self._groups(rows, by, then_by)
        # The brand and the channels of one window weigh the same rows alike: their
        # weighted columns are made once.
        key = (f.start, f.end, half_life_days, tuple(sorted(targets.items())), default_target,
               by if by in PERIODS else None)  # fmt: skip
        if key not in self._blocks:
            self._blocks[key] = self._block(
                f, rows, by, half_life_days=half_life_days, targets=targets,
                default_target=default_target,
            )  # fmt: skip
        names, block = self._blocks[key]
        # Weighted and raw columns, summed per group in one pass, each in row order (the
        # order bincount adds in, so the sums are those of one bincount per column).
        width = block.shape[1]
        sums = np.bincount(
            (index[:, None] * width + np.arange(width)).ravel(),
            weights=block.ravel(),
            minlength=k * width,
        ).astype(float)  # over no rows bincount counts in integers
        total = dict(zip(names, sums.reshape(k, width).T, strict=True))
        return self._count_columns(total, by, then_by, groups, subs, k)

    def _block(
        self,
        f: Filters,
        rows: np.ndarray,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float],
        default_target: float,
    ) -> tuple[list[str], np.ndarray]:
        """The rows' columns to sum: recency-weighted counts, then raw ones."""
        day = self.day[rows]
        if by in PERIODS:
            age = (_period_end(day, by) - day).astype(np.int64)
        else:
            age = (np.datetime64(f.end or dt.date.today(), "D") - day).astype(np.int64)
        w = trust.recency_weight(age, half_life_days) if len(rows) else np.zeros(0)
        w = np.asarray(w, dtype=float)
        m = self._matrix[rows]
        at = self._at
        # Each row's answered-in-target count: the bucket of its channel's target.
        bucket = np.array(
            [at[bucket_column(targets.get(name, default_target))] for name in self.channels]
            or [at[bucket_column(default_target)]],
            dtype=np.intp,
        )
        tgt = m[np.arange(len(rows)), bucket[self.code[rows]]]
        plain = list(dict.fromkeys([*_PLAIN, "rating_n", "rating_sum", "audience",
                                    *(c for _, c in _RAW if c != "_tgt")]))  # fmt: skip
        names = [*(f"w.{c}" for c in _WEIGHTED), "w._tgt", "polar",
                 *(f"r.{c}" for c in plain), "r._tgt"]  # fmt: skip
        block = np.column_stack(
            [
                m[:, [at[c] for c in _WEIGHTED]] * w[:, None],
                w * tgt,
                m[:, at["pos"]] + m[:, at["neg"]],
                m[:, [at[c] for c in plain]],
                tgt,
            ]
        )
        return names, block

    @staticmethod
    def _count_columns(
        total: Mapping[str, np.ndarray],
        by: str,
        then_by: str | None,
        groups: list[str],
        subs: list[str] | None,
        k: int,
    ) -> dict[str, Any]:
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(total["r.rating_n"] > 0, total["r.rating_sum"] / total["r.rating_n"],
                           np.nan)  # fmt: skip
        out: dict[str, Any] = {"group": groups}
        if then_by:
            out["sub"] = subs
        out.update({c: total[f"w.{c}"] for c in _WEIGHTED})
        out["answered_in_target"] = total["w._tgt"]
        out["n_raw"] = np.round(total["r.audience"]).astype(np.int64)
        out["polar_raw"] = np.round(total["polar"]).astype(np.int64)
        out.update({c: total[f"r.{c}"] for c in _PLAIN})
        out["avg_rating"] = avg
        out.update({name: total[f"r.{c}"] for name, c in _RAW})
        if k == 0 and by in _CONSTANT and then_by in _CONSTANT:
            # As in SQL, a constant grouping (brand) over no rows is one row of null sums.
            out = {name: np.full(1, np.nan) for name in out}
            out["group"] = [by]
            if then_by:
                out["sub"] = [then_by]
        return out

    def counts(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> pl.DataFrame:
        """See :func:`counts_from_days`."""
        return _counts_frame(self.count_arrays(
            f, by, half_life_days=half_life_days, targets=targets,
            default_target=default_target, then_by=then_by,
        ))  # fmt: skip

    def sentiment_arrays(
        self, f: Filters, by: str, granularity: str
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """The rows of :meth:`sentiment` as arrays: group names, period starts
        (``datetime64[D]``) and the ``pos``, ``neg`` and ``total`` sums."""
        rows = self._window(f)
        g_code, g_names = self._keys(by, rows)
        starts, codes = self._periods(granularity)
        # Sorted by group, then period: the order of the store's ORDER BY 1, 2.
        n_periods = max(len(starts), 1)
        present, index = _dense(g_code * n_periods + codes[rows], len(g_names) * n_periods)
        groups = [g_names[k] for k in (present // n_periods).tolist()]
        sums = {
            name: np.bincount(index, weights=self.cols[c][rows], minlength=len(present))
            for name, c in (("pos", "pos"), ("neg", "neg"), ("total", "audience"))
        }
        return groups, starts[present % n_periods] if len(starts) else starts, sums

    def sentiment(self, f: Filters, by: str, granularity: str) -> pl.DataFrame:
        """:meth:`Store.weekly_sentiment` / :meth:`Store.period_sentiment` rows."""
        groups, periods, sums = self.sentiment_arrays(f, by, granularity)
        return pl.DataFrame(
            [
                pl.Series("group", groups, dtype=pl.String),
                pl.Series("period", periods.astype("datetime64[D]"), dtype=pl.Date),
                *(pl.Series(name, v.astype(float)) for name, v in sums.items()),
            ]
        )


def _dense(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(codes, return_inverse=True)`` for codes in ``[0, size)``, by counting
    rather than sorting (codes of a few thousand rows over a few hundred values)."""
    seen = np.bincount(codes, minlength=size) > 0
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[codes]


# Integer columns of a counts frame; every other column but the names is Float64.
_INT_COUNTS = ("n_raw", "polar_raw")


def _counts_frame(table: Mapping[str, Any]) -> pl.DataFrame:
    """The frame of :meth:`RollupDays.count_arrays` (the store's trust_counts columns)."""
    out = []
    for name, value in table.items():
        if name in ("group", "sub"):
            out.append(pl.Series(name, value, dtype=pl.String))
        elif name in _INT_COUNTS and value.dtype.kind == "i":
            out.append(pl.Series(name, value))
        elif name in _INT_COUNTS:  # a row of nulls
            out.append(pl.Series(name, value, nan_to_null=True).cast(pl.Int64))
        else:
            out.append(pl.Series(name, value, nan_to_null=True))
    return pl.DataFrame(out)


def _period_start(day: np.ndarray, dim: str) -> np.ndarray:
    if dim == "day":
        return day
    if dim == "week":
        # 1970-01-01 was a Thursday: (days + 3) % 7 is the weekday, Monday = 0.
        return day - (day.astype(np.int64) + 3) % 7
    return day.astype("datetime64[M]").astype("datetime64[D]")


def _period_end(day: np.ndarray, dim: str) -> np.ndarray:
    if dim == "day":
        return day
    if dim == "week":
        return _period_start(day, "week") + 6
    return (day.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1


def counts_from_days(
    days: Mapping[str, np.ndarray] | RollupDays,
    f: Filters,
    by: str,
    *,
    half_life_days: float,
    targets: Mapping[str, float],
    default_target: float = 24.0,
    then_by: str | None = None,
) -> pl.DataFrame:
    """:meth:`Store.trust_counts` computed from :meth:`Store.rollup_rows` already
    restricted to ``f``'s channels and campaigns (same columns, groups and order).

    Per rollup day, weight ``w = 0.5 ** (max(0, age_days) / H)`` (``w = 1`` when
    ``H = half_life_days`` is 0), the age counted from the end of the day's own period for
    period groups, else from ``f.end``; weighted counts ``Σ w·x`` for P, N, neutral,
    audience, complaints, actionable, answered and answered within the channel's target
    (``targets``, else ``default_target`` hours, snapped to a rollup bucket); raw sums
    beside them.
    """
    rollup = days if isinstance(days, RollupDays) else RollupDays(days)
    return rollup.counts(
        f, by, half_life_days=half_life_days, targets=targets,
        default_target=default_target, then_by=then_by,
    )  # fmt: skip


class _RollupView:
    """The store, with the rollup reads of one Overview answered from a single read of the
    daily rollup (summed over campaigns) and one of the posts, instead of a query per view
    and window; counts and weekly sums are handed over as arrays where asked for.

    Covers the window ``f``, its previous window and the consistency look-back (12 weeks
    before), for ``f``'s channels and campaigns; any other read goes to the store.
    """

    def __init__(
        self,
        store: Store,
        f: Filters,
        start: dt.date,
        pool: concurrent.futures.Executor | None = None,
    ) -> None:
        assert f.end is not None
        self._store = store
        self._f = f
        self._percentiles: dict[Any, pl.DataFrame] = {}
        self._start = start
        # The small reads go to ``pool`` while this thread reads the rollup (DuckDB
        # releases the GIL; each read has its own cursor).
        run = pool.submit if pool is not None else _done
        self._replies = run(store.rollup_channel_replies)
        # The posts of every window's trailing year (percentile components).
        self._posts_from = start - dt.timedelta(days=365)
        self._posts_read = run(
            store.posts_frame, f, lookback_days=(f.end - start).days + 365
        )
        self._days = RollupDays(store.rollup_days(f.with_(start=start)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def _posts(self) -> pl.DataFrame:
        return self._posts_read.result()

    def rollup_channels(self) -> list[str]:
        return [c for c, _ in self._channel_replies()]

    def reply_channels(self) -> list[str]:
        return [c for c, replies in self._channel_replies() if replies]

    def _channel_replies(self) -> list[tuple[str, bool]]:
        return self._replies.result()

    def _covers(self, g: Filters) -> bool:
        return (
            g.start is not None
            and g.end is not None
            and g.start >= self._start
            and g.end <= self._f.end  # type: ignore[operator]
            and g.channels == self._f.channels
            and g.campaigns == self._f.campaigns
        )

    def trust_counts(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float] | Sequence[tuple[str, float]],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> pl.DataFrame:
        if not self._covers(f) or "campaign" in (by, then_by):
            return self._store.trust_counts(
                f, by, half_life_days=half_life_days, targets=targets,
                default_target=default_target, then_by=then_by,
            )  # fmt: skip
        return self._days.counts(
            f, by, half_life_days=half_life_days, targets=dict(targets),
            default_target=default_target, then_by=then_by,
        )  # fmt: skip

    def count_arrays(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float] | Sequence[tuple[str, float]],
        then_by: str | None = None,
    ) -> dict[str, Any] | None:
        """:meth:`trust_counts` as named arrays (None: not covered here)."""
        if not self._covers(f) or "campaign" in (by, then_by):
            return None
        return self._days.count_arrays(
            f, by, half_life_days=half_life_days, targets=dict(targets), then_by=then_by
        )

    def weekly_sentiment(self, f: Filters, by: str = "brand") -> pl.DataFrame:
        if not self._covers(f) or by == "campaign":
            return self._store.weekly_sentiment(f, by)
        return self._days.sentiment(f, by, "week")

    def weekly_arrays(self, f: Filters, by: str = "brand") -> _Weekly | None:
        """:meth:`weekly_sentiment` as the arrays S6 reads (None: not covered here)."""
        if not self._covers(f) or by == "campaign":
            return None
        groups, periods, sums = self._days.sentiment_arrays(f, by, "week")
        return groups, periods, sums["pos"], sums["neg"]

    def period_arrays(
        self, f: Filters, by: str = "brand"
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]] | None:
        """:meth:`period_sentiment` as arrays (None: not covered here)."""
        if not self._covers(f) or by == "campaign":
            return None
        return self._days.sentiment_arrays(f, by, f.granularity)

    def period_sentiment(self, f: Filters, by: str = "brand") -> pl.DataFrame:
        if not self._covers(f) or by == "campaign":
            return self._store.period_sentiment(f, by)
        return self._days.sentiment(f, by, f.granularity)

    def post_percentiles(self, f: Filters) -> pl.DataFrame:
        key = (f.start, f.end, f.channels)
        if key not in self._percentiles:
            self._percentiles[key] = trust.component_percentiles(
                self.posts_frame(f), f.start, f.end
            )
        return self._percentiles[key]

    def posts_frame(self, f: Filters, *, lookback_days: int = 365) -> pl.DataFrame:
        if (
            f.end is None
            or f.end > self._f.end  # type: ignore[operator]
            or f.channels != self._f.channels
            or f.end - dt.timedelta(days=lookback_days) < self._posts_from
        ):
            return self._store.posts_frame(f, lookback_days=lookback_days)
        if self._posts.height == 0:
            return self._posts
        t = pl.col("created_at")
        return self._posts.filter(
            (t < dt.datetime.combine(f.end + dt.timedelta(days=1), dt.time()))
            & (t >= dt.datetime.combine(f.end - dt.timedelta(days=lookback_days), dt.time()))
        )


def _done(fn: Any, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
    """``fn(*args, **kwargs)`` run now, as a finished future (no pool to run it beside)."""
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    try:
        future.set_result(fn(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - handed over to whoever reads the result
        future.set_exception(exc)
    return future


def _key_expr(posts: pl.DataFrame, dim: str) -> pl.Expr:
    """The posts' value of a grouping dimension, spelled like the store's group keys."""
    if dim == "brand":
        return pl.lit("brand")
    if dim == "channel":
        return pl.col("channel").cast(pl.String)
    if dim == "campaign":
        return pl.col("campaign").cast(pl.String).fill_null(NO_CAMPAIGN)
    return pl.col("created_at").dt.truncate(PERIODS[dim]).dt.date().cast(pl.String)


def _percentiles(store: Store, f: Filters) -> pl.DataFrame:
    """The window's posts with their S4/S5 percentiles (:func:`trust.component_percentiles`),
    computed once per window when the store is an Overview's view."""
    shared = getattr(store, "post_percentiles", None)
    if shared is not None:
        return shared(f)
    return trust.component_percentiles(store.posts_frame(f), f.start, f.end)


def _with_components(
    store: Store,
    f: Filters,
    c: trust.Table,
    by: str,
    then_by: str | None,
    s: trust.TrustSettings,
) -> trust.Table:
    """Add S4, S5 (from posts) and S6 (from weekly sentiment) to a counts table (a frame, or
    named arrays: the same kind comes back).

    For period groups the S6 window is the 12 weeks ending at each period's end;
    otherwise the 12 weeks ending at the filter's end.
    """
    n = trust._height(c)
    s4, s5 = np.full(n, np.nan), np.full(n, np.nan)
    posts = _percentiles(store, f)
    if posts.height:
        post_key = _key_expr(posts, by) + "\x1f" + (
            _key_expr(posts, then_by) if then_by else pl.lit("")
        )
        means = (
            posts.group_by(post_key.alias("_key"))
            .agg(pl.col("p4").mean().alias("s4"), pl.col("p5").mean().alias("s5"))
        )  # fmt: skip
        found = dict(zip(means.get_column("_key").to_list(),
                         zip(means.get_column("s4").to_list(), means.get_column("s5").to_list(),
                             strict=True), strict=True))  # fmt: skip
        groups = trust._strings(c, "group") or []
        subs = (trust._strings(c, "sub") or []) if then_by else [""] * n
        for i, (group, sub) in enumerate(zip(groups, subs, strict=True)):
            # A null name matches no post (as a join on the key would not).
            mean = found.get(group + "\x1f" + sub) if group is not None and sub is not None else None
            if mean is not None:
                s4[i] = np.nan if mean[0] is None else mean[0]
                s5[i] = np.nan if mean[1] is None else mean[1]
    dims = [d for d in (by, then_by) if d in ("brand", "channel", "campaign")]
    period = by if by in PERIODS else (then_by if then_by in PERIODS else None)
    dim = dims[0] if dims else "brand"
    end = f.end or dt.date.today()
    start = (f.start or end) - dt.timedelta(weeks=12)
    weekly = _weekly(store, f.with_(start=start, end=end), dim)
    mu = trust.pooled_prior(c, s.prior_strength)["S1"]
    s6 = _s6_per_row(c, weekly, by, then_by, dim, period, end, s.prior_strength, mu)
    if isinstance(c, pl.DataFrame):
        # Ready columns, not expressions: each expression would run a query plan.
        return c.hstack([pl.Series(name, x, dtype=pl.Float64, nan_to_null=True)
                         for name, x in (("s4", s4), ("s5", s5), ("s6", s6))])  # fmt: skip
    return {**c, "s4": s4, "s5": s5, "s6": s6}


_Weekly = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]


def _weekly(store: Store, f: Filters, dim: str) -> _Weekly:
    """Weekly positive and negative counts per ``dim`` group as arrays: group names, week
    starts (``datetime64[D]``), P, N (an Overview's view sums them without a frame)."""
    arrays = getattr(store, "weekly_arrays", None)
    if arrays is not None:
        found = arrays(f, dim)
        if found is not None:
            return found
    weekly = store.weekly_sentiment(f, dim)
    return (
        weekly.get_column("group").cast(pl.String).to_list(),
        weekly.get_column("period").to_numpy().astype("datetime64[D]"),
        weekly.get_column("pos").cast(pl.Float64).fill_null(0.0).to_numpy(),
        weekly.get_column("neg").cast(pl.Float64).fill_null(0.0).to_numpy(),
    )


def _s6_per_row(
    c: trust.Table,
    weekly: _Weekly,
    by: str,
    then_by: str | None,
    dim: str,
    period: str | None,
    end: dt.date,
    m: float,
    mu: float,
) -> np.ndarray:
    """S6 of every row of ``c`` from the weekly sentiment of its ``dim`` group, over the
    12 weeks ending at the row's period end (or ``end``); NaN where S6 is missing.

    The weeks (Mondays) in ``(p_end − 12 weeks, p_end]`` are exactly the 12 ending with
    ``p_end``'s own week, so each row's window is a fixed-width slice of a group × week
    grid (weeks without rows count zero, which S6 skips as weeks without data).
    """
    names, periods, week_pos, week_neg = weekly
    rows = trust._height(c)
    if rows == 0 or len(names) == 0:
        return np.full(rows, np.nan)
    groups = {g: i for i, g in enumerate(dict.fromkeys(names))}
    base = periods.min()
    days = (periods - base).astype(np.int64)
    n_weeks = int(days.max()) // 7 + 1
    grid_pos = np.zeros((len(groups), n_weeks))
    grid_neg = np.zeros((len(groups), n_weeks))
    gi = np.array([groups[g] for g in names], dtype=np.int64)
    grid_pos[gi, days // 7] = week_pos
    grid_neg[gi, days // 7] = week_neg
    if by == dim:
        keys = trust._strings(c, "group") or []
    elif then_by == dim:
        keys = trust._strings(c, "sub") or []
    else:
        keys = ["brand"] * rows
    if period:
        starts = np.array(trust._strings(c, "group" if by == period else "sub"),
                          dtype="datetime64[D]")  # fmt: skip
        ends = _period_end(starts, period)
    else:
        ends = np.full(rows, np.datetime64(end, "D"))
    # The grid starts on a Monday: floor division finds each end's own week.
    last_week = (ends - np.datetime64(base, "D")).astype(np.int64) // 7
    cols = last_week[:, None] - np.arange(11, -1, -1)[None, :]
    row_group = np.array([groups.get(k, -1) for k in keys], dtype=np.int64)
    ok = (row_group[:, None] >= 0) & (cols >= 0) & (cols < n_weeks)
    safe_g = np.where(row_group >= 0, row_group, 0)[:, None]
    safe_c = np.clip(cols, 0, n_weeks - 1)
    pos = np.where(ok, grid_pos[safe_g, safe_c], 0.0)
    neg = np.where(ok, grid_neg[safe_g, safe_c], 0.0)
    return trust.s6_from_windows(pos, neg, m, mu)




def _scored_table(
    store: Store,
    f: Filters,
    by: str,
    s: trust.TrustSettings,
    prior: Mapping[str, float] | None = None,
) -> tuple[trust.Table, trust._Scored] | None:
    """What :func:`trust_table` is made of: the counts with their components and their
    scoring (None when there are no counts), before any frame of scores is built."""
    f = resolve(store, f)
    c = _counts(store, f, by, s)
    if trust._height(c) == 0:
        return None
    c = _with_components(store, f, c, by, None, s)
    return c, trust._score(c, s, prior)


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
    return _trust_frame(_scored_table(store, f, by, s, prior), by)


def _trust_frame(found: tuple[trust.Table, trust._Scored] | None, by: str) -> pl.DataFrame:
    """:func:`trust_table`'s frame from what :func:`_scored_table` found."""
    if found is None:
        return pl.DataFrame(schema=trust.SCORE_SCHEMA)
    c, scored = found
    groups = trust._strings(c, "group") or []
    if None in groups:  # a null group matches nothing in a join: keep its semantics
        out = scored.frame.join(
            pl.DataFrame([pl.Series("group", groups, dtype=pl.String), *_columns(c, _EXTRA)]),
            on="group", how="left",
        )  # fmt: skip
        return out.sort("group") if by in PERIODS else out.sort("rank", nulls_last=True)
    # The rows are built in their final order (a stable sort, as the frame's sort keeps
    # the order of equal keys), with the extra columns of the (distinct) groups beside.
    if by in PERIODS:
        order = sorted(range(len(groups)), key=groups.__getitem__)
    else:
        ranks = scored.details()["rank"]
        order = sorted(range(len(ranks)), key=lambda i: (ranks[i] is None, ranks[i] or 0))
    return scored.frame_of(order=order).hstack(_columns(c, _EXTRA, order))


def _columns(
    c: trust.Table, names: Sequence[str], order: Sequence[int] | None = None
) -> list[pl.Series]:
    """Columns ``names`` of a counts table (Float64, nulls for NaN in named arrays), rows
    in ``order`` (positions) when given."""
    rows = None if order is None else np.asarray(order, dtype=np.intp)
    if isinstance(c, pl.DataFrame):
        return [c.get_column(name) if rows is None else c.get_column(name).gather(rows)
                for name in names]  # fmt: skip
    return [
        pl.Series(name, np.asarray(c[name], dtype=float)[slice(None) if rows is None else rows],
                  nan_to_null=True)
        for name in names
    ]  # fmt: skip


def _first(c: trust.Table, names: Sequence[str]) -> dict[str, Any]:
    """The first row's values of columns ``names`` (None for nulls), as in ``frame.row``."""
    if isinstance(c, pl.DataFrame):
        return {name: c.get_column(name)[0] for name in names}
    return {name: None if np.isnan(c[name][0]) else float(c[name][0]) for name in names}


def _rescoring(found: tuple[trust.Table, trust._Scored] | None) -> trust.Table:
    """What a channel-equal total reads of a channel table, without building the table."""
    if found is None:
        return pl.DataFrame(schema=trust.SCORE_SCHEMA)
    return found[1].rescoring_table()

# Columns of the counts that a trust table shows beside the scores.
_EXTRA = (
    "unscored", "n_en", "n_fr", "n_other", "avg_rating", "brand_replies", "actionable_raw",
    "answered_raw", "in_target_raw", "neg_raw", "pos_raw", "complaints_raw", "audience_raw",
)  # fmt: skip


_BRAND_PRIOR = {"S1": 0.5, "S2": 0.5, "S3": 0.5}


def _brand_row(store: Store, f: Filters, s: trust.TrustSettings) -> dict[str, Any] | None:
    """The one row of ``trust_table(store, f, "brand", s, prior=0.5 each)`` as a dict (None
    when that table is empty), without building the table: a headline needs one row."""
    found = _scored_table(store, f, "brand", s, _BRAND_PRIOR)
    if found is None:
        return None
    c, scored = found
    return {**scored.row(0), **_first(c, _EXTRA)}


def brand_headline(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    per_channel: trust.Table | None = None,
) -> dict[str, Any]:
    """The brand's Trust Score for the window, volume-weighted and channel-equal
    (``per_channel``: the channel table, or the arrays of it a channel-equal total reads)."""
    s = _settings(store, settings)
    if per_channel is None:
        per_channel = trust_table(store, f, "channel", s)
    row = _brand_row(store, f, s)
    if row is None:
        return {"trust": None, "band": trust.NO_DATA, "n": 0, "row": None}
    equal = (
        trust.brand_total(per_channel, s, "channel_equal") if trust._height(per_channel) else None
    )
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
        "channel_equal": equal,
    }


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
    store = memo(store)
    s = _settings(store, settings)
    f = resolve(store, f)
    gran = f.granularity
    # Each point's interval is drawn as a band, one per channel and period (about 200 in
    # a six-month Overview): its edges need not the headline's precision, and the Beta
    # draws are the largest part of the Overview's cost.
    point_settings = dataclasses.replace(s, draws=min(s.draws, _POINT_DRAWS))
    c = _counts(store, f, gran, s, then_by="brand" if by == "brand" else "channel")
    if trust._height(c) == 0:
        return pl.DataFrame()
    c = _with_components(store, f, c, gran, "brand" if by == "brand" else "channel", s)
    if level is None:
        level = trust_table(store, f, by if by != "brand" else "brand", s)
    priors = {
        g: {"S1": s1, "S2": s2, "S3": s3 or 0.5}
        for g, s1, s2, s3 in zip(*(level.get_column(n).to_list() for n in ("group", "S1", "S2", "S3")),
                                 strict=True)  # fmt: skip
        if s1 is not None
    }
    # All channels' periods in one pass, each channel shrunk toward its own level.
    scored = trust._score_partitions(c, point_settings, "sub", priors)
    # Rows built in their final order, by channel then period (stable, as the frame's sort),
    # with ready columns, not expressions (each would run a query plan): the channel
    # replaces the score frame's empty one, the period is the group read as a date.
    subs, groups = trust._strings(c, "sub") or [], trust._strings(c, "group") or []
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
    c = _counts(store, f, "brand", settings)
    if trust._height(c) == 0:
        return {"comments": 0, "unscored_share": None, "languages": {}, "brand_replies": 0}
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

    One computation reads the store a handful of times: the daily rollup rows once for
    the window, the previous window and S6's 12-week look-back (:class:`RollupDays`), the
    posts once for both windows' percentile components, and the comments behind the
    biggest changes in one query. Every table (channels, brand, previous window, series,
    alerts, coverage) is aggregated from those, with the same results as reading each
    from the store. A channel scored again for the channel-equal total reuses its
    Monte-Carlo draws (:func:`trust.shared_draws`). Nothing is kept between calls (the
    reading threads are started once per process).
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
    store = memo(store)
    f = resolve(store, f)
    prev_f = f.previous()
    # The reads that the Python work does not wait for at once run beside it (DuckDB
    # releases the GIL; each read has its own cursor).
    pool = _read_pool()
    saved = pool.submit(_settings, store, settings)
    if f.start is not None and f.end is not None:
        # One read of the rollup for both windows and S6's 12-week look-back.
        first = prev_f.start if prev_f and prev_f.start else f.start
        view = _RollupView(store, f, first - dt.timedelta(weeks=12), pool)
        store = memo(view)  # type: ignore[arg-type]
    annotations = pool.submit(store.annotations, f)
    s = saved.result()
    found = _scored_table(store, f, "channel", s)
    # The previous window's table is not shown: only what the changes and the previous
    # channel-equal total read of it is built.
    prev_found = _scored_table(store, prev_f, "channel", s) if prev_f else None
    # The changes need no interval: they are known, and the comments behind them asked
    # for, before any Monte-Carlo draw.
    changes = (
        trust._biggest_changes(found[1].change_rows() if found else [],
                               prev_found[1].change_rows() if prev_found else [], 3)
        if prev_f else []
    )  # fmt: skip
    # The comments behind each change: the worst ones where trust fell, the best where
    # it rose; one read for all the changes.
    drivers = pool.submit(_change_drivers, store, f, changes) if changes else None
    channels = _trust_frame(found, "channel")
    # The channel-equal totals score the channel tables again: from their arrays.
    head = brand_headline(store, f, s, _rescoring(found))
    prev = brand_headline(store, prev_f, s, _rescoring(prev_found)) if prev_f else None
    delta = None
    if prev and prev.get("trust") is not None and head.get("trust") is not None:
        delta = float(head["trust"]) - float(prev["trust"])
    ser = series(store, f, s, level=channels)
    # Only the Brief and the report draw the brand's own trend.
    brand_ser = series(store, f, s, by="brand") if with_brand_series else pl.DataFrame()
    al = _channel_alerts(store, f)
    cov = coverage(store, f, s)
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


def _channel_alerts(store: Store, f: Filters) -> pl.DataFrame:
    """Negative-spike alerts per channel at the filter's granularity (an empty frame without
    columns when there is no data); an Overview's view hands over its sums as arrays."""
    arrays = getattr(store, "period_arrays", None)
    found = arrays(f, "channel") if arrays is not None else None
    if found is None:
        per_period = store.period_sentiment(f, "channel")
        if not per_period.height:
            return pl.DataFrame()
        return trust.alerts(per_period.select("group", "period", "neg", "total"))
    groups, periods, sums = found
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


def responsiveness(
    store: Store,
    f: Filters,
    settings: trust.TrustSettings | None = None,
    *,
    business_hours: bool = False,
) -> pl.DataFrame:
    """Reply rate, median/p90 first response, % within target and the distribution, per
    channel of the selection (delays in business hours only when asked)."""
    s = _settings(store, settings)
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
        stats = trust.response_stats(hours, target)
        rows.append({"channel": channel, "target_hours": target, **_flatten(stats)})
    return pl.DataFrame(rows) if rows else pl.DataFrame()


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
    import math

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
    s = _settings(store, settings)
    c = counts(store, f, by, s)
    if c.is_empty():
        return {}
    return trust.rank_stability(c, s)


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
        out.append(
            {
                "group": r["group"],
                "trust": _r(r["trust"]),
                "low": _r(r["low"]),
                "high": _r(r["high"]),
                "n": int(r["n"] or 0),
                "band": r["band"],
                "rank": r["rank"],
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

