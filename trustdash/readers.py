"""Bytes -> string tables.

Turns whatever a user uploads (CSV/TSV in any common encoding, xlsx, BIFF
xls, SpreadsheetML 2003 XML named .xls, JSON, X archive .js, Parquet, and
.gz/.zip around any of them) into ``RawTable`` objects: a header and batches
of all-String polars frames.  No interpretation of the columns happens here;
that is the job of ``trustdash.formats``.

Every failure caused by the file's content is raised as ``BadFile`` with a
message for the user.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import tempfile
import weakref
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pyarrow.parquet as pq
import xlrd

from trustdash.i18n import fmt_decimal, fmt_number, tr
from trustdash.parsing import fix_mojibake

MAX_DECOMPRESSED = 2 * 1024**3  # archive bombs: cap on what we inflate, all members together
MAX_RATIO = 200  # and on how much one member may inflate (beyond a few MB)
_IN_MEMORY_LIMIT = 64 * 1024**2  # larger decompressed members go to a temp file
HEAD_BYTES = 256 * 1024
HEADER_SCAN_ROWS = 15
ROW_INDEX = "__row"


class BadFile(Exception):
    """The file cannot be imported; the message tells the user why and what to do (in
    the language current where it is raised)."""


class ArchiveTooLarge(BadFile):
    """An archive inflates past the caps: the whole archive is refused, not one member."""


@dataclass
class Limits:
    max_rows: int | None = None
    max_columns: int = 2000
    max_field_bytes: int = 5_000_000


HeaderScorer = Callable[[list[str]], float]
JsonExpander = Callable[[Any], "list[dict[str, Any]] | None"]


# ---------------------------------------------------------------------------
# blobs: the bytes of one file, in memory or on disk


class Blob:
    """File content held either in memory or in a (possibly temporary) file."""

    def __init__(self, data: bytes | None = None, path: Path | None = None, temp: bool = False):
        self.data = data
        self.path = path
        if temp and path is not None:
            # temp files live as long as something still reads from them
            weakref.finalize(self, _unlink, str(path))

    def head(self, n: int = HEAD_BYTES) -> bytes:
        if self.data is not None:
            return self.data[:n]
        assert self.path is not None
        with open(self.path, "rb") as fh:
            return fh.read(n)

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def open(self) -> io.BufferedIOBase:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None
        return open(self.path, "rb")  # noqa: SIM115 - caller closes

    def read_all(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def source(self) -> bytes | str:
        """What polars readers accept."""
        return self.data if self.data is not None else str(self.path)


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _temp_path(suffix: str = "") -> Path:
    fd, name = tempfile.mkstemp(prefix="trustdash-", suffix=suffix)
    os.close(fd)
    return Path(name)


# ---------------------------------------------------------------------------
# raw tables


@dataclass
class RawTable:
    """One table of string cells found in a file."""

    name: str
    columns: list[str]
    sheet: str | None = None
    preamble: list[list[str]] = field(default_factory=list)  # rows above the header
    descriptions: list[str] | None = None  # description row under the header (FB legacy)
    warnings: list[str] = field(default_factory=list)
    frame: pl.DataFrame | None = None  # in-memory tables (Excel, JSON): all String
    csv_source: bytes | str | None = None  # UTF-8 CSV (bytes or path) for streaming
    separator: str = ","
    skip_lines: int = 0
    skip_after_header: int = 0
    parquet_source: bytes | str | None = None
    blob: Blob | None = None  # keeps temp files alive while the table is used

    def _csv_lazy(self) -> pl.LazyFrame:
        return pl.scan_csv(
            self.csv_source,  # type: ignore[arg-type]
            separator=self.separator,
            has_header=True,
            skip_lines=self.skip_lines,
            skip_rows_after_header=self.skip_after_header,
            new_columns=self.columns,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
            row_index_name=ROW_INDEX,
            row_index_offset=1,
            missing_columns="insert",
            raise_if_empty=False,
        )

    def batches(self, batch_rows: int = 200_000) -> Iterator[pl.DataFrame]:
        """All-String frames with a 1-based ``__row`` column (data row number)."""
        try:
            if self.frame is not None:
                df = self.frame.with_row_index(ROW_INDEX, offset=1)
                for start in range(0, max(df.height, 1), batch_rows):
                    part = df.slice(start, batch_rows)
                    if part.height:
                        yield part
                return
            if self.parquet_source is not None:
                lf = _parquet_lazy(self.parquet_source).with_row_index(ROW_INDEX, offset=1)
                for part in lf.collect_batches(chunk_size=batch_rows):
                    yield _stringify(part)
                return
            for part in self._csv_lazy().collect_batches(chunk_size=batch_rows):
                yield part.with_columns(pl.col(c).cast(pl.String) for c in self.columns)
        except BadFile:
            raise
        except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
            raise BadFile(
                tr(
                    "{file}: the data could not be read ({error}).",
                    file=self.name,
                    error=_short(exc),
                )
            ) from exc

    def head(self, n: int = 5) -> pl.DataFrame:
        for part in self.batches(batch_rows=max(n, 1)):
            return part.head(n)
        return pl.DataFrame(
            schema=[(ROW_INDEX, pl.UInt32), *[(c, pl.String) for c in self.columns]]
        )


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


# ---------------------------------------------------------------------------
# kind sniffing

_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)
_JS_ASSIGN = re.compile(r"^\s*(?:var\s+|let\s+|const\s+)?[\w.$\[\]\"']+\s*=\s*[\[{]")


def sniff_kind(head: bytes, name: str) -> str:
    """What a file really is, from its first bytes (extensions lie)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return "empty"
    text = decode_head(head)[0].lstrip("\ufeff \t\r\n")
    low = text[:2000].lower()
    if low.startswith("<"):
        if _HTML.match(text[:200].encode("utf-8", "replace")):
            return "html"
        if "urn:schemas-microsoft-com:office:spreadsheet" in low:
            return "spreadsheetml"
        if "<html" in low[:1000]:
            return "html"
        return "xml"
    if low.startswith(("{", "[")):
        return "json"
    if _JS_ASSIGN.match(text[:300]):
        return "js"
    if _looks_binary(head):
        return "binary"
    return "csv"


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = head[:8192]
    if b"\x00" in sample:
        return True
    ctrl = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return ctrl > len(sample) * 0.05


