"""Uploads and downloads never outlive access: what the app does inside Streamlit's server.

Streamlit keeps, in the server process's memory:

- **uploaded files**, per session, until the uploader drops them or the session shuts down.
  Its upload endpoint (``PUT /_stcore/upload_file/<session>/<file>``) stores a file for any
  live session, signed in or not, up to ``server.maxUploadSize``; a session whose tab
  closed is kept for reconnection (``server.disconnectedSessionTTL``, 120 s) and its files
  are not freed when that expires.
- **media files** (``/media/<id>``: download buttons with bytes, images), served to anyone
  holding the URL while any session references them, and deleted only when a later script
  run of any session collects them (an idle server keeps them).

What this module adds (the page guard installs it once per process):

- ``allow_uploads``: the guard records, on every run, whether the session's visitor may
  upload (an editor, signed in or in local open use). The upload endpoint then refuses
  (403) a file for any other session before storing it: a visitor who never signs in, a
  viewer, a session the guard never ran for.
- ``sweep`` every ``SWEEP_SECONDS``: drops the uploaded files of sessions that are gone,
  disconnected or not allowed; forgets the media references of sessions that are no
  longer connected; collects orphaned media files. The downloads are deferred (built on
  click through the session's websocket), so a generated ``/media`` link is unreferenced
  from the start and dies within two sweeps.
- ``forget_session``: sign-out drops the session's uploads and media references at once.

What it cannot do: the endpoint reads a request body (up to ``server.maxUploadSize``)
before the app sees it; rate and body limits, and refusing anonymous requests outright,
belong to the reverse proxy (``docs/deploy.md``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.exceptions import HTTPException
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10.0

_ALLOWED: dict[str, bool] = {}
_LOCK = threading.Lock()
_GUARD_MARK = "_trustdash_guarded"
_THREADS: dict[int, threading.Thread] = {}


class RuntimeLike(Protocol):
    """The parts of ``streamlit.runtime.Runtime`` the sweeper uses."""

    @property
    def uploaded_file_mgr(self) -> Any: ...

    @property
    def media_file_mgr(self) -> Any: ...

    def is_active_session(self, session_id: str) -> bool: ...


def allow_uploads(session_id: str, allowed: bool) -> None:
    """Record whether this session's visitor may upload files (called by the page guard)."""
    with _LOCK:
        _ALLOWED[session_id] = allowed


def uploads_allowed(session_id: str) -> bool:
    with _LOCK:
        return _ALLOWED.get(session_id, False)


def guard_uploads(runtime: RuntimeLike) -> bool:
    """Make the upload endpoint refuse files of sessions not allowed to upload.

    Returns False when the runtime's upload manager is not Streamlit's in-memory one
    (nothing to guard, e.g. under ``AppTest``)."""
    mgr = runtime.uploaded_file_mgr
    if not isinstance(mgr, MemoryUploadedFileManager):
        return False
    if getattr(mgr, _GUARD_MARK, False):
        return True
    original: Callable[..., None] = mgr.add_file

    def add_file(session_id: str, file: UploadedFileRec) -> None:
        if not uploads_allowed(session_id):
            log.log(logging.WARNING, "upload refused for session %s (not an editor)", session_id)
            raise HTTPException(status_code=403, detail="Uploads need a signed-in editor.")
        original(session_id=session_id, file=file)

    mgr.add_file = add_file  # the endpoint looks the method up on each request
    setattr(mgr, _GUARD_MARK, True)
    return True


def _media_sessions(media: Any) -> list[str]:
    return list(getattr(media, "_files_by_session_and_coord", {}).keys())


def sweep(runtime: RuntimeLike) -> dict[str, int]:
    """One pass; returns how many sessions lost their uploads and media references."""
    uploads = runtime.uploaded_file_mgr
    purged = 0
    if isinstance(uploads, MemoryUploadedFileManager):
        for session_id in list(uploads.file_storage):
            if not (runtime.is_active_session(session_id) and uploads_allowed(session_id)):
                uploads.remove_session_files(session_id)
                purged += 1
    media = runtime.media_file_mgr
    forgotten = 0
    for session_id in _media_sessions(media):
        if not runtime.is_active_session(session_id):
            media.clear_session_refs(session_id)
            forgotten += 1
    media.remove_orphaned_files()
    with _LOCK:
        for session_id in [s for s in _ALLOWED if not runtime.is_active_session(s)]:
            del _ALLOWED[session_id]
    return {"uploads_purged": purged, "media_forgotten": forgotten}


def forget_session(runtime: RuntimeLike, session_id: str) -> None:
    """Sign-out: the session may no longer upload; its uploads and downloads go now."""
    allow_uploads(session_id, False)
    uploads = runtime.uploaded_file_mgr
    if isinstance(uploads, MemoryUploadedFileManager):
        uploads.remove_session_files(session_id)
    runtime.media_file_mgr.clear_session_refs(session_id)
    runtime.media_file_mgr.remove_orphaned_files()


def start(runtime: RuntimeLike, interval: float = SWEEP_SECONDS) -> threading.Thread | None:
    """Guard the upload endpoint and start the sweeper thread (once per runtime)."""
    if not guard_uploads(runtime):
        return None
    with _LOCK:
        running = _THREADS.get(id(runtime))
        if running is not None and running.is_alive():
            return running

    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                sweep(runtime)
            except Exception:  # the sweeper must outlive any one bad pass
                log.exception("upload and media sweep failed")

    thread = threading.Thread(target=loop, name="trustdash-sweeper", daemon=True)
    with _LOCK:
        _THREADS[id(runtime)] = thread
    thread.start()
    return thread
