"""Workspace-level operations shared by the CLI and the app: settings, demo loading."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from trustdash import demo, trust
from trustdash.ingest import (
    RATING_DEFAULT,
    RATING_SETTING,
    FileResult,
    ImportOptions,
    import_files,
)
from trustdash.store import Store

log = logging.getLogger(__name__)

# The importer name the demo's imports carry: how they are told apart from the user's.
DEMO_USER = "demo"

DEFAULTS: dict[str, Any] = {
    "weights_preset": "Default",
    "weights": dict(trust.PRESETS["Default"]),
    "half_life_days": 90.0,
    "prior_strength": 10.0,
    "targets": {},
    "brand_accounts": [],
    "brand_terms": [],
    "lexicon_overrides": {},
    "report_lang": "en",
    "business_hours": False,
    RATING_SETTING: RATING_DEFAULT,  # star ratings decide review sentiment
}


def setting(store: Store, key: str) -> Any:
    return store.get_setting(key, DEFAULTS.get(key))


def trust_settings(store: Store) -> trust.TrustSettings:
    """The trust model's settings as saved in the store (defaults where unset or invalid)."""
    saved = store.all_settings()  # one read for the four settings
    values = {
        k: saved.get(k, DEFAULTS.get(k)) for k in ("weights", "half_life_days", "prior_strength")
    }
    saved_targets = saved.get("targets", DEFAULTS.get("targets")) or {}
    targets = {str(k).lower(): float(v) for k, v in saved_targets.items()}
    try:
        return trust.TrustSettings(
            weights={k: float(v) for k, v in dict(values["weights"]).items()},
            half_life_days=float(values["half_life_days"]),
            prior_strength=float(values["prior_strength"]),
            targets=targets,
        )
    except (ValueError, TypeError) as exc:
        log.warning("invalid trust settings in the store, using defaults: %s", exc)
        return trust.TrustSettings(targets=targets)


def load_demo(
    store: Store, progress: Callable[[float, str], None] | None = None
) -> list[FileResult]:
    """Write the demo exports and import them through the normal import path."""
    accounts = list(store.get_setting("brand_accounts", []) or [])
    merged = list(dict.fromkeys([*accounts, *demo.DEMO_BRAND_ACCOUNTS]))
    store.set_setting("brand_accounts", merged)
    terms = list(store.get_setting("brand_terms", []) or [])
    store.set_setting("brand_terms", list(dict.fromkeys([*terms, demo.DEMO_BRAND])))
    with tempfile.TemporaryDirectory(prefix="trustdash-demo-") as tmp:
        paths = demo.write_demo_exports(Path(tmp))
        # Posts first so comments can inherit their post's campaign.
        paths = sorted(paths, key=lambda p: (0 if "posts" in p.name else 1, p.name))
        results = import_files(
            store, [(p.name, p) for p in paths], ImportOptions(user=DEMO_USER), progress
        )
    store.set_setting("demo_loaded", True)
    return results


def ensure_started(store: Store, progress: Callable[[float, str], None] | None = None) -> bool:
    """Load the demo into an empty store (first start). Returns True when it did."""
    if os.environ.get("TRUSTDASH_NO_DEMO", "").strip() in {"1", "true", "yes"}:
        return False
    if not store.is_empty() or store.get_setting("demo_loaded", False):
        return False
    load_demo(store, progress)
    return True


def demo_imports(store: Store) -> list[int]:
    """The ids of the imports the demo workspace made."""
    imports = store.imports()
    if imports.is_empty():
        return []
    return imports.filter(pl.col("imported_by") == DEMO_USER)["id"].cast(pl.Int64).to_list()


def remove_demo(store: Store) -> dict[str, int]:
    """Delete exactly the demo's imports (the user's own stay) and the demo's brand
    accounts and term. The demo is not loaded again into the emptied store."""
    removed: dict[str, int] = {"imports": 0}
    for import_id in demo_imports(store):
        for table, n in store.delete_import(import_id).items():
            removed[table] = removed.get(table, 0) + n
        removed["imports"] += 1
    accounts = list(store.get_setting("brand_accounts", []) or [])
    kept = [a for a in accounts if a not in demo.DEMO_BRAND_ACCOUNTS]
    terms = list(store.get_setting("brand_terms", []) or [])
    if kept != accounts:
        store.set_setting("brand_accounts", kept)
    if demo.DEMO_BRAND in terms:
        store.set_setting("brand_terms", [t for t in terms if t != demo.DEMO_BRAND])
    if kept != accounts and not store.is_empty():
        store.refresh_all()  # brand flags of the remaining comments
    store.set_setting("demo_loaded", True)
    return removed
