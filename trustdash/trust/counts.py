"""The one aggregation path: stored rollup rows in, the counts of every component out, for
every grouping (brand, channel, campaign, day, week, month) and every filter.

The store keeps a daily rollup (one row per channel, campaign and day, see
:mod:`trustdash.trust.components` for which comments each column counts) and hands its
rows over as they are. :class:`Rollup` sums them here, on both backends alike:

* per row, recency weight ``w = 0.5 ** (max(0, age_days) / H)`` (``w = 1`` when the
  half-life ``H`` is 0), the age counted from the end of the row's own period for period
  groups, else from the end of the filter's window;
* weighted sums ``Σ w·x`` of P, N, neutral, audience, complaints, actionable, answered,
  and answered within the channel's target (the rollup bucket of the channel's target
  time); raw sums beside them for display;
* a channel without reply data adds nothing to any group's Act and R (S3 is not
  measurable there), and a group's ``reply_data`` says whether any of its channels has
  reply data.

A :data:`Counts` table is a mapping of column names to arrays: ``group`` (and ``sub``
for a two-level grouping) as lists of names, every count a float array.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import polars as pl

from trustdash.filters import NO_CAMPAIGN, Filters
from trustdash.store import bucket_column
from trustdash.trust.model import recency_weight

# A counts table: column names to arrays (names as lists of strings).
Counts = Mapping[str, Any]

# The weighted counts that scoring reads.
COUNT_COLUMNS = ("pos", "neg", "neu", "audience", "complaints", "actionable",
                 "answered_in_target")  # fmt: skip
# Every column that scoring reads (any other column of a table is passed by).
SCORE_INPUTS = frozenset(
    {"group", "channel", "n_raw", "polar_raw", "reply_data", "answered", "s4", "s5", "s6",
     "cover_S3", "cover_S4", "cover_S5", "cover_S6", *COUNT_COLUMNS}
)  # fmt: skip

PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}
GROUPINGS = ("brand", "channel", "campaign", *PERIODS)

# Rollup columns that the trust counts weight by recency.
_WEIGHTED = ("pos", "neg", "neu", "audience", "complaints", "actionable", "answered")
_PLAIN = ("unscored", "brand_replies", "n_en", "n_fr", "n_other")
_RAW = (("audience_raw", "audience"), ("actionable_raw", "actionable"),
        ("answered_raw", "answered"), ("in_target_raw", "_tgt"), ("neg_raw", "neg"),
        ("pos_raw", "pos"), ("complaints_raw", "complaints"))  # fmt: skip
_CONSTANT = ("brand", None)
# Integer columns of a counts frame; every other column but the names is Float64.
_INT_COUNTS = ("n_raw", "polar_raw")


# --------------------------------------------------------------------------
# Reading a counts table
# --------------------------------------------------------------------------


def height(counts: Counts) -> int:
    """Number of groups."""
    return len(counts["group"])


def strings(counts: Counts, name: str) -> list[str | None] | None:
    """Column ``name`` as a list of strings (None for nulls), None when absent."""
    value = counts.get(name)
    return None if value is None else [None if v is None else str(v) for v in value]


def column(counts: Counts, name: str, default: float = 0.0) -> np.ndarray:
    """Column ``name`` as floats, NaN (and an absent column) read as ``default``."""
    value = counts.get(name)
    if value is None:
        return np.full(height(counts), default, dtype=float)
    arr = np.asarray(value, dtype=float)
    return np.where(np.isnan(arr), default, arr)


def optional_column(counts: Counts, name: str) -> np.ndarray:
    """Column ``name`` as floats with NaN for missing values (all NaN when absent)."""
    value = counts.get(name)
    if value is None:
        return np.full(height(counts), np.nan)
    return np.asarray(value, dtype=float)


def select_rows(counts: Counts, mask: np.ndarray) -> Counts:
    """The rows of ``counts`` where ``mask`` is true."""
    rows = np.flatnonzero(mask).tolist()
    return {
        name: [value[i] for i in rows] if isinstance(value, list) else np.asarray(value)[mask]
        for name, value in counts.items()
    }


def reply_data(counts: Counts) -> np.ndarray:
    """Per group: do its channels' exports carry brand replies (S3 measurable)?

    The ``reply_data`` column when present; in a table of scores, where S3 is; otherwise
    inferred for the whole table:
    reply data exists iff any reply was seen (``answered_in_target``, or ``answered``
    at any delay when present, sums above 0).
    """
    flag = counts.get("reply_data")
    if flag is None and counts.get("S3") is not None:
        # A score table: S3 is there exactly where the group has reply data.
        return ~np.isnan(optional_column(counts, "S3"))
    if flag is not None:
        arr = np.asarray(flag, dtype=object if isinstance(flag, list) else None)
        return np.array([bool(v) if v is not None else False for v in arr.tolist()], dtype=bool)
    seen = column(counts, "answered_in_target").sum() > 0
    if counts.get("answered") is not None:
        seen = seen or column(counts, "answered").sum() > 0
    return np.full(height(counts), bool(seen))


def counts_of(frame: pl.DataFrame) -> dict[str, Any]:
    """A frame as a counts table: strings as lists, numbers as floats (nulls as NaN),
    booleans as lists; nested columns are left out."""
    out: dict[str, Any] = {}
    for series in frame.get_columns():
        dtype = series.dtype
        if dtype in (pl.String, pl.Categorical, pl.Enum):
            out[series.name] = series.cast(pl.String).to_list()
        elif dtype == pl.Boolean:
            out[series.name] = series.to_list()
        elif dtype.is_numeric():
            out[series.name] = series.cast(pl.Float64).to_numpy()
    return out


def counts_frame(table: Counts) -> pl.DataFrame:
    """A counts table as a frame (integer raw counts, nulls for NaN)."""
    out = []
    for name, value in table.items():
        if name in ("group", "sub"):
            out.append(pl.Series(name, value, dtype=pl.String))
        elif name == "reply_data":
            out.append(pl.Series(name, np.asarray(value, dtype=bool), dtype=pl.Boolean))
        elif name in _INT_COUNTS and np.asarray(value).dtype.kind == "i":
            out.append(pl.Series(name, value))
        elif name in _INT_COUNTS:  # a row of nulls
            out.append(pl.Series(name, value, nan_to_null=True).cast(pl.Int64))
        else:
            out.append(pl.Series(name, np.asarray(value, dtype=float), nan_to_null=True))
    return pl.DataFrame(out)


# --------------------------------------------------------------------------
# Summing the rollup
# --------------------------------------------------------------------------


def _dense(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(codes, return_inverse=True)`` for codes in ``[0, size)``, by counting
    rather than sorting (codes of a few thousand rows over a few hundred values)."""
    seen = np.bincount(codes, minlength=size) > 0
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[codes]


