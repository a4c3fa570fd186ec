"""Generate the hostile files that are too big (or too silly) to commit.

``python -m tests.hostile.make DIR`` writes them all into DIR; the tests call
:func:`build_all` with a temporary folder. Every generator is deterministic.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

HEADER = "comment_id,post_id,author,created_at,text,channel\n"


def _good_row(i: int) -> str:
    return f"c{i},p{i % 3},user{i},2026-06-0{1 + i % 9}T10:00:00,nice product {i},facebook\n"


def empty(d: Path) -> Path:
    p = d / "empty.csv"
    p.write_bytes(b"")
    return p


def whitespace_only(d: Path) -> Path:
    p = d / "blank.csv"
    p.write_bytes(b"\xef\xbb\xbf \r\n\t\r\n   \n")
    return p


def random_bytes(d: Path) -> Path:
    p = d / "random.csv"
    p.write_bytes(random.Random(8).randbytes(64 * 1024))
    return p


def html_as_csv(d: Path) -> Path:
    p = d / "export.csv"
    p.write_text(
        "<!DOCTYPE html><html><head><title>Log in</title></head>"
        "<body><form>Please sign in</form></body></html>\n",
        encoding="utf-8",
    )
    return p


def xml_as_xls(d: Path) -> Path:
    p = d / "insights.xls"
    p.write_text(
        '<?xml version="1.0"?><feed><entry><id>1</id><title>hi</title></entry></feed>\n',
        encoding="utf-8",
    )
    return p


def broken_spreadsheetml(d: Path) -> Path:
    p = d / "legacy.xls"
    p.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S">'
        "<Table><Row><Cell><Data>Date</Data></Cell>",
        encoding="utf-8",
    )
    return p


def huge_field(d: Path, size: int = 20 * 1024 * 1024) -> Path:
    p = d / "huge_field.csv"
    with open(p, "wb") as fh:
        fh.write(HEADER.encode())
        fh.write(_good_row(1).encode())
        fh.write(b'c2,p1,user2,2026-06-02T10:00:00,"')
        chunk = b"A" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            fh.write(chunk)
        fh.write(b'",facebook\n')
    return p


def wide(d: Path, ncols: int = 5000) -> Path:
    p = d / "wide.csv"
    cols = ["comment_id", "text", "created_at", *[f"extra_{i}" for i in range(ncols - 3)]]
    row = ["c1", "hello", "2026-06-01", *["x"] * (ncols - 3)]
    p.write_text(",".join(cols) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    return p


_CHUNK = 64 * 1024 * 1024


def gzip_bomb(d: Path, inflated: int = 3 * 1024**3) -> Path:
    """~3 MB of gzip that inflate to ``inflated`` bytes: a header line, then zeros.
    Built from identical gzip members (a valid multi-member gzip), so it takes no time."""
    p = d / "comments.csv.gz"
    zeros = gzip.compress(b"\0" * _CHUNK, compresslevel=9, mtime=0)
    with open(p, "wb") as fh:
        fh.write(gzip.compress(HEADER.encode(), mtime=0))
        for _ in range(max(1, inflated // _CHUNK)):
            fh.write(zeros)
    return p


def _deflate_zeros(n_chunks: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``n_chunks`` * 64 MB of zeros, built by repeating one
    sync-flushed block; returns (stream, crc32, inflated size)."""
    chunk = b"\0" * _CHUNK
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(chunk) + c.flush(zlib.Z_SYNC_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_SYNC_FLUSH)
    stream = first + again * (n_chunks - 1) + b"\x03\x00"
    crc = 0
    for _ in range(n_chunks):
        crc = zlib.crc32(chunk, crc)
    return stream, crc, n_chunks * _CHUNK


