"""Messages of the lower layers (readers, formats, parsing, ingest, store, inbox) in the
reader's language: a bad file imported in French gets a French message that names it, the
same file in English keeps the English text, messages written by the ingest's reader thread
follow the caller's language, the Import page shows them in French, and CLI imports handed
to the app stay in the CLI's language."""

from __future__ import annotations

import ast
import json
import threading
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from trustdash import analysis, cli, formats, i18n, inbox
from trustdash.i18n import NNBSP, tr, using
from trustdash.i18n.terms import localise
from trustdash.ingest import FileResult, import_files, prefetch
from trustdash.store import Store

MISSING_DATE = b"comment_id,message,author\nc1,Super produit,ann\nc2,Toujours rien,bob\n"
BAD_DATES = b"comment_id,created_at,text\nc1,not a date,hello\nc2,garbage,hi there\n"
# every date fits both day/month orders; one row has a date that is no date
AMBIGUOUS = (
    b"comment_id,created_at,text\n"
    b"c1,01/02/2026 10:00,great product\n"
    b"c2,03/04/2026 11:00,still waiting\n"
    b"c3,05/06/2026 12:00,thanks a lot\n"
    b"c4,yesterday-ish,no idea when\n"
)


def _one(store: Store, name: str, data: bytes, lang: str) -> FileResult:
    with using(lang):
        return import_files(store, [(name, data)])[0]


# -- a bad file, in French and in English ------------------------------------------------


def test_an_empty_file_in_french_and_in_english(store: Store) -> None:
    fr = _one(store, "vide.csv", b"", "fr")
    assert fr.errors == [f"vide.csv{NNBSP}: le fichier est vide."]
    assert "the file is empty" not in fr.errors[0]
    en = _one(store, "vide.csv", b"", "en")
    assert en.errors == ["vide.csv: the file is empty."]
    with using("fr"):
        assert fr.summary() == "échec, rien n’a été enregistré"
    assert en.summary() == "failed, nothing stored"


def test_a_missing_required_column_in_french_and_in_english(store: Store) -> None:
    fr = _one(store, "forum.csv", MISSING_DATE, "fr")
    assert not fr.ok
    text = fr.errors[0]
    assert text.startswith(f"forum.csv{NNBSP}: aucune colonne ne ressemble à une date"), text
    assert "Colonnes trouvées" in text and "comment_id, message, author" in text
    assert "no column looks like" not in text and "Columns seen" not in text
    en = _one(store, "forum.csv", MISSING_DATE, "en")
    assert en.errors[0] == (
        "forum.csv: no column looks like a date; map it (--map created_at=COLUMN). "
        "Columns seen: comment_id, message, author"
    )


def test_unparseable_dates_in_french_and_in_english(store: Store) -> None:
    """The rejection reasons are written while the reader thread maps the rows."""
    fr = _one(store, "dates.csv", BAD_DATES, "fr")
    text = fr.errors[0]
    assert text.startswith(
        f"dates.csv{NNBSP}: toutes les lignes ont été rejetées, rien n’a été enregistré ("
    ), text
    assert (
        f"ligne 1{NNBSP}: Date de publication{NNBSP}: «{NNBSP}not a date{NNBSP}» n’est pas une date"
        in text
    )
    assert "Vérifiez la disposition du fichier" in text
    for english in ("every row was rejected", "is not a date", "row 1", "created_at"):
        assert english not in text, english
    en = _one(store, "dates.csv", BAD_DATES, "en")
    assert en.errors[0] == (
        "dates.csv: every row was rejected, nothing was stored (row 1: created_at: 'not a "
        "date' is not a date; row 2: created_at: 'garbage' is not a date). Check the layout "
        "or map the columns."
    )


