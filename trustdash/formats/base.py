"""Building blocks of the format registry: the declarative ``FormatDef`` and
the engine that turns a batch of raw string cells into canonical rows."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from polars.exceptions import PanicException

from trustdash import parsing, schema
from trustdash.i18n import mark, tr, trc
from trustdash.readers import ROW_INDEX, RawTable

# Errors of the dataframe engine on bad input: polars' Rust panics surface as
# ``PanicException``, a ``BaseException`` that ``except Exception`` does not catch.
ENGINE_ERRORS: tuple[type[BaseException], ...] = (Exception, PanicException)


def reason_expr(message: str, value: pl.Expr, /, **values: object) -> pl.Expr:
    """A rejection reason per row: ``message`` (a marked string with a ``{value}`` field)
    in the current language, with the row's value on one line and cut to 60 characters
    (``concat_str``: ``pl.format`` panics on filtered multi-chunk string columns)."""
    before, after = tr(message, value="\x00", **values).split("\x00", 1)
    text = value.cast(pl.String).fill_null("").str.replace_all("\n", " ", literal=True)
    text = (
        pl.when(text.str.len_chars() > 60)
        .then(pl.concat_str([text.str.slice(0, 57), pl.lit("...")]))
        .otherwise(text)
    )
    return pl.concat_str([pl.lit(before), text, pl.lit(after)])


def date_reason(fld: str, value: pl.Expr) -> pl.Expr:
    """``created_at: 'garbage' is not a date`` per row, in the current language."""
    return reason_expr(mark("{field}: '{value}' is not a date"), value, field=trc("field", fld))


def missing_reason(fld: str) -> str:
    """Why a row without a required field is rejected, in the current language."""
    if fld in ("created_at", "date"):
        return tr("{field}: missing, the row cannot be placed in time", field=trc("field", fld))
    return tr("{field}: missing", field=trc("field", fld))


def norm(name: str) -> str:
    """Column name as compared: casefolded, accents and separators folded."""
    s = unicodedata.normalize("NFKD", str(name).strip().lstrip("\ufeff").casefold())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("’", "'")
    return re.sub(r"[\s_\-]+", " ", s).strip().strip('"').strip()


def slug(name: str) -> str:
    """Metric names in daily_metrics: 'Video Views' -> 'video_views'."""
    return re.sub(r"[^0-9a-z]+", "_", norm(name)).strip("_") or "value"


@dataclass
class Rejected:
    row: int  # 1-based data row number in the source
    reason: str  # e.g. "created_at: 'garbage' is not a date"
    raw: dict[str, str | None]


@dataclass
class MapOptions:
    mapping: dict[str, str] = field(default_factory=dict)
    table: str | None = None
    channel: str | None = None
    campaign: str | None = None
    year: int | None = None
    date_order: str | None = None  # "dmy", "mdy" or "ymd"; None: decided per column
    profiles: dict[str, dict] = field(default_factory=dict)
    max_rows: int | None = None
    max_columns: int = 2000
    max_field_bytes: int = 5_000_000


@dataclass
class Ctx:
    """What hooks may look at: the source, its preamble and the options."""

    name: str
    table: RawTable
    options: MapOptions
    warnings: list[str]


Hook = Callable[[pl.DataFrame, Ctx], pl.DataFrame]


def has(normed: set[str], item: str) -> bool:
    """Signature items may list alternatives: 'tweet id|identifiant du tweet'."""
    return any(alt in normed for alt in item.split("|"))


@dataclass
class FormatDef:
    id: str
    label: str
    table: str
    signature: tuple[str, ...]  # normalised column names that must all be present
    optional: tuple[str, ...] = ()  # present ones raise confidence
    absent: tuple[str, ...] = ()  # columns that must not be there (another layout's)
    mapping: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field -> candidates
    channel: str | None = None
    channel_rule: Callable[[Ctx], str | None] | None = None
    anchors: tuple[str, ...] = ()  # all present + signature incomplete -> "looks like" error
    name_pattern: str | None = None  # regex the file name must match (search, case-insensitive)
    dayfirst: bool | None = None
    date_formats: tuple[str, ...] = ()
    snapshot: bool = False
    invert: tuple[str, ...] = ()  # boolean fields whose source column means the opposite
    metric_columns: tuple[str, ...] | None = None  # daily_metrics from a wide table
    metric_exclude: tuple[str, ...] = ()
    aggregate_daily: bool = False  # sum rows of the same date (per-video chart data)
    drop_first_values: tuple[str, ...] = ("total", "totals", "grand total")
    prepare: Hook | None = None  # raw string batch -> raw string batch (filters, derived cols)
    finish: Hook | None = None  # canonical batch -> canonical batch
    whole_table: bool = False  # prepare needs all rows at once (parent lookups)
    companions: tuple[str, ...] = ()  # other formats read from the same table (Facepager)
    derived: tuple[str, ...] = ()  # columns ``prepare`` adds, usable in ``mapping``
    priority: int = 0

    def match(self, normed: set[str], name: str) -> float | None:
        """Confidence when the columns fit this layout, else None."""
        if self.name_pattern and not re.search(self.name_pattern, name, re.IGNORECASE):
            return None
        if not all(has(normed, s) for s in self.signature):
            return None
        if any(has(normed, a) for a in self.absent):
            return None
        total = len(self.signature) + len(self.optional)
        present = len(self.signature) + sum(1 for o in self.optional if has(normed, o))
        return present / total if total else 0.0

    def resolve_mapping(self, columns: list[str]) -> dict[str, str]:
        by_norm: dict[str, str] = {}
        for c in columns:
            by_norm.setdefault(norm(c), c)
        out: dict[str, str] = {}
        for fld, candidates in self.mapping.items():
            for cand in candidates:
                if norm(cand) in by_norm:
                    out[fld] = by_norm[norm(cand)]
                    break
        return out


# ---------------------------------------------------------------------------
# the mapping engine

ID_FIELDS = ("comment_id", "post_id", "parent_id")
TEXT_FIELDS = ("text", "reply_text")
DATETIME_FIELDS = ("created_at", "replied_at")

CHANNEL_ALIASES = {
    "twitter": "x",
    "x": "x",
    "x (twitter)": "x",
    "tweet": "x",
    "facebook": "facebook",
    "facebook page": "facebook",
    "facebook pages": "facebook",
    "fb": "facebook",
    "instagram": "instagram",
    "instagram business": "instagram",
    "ig": "instagram",
    "linkedin": "linkedin",
    "linkedin company": "linkedin",
    "youtube": "youtube",
    "tiktok": "tiktok",
    "trustpilot": "trustpilot",
    "google": "google",
    "google business profile": "google",
    "google my business": "google",
}


def channel_expr(col: pl.Expr) -> pl.Expr:
    s = parsing.null_if_empty(col).str.to_lowercase()
    mapped = s.replace_strict(CHANNEL_ALIASES, default=None, return_dtype=pl.String)
    return pl.coalesce(mapped, s.str.replace_all(r"[^0-9a-z]+", "_").str.strip_chars("_"))


@dataclass
class Plan:
    """Everything needed to turn one raw table into canonical batches."""

    table: str
    mapping: dict[str, str]
    channel: str | None
    options: MapOptions
    fmt: FormatDef | None
    ctx: Ctx
    metric_columns: list[str] = field(default_factory=list)
    metric_name: str | None = None
    parsers: dict[str, parsing.DateParser] = field(default_factory=dict)
    yearless: bool = False
    year: int | None = None
    date_order: str | None = None  # a saved profile's order (the user's option wins)
    damaged_rows: int = 0  # rows whose ids Excel wrote in scientific notation
    damaged_example: str | None = None
    _language: tuple[str | None, str | None] | None = None

    def language(self) -> tuple[str | None, str | None]:
        """(date order, language) of the file's column names and texts."""
        if self._language is None:
            table = self.ctx.table
            texts: list[str] = []
            col = self.mapping.get("text")
            if col is not None:
                head = table.head(200)
                if col in head.columns:
                    texts = [v for v in head[col].to_list() if isinstance(v, str)]
            self._language = parsing.language_order(table.columns, texts)
        return self._language

    def parser(self, fld: str) -> parsing.DateParser:
        if fld not in self.parsers:
            fmt = self.fmt
            self.parsers[fld] = parsing.DateParser(
                dayfirst=fmt.dayfirst if fmt else None,
                preferred=fmt.date_formats if fmt else (),
                order=self.options.date_order or self.date_order,
                language=self.language,
                column=self.mapping.get(fld, fld),
                siblings=self.order_shown,
            )
        return self.parsers[fld]

    def order_shown(self) -> str | None:
        """The day/month order a date column of this file showed by its own values."""
        for p in self.parsers.values():
            if p.reason == "values":
                return p.order
        return None

    def guessed_order(self) -> str | None:
        """The day/month order used where every date was ambiguous, else None."""
        for p in self.parsers.values():
            if p.guessed:
                return p.order
        return None


