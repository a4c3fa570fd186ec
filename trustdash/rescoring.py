"""Re-score stored comments when the scorer or the workspace's lexicon changes.

Scores are cached by a key of the normalised text, the scorer version and the
workspace's lexicon overrides and brand names. When that version differs from the
one the store was scored with, the app re-scores every distinct text in the
background (part by part, with progress) and refreshes the rollups; manual label
corrections keep winning.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from trustdash import sentiment
from trustdash.formats import ENGINE_ERRORS
from trustdash.ingest import (
    RATING_SETTING,
    brand_terms,
    lexicon_overrides,
    overrides_version,
    rating_rule_on,
)
from trustdash.store import Store

log = logging.getLogger(__name__)

SETTING = "scoring_version"


def scoring_version(store: Store) -> str:
    """The version the current scorer and workspace settings would score with."""
    terms = brand_terms(store)
    return f"{sentiment.SCORER_VERSION}:{overrides_version(lexicon_overrides(store), terms)}"


def needs_rescore(store: Store) -> bool:
    stored = store.get_setting(SETTING)
    if stored is None:
        return False  # scored by this version at import, or nothing imported yet
    return stored != scoring_version(store)


def rescore(
    store: Store, progress: Callable[[float, str], None] | None = None, parts: int = 16
) -> int:
    """Re-score every distinct comment text; returns the number of comments updated."""
    version = scoring_version(store)
    terms = brand_terms(store)
    overrides = lexicon_overrides(store)
    over_version = overrides_version(overrides, terms)
    updated = 0
    for part in range(parts):
        texts = store.distinct_texts(part, parts).get_column("text")
        if texts.len():
            scores = sentiment.score(texts, brand_terms=terms, lexicon_overrides=overrides or None)
            keys = sentiment.text_key(texts, terms, over_version)
            frame = pl.concat(
                [pl.DataFrame({"text": texts, "text_key": keys}), scores], how="horizontal"
            )
            updated += store.apply_scores(frame)
        if progress:
            progress((part + 1) / parts, f"Re-scoring comments: {updated:,} updated")
    apply_rating_rule(store)  # the text scores above do not decide rated reviews
    store.refresh_all()
    store.set_setting(SETTING, version)
    return updated


def apply_rating_rule(store: Store, enabled: bool | None = None) -> int:
    """Relabel the stored rated comments by the workspace's rule (``enabled`` overrides
    the setting); manual labels keep winning. Returns the number of rated comments.
    The caller refreshes the rollups."""
    on = rating_rule_on(store) if enabled is None else enabled
    return store.relabel_rated(by_rating=on)


def set_rating_rule(store: Store, enabled: bool) -> int:
    """Turn the star-rating rule on or off: saves the setting, relabels the stored rated
    comments and refreshes the rollups. Returns the number of rated comments."""
    store.set_setting(RATING_SETTING, bool(enabled))
    n = apply_rating_rule(store, enabled)
    store.refresh_all()
    return n


@dataclass
class Job:
    """A background re-scoring run, polled by the pages."""

    fraction: float = 0.0
    text: str = "Waiting…"
    done: bool = False
    error: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False)

    def update(self, fraction: float, text: str) -> None:
        self.fraction, self.text = fraction, text


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def start_background(store: Store) -> Job | None:
    """Start re-scoring in a thread when needed (once per store and process)."""
    with _LOCK:
        job = _JOBS.get(store.target)
        if job is not None and not job.done:
            return job
        if not needs_rescore(store):
            return None
        job = Job()

        def run() -> None:
            try:
                rescore(store, job.update)
            except ENGINE_ERRORS as exc:  # keep the app alive; the page shows the problem
                log.exception("re-scoring failed")
                job.error = str(exc)[:300]
            finally:
                job.done = True

        job.thread = threading.Thread(target=run, name="trustdash-rescore", daemon=True)
        _JOBS[store.target] = job
        job.thread.start()
        return job


def current_job(store: Store) -> Job | None:
    return _JOBS.get(store.target)
