"""On-disk cache of the scorer's built tables (lexicon, word sets, boosters, patterns).

Building the tables reads five package lexicons (two XML files among them) and takes longer
than a short ``score`` run itself. They are built once, written as Arrow IPC files in a
folder named after a key, and memory-mapped by every later process. The key covers the
scorer version, the polars version, the contents of the sentiment modules and the size and
modification time of every package data file the tables are read from: upgrading a package
or editing a table gives a new folder, never a stale table.

The folder is ``$TRUSTDASH_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/trustdash`` or
``~/.cache/trustdash``. When it cannot be written the tables are built in memory, as before.

Folders of other keys (an older version, an edited table) are removed once they have gone
unused for ``STALE_AFTER_S``: each process that reads a folder stamps its manifest (at most
once per ``STAMP_EVERY_S``), so a version still in use elsewhere keeps its folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

CACHE_ENV = "TRUSTDASH_CACHE_DIR"
_SOURCES = ("engine.py", "lang.py", "lexicons.py", "tables.py", "learned.py", "tablecache.py")
# Package data files the tables are built from (package, path inside it).
_DATA_FILES = (
    ("vaderSentiment", "vader_lexicon.txt"),
    ("vaderSentiment", "emoji_utf8_lexicon.txt"),
    ("vaderSentiment", "vaderSentiment.py"),
    ("textblob", "en/en-sentiment.xml"),
    ("textblob_fr", "fr-sentiment.xml"),
    ("vaderSentiment_fr", "fr_lexicon.txt"),
    ("emosent", "data/Emoji_Sentiment_Data_v1.0.csv"),
)

log = logging.getLogger(__name__)

FOLDER_PREFIX = "sentiment-"
# Our folders: "sentiment-<key>", and "sentiment-<key>.<suffix>" while one is being written
# (tempfile.mkdtemp's suffix) or removed.
_FOLDER_RE = re.compile(r"sentiment-[0-9a-f]{20}")
_PARTIAL_RE = re.compile(r"sentiment-[0-9a-f]{20}\.[A-Za-z0-9_]+")
# A folder of another key unused this long is removed; a partial folder (a write or a removal
# that never finished: each takes under a second) this long.
STALE_AFTER_S = 24 * 3600.0
PARTIAL_STALE_AFTER_S = 3600.0
# A process reading the cache stamps its manifest at most this often.
STAMP_EVERY_S = 3600.0


def cache_root() -> Path:
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache") / "trustdash"


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cache_key(scorer_version: str) -> str:
    h = hashlib.sha1(f"{scorer_version}\x1f{pl.__version__}".encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        path = here / name
        h.update(name.encode())
        if path.exists():
            h.update(path.read_bytes())
    data = here / "data"
    if data.is_dir():
        for path in sorted(data.iterdir()):
            st = path.stat()
            h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for package, rel in _DATA_FILES:
        root = _package_dir(package)
        path = None if root is None else root / rel
        if path is not None and path.exists():
            st = path.stat()
            h.update(f"{package}/{rel}:{st.st_size}:{st.st_mtime_ns}".encode())
        else:
            h.update(f"{package}/{rel}:missing".encode())
    return h.hexdigest()[:20]


def load_or_build(
    scorer_version: str, build: Callable[[], dict[str, pl.DataFrame]]
) -> dict[str, pl.DataFrame]:
    """The tables from the cache folder of this key, else built by ``build`` and written
    there (best effort: a read-only or full disk only costs the write)."""
    try:
        folder = cache_root() / f"sentiment-{cache_key(scorer_version)}"
    except OSError:
        return build()
    manifest = folder / "tables.txt"
    if manifest.is_file():
        try:
            names = manifest.read_text(encoding="utf-8").split()
            tables = {n: pl.read_ipc(folder / f"{n}.arrow") for n in names}
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
            log.warning("sentiment table cache %s unreadable: rebuilding", folder, exc_info=True)
        else:
            if _stamp(manifest):
                remove_stale(folder)
            return tables
    tables = build()
    try:
        _write(folder, tables)
    except OSError as exc:
        log.debug("sentiment table cache not written (%s)", exc)
    else:
        remove_stale(folder)
    return tables


def _stamp(manifest: Path) -> bool:
    """Marks the folder as in use (the manifest's modification time) when its last stamp is
    older than STAMP_EVERY_S; True when it did (the moment to look for stale folders too)."""
    try:
        if time.time() - manifest.stat().st_mtime < STAMP_EVERY_S:
            return False
        os.utime(manifest)
    except OSError:  # a read-only cache: nothing is stamped, nothing removed
        return False
    return True


def _last_used(path: Path) -> float:
    """When the folder was last stamped (its manifest), else last changed."""
    for p in (path / "tables.txt", path):
        try:
            return p.stat().st_mtime
        except OSError:
            continue
    return time.time()


def remove_stale(current: Path, now: float | None = None) -> list[str]:
    """Removes the folders of other keys beside ``current`` unused for STALE_AFTER_S, and
    partial folders older than PARTIAL_STALE_AFTER_S; returns the names removed.

    Only names of our own pattern are touched, never ``current`` nor a symbolic link. Each
    folder is first renamed to a name of its own, so a reader sees a whole folder or none, and
    two processes sweeping at once never remove the same folder twice. Every failure (another
    process was first, a read-only folder) is skipped."""
    now = time.time() if now is None else now
    removed: list[str] = []
    try:
        entries = list(os.scandir(current.parent))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if name == current.name:
            continue
        if _FOLDER_RE.fullmatch(name):
            limit = STALE_AFTER_S
        elif _PARTIAL_RE.fullmatch(name):
            limit = PARTIAL_STALE_AFTER_S
        else:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            path = Path(entry.path)
            if now - _last_used(path) < limit:
                continue
            doomed = Path(tempfile.mkdtemp(prefix=name.split(".")[0] + ".", dir=current.parent))
            try:
                os.replace(path, doomed)  # an empty folder is replaced atomically
            except OSError:
                doomed.rmdir()
                continue
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(name)
        except OSError as exc:
            log.debug("stale sentiment table cache %s not removed (%s)", name, exc)
    return removed


def _write(folder: Path, tables: dict[str, pl.DataFrame]) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Written into a fresh folder that is renamed into place: a reader never sees half a
    # cache, and two processes building at once both succeed (the second rename loses).
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        for name, df in tables.items():
            df.write_ipc(tmp / f"{name}.arrow", compression="uncompressed")
        (tmp / "tables.txt").write_text("\n".join(tables), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        for p in tmp.iterdir():
            p.unlink(missing_ok=True)
        tmp.rmdir()
        if not (folder / "tables.txt").is_file():
            raise
