"""Import files into the store: read, detect, map, validate, score, store.

The CLI and the Import page both call :func:`import_files`. Every file is
handled on its own: a bad file yields a result with an error message that
names it, nothing of it is stored, and the next file goes on. Each source
(one file, or one member of an archive) is written in one transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from trustdash import config, privacy, sentiment
from trustdash.formats import ENGINE_ERRORS, BadFile, MapOptions, ParsedSource, open_sources
from trustdash.i18n import fmt_number, tr, trn
from trustdash.schema import COMMENT_FIELDS
from trustdash.store import ImportBatch, Store, StoreError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass
class FileResult:
    """What happened to one file (or archive member); also the CLI's JSON shape."""

    path: str
    format: str | None = None
    format_label: str | None = None
    confidence: float | None = None
    channel: str | None = None
    table: str | None = None
    rows_read: int = 0
    rows_imported: int = 0
    rows_updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_id: int | None = None
    seconds: float = 0.0
    # the day/month order used where every date fitted both ("dmy", "mdy"), else None
    date_order: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def nothing_new(self) -> bool:
        """Read fine, but every row was already stored (or rejected)."""
        return self.ok and self.rows_imported == 0 and self.rows_updated == 0

    def summary(self) -> str:
        """One line of counts, in rows of the file, in the current language."""
        if not self.ok:
            return tr("failed, nothing stored")
        counts = {
            "read": fmt_number(self.rows_read), "imported": fmt_number(self.rows_imported),
            "updated": fmt_number(self.rows_updated), "duplicates": fmt_number(self.duplicates),
            "rejected": fmt_number(self.rejected),
        }  # fmt: skip
        if self.nothing_new:
            if self.rejected:
                return tr("nothing new: {duplicates} duplicate(s), {rejected} rejected", **counts)
            return tr("nothing new: {duplicates} duplicate(s)", **counts)
        if self.rows_updated:
            return tr("{read} read, {imported} imported, {updated} updated, {duplicates} "
                      "duplicate(s), {rejected} rejected", **counts)  # fmt: skip
        return tr("{read} read, {imported} imported, {duplicates} duplicate(s), {rejected} "
                  "rejected", **counts)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportOptions:
    channel: str | None = None
    campaign: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    table: str | None = None
    year: int | None = None
    date_order: str | None = None  # "dmy", "mdy" or "ymd"; None: decided per file
    user: str | None = None
    score_sentiment: bool = True
    batch_rows: int = 200_000


def _map_options(store: Store, opts: ImportOptions) -> MapOptions:
    return MapOptions(
        mapping=dict(opts.mapping),
        table=opts.table,
        channel=_clean_channel(opts.channel),
        campaign=(opts.campaign or None),
        year=opts.year,
        date_order=opts.date_order,
        profiles=store.mapping_profiles(),
        max_rows=config.MAX_ROWS_PER_FILE,
        max_columns=config.MAX_COLUMNS_PER_FILE,
        max_field_bytes=config.MAX_FIELD_BYTES,
    )


def _clean_channel(name: str | None) -> str | None:
    if name is None:
        return None
    name = " ".join(str(name).split()).lower()
    return name[:60] or None


# Store setting: where a review has a star rating, the rating decides its sentiment.
RATING_SETTING = "rating_decides_sentiment"
RATING_DEFAULT = True
# Ratings on the 1..5 scale: 4-5 stars positive, 3 neutral, 1-2 negative.
RATING_MIN, RATING_MAX = 1.0, 5.0


def rating_rule_on(store: Store) -> bool:
    """Whether star ratings decide review sentiment (the text only where there is none)."""
    return bool(store.get_setting(RATING_SETTING, RATING_DEFAULT))