def _raw_dicts(df: pl.DataFrame, columns: list[str]) -> list[tuple[int, dict[str, str | None]]]:
    cols = [c for c in columns if c in df.columns]
    rows = df.select([ROW_INDEX, *cols]).rows()
    return [(int(r[0]), dict(zip(cols, r[1:], strict=False))) for r in rows]


def map_batch(batch: pl.DataFrame, plan: Plan) -> tuple[pl.DataFrame, list[Rejected]]:
    if plan.table == "daily_metrics":
        return _map_daily(batch, plan)
    return _map_rows(batch, plan)


def _parse_dates(batch: pl.DataFrame, col: str, plan: Plan, fld: str) -> pl.Series:
    series = batch[col].cast(pl.String)
    if plan.yearless:
        out, year = parsing.place_yearless(series, plan.year)
        if plan.year is None and year is not None:
            plan.year = year
            plan.ctx.warnings.append(
                tr(
                    "dates have no year: the first one placed in {year}, the latest year that puts "
                    "no date in the future; set the year (--year) if that is wrong",
                    year=year,
                )
            )
        return out
    return plan.parser(fld).parse(series)


def _map_rows(batch: pl.DataFrame, plan: Plan) -> tuple[pl.DataFrame, list[Rejected]]:
    fields = schema.FIELDS[plan.table]
    invert = set(plan.fmt.invert) if plan.fmt else set()
    invert |= {f for f, c in plan.mapping.items() if norm(c) in ("inbound", "is inbound")}
    if not plan.yearless:
        for fld in DATETIME_FIELDS:
            col = plan.mapping.get(fld)
            if col is not None and col in batch.columns:
                plan.parser(fld).observe(batch[col].cast(pl.String))
    out: dict[str, pl.Series | pl.Expr] = {}
    damaged: pl.Series | None = None  # rows with an id Excel wrote in scientific notation
    exprs: list[pl.Expr] = []
    checks: list[tuple[pl.Expr, pl.Expr]] = []  # (bad row mask, reason)
    for fld, col in plan.mapping.items():
        if fld not in fields or col not in batch.columns:
            continue
        c = pl.col(col)
        dtype = fields[fld]
        if fld in ID_FIELDS:
            ids = parsing.parse_ids(batch[col])
            broken = batch.select(parsing.sci_id_mask(c).alias("m")).to_series()
            if broken.any():
                # The digits are gone for good: the id is dropped, the row kept and keyed
                # by its content (comments) or a hash of it (posts).
                damaged = broken if damaged is None else damaged | broken
                if plan.damaged_example is None:
                    plan.damaged_example = str(batch[col].filter(broken)[0]).strip()
                ids = pl.select(
                    pl.when(pl.lit(broken)).then(None).otherwise(pl.lit(ids)).alias(fld)
                ).to_series()
            out[fld] = ids.alias(fld)
        elif fld in DATETIME_FIELDS:
            parsed = _parse_dates(batch, col, plan, fld)
            out[fld] = parsed.alias(fld)
            bad = pl.lit(parsed).is_null() & parsing.null_if_empty(c).is_not_null()
            checks.append((bad, date_reason(fld, c)))
        elif fld == "channel":
            out[fld] = parsing.via_unique(batch[col], channel_expr(pl.col("v"))).alias(fld)
        elif fld == "campaign":
            out[fld] = parsing.via_unique(batch[col], parsing.null_if_empty(pl.col("v")))
        elif fld == "rating":
            exprs.append(parsing.rating_expr(c).alias(fld))
        elif dtype == pl.Int64():
            out[fld] = parsing.parse_numbers(batch[col], integer=True).alias(fld)
        elif dtype == pl.Float64():
            out[fld] = parsing.parse_numbers(batch[col]).alias(fld)
        elif dtype == pl.Boolean():
            exprs.append(parsing.bool_expr(c, invert=fld in invert).alias(fld))
        elif fld in TEXT_FIELDS:
            exprs.append(parsing.text_expr(c).alias(fld))
        else:
            exprs.append(parsing.null_if_empty(c).alias(fld))
    base = batch.with_columns(exprs + [pl.lit(v).alias(k) for k, v in out.items()])
    produced = [e.meta.output_name() for e in exprs] + list(out)
    frame = base.select([ROW_INDEX, *produced])
    # channel: the user's wins, then the row's column, then the detected one
    chan = plan.options.channel or plan.channel
    if plan.options.channel or "channel" not in frame.columns:
        frame = frame.with_columns(pl.lit(chan, dtype=pl.String).alias("channel"))
    elif chan:
        frame = frame.with_columns(pl.col("channel").fill_null(chan))
    if plan.options.campaign:
        if "campaign" in frame.columns:
            frame = frame.with_columns(pl.col("campaign").fill_null(plan.options.campaign))
        else:
            frame = frame.with_columns(pl.lit(plan.options.campaign).alias("campaign"))
    if plan.fmt and plan.fmt.finish:
        frame = plan.fmt.finish(frame, plan.ctx)
    if damaged is not None:
        plan.damaged_rows += int(damaged.sum())
        if plan.table == "posts" and "post_id" in frame.columns:
            frame = _content_post_ids(frame)
    # rejections: first failing check per row, then missing required fields
    for req in schema.REQUIRED[plan.table]:
        if req in frame.columns:
            missing = pl.lit(frame[req]).is_null()
        else:
            missing = pl.lit(True)
        checks.append((missing, pl.lit(missing_reason(req))))
    rejected: list[Rejected] = []
    if checks:
        # masks on every row (cheap); reasons formatted only for the failing rows
        masks = batch.select(
            [m.fill_null(False).alias(f"__m{i}") for i, (m, _) in enumerate(checks)]
        )
        bad_mask = masks.select(pl.any_horizontal(pl.all())).to_series()
        if bad_mask.any():
            bad = pl.concat([batch, masks], how="horizontal").filter(bad_mask).rechunk()
            whys = bad.select(
                pl.coalesce(
                    [pl.when(pl.col(f"__m{i}")).then(msg) for i, (_, msg) in enumerate(checks)]
                ).alias("r")
            ).to_series()
            raws = _raw_dicts(bad, plan.ctx.table.columns)
            for (row, raw), why in zip(raws, whys.to_list(), strict=False):
                rejected.append(Rejected(row=row, reason=why, raw=raw))
            frame = frame.filter(~bad_mask)
    return schema.conform(frame, plan.table), rejected


