"""Import correctness on files in the layouts of real exports: footer lines, day/month
order, counts per file row, damaged ids, year-less dates, star ratings, header variants.

Every fixture is written here (or under ``tests/fixtures/exports``) in the layout of a
real export; the expected stored values are computed by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from polars.exceptions import PanicException

import trustdash.formats as formats_pkg
from tests.conftest import ROOT, comments_csv, make_rows
from trustdash import inbox
from trustdash.formats import base
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

HOSTILE = ROOT / "tests" / "hostile" / "files" / "odd"


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustdash", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path):
    s = Store(tmp_path / "r.duckdb")
    yield s
    s.close()


# ---------------------------------------------------------------------------
# no uncaught error escapes an import


def test_footer_lines_after_a_long_field_import_the_rows(db: Store) -> None:
    # 1,000 rows, a "Total" line with a 40 KB field, two "Exported …" lines: the
    # rejection reasons of the two footer lines used to panic inside polars.
    path = HOSTILE / "footer_lines.csv"
    (res,) = import_files(db, [(path.name, path)], ImportOptions(score_sentiment=False))
    assert res.ok, res.errors
    assert (res.rows_imported, res.rejected) == (1000, 2)
    reasons = db.rejected_rows(res.import_id)["reason"].to_list()
    assert reasons == [
        "created_at: 'Exported 2026-07-01 by ListeningTool' is not a date",
        "created_at: 'Exported by someone' is not a date",
    ]


def _panic(*_args: object, **_kwargs: object) -> None:
    raise PanicException("assertion failed: i < self.len()")


def test_a_panic_while_mapping_is_that_files_message(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = base._map_rows

    def flaky(batch, plan):  # noqa: ANN001, ANN202
        if plan.ctx.name == "boom.csv":
            _panic()
        return original(batch, plan)

    monkeypatch.setattr(base, "_map_rows", flaky)
    files = [
        ("boom.csv", comments_csv(make_rows(5, prefix="b"))),
        ("good.csv", comments_csv(make_rows(7))),
    ]
    boom, good = import_files(db, files, ImportOptions(score_sentiment=False))
    assert not boom.ok and "boom.csv" in boom.errors[0] and "PanicException" in boom.errors[0]
    assert boom.import_id is None and boom.rows_imported == 0
    assert good.ok and good.rows_imported == 7
    assert db.table_counts()["comments"] == 7 and db.table_counts()["imports"] == 1


def test_a_panic_while_reading_is_that_files_message(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = formats_pkg.read_csv

    def flaky(blob, name, *args):  # noqa: ANN001, ANN202
        if name == "boom.csv":
            _panic()
        return original(blob, name, *args)

    monkeypatch.setattr(formats_pkg, "read_csv", flaky)
    files = [("boom.csv", comments_csv(make_rows(3))), ("good.csv", comments_csv(make_rows(4)))]
    boom, good = import_files(db, files, ImportOptions(score_sentiment=False))
    assert not boom.ok and boom.errors[0].startswith("boom.csv")
    assert good.ok and good.rows_imported == 4


def test_inbox_answers_a_panicking_job_and_the_watcher_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = str(tmp_path / "i.duckdb")
    store = Store(target)
    try:
        monkeypatch.setattr(inbox, "import_files", _panic)
        src = tmp_path / "f.csv"
        src.write_bytes(comments_csv(make_rows(2)))
        box = inbox.inbox_dir(target)
        job = box / "j1.job"
        job.mkdir(parents=True)
        (job / "0000").write_bytes(src.read_bytes())
        (job / "job.json").write_text(
            json.dumps({"files": [{"name": "f.csv", "file": "0000"}], "options": {}})
        )
        assert inbox.process_pending(store, target) == 1
        answer = json.loads((box / "j1.result.json").read_text())
        assert "import failed in the app" in answer[0]["errors"][0]
    finally:
        store.close()


def test_cli_footer_file_json_has_no_traceback(tmp_path: Path) -> None:
    path = HOSTILE / "footer_lines.csv"
    proc = cli("import", str(path), "--db", str(tmp_path / "c.duckdb"), "--json", "--no-sentiment")
    assert proc.returncode == 0, proc.stderr
    assert "panicked" not in proc.stderr and "Traceback" not in proc.stderr
    (entry,) = json.loads(proc.stdout)["files"]
    assert entry["rows_imported"] == 1000 and entry["rejected"] == 2
