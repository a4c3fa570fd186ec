"""Manual label corrections: one comment, or every comment with the same text at once.

A label set by hand wins over the scorer; a comment labelled positive or neutral is no
longer counted as a complaint (see :meth:`trustdash.store.Store.set_labels`).
"""

from __future__ import annotations

from trustdash.store import Store

LABELS = ("positive", "neutral", "negative")


def same_text(store: Store, channel: str, row_key: str) -> list[tuple[str, str]]:
    """The audience comments (channel, row_key) whose text equals this comment's."""
    return store.same_text_rows(channel, row_key) or [(channel, row_key)]


def relabel(store: Store, channel: str, row_key: str, label: str, user: str | None = None) -> int:
    """Label one comment by hand."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return store.set_labels([(channel, row_key)], label, user)


def relabel_same_text(
    store: Store, channel: str, row_key: str, label: str, user: str | None = None
) -> int:
    """Label every audience comment with this comment's text, in one transaction."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return store.set_labels(same_text(store, channel, row_key), label, user)


def revert(store: Store, channel: str, row_key: str) -> int:
    """Give one comment back to the scorer's label and complaint flag."""
    return store.set_labels([(channel, row_key)], None)
