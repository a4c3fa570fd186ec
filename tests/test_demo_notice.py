"""The demo notice: told once, to one session, and only when the demo was really loaded
into an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, comments_csv, make_rows
from streamlit.testing.v1 import AppTest

from trustdash import workspace
from trustdash.ingest import import_files
from trustdash.store import Store

NOTICE = "the demo workspace (a fictional brand) was loaded"


@pytest.fixture
def fake_demo(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A small stand-in for the demo import (the real one takes a minute)."""
    loads: list[str] = []

    def load_demo(store: Store, progress: object = None) -> list:
        loads.append(store.target)
        import_files(store, [("demo.csv", comments_csv(make_rows(30)))])
        store.set_setting("demo_loaded", True)
        return []

    monkeypatch.setattr(workspace, "load_demo", load_demo)
    return loads


def _db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.delenv("TRUSTDASH_NO_DEMO", raising=False)
    return path


def _told(at: AppTest) -> bool:
    assert not at.exception, [e.value for e in at.exception]
    return any(NOTICE in i.value.replace("\\", "") for i in at.info)


def _session() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def test_demo_notice_once_after_loading_into_an_empty_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_demo: list[str]
) -> None:
    _db(tmp_path, monkeypatch)
    first = _session()
    assert fake_demo and _told(first)
    assert not _told(first.run())  # a rerun of the same session
    assert not _told(_session())  # the next visitors
    assert not _told(_session())
    assert len(fake_demo) == 1


def test_no_demo_notice_when_the_store_has_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_demo: list[str]
) -> None:
    db = _db(tmp_path, monkeypatch)
    s = Store(db)
    assert import_files(s, [("own.csv", comments_csv(make_rows(20)))])[0].ok
    s.close()
    assert not _told(_session())
    assert fake_demo == []


def test_no_demo_notice_when_the_demo_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_demo: list[str]
) -> None:
    _db(tmp_path, monkeypatch)
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    assert not _told(_session())
    assert fake_demo == []
