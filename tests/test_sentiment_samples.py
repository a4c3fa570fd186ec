"""Accuracy targets measured on the shared labelled samples (skipped when they are absent)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import pytest

from trustdash.bench import sentiment as bench

SAMPLES = bench.load_samples()
pytestmark = pytest.mark.skipif(not SAMPLES, reason="shared labelled samples not available")

# vaderSentiment-fr's lexicon (optional package, data file only) is what lifts French tweets
# from ~0.47 to ~0.58 macro-F1; without it only "better than textblob-fr" is asserted.
HAS_VADER_FR = importlib.util.find_spec("vaderSentiment_fr") is not None


def _f1(key: str, fn: Callable[[list[str]], list[float]] = bench._ours) -> float:
    texts, gold = SAMPLES[key]
    return bench.macro_f1(gold, bench._labels(fn(texts)))


@pytest.mark.skipif("en_tweets" not in SAMPLES, reason="no English sample")
def test_english_tweets_beat_vader_and_textblob() -> None:
    ours = _f1("en_tweets")
    vader, tb = bench._vader(), bench._textblob()
    assert ours > _f1("en_tweets", lambda ts: [vader(t) for t in ts])
    assert ours > _f1("en_tweets", lambda ts: [tb(t) for t in ts])


@pytest.mark.skipif("fr_tweets" not in SAMPLES, reason="no French tweets sample")
def test_french_tweets_macro_f1() -> None:
    ours = _f1("fr_tweets")
    if HAS_VADER_FR:
        assert ours >= 0.58
    else:
        tbfr = bench._textblob_fr()
        assert ours > _f1("fr_tweets", lambda ts: [tbfr(t) for t in ts])


@pytest.mark.skipif("fr_reviews" not in SAMPLES, reason="no French reviews sample")
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