# ---------------------------------------------------------------------------
# encodings


def decode_head(head: bytes) -> tuple[str, str]:
    """(text, encoding) of the first bytes of a text file."""
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", "replace"), "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        cut = len(head) - (len(head) % 2)
        return head[:cut].decode("utf-16", "replace"), "utf-16"
    if len(head) >= 4 and head[1:4:2] == b"\x00\x00" and head[0] != 0:
        return head[: len(head) - len(head) % 2].decode("utf-16-le", "replace"), "utf-16-le"
    try:
        return head.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        # a cut at the end of the sample is not an error
        if exc.start >= len(head) - 4 and exc.reason == "unexpected end of data":
            return head[: exc.start].decode("utf-8"), "utf-8"
    text = head.decode("utf-8", "replace")
    good_multibyte = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    bad = text.count("\ufffd")
    if good_multibyte > bad:
        return text, "utf-8"  # mostly UTF-8 with a few damaged bytes
    return head.decode("cp1252", "replace"), "cp1252"


def _is_utf8(fh: io.BufferedIOBase, chunk_bytes: int = 16 * 1024 * 1024) -> bool:
    """Whether the stream is valid UTF-8 (a character cut by the end of the file is
    forgiven). polars validates a chunk about five times faster than ``bytes.decode``,
    which also builds a string that is thrown away."""
    tail = b""
    while chunk := fh.read(chunk_bytes):
        data = tail + chunk if tail else chunk
        cut = _complete_prefix(data)
        tail = data[cut:]
        try:
            pl.Series([data[:cut] if tail else data], dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.PolarsError:
            return False
    try:  # the cut character must at least start like one
        codecs.getincrementaldecoder("utf-8")("strict").decode(tail)
    except UnicodeDecodeError:
        return False
    return True


def _complete_prefix(data: bytes) -> int:
    """Length of ``data`` without a multi-byte character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # continuation byte: the character starts further back
            continue
        # Lead bytes of 2, 3 and 4 byte characters; any other byte is complete (or invalid).
        need = {0xC: 2, 0xD: 2, 0xE: 3}.get(byte >> 4, 4 if 0xF0 <= byte < 0xF5 else 1)
        if byte in (0xC0, 0xC1):
            need = 1
        return len(data) - back if need > back else len(data)
    return len(data)


def _decode_all(blob: Blob, encoding: str) -> tuple[bytes | str, list[str], Blob]:
    """UTF-8 source for polars: the file itself when it already is clean UTF-8,
    else a transcoded copy (in memory for small files, a temp file otherwise)."""
    warnings: list[str] = []
    if encoding in ("utf-8", "utf-8-sig"):
        with blob.open() as fh:
            clean = _is_utf8(fh)
        if clean:
            return blob.source(), warnings, blob
    codec = {"utf-8-sig": "utf-8-sig", "utf-16": "utf-16", "utf-16-le": "utf-16-le"}.get(
        encoding, encoding
    )
    dec = codecs.getincrementaldecoder(codec)("replace")
    replaced = 0
    in_memory = blob.data is not None and blob.size() < _IN_MEMORY_LIMIT
    out_path = None if in_memory else _temp_path(".csv")
    parts: list[bytes] = []
    out = open(out_path, "wb") if out_path else None  # noqa: SIM115
    try:
        with blob.open() as fh:
            first = True
            while True:
                chunk = fh.read(16 * 1024 * 1024)
                text = dec.decode(chunk, final=not chunk)
                if first:
                    text = text.lstrip("\ufeff")
                    first = False
                if codec.startswith("utf-8"):
                    replaced += text.count("\ufffd")
                data = text.encode("utf-8")
                if out:
                    out.write(data)
                else:
                    parts.append(data)
                if not chunk:
                    break
    finally:
        if out:
            out.close()
    if replaced:
        warnings.append(tr("{n} invalid UTF-8 bytes replaced", n=fmt_number(replaced)))
    if encoding == "cp1252":
        warnings.append(tr("file is not UTF-8; read as Windows-1252 (Latin-1)"))
    if out_path:
        return str(out_path), warnings, Blob(path=out_path, temp=True)
    return b"".join(parts), warnings, blob


# ---------------------------------------------------------------------------
# header detection


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d\s.,]+%?", cell))


def _header_row_score(cells: list[str]) -> float:
    score = 0.0
    seen = set()
    for c in cells:
        c = c.strip()
        if not c or c.casefold() in seen:
            continue
        seen.add(c.casefold())
        if _is_number(c) or len(c) > 60 or re.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", c):
            continue
        score += 1
    return score


def find_header(rows: list[list[str]], scorer: HeaderScorer | None) -> int:
    """Index of the header among the first rows: the row a known layout matches
    best, else the row with most short, non-numeric, distinct labels."""
    best, best_score = 0, -1.0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        known = scorer(row) if scorer else 0.0
        score = known * 1000 + _header_row_score(row)
        if score > best_score:
            best, best_score = i, score
    return best


_DESC_MARKERS = re.compile(
    r"^(?:lifetime|daily|weekly|28 days)\s*:|^(?:the )?number of |^the total ", re.IGNORECASE
)


def is_description_row(cells: list[str]) -> bool:
    """Rows under the header that describe the columns (FB legacy Insights,
    Google Business Profile insights) rather than hold data."""
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return False
    if sum(1 for c in filled if _DESC_MARKERS.search(c)) >= max(1, len(filled) // 3):
        return True
    prose = sum(1 for c in filled if len(c.split()) >= 4 and not _is_number(c))
    return len(filled) >= 5 and prose >= 0.8 * len(filled)


def dedupe_columns(cols: list[str], descriptions: list[str] | None = None) -> list[str]:
    """Unique, stripped column names.  Repeated names get the parenthesised
    suffix of their description (FB legacy: '(Unique Users)'), else '.1', '.2'."""
    out: list[str] = []
    counts: dict[str, int] = {}
    lowered = [(c or "").strip().casefold() for c in cols]
    dup = {c for c in lowered if lowered.count(c) > 1}
    for i, raw in enumerate(cols):
        name = (raw or "").strip().lstrip("\ufeff") or f"column_{i + 1}"
        key = name.casefold()
        if key in dup and descriptions and i < len(descriptions):
            m = re.search(r"\(([^()]*)\)\s*$", descriptions[i] or "")
            if m:
                name = f"{name} | {m.group(1)}"
                key = name.casefold()
        if key in counts:
            counts[key] += 1
            name = f"{name}.{counts[key]}"
            while name.casefold() in counts:
                counts[key] += 1
                name = f"{name.rsplit('.', 1)[0]}.{counts[key]}"
        counts.setdefault(name.casefold(), 0)
        out.append(name)
    return out


# ---------------------------------------------------------------------------
# CSV


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip() and not ln.startswith("sep=")]
    m = re.match(r"^sep=(.)", text.lstrip("\ufeff"))
    if m:
        return m.group(1)
    sample = "\n".join(lines[:30])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    # fall back on the delimiter that splits the lines most consistently
    best, best_score = ",", -1.0
    for d in (",", ";", "\t", "|"):
        counts = [ln.count(d) for ln in lines[:20]]
        if not counts or max(counts) == 0:
            continue
        score = min(counts) + (1 if len(set(counts)) == 1 else 0)
        if score > best_score:
            best, best_score = d, score
    return best


def _csv_rows(text: str, delimiter: str, limit: int) -> tuple[list[list[str]], list[int]]:
    """First rows of a CSV with the physical line each starts on."""
    # the last line of a partial sample may be cut in half
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    starts: list[int] = []
    start = 0
    try:
        for row in reader:
            rows.append(row)
            starts.append(start)
            start = reader.line_num
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows, starts


_STACKED_MAX_BYTES = 20 * 1024**2


_STACK_HINT = re.compile(r'\n[ \t\r]*\n[ \t]*"?[^",;\t\r\n]+"?[ \t]*\r?\n')


def _stacked_tables(
    blob: Blob,
    head_text: str,
    encoding: str,
    delimiter: str,
    name: str,
    scorer: HeaderScorer | None,
    limits: Limits,
) -> list[RawTable] | None:
    """Small files made of several titled mini-tables separated by blank lines
    (Meta ``Audience.csv``: Age & gender, Top cities, ..., Follows): one table each."""
    if blob.size() > _STACKED_MAX_BYTES or not _STACK_HINT.search(head_text):
        return None
    text = blob.read_all().decode(encoding if encoding != "utf-8" else "utf-8", "replace")
    text = text.lstrip("\ufeff")
    if not re.search(r"\n[ \t\r]*\n", text):
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if rows and rows[0] and rows[0][0].startswith("sep="):
        rows = rows[1:]
    blocks: list[list[list[str]]] = [[]]
    for r in rows:
        if any(c.strip() for c in r):
            blocks[-1].append(r)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    titled = [
        b for b in blocks if len(b) >= 2 and sum(1 for c in b[0] if c.strip()) == 1
        and sum(1 for c in b[1] if c.strip()) >= 2
    ]  # fmt: skip
    if len(blocks) < 2 or len(titled) != len(blocks):
        return None
    tables = []
    for b in blocks:
        title = next(c for c in b[0] if c.strip()).strip()
        t = table_from_rows(
            [list(r) for r in b],
            f"{name}/{title}",
            title,
            scorer,
            limits,  # type: ignore[misc]
        )
        if t is not None and t.frame is not None and t.frame.height:
            tables.append(t)
    if len(tables) < 2:
        return None
    note = tr(
        "{n} stacked tables ({titles}); tables without a date or a text (demographics) are "
        "not imported",
        n=len(tables),
        titles=", ".join(t.sheet or "" for t in tables),
    )
    for t in tables:
        t.warnings.append(note)
    return tables


def read_csv(blob: Blob, name: str, scorer: HeaderScorer | None, limits: Limits) -> list[RawTable]:
    head = blob.head()
    text, encoding = decode_head(head)
    text = text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text)
    stacked = _stacked_tables(blob, text, encoding, delimiter, name, scorer, limits)
    if stacked:
        return stacked
    rows, starts = _csv_rows(text, delimiter, HEADER_SCAN_ROWS + 3)
    nonempty = [i for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not nonempty:
        raise BadFile(tr("{file}: the file has no rows.", file=name))
    hidx = find_header(rows, scorer)
    header = rows[hidx]
    if len(header) > limits.max_columns:
        raise BadFile(
            tr(
                "{file}: {n} columns, more than the limit of {limit}.",
                file=name,
                n=len(header),
                limit=limits.max_columns,
            )
        )
    desc = None
    skip_after = 0
    if hidx + 1 < len(rows) and is_description_row(rows[hidx + 1]):
        desc = rows[hidx + 1]
        skip_after = 1
    columns = dedupe_columns(header, desc)
    source, warnings, keep = _decode_all(blob, encoding)
    # physical lines before the header (polars' skip_lines ignores quoting,
    # which is right for preambles such as "sep=," and a title line)
    skip_lines = starts[hidx]
    if rows and rows[0] and rows[0][0].startswith("sep=") and hidx == 0:
        skip_lines = 1
    table = RawTable(
        name=name,
        columns=columns,
        preamble=[r for r in rows[:hidx] if any(c.strip() for c in r)],
        descriptions=desc,
        warnings=warnings,
        csv_source=source,
        separator=delimiter,
        skip_lines=skip_lines,
        skip_after_header=skip_after,
        blob=keep,
    )
    return [table]


# ---------------------------------------------------------------------------
# spreadsheets


def cell_text(v: Any) -> str | None:
    """Excel cell -> the string a CSV export would have held."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, int):
        return str(v)
    s = str(v)
    return s if s != "" else None


def table_from_rows(
    rows: list[list[str | None]],
    name: str,
    sheet: str | None,
    scorer: HeaderScorer | None,
    limits: Limits,
) -> RawTable | None:
    """A RawTable from a sheet's rows (header found by ``find_header``)."""
    rows = [r for r in rows]
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    if not rows:
        return None
    scan = [[c or "" for c in r] for r in rows[:HEADER_SCAN_ROWS]]
    hidx = find_header(scan, scorer)
    header = scan[hidx]
    while header and not header[-1].strip():
        header = header[:-1]
    if not header:
        return None
    width = len(header)
    # footer notes under the data ("Exported with ...", "Total: 3"): one filled cell
    footer = 0
    if (
        width >= 3
        and len(rows) > hidx + 2
        and sum(1 for c in rows[-1] if c not in (None, "")) == 1
        and sum(1 for c in rows[-2] if c not in (None, "")) != 1
        and rows[-1][0] not in (None, "")
    ):
        footer = 1
    if footer:
        rows = rows[: len(rows) - footer]
    if width > limits.max_columns:
        raise BadFile(
            tr(
                "{file}: {n} columns, more than the limit of {limit}.",
                file=name,
                n=width,
                limit=limits.max_columns,
            )
        )
    body = rows[hidx + 1 :]
    desc = None
    if body and is_description_row([c or "" for c in body[0]]):
        desc = [c or "" for c in body[0]]
        body = body[1:]
    if limits.max_rows is not None and len(body) > limits.max_rows:
        raise BadFile(
            tr(
                "{file}: {n} rows, more than the limit of {limit}; split the export into smaller "
                "periods.",
                file=name,
                n=fmt_number(len(body)),
                limit=fmt_number(limits.max_rows),
            )
        )
    columns = dedupe_columns(header, desc)
    data: dict[str, list[str | None]] = {c: [] for c in columns}
    for r in body:
        for i, c in enumerate(columns):
            data[c].append(r[i] if i < len(r) else None)
    frame = pl.DataFrame(data, schema={c: pl.String for c in columns})
    # drop fully empty rows (Excel leaves formatted blank rows behind)
    if frame.height:
        frame = frame.filter(~pl.all_horizontal(pl.all().is_null()))
    return RawTable(
        name=name,
        columns=columns,
        sheet=sheet,
        preamble=[r for r in scan[:hidx] if any(c.strip() for c in r)],
        descriptions=desc,
        frame=frame,
    )


_HYPERLINK_MAX_BYTES = 5 * 1024**2
_LINK_LABEL = re.compile(
    r"^\s*(?:view|open|link|lien|voir|see|visit|go to|permalink|comment link|url)\b.{0,30}$",
    re.IGNORECASE,
)


def _linked_cell_text(cell: Any) -> str | None:
    text = cell_text(cell.value)
    link = getattr(cell, "hyperlink", None)
    target = getattr(link, "target", None) if link is not None else None
    if target and (text is None or _LINK_LABEL.match(text)):
        return str(target)
    return text


def read_xlsx(blob: Blob, name: str, scorer: HeaderScorer | None, limits: Limits) -> list[RawTable]:
    # small workbooks are loaded fully so that link cells ("View comment") give their target
    links = blob.size() <= _HYPERLINK_MAX_BYTES
    try:
        with blob.open() as fh:
            wb = openpyxl.load_workbook(fh, read_only=not links, data_only=True)
            sheets: list[tuple[str, list[list[str | None]]]] = []
            for ws in wb.worksheets:
                rows = []
                for i, row in enumerate(ws.iter_rows(values_only=not links)):
                    if limits.max_rows is not None and i > limits.max_rows + HEADER_SCAN_ROWS:
                        raise BadFile(
                            tr(
                                "{file}: more than the limit of {limit} rows; split the export "
                                "into smaller periods.",
                                file=name,
                                limit=fmt_number(limits.max_rows),
                            )
                        )
                    if links:
                        rows.append([_linked_cell_text(c) for c in row])
                    else:
                        rows.append([cell_text(v) for v in row])
                sheets.append((ws.title, rows))
            wb.close()
    except BadFile:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise BadFile(
            tr(
                "{file}: damaged or unsupported Excel workbook ({error}).",
                file=name,
                error=_short(exc),
            )
        ) from exc
    return _sheet_tables(sheets, name, scorer, limits)


def read_xls(blob: Blob, name: str, scorer: HeaderScorer | None, limits: Limits) -> list[RawTable]:
    try:
        book = xlrd.open_workbook(file_contents=blob.read_all(), on_demand=True)
        sheets = []
        for sh in book.sheets():
            rows = []
            for r in range(sh.nrows):
                out: list[str | None] = []
                for c in sh.row(r):
                    if c.ctype == xlrd.XL_CELL_DATE:
                        try:
                            out.append(cell_text(xlrd.xldate_as_datetime(c.value, book.datemode)))
                        except (ValueError, OverflowError):
                            out.append(cell_text(c.value))
                    elif c.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        out.append(None)
                    elif c.ctype == xlrd.XL_CELL_BOOLEAN:
                        out.append("true" if c.value else "false")
                    elif c.ctype == xlrd.XL_CELL_ERROR:
                        out.append(None)
                    else:
                        out.append(cell_text(c.value))
                rows.append(out)
            sheets.append((sh.name, rows))
    except BadFile:
        raise
    except Exception as exc:
        raise BadFile(
            tr(
                "{file}: damaged or unsupported Excel 97-2003 workbook ({error}).",
                file=name,
                error=_short(exc),
            )
        ) from exc
    return _sheet_tables(sheets, name, scorer, limits)


_SS = "{urn:schemas-microsoft-com:office:spreadsheet}"


def read_spreadsheetml(
    blob: Blob, name: str, scorer: HeaderScorer | None, limits: Limits
) -> list[RawTable]:
    """Excel 2003 XML ("SpreadsheetML"), which Facebook's legacy Insights
    export named .xls."""
    sheets: list[tuple[str, list[list[str | None]]]] = []
    try:
        with blob.open() as fh:
            rows: list[list[str | None]] = []
            row: list[str | None] = []
            for event, el in ET.iterparse(fh, events=("start", "end")):
                tag = el.tag
                if event == "start":
                    if tag == _SS + "Worksheet":
                        rows = []
                    elif tag == _SS + "Row":
                        row = []
                        idx = el.get(_SS + "Index")
                        if idx and idx.isdigit():
                            while len(rows) < int(idx) - 1:
                                rows.append([])
                    continue
                if tag == _SS + "Cell":
                    idx = el.get(_SS + "Index")
                    if idx and idx.isdigit():
                        while len(row) < int(idx) - 1:
                            row.append(None)
                    data = el.find(_SS + "Data")
                    text = None
                    if data is not None:
                        text = "".join(data.itertext())
                    row.append(text if text != "" else None)
                    merge = el.get(_SS + "MergeAcross")
                    if merge and merge.isdigit():
                        row.extend([None] * int(merge))
                    el.clear()
                elif tag == _SS + "Row":
                    rows.append(row)
                    el.clear()
                    if limits.max_rows is not None and len(rows) > limits.max_rows + 20:
                        raise BadFile(
                            tr(
                                "{file}: more than the limit of {limit} rows.",
                                file=name,
                                limit=fmt_number(limits.max_rows),
                            )
                        )
                elif tag == _SS + "Worksheet":
                    sheets.append((el.get(_SS + "Name") or f"Sheet{len(sheets) + 1}", rows))
                    el.clear()
    except BadFile:
        raise
    except Exception as exc:  # ParseError, RecursionError, ...
        raise BadFile(
            tr(
                "{file}: damaged SpreadsheetML (Excel 2003 XML) file ({error}).",
                file=name,
                error=_short(exc),
            )
        ) from exc
    return _sheet_tables(sheets, name, scorer, limits)


def _sheet_tables(
    sheets: list[tuple[str, list[list[str | None]]]],
    name: str,
    scorer: HeaderScorer | None,
    limits: Limits,
) -> list[RawTable]:
    tables = []
    multi = len(sheets) > 1
    for sheet, rows in sheets:
        t = table_from_rows(rows, f"{name}/{sheet}" if multi else name, sheet, scorer, limits)
        if t is not None and t.frame is not None and t.frame.height:
            tables.append(t)
    if not tables:
        raise BadFile(tr("{file}: the workbook has no sheet with data.", file=name))
    return tables


# ---------------------------------------------------------------------------
# JSON


def load_json(blob: Blob, name: str, js: bool = False) -> Any:
    raw = blob.read_all()
    text, _ = decode_head(raw)
    text = text.lstrip("\ufeff")
    if js:
        # X archive: "window.YTD.tweets.part0 = [ ... ]"
        m = re.search(r"=\s*([\[{])", text)
        if not m:
            raise BadFile(tr("{file}: JavaScript file without a data array.", file=name))
        text = text[m.start(1) :].rstrip().rstrip(";")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise BadFile(_too_deep(name)) from exc
    except json.JSONDecodeError as exc:
        # newline-delimited JSON: one object per line
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1:
            try:
                return [json.loads(ln) for ln in lines]
            except (json.JSONDecodeError, RecursionError):
                pass
        raise BadFile(
            tr(
                "{file}: not valid JSON ({error} at line {line}).",
                file=name,
                error=exc.msg,
                line=exc.lineno,
            )
        ) from exc


def flatten(obj: Any, prefix: str = "", out: dict[str, Any] | None = None, depth: int = 0) -> dict:
    """Nested dicts -> dotted keys; lists of scalars joined; deeper data as JSON."""
    out = {} if out is None else out
    if isinstance(obj, dict) and depth < 6:
        for k, v in obj.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out, depth + 1)
    elif isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            out[prefix] = ",".join("" if v is None else str(v) for v in obj)
        else:
            try:
                out[prefix] = json.dumps(obj, ensure_ascii=False)[:100_000]
            except (RecursionError, ValueError):
                out[prefix] = None
    elif isinstance(obj, dict):
        out[prefix] = json.dumps(obj, ensure_ascii=False)[:100_000]
    elif isinstance(obj, bool):
        out[prefix] = "true" if obj else "false"
    elif obj is None:
        out[prefix] = None
    else:
        out[prefix] = str(obj)
    return out