def test_warnings_and_rejection_reasons_of_the_reader_thread_follow_the_caller(
    store: Store,
) -> None:
    fr = _one(store, "ambigu.csv", AMBIGUOUS, "fr")
    assert fr.ok and fr.rejected == 1, fr
    notes = "\n".join(fr.warnings)
    assert "chaque date se lit dans les deux ordres jour/mois" in notes, notes
    assert f"lignes rejetées{NNBSP}: 1" in notes, notes
    assert "every date fits" not in notes and "rejected" not in notes
    reasons = store.rejected_rows(int(fr.import_id))["reason"].to_list()
    assert reasons == [
        f"Date de publication{NNBSP}: «{NNBSP}yesterday-ish{NNBSP}» n’est pas une date"
    ]
    with using("fr"):
        assert fr.summary() == (
            f"lues{NNBSP}: 4, importées{NNBSP}: 3, doublons{NNBSP}: 0, rejetées{NNBSP}: 1"
        )
    store.delete_import(int(fr.import_id))
    en = _one(store, "ambigu.csv", AMBIGUOUS, "en")
    assert any(
        w.startswith("`created_at`: every date fits both day/month orders") for w in en.warnings
    )
    assert "1 row(s) rejected; see the import history for the reasons." in en.warnings
    reasons = store.rejected_rows(int(en.import_id))["reason"].to_list()
    assert reasons == ["created_at: 'yesterday-ish' is not a date"]
    assert en.summary() == "4 read, 3 imported, 0 duplicate(s), 1 rejected"


def test_the_prefetch_worker_runs_in_the_callers_language() -> None:
    threads: list[str] = []

    def messages():
        for n in range(3):
            threads.append(threading.current_thread().name)
            yield tr("{file}: the file is empty.", file=f"f{n}.csv")

    with using("fr"):
        got = list(prefetch(messages()))
    assert set(threads) == {"trustdash-import-reader"}
    assert got == [f"f{n}.csv{NNBSP}: le fichier est vide." for n in range(3)]
    assert list(prefetch(messages()))[0] == "f0.csv: the file is empty."


def test_store_errors_in_french(store: Store) -> None:
    with using("fr"), pytest.raises(Exception) as err:
        store.table_frame("nope")
    assert str(err.value).startswith(f"Table inconnue{NNBSP}: 'nope'"), err.value


# -- CLI imports handed to the app keep the CLI's language ------------------------------------


def _job(target: str, name: str, lang: str | None) -> Path:
    box = inbox.inbox_dir(target)
    job = box / f"{name}.job"
    job.mkdir(parents=True)
    (job / "0000").write_bytes(b"")
    spec: dict = {"files": [{"name": "empty.csv", "file": "0000"}], "options": {}}
    if lang:
        spec["lang"] = lang
    (job / "job.json").write_text(json.dumps(spec))
    return box / f"{name}.result.json"


def test_inbox_jobs_answer_in_the_language_of_the_command(tmp_path: Path) -> None:
    target = str(tmp_path / "app.duckdb")
    store = Store(target)
    try:
        cli = _job(target, "a", None)  # a CLI import (no language: English)
        with using("fr"):  # whatever the app's thread speaks
            assert inbox.process_pending(store, target) == 1
        assert json.loads(cli.read_text())[0]["errors"] == ["empty.csv: the file is empty."]
        french = _job(target, "b", "fr")
        inbox.process_pending(store, target)
        assert json.loads(french.read_text())[0]["errors"] == [
            f"empty.csv{NNBSP}: le fichier est vide."
        ]
    finally:
        store.close()


# -- the Import page ------------------------------------------------------------------------


def test_the_import_page_shows_a_bad_files_message_in_french(
    env_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTDASH_LANG", raising=False)
    i18n.misses(clear=True)
    at = AppTest.from_file(str(ROOT / "pages" / "6_Import.py"), default_timeout=120)
    at.query_params["lang"] = "fr"
    at.run()
    with using("fr"):
        at.file_uploader(key="upload").set_value([("dates.csv", BAD_DATES, "text/csv")]).run()
        assert not at.exception, [e.value for e in at.exception]
        at.button(key="do_import").click().run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value.replace("\\", "") for e in at.error]  # the page escapes Markdown
    assert any(e.startswith(f"dates.csv{NNBSP}: toutes les lignes ont été rejetées")
               and "n’est pas une date" in e for e in errors), errors  # fmt: skip
    notes = [str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()]
    assert any("toutes les lignes ont été rejetées" in n for n in notes), notes
    shown = "\n".join(errors + notes + [m.value for m in at.markdown])
    for english in ("every row was rejected", "is not a date", "failed, nothing stored"):
        assert english not in shown, english
    assert not i18n.misses(), i18n.misses()


# -- every message of the lower layers goes through the catalog ----------------------------

LOWER = ["trustdash/readers.py", "trustdash/parsing.py", "trustdash/ingest.py",
         "trustdash/inbox.py", "trustdash/formats", "trustdash/store"]  # fmt: skip