def rating_sentiment(rating: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(label, polarity) a 1..5 star rating stands for; nulls where there is no rating."""
    rated = rating.is_between(RATING_MIN, RATING_MAX)
    label = (
        pl.when(rated & (rating >= 4))
        .then(pl.lit("positive"))
        .when(rated & (rating <= 2))
        .then(pl.lit("negative"))
        .when(rated)
        .then(pl.lit("neutral"))
    )
    polarity = pl.when(rated).then(((rating - 3.0) / 2.0).round(2))
    return label, polarity


def brand_terms(store: Store) -> list[str]:
    """Words that must not count as sentiment: brand names, products and brand accounts."""
    terms = list(store.get_setting("brand_terms", []) or [])
    for account in store.get_setting("brand_accounts", []) or []:
        terms.append(str(account).lstrip("@"))
    return [t for t in dict.fromkeys(t.strip() for t in terms) if t]


def lexicon_overrides(store: Store) -> dict[str, float]:
    raw = store.get_setting("lexicon_overrides", {}) or {}
    out = {}
    for word, value in raw.items():
        try:
            out[str(word)] = float(value)
        except (TypeError, ValueError):
            continue
    return out


def overrides_version(overrides: dict[str, float], terms: Sequence[str]) -> str:
    payload = json.dumps([sorted(overrides.items()), sorted(terms)], ensure_ascii=False)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def import_files(
    store: Store,
    files: Sequence[tuple[str, bytes | str | Path]],
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> list[FileResult]:
    """Import ``files`` given as (display name, bytes or path). Never raises for bad input."""
    opts = options or ImportOptions()
    results: list[FileResult] = []
    total = max(len(files), 1)
    for i, (name, source) in enumerate(files):

        def sub(frac: float, text: str, i: int = i) -> None:
            if progress:
                progress(min(1.0, (i + max(0.0, min(frac, 1.0))) / total), text)

        sub(0.0, tr("Reading {file}…", file=name))
        results.extend(_import_one(store, name, source, opts, sub))
    if progress:
        progress(1.0, tr("Done"))
    return results


def _import_one(
    store: Store, name: str, source: bytes | str | Path, opts: ImportOptions, progress: Progress
) -> list[FileResult]:
    started = time.perf_counter()
    try:
        # The file is hashed while it is sniffed and planned (hashlib releases the GIL), in
        # the caller's context like every thread of an import.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="trustdash-hash") as pool:
            hashing = pool.submit(contextvars.copy_context().run, _sha256, source)
            try:
                sources = open_sources(source, name, _map_options(store, opts))
            finally:
                digest = hashing.result()  # a file that cannot be hashed fails first
    except BadFile as exc:
        return [FileResult(path=name, errors=[str(exc)])]
    except MemoryError:
        return [FileResult(path=name, errors=[
            tr("{file}: the file is too large to read here.", file=name)])]  # fmt: skip
    except ENGINE_ERRORS as exc:  # never let a traceback (or a Rust panic) reach the user
        log.exception("unexpected error reading %s", name)
        return [FileResult(path=name, errors=[
            tr("{file}: could not be read ({error}).", file=name, error=_brief(exc))])]  # fmt: skip
    if not sources:
        return [FileResult(path=name, errors=[
            tr("{file}: no data table was found in the file.", file=name)])]  # fmt: skip
    out = []
    for src in sources:
        res = FileResult(
            path=src.name or name,
            format=src.format_id,
            format_label=src.format_label,
            confidence=round(float(src.confidence), 3),
            channel=src.channel or _clean_channel(opts.channel),
            table=src.table,
            warnings=list(src.warnings),
        )
        try:
            _store_source(store, src, digest, opts, res, progress)
        except BadFile as exc:
            res.errors.append(str(exc))
            _reset_counts(res)
        except (StoreError, MemoryError) as exc:
            res.errors.append(f"{res.path}: {exc}")
            _reset_counts(res)
        except ENGINE_ERRORS as exc:
            log.exception("unexpected error importing %s", res.path)
            res.errors.append(
                tr(
                    "{file}: import failed, nothing was stored ({error}).",
                    file=res.path,
                    error=_brief(exc),
                )
            )
            _reset_counts(res)
        res.seconds = round(time.perf_counter() - started, 3)
        out.append(res)
    return out


def _reset_counts(res: FileResult) -> None:
    res.rows_imported = res.rows_updated = res.duplicates = 0
    res.import_id = None


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _sha256(source: bytes | str | Path) -> str:
    h = hashlib.sha256()
    if isinstance(source, bytes | bytearray):
        h.update(source)
    else:
        with open(source, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _store_source(
    store: Store,
    src: ParsedSource,
    digest: str,
    opts: ImportOptions,
    res: FileResult,
    progress: Progress,
) -> None:
    channel = res.channel
    meta = {
        "file_name": res.path,
        "sha256": digest,
        "format": src.format_id,
        "format_label": src.format_label,
        "confidence": src.confidence,
        "channel": channel,
        "campaign": opts.campaign,
        "table": src.table,
        "warnings": list(src.warnings),
        "imported_by": opts.user,
        "options": json.dumps(
            {"channel": opts.channel, "campaign": opts.campaign, "map": opts.mapping,
             "date_order": opts.date_order, "year": opts.year},
            sort_keys=True,
        ),
    }
    terms = brand_terms(store)
    overrides = lexicon_overrides(store)
    if store.get_setting("scoring_version") is None:
        # The first scoring fixes the version that later scorer changes are compared to.
        store.set_setting(
            "scoring_version", f"{sentiment.SCORER_VERSION}:{overrides_version(overrides, terms)}"
        )
    # Author pseudonymisation: resolved before the transaction (it may create the secret).
    anon = privacy.pseudonymiser(store)
    ratings = rating_rule_on(store)
    author_cols = [src.mapping[k] for k in privacy.AUTHOR_FIELDS if k in src.mapping]
    started = time.perf_counter()
    with store.import_batch(meta) as batch:
        res.import_id = batch.import_id
        first_reasons: list[str] = []
        dates = {"new": 0, "updated": 0, "same": 0}  # daily files: one file row per date
        early_replies = 0  # inline replies dated before their comment
        # The next batch is read and mapped while this one is stored.
        with contextlib.closing(prefetch(_canonical(src, channel, opts, anon))) as frames:
            for frame, rejected in frames:
                file_rows = src.batch_rows.popleft() if src.batch_rows else None
                if src.table == "daily_metrics" and file_rows is not None:
                    batch.rows_read += file_rows
                else:
                    batch.rows_read += frame.height + len(rejected)
                for r in rejected[:3]:
                    if len(first_reasons) < 3:
                        first_reasons.append(tr("row {row}: {reason}", row=r.row, reason=r.reason))
                if rejected:
                    batch.add_rejected(
                        [
                            (
                                r.row,
                                r.reason,
                                json.dumps(
                                    anon.raw(r.raw, author_cols) if anon else r.raw,
                                    ensure_ascii=False,
                                    default=str,
                                ),
                            )
                            for r in rejected
                        ]
                    )
                if src.table == "comments":
                    prepared = prepare_comments(
                        frame, batch, terms, overrides, opts.score_sentiment, anon=anon,
                        ratings=ratings,
                    )  # fmt: skip
                    batch.add_comments(prepared)
                    early_replies += _replies_before_comment(prepared)
                elif src.table == "posts":
                    if anon is not None:
                        frame = anon(frame)
                    batch.add_posts(frame)
                elif src.table == "daily_metrics":
                    for k, n in zip(dates, _daily_date_counts(batch, frame), strict=True):
                        dates[k] += n
                    batch.add_daily_metrics(frame)
                elapsed = max(time.perf_counter() - started, 1e-6)
                rate = batch.rows_read / elapsed
                progress(
                    0.5,
                    trn(
                        "{file}: {n} rows read ({rate} rows/s)",
                        "{file}: {n} rows read ({rate} rows/s)",
                        batch.rows_read,
                        file=res.path,
                        rate=fmt_number(rate),
                    ),
                )
        if batch.rows_read == 0:
            raise BadFile(tr("{file}: the file has a header but no data rows.", file=res.path))
        if early_replies:
            res.warnings.append(
                tr(
                    "{n} repl(ies) dated before the comment they answer: not counted as response "
                    "times (the comment counts as unanswered).",
                    n=fmt_number(early_replies),
                )
            )
        # Rows are written and the rollups refreshed as the import commits, after the last
        # batch: on a big file that takes a while, so say so.
        progress(0.9, trn("{file}: {n} rows read; storing them and updating the dashboards…",
                          "{file}: {n} rows read; storing them and updating the dashboards…",
                          batch.rows_read, file=res.path))  # fmt: skip
        if batch.rejected == batch.rows_read:
            # Nothing usable: refuse the file whole rather than record an empty import.
            raise BadFile(
                tr(
                    "{file}: every row was rejected, nothing was stored ({reasons}). Check the "
                    "layout or map the columns.",
                    file=res.path,
                    reasons="; ".join(first_reasons),
                )
            )
        if src.table == "daily_metrics":
            # Counted in rows of the file (dates), not in (date, metric) values; the
            # import record gets the same figures.
            batch.counts.rows_imported = dates["new"]
            batch.counts.rows_updated = dates["updated"]
            batch.counts.duplicates = dates["same"]
        res.rows_read = batch.rows_read
        res.rejected = batch.rejected
        stored = sorted(batch.channels | batch.post_channels)
        if len(stored) == 1:
            res.channel = stored[0]  # rows that name their channel win over the layout's
        res.date_order = src.guessed_date_order
        # notes found while reading (date order, year) join those of the detection
        res.warnings.extend(w for w in src.warnings if w not in res.warnings)
        if res.warnings != meta["warnings"]:
            # the import record was written before the file was read: give it those notes
            batch.set_warnings(res.warnings)
    res.rows_imported = batch.counts.rows_imported
    res.rows_updated = batch.counts.rows_updated
    res.duplicates = batch.counts.duplicates
    if res.rejected:
        res.warnings.append(
            tr(
                "{n} row(s) rejected; see the import history for the reasons.",
                n=fmt_number(res.rejected),
            )
        )


def _replies_before_comment(prepared: pl.DataFrame) -> int:
    """Rows whose inline reply is dated before the comment itself."""
    if "replied_at" not in prepared.columns or "created_at" not in prepared.columns:
        return 0
    early = prepared.select(
        (pl.col("replied_at") < pl.col("created_at")).fill_null(False).sum()
    ).item()
    return int(early or 0)


def _daily_date_counts(batch: ImportBatch, frame: pl.DataFrame) -> tuple[int, int, int]:
    """(new, updated, unchanged) dates of a daily frame against the stored values: a date
    is new when one of its metrics is, updated when one of its values changes."""
    rows = frame.filter(pl.col("value").is_not_null() & pl.col("date").is_not_null())
    if rows.is_empty():
        return 0, 0, 0
    rows = rows.select("channel", "date", "metric", "value").unique(
        ["channel", "date", "metric"], keep="last", maintain_order=True
    )
    channels = rows.get_column("channel").unique().drop_nulls().to_list()
    stored = batch.stored_daily_values(channels, rows["date"].min(), rows["date"].max())
    if stored.is_empty():
        return rows.select("channel", "date").n_unique(), 0, 0
    stored = stored.with_columns(pl.col("date").cast(pl.Date), pl.col("stored").cast(pl.Float64))
    joined = rows.with_columns(pl.col("date").cast(pl.Date)).join(
        stored, on=["channel", "date", "metric"], how="left"
    )
    per_date = joined.group_by("channel", "date").agg(
        pl.col("stored").is_null().any().alias("new"),
        (pl.col("stored") != pl.col("value")).fill_null(False).any().alias("changed"),
    )
    new = int(per_date["new"].sum())
    updated = int((~per_date["new"] & per_date["changed"]).sum())
    return new, updated, per_date.height - new - updated


def _canonical(
    src: ParsedSource,
    channel: str | None,
    opts: ImportOptions,
    anon: privacy.Pseudonymiser | None,
) -> Iterator[tuple[pl.DataFrame, list[Any]]]:
    """The source's frames with channel and campaign filled and, for comments, the row
    keys: the part of preparing a batch that needs no store (it runs in the reader)."""
    for frame, rejected in src.frames(opts.batch_rows):
        frame = _fill_common(frame, channel, opts)
        if "channel" in frame.columns:
            frame = frame.with_columns(pl.col("channel").fill_null("unknown"))
        if src.table == "comments":
            frame = comment_keys(frame, anon=anon)
        yield frame, rejected


_DONE = object()


def prefetch(items: Iterator[Any], depth: int = 1) -> Iterator[Any]:
    """Yield ``items`` while a worker thread reads the next ones.

    Reading and mapping a batch (polars) and storing the previous one (DuckDB) both
    release the GIL, so on two cores they overlap. At most ``depth`` batches wait in
    the queue, so memory stays bounded; an error of the reader is re-raised here, and
    leaving the loop early (an error while storing) stops the reader. The worker runs in
    a copy of the caller's context: the messages it writes (rejection reasons, warnings,
    errors) are in the caller's language.
    """
    slots: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put((False, exc))
            return
        put((True, _DONE))

    context = contextvars.copy_context()
    worker = threading.Thread(
        target=context.run, args=(work,), name="trustdash-import-reader", daemon=True
    )
    worker.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _fill_common(frame: pl.DataFrame, channel: str | None, opts: ImportOptions) -> pl.DataFrame:
    exprs = []
    if "channel" in frame.columns:
        chan = pl.col("channel").cast(pl.String).str.strip_chars().str.to_lowercase()
        chan = pl.when(chan == "").then(None).otherwise(chan)
        if opts.channel:
            chan = pl.lit(_clean_channel(opts.channel))
        elif channel:
            chan = chan.fill_null(pl.lit(channel))
        exprs.append(chan.alias("channel"))
    if "campaign" in frame.columns:
        camp = pl.col("campaign").cast(pl.String).str.strip_chars()
        camp = pl.when(camp == "").then(None).otherwise(camp)
        if opts.campaign:
            camp = camp.fill_null(pl.lit(opts.campaign))
        exprs.append(camp.alias("campaign"))
    return frame.with_columns(exprs) if exprs else frame


def _row_keys(frame: pl.DataFrame) -> pl.Series:
    """Natural key: the platform id when there is one, else a hash of author, time and text
    (so the same comment in overlapping exports is stored once)."""
    ids = frame.get_column("comment_id").cast(pl.String).str.strip_chars()
    need = ids.is_null() | (ids == "")
    if not need.any():
        return ids
    sub = frame.filter(need).select(
        pl.concat_str(
            [
                pl.col("author").fill_null(""),
                pl.col("created_at").cast(pl.String).fill_null(""),
                pl.col("text").fill_null(""),
                pl.col("post_id").fill_null(""),
            ],
            separator="\x1f",
        ).alias("k")
    )
    hashed = [
        "h:" + hashlib.blake2b(k.encode("utf-8", "replace"), digest_size=12).hexdigest()
        for k in sub.get_column("k").to_list()
    ]
    out = ids.to_list()
    it = iter(hashed)
    for i, flag in enumerate(need.to_list()):
        if flag:
            out[i] = next(it)
    return pl.Series("row_key", out, dtype=pl.String)


def comment_keys(
    frame: pl.DataFrame, *, anon: privacy.Pseudonymiser | None = None
) -> pl.DataFrame:
    """Every comment field (missing ones as nulls), authors pseudonymised, and row keys."""
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in COMMENT_FIELDS.items()
        if name not in frame.columns
    ]
    if missing:
        frame = frame.with_columns(missing)
    if anon is not None:  # before row keys: the raw name must not shape the stored key
        frame = anon(frame)
    return frame.with_columns(_row_keys(frame).alias("row_key"))


def prepare_comments(
    frame: pl.DataFrame,
    batch: ImportBatch,
    terms: Sequence[str],
    overrides: dict[str, float],
    score: bool = True,
    *,
    anon: privacy.Pseudonymiser | None = None,
    ratings: bool = RATING_DEFAULT,
) -> pl.DataFrame:
    """Add the store's derived columns: row key, sentiment (cached by text key), flags.

    With ``ratings``, a review's star rating decides its label and polarity; the text's
    score stays in the sentiment cache (turning the rule off goes back to it)."""
    if "row_key" not in frame.columns:
        frame = comment_keys(frame, anon=anon)
    texts = frame.get_column("text").cast(pl.String).fill_null("")
    if score:
        keys = sentiment.text_key(texts, terms, overrides_version(overrides, terms))
    else:
        # Unscored imports get their key when they are scored (re-scoring sets it).
        keys = pl.Series("text_key", [None] * frame.height, dtype=pl.String)
    frame = frame.with_columns(keys.alias("text_key"))
    scores = pl.DataFrame(
        schema={
            "text_key": pl.String, "polarity": pl.Float64, "label": pl.String,
            "lang": pl.String, "scored": pl.Boolean, "is_complaint": pl.Boolean,
            "is_question": pl.Boolean,
        }
    )  # fmt: skip
    if score:
        cached = batch.cached_scores(keys)
        have = set(cached.get_column("text_key").to_list()) if cached.height else set()
        todo = frame.select("text_key", "text").unique("text_key").filter(
            ~pl.col("text_key").is_in(list(have))
        )
        if todo.height:
            fresh = sentiment.score(
                todo.get_column("text").cast(pl.String).fill_null(""),
                brand_terms=terms,
                lexicon_overrides=overrides or None,
            )
            fresh = pl.concat([todo.select("text_key"), fresh], how="horizontal")
            batch.cache_scores(fresh)
            scores = pl.concat([cached.select(scores.columns), fresh.select(scores.columns)])
        else:
            scores = cached.select(scores.columns)
    # The scorer's language wins over a file's own language column: it decides routing.
    frame = frame.drop("lang").join(scores, on="text_key", how="left")
    if ratings:
        label, polarity = rating_sentiment(pl.col("rating").cast(pl.Float64))
        frame = frame.with_columns(
            pl.coalesce(label, pl.col("label")).alias("label"),
            pl.coalesce(polarity, pl.col("polarity")).alias("polarity"),
        )
    return frame.with_columns(
        pl.col("is_brand").fill_null(False).alias("is_brand_source"),
        pl.col("is_brand").fill_null(False).alias("is_brand"),
        pl.col("is_automated").fill_null(False),
        pl.col("polarity").fill_null(0.0),
        pl.col("label").fill_null("neutral"),
        pl.col("scored").fill_null(False),
        pl.col("is_complaint").fill_null(False),
        pl.col("is_question").fill_null(False),
        pl.col("lang").fill_null("und"),
        pl.col("polarity").fill_null(0.0).alias("model_polarity"),
        pl.col("label").fill_null("neutral").alias("model_label"),
        pl.when(pl.col("campaign").is_not_null()).then(pl.lit("file")).alias("campaign_source"),
    )
