"""Data is never markup: the escaping helpers and every sink that shows names.

Markdown sinks (markdown, captions, alerts, metric labels, progress texts, notices) must
receive text where every ASCII punctuation character is backslash-escaped; plotly sinks
(titles, trace names, axis categories, hover texts, annotations) text without a raw
``<``; bidi control characters are shown as visible ``⟨U+XXXX⟩`` markers in both."""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import ROOT, comments_csv, make_rows
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from trustdash import charts
from trustdash.ingest import ImportOptions, import_files
from trustdash.safe_text import BIDI_CONTROLS, md_escape, plotly_escape, reveal_bidi
from trustdash.store import Store

CAMPAIGN = "<a href=x>y</a>"
CHANNEL = "chan<b>\u202egnp.exe</b>"
FILE = "![](http://x/f.png).csv"
HOSTILE = [
    CAMPAIGN,
    FILE,
    "[x](http://evil.example)",
    "<https://evil.example>",
    "https://evil.example/a_b",
    "www.evil.example",
    "mallory@evil.example",
    "&lt;img src=x&gt;",
    ":red[alert] :material/warning: $x^2$",
    "# heading\n- item\n> quote\n1. one",
    "`code` **bold** _it_ ~~s~~ |a|b|",
    "\\[escaped\\](x)",
    "evil\u202egnp.exe \u2066x\u2069 \u200e\u200f\u061c",
    "%{x} %{customdata[0]} <extra>e</extra>",
]


def _inert_markdown(md: str) -> bool:
    """Every ASCII punctuation character is escaped: nothing can open a link, image, tag,
    code span, emphasis, directive or formula."""
    i = 0
    while i < len(md):
        ch = md[i]
        if ch == "\\":
            if i + 1 >= len(md) or md[i + 1] not in string.punctuation:
                return False
            i += 2
            continue
        if ch in string.punctuation or ch in BIDI_CONTROLS:
            return False
        i += 1
    return True


def _md_unescape(md: str) -> str:
    out, i = [], 0
    while i < len(md):
        if md[i] == "\\" and i + 1 < len(md):
            out.append(md[i + 1])
            i += 2
        else:
            out.append(md[i])
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escape_is_inert_and_shows_the_text(text: str) -> None:
    md = md_escape(text)
    assert _inert_markdown(md), md
    assert _md_unescape(md) == reveal_bidi(text)  # the reader sees exactly the name


@pytest.mark.parametrize("text", HOSTILE)
def test_plotly_escape_leaves_no_tag(text: str) -> None:
    out = plotly_escape(text)
    assert "<" not in out and ">" not in out
    assert not any(c in out for c in BIDI_CONTROLS)
    assert out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == reveal_bidi(text)


def test_bidi_controls_are_visible() -> None:
    assert reveal_bidi("evil\u202egnp.exe") == "evil⟨U+202E⟩gnp.exe"
    for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F]:
        assert reveal_bidi(chr(c)) == f"⟨U+{c:04X}⟩"
    assert reveal_bidi("plain é ü 中文") == "plain é ü 中文"
    assert reveal_bidi(None) == ""


# --------------------------------------------------------------------------- charts


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k != "customdata":  # data for the drill-down, never drawn
                yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list | tuple):
        for v in node:
            yield from _strings(v, path)
    elif isinstance(node, str):
        yield path, node


def _assert_plotly_inert(fig: Any) -> None:
    spec = fig.to_plotly_json()
    for path, s in _strings(spec):
        if path.endswith("hovertemplate"):
            # Templates are ours: data reaches them only through %{…} references.
            assert not any(h in s for h in ("<a", "evil", "gnp")), (path, s)
            s = s.replace("<extra></extra>", "")
        assert "<" not in s and ">" not in s, (path, s)
        assert not any(c in s for c in BIDI_CONTROLS), (path, s)


def _group_table(names: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "group": names,
            "trust": [60.0 + i for i in range(len(names))],
            "low": [50.0] * len(names),
            "high": [70.0] * len(names),
            "rank": list(range(1, len(names) + 1)),
            "band": ["Good"] * len(names),
            "insufficient": [False] * len(names),
        }
    )


def test_every_chart_escapes_names() -> None:
    names = [CAMPAIGN, CHANNEL, FILE]
    day = dt.date(2026, 6, 1)
    series = pl.DataFrame(
        {
            "channel": [CHANNEL, CHANNEL, CAMPAIGN, CAMPAIGN],
            "period": [day, day + dt.timedelta(days=7)] * 2,
            "trust": [60.0, 61.0, 62.0, 63.0],
            "low": [50.0] * 4,
            "high": [70.0] * 4,
            "insufficient": [False] * 4,
        }
    )
    annotations = pl.DataFrame({"date": [day], "text": [CAMPAIGN + FILE]})
    alerts = pl.DataFrame({"group": [CHANNEL], "period": [day], "share": [0.5]})
    responses = pl.DataFrame({"channel": names, "bins: < 1 h": [1, 2, 3]})
    phases = pl.DataFrame(
        {
            "phase": ["before", "during"], "trust": [50.0, 60.0], "low": [40.0, 50.0],
            "high": [60.0, 70.0], "band": ["Good", "Good"], "from": [day, day], "to": [day, day],
        }
    )  # fmt: skip
    metrics = pl.DataFrame(
        {"channel": [CHANNEL], "metric": [CAMPAIGN], "date": [day], "value": [1.0]}
    )
    figs = [
        charts.trust_by_group(_group_table(names), title=f"Trust · {CAMPAIGN}"),
        charts.campaign_compare(_group_table(names), baseline=50.0),
        charts.trust_over_time(
            series, title=f"Trust over time · {CHANNEL}", annotations=annotations, alerts=alerts
        ),
        charts.response_distribution(responses, title=FILE),
        charts.phases_bar(phases, title=f"Brand trust around {CAMPAIGN}"),
        charts.languages_pie({CAMPAIGN: 3, "en": 2}),
        charts.metric_series(metrics, title=CHANNEL),
        charts.trust_by_group(_group_table([]), title=CAMPAIGN),  # the empty figure
    ]
    for fig in figs:
        _assert_plotly_inert(fig)
    # Escaped for display, yet the drill-down still gets the raw name.
    over_time = figs[2].to_plotly_json()["data"]
    assert {t["customdata"][0][0] for t in over_time if t.get("customdata")} == {
        CHANNEL,
        CAMPAIGN,
    }