_RAISED = {"BadFile", "ArchiveTooLarge", "StoreError", "StoreBusy", "LakeError"}


def _lower_files() -> list[Path]:
    out = []
    for source in LOWER:
        path = ROOT / source
        out += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return out


def test_no_message_of_the_lower_layers_is_left_unwrapped() -> None:
    """A user-facing exception or a warning of an import gets a tr() message, never a bare
    literal or f-string (which would stay English in French)."""
    bad = []
    for path in _lower_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
            raised = name in _RAISED
            warned = name == "append" and owner.endswith("warnings")
            if not (raised or warned):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr) or (
                isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(arg)[:60]}")
    assert not bad, bad


def test_every_layout_name_has_a_french_name() -> None:
    """Layout names are stored in English with the import and shown translated."""
    for fmt in formats.FORMATS:
        assert i18n.known(fmt.label), fmt.label
    with using("fr"):
        assert tr("TikTok Studio Overview export") == "Export de la vue d’ensemble TikTok Studio"


def test_why_a_score_is_not_shown_in_french() -> None:
    few = {"trust": 52.0, "n": 40, "insufficient": True,
           "flags": ["few polar comments (3.2 < 10)"]}  # fmt: skip
    wide = {"trust": 52.0, "n": 40, "insufficient": True,
            "flags": ["wide interval (31.5 > 30 points)"]}  # fmt: skip
    posts_only = {"trust": None, "n": 0, "flags": [analysis.NEEDS_COMMENTS]}
    with using("fr"):
        assert analysis.insufficient_text(few) == (
            "peu de commentaires positifs ou négatifs (3,2 < 10)"
        )
        assert analysis.insufficient_text(wide) == "intervalle large (31,5 > 30 points)"
        assert analysis.insufficient_text(posts_only) == tr(analysis.NEEDS_COMMENTS)
        assert analysis.insufficient_text(posts_only) != analysis.NEEDS_COMMENTS
        assert analysis.insufficient_text(None) == tr("no data in this selection")
    assert analysis.insufficient_text(few) == "few polar comments (3.2 < 10)"


def test_the_cli_import_stays_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI has no --lang for imports: its messages and JSON stay English, whatever
    TRUSTDASH_LANG says to the app."""
    monkeypatch.setenv("TRUSTDASH_LANG", "fr")
    bad = tmp_path / "dates.csv"
    bad.write_bytes(BAD_DATES)
    code = cli.main(["import", "--db", str(tmp_path / "cli.duckdb"), "--json", str(bad)])
    assert code == 1
    files = json.loads(capsys.readouterr().out)["files"]
    assert files[0]["errors"][0].startswith("dates.csv: every row was rejected")
    assert {"path", "errors", "warnings", "rows_read"} <= set(files[0])


def test_the_import_results_status_in_french() -> None:
    frame = pl.DataFrame({"status": ["ok", "nothing new", "failed"]})
    with using("fr"):
        shown = localise(frame)
    assert shown.columns == ["statut"]
    assert shown.to_series().to_list() == ["ok", "rien de nouveau", "échec"]


def test_import_progress_in_french(store: Store) -> None:
    texts: list[str] = []
    data = b"comment_id,created_at,text\nc1,2026-06-01 10:00,great product\n"
    with using("fr"):
        res = import_files(store, [("un.csv", data)], progress=lambda _f, t: texts.append(t))[0]
        assert res.summary() == (
            f"lues{NNBSP}: 1, importées{NNBSP}: 1, doublons{NNBSP}: 0, rejetées{NNBSP}: 0"
        )
    assert texts[0] == "Lecture de un.csv…" and texts[-1] == "Terminé", texts
    assert f"un.csv{NNBSP}: 1 ligne lue{NNBSP}; enregistrement" in "\n".join(texts), texts
    assert not any("rows read" in t for t in texts), texts


def test_the_import_page_previews_an_empty_file_in_french(
    env_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRUSTDASH_LANG", raising=False)
    at = AppTest.from_file(str(ROOT / "pages" / "6_Import.py"), default_timeout=120)
    at.query_params["lang"] = "fr"
    at.run()
    at.file_uploader(key="upload").set_value([("vide.csv", b"", "text/csv")]).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value.replace("\\", "") for e in [*at.error, *at.warning]]
    assert f"vide.csv{NNBSP}: le fichier est vide." in shown, shown
    assert not any("the file is empty" in s for s in shown), shown
