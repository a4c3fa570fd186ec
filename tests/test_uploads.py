"""Uploads and downloads never outlive access: the upload endpoint guard and the sweeper,
run against Streamlit's real upload and media managers (the runtime around them is faked:
only which sessions are connected matters)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit.runtime.media_file_manager as mfm
from conftest import ROOT, comments_csv, make_rows
from starlette.exceptions import HTTPException
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec
from streamlit.testing.v1 import AppTest

from trustdash.ingest import import_files
from trustdash.store import Store
from trustdash.ui import sweeper

MB = b"x" * 1_000_000


class FakeRuntime:
    def __init__(self) -> None:
        self.uploaded_file_mgr = MemoryUploadedFileManager("/_stcore/upload_file")
        self.storage = MemoryMediaFileStorage("/media")
        self.media_file_mgr = MediaFileManager(self.storage)
        self.active: set[str] = set()

    def is_active_session(self, session_id: str) -> bool:
        return session_id in self.active


@pytest.fixture
def rt() -> Iterator[FakeRuntime]:
    sweeper._ALLOWED.clear()
    yield FakeRuntime()
    sweeper._ALLOWED.clear()


def _put(rt: FakeRuntime, session: str, file_id: str = "f1") -> None:
    """What the upload endpoint does once it has read the body."""
    rt.uploaded_file_mgr.add_file(
        session_id=session, file=UploadedFileRec(file_id, "big.csv", "text/csv", MB)
    )


def _held(rt: FakeRuntime) -> int:
    return sum(len(f.data) for s in rt.uploaded_file_mgr.file_storage.values() for f in s.values())


def test_endpoint_refuses_sessions_that_may_not_upload(rt: FakeRuntime) -> None:
    assert sweeper.guard_uploads(rt)
    assert sweeper.guard_uploads(rt)  # idempotent: one wrapper
    rt.active |= {"anon", "viewer", "editor"}
    sweeper.allow_uploads("viewer", False)
    sweeper.allow_uploads("editor", True)
    for session in ("anon", "viewer", "unknown"):  # never signed in, read-only, made up
        with pytest.raises(HTTPException) as exc:
            _put(rt, session)
        assert exc.value.status_code == 403
    assert _held(rt) == 0
    _put(rt, "editor")
    assert _held(rt) == len(MB)


def test_sweep_purges_uploads_of_gone_and_demoted_sessions(rt: FakeRuntime) -> None:
    rt.active |= {"a", "b", "c"}
    for s in ("a", "b", "c"):
        sweeper.allow_uploads(s, True)
        _put(rt, s)
    rt.active.discard("a")  # tab closed (disconnected, or shut down)
    sweeper.allow_uploads("b", False)  # signed out / removed from the editors
    out = sweeper.sweep(rt)
    assert out["uploads_purged"] == 2
    assert set(rt.uploaded_file_mgr.file_storage) == {"c"}
    assert _held(rt) == len(MB)
    assert not sweeper.uploads_allowed("a")  # a gone session is forgotten


def _as_session(monkeypatch: pytest.MonkeyPatch, session: str) -> None:
    monkeypatch.setattr(mfm, "_get_session_id", lambda: session)


def _file_id(url: str) -> str:
    return url.rsplit("/", 1)[-1].split(".")[0]


def _served(rt: FakeRuntime, url: str) -> bool:
    try:
        rt.storage.get_file(_file_id(url))
        return True
    except MediaFileStorageError:
        return False


def test_downloads_die_with_the_session(rt: FakeRuntime, monkeypatch: pytest.MonkeyPatch) -> None:
    rt.active |= {"s1", "s2"}
    _as_session(monkeypatch, "s1")
    static = rt.media_file_mgr.add(b"every comment", "text/csv", "c1", "x.csv", True)
    deferred = rt.media_file_mgr.add_deferred(lambda: b"every author", "text/csv", "c2", "y.csv")
    _as_session(monkeypatch, "s2")
    other = rt.media_file_mgr.add(b"still shown", "text/csv", "c1", "z.csv", True)
    # A click while the session lives builds the file and returns a one-off link.
    generated = rt.media_file_mgr.execute_deferred(deferred)
    assert _served(rt, static) and _served(rt, generated)

    rt.active.discard("s1")  # the tab is closed; the server is idle afterwards
    sweeper.sweep(rt)
    sweeper.sweep(rt)
    assert not _served(rt, static)
    assert not _served(rt, generated)
    with pytest.raises(MediaFileStorageError):
        rt.media_file_mgr.execute_deferred(deferred)  # no new file from the dead session
    assert _served(rt, other)  # a live session keeps its downloads


def test_generated_links_expire_even_for_live_sessions(
    rt: FakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt.active.add("s1")
    _as_session(monkeypatch, "s1")
    deferred = rt.media_file_mgr.add_deferred(lambda: b"rows", "text/csv", "c", "r.csv")
    generated = rt.media_file_mgr.execute_deferred(deferred)
    sweeper.sweep(rt)
    assert _served(rt, generated)  # the browser fetches it right after the click
    sweeper.sweep(rt)
    assert not _served(rt, generated)  # two sweeps later (≤ 2 × SWEEP_SECONDS) it is gone
    assert _served(rt, rt.media_file_mgr.execute_deferred(deferred))  # a new click works


def test_sign_out_drops_uploads_and_downloads_at_once(
    rt: FakeRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sweeper.guard_uploads(rt)
    rt.active.add("s1")
    sweeper.allow_uploads("s1", True)
    _put(rt, "s1")
    _as_session(monkeypatch, "s1")
    deferred = rt.media_file_mgr.add_deferred(lambda: b"rows", "text/csv", "c", "r.csv")
    sweeper.forget_session(rt, "s1")
    assert _held(rt) == 0
    with pytest.raises(MediaFileStorageError):
        rt.media_file_mgr.execute_deferred(deferred)
    with pytest.raises(HTTPException):
        _put(rt, "s1", "f2")  # the signed-out session may not upload again


def test_start_runs_the_sweeper(rt: FakeRuntime) -> None:
    rt.active.add("s1")
    sweeper.allow_uploads("s1", True)
    assert sweeper.start(rt, interval=0.05) is not None
    _put(rt, "s1")
    rt.active.clear()
    for _ in range(100):
        if not rt.uploaded_file_mgr.file_storage:
            break
        time.sleep(0.05)
    assert _held(rt) == 0


@pytest.mark.parametrize("page", ["app.py", "pages/7_Import_history.py", "pages/5_Brief.py"])
def test_pages_register_no_download_file_until_clicked(env_db: Path, page: str) -> None:
    s = Store(env_db)
    assert import_files(s, [("c.csv", comments_csv(make_rows(120, reply_every=3)))])[0].ok
    s.close()
    at = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = at.get("download_button")
    assert buttons, "no download on the page"
    for b in buttons:
        assert b.proto.deferred_file_id and not b.proto.url, b.proto.label


def test_start_is_idempotent(rt: FakeRuntime) -> None:
    first = sweeper.start(rt, interval=0.05)
    assert first is not None and sweeper.start(rt, interval=0.05) is first