def _zip_with_raw_deflate(p: Path, member: str, stream: bytes, crc: int, size: int) -> None:
    """Write a ZIP holding ``stream`` as a deflated member (sizes below 4 GB, no ZIP64)."""
    info = zipfile.ZipInfo(member, date_time=(2026, 6, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr(info, stream)
    data = bytearray(p.read_bytes())
    # local header: method @8, crc @14, sizes @18/@22; central entry: @10, @16, @20/@24
    assert data[:4] == b"PK\x03\x04"
    struct.pack_into("<H", data, 8, 8)
    struct.pack_into("<I", data, 14, crc)
    struct.pack_into("<I", data, 22, size)
    cd = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, cd + 10, 8)
    struct.pack_into("<I", data, cd + 16, crc)
    struct.pack_into("<I", data, cd + 24, size)
    p.write_bytes(bytes(data))


def zip_bomb(d: Path) -> Path:
    """A 3 MB ZIP whose one member honestly declares and inflates to 3 GB."""
    p = d / "export.zip"
    _zip_with_raw_deflate(p, "comments.csv", *_deflate_zeros(48))
    return p


def zip_bomb_ratio(d: Path) -> Path:
    """A ZIP member of 1.9 GB (under the total cap) at a ~1000:1 ratio: only the ratio
    check, applied while inflating, can stop it."""
    p = d / "export_ratio.zip"
    _zip_with_raw_deflate(p, "comments.csv", *_deflate_zeros(30))
    return p


def truncated_parquet(d: Path) -> Path:
    import polars as pl

    buf = io.BytesIO()
    pl.DataFrame({"comment_id": ["a", "b"], "text": ["x", "y"]}).write_parquet(buf)
    data = buf.getvalue()
    p = d / "comments_cut.parquet"
    p.write_bytes(data[: len(data) // 2])
    return p


def wrong_schema_parquet(d: Path) -> Path:
    import polars as pl

    p = d / "comments_numbers.parquet"
    pl.DataFrame({"a": [1, 2, 3], "b": [0.5, 0.1, 0.2]}).write_parquet(p)
    return p


def parquet_footer_garbage(d: Path) -> Path:
    p = d / "footer.parquet"
    p.write_bytes(b"PAR1" + random.Random(3).randbytes(2000) + b"\xff\xff\xff\x7fPAR1")
    return p


def deep_json(d: Path, depth: int = 10_000) -> Path:
    p = d / "deep.json"
    p.write_text("[" * depth + "]" * depth, encoding="utf-8")
    return p


def deep_json_objects(d: Path, depth: int = 10_000) -> Path:
    p = d / "deep_obj.json"
    p.write_text('{"a":' * depth + "1" + "}" * depth, encoding="utf-8")
    return p


def nul_bytes(d: Path) -> Path:
    p = d / "nul.csv"
    p.write_bytes(HEADER.encode() + b"c1,p1,u\x00ser,2026-06-01,te\x00\x00xt,facebook\n" * 3)
    return p


def nul_only(d: Path) -> Path:
    p = d / "zeros.csv"
    p.write_bytes(b"\x00" * 10_000)
    return p


def garbage_dates(d: Path) -> Path:
    p = d / "dates.csv"
    rows = [
        "c1,p1,u1,yesterday-ish,hello,facebook",
        "c2,p1,u2,99/99/9999,hello,facebook",
        "c3,p1,u3,0000-00-00T25:61:61,hello,facebook",
        "c4,p1,u4,1e309,hello,facebook",
        "c5,p1,u5,-99999999999999999999,hello,facebook",
        "c6,p1,u6,'; DROP TABLE comments;--,hello,facebook",
    ]
    p.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def footer_lines(d: Path) -> Path:
    """~1,000 rows, then a 'Total' line with a ~40 KB field and 'Exported …' footer lines
    (unparseable dates after a long field: a polars panic in the rejection reasons)."""
    p = d / "footer_lines.csv"
    rows = [f"2026-06-{1 + i % 28:02d} 10:{i % 60:02d},{i},user{i},ok {i}" for i in range(1000)]
    rows.append("Total,,," + "x" * 40_000)
    rows.append("Exported 2026-07-01 by ListeningTool,,,")
    rows.append("Exported by someone,,,")
    p.write_text("date,id,author,message\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def invalid_utf8(d: Path) -> Path:
    p = d / "bad_utf8.csv"
    p.write_bytes(
        HEADER.encode()
        + b"c1,p1,us\xc3\x28er,2026-06-01,caf\xe9 \xff\xfe tr\xe8s bien,facebook\n"
        + b"c2,p1,user2,2026-06-02,\xed\xa0\x80 surrogate,facebook\n"
    )
    return p


def header_only(d: Path) -> Path:
    p = d / "header_only.csv"
    p.write_text(HEADER, encoding="utf-8")
    return p


def truncated_xlsx(d: Path) -> Path:
    src = Path(__file__).resolve().parent.parent / "fixtures/exports/generic/comments.xlsx"
    data = src.read_bytes()
    p = d / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    return p


def damaged_gzip(d: Path) -> Path:
    buf = gzip.compress((HEADER + _good_row(1) * 50).encode())
    p = d / "cut.csv.gz"
    p.write_bytes(buf[: len(buf) // 2])
    return p


def nested_zip(d: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.csv", HEADER + _good_row(1))
    for _ in range(4):
        outer = io.BytesIO()
        with zipfile.ZipFile(outer, "w") as zf:
            zf.writestr("inner.zip", inner.getvalue())
        inner = outer
    p = d / "russian_doll.zip"
    p.write_bytes(inner.getvalue())
    return p


def js_without_array(d: Path) -> Path:
    p = d / "tweets.js"
    p.write_text("window.YTD.tweets.part0 = function(){ alert(1) }", encoding="utf-8")
    return p


def json_scalars(d: Path) -> Path:
    p = d / "numbers.json"
    p.write_text("[1, 2, 3, null, true]", encoding="utf-8")
    return p


# name -> generator; "big" ones are slow to build and are generated once per session
SMALL: dict[str, Callable[[Path], Path]] = {
    "empty": empty,
    "whitespace_only": whitespace_only,
    "random_bytes": random_bytes,
    "html_as_csv": html_as_csv,
    "xml_as_xls": xml_as_xls,
    "broken_spreadsheetml": broken_spreadsheetml,
    "truncated_parquet": truncated_parquet,
    "wrong_schema_parquet": wrong_schema_parquet,
    "parquet_footer_garbage": parquet_footer_garbage,
    "deep_json": deep_json,
    "deep_json_objects": deep_json_objects,
    "nul_only": nul_only,
    "header_only": header_only,
    "truncated_xlsx": truncated_xlsx,
    "damaged_gzip": damaged_gzip,
    "nested_zip": nested_zip,
    "js_without_array": js_without_array,
    "json_scalars": json_scalars,
    "wide": wide,
}
BIG: dict[str, Callable[[Path], Path]] = {
    "huge_field": huge_field,
    "gzip_bomb": gzip_bomb,
    "zip_bomb": zip_bomb,
    "zip_bomb_ratio": zip_bomb_ratio,
}
# Files that are odd but hold importable rows: they must import (or fail) cleanly.
SURVIVABLE: dict[str, Callable[[Path], Path]] = {
    "nul_bytes": nul_bytes,
    "garbage_dates": garbage_dates,
    "invalid_utf8": invalid_utf8,
    "footer_lines": footer_lines,
}


COMMITTED = Path(__file__).resolve().parent / "files"


def write_committed() -> None:
    """(Re)write the small files committed under ``tests/hostile/files``: ``bad/`` must be
    refused, ``odd/`` holds importable rows among oddities."""
    for sub, gens in (("bad", SMALL), ("odd", SURVIVABLE)):
        d = COMMITTED / sub
        d.mkdir(parents=True, exist_ok=True)
        for gen in gens.values():
            gen(d)


def build_all(d: Path, *, big: bool = True) -> dict[str, Path]:
    d.mkdir(parents=True, exist_ok=True)
    gens = {**SMALL, **SURVIVABLE, **(BIG if big else {})}
    out = {}
    for name, gen in gens.items():
        sub = d / name
        sub.mkdir(exist_ok=True)
        out[name] = gen(sub)
    return out


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--committed"]:
        write_committed()
        sys.exit(0)
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_out")
    for k, v in build_all(target).items():
        print(f"{k}: {v} ({v.stat().st_size:,} bytes)")