# --------------------------------------------------------------------------- pages


@pytest.fixture
def named_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "names.duckdb"
    s = Store(db)
    rows = make_rows(40, campaign=CAMPAIGN, channel=CHANNEL, reply_every=5)
    for i, r in enumerate(rows):
        r["created_at"] = (dt.datetime.now() - dt.timedelta(days=30, hours=-6 * i)).isoformat()
    res = import_files(s, [("evil\u202egnp.csv", comments_csv(rows))], ImportOptions())
    assert res[0].ok, res[0].errors
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


def _markdown_strings(at: AppTest) -> list[str]:
    out = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or getattr(node, "type", "") in {"text", "code", "plotly_chart"}:
            continue
        for fld in ("body", "label", "help", "caption", "text"):
            value = getattr(proto, fld, None)
            if isinstance(value, str) and value:
                out.append(value)
    return out


def _plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(node.proto.spec) for node in at.get("plotly_chart")]


def _no_raw(strings: list[str], *needles: str) -> None:
    bad = [s[:200] for s in strings for n in needles if n in s]
    assert not bad, bad


def test_campaign_name_is_text_in_charts_and_labels(named_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages/2_Campaigns.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    specs = _plotly_specs(at)
    assert specs, "no chart drawn"
    titles = [s["layout"].get("title", {}).get("text", "") for s in specs]
    assert any("Brand trust around &lt;a href=x&gt;y&lt;/a&gt;" in t for t in titles), titles
    for spec in specs:
        for path, s in _strings({"data": spec["data"], "layout": spec["layout"]}):
            s = s.replace("<extra></extra>", "") if path.endswith("hovertemplate") else s
            assert "<a" not in s and "<b>" not in s, (path, s)
    _no_raw(_markdown_strings(at), CAMPAIGN, "\u202e")


def test_channel_name_is_text_in_the_metric_label(named_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages/1_Channels.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [m.label for m in at.metric]
    assert any(lbl.startswith("Trust · ") for lbl in labels), labels
    for lbl in labels:
        assert _inert_markdown(lbl.removeprefix("Trust · ")), lbl
    # Channel names are normalised at import (``chan_b_gnp_exe_b``): still escaped.
    _no_raw(_markdown_strings(at), "<b>", "\u202e")
    for spec in _plotly_specs(at):
        for _path, s in _strings({"data": spec["data"], "layout": spec["layout"]}):
            assert "\u202e" not in s and "<b>" not in s, s


def test_share_link_notice_is_text(named_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["channel"] = ["[x](http://evil.example)", "<https://evil.example>"]
    at.query_params["campaign"] = [FILE]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    notices = [i.value for i in at.info if "Ignored unknown" in i.value]
    assert len(notices) == 3, [i.value for i in at.info]
    for n in notices:
        assert _inert_markdown(n.replace("\\'", "").replace("'", "")), n


def test_uploaded_file_name_is_text_in_progress_and_results(
    env_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts: list[str] = []
    original = DeltaGenerator.progress

    def spy(self: DeltaGenerator, value: Any, text: str | None = None, **kw: Any) -> Any:
        texts.append(text or "")
        return original(self, value, text=text, **kw)

    monkeypatch.setattr(DeltaGenerator, "progress", spy)
    name = "evil\u202e![](http://x/f.png).csv"
    at = AppTest.from_file(str(ROOT / "pages/6_Import.py"), default_timeout=120).run()
    at.get("file_uploader")[0].set_value((name, comments_csv(make_rows(30)), "text/csv"))
    at.run()
    at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    named = [t for t in texts if "f" in t and "png" in t]
    assert named, texts  # the file name did reach the progress text
    for t in named:
        assert "![](" not in t and "\u202e" not in t, t
        assert "⟨U\\+202E⟩" in t, t
    _no_raw(_markdown_strings(at), "![](", "\u202e")
    assert any("⟨U\\+202E⟩" in s for s in _markdown_strings(at))


def test_bidi_controls_are_visible_in_tables_and_pickers(named_store: Path) -> None:
    at = AppTest.from_file(str(ROOT / "pages/7_Import_history.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    names = [str(v) for v in table["file_name"]]
    assert names == ["evil⟨U+202E⟩gnp.csv"], names
    options = [str(o) for o in at.selectbox(key="hist_pick").options]
    assert all("\u202e" not in o for o in options) and any("⟨U+202E⟩" in o for o in options)