def find_records(obj: Any) -> list[dict] | None:
    """The main list of objects in a JSON document."""
    if isinstance(obj, list):
        dicts = [v for v in obj if isinstance(v, dict)]
        if dicts and len(dicts) >= len(obj) * 0.5:
            # {"tweet": {...}} wrappers (X archive)
            if all(len(d) == 1 and isinstance(next(iter(d.values())), dict) for d in dicts):
                return [next(iter(d.values())) for d in dicts]
            return dicts
        return None
    if isinstance(obj, dict):
        best: list[dict] | None = None
        for v in obj.values():
            cand = find_records(v) if isinstance(v, list) else None
            if cand and (best is None or len(cand) > len(best)):
                best = cand
        if best is None:
            for v in obj.values():
                if isinstance(v, dict):
                    cand = find_records(v)
                    if cand and (best is None or len(cand) > len(best)):
                        best = cand
        if best is None and obj and all(not isinstance(v, (list,)) for v in obj.values()):
            return [obj]
        return best
    return None


def table_from_records(records: list[dict], name: str, limits: Limits) -> RawTable:
    if limits.max_rows is not None and len(records) > limits.max_rows:
        raise BadFile(
            tr(
                "{file}: {n} records, more than the limit of {limit}.",
                file=name,
                n=fmt_number(len(records)),
                limit=fmt_number(limits.max_rows),
            )
        )
    try:
        flat = [flatten(r) for r in records]
    except RecursionError as exc:
        raise BadFile(_too_deep(name)) from exc
    columns: dict[str, None] = {}
    for r in flat:
        for k in r:
            columns.setdefault(k, None)
    if len(columns) > limits.max_columns:
        raise BadFile(
            tr(
                "{file}: {n} fields, more than the limit of {limit}.",
                file=name,
                n=len(columns),
                limit=limits.max_columns,
            )
        )
    cols = list(columns)
    frame = pl.DataFrame(
        {c: [r.get(c) for r in flat] for c in cols}, schema={c: pl.String for c in cols}
    )
    return RawTable(name=name, columns=cols, frame=frame)


