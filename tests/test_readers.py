"""Reading bytes robustly: encodings, delimiters, headers, containers, bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zipfile

import polars as pl
import pytest

from trustdash import parsing
from trustdash.formats import BadFile, open_sources
from trustdash.readers import decode_head, sniff_kind


def rows(data: bytes, name: str = "c.csv"):
    src = open_sources(data, name)[0]
    out = [f for f, _ in src.frames()]
    return src, pl.concat(out)


CSV = "texte,date\nCafé très bon,2024-01-02 10:00\n"


@pytest.mark.parametrize(
    "data",
    [
        CSV.encode("utf-8"),
        b"\xef\xbb\xbf" + CSV.encode("utf-8"),
        b"\xff\xfe" + CSV.encode("utf-16-le"),
        CSV.encode("cp1252"),
        CSV.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "cp1252", "crlf"],
)
def test_encodings(data: bytes) -> None:
    src, df = rows(data)
    assert df["text"].to_list() == ["Café très bon"]
    assert src.columns == ["texte", "date"]


def test_invalid_utf8_bytes_replaced_with_warning() -> None:
    data = "text,date\nSuper 😀 génial,2024-01-01\nfin \xf0\x9f\x98,2024-01-02\n"
    raw = data.encode("utf-8").replace(b"\xc3\xb0\xc2\x9f\xc2\x98", b"\xf0\x9f\x98")
    src, df = rows(raw)
    assert df.height == 2 and "Super 😀 génial" in df["text"].to_list()
    assert any("invalid UTF-8 bytes replaced" in w for w in src.warnings)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters(sep: str) -> None:
    data = f'text{sep}date{sep}likes\n"a{sep} b"{sep}2024-01-01{sep}3\n'.encode()
    _, df = rows(data)
    assert df["text"][0] == f"a{sep} b" and df["likes"][0] == 3


def test_header_not_on_first_line_and_multiline_text() -> None:
    data = b'Report of comments\nExported 2024-02-01\n\ntext,created_at,author\n"line1\nline2, ""q""",2024-02-01T10:00:00Z,bob\n'
    src, df = rows(data)
    assert src.columns == ["text", "created_at", "author"]
    assert df["text"][0] == 'line1\nline2, "q"'


def test_description_row_dropped() -> None:
    data = (
        b"Store code,Business name,Date,Calls,Website clicks,Directions\n"
        b"Code of the store,Name of the business,Day,Number of calls made,"
        b"Number of clicks to the website,Number of direction requests\n"
        b"S1,Acme,2024-01-01,3,4,5\n"
    )
    src, df = rows(data, "insights.csv")
    assert src.table == "daily_metrics"
    assert df.filter(pl.col("metric") == "calls")["value"].to_list() == [3.0]


def test_gzip_and_zip_names() -> None:
    gz = gzip.compress(CSV.encode())
    assert open_sources(gz, "c.csv.gz")[0].name == "c.csv"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", CSV)
        zf.writestr("__MACOSX/._a.csv", b"\x00\x05junk")
        zf.writestr("sub/b.csv", CSV)
    names = [s.name for s in open_sources(buf.getvalue(), "arch.zip")]
    assert names == ["arch.zip/a.csv", "arch.zip/sub/b.csv"]


def test_zip_bomb_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    import trustdash.formats as formats

    monkeypatch.setattr(formats, "MAX_DECOMPRESSED", 1000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", "text,date\n" + "a,2024-01-01\n" * 500)
    with pytest.raises(BadFile, match="inflates to more than"):
        open_sources(buf.getvalue(), "bomb.zip")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "e.csv", "e.csv: the file is empty"),
        (b"  \n\n", "e.csv", "the file is empty"),
        (b"<!DOCTYPE html><html><body>GitHub</body></html>", "posts.csv",
         "posts.csv: looks like an HTML page, not a data export (first bytes '<!DOCTYPE html"),
        (b'<?xml version="1.0"?><root><a/></root>', "book.xls", "XML that is not an Excel 2003"),
        (b"PAR1\x00\x01garbage", "t.parquet", "damaged or truncated Parquet"),
        (bytes(range(256)) * 20, "r.csv", "not a readable data file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "x.xls", "damaged or unsupported"),
        (b"PK\x03\x04broken", "a.zip", "damaged ZIP archive"),
        (b"\x1f\x8b\x08\x00broken", "a.csv.gz", "damaged"),
        (b'{"a": [1, 2', "d.json", "not valid JSON"),
        (b"[" * 10000 + b"]" * 10000, "deep.json", "nested too deeply"),
        (b'{"x": 1, "y": "z"}', "o.json", "no column looks like a text or a date"),
    ],
)  # fmt: skip
def test_bad_inputs_raise_badfile(data: bytes, name: str, message: str) -> None:
    with pytest.raises(BadFile) as err:
        srcs = open_sources(data, name)
        for s in srcs:
            list(s.frames())
    assert message in str(err.value)


