"""Sentiment engine of trustdash: vectorised, offline, English + French.

Public API (stable):

- ``SCORER_VERSION``: bumped whenever scores can change (part of the cache key).
- ``normalise(texts, brand_terms=())``: social-media hygiene (NFKC, quotes, URLs, handles,
  brand names, HTML).
- ``text_key(texts, brand_terms=(), overrides_version="")``: stable cache key per text.
- ``score(texts, *, brand_terms=(), lexicon_overrides=None)``: one row per input with
  polarity (Float64, -1..1), label, lang, scored, is_complaint, is_question.
- ``label_from_polarity(expr, lang=None)``: polarity -> "positive" / "neutral" /
  "negative" (French thresholds for French texts when ``lang`` is given).

``lexicon_overrides`` values are polarities in [-1, 1] (scaled x4 to VADER's -4..4
internally); they win over all package lexicons.  See docs/sentiment.md.
"""

from trustdash.sentiment.engine import (
    OUTPUT_SCHEMA,
    SCORER_VERSION,
    label_from_polarity,
    normalise,
    score,
    text_key,
)

__all__ = [
    "OUTPUT_SCHEMA",
    "SCORER_VERSION",
    "label_from_polarity",
    "normalise",
    "score",
    "text_key",
]