def read_json(
    blob: Blob, name: str, limits: Limits, expanders: list[JsonExpander], js: bool = False
) -> list[RawTable]:
    obj = load_json(blob, name, js=js)
    try:
        records = None
        for expand in expanders:
            records = expand(obj)
            if records is not None:
                break
        if records is None:
            records = find_records(obj)
    except RecursionError as exc:
        raise BadFile(_too_deep(name)) from exc
    if not records:
        raise BadFile(tr("{file}: the JSON holds no list of records to import.", file=name))
    return [table_from_records(records, name, limits)]


def _too_deep(name: str) -> str:
    return tr("{file}: JSON nested too deeply to be a data export.", file=name)


def fix_mojibake_deep(obj: Any) -> Any:
    """Apply ``fix_mojibake`` to every string of a JSON document."""
    if isinstance(obj, str):
        return fix_mojibake(obj)
    if isinstance(obj, list):
        return [fix_mojibake_deep(v) for v in obj]
    if isinstance(obj, dict):
        return {fix_mojibake(k): fix_mojibake_deep(v) for k, v in obj.items()}
    return obj


# ---------------------------------------------------------------------------
# Parquet


def _parquet_lazy(source: bytes | str) -> pl.LazyFrame:
    if isinstance(source, bytes):
        return pl.read_parquet(io.BytesIO(source)).lazy()
    return pl.scan_parquet(source)


