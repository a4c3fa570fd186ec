"""Export-format recognition and mapping onto the canonical tables.

``open_sources`` is the entry point used by ingest: bytes or a path in, a list
of ``ParsedSource`` out, each streaming canonical frames.  Layouts are
declared as ``FormatDef`` objects in one module per family; anything else is
mapped by column-name synonyms (``generic``) or by the user's mapping.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from trustdash import parsing, schema
from trustdash.formats import (
    facepager,
    generic,
    linkedin,
    listening,
    meta,
    reviews,
    tiktok,
    x,
    youtube,
)
from trustdash.formats.base import (
    ENGINE_ERRORS,
    Ctx,
    FormatDef,
    MapOptions,
    Plan,
    Rejected,
    first_column_filter,
    has,
    map_batch,
    norm,
    numeric_columns,
)
from trustdash.i18n import fmt_number, mark, tr
from trustdash.readers import (
    MAX_DECOMPRESSED,
    ArchiveTooLarge,
    BadFile,
    Blob,
    Limits,
    RawTable,
    gunzip,
    is_xlsx_zip,
    read_csv,
    read_json,
    read_parquet,
    read_spreadsheetml,
    read_xls,
    read_xlsx,
    sniff_kind,
    zip_members,
)

__all__ = [
    "FORMATS",
    "ENGINE_ERRORS",
    "BadFile",
    "FormatDef",
    "MapOptions",
    "ParsedSource",
    "Preview",
    "Rejected",
    "detect",
    "header_signature",
    "open_sources",
    "Proposal",
    "preview",
    "sniff_columns",
    "propose",
    "suggest_mapping",
]

FORMATS: list[FormatDef] = [
    *x.FORMATS,
    *meta.FORMATS,
    *facepager.FORMATS,
    *linkedin.FORMATS,
    *youtube.FORMATS,
    *tiktok.FORMATS,
    *reviews.FORMATS,
    *listening.FORMATS,
]
_BY_ID = {f.id: f for f in FORMATS}
JSON_EXPANDERS = [*youtube.JSON_EXPANDERS, *meta.JSON_EXPANDERS]
TABLE_COMBINERS = [*meta.COMBINERS]
_SYNONYMS = {
    norm(s)
    for group in (generic.COMMON, generic.POSTS_EXTRA, generic.DAILY)
    for cands in group.values()
    for s in cands
}
_DATA_EXT = re.compile(r"\.(csv|tsv|txt|xlsx|xlsm|xls|json|jsonl|ndjson|js|parquet|gz|zip)$", re.I)


# ---------------------------------------------------------------------------
# public helpers


def header_signature(columns: list[str]) -> str:
    """Stable id of a header, whatever the column order and case."""
    names = sorted({norm(c) for c in columns if str(c).strip()})
    return hashlib.sha1("\x1f".join(names).encode("utf-8")).hexdigest()[:16]


def suggest_mapping(columns: list[str]) -> tuple[str, dict[str, str]]:
    """(table, field -> column) guessed from column names (EN/FR synonyms)."""
    return generic.suggest(columns)


def detect(columns: list[str], name: str = "") -> tuple[FormatDef | None, float]:
    """The known layout the columns belong to, with a confidence in 0..1."""
    normed = {norm(c) for c in columns}
    best: FormatDef | None = None
    best_key: tuple[float, ...] = ()
    best_conf = 0.0
    for fmt in FORMATS:
        conf = fmt.match(normed, name)
        if conf is None:
            continue
        present = len(fmt.signature) + sum(1 for o in fmt.optional if has(normed, o))
        key = (fmt.priority, present + (2 if fmt.name_pattern else 0), conf)
        if best is None or key > best_key:
            best, best_key, best_conf = fmt, key, conf
    return best, round(best_conf, 3)


def _header_score(cells: list[str]) -> float:
    normed = {norm(c) for c in cells if c and c.strip()}
    if not normed:
        return 0.0
    best = 0.0
    for fmt in FORMATS:
        if fmt.signature and all(has(normed, s) for s in fmt.signature):
            best = max(best, 1 + 0.01 * len(fmt.signature))
    hits = sum(1 for c in normed if c in _SYNONYMS)
    return best + min(0.9, 0.2 * hits)


def channel_from_name(name: str) -> str | None:
    low = name.casefold()
    for key, chan in (
        ("twitter", "x"),
        ("tweet", "x"),
        ("facebook", "facebook"),
        ("instagram", "instagram"),
        ("linkedin", "linkedin"),
        ("youtube", "youtube"),
        ("tiktok", "tiktok"),
        ("trustpilot", "trustpilot"),
        ("google", "google"),
    ):
        if key in low:
            return chan
    return None


# ---------------------------------------------------------------------------
# sources


@dataclass
class ParsedSource:
    name: str
    format_id: str
    format_label: str
    confidence: float
    table: str
    channel: str | None
    columns: list[str]
    mapping: dict[str, str]
    warnings: list[str]
    snapshot: bool
    _plan: Plan | None = field(default=None, repr=False)
    _raw: RawTable | None = field(default=None, repr=False)
    # rows of the file behind each yielded frame, in order (a daily frame has one row
    # per date and metric): the reader appends, the consumer pops
    batch_rows: deque[int] = field(default_factory=deque, repr=False)

    def frames(self, batch_rows: int = 200_000) -> Iterator[tuple[pl.DataFrame, list[Rejected]]]:
        """Canonical frames (``schema.conform`` applied) and the rows rejected
        in each batch.  Reads the source lazily, batch by batch."""
        plan, raw = self._plan, self._raw
        assert plan is not None and raw is not None
        fmt = plan.fmt
        limits = plan.options
        seen = 0
        try:
            batches: Iterator[pl.DataFrame] | list[pl.DataFrame] = raw.batches(batch_rows)
            if fmt and fmt.whole_table:
                parts = list(batches)
                batches = [pl.concat(parts)] if parts else []
            for batch in batches:
                seen += batch.height
                if limits.max_rows is not None and seen > limits.max_rows:
                    raise BadFile(
                        tr(
                            "{file}: more than the limit of {limit} rows; split the export into "
                            "smaller periods.",
                            file=self.name,
                            limit=fmt_number(limits.max_rows),
                        )
                    )
                self._check_field_size(batch)
                batch = _prepare(batch, plan)
                if batch.height == 0:
                    continue
                frame, rejected = map_batch(batch, plan)
                self._collect_parser_warnings()
                self.batch_rows.append(batch.height)
                yield frame, rejected
            if plan.damaged_rows:
                self.warnings.append(
                    tr(
                        "{n} row(s) had an id that Excel turned into scientific notation (such as "
                        "'{example}'): those ids were dropped and the rows are keyed by their "
                        "content (text, author, time).",
                        n=fmt_number(plan.damaged_rows),
                        example=plan.damaged_example,
                    )
                )
        except BadFile:
            raise
        except (RecursionError, MemoryError) as exc:
            raise BadFile(
                tr("{file}: the data is too deeply nested or too large.", file=self.name)
            ) from exc
        except ENGINE_ERRORS as exc:  # never leak a raw traceback (or a Rust panic)
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise BadFile(
                tr(
                    "{file}: the data could not be read ({error}).",
                    file=self.name,
                    error=f"{type(exc).__name__}: {detail}",
                )
            ) from exc

    @property
    def guessed_date_order(self) -> str | None:
        """The day/month order used for dates that fit both (known once read)."""
        return self._plan.guessed_order() if self._plan is not None else None

    def _check_field_size(self, batch: pl.DataFrame) -> None:
        assert self._plan is not None
        cap = self._plan.options.max_field_bytes
        cols = [c for c, t in batch.schema.items() if t == pl.String]
        if not cols or not cap:
            return
        biggest = batch.select(pl.max_horizontal(pl.col(c).str.len_bytes().max() for c in cols))
        value = biggest.item()
        if value is not None and value > cap:
            raise BadFile(
                tr(
                    "{file}: a cell holds {n} bytes, more than the limit of {limit}; is the file "
                    "really a table export?",
                    file=self.name,
                    n=fmt_number(value),
                    limit=fmt_number(cap),
                )
            )

    def _collect_parser_warnings(self) -> None:
        assert self._plan is not None
        for p in self._plan.parsers.values():
            for w in p.warnings:
                if w not in self.warnings:
                    self.warnings.append(w)


def _prepare(batch: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    fmt = plan.fmt
    cols = plan.ctx.table.columns
    if cols and (fmt is None or fmt.drop_first_values):
        values = fmt.drop_first_values if fmt else ("total", "totals", "grand total")
        batch = batch.filter(first_column_filter(values, cols[0]))
    if fmt and fmt.prepare:
        batch = fmt.prepare(batch, plan.ctx)
    return batch


@dataclass
class Preview:
    name: str
    columns: list[str]
    samples: dict[str, list[str | None]]
    table: str
    mapping: dict[str, str]
    format_id: str | None
    format_label: str | None
    channel: str | None
    confidence: float
    header_signature: str
    warnings: list[str]


def preview(
    source: bytes | str | Path,
    name: str | None = None,
    options: MapOptions | None = None,
    rows: int = 5,
) -> Preview:
    """What the mapping wizard shows: columns, sample values, suggested mapping."""
    options = options or MapOptions()
    sources = open_sources(source, name, options)
    src = sources[0]
    assert src._raw is not None
    head = src._raw.head(rows)
    samples = {c: head[c].to_list() if c in head.columns else [] for c in src.columns}
    detected = src.format_id not in ("generic", "profile")
    return Preview(
        name=src.name,
        columns=src.columns,
        samples=samples,
        table=src.table,
        mapping=src.mapping,
        format_id=src.format_id if detected else None,
        format_label=src.format_label if detected else None,
        channel=src.channel,
        confidence=src.confidence,
        header_signature=header_signature(src.columns),
        warnings=src.warnings,
    )


def open_sources(
    source: bytes | str | Path,
    name: str | None = None,
    options: MapOptions | None = None,
) -> list[ParsedSource]:
    """One uploaded file -> its importable sources.

    Raises ``BadFile`` (with a message for the user) when nothing in the file
    can be imported.
    """
    options = options or MapOptions()
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if not path.is_file():
            raise BadFile(tr("{file}: file not found.", file=name))
        blob = Blob(path=path)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        blob = Blob(data=bytes(source))
        name = name or "upload"
    else:
        raise TypeError("source must be bytes, str or Path")
    try:
        return _open(blob, name, options, [MAX_DECOMPRESSED], 0)
    except BadFile:
        raise
    except RecursionError as exc:
        raise BadFile(
            tr("{file}: the data is too deeply nested to be an export.", file=name)
        ) from exc
    except ENGINE_ERRORS as exc:  # last resort: bad bytes must never crash the caller
        raise BadFile(
            tr(
                "{file}: could not be read ({error}).",
                file=name,
                error=f"{type(exc).__name__}: {str(exc)[:200]}",
            )
        ) from exc


def read_tables(blob: Blob, name: str, kind: str, limits: Limits) -> list[RawTable]:
    """The tables of one (non-archive) file of a sniffed kind; anything unknown is tried
    as delimited text."""
    if kind == "zip":
        return read_xlsx(blob, name, _header_score, limits)
    if kind == "xls":
        return read_xls(blob, name, _header_score, limits)
    if kind == "spreadsheetml":
        return read_spreadsheetml(blob, name, _header_score, limits)
    if kind == "parquet":
        return read_parquet(blob, name, limits)
    if kind in ("json", "js"):
        return read_json(blob, name, limits, JSON_EXPANDERS, js=kind == "js")
    return read_csv(blob, name, _header_score, limits)


def sniff_columns(source: bytes | str | Path, name: str, _depth: int = 0) -> list[str]:
    """The header of the (first) table in a file, even when no layout or
    mapping is recognised, so that the wizard can offer its columns; ``[]``
    when the file is not a table (HTML page, binary, empty, damaged)."""
    try:
        if isinstance(source, (str, Path)):
            blob = Blob(path=Path(source))
        else:
            blob = Blob(data=bytes(source))
        limits = Limits(max_rows=None)
        kind = sniff_kind(blob.head(), name)
        if kind == "gz" and _depth < 2:
            inner = gunzip(blob, name, [MAX_DECOMPRESSED])
            return sniff_columns(inner.source() if inner.data is None else inner.data,
                                 re.sub(r"\.gz$", "", name, flags=re.I), _depth + 1)  # fmt: skip
        if kind == "zip" and not is_xlsx_zip(blob):
            if _depth >= 2:
                return []
            for member, inner in zip_members(blob, name, [MAX_DECOMPRESSED]):
                if re.search(r"\.(csv|tsv|txt|xlsx|xls|json|jsonl|ndjson|parquet)$", member, re.I):
                    cols = sniff_columns(
                        inner.data if inner.data is not None else str(inner.path),
                        member,
                        _depth + 1,
                    )
                    if cols:
                        return cols
            return []
        if kind not in ("zip", "xls", "spreadsheetml", "parquet", "json", "js", "csv"):
            return []
        tables = read_tables(blob, name, kind, limits)
    except (BadFile, OSError, ValueError, RecursionError):
        return []
    for t in tables:
        if t.columns:
            return list(t.columns)
    return []


def _open(
    blob: Blob, name: str, options: MapOptions, budget: list[int], depth: int
) -> list[ParsedSource]:
    limits = Limits(options.max_rows, options.max_columns, options.max_field_bytes)
    head = blob.head()
    kind = sniff_kind(head, name)
    if kind == "empty":
        raise BadFile(tr("{file}: the file is empty.", file=name))
    if kind == "html":
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].decode("utf-8", "replace")
        raise BadFile(
            tr(
                "{file}: looks like an HTML page, not a data export (first bytes '{first}'). "
                "Download the export file itself, not the web page.",
                file=name,
                first=first,
            )
        )
    if kind == "xml":
        raise BadFile(
            tr(
                "{file}: XML that is not an Excel 2003 (SpreadsheetML) workbook; export the data "
                "as CSV or XLSX.",
                file=name,
            )
        )
    if kind == "binary":
        raise BadFile(
            tr(
                "{file}: not a readable data file (binary content); expected CSV, Excel, JSON, "
                "Parquet, or a .zip/.gz of them.",
                file=name,
            )
        )
    if kind in ("gz", "zip") and depth > 2:
        raise BadFile(tr("{file}: archives nested too deeply.", file=name))
    if kind == "gz":
        try:
            inner = gunzip(blob, name, budget)
        except BadFile:
            raise
        except Exception as exc:
            raise BadFile(tr("{file}: damaged gzip file ({error}).", file=name, error=exc)) from exc
        inner_name = re.sub(r"\.gz$", "", name, flags=re.I)
        if inner_name == name:
            inner_name = name + ".data"
        return _open(inner, inner_name, options, budget, depth + 1)
    if kind == "zip" and not is_xlsx_zip(blob):
        return _open_zip(blob, name, options, budget, depth)
    tables = read_tables(blob, name, kind, limits)
    for combine in TABLE_COMBINERS:
        tables = combine(tables)
    sources: list[ParsedSource] = []
    errors: list[str] = []
    for t in tables:
        try:
            sources.extend(_plan_sources(t, options))
        except BadFile as exc:
            if len(tables) == 1:
                raise
            errors.append(str(exc))
    if not sources:
        raise BadFile(
            errors[0]
            if len(errors) == 1
            else tr(
                "{file}: no sheet could be imported: {errors}",
                file=name,
                errors=" | ".join(errors[:5]),
            )
        )
    if errors and len(tables) > 1:
        skipped = tr("{n} sheet(s) skipped (no usable column)", n=fmt_number(len(errors)))
        for s in sources:
            s.warnings.append(skipped)
    return sources


def _open_zip(
    blob: Blob, name: str, options: MapOptions, budget: list[int], depth: int
) -> list[ParsedSource]:
    members = zip_members(blob, name, budget)
    sources: list[ParsedSource] = []
    errors: list[str] = []
    for member_name, member in members:
        if not _DATA_EXT.search(member_name):
            continue
        try:
            sources.extend(_open(member, member_name, options, budget, depth + 1))
        except ArchiveTooLarge:
            raise
        except BadFile as exc:
            errors.append(str(exc))
    if not sources:
        if errors:
            raise BadFile(
                tr(
                    "{file}: no file in the archive could be imported: {error}",
                    file=name,
                    error=errors[0],
                )
            )
        raise BadFile(
            tr("{file}: the archive holds no data file (CSV, Excel, JSON, Parquet).", file=name)
        )
    for e in errors:
        sources[0].warnings.append(tr("skipped: {error}", error=e))
    return sources


# ---------------------------------------------------------------------------
# planning one table


def _plan_sources(raw: RawTable, options: MapOptions) -> list[ParsedSource]:
    columns = raw.columns
    warnings = list(raw.warnings)
    ctx = Ctx(name=raw.name, table=raw, options=options, warnings=warnings)
    fmt, conf = detect(columns, raw.name)
    if options.mapping:
        return [
            _user_plan(raw, ctx, options.mapping, options.table, options.channel, fmt, "generic")
        ]
    if options.table and fmt is None:
        # The user said which table these rows are: map the columns by their names onto it.
        _, mapping = suggest_mapping(columns)
        keep = {k: v for k, v in mapping.items() if k in schema.FIELDS[options.table]}
        return [_user_plan(raw, ctx, keep, options.table, options.channel, fmt, "generic")]
    sig = header_signature(columns)
    if sig in options.profiles:
        prof = options.profiles[sig]
        src = _user_plan(
            raw, ctx, dict(prof.get("mapping", {})), prof.get("table"),
            options.channel or prof.get("channel"), fmt, "profile",
        )  # fmt: skip
        if src._plan is not None and prof.get("date_order") in parsing.DATE_ORDERS:
            src._plan.date_order = prof["date_order"]
        return [src]
    if fmt is None:
        _raise_if_incomplete(raw)
        return [_generic_plan(raw, ctx)]
    out = [_format_plan(raw, ctx, fmt, conf)]
    for cid in fmt.companions:
        comp = _BY_ID[cid]
        cctx = Ctx(name=raw.name, table=raw, options=options, warnings=list(raw.warnings))
        out.append(_format_plan(raw, cctx, comp, conf))
    return out


@dataclass
class Proposal:
    """A known layout the columns match only partly, with the mapping it suggests."""

    fmt: FormatDef
    table: str
    mapping: dict[str, str]  # field -> column, for the columns the file has
    missing: list[str]  # fields of the layout's signature that no column fills


def _partial(columns: list[str], name: str) -> FormatDef | None:
    """The known layout the columns belong to, with some signature column missing: its
    anchors all present, or most of its signature (at least two columns)."""
    normed = {norm(c) for c in columns}
    best: FormatDef | None = None
    best_share = 0.0
    for fmt in FORMATS:
        if fmt.name_pattern and not re.search(fmt.name_pattern, name, re.I):
            continue
        if any(has(normed, a) for a in fmt.absent):
            continue
        present = sum(1 for s in fmt.signature if has(normed, s))
        if present == len(fmt.signature):
            continue  # a full match is a detection, not a proposal
        anchored = bool(fmt.anchors) and all(has(normed, a) for a in fmt.anchors)
        share = present / max(len(fmt.signature), 1)
        if anchored or (present >= 2 and share >= 0.5):
            if share + anchored > best_share:
                best, best_share = fmt, share + anchored
    return best


def propose(columns: list[str], name: str = "") -> Proposal | None:
    """The mapping of the known layout that ``columns`` match partly (a renamed or missing
    column), completed by column-name synonyms: what the mapping wizard pre-fills."""
    fmt = _partial(columns, name)
    if fmt is None:
        return None
    mapping = {f: c for f, c in fmt.resolve_mapping(columns).items() if c in columns}
    table, generic_map = suggest_mapping(columns)
    if table == fmt.table:
        used = set(mapping.values())
        for fld, col in generic_map.items():
            if fld not in mapping and col not in used and fld in schema.FIELDS[fmt.table]:
                mapping[fld] = col
                used.add(col)
    required = schema.REQUIRED.get(fmt.table, ())
    missing = [f for f in required if f not in mapping and f in schema.FIELDS[fmt.table]]
    return Proposal(fmt=fmt, table=fmt.table, mapping=mapping, missing=missing)


def _field_of(normed_name: str, fmt: FormatDef) -> str | None:
    alts = set(normed_name.split("|"))
    for fld, cands in fmt.mapping.items():
        if any(norm(c) in alts for c in cands):
            return fld
    return None


def _raise_if_incomplete(raw: RawTable) -> None:
    normed = {norm(c) for c in raw.columns}
    for fmt in FORMATS:
        if fmt.anchors and all(has(normed, a) for a in fmt.anchors):
            if fmt.name_pattern and not re.search(fmt.name_pattern, raw.name, re.I):
                continue
            missing = [s for s in fmt.signature if not has(normed, s)]
            if missing:
                label = _display(missing[0].split("|")[0], fmt)
                fld = _field_of(missing[0], fmt)
                shown = ", ".join(raw.columns[:30])
                if fld:
                    raise BadFile(
                        tr(
                            "{file}: looks like a {layout} but the `{column}` column is missing; "
                            "map the column that holds it (--map {field}=COLUMN, or in the mapping "
                            "proposed on the Import page). Columns seen: {columns}",
                            file=raw.name,
                            layout=tr(fmt.label),
                            column=label,
                            field=fld,
                            columns=shown,
                        )
                    )
                raise BadFile(
                    tr(
                        "{file}: looks like a {layout} but the `{column}` column is missing. "
                        "Columns seen: {columns}",
                        file=raw.name,
                        layout=tr(fmt.label),
                        column=label,
                        columns=shown,
                    )
                )


def _display(normed_name: str, fmt: FormatDef) -> str:
    for cands in fmt.mapping.values():
        for c in cands:
            if norm(c) == normed_name:
                return c
    return normed_name


def _detect_channel(fmt: FormatDef | None, ctx: Ctx) -> str | None:
    if ctx.options.channel:
        return ctx.options.channel
    if fmt is not None:
        if fmt.channel_rule is not None:
            chan = fmt.channel_rule(ctx)
            if chan:
                return chan
        if fmt.channel:
            return fmt.channel
    return channel_from_name(ctx.name)


def _yearless_setup(plan: Plan, date_col: str | None) -> None:
    if date_col is None:
        return
    head = plan.ctx.table.head(50)
    if date_col not in head.columns:
        return
    sample = [v for v in head[date_col].to_list() if isinstance(v, str) and v.strip()]
    if not parsing.looks_yearless(sample):
        return
    plan.yearless = True
    if plan.options.year:
        plan.year = plan.options.year
    else:
        year = parsing.year_from_name(plan.ctx.name)
        if year:
            plan.year = year
            plan.ctx.warnings.append(
                tr(
                    "dates have no year; year taken from file name: {year} (set the year if wrong)",
                    year=year,
                )
            )


def _format_plan(raw: RawTable, ctx: Ctx, fmt: FormatDef, conf: float) -> ParsedSource:
    columns = raw.columns
    mapping = fmt.resolve_mapping([*columns, *fmt.derived])
    plan = Plan(
        table=fmt.table,
        mapping=mapping,
        channel=_detect_channel(fmt, ctx),
        options=ctx.options,
        fmt=fmt,
        ctx=ctx,
    )
    if fmt.table == "daily_metrics":
        if "date" not in mapping:
            raise BadFile(
                tr(
                    "{file}: looks like a {layout} but no date column was found.",
                    file=raw.name,
                    layout=tr(fmt.label),
                )
            )
        if fmt.metric_columns is not None:
            wanted = {norm(m) for m in fmt.metric_columns}
            plan.metric_columns = [c for c in columns if norm(c) in wanted]
        else:
            skip = {norm(m) for m in fmt.metric_exclude} | {norm(mapping["date"])}
            others = [c for c in columns if norm(c) not in skip]
            plan.metric_columns = numeric_columns(raw.head(200), others)
        if len(plan.metric_columns) == 1 and norm(plan.metric_columns[0]) == "primary":
            plan.metric_name = meta.metric_title(ctx) or "value"
    _yearless_setup(plan, mapping.get("created_at") or mapping.get("date"))
    return ParsedSource(
        name=raw.name,
        format_id=fmt.id,
        format_label=fmt.label,
        confidence=conf,
        table=fmt.table,
        channel=plan.channel,
        columns=columns,
        mapping=mapping,
        warnings=ctx.warnings,
        snapshot=fmt.snapshot,
        _plan=plan,
        _raw=raw,
    )


def _generic_plan(raw: RawTable, ctx: Ctx) -> ParsedSource:
    table, mapping = suggest_mapping(raw.columns)
    shown = ", ".join(raw.columns[:30]) + ("…" if len(raw.columns) > 30 else "")
    if table == "comments" and ("text" not in mapping or "created_at" not in mapping):
        if "text" not in mapping and "created_at" not in mapping:
            raise BadFile(
                tr(
                    "{file}: no column looks like a text or a date; map the columns "
                    "(--map text=COLUMN --map created_at=COLUMN). Columns seen: {columns}",
                    file=raw.name,
                    columns=shown,
                )
            )
        if "text" not in mapping:
            raise BadFile(
                tr(
                    "{file}: no column looks like a text; map it (--map text=COLUMN). "
                    "Columns seen: {columns}",
                    file=raw.name,
                    columns=shown,
                )
            )
        raise BadFile(
            tr(
                "{file}: no column looks like a date; map it (--map created_at=COLUMN). "
                "Columns seen: {columns}",
                file=raw.name,
                columns=shown,
            )
        )
    if table == "posts" and ("post_id" not in mapping or "created_at" not in mapping):
        miss = "post_id" if "post_id" not in mapping else "created_at"
        raise BadFile(
            tr(
                "{file}: looks like per-post metrics but no column looks like `{field}`; map it "
                "(--map {field}=COLUMN). Columns seen: {columns}",
                file=raw.name,
                field=miss,
                columns=shown,
            )
        )
    return _build_generic(raw, ctx, table, mapping, None, "generic", ctx.options.channel)


def _user_plan(
    raw: RawTable,
    ctx: Ctx,
    mapping: dict[str, str],
    table: str | None,
    channel: str | None,
    fmt: FormatDef | None,
    kind: str,
) -> ParsedSource:
    by_norm = {norm(c): c for c in raw.columns}
    resolved: dict[str, str] = {}
    for fld, col in mapping.items():
        real = col if col in raw.columns else by_norm.get(norm(col))
        if real is None:
            raise BadFile(
                tr(
                    "{file}: the mapping uses column `{column}` for {field}, but the file has no "
                    "such column. Columns seen: {columns}",
                    file=raw.name,
                    column=col,
                    field=fld,
                    columns=", ".join(raw.columns[:30]),
                )
            )
        resolved[fld] = real
    if table is None:
        keys = set(resolved)
        if {"date", "metric", "value"} <= keys or ("date" in keys and "created_at" not in keys):
            table = "daily_metrics"
        elif keys & {"impressions", "reach", "views", "clicks", "saves", "post_type", "comments"}:
            table = "posts"
        else:
            table = suggest_mapping(raw.columns)[0] if not keys & {"text"} else "comments"
    if table not in schema.TABLES:
        raise BadFile(
            tr(
                "{file}: unknown table {table}; use one of {tables}.",
                file=raw.name,
                table=repr(table),
                tables=", ".join(schema.TABLES),
            )
        )
    unknown = [f for f in resolved if f not in schema.FIELDS[table]]
    if unknown:
        raise BadFile(
            tr(
                "{file}: {unknown} is not a field of {table}; fields are {fields}.",
                file=raw.name,
                unknown=", ".join(unknown),
                table=table,
                fields=", ".join(schema.FIELDS[table]),
            )
        )
    chan = channel or (fmt.channel if fmt else None) or channel_from_name(raw.name)
    return _build_generic(raw, ctx, table, resolved, None, kind, chan)


def _build_generic(
    raw: RawTable,
    ctx: Ctx,
    table: str,
    mapping: dict[str, str],
    fmt: FormatDef | None,
    kind: str,
    channel: str | None,
) -> ParsedSource:
    plan = Plan(
        table=table,
        mapping=mapping,
        channel=channel or channel_from_name(raw.name),
        options=ctx.options,
        fmt=fmt,
        ctx=ctx,
    )
    if table == "daily_metrics" and not ({"metric", "value"} <= set(mapping)):
        if "date" not in mapping:
            raise BadFile(
                tr("{file}: daily metrics need a date column (--map date=COLUMN).", file=raw.name)
            )
        others = [c for c in raw.columns if c != mapping["date"]]
        plan.metric_columns = numeric_columns(raw.head(200), others)
        if not plan.metric_columns:
            raise BadFile(
                tr("{file}: a date column but no numeric metric column was found.", file=raw.name)
            )
    _yearless_setup(plan, mapping.get("created_at") or mapping.get("date"))
    # kept in English (the import record stores them); pages translate them
    labels = {"generic": mark("Generic table mapped by column names"),
              "profile": mark("Saved mapping")}  # fmt: skip
    return ParsedSource(
        name=raw.name,
        format_id=kind,
        format_label=labels.get(kind, kind),
        confidence=0.5 if kind == "generic" else 1.0,
        table=table,
        channel=plan.channel,
        columns=raw.columns,
        mapping=mapping,
        warnings=ctx.warnings,
        snapshot=False,
        _plan=plan,
        _raw=raw,
    )
