"""The sentiment accuracy targets, measured on the shared labelled samples.

Skipped only when the samples folder is absent.  vaderSentiment-fr is a requirement (its
MIT lexicon file is read, the module is never imported), so the French targets are absolute.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trustdash.bench import sentiment as bench

SAMPLES = bench.load_samples()
pytestmark = pytest.mark.skipif(
    not bench.SAMPLES_DIR.is_dir(), reason="shared labelled samples not available"
)

FR_TWEETS_MIN_MACRO_F1 = 0.58


def _f1(key: str, fn: Callable[[list[str]], list[float]] | None = None) -> float:
    """Macro-F1 of our label column (per-language thresholds), or of another scorer's
    polarities with the global thresholds."""
    texts, gold = SAMPLES[key]
    pred = bench.ours_labels(texts) if fn is None else bench._labels(fn(texts))
    return bench.macro_f1(gold, pred)


def test_english_tweets_beat_vader_and_textblob() -> None:
    texts, gold = SAMPLES["en_tweets"]
    num = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
    y = [num[g] for g in gold]
    vader, tb = bench._vader(), bench._textblob()
    vader_pols = [vader(t) for t in texts]
    ours_pols = bench._ours(texts)
    ours = _f1("en_tweets")
    assert ours > _f1("en_tweets", lambda ts: vader_pols)
    assert ours > _f1("en_tweets", lambda ts: [tb(t) for t in ts])
    assert bench.pearson(ours_pols, y) >= bench.pearson(vader_pols, y)


def test_french_tweets_macro_f1() -> None:
    assert _f1("fr_tweets") >= FR_TWEETS_MIN_MACRO_F1


def test_french_reviews_beat_lexicon_baselines() -> None:
    texts, gold = SAMPLES["fr_reviews"]

    def acc(pols: list[float]) -> float:
        return sum(("1" if p >= 0 else "0") == g for p, g in zip(pols, gold, strict=True)) / len(
            gold
        )

    ours = acc(bench._ours(texts))
    tbfr, vader = bench._textblob_fr(), bench._vader()
    assert ours > acc([tbfr(t) for t in texts])
    assert ours > acc([vader(t) for t in texts])