def _stringify(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for name, dtype in df.schema.items():
        if name == ROW_INDEX or dtype == pl.String:
            exprs.append(pl.col(name))
        elif isinstance(dtype, pl.Struct):
            exprs.append(pl.col(name).struct.json_encode())
        elif isinstance(dtype, (pl.List, pl.Array)):
            exprs.append(
                pl.col(name).cast(pl.List(pl.String), strict=False).list.join(",").alias(name)
            )
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone:
            exprs.append(
                pl.col(name).dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.String)
            )
        else:
            exprs.append(pl.col(name).cast(pl.String, strict=False))
    return df.select(exprs)


def read_parquet(blob: Blob, name: str, limits: Limits) -> list[RawTable]:
    try:
        with blob.open() as fh:
            meta = pq.ParquetFile(fh).metadata
            columns = [meta.schema.column(i).path.split(".")[0] for i in range(meta.num_columns)]
            columns = list(dict.fromkeys(columns))
            nrows = meta.num_rows
        source = blob.source()
        lf = _parquet_lazy(source)
        columns = lf.collect_schema().names()
    except Exception as exc:
        raise BadFile(
            tr("{file}: damaged or truncated Parquet file ({error}).", file=name, error=_short(exc))
        ) from exc
    if limits.max_rows is not None and nrows > limits.max_rows:
        raise BadFile(
            tr(
                "{file}: {n} rows, more than the limit of {limit}.",
                file=name,
                n=fmt_number(nrows),
                limit=fmt_number(limits.max_rows),
            )
        )
    if len(columns) > limits.max_columns:
        raise BadFile(
            tr(
                "{file}: {n} columns, more than the limit of {limit}.",
                file=name,
                n=len(columns),
                limit=limits.max_columns,
            )
        )
    return [RawTable(name=name, columns=columns, parquet_source=source, blob=blob)]