def test_sniff_kind_and_decode_head() -> None:
    assert sniff_kind(b"window.YTD.tweets.part0 = [", "tweets.js") == "js"
    assert sniff_kind(b"PAR1....", "x") == "parquet"
    assert decode_head(b"\xff\xfeh\x00i\x00")[1] == "utf-16"
    assert decode_head("é".encode("cp1252") * 10)[1] == "cp1252"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016-12-23 18:50 +0000", dt.datetime(2016, 12, 23, 18, 50)),
        ("Sat, Sep 13, 2026", dt.datetime(2026, 9, 13)),
        ("Sat Dec 06 18:20:30 +0000 2025", dt.datetime(2025, 12, 6, 18, 20, 30)),
        ("Mon May 11 03:17:40 PDT 2009", dt.datetime(2009, 5, 11, 10, 17, 40)),
        ("2015-02-24 11:35:52 -0800", dt.datetime(2015, 2, 24, 19, 35, 52)),
        ("42059.4832407407", dt.datetime(2015, 2, 24, 11, 35, 52)),
        ("2020-09-22T07:07:36.000", dt.datetime(2020, 9, 22, 7, 7, 36)),
        ("Mar 15, 2025", dt.datetime(2025, 3, 15)),
        ("2023-08-25T10:00:00.123456789Z", dt.datetime(2023, 8, 25, 10, 0, 0, 123456)),
        ("2026/05/10", dt.datetime(2026, 5, 10)),
        ("03/15/2024 10:05 am", dt.datetime(2024, 3, 15, 10, 5)),
        ("2022-11-01T16:31:07+0000", dt.datetime(2022, 11, 1, 16, 31, 7)),
        ("Publiée le 17 octobre 2013", dt.datetime(2013, 10, 17)),
        ("17. Oktober 2013", dt.datetime(2013, 10, 17)),
        ("mardi 3 février 2024 à 14h30", dt.datetime(2024, 2, 3, 14, 30)),
        ("1690000000", dt.datetime(2023, 7, 22, 4, 26, 40)),
        ("1690000000000", dt.datetime(2023, 7, 22, 4, 26, 40)),
        ("Lifetime", None),
        ("garbage", None),
    ],
)
def test_date_shapes(raw: str, expected: dt.datetime | None) -> None:
    assert parsing.parse_datetimes(pl.Series([raw])).to_list() == [expected]


def test_day_first_decided_per_column() -> None:
    out = parsing.parse_datetimes(pl.Series(["01/02/2024", "14/09/2026"])).to_list()
    assert out == [dt.datetime(2024, 2, 1), dt.datetime(2026, 9, 14)]
    us = parsing.parse_datetimes(pl.Series(["01/02/2024", "12/31/2026"])).to_list()
    assert us == [dt.datetime(2024, 1, 2), dt.datetime(2026, 12, 31)]


def test_yearless_defaults_to_recent_year() -> None:
    s = pl.Series(["December 31", "1 janvier", "8 de marzo"])
    out = parsing.parse_yearless(s, None, today=dt.date(2025, 3, 10)).to_list()
    assert out == [dt.datetime(2024, 12, 31), dt.datetime(2025, 1, 1), dt.datetime(2025, 3, 8)]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.2K", 1200.0), ("18,400", 18400.0), ("6.5%", 6.5), ("1 234", 1234.0), ("3,5", 3.5),
     ("1938.0", 1938.0), ("-", None), ("N/A", None), ("None", None), ("undefined", None),
     ("1.234,5", 1234.5), ("0:01:21", 81.0), ("3M", 3e6)],
)  # fmt: skip
def test_numbers(raw: str, value: float | None) -> None:
    assert parsing.parse_numbers(pl.Series([raw])).to_list() == [value]


def test_ids_stay_strings() -> None:
    _, df = rows(b"tweet_id,text,date\n0012345678901234567890,hi,2024-01-01\n")
    assert df["comment_id"][0] == "0012345678901234567890"


def test_big_json_list_of_records() -> None:
    data = json.dumps([{"message": f"m{i}", "created_time": "2024-01-01T00:00:00+0000"}
                       for i in range(100)]).encode()  # fmt: skip
    _, df = rows(data, "d.json")
    assert df.height == 100


