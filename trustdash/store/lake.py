"""The scale-out backend: DuckLake with a PostgreSQL catalog and a shared data path.

A store target ``ducklake:postgres:<libpq connection string>`` (``--db`` or
``TRUSTDASH_DB``) selects it; ``TRUSTDASH_DATA_PATH`` names the folder or ``s3://``
bucket holding the Parquet files. This is the adapter the store opens such a target
with: only :mod:`trustdash.store` calls into it, the rest of trustdash does not know which
backend is in use.

The extensions come from PyPI packages (``duckdb-extension-ducklake``, ``-postgres``,
``-httpfs``) and are loaded from their files: nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import random
import re
import shutil
import tempfile
import threading
from pathlib import Path

import duckdb

from trustdash.i18n import tr

PREFIX = "ducklake:"
CATALOG = "lake"

# One in-memory DuckDB per process hosts every lake the process opens: LOADing the
# extensions costs about half a second per database instance.
_HOST: duckdb.DuckDBPyConnection | None = None
_HOST_LOCK = threading.Lock()
_HOST_EXTENSIONS: set[str] = set()
_ALIASES = itertools.count(1)

# PyPI package per extension; the file inside is named after the extension, but DuckDB
# derives the entry point from the file name, and the postgres extension's real name is
# ``postgres_scanner``.
_PACKAGES = {
    "postgres": ("duckdb-extension-postgres", "postgres_scanner"),
    "ducklake": ("duckdb-extension-ducklake", "ducklake"),
    "httpfs": ("duckdb-extension-httpfs", "httpfs"),
}
_REMOTE_SCHEMES = ("s3://", "s3a://", "gs://", "gcs://", "r2://", "http://", "https://")


class LakeError(RuntimeError):
    """The DuckLake backend cannot be used (message is shown as is)."""


def is_lake(target: str | os.PathLike[str] | None) -> bool:
    """Whether a store target names a DuckLake (rather than a DuckDB file)."""
    return str(target or "").startswith(PREFIX)


def describe(target: str) -> str:
    """The target without secrets (for messages and logs)."""
    return re.sub(r"(password\s*=\s*)(\S+)", r"\1***", str(target), flags=re.I)


def _extension_file(name: str) -> Path:
    pip_name, real_name = _PACKAGES[name]
    module = "duckdb_extension_" + name
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(
            tr(
                "The DuckLake backend needs the {name} DuckDB extension: {command}",
                name=name,
                command=f"pip install {pip_name}=={duckdb.__version__}",
            )
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    wanted = root / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not wanted.is_file():
        found = sorted(root.glob("extensions/*/*.duckdb_extension"))
        have = ", ".join(p.parent.name for p in found) or "none"
        raise LakeError(
            tr(
                "{package} does not match duckdb {version} (it ships {have}): {command}",
                package=pip_name,
                version=duckdb.__version__,
                have=have,
                command=f"pip install {pip_name}=={duckdb.__version__}",
            )
        )
    if real_name == name:
        return wanted
    # LOAD takes the entry point from the file name: expose the file under its real name.
    link_dir = Path(tempfile.gettempdir()) / f"trustdash-ext-{os.getuid()}-v{duckdb.__version__}"
    link = link_dir / f"{real_name}.duckdb_extension"
    if not link.exists():
        link_dir.mkdir(parents=True, exist_ok=True)
        tmp = link_dir / f".{real_name}.{os.getpid()}.tmp"
        try:
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(wanted)
        except OSError:
            shutil.copyfile(wanted, tmp)
        os.replace(tmp, link)  # atomic: concurrent processes never see a half-made link
    return link


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """LOAD extensions from their PyPI packages' files (never from the network)."""
    for name in names:
        path = _extension_file(name)
        try:
            con.execute(f"LOAD '{_quote(str(path))}'")
        except duckdb.Error as exc:
            raise LakeError(
                tr(
                    "Cannot load the {name} extension from {path}: {error}",
                    name=name,
                    path=path,
                    error=exc,
                )
            ) from exc


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _s3_secret(con: duckdb.DuckDBPyConnection) -> None:
    """A DuckDB secret from the usual AWS environment variables (works for MinIO/R2 too)."""
    env = os.environ
    parts = ["TYPE s3"]
    fields = {
        "KEY_ID": env.get("AWS_ACCESS_KEY_ID"),
        "SECRET": env.get("AWS_SECRET_ACCESS_KEY"),
        "SESSION_TOKEN": env.get("AWS_SESSION_TOKEN"),
        "REGION": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
    }
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        fields["ENDPOINT"] = re.sub(r"^https?://", "", endpoint).rstrip("/")
        fields["URL_STYLE"] = "path"
        if endpoint.startswith("http://"):
            parts.append("USE_SSL false")
    # CREATE SECRET takes no parameters; values are quoted literals.
    parts += [f"{k} '{_quote(v)}'" for k, v in fields.items() if v]
    con.execute(f"CREATE OR REPLACE SECRET trustdash_s3 ({', '.join(parts)})")


