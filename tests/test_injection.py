"""Injection: user text is shown as plain text (never live markdown/HTML), SQL-looking
names stay data, exports neutralise spreadsheet formulas, URL parameters are validated."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from conftest import ROOT, comments_csv, make_rows
from streamlit.testing.v1 import AppTest

from trustdash.exporting import to_csv_bytes, to_xlsx_bytes, write_table
from trustdash.filters import NO_CAMPAIGN, from_params
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

IMG = "<img src=x onerror=alert(1)>"
LINK = "[link](javascript:alert(1))"
PIXEL = "![](http://example.invalid/x.png)"
SQL_CAMPAIGN = "x'); DROP TABLE comments;--"
EVIL_FILE = "<b>evil</b>.csv"
AUTHOR = "<script>alert('author')</script>"
CHANNEL = "<i>chan</i>"
# What must never reach a markdown/HTML-rendering element as is.
PAYLOADS = [IMG, LINK, PIXEL, "<b>evil</b>", AUTHOR, "<i>chan</i>", "javascript:alert"]
PAGES = [
    "app.py",
    "pages/2_Campaigns.py",
    "pages/4_Conversations.py",
    "pages/6_Import.py",
    "pages/7_Import_history.py",
]


def _payload_rows() -> list[dict]:
    rows = make_rows(60, campaign=SQL_CAMPAIGN, reply_every=4)
    texts = [IMG, LINK, PIXEL, f"terrible {IMG} refund", f"love it {LINK}", f"{PIXEL} awful"]
    for i, r in enumerate(rows):
        if not r["comment_id"].startswith("cr"):
            r["text"] = texts[i % len(texts)] + f" #{i}"
            r["author"] = AUTHOR if i % 2 else f"{IMG}{i}"
        r["created_at"] = (dt.datetime.now() - dt.timedelta(days=20, hours=-3 * i)).isoformat()
    return rows


@pytest.fixture
def hostile_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "inj.duckdb"
    s = Store(db)
    res = import_files(s, [(EVIL_FILE, comments_csv(_payload_rows()))])
    assert res[0].ok, res[0].errors
    more = make_rows(20, prefix="o", channel=CHANNEL, campaign=SQL_CAMPAIGN)
    for r in more:
        r["created_at"] = (dt.datetime.now() - dt.timedelta(days=10)).isoformat()
    res = import_files(s, [("other.csv", comments_csv(more))], ImportOptions(campaign=LINK))
    assert res[0].ok, res[0].errors
    s.add_annotation(dt.date.today() - dt.timedelta(days=5), f"launch {IMG} {LINK}")
    s.close()
    monkeypatch.setenv("TRUSTDASH_DB", str(db))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    return db


def _walk(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


# Elements drawn as text (or as data cells) by the frontend: safe for any content.
_PLAIN = {"text", "code", "dataframe", "arrow_data_frame", "json", "table", "plotly_chart"}


def _rendered_markdown(at: AppTest) -> list[tuple[str, str]]:
    """(element type, string) for every string a Streamlit element renders as markdown:
    markdown/caption bodies, alerts, titles, labels, help texts, radio options."""
    out: list[tuple[str, str]] = []
    for node in _walk(at._tree):
        kind = getattr(node, "type", "")
        if kind in _PLAIN:
            continue
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        for fld in ("body", "label", "help", "caption"):
            value = getattr(proto, fld, None)
            if isinstance(value, str) and value:
                out.append((kind, value))
        if kind == "radio":
            out.extend((kind, o) for o in proto.options)
    return out


def _unescaped(value: str) -> list[str]:
    return [p for p in PAYLOADS if p in value]


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_user_text_as_plain_text(page: str, hostile_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bad = [(k, v[:200]) for k, v in _rendered_markdown(at) if _unescaped(v)]
    assert not bad, f"{page}: user text rendered as markdown/HTML: {bad}"
    s = Store(hostile_store)
    try:
        assert s.table_counts()["comments"] > 0  # the campaign name did not drop the table
    finally:
        s.close()


def test_sql_looking_names_are_data(hostile_store: Path) -> None:
    s = Store(hostile_store)
    try:
        assert SQL_CAMPAIGN in s.campaigns()
        assert s.table_counts()["comments"] == 95  # 60 + 15 replies + 20
        frame = s.table_frame("imports")
        assert EVIL_FILE in frame.get_column("file_name").to_list()
        assert s.search_everywhere(SQL_CAMPAIGN)
        assert s.search_everywhere("%") == s.search_everywhere("%")  # LIKE metachar is fine
        assert s.forget_author("' OR 1=1 --") == 0
        assert s.table_counts()["comments"] == 95
    finally:
        s.close()


# ---------------------------------------------------------------------------- exports

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "text": [*FORMULAS, "plain", "a=b", None],
            "author": ["=evil"] * len(FORMULAS) + ["ok", "-", None],
            "n": list(range(len(FORMULAS) + 3)),
        }
    )


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    for data in (to_csv_bytes(_frame()), write_table(_frame(), tmp_path / "x.csv").read_bytes()):
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        for r in rows:
            for col in ("text", "author"):
                v = r[col]
                assert not v or v[0] not in "=+-@\t\r", (col, v)
        assert rows[0]["text"] == "'=1+1"
        assert rows[len(FORMULAS)]["text"] == "plain" and rows[len(FORMULAS) + 1]["text"] == "a=b"
        assert rows[0]["n"] == "0"  # numbers untouched


def test_xlsx_export_neutralises_formulas(tmp_path: Path) -> None:
    for data in (to_xlsx_bytes(_frame()), write_table(_frame(), tmp_path / "x.xlsx").read_bytes()):
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb.active
        cells = [c for row in ws.iter_rows(min_row=2) for c in row]
        for c in cells:
            assert c.data_type != "f", c.value  # no formula cell
            if isinstance(c.value, str):
                assert c.value[0] not in "=+-@\t\r", c.value
        assert ws.cell(row=2, column=1).value == "'=1+1"


def test_store_export_of_hostile_comments_is_neutralised(hostile_store: Path) -> None:
    s = Store(hostile_store)
    try:
        s.set_setting("brand_accounts", [])
        frame = s.table_frame("comments").with_columns(pl.lit("=cmd|' /C calc'!A0").alias("text"))
    finally:
        s.close()
    rows = list(csv.DictReader(io.StringIO(to_csv_bytes(frame).decode("utf-8-sig"))))
    assert rows and all(r["text"].startswith("'=") for r in rows)


# ---------------------------------------------------------------------------- URL parameters

JUNK: list[dict[str, Any]] = [
    {"from": "not-a-date", "to": "2026-13-45"},
    {"from": "2026-06-30", "to": "2026-06-01"},
    {"channel": ["facebook", "<script>", "x" * 100_000], "campaign": [SQL_CAMPAIGN, "nope"]},
    {"gran": "year", "channel": "", "campaign": ""},
    {"gran": "x" * 1_000_000, "from": "9" * 100_000},
    {"channel": 42, "campaign": object(), "from": ["2026-01-01", "2026-02-01"]},
    {"unknown": "x", "from": None, "to": 0},
    {"campaign": NO_CAMPAIGN, "channel": ["facebook", "facebook"]},
    {"from": "2026-06-01\x00' OR 1=1", "to": "\ud800"},
]


@pytest.mark.parametrize("params", JUNK, ids=range(len(JUNK)))
def test_url_params_are_validated(params: dict[str, Any]) -> None:
    parsed = from_params(
        params,
        known_channels=["facebook", "instagram"],
        known_campaigns=[SQL_CAMPAIGN],
        bounds=(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    )
    f = parsed.filters
    assert set(f.channels) <= {"facebook", "instagram"}
    assert set(f.campaigns) <= {SQL_CAMPAIGN, NO_CAMPAIGN}
    assert f.granularity in ("day", "week", "month")
    # junk dates fall back to the data's window; valid ones stay inside it, in order
    assert f.start is not None and f.end is not None
    assert dt.date(2026, 1, 1) <= f.start <= f.end <= dt.date(2026, 6, 30)
    assert all(len(n) < 300 for n in parsed.notices)  # junk is cut, not echoed in full


def test_url_junk_on_a_page(hostile_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["channel"] = [IMG, "x" * 5000]
    at.query_params["campaign"] = [LINK]
    at.query_params["from"] = "<b>evil</b>"
    at.query_params["gran"] = PIXEL
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    bad = [(k, v[:200]) for k, v in _rendered_markdown(at) if _unescaped(v)]
    assert not bad, f"URL junk rendered as markdown/HTML: {bad}"
