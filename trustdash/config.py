"""Where things live and the environment settings, in one place.

Nothing here imports streamlit: secrets are read by ``trustdash.ui.auth``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
DEFAULT_DB = DATA_DIR / "trustdash.duckdb"


def db_target(explicit: str | os.PathLike[str] | None = None) -> str:
    """The store to open: ``--db`` if given, else ``TRUSTDASH_DB``, else the default file."""
    if explicit:
        return str(explicit)
    env = os.environ.get("TRUSTDASH_DB", "").strip()
    return env or str(DEFAULT_DB)


def data_path() -> str | None:
    """DuckLake data folder or ``s3://`` bucket (scale-out backend only)."""
    value = os.environ.get("TRUSTDASH_DATA_PATH", "").strip()
    return value or None


# The only values that switch hosted mode off; anything else set means hosted.
PUBLIC_OFF = frozenset({"0", "false", "no", "off"})


def hosted_flag(value: object) -> bool | None:
    """What one ``TRUSTDASH_PUBLIC`` value asks for: None when unset or blank, False only
    for an explicit off (``0``, ``false``, ``no``, ``off`` in any case, or a boolean
    false), True for every other value, including typos."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    return text not in PUBLIC_OFF


def public_mode(secret: object = None) -> bool:
    """Hosted mode: the app shows nothing without login configured.

    ``secret`` is the top-level ``TRUSTDASH_PUBLIC`` of ``secrets.toml`` (Streamlit only
    copies string and number secrets to the environment, not booleans). Hosted when the
    environment or the secret asks for it; local (open) only when neither does."""
    return bool(hosted_flag(os.environ.get("TRUSTDASH_PUBLIC"))) or bool(hosted_flag(secret))


def db_memory_mb() -> int:
    """DuckDB's memory limit for an embedded store, in MB (``TRUSTDASH_DB_MEMORY_MB``).

    Its buffer pool caches what is written and read up to this limit, then spills to
    ``<store>.tmp``: the app's memory stays bounded however big the imported files are."""
    return max(256, env_int("TRUSTDASH_DB_MEMORY_MB", 1024))


def env_int(name: str, default: int) -> int:
    """An integer from the environment, falling back to ``default`` when unset or invalid."""
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


# Per-file limits; environment overrides let an operator raise them.
MAX_ROWS_PER_FILE = env_int("TRUSTDASH_MAX_ROWS", 20_000_000)
MAX_COLUMNS_PER_FILE = env_int("TRUSTDASH_MAX_COLUMNS", 2_000)
MAX_FIELD_BYTES = env_int("TRUSTDASH_MAX_FIELD_BYTES", 5_000_000)


def _secrets_files() -> list[Path]:
    """Where Streamlit looks for ``secrets.toml``: the working folder's, then the app's."""
    return [Path.cwd() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml"]


def secret(name: str) -> str | None:
    """A setting from the environment, else the same top-level key in ``secrets.toml``
    (read as plain TOML: the command line has no Streamlit)."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    for path in _secrets_files():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        found = data.get(name)
        if isinstance(found, str) and found.strip():
            return found.strip()
    return None


def smtp_url() -> str | None:
    """``TRUSTDASH_SMTP_URL``: ``smtp://user:password@host:587?starttls=1`` or
    ``smtps://user:password@host:465`` (environment or ``secrets.toml``)."""
    return secret("TRUSTDASH_SMTP_URL")


def mail_from() -> str | None:
    """``TRUSTDASH_MAIL_FROM``: the sender of the emailed brief and alerts."""
    return secret("TRUSTDASH_MAIL_FROM")


def public_url() -> str | None:
    """The address users reach the app at (``TRUSTDASH_PUBLIC_URL``, environment or
    ``secrets.toml``): share links and the links in delivered messages are built on it."""
    value = secret("TRUSTDASH_PUBLIC_URL")
    return value.rstrip("/") if value else None