def _host(extensions: list[str]) -> duckdb.DuckDBPyConnection:
    global _HOST
    with _HOST_LOCK:
        if _HOST is None:
            _HOST = duckdb.connect(
                ":memory:",
                config={
                    "autoinstall_known_extensions": "false",
                    "autoload_known_extensions": "false",
                },
            )
        missing = [e for e in extensions if e not in _HOST_EXTENSIONS]
        if missing:
            load_extensions(_HOST, *missing)
            _HOST_EXTENSIONS.update(missing)
        return _HOST


def connect(
    target: str, *, data_path: str | None = None, metadata_schema: str | None = None
) -> tuple[duckdb.DuckDBPyConnection, str]:
    """A connection with the DuckLake ``target`` attached, and the catalog alias to ``USE``.

    ``data_path`` defaults to ``TRUSTDASH_DATA_PATH`` and ``metadata_schema`` to
    ``TRUSTDASH_LAKE_SCHEMA`` (the PostgreSQL schema holding the catalog, so that one
    PostgreSQL database can hold several lakes, e.g. one per test). Close with
    :func:`disconnect`.
    """
    if not is_lake(target):
        raise LakeError(tr("Not a DuckLake target: {target}", target=describe(target)))
    metadata = str(target)[len(PREFIX) :]
    if data_path is None:
        data_path = os.environ.get("TRUSTDASH_DATA_PATH", "").strip() or None
    if metadata_schema is None:
        metadata_schema = os.environ.get("TRUSTDASH_LAKE_SCHEMA", "").strip() or None
    names = ["ducklake"]
    if metadata.startswith("postgres:"):
        names.insert(0, "postgres")
    remote = bool(data_path and data_path.startswith(_REMOTE_SCHEMES))
    if remote:
        names.append("httpfs")
    host = _host(names)
    n = next(_ALIASES)
    alias = CATALOG if n == 1 else f"{CATALOG}_{n}"
    con = host.cursor()
    try:
        if remote:
            _s3_secret(con)
        elif data_path:
            Path(data_path).mkdir(parents=True, exist_ok=True)
        opts = []
        if data_path:
            opts.append(f"DATA_PATH '{_quote(data_path)}'")
        if metadata_schema:
            opts.append(f"METADATA_SCHEMA '{_quote(metadata_schema)}'")
        with_opts = f" ({', '.join(opts)})" if opts else ""
        con.execute(f"ATTACH '{_quote(str(target))}' AS {alias}{with_opts}")
        con.execute(f"USE {alias}")
    except duckdb.Error as exc:
        con.close()
        if data_path:
            message = tr("Cannot open the DuckLake {target}: {error}", target=describe(target),
                         error=exc)  # fmt: skip
        else:
            message = tr("Cannot open the DuckLake {target} (is TRUSTDASH_DATA_PATH set?): "
                         "{error}", target=describe(target), error=exc)  # fmt: skip
        raise LakeError(message) from exc
    return con, alias


def disconnect(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Detach a lake opened by :func:`connect` (the host database stays for the next)."""
    try:
        con.execute("USE memory")
        con.execute(f"DETACH DATABASE IF EXISTS {alias}")
    finally:
        con.close()


def prepare_cursor(cur: duckdb.DuckDBPyConnection, alias: str = CATALOG) -> None:
    """Cursors start on the in-memory host catalog; point them at the lake."""
    cur.execute(f"USE {alias}")


def is_conflict(exc: BaseException) -> bool:
    """A write lost to a concurrent transaction (retry it on a fresh snapshot)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and (
        "transaction conflict" in text
        or "conflict on" in text
        or "failed to commit ducklake" in text
    )


def backoff(attempt: int, *, base: float = 0.2, cap: float = 5.0) -> float:
    """Full-jitter exponential backoff so that retrying writers spread out."""
    return random.uniform(0, min(cap, base * (2**attempt)))