def _content_post_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Posts whose id was lost get one made of their content (time, text, link), so the
    same post in two exports is stored once."""
    need = frame["post_id"].is_null()
    if not need.any():
        return frame
    parts = [c for c in ("created_at", "text", "url", "post_type") if c in frame.columns]
    if not parts:
        return frame
    keys = frame.filter(need).select(
        pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in parts], separator="\x1f")
    ).to_series()
    made = [
        "h:" + hashlib.blake2b(k.encode("utf-8", "replace"), digest_size=12).hexdigest()
        for k in keys.to_list()
    ]
    ids = frame["post_id"].to_list()
    it = iter(made)
    for i, flag in enumerate(need.to_list()):
        if flag:
            ids[i] = next(it)
    return frame.with_columns(pl.Series("post_id", ids, dtype=pl.String))


def _map_daily(batch: pl.DataFrame, plan: Plan) -> tuple[pl.DataFrame, list[Rejected]]:
    date_col = plan.mapping.get("date")
    rejected: list[Rejected] = []
    if date_col is None or date_col not in batch.columns:
        raise ValueError("daily metrics need a date column")
    parsed = _parse_dates(batch, date_col, plan, "date").dt.date()
    raw_date = batch.select(parsing.null_if_empty(pl.col(date_col))).to_series()
    bad = parsed.is_null()
    if bad.any():
        reason = pl.when(raw_date.is_null()).then(pl.lit(missing_reason("date")))
        reason = reason.otherwise(date_reason("date", pl.lit(raw_date)))
        whys = batch.select(reason.alias("r")).filter(bad)["r"].to_list()
        raws = _raw_dicts(batch.filter(bad), plan.ctx.table.columns)
        rejected = [
            Rejected(row=row, reason=w, raw=raw)
            for (row, raw), w in zip(raws, whys, strict=False)
        ]
    base = batch.with_columns(pl.lit(parsed).alias("__date")).filter(~bad)
    if "metric" in plan.mapping and "value" in plan.mapping:
        long = base.select(
            pl.col("__date").alias("date"),
            parsing.null_if_empty(pl.col(plan.mapping["metric"])).alias("metric"),
            parsing.number_expr(pl.col(plan.mapping["value"])).alias("value"),
        )
    else:
        metrics = [c for c in plan.metric_columns if c in base.columns]
        if not metrics:
            return schema.empty_frame("daily_metrics"), rejected
        names = {
            c: (plan.metric_name if plan.metric_name and len(metrics) == 1 else slug(c))
            for c in metrics
        }
        wide = base.select(
            pl.col("__date").alias("date"),
            *[parsing.number_expr(pl.col(c)).alias(names[c]) for c in metrics],
        )
        long = wide.unpivot(index="date", variable_name="metric", value_name="value")
    long = long.filter(pl.col("value").is_not_null() & pl.col("metric").is_not_null())
    if plan.fmt and plan.fmt.aggregate_daily:
        long = long.group_by(["date", "metric"], maintain_order=True).agg(pl.col("value").sum())
    chan = plan.options.channel or plan.channel
    if "channel" in plan.mapping and not plan.options.channel:
        # per-row channel columns are rare in daily files; keep the detected one
        pass
    long = long.with_columns(pl.lit(chan, dtype=pl.String).alias("channel"))
    if plan.fmt and plan.fmt.finish:
        long = plan.fmt.finish(long, plan.ctx)
    return schema.conform(long, "daily_metrics"), rejected


def numeric_columns(frame: pl.DataFrame, columns: list[str], threshold: float = 0.8) -> list[str]:
    """Columns whose non-empty sample values are (mostly) numbers."""
    out = []
    for c in columns:
        if c not in frame.columns:
            continue
        vals = frame.select(parsing.null_if_empty(pl.col(c)).alias("v"))["v"].drop_nulls()
        if vals.len() == 0:
            continue
        nums = frame.select(parsing.number_expr(pl.lit(vals)).alias("n"))["n"]
        if nums.is_not_null().sum() >= threshold * vals.len():
            out.append(c)
    return out


def first_column_filter(values: tuple[str, ...], column: str) -> pl.Expr:
    """Keep rows whose first column is not a summary label such as 'Total'."""
    return ~pl.col(column).str.strip_chars().str.to_lowercase().is_in(list(values)).fill_null(False)


def preamble_text(ctx: Ctx) -> str:
    return " ".join(c for row in ctx.table.preamble for c in row if c).strip()