def period_start(day: np.ndarray, dim: str) -> np.ndarray:
    """The first day of each day's period (``day``, ISO ``week`` or ``month``)."""
    if dim == "day":
        return day
    if dim == "week":
        # 1970-01-01 was a Thursday: (days + 3) % 7 is the weekday, Monday = 0.
        return day - (day.astype(np.int64) + 3) % 7
    return day.astype("datetime64[M]").astype("datetime64[D]")


def period_end(day: np.ndarray, dim: str) -> np.ndarray:
    """The last day of each day's period."""
    if dim == "day":
        return day
    if dim == "week":
        return period_start(day, "week") + 6
    return (day.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1


def _codes(values: Any) -> tuple[np.ndarray, list[str]]:
    names = np.asarray(values, dtype=object).tolist()
    distinct = sorted(set(names))
    code = {c: i for i, c in enumerate(distinct)}
    return np.fromiter((code[c] for c in names), dtype=np.int64, count=len(names)), distinct


class Rollup:
    """Daily rollup rows (``channel``, ``day``, optionally ``campaign``, and the count
    columns), summed by :meth:`counts` and :meth:`sentiment` for any grouping, window and
    recency weighting, each a few array operations on a few thousand rows.

    ``reply_channels``: the channels whose exports carry brand replies. Rows are read
    already restricted to the filter's channels and campaigns.
    """

    def __init__(self, rows: Mapping[str, np.ndarray], reply_channels: Collection[str]) -> None:
        channel_codes, self.channels = _codes(rows["channel"])
        if "campaign" in rows:
            campaign_codes, raw = _codes(rows["campaign"])
            self.campaigns = [c if c else NO_CAMPAIGN for c in raw]
        else:
            campaign_codes, self.campaigns = np.zeros(len(channel_codes), np.int64), [""]
        days = np.asarray(rows["day"]).astype("datetime64[D]").astype(np.int64)
        first = int(days.min()) if len(days) else 0
        span = int(days.max()) - first + 1 if len(days) else 1
        n_camp = len(self.campaigns)
        # One row per channel, campaign and day: every later sum reads each once.
        keys, index = _dense(
            (channel_codes * n_camp + campaign_codes) * span + (days - first),
            len(self.channels) * n_camp * span,
        )
        self.code = keys // span // n_camp
        self.campaign = keys // span % n_camp
        self.day = (keys % span + first).astype("datetime64[D]")
        self._names = [c for c in rows if c not in ("channel", "day", "campaign")]
        matrix = np.column_stack([np.asarray(rows[c], dtype=float) for c in self._names]
                                 or [np.zeros(len(channel_codes))])  # fmt: skip
        matrix[np.isnan(matrix)] = 0.0
        if len(keys) == len(channel_codes):
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
        replies = set(reply_channels)
        self.channel_replies = np.array([c in replies for c in self.channels], dtype=bool)
        self._period_codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._blocks: dict[Any, tuple[list[str], np.ndarray]] = {}
        self._windows: dict[Any, np.ndarray] = {}

    @property
    def has_campaigns(self) -> bool:
        return self.campaigns != [""]

    def _keys(self, dim: str | None, rows: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Each row's group code under ``dim`` and the (sorted) group names."""
        if dim is None or dim == "brand":
            return np.zeros(len(rows), dtype=np.int64), ["brand" if dim else ""]
        if dim == "channel":
            return self.code[rows], self.channels
        if dim == "campaign":
            if not self.has_campaigns:
                raise ValueError("campaign groups need rollup rows read with their campaign")
            order = sorted(range(len(self.campaigns)), key=self.campaigns.__getitem__)
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return rank[self.campaign[rows]], [self.campaigns[i] for i in order]
        if dim in PERIODS:
            starts, codes = self._periods(dim)
            present, inverse = _dense(codes[rows], len(starts))
            return inverse, list(np.datetime_as_string(starts[present], unit="D"))
        raise ValueError(f"unknown grouping {dim!r}; use one of {', '.join(GROUPINGS)}")

    def _periods(self, dim: str) -> tuple[np.ndarray, np.ndarray]:
        """The period starts of the whole rollup (sorted) and each row's period code."""
        if dim not in self._period_codes:
            starts, codes = np.unique(period_start(self.day, dim), return_inverse=True)
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

    def counts(
        self,
        f: Filters,
        by: str,
        *,
        half_life_days: float,
        targets: Mapping[str, float],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> dict[str, Any]:
        """The counts of every ``by`` group (then ``then_by``) of ``f``'s window, sorted
        by name: the weighted counts scoring reads, ``reply_data``, and raw sums
        (``n_raw``, ``polar_raw``, ``*_raw``, ``unscored``, languages, ``avg_rating``).
        A constant grouping (brand) over no rows is one row of NaN sums."""
        rows = self._window(f)
        index, groups, subs, k = self._groups(rows, by, then_by)
        names, block = self._block(f, rows, by, half_life_days=half_life_days, targets=targets,
                                   default_target=default_target)  # fmt: skip
        width = block.shape[1]
        sums = np.bincount(
            (index[:, None] * width + np.arange(width)).ravel(),
            weights=block.ravel(),
            minlength=k * width,
        ).astype(float)  # over no rows bincount counts in integers
        total = dict(zip(names, sums.reshape(k, width).T, strict=True))
        return self._count_columns(total, by, then_by, groups, subs, k)

    def audience_in(
        self,
        f: Filters,
        by: str,
        channels: Collection[str],
        *,
        half_life_days: float,
        targets: Mapping[str, float],
        default_target: float = 24.0,
        then_by: str | None = None,
    ) -> np.ndarray:
        """Per ``by`` (then ``then_by``) group of ``f``'s window, in :meth:`counts`' order:
        the recency-weighted audience comments of the rows whose channel is one of
        ``channels`` (the numerator of a component's coverage, whose denominator is the
        group's ``audience``). A constant grouping over no rows gives one NaN."""
        rows = self._window(f)
        index, _, _, k = self._groups(rows, by, then_by)
        if k == 0 and by in _CONSTANT and then_by in _CONSTANT:
            return np.full(1, np.nan)
        names, block = self._block(f, rows, by, half_life_days=half_life_days, targets=targets,
                                   default_target=default_target)  # fmt: skip
        wanted = set(channels)
        inside = np.array([c in wanted for c in self.channels], dtype=bool)
        audience = block[:, names.index("w.audience")] * inside[self.code[rows]]
        return np.bincount(index, weights=audience, minlength=k).astype(float)

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
        """The rows' columns to sum: recency-weighted counts, then raw ones (kept: the
        brand and the channels of one window weigh the same rows alike)."""
        key = (f.start, f.end, half_life_days, tuple(sorted(targets.items())), default_target,
               by if by in PERIODS else None)  # fmt: skip
        if key not in self._blocks:
            self._blocks[key] = self._new_block(f, rows, by, half_life_days, targets,
                                                default_target)  # fmt: skip
        return self._blocks[key]

    def _new_block(
        self, f: Filters, rows: np.ndarray, by: str, half_life_days: float,
        targets: Mapping[str, float], default_target: float,
    ) -> tuple[list[str], np.ndarray]:
        day = self.day[rows]
        if by in PERIODS:
            age = (period_end(day, by) - day).astype(np.int64)
        else:
            age = (np.datetime64(f.end or dt.date.today(), "D") - day).astype(np.int64)
        w = np.asarray(recency_weight(age, half_life_days) if len(rows) else np.zeros(0),
                       dtype=float)  # fmt: skip
        m = self._matrix[rows]
        at = self._at
        # Each row's answered-in-target count: the bucket of its channel's target.
        bucket = np.array(
            [at[bucket_column(targets.get(name, default_target))] for name in self.channels]
            or [at[bucket_column(default_target)]],
            dtype=np.intp,
        )
        tgt = m[np.arange(len(rows)), bucket[self.code[rows]]]
        # S3 is not measurable on a channel without reply data: its actionable comments
        # count in no group's Act (its R is 0 by definition).
        replies = self.channel_replies[self.code[rows]].astype(float)
        weighted = m[:, [at[c] for c in _WEIGHTED]] * w[:, None]
        weighted[:, _WEIGHTED.index("actionable")] *= replies
        plain = list(dict.fromkeys([*_PLAIN, "rating_n", "rating_sum", "audience",
                                    *(c for _, c in _RAW if c != "_tgt")]))  # fmt: skip
        names = [*(f"w.{c}" for c in _WEIGHTED), "w._tgt", "polar",
                 *(f"r.{c}" for c in plain), "r._tgt", "replies"]  # fmt: skip
        block = np.column_stack(
            [weighted, w * tgt, m[:, at["pos"]] + m[:, at["neg"]], m[:, [at[c] for c in plain]],
             tgt, replies]
        )  # fmt: skip
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
        out["reply_data"] = total["replies"] > 0
        if k == 0 and by in _CONSTANT and then_by in _CONSTANT:
            # A constant grouping (brand) over no rows is one row of null sums.
            out = {name: np.full(1, np.nan) for name in out}
            out["reply_data"] = np.zeros(1, dtype=bool)
            out["group"] = [by]
            if then_by:
                out["sub"] = [then_by]
        return out

    def sentiment(
        self, f: Filters, by: str, granularity: str
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Positive, negative and audience sums per ``by`` group and period: group names,
        period starts (``datetime64[D]``) and the ``pos``, ``neg``, ``total`` sums, sorted
        by group, then period."""
        rows = self._window(f)
        g_code, g_names = self._keys(by, rows)
        starts, codes = self._periods(granularity)
        n_periods = max(len(starts), 1)
        present, index = _dense(g_code * n_periods + codes[rows], len(g_names) * n_periods)
        groups = [g_names[k] for k in (present // n_periods).tolist()]
        sums = {
            name: np.bincount(index, weights=self.cols[c][rows], minlength=len(present))
            for name, c in (("pos", "pos"), ("neg", "neg"), ("total", "audience"))
        }
        return groups, starts[present % n_periods] if len(starts) else starts, sums

    def sentiment_frame(self, f: Filters, by: str, granularity: str) -> pl.DataFrame:
        """:meth:`sentiment` as a frame (``group``, ``period``, ``pos``, ``neg``, ``total``)."""
        groups, periods, sums = self.sentiment(f, by, granularity)
        return pl.DataFrame(
            [
                pl.Series("group", groups, dtype=pl.String),
                pl.Series("period", periods.astype("datetime64[D]"), dtype=pl.Date),
                *(pl.Series(name, v.astype(float)) for name, v in sums.items()),
            ]
        )
