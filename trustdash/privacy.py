"""Author pseudonymisation and "forget" helpers.

When the store setting ``pseudonymise_authors`` is on, every non-brand author name
is replaced at import time by a keyed hash (HMAC-SHA256 with the store's own
``pseudonym_secret``, generated once with :mod:`secrets`), before row keys are
computed: the raw name never reaches the store, yet the same author gets the same
pseudonym in every import, so per-author analysis (repeat complainers) still works.
Brand accounts (the ``brand_accounts`` setting) keep their names so that replies are
still recognised as the brand's.

Limits: names quoted inside comment text (``@someone``) are not rewritten; the
secret lives in the store, so anyone holding the store file and a candidate name can
check whether that name is in it (keyed hashing protects against casual reading and
exports, not against the store's owner).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from trustdash.store import Store

PREFIX = "anon_"
DIGEST_CHARS = 16  # 64 bits of the HMAC: collisions are negligible at any realistic size
SETTING = "pseudonymise_authors"
SECRET_SETTING = "pseudonym_secret"
# Canonical columns that identify a person (posts and comments).
AUTHOR_FIELDS = ("author", "author_id")
# Raw (source) columns of rejected rows that look like a person's name or id.
_AUTHORISH = re.compile(
    r"author|user|screen.?name|handle|^from$|profile|reviewer|commenter|^name$|owner",
    re.IGNORECASE,
)


def pseudonym(value: str, secret: str) -> str:
    """The pseudonym of one author name (``anon_`` + 16 hex characters)."""
    mac = hmac.new(secret.encode("utf-8"), value.strip().encode("utf-8"), hashlib.sha256)
    return PREFIX + mac.hexdigest()[:DIGEST_CHARS]


def pseudonymise(series: pl.Series, secret: str, *, keep: Iterable[str] = ()) -> pl.Series:
    """Replace each name by its keyed hash; nulls and blanks stay null, names in ``keep``
    (compared lower-cased and trimmed, e.g. brand accounts) and values that already are
    pseudonyms stay as they are."""
    if not secret:
        raise ValueError("pseudonymise needs a non-empty secret")
    kept = {str(k).strip().lower() for k in keep if k is not None}
    kept |= {k.lstrip("@") for k in kept}
    cache: dict[str, str] = {}

    def one(value: str | None) -> str | None:
        if value is None:
            return None
        v = str(value)
        if not v.strip():
            return None
        low = v.strip().lower()
        if low in kept or low.lstrip("@") in kept or _is_pseudonym(v):
            return v
        out = cache.get(v)
        if out is None:
            out = cache[v] = pseudonym(v, secret)
        return out

    values = series.cast(pl.String)
    uniques = values.unique().to_list()
    mapping = {u: one(u) for u in uniques if u is not None}
    if not mapping:
        return values
    return values.replace_strict(
        list(mapping), list(mapping.values()), default=None, return_dtype=pl.String
    ).alias(series.name)


def _is_pseudonym(value: str) -> bool:
    return (
        value.startswith(PREFIX)
        and len(value) == len(PREFIX) + DIGEST_CHARS
        and all(c in "0123456789abcdef" for c in value[len(PREFIX) :])
    )


def enabled(store: Store) -> bool:
    return bool(store.get_setting(SETTING, False))


def secret(store: Store) -> str:
    """The store's pseudonym secret, created (and saved) on first use."""
    value = store.get_setting(SECRET_SETTING)
    if isinstance(value, str) and len(value) >= 32:
        return value
    value = secrets.token_hex(32)
    store.set_setting(SECRET_SETTING, value)
    return value


def set_enabled(store: Store, on: bool) -> None:
    """Turn pseudonymisation on or off for future imports (the secret is made once)."""
    if on:
        secret(store)
    store.set_setting(SETTING, bool(on))


def brand_accounts(store: Store) -> list[str]:
    return [str(a) for a in (store.get_setting("brand_accounts", []) or []) if a]


@dataclass(frozen=True)
class Pseudonymiser:
    """Rewrites the author columns of import frames (and rejected rows' raw cells)."""

    secret: str
    keep: tuple[str, ...] = field(default_factory=tuple)

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        cols = [c for c in AUTHOR_FIELDS if c in frame.columns]
        if not cols:
            return frame
        return frame.with_columns(
            pseudonymise(frame.get_column(c), self.secret, keep=self.keep).alias(c) for c in cols
        )

    def raw(self, raw: Mapping[str, Any], author_columns: Iterable[str] = ()) -> dict[str, Any]:
        """A rejected row's raw cells with the person-identifying ones pseudonymised."""
        out = dict(raw)
        named = set(author_columns)
        for col, value in raw.items():
            if value is None or not (col in named or _AUTHORISH.search(str(col))):
                continue
            out[col] = pseudonymise(pl.Series([str(value)]), self.secret, keep=self.keep)[0]
        return out


def pseudonymiser(store: Store) -> Pseudonymiser | None:
    """The import-time transform when the setting is on, else ``None``.

    Call it before the import transaction opens: it may create the secret."""
    if not enabled(store):
        return None
    return Pseudonymiser(secret(store), tuple(brand_accounts(store)))


def resolve_author(store: Store, name: str) -> list[str]:
    """The stored forms of an author the user names: the name itself and, when
    pseudonymisation has been used, its pseudonym."""
    forms = [name]
    value = store.get_setting(SECRET_SETTING)
    if isinstance(value, str) and value and not _is_pseudonym(name) and name.strip():
        forms.append(pseudonym(name, value))
    return forms


def forget_author(store: Store, name: str) -> int:
    """Remove every trace of ``name`` (raw or pseudonymised) from the store."""
    return sum(store.forget_author(form) for form in resolve_author(store, name))
