"""On-disk cache of the scorer's built tables (lexicon, word sets, boosters, patterns).

Building the tables reads five package lexicons (two XML files among them) and takes longer
than a short ``score`` run itself. They are built once, written as Arrow IPC files in a
folder named after a key, and memory-mapped by every later process. The key covers the
scorer version, the polars version, the contents of the sentiment modules and the size and
modification time of every package data file the tables are read from: upgrading a package
or editing a table gives a new folder, never a stale table.

The folder is ``$TRUSTDASH_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/trustdash`` or
``~/.cache/trustdash``. When it cannot be written the tables are built in memory, as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
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
            return {n: pl.read_ipc(folder / f"{n}.arrow") for n in names}
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
            log.warning("sentiment table cache %s unreadable: rebuilding", folder, exc_info=True)
    tables = build()
    try:
        _write(folder, tables)
    except OSError as exc:
        log.debug("sentiment table cache not written (%s)", exc)
    return tables


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