# ---------------------------------------------------------------------------
# archives


_SKIP_MEMBER = re.compile(r"(^|/)(__MACOSX|\.DS_Store|Thumbs\.db|desktop\.ini)|(^|/)\.")


def _inflate(stream: io.BufferedIOBase, name: str, budget: list[int], compressed: int) -> Blob:
    """Read a decompressing stream with a size cap; large outputs go to disk."""
    buf = bytearray()
    path: Path | None = None
    out = None
    total = 0
    try:
        while chunk := stream.read(4 * 1024 * 1024):
            total += len(chunk)
            budget[0] -= len(chunk)
            if budget[0] < 0:
                raise ArchiveTooLarge(
                    tr(
                        "{file}: the archive inflates to more than {limit} GB; extract it and "
                        "import the files one by one.",
                        file=name,
                        limit=MAX_DECOMPRESSED // 1024**3,
                    )
                )
            if total > 50 * 1024**2 and compressed and total > compressed * MAX_RATIO:
                raise ArchiveTooLarge(
                    tr(
                        "{file}: suspicious compression ratio (over {ratio}:1, possible zip bomb).",
                        file=name,
                        ratio=MAX_RATIO,
                    )
                )
            if out is None and len(buf) + len(chunk) > _IN_MEMORY_LIMIT:
                path = _temp_path()
                out = open(path, "wb")  # noqa: SIM115
                out.write(buf)
                buf = bytearray()
            if out is not None:
                out.write(chunk)
            else:
                buf.extend(chunk)
    except BadFile:
        if path:
            if out:
                out.close()
            _unlink(str(path))
        raise
    except (OSError, EOFError, zipfile.BadZipFile, gzip.BadGzipFile) as exc:
        if path:
            if out:
                out.close()
            _unlink(str(path))
        raise BadFile(
            tr("{file}: damaged compressed data ({error}).", file=name, error=_short(exc))
        ) from exc
    finally:
        if out:
            out.close()
    if path:
        return Blob(path=path, temp=True)
    return Blob(data=bytes(buf))


