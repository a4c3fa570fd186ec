"""The offline leadership brief: ``python -m trustdash report`` writes one self-contained HTML
file (no network reference), with the same headline as :func:`trustdash.analysis.overview`,
in English or French, with every user-supplied text escaped."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import comments_csv, make_rows
from trustdash import analysis
from trustdash.filters import Filters

ROOT = Path(__file__).resolve().parent.parent

# Attributes that make a browser fetch something (or navigate) by themselves.
URL_ATTRS = {"src", "href", "srcset", "action", "poster", "data", "background", "formaction"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)


class _Scan(HTMLParser):
    """Tags and attributes outside script bodies, the scripts' own text, and style text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data


def _scan(html: str) -> _Scan:
    s = _Scan()
    s.feed(html)
    s.close()
    return s


def _report(db: Path, out: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash", "report", "--db", str(db), "--out", str(out), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return out.read_text(encoding="utf-8")


def _headline(html: str) -> str:
    m = re.search(r"id='trust-headline'>([^<]*)<", html)
    assert m, "no trust headline in the report"
    return m.group(1)


@pytest.fixture(scope="module")
def report_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo store (other modules may write to theirs)."""
    path = tmp_path_factory.mktemp("report_db") / "demo.duckdb"
    shutil.copy2(demo_db, path)
    return path


@pytest.fixture(scope="module")
def brief_en(report_db: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _report(report_db, tmp_path_factory.mktemp("report") / "brief.html")


def test_report_is_one_self_contained_file(brief_en: str) -> None:
    scan = _scan(brief_en)
    assert brief_en.lstrip().lower().startswith("<!doctype html>")
    # plotly's JavaScript is embedded, once, and no script is loaded from elsewhere.
    assert any("Plotly" in s and len(s) > 1_000_000 for s in scan.scripts)
    assert sum(len(s) > 1_000_000 for s in scan.scripts) == 1
    for tag, attrs in scan.tags:
        if tag == "script":
            assert "src" not in attrs, attrs
        if tag == "link":
            # no external stylesheet, font, preload or icon
            assert not attrs.get("href"), attrs
        if tag == "iframe":
            pytest.fail("the brief must not embed an iframe")
        for name, value in attrs.items():
            if name in URL_ATTRS and value:
                assert not REMOTE.match(value), f"<{tag} {name}={value!r}>"
                assert not value.strip().lower().startswith("data:text/html"), value
    # Plotly charts are drawn from inline data: two figures.
    assert len(re.findall(r"Plotly\.newPlot\(", brief_en)) == 2
    # MathJax is not requested (plotly's to_html can add a CDN <script> for it).
    assert "cdn.jsdelivr.net/npm/mathjax" not in brief_en.lower()
    assert "cdn.plot.ly/plotly" not in brief_en.lower()
    # Styles load nothing remote either.
    for css in scan.styles:
        assert "@import" not in css
        assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", css, re.IGNORECASE), css


def test_report_html_outside_scripts_names_no_remote_url(brief_en: str) -> None:
    # Outside the embedded library, the text of the page links nowhere.
    outside = re.sub(r"<script\b.*?</script>", "", brief_en, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?://", outside), re.findall(r"https?://\S{0,60}", outside)[:5]


def test_report_headline_equals_overview(brief_en: str, report_db: Path) -> None:
    from trustdash.filters import default_window
    from trustdash.store import Store

    store = Store(report_db)
    try:
        # Without dates the brief covers the window the Brief page opens on.
        start, end = default_window(*store.date_bounds())
        ov = analysis.overview(store, Filters(start=start, end=end))
    finally:
        store.close()
    assert ov.headline.get("trust") is not None
    assert _headline(brief_en) == f"{ov.headline['trust']:.0f}"


def test_report_with_filters_matches_overview(report_db: Path, tmp_path: Path) -> None:
    from trustdash.store import Store

    store = Store(report_db)
    try:
        campaign = store.campaigns()[-1]
        f = Filters(
            start=dt.date(2026, 5, 1), end=dt.date(2026, 10, 31),
            channels=("facebook", "instagram"), campaigns=(campaign,), granularity="month",
        )  # fmt: skip
        expected = analysis.overview(store, f).headline.get("trust")
    finally:
        store.close()
    html = _report(
        report_db, tmp_path / "filtered.html",
        "--since", "2026-05-01", "--until", "2026-10-31", "--channel", "facebook",
        "--channel", "instagram", "--campaign", campaign, "--gran", "month",
    )  # fmt: skip
    assert expected is not None
    assert _headline(html) == f"{expected:.0f}"
    assert "facebook" in html and "instagram" in html


def test_report_in_french(report_db: Path, tmp_path: Path, brief_en: str) -> None:
    fr = _report(report_db, tmp_path / "brief-fr.html", "--lang", "fr")
    assert "<html lang='fr'>" in fr
    for label in (
        "Note de confiance de marque",
        "Score de confiance de la marque",
        "Confiance par canal",
        "Tendance",
        "Ce qu'ils en disent",
        "Période et filtres",
        "commentaires du public",
    ):
        assert label in unescape(fr), label
    for label in ("Brand trust brief", "Trust per channel", "In their words", "Generated by"):
        assert label not in fr, label
    # Same numbers in both languages.
    assert _headline(fr) == _headline(brief_en)


def test_report_escapes_user_text(tmp_path: Path) -> None:
    from trustdash.ingest import ImportOptions, import_files
    from trustdash.store import Store

    bad = "<img src=x onerror=alert(1)>"
    rows = make_rows(60, start=dt.datetime(2026, 3, 1, 9), campaign="<b>Spring</b>")
    for r in rows:
        r["text"] = f"{r['text']} {bad} </blockquote><script>alert(2)</script>"
    db = tmp_path / "xss.duckdb"
    store = Store(db)
    try:
        results = import_files(store, [("xss.csv", comments_csv(rows))], ImportOptions())
        assert all(r.ok for r in results), [r.errors for r in results]
    finally:
        store.close()
    html = _report(db, tmp_path / "xss.html", "--campaign", "<b>Spring</b>")
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.DOTALL | re.IGNORECASE)
    assert bad not in outside
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert(2)</script>" not in html
    assert "&lt;b&gt;Spring&lt;/b&gt;" in html
    # No element of the page came from the comment text.
    scan = _scan(outside)
    assert not [t for t, _ in scan.tags if t in ("img", "b")]
    assert all("onerror" not in attrs for _, attrs in scan.tags)


def test_old_comments_are_named_as_the_reason_for_no_score(store) -> None:
    """A channel whose 60 comments are two years older than the window's end has plenty of
    polar comments but almost no recent ones: the reason says so, with both counts, and a
    channel with few comments keeps the plain reason."""
    from trustdash import report
    from trustdash.i18n import using
    from trustdash.i18n.terms import flag_text
    from trustdash.ingest import import_files

    recent, old = dt.datetime(2026, 3, 1, 9), dt.datetime(2024, 3, 1, 9)
    import_files(store, [
        ("big.csv", comments_csv(make_rows(300, channel="instagram", start=recent, prefix="b"))),
        ("old.csv", comments_csv(make_rows(60, channel="youtube", start=old, prefix="o"))),
        ("tiny.csv", comments_csv(make_rows(4, channel="x", start=recent, prefix="t"))),
    ])  # fmt: skip
    f = Filters(start=dt.date(2024, 1, 1), end=dt.date(2026, 5, 31))
    rows = {r["group"]: r for r in analysis.trust_table(store, f, "channel").iter_rows(named=True)}
    # Comments 7 hours apart, each weighing 0.5^(age in days / 90) at the window's end.
    end = dt.datetime(2026, 5, 31, 23, 59, 59)

    def weight(start: dt.datetime, n: int) -> float:
        return sum(0.5 ** ((end - (start + dt.timedelta(hours=7 * i))).total_seconds()
                           / 86400 / 90) for i in range(n))  # fmt: skip

    assert weight(old, 60) < 1
    reason = analysis.insufficient_reason(rows["youtube"])
    assert reason == f"few recent polar comments ({weight(old, 60):.1f} < 10; 60 in all)"
    assert analysis.insufficient_reason(rows["x"]) == (
        f"few polar comments ({weight(recent, 4):.1f} < 10)")
    with using("fr"):
        assert flag_text(reason) == (
            f"peu de commentaires récents positifs ou négatifs ({weight(old, 60):.1f} < 10\u202f; "
            "60 au total)"
        ).replace(".", ",")
    # Recency weighting off: every comment counts fully, and youtube has its score.
    store.set_setting("half_life_days", 0.0)
    table = analysis.shown_table(analysis.trust_table(store, f, "channel"))
    assert table.filter(pl.col("group") == "youtube")["trust"].item() is not None
    assert "few recent" not in report.render_report(store, f, lang="en")


def test_insufficient_data_is_not_a_number_in_the_brief(store) -> None:
    """A large channel and one of 6 comments: the report, the emailed brief and its
    numbers show the small channel's score nowhere (it would be mostly its prior), and a
    brand of few comments shows the reason instead of a score."""
    from trustdash import report
    from trustdash.delivery import messages
    from trustdash.ingest import import_files

    start = dt.datetime(2026, 3, 1, 9)
    import_files(store, [
        ("big.csv", comments_csv(make_rows(300, channel="instagram", start=start, prefix="b"))),
        ("tiny.csv", comments_csv(make_rows(6, channel="youtube", start=start, prefix="t"))),
    ])  # fmt: skip
    f = Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 5, 31))
    table = analysis.trust_table(store, f, "channel")
    tiny = table.filter(table["group"] == "youtube").row(0, named=True)
    assert tiny["insufficient"] and tiny["trust"] is not None  # a score of priors, hidden
    shown = analysis.shown_table(table).filter(pl.col("group") == "youtube").row(0, named=True)
    assert (shown["trust"], shown["rank"]) == (None, None) and tiny["rank"] is not None
    stab = analysis.rank_stability(store, f, "channel")
    assert all("youtube" not in ranks for ranks in stab["ranks"].values())
    assert "instagram" in stab["ranks"]["Default"]
    big = table.filter(table["group"] == "instagram").row(0, named=True)
    html = report.render_report(store, f, lang="en")
    rows = re.findall(r"<tr><td>(.*?)</td><td class='channel-trust'>(\d+)</td>", html)
    assert rows == [("instagram", f"{big['trust']:.0f}")]
    nums = messages.brief_numbers(store, f, analysis.overview(store, f), "en")
    assert [c["channel"] for c in nums["channels"]] == ["instagram"]
    cli = {r["group"]: r for r in analysis.trust_json(store, f, "channel")}
    assert (cli["youtube"]["trust"], cli["youtube"]["band"]) == (None, "Insufficient data")
    assert (cli["youtube"]["rank"], cli["instagram"]["rank"]) == (None, 1)
    assert cli["instagram"]["band"] == big["band"]
    assert nums["trust"] == analysis.brand_headline(store, f)["shown"] is not None

    # Only the small channel in the window: no brand number either.
    g = Filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 5, 31), channels=("youtube",))
    head = analysis.brand_headline(store, g)
    assert head["trust"] is not None and head["shown"] is None
    html = report.render_report(store, g, lang="en")
    kpi = re.search(r"id='trust-headline'>([^<]*)<", html)
    assert kpi is not None and kpi.group(1) == "—"
    assert "few polar comments" in html and "Insufficient data" in html
    # The channel chart says why it has no bar (its channel is there, without a score).
    from trustdash import charts

    shown = analysis.shown_table(analysis.trust_table(store, g, "channel"))
    texts = [a.text for a in charts.trust_by_group(shown).layout.annotations]
    assert texts == ["Not enough data for a score in this selection"]
    texts = [a.text for a in charts.trust_by_group(shown.head(0)).layout.annotations]
    assert texts == ["No data for these filters"]
    brief = messages.build_brief(store, g, "en", None)
    assert "Brand Trust Score: — (few polar comments" in brief.text
    nums = messages.brief_numbers(store, g, analysis.overview(store, g), "en")
    assert (nums["trust"], nums["low"], nums["high"], nums["band"]) == (None, None, None, None)
