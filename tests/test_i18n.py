"""The interface in French and English: the catalog covers every string the pages, the
charts and the report show; French entries exist, are not fuzzy and follow French
typography; numbers, dates and CSV downloads read as a French reader expects; every page
renders in French without an English interface string, and a link carries its language."""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from trustdash import i18n, report, trust
from trustdash.exporting import to_csv_bytes
from trustdash.filters import (
    ConversationView,
    Filters,
    conversation_from_params,
    conversation_params,
)
from trustdash.i18n import (
    NNBSP,
    fmt_date,
    fmt_decimal,
    fmt_number,
    fmt_percent,
    fmt_week,
    pick_lang,
    tr,
    trc,
    trn,
    using,
)
from trustdash.i18n.terms import (
    change_reason,
    explain_interval,
    explain_notes,
    flag_text,
    localise,
)
from trustdash.schema import FIELDS
from trustdash.store import Store

LOCALE = ROOT / "trustdash" / "i18n" / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "trustdash.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"tr": None, "trn": (1, 2), "trc": ((1, "c"), 2), "mark": None}
# Where the reader's strings are written: the UI layer, charts, the report, the filters'
# words and the vocabulary; and the messages of the layers below (import errors, warnings,
# rejection reasons and summaries, store errors).
SOURCES = ["trustdash/ui", "trustdash/i18n", "trustdash/charts.py", "trustdash/report.py",
           "trustdash/filters.py", "trustdash/analysis.py", "trustdash/readers.py",
           "trustdash/parsing.py", "trustdash/formats", "trustdash/ingest.py",
           "trustdash/inbox.py", "trustdash/store"]  # fmt: skip
PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]


def _catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="fr")


def _extracted() -> set[tuple[str | None, str]]:
    """(context, msgid) of every marked string in the sources, read with Babel's API."""
    found = set()
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            messages = extract_from_dir(
                path.parent, keywords=KEYWORDS, comment_tags=(),
                method_map=[(path.name, "python")],
            )  # fmt: skip
        else:
            messages = extract_from_dir(path, keywords=KEYWORDS, method_map=[("**.py", "python")])
        for _file, _line, message, _comments, context in messages:
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


# -- the catalog ---------------------------------------------------------------------------


def test_every_marked_string_is_in_the_catalog_and_translated() -> None:
    cat = _catalog()
    entries = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in cat if m.id}
    extracted = _extracted()
    assert len(extracted) > 300
    missing = sorted(str(k) for k in extracted if k not in entries)
    assert not missing, f"not in the catalog (run pybabel extract/update, docs/i18n.md): {missing}"
    for key, m in entries.items():
        assert "fuzzy" not in m.flags, f"fuzzy French entry: {key}"
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"missing French entry: {key}"
    assert not cat.fuzzy


def test_french_entries_keep_the_placeholders_of_their_english() -> None:
    """tr() fills {names}: a translation that drops or invents one would break a page."""

    def names(text: str) -> set[str]:
        return set(re.findall(r"(?<!%)\{(\w*)[^{}]*\}", text))

    for m in _catalog():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        expected = names(ids[-1]) | ({"n"} if isinstance(m.id, tuple) else set())
        for s in strings:
            assert names(s) <= expected and names(ids[0]) - {"n"} <= names(s) | {"n"}, (m.id, s)


def test_the_compiled_catalog_matches_the_po_file() -> None:
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in _catalog():
        if not m.id or isinstance(m.id, tuple):
            continue
        key = f"{m.context}\x04{m.id}" if m.context else m.id
        assert compiled._catalog.get(key) == m.string, f"run pybabel compile: {m.id!r}"


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