# --- issue #3: wizard columns, fast paths -------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"Kommentar;Zeitpunkt;Nutzer\nsuper;gestern;anna\n", "k.csv",
         ["Kommentar", "Zeitpunkt", "Nutzer"]),
        (b"\xef\xbb\xbfa,b,a\n1,2,3\n", "dup.csv", ["a", "b", "a.1"]),
        (gzip.compress(b"x\ty\n1\t2\n"), "t.tsv.gz", ["x", "y"]),
        (b'[{"k": 1, "v": {"w": 2}}]', "r.json", ["k", "v.w"]),
        (b"<!DOCTYPE html><html></html>", "page.csv", []),
        (b"", "empty.csv", []),
        (b"\x00\x01\x02\x03binary" * 50, "bin.csv", []),
        (b"PK\x03\x04broken", "broken.zip", []),
    ],
)  # fmt: skip
def test_sniff_columns(data: bytes, name: str, expected: list[str]) -> None:
    from trustdash.formats import sniff_columns

    assert sniff_columns(data, name) == expected


def test_sniff_columns_zip_and_path(tmp_path) -> None:
    from trustdash.formats import sniff_columns

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.md", "hello")
        zf.writestr("data/export.csv", "Nom,Message\nA,B\n")
    path = tmp_path / "x.zip"
    path.write_bytes(buf.getvalue())
    assert sniff_columns(path, "x.zip") == ["Nom", "Message"]


def test_sniff_columns_match_open_sources_signature() -> None:
    """The wizard's columns are those the import reads (same header row, preamble
    skipped), and a file whose layout is unknown still offers its columns."""
    from trustdash.formats import header_signature, sniff_columns

    known = b"Comments export\nMessage,Date,Author\nhello there,2024-01-01,bob\n"
    cols = sniff_columns(known, "t.csv")
    assert cols == ["Message", "Date", "Author"]
    assert header_signature(cols) == header_signature(open_sources(known, "t.csv")[0].columns)
    unknown = b"Title line\nFoo,Bar,Baz\n1,2,3\n"
    with pytest.raises(BadFile, match="Columns seen: Foo, Bar, Baz"):
        open_sources(unknown, "t.csv")
    assert sniff_columns(unknown, "t.csv") == ["Foo", "Bar", "Baz"]


def test_footer_row_dropped_from_sheets() -> None:
    from trustdash.readers import Limits, table_from_rows

    rows = [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"], ["Exported by X", None, None]]
    t = table_from_rows(rows, "s", None, None, Limits())
    assert t is not None and t.frame is not None and t.frame.height == 2


def test_iso_dates_fast_path_and_fallback() -> None:
    s = pl.Series(
        ["2024-01-02T03:04:05Z"] * 400 + ["2024-01-02 03:04:05 +0200", "garbage", None, ""]
    )
    out = parsing.DateParser().parse(s)
    assert out[0] == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert out[400] == dt.datetime(2024, 1, 2, 1, 4, 5)
    assert out[401] is None and out[402] is None and out[403] is None
    frac = parsing.DateParser().parse(pl.Series(["2023-09-19T17:42:53.434647+00:00"]))
    assert frac[0] == dt.datetime(2023, 9, 19, 17, 42, 53, 434647)


def test_parse_ids_and_null_variants() -> None:
    s = pl.Series([" -abc", "1938.0", "None", "NULL", "N/A", "'0123", "12.5", None])
    assert parsing.parse_ids(s).to_list() == ["-abc", "1938", None, None, None, "0123", "12.5",
                                              None]  # fmt: skip


def test_via_unique_matches_direct() -> None:
    s = pl.Series(["Twitter", "facebook ", None, "X (Twitter)"] * 5000)
    from trustdash.formats.base import channel_expr

    fast = parsing.via_unique(s, channel_expr(pl.col("v")))
    direct = pl.DataFrame({"v": s}).select(channel_expr(pl.col("v"))).to_series()
    assert fast.to_list() == direct.to_list()


def test_utf8_check_agrees_with_python_across_chunk_boundaries() -> None:
    import codecs
    import random

    from trustdash.readers import _is_utf8

    def reference(data: bytes) -> bool:
        try:  # not final: a character cut by the end of the file is forgiven
            codecs.getincrementaldecoder("utf-8")("strict").decode(data)
        except UnicodeDecodeError:
            return False
        return True

    rng = random.Random(7)
    alphabet = ["a", "é", "€", "😀", "\n", ",", "\U0010ffff", "\u0800"]
    for _ in range(2000):
        data = bytearray("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))).encode())
        if data and rng.random() < 0.4:
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        if data and rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        for chunk in (1, 2, 3, 5, 64):
            assert _is_utf8(io.BytesIO(bytes(data)), chunk) == reference(bytes(data)), data