def gunzip(blob: Blob, name: str, budget: list[int]) -> Blob:
    with blob.open() as raw, gzip.GzipFile(fileobj=raw) as gz:
        return _inflate(gz, name, budget, blob.size())


def zip_members(blob: Blob, name: str, budget: list[int]) -> list[tuple[str, Blob]]:
    try:
        fh = blob.open()
        zf = zipfile.ZipFile(fh)
        infos = [i for i in zf.infolist() if not i.is_dir() and not _SKIP_MEMBER.search(i.filename)]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise BadFile(
            tr("{file}: damaged ZIP archive ({error}).", file=name, error=_short(exc))
        ) from exc
    declared = sum(i.file_size for i in infos)
    if declared > MAX_DECOMPRESSED:
        raise ArchiveTooLarge(
            tr(
                "{file}: the archive inflates to {size} GB, more than {limit} GB; extract it and "
                "import the files one by one.",
                file=name,
                size=fmt_decimal(declared / 1024**3, 1),
                limit=MAX_DECOMPRESSED // 1024**3,
            )
        )
    if len(infos) > 1000:
        raise BadFile(
            tr(
                "{file}: the archive holds {n} files; import at most {limit} at once.",
                file=name,
                n=len(infos),
                limit=1000,
            )
        )
    out = []
    with fh, zf:
        for info in infos:
            member = f"{name}/{info.filename}"
            try:
                with zf.open(info) as stream:
                    out.append((member, _inflate(stream, member, budget, info.compress_size)))
            except BadFile:
                raise
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
                raise BadFile(
                    tr("{file}: cannot be extracted ({error}).", file=member, error=_short(exc))
                ) from exc
    return out


def is_xlsx_zip(blob: Blob) -> bool:
    try:
        with blob.open() as fh, zipfile.ZipFile(fh) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