# Streamlit calls whose first argument or label-like keywords the reader sees.
_SHOWN = {
    "title", "header", "subheader", "caption", "markdown", "info", "warning", "error",
    "success", "metric", "button", "download_button", "selectbox", "multiselect", "radio",
    "text_input", "text_area", "number_input", "date_input", "toggle", "checkbox",
    "expander", "spinner", "file_uploader", "segmented_control", "form_submit_button",
    "page_link", "empty_state",
}  # fmt: skip
_SHOWN_KEYWORDS = {"help", "placeholder", "label", "text", "help_text"}
# Shown as written in every language: file types, our name, the bilingual switch, CSS.
_AS_IS = {"⬇ CSV", "⬇ XLSX", "Language · Langue", "### 🛡️ trustdash", "trustdash"}


def test_no_interface_string_in_the_ui_is_left_unmarked() -> None:
    """A literal with words passed to a Streamlit call in trustdash/ui/ must go through
    tr() (so that the catalog, and the test above, see it)."""
    bad = []
    for path in sorted((ROOT / "trustdash" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr not in _SHOWN:
                continue
            args = list(node.args[:1]) + [k.value for k in node.keywords
                                          if k.arg in _SHOWN_KEYWORDS]  # fmt: skip
            for arg in args:
                text = _literal_text(arg)
                if text is None or text in _AS_IS or text.lstrip().startswith("<style>"):
                    continue
                if re.search(r"[A-Za-z]{2,}", text):
                    bad.append(f"{path.name}:{node.lineno}: {text[:60]!r}")
    assert not bad, bad


def test_the_domain_vocabulary_shown_to_readers_is_in_the_catalog() -> None:
    words = [name for _, name in trust.BANDS] + [trust.NO_DATA, trust.INSUFFICIENT]
    words += list(trust.COMPONENT_NAMES.values()) + list(trust.PRESETS)
    words += list(trust.MISSING_REASON.values())
    words += [f for f in trust.FORMULAS.values() if re.search(r"[a-z]{4,}", f)]
    for word in words:
        assert i18n.known(word), word
    for fields in FIELDS.values():
        for field in fields:
            assert i18n.known(f"field\x04{field}"), f"mapping wizard field {field}"


def _plain(text: str) -> str:
    """French text without placeholders, plotly templates and inline code."""
    text = re.sub(r"%\{[^}]*\}", "X", text)
    text = re.sub(r"\{[^}]*\}", "X", text)
    return re.sub(r"`[^`]*`", "X", text)


def test_french_entries_follow_french_typography() -> None:
    bad = []
    for m in _catalog():
        if not m.id:
            continue
        for s in m.string if isinstance(m.string, tuple) else (m.string,):
            text = _plain(s)
            if re.search(r"[^\s\u202f\u00a0(][:;!?]", text) or re.search(r" [:;!?%]", text):
                bad.append(s)  # a narrow no-break space goes before : ; ! ? %
            if '"' in text or "“" in text:
                bad.append(s)  # French quotes are « … »
            if re.search(r"«(?!\u202f)|(?<!\u202f)»", text):
                bad.append(s)
    assert not bad, bad


# -- formats -------------------------------------------------------------------------------


def test_numbers_dates_and_percentages_in_french() -> None:
    with using("fr"):
        assert fmt_number(13597) == f"13{NNBSP}597"
        assert fmt_decimal(72.5) == "72,5"
        assert fmt_decimal(1.25, 1, sign=True) == "+1,2"
        assert fmt_percent(0.125) == f"12,5{NNBSP}%"
        assert fmt_date(dt.date(2025, 3, 22)) == "22 mars 2025"
        assert fmt_week(dt.date(2025, 3, 3)) == "semaine du 3 mars"
        # The first of the month is written "1er".
        assert fmt_date(dt.date(2022, 11, 1)) == "1er novembre 2022"
        assert fmt_week(dt.date(2025, 9, 1)) == "semaine du 1er septembre"
        assert i18n.quoted("oui") == f"«{NNBSP}oui{NNBSP}»"


def test_numbers_dates_and_percentages_in_english_are_unchanged() -> None:
    with using("en"):
        assert fmt_number(13597) == "13,597"
        assert fmt_decimal(72.5) == "72.5"
        assert fmt_percent(0.125) == "12.5%"
        assert fmt_date(dt.date(2025, 3, 22)) == f"{dt.date(2025, 3, 22):%d %b %Y}"
        assert fmt_week(dt.date(2025, 3, 3)) == "week of 3 Mar"


def test_plurals_context_and_the_current_language() -> None:
    assert i18n.get_lang() == "en"
    with using("fr"):
        assert trn("{n} file(s) imported.", "{n} file(s) imported.", 1) == "1 fichier importé."
        assert trn("{n} file(s) imported.", "{n} file(s) imported.", 1200) == (
            f"1{NNBSP}200 fichiers importés."
        )
        assert trc("field", "created_at") == "Date de publication"
        assert trc("field", "parent_id") == "Réponse à"
        assert tr("How is this computed?") == f"Comment est-ce calculé{NNBSP}?"
    assert trc("field", "created_at") == "created_at"
    assert tr("How is this computed?") == "How is this computed?"


def test_the_language_is_picked_from_link_browser_environment_then_english() -> None:
    assert pick_lang(None, "fr-FR", "en") == "fr"
    assert pick_lang("de", "en-US", "fr") == "en"
    assert pick_lang(None, None, None) == "en"
    assert pick_lang("xx", None, "fr") == "fr"


def test_filters_in_words_agree_in_french() -> None:
    f = Filters(dt.date(2025, 3, 1), dt.date(2025, 3, 22))
    text = f.describe("fr")
    assert text == "1er mars 2025 – 22 mars 2025 · tous les canaux · toutes les campagnes · par semaine"
    assert f.describe("en") == "01 Mar 2025 – 22 Mar 2025 · channels: all · campaigns: all · by week"


def test_what_changed_sentences_in_french() -> None:
    change = {"component_name": "Responsiveness", "before": 0.71, "after": 0.52,
              "reason": "Responsiveness fell from 0.71 to 0.52"}  # fmt: skip
    assert change_reason(change) == change["reason"]
    with using("fr"):
        assert change_reason(change) == f"Réactivité{NNBSP}: en baisse de 0,71 à 0,52"


def test_the_explanation_and_flags_in_french() -> None:
    settings = trust.TrustSettings()
    with using("fr"):
        assert flag_text("partial: S3 (no reply data)") == (
            f"partiel{NNBSP}: S3 (pas de données de réponse)"
        )
        assert flag_text("few polar comments (3.2 < 10)") == (
            "peu de commentaires positifs ou négatifs (3,2 < 10)"
        )
        info = {"low": 58.24, "high": 61.9, "level": 0.8, "dropped": [{"id": "S3"}]}
        assert explain_interval(info, 1000) == (
            f"intervalle à 80{NNBSP}%{NNBSP}: 58,2–61,9 (1{NNBSP}000 tirages de Monte-Carlo)"
        )
        notes = explain_notes(info, prior=settings.prior_strength, half_life=0, min_polar=10,
                              max_width=30, insufficient=True)  # fmt: skip
        assert "Pondération par la récence désactivée." in notes
        assert any(n.startswith("Le poids des composantes écartées") for n in notes)
        assert notes[-1].startswith(f"Données insuffisantes{NNBSP}: moins de 10 ")
        frame = pl.DataFrame({"flags": ["insufficient data; partial: S3 (no reply data)"]})
        assert localise(frame).item() == (
            f"données insuffisantes{NNBSP}; partiel{NNBSP}: S3 (pas de données de réponse)"
        )
        # Import history: the layout names stored in English read in French.
        layouts = pl.DataFrame({"format_label": ["Trustpilot Business reviews export", None]})
        assert localise(layouts).to_series().to_list() == [
            "Export des avis Trustpilot Business", None]


def test_csv_for_a_french_excel() -> None:
    frame = pl.DataFrame({"channel": ["x"], "trust": [72.5], "comment": ["a; b"]})
    with using("fr"):
        shown = localise(frame)
    assert shown.columns == ["canal", "confiance", "commentaire"]
    data = to_csv_bytes(shown, french=True)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines() == ["canal;confiance;commentaire",
                                                     'x;72,5;"a; b"']  # fmt: skip
    assert to_csv_bytes(frame).decode("utf-8-sig").splitlines()[1] == "x,72.5,a; b"


def test_comment_languages_travel_as_comment_lang() -> None:
    view = ConversationView(lang=("fr",))
    params = conversation_params(view)
    assert params == {"comment_lang": ["fr"]}
    assert conversation_from_params(params).lang == ("fr",)
    assert conversation_from_params({"lang": ["fr"]}).lang == ()


# -- pages ---------------------------------------------------------------------------------


@pytest.fixture
def demo_env(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    monkeypatch.delenv("TRUSTDASH_LANG", raising=False)
    return path


def _run(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _shown(at: AppTest) -> list[str]:
    """The interface text of a page: titles, captions, markdown, alerts, metrics, widget
    labels and options, tabs, expanders, table headers (not quoted comments)."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning",
                 "error", "success", "text"):  # fmt: skip
        out += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        out += [m.label, str(m.value)]
    for kind in ("selectbox", "multiselect", "radio", "text_input", "toggle", "checkbox",
                 "date_input", "number_input", "text_area", "button"):  # fmt: skip
        for w in getattr(at, kind):
            out.append(str(w.label))
            if kind in ("selectbox", "multiselect", "radio"):
                out += [str(o) for o in w.options]
            if getattr(w, "help", None):
                out.append(str(w.help))
    out += [str(t.label) for t in at.tabs] + [str(e.label) for e in at.expander]
    for df in at.dataframe:
        out += [str(c) for c in df.value.columns]
    return out


def _english_phrases() -> list[str]:
    """Catalog entries of two words or more whose French differs (a single word such as
    "Date" or "Import" reads the same in both languages)."""
    phrases = []
    for m in _catalog():
        if not m.id or isinstance(m.id, tuple) or m.context:
            continue
        text = re.sub(r"\{[^}]*\}", "\x00", m.id)
        for part in text.split("\x00"):
            part = part.strip(" .:·—()*-")
            if len(part.split()) >= 2 and part not in str(m.string):
                phrases.append(part)
    return phrases


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_french(page: str, demo_env: Path) -> None:
    i18n.misses(clear=True)
    at = _run(page, lang="fr")
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    elements = _shown(at)
    shown = "\n".join(elements)
    english = [p for p in _english_phrases() if p in shown]
    assert not english, english
    # A label, heading or option of one English word (Channels, Alerts, Settings…); the
    # language switches name each language in itself (English, Français).
    words = {m.id for m in _catalog() if isinstance(m.id, str) and not m.context
             and re.fullmatch(r"[A-Z][a-z]+", m.id) and m.string != m.id} - {"English"}  # fmt: skip
    assert not words & {e.strip() for e in elements}, words & set(elements)
    assert not i18n.misses(), f"asked for but not in the catalog: {i18n.misses()}"
    assert at.query_params.get("lang") in ("fr", ["fr"])
    months = "janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc"
    assert not re.search(r"\b\d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}",
                         shown)  # fmt: skip
    if page in ("app.py", "pages/5_Brief.py"):
        assert re.search(rf"\d{{1,2}} ({months})\w* \d{{4}}", shown)


def test_overview_numbers_in_french(demo_env: Path) -> None:
    at = _run("app.py", lang="fr")
    comments = next(m for m in at.metric if m.label == "Commentaires du public")
    assert re.fullmatch(r"\d{1,3}(\u202f\d{3})+", comments.value)
    brand = next(m for m in at.metric if m.label == "Score de confiance de la marque")
    assert brand.delta is None or re.fullmatch(r"[+-]\d+,\d .*", brand.delta)
    assert any("%" in c.value and "," in c.value for c in at.caption)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_in_english(page: str, demo_env: Path) -> None:
    at = _run(page, lang="en")
    assert not at.exception, [e.value for e in at.exception]
    shown = "\n".join(_shown(at))
    for french in ("Paramètres", "Canaux", "Filtres", "Vue d'ensemble"):
        assert french not in shown


def test_the_language_comes_from_the_environment_without_a_link(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTDASH_LANG", "fr")
    at = _run("app.py")
    assert at.title[0].value == "Vue d'ensemble de la confiance"
    monkeypatch.delenv("TRUSTDASH_LANG")
    assert _run("app.py").title[0].value == "Trust overview"


def test_the_sidebar_switch_changes_the_language_and_the_share_link(demo_env: Path) -> None:
    at = _run("app.py")
    assert at.title[0].value == "Trust overview"
    at.segmented_control(key="td_w_lang").set_value("fr").run()
    assert not at.exception
    assert at.title[0].value == "Vue d'ensemble de la confiance"
    assert at.query_params.get("lang") in ("fr", ["fr"])
    links = [c.value for c in at.code if "lang=fr" in c.value]
    assert links, [c.value for c in at.code]


def test_the_mapping_wizard_and_the_import_summary_in_french(
    env_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTDASH_LANG", raising=False)
    data = (
        b"Zeitpunkt;Nachricht;Wer\n"
        b"2026-06-01 10:00;Super produit, merci;ann\n"
        b"2026-06-02 11:00;Livraison en retard, toujours rien;bob\n"
    )
    i18n.misses(clear=True)
    at = _run("pages/6_Import.py", lang="fr")
    assert at.title[0].value == "Importer des exports"
    at.file_uploader(key="upload").set_value([("forum.csv", data, "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    labels = {s.key: s.label for s in at.selectbox if s.key}
    assert labels["map_0_created_at"] == "Date de publication"
    assert labels["map_0_text"] == "Texte"
    assert labels["map_0_author"] == "Auteur"
    assert labels["map_0_parent_id"] == "Réponse à"
    assert "commentaires" in at.selectbox(key="tb_0").options
    assert "— absent de ce fichier —" in at.selectbox(key="map_0_parent_id").options
    # AppTest formats the widgets' values in this thread: in the page's language.
    with using("fr"):
        at.selectbox(key="map_0_created_at").set_value("Zeitpunkt")
        at.selectbox(key="map_0_text").set_value("Nachricht")
        at.text_input(key="ch_0").set_value("forum")
        at.run()
        at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "1 fichier importé." for s in at.success), [s.value for s in at.success]
    headers = [str(c) for df in at.dataframe for c in df.value.columns]
    assert {"fichier", "lues", "importées", "statut"} <= set(headers), headers
    assert not i18n.misses(), i18n.misses()


def test_the_offline_report_in_french(demo_db: Path, tmp_path: Path) -> None:
    shutil.copyfile(demo_db, tmp_path / "demo.duckdb")
    store = Store(tmp_path / "demo.duckdb")
    try:
        lo, hi = store.date_bounds()
        html = report.render_report(store, Filters(start=lo, end=hi), lang="fr")
    finally:
        store.close()
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert f"intervalle à 80{NNBSP}%{NNBSP}:" in body
    assert "tous les canaux · toutes les campagnes" in body
    assert re.search(r"\d{1,2} (janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
                     r"octobre|novembre|décembre) \d{4}", body)  # fmt: skip
    for english in ("Trust Score", "campaigns: all", "Jun 1 2025", "brand"):
        assert english not in body, english
    assert '"locale": "fr"' in html and '"separators":",' in html
    assert '"name":"marque"' in html and '"name":"brand"' not in html  # the trend's legend
    assert i18n.get_lang() == "en"  # the report's language does not leak into the caller's
