"""Vectorised lexicon + rules sentiment scorer (VADER-style rules over polars token frames).

Pipeline, all on whole columns: normalise -> unique texts -> whitespace chunks (emoticons
kept whole) -> regex tokens -> one row per token -> language vote per text -> join with the
lexicon of the text's language (unigrams, then bigrams/trigrams) -> window rules with shifts
(boosters, negation, caps, elongation) -> per-text aggregation (contrast, "!", VADER
normalisation) -> joined back onto the input rows.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import NamedTuple

import numpy as np
import polars as pl

from trustdash.sentiment import lang as langid
from trustdash.sentiment import learned, lexicons, tablecache, tables

SCORER_VERSION = "1.5.0"

# Label thresholds on the compound polarity (tuned on the labelled samples).
POS_THRESHOLD = 0.25
NEG_THRESHOLD = -0.25
# French thresholds, chosen on the tuning half of the French tweets: French lexicons give
# milder negative scores (sarcasm, complaints without sentiment words), so a mildly negative
# French comment is negative.
FR_POS_THRESHOLD = 0.25
FR_NEG_THRESHOLD = -0.1

# VADER's constants (Hutto & Gilbert 2014); kept identical so scores stay comparable.
ALPHA = 15.0
# French lexicon valences are milder than VADER's English ones (textblob-fr is mostly
# adjectives): a smaller normalisation constant puts French polarities on the same label scale.
FR_ALPHA = 8.0
NEGATION_SCALAR = -0.74
CAPS_INCREMENT = 0.733
EXCLAMATION_INCREMENT = 0.292
EXCLAMATION_CAP = 4
BOOSTER_DECAY = (1.0, 0.95, 0.9)
ELONGATION_INCREMENT = 0.293
CONTRAST_BEFORE = 0.5
CONTRAST_AFTER = 1.5
# The verdict of a comment of several sentences is usually its last sentence ("The cast is
# great. The film is a bore."): its words weigh this much more than the others.
LAST_SENTENCE_WEIGHT = 1.5
LAST_SENTENCE_MIN_SENTENCES = 3
# Weight of the learned English lexicon (GoEmotions) against the rules, and the scale that
# puts its linear score (about -1..1) on the compound's scale.
LEARNED_WEIGHT = 0.3
LEARNED_SCALE = 2.5
# A complaint that reads clearly positive ("super happy with the refund") is not a complaint.
COMPLAINT_MAX_POLARITY = 0.3

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "polarity": pl.Float64(),
    "label": pl.String(),
    "lang": pl.String(),
    "scored": pl.Boolean(),
    "is_complaint": pl.Boolean(),
    "is_question": pl.Boolean(),
}

URL_TOKEN = "_url_"
USER_TOKEN = "_user_"
BRAND_TOKEN = "_brand_"

TOKEN_RE = r"\w+(?:['\-]\w+)*|\p{Extended_Pictographic}|[!?,.;:]"
ELISION_RE = r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)'"
_LETTERS = "abcdefghijklmnopqrstuvwxyzéèêàâùûôîïç"
ELONGATION_RE = "|".join(c * 3 for c in _LETTERS)
_HTML_ENTITIES = {
    "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&#039;": "'",
    "&apos;": "'", "&nbsp;": " ", "&#8217;": "'", "&#8216;": "'", "&#8220;": '"',
    "&#8221;": '"', "&rsquo;": "'", "&lsquo;": "'", "&ldquo;": '"', "&rdquo;": '"',
    "&hellip;": "...", "&eacute;": "é", "&egrave;": "è", "&agrave;": "à", "&ccedil;": "ç",
}  # fmt: skip
# NFKC is the dearest hygiene step, so it only runs on texts holding a character it could
# change. The characters it leaves alone are listed from the blocks comments draw on: ASCII,
# Latin letters, punctuation, currency, arrows, shapes, symbols and emojis. Marks are left
# out (they combine with their neighbour), as are unassigned code points.
_NFKC_BLOCKS = (
    (0x80, 0x24F), (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2190, 0x21FF), (0x2500, 0x27BF),
    (0x2B00, 0x2BFF), (0x1F100, 0x1F2FF), (0x1F300, 0x1FAFF),
)  # fmt: skip


def _nfkc_stable(cp: int) -> bool:
    c = chr(cp)
    kind = unicodedata.category(c)
    return (
        kind[0] != "M" and kind not in ("Cn", "Co", "Cs") and unicodedata.normalize("NFKC", c) == c
    )


def _needs_nfkc_re() -> str:
    stable = [cp for lo, hi in _NFKC_BLOCKS for cp in range(lo, hi + 1) if _nfkc_stable(cp)]
    # The variation selector and the joiner inside emojis are stable too.
    stable = [*range(0x80), 0x200D, 0xFE0F, *stable]
    runs: list[list[int]] = []
    for cp in sorted(set(stable)):
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    body = "".join(
        _regex_escape(chr(lo)) + ("" if lo == hi else "-" + _regex_escape(chr(hi)))
        for lo, hi in runs
    )
    return f"[^{body}]"


# NFKC's most common rewrites in comments, done by a plain replacement instead: a text whose
# only such characters are these then skips NFKC (the result is the same).
_NFKC_COMMON = {"\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " "}
_APOSTROPHES = ["\u2019", "\u2018", "\u201b", "\u2032", "\u00b4", "`"]
_QUOTES = ["\u201c", "\u201d", "\u201e", "\u00ab", "\u00bb", "\u2033"]


# --------------------------------------------------------------------------- hygiene


def _regex_escape(term: str) -> str:
    # Rust regex rejects some of Python's escapes, so escape only its metacharacters.
    return re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", term)


@cache
def _needs_nfkc() -> str:
    """The pattern of characters NFKC could change, read from the table cache (deriving it
    walks ~10,000 code points)."""
    return str(_tables()["patterns"]["pattern"][0])


def __getattr__(name: str) -> str:
    # NEEDS_NFKC_RE stays importable, derived on first use rather than at import.
    if name == "NEEDS_NFKC_RE":
        return _needs_nfkc()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _brand_pattern(brand_terms: Sequence[str]) -> str | None:
    alts: set[str] = set()
    for raw in brand_terms:
        words = str(raw).replace("\u2019", "'").split()
        if not words:
            continue
        alts.add(r"\s+".join(_regex_escape(w) for w in words))
        if len(words) > 1:  # "#AirFrance" for "Air France"
            alts.add(_regex_escape("".join(words)))
    if not alts:
        return None
    body = "|".join(sorted(alts, key=len, reverse=True))
    # Whole word: a non-word char (or start) before, \b-like check after via (\W|$).
    return rf"(?i)(^|[^\w])[#@]?(?:{body})(\W|$)"


def _html_expr(e: pl.Expr) -> pl.Expr:
    table = _HTML_ENTITIES | _NFKC_COMMON
    e = e.str.replace_many(list(table), list(table.values()))
    e = e.str.replace_all(
        r"(?i)<br\s*/?>|</?(?:p|div|span|b|i|em|strong|a)(?:\s[^>]{0,200})?>", " "
    )
    return e.str.replace_all(r"&#?\w{1,8};", " ")


def _nfkc(s: pl.Series) -> pl.Series:
    """NFKC, applied only to the texts that hold a character NFKC could change (_needs_nfkc).

    NFKC is the dearest hygiene step and leaves ASCII, French letters and emojis unchanged."""
    # Only texts with a multi-byte character can hold one; the regex reads those only.
    wide = (s.str.len_bytes() != s.str.len_chars()).fill_null(False)
    todo = wide
    if wide.any():
        todo = wide.scatter(wide.arg_true(), s.filter(wide).str.contains(_needs_nfkc()))
    n = int(todo.sum())
    if n == 0:
        return s
    fixed = s.filter(todo).str.normalize("NFKC")
    if n == s.len():
        return fixed
    return s.scatter(todo.arg_true(), fixed)


def _clean_expr(e: pl.Expr, brand_terms: Sequence[str]) -> pl.Expr:
    # Two character-class passes: faster than one multi-pattern replacement here.
    e = e.str.replace_all("[" + _regex_escape("".join(_APOSTROPHES)) + "]", "'")
    e = e.str.replace_all("[" + _regex_escape("".join(_QUOTES)) + "]", '"')
    e = e.str.replace_all("[\ufe0f\u200d\U0001f3fb-\U0001f3ff]", "")
    e = e.str.replace_all(r"(?i)(?:https?://|www\.)\S+", f" {URL_TOKEN} ")
    pattern = _brand_pattern(brand_terms)
    if pattern is not None:
        # Applied twice so that adjacent mentions ("United United") both go: each match eats
        # the separator after it.
        for _ in range(2):
            e = e.str.replace_all(pattern, f"${{1}}{BRAND_TOKEN}${{2}}")
    # \B before "@" keeps e-mail addresses ("a@b.com") intact without a capture group.
    e = e.str.replace_all(r"\B@\w+", USER_TOKEN)
    # Only runs and non-space whitespace are rewritten: replacing every space is 5x slower.
    return e.str.replace_all(r"\s\s+|[^\S ]", " ").str.strip_chars()


def _needs_hygiene_re(brand_terms: Sequence[str]) -> str:
    """Matches every text that some hygiene step could change; the others pass untouched.

    Built from the same character lists and patterns as the steps themselves."""
    chars = "".join(_APOSTROPHES + _QUOTES) + "&<@\ufe0f\u200d"
    alts = [
        "[" + _regex_escape(chars) + "\U0001f3fb-\U0001f3ff]",
        r"\s\s|[^\S ]|^\s|\s$",
        r"(?i:https?://|www\.)",
        _needs_nfkc(),
    ]
    brand = _brand_pattern(brand_terms)
    if brand is not None:
        alts.append("(?i:" + brand.removeprefix("(?i)") + ")")
    return "|".join(alts)


def _slices(s: pl.Series, k: int) -> list[pl.Series]:
    """s cut into k consecutive slices of (nearly) equal length."""
    n = s.len()
    bounds = [n * i // k for i in range(k + 1)]
    return [s.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds)]


# How many pieces of one batch are being scored side by side on this thread's behalf (see
# score()): the polars threads are shared among them.
_PIECES = threading.local()


def _parts(s: pl.Series, min_size: int = 10_000) -> list[pl.Series]:
    """s cut into consecutive slices, one per polars thread (one slice when s is small); on
    a thread scoring one of several pieces, one per polars thread left to each piece (one on
    two cores: the pieces already run side by side, and cutting again would only add the
    merging of the parts' chunk numberings)."""
    threads = pl.thread_pool_size() // getattr(_PIECES, "n", 1)
    return _slices(s, max(1, min(threads, s.len() // min_size)))


def normalise(texts: pl.Series, brand_terms: Sequence[str] = ()) -> pl.Series:
    """Social-media hygiene before scoring; keeps case (caps carry emphasis) and nulls."""
    s = texts if isinstance(texts, pl.Series) else pl.Series(list(texts))
    s = s.cast(pl.String)
    name = s.name
    # Most comments are plain text that no step changes: one cheap scan finds the others,
    # and only those are rewritten (each rewrite pass copies every string).
    todo = s.str.contains(_needs_hygiene_re(brand_terms)).fill_null(False)
    n = int(todo.sum())
    if n == 0:
        return s.rename(name)
    sub = s if n == s.len() else s.filter(todo)
    # Each step is a pass over single strings: parts of the column run on polars' threads.
    plans = [
        pl.LazyFrame({"t": part})
        .select(_html_expr(pl.col("t")))
        .select(pl.col("t").map_batches(_nfkc, return_dtype=pl.String))
        .select(_clean_expr(pl.col("t"), brand_terms))
        for part in _parts(sub)
    ]
    sub = pl.concat([f.to_series() for f in pl.collect_all(plans)])
    out = sub if n == s.len() else s.scatter(todo.arg_true(), sub)
    return out.rename(name)


def text_key(
    texts: pl.Series, brand_terms: Sequence[str] = (), overrides_version: str = ""
) -> pl.Series:
    """Cache key: sha1 of normalised text, scorer version and overrides version.

    hashlib (not polars' hash, which may change between releases) on unique texts only."""
    # A null text keys like the empty text.
    norm = normalise(texts, brand_terms).fill_null("")
    suffix = f"\x1f{SCORER_VERSION}\x1f{overrides_version}"
    codes, uniq = _distinct_codes(norm)
    keys = pl.Series(
        [hashlib.sha1((t + suffix).encode("utf-8")).hexdigest() for t in uniq.to_list()],
        dtype=pl.String,
    )
    return keys.gather(pl.Series(codes, dtype=pl.UInt32)).rename(texts.name or "text_key")


def label_from_polarity(p: pl.Expr, lang: pl.Expr | None = None) -> pl.Expr:
    """ "positive" / "neutral" / "negative" from a polarity; with ``lang`` (an expression of
    the text's language), French texts use the French thresholds."""
    pos: pl.Expr | float = POS_THRESHOLD
    neg: pl.Expr | float = NEG_THRESHOLD
    if lang is not None:
        is_fr = lang == "fr"
        pos = pl.when(is_fr).then(pl.lit(FR_POS_THRESHOLD)).otherwise(pl.lit(POS_THRESHOLD))
        neg = pl.when(is_fr).then(pl.lit(FR_NEG_THRESHOLD)).otherwise(pl.lit(NEG_THRESHOLD))
    return (
        pl.when(p >= pos)
        .then(pl.lit("positive"))
        .when(p <= neg)
        .then(pl.lit("negative"))
        .otherwise(pl.lit("neutral"))
    )


# --------------------------------------------------------------------------- scoring


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=OUTPUT_SCHEMA)


def _second_words(lex2: pl.DataFrame, lex3: pl.DataFrame) -> pl.Series:
    """Words found in second position of a multi-word entry (lexicons, complaint phrases,
    question openers)."""
    terms = pl.concat([lex2["term"], lex3["term"]])
    extra = [
        t
        for t in (*tables.COMPLAINT_TERMS, *tables.EN_QUESTION_OPENERS, *tables.FR_QUESTION_OPENERS)
        if " " in t
    ]
    terms = pl.concat([terms, pl.Series(extra, dtype=pl.String)])
    return terms.str.split(" ").list.get(1).unique()


def _build_tables() -> dict[str, pl.DataFrame]:
    """Every table the scorer reads, built from the package lexicons and the hand tables."""
    negate, boosters, _ = lexicons.vader_rules()
    sets = {
        "emoticons": lexicons.emoticons(),
        "en_neg": negate,
        "fr_neg": tables.FR_NEGATORS,
        "en_contrast": tables.EN_CONTRAST,
        "fr_contrast": tables.FR_CONTRAST,
        "en_fw": tables.EN_FUNCTION_WORDS,
        "fr_fw": tables.FR_FUNCTION_WORDS,
        "other_fw": langid.OTHER_FUNCTION_WORDS,
        "en_lex": lexicons.en_lexicon_words() - tables.EN_FUNCTION_WORDS,
        "fr_lex": lexicons.fr_vote_words() - tables.FR_FUNCTION_WORDS,
        "complaint": tables.COMPLAINT_TERMS,
        "en_q": tables.EN_QUESTION_OPENERS,
        "fr_q": tables.FR_QUESTION_OPENERS,
        "en_rarely": tables.EN_RARELY,
        "en_such": tables.EN_SUCH,
        "hedges": frozenset(tables.HEDGES),
        # Known spellings for undoing elongations ("sooo" -> "so", "gooood" -> "good").
        "all_words": (
            lexicons.en_lexicon_words()
            | lexicons.fr_lexicon_words()
            | set(boosters)
            | set(tables.FR_BOOSTERS)
            | negate
            | tables.FR_NEGATORS
            | tables.EN_FUNCTION_WORDS
            | tables.FR_FUNCTION_WORDS
        ),
    }
    set_rows = [(name, w) for name, words in sets.items() for w in sorted(words)]
    en_boost = {k: v for k, v in boosters.items() if " " not in k}
    boost_rows = [("en", k, float(v)) for k, v in en_boost.items()]
    boost_rows += [("fr", k, float(v)) for k, v in tables.FR_BOOSTERS.items()]
    # The learned English weights ride in the lexicon table as language "learned" (the
    # intercept under the empty term, which no token can be).
    w = learned.weights().with_columns(
        term=pl.when(pl.col("term") == learned.INTERCEPT_KEY).then(pl.lit("")).otherwise("term")
    )
    learned_rows = w.select(
        lang=pl.lit("learned"), term="term", valence="weight", n=pl.lit(1, dtype=pl.Int8)
    )
    return {
        "lexicon": pl.concat([lexicons.base_lexicon(), learned_rows]),
        "sets": pl.DataFrame(set_rows, schema={"set": pl.String, "word": pl.String}, orient="row"),
        "boosters": pl.DataFrame(
            boost_rows,
            schema={"lang": pl.String, "word": pl.String, "value": pl.Float64},
            orient="row",
        ),
        "patterns": pl.DataFrame({"pattern": [_needs_nfkc_re()]}),
    }


@cache
def _tables() -> dict[str, pl.DataFrame]:
    """The built tables, from the on-disk cache when a process built them already."""
    return tablecache.load_or_build(SCORER_VERSION, _build_tables)


@cache
def _static_sets() -> dict[str, pl.Series]:
    sets = _tables()["sets"]
    return {
        str(name): part["word"]
        for (name,), part in sets.partition_by("set", as_dict=True, maintain_order=True).items()
    }


@cache
def _boosters() -> tuple[dict[str, float], dict[str, float]]:
    b = _tables()["boosters"]
    en, fr = (b.filter(pl.col("lang") == lang) for lang in ("en", "fr"))
    return dict(zip(en["word"], en["value"], strict=True)), dict(
        zip(fr["word"], fr["value"], strict=True)
    )


def _first_words(lex: pl.DataFrame) -> pl.Series:
    multi = lex.filter(pl.col("n") > 1)["term"].str.split(" ").list.first()
    extra = [
        t.split(" ")[0]
        for t in (*tables.COMPLAINT_TERMS, *tables.EN_QUESTION_OPENERS, *tables.FR_QUESTION_OPENERS)
        if " " in t
    ]
    return pl.concat([multi, pl.Series(extra, dtype=pl.String)]).unique()


class LexiconParts(NamedTuple):
    """The lexicon as the scorer reads it: one table per entry length (columns lang, term
    and v1 / v2 / v3) and the words that can start a multi-word entry."""

    lex1: pl.DataFrame
    lex2: pl.DataFrame
    lex3: pl.DataFrame
    first_words: pl.Series


class Tokens(NamedTuple):
    """Token rows of some texts (see tokens())."""

    tok_id: pl.Series
    kid: pl.Series
    vocab: pl.DataFrame


@cache
def base_parts() -> LexiconParts:
    """The package lexicon split as the scorer reads it (no caller overrides)."""
    return _split_lexicon(_tables()["lexicon"])


def _split_lexicon(lex: pl.DataFrame) -> LexiconParts:
    parts = [
        lex.filter(pl.col("n") == n).select(
            "lang", pl.col("term"), pl.col("valence").alias(f"v{n}")
        )
        for n in (1, 2, 3)
    ]
    return LexiconParts(parts[0], parts[1], parts[2], _first_words(lex))


def _as_series(texts: pl.Series | Sequence[str | None]) -> pl.Series:
    if isinstance(texts, pl.Series):
        return texts.cast(pl.String)
    return pl.Series("text", list(texts), dtype=pl.String)


def score(
    texts: pl.Series | Sequence[str | None],
    *,
    brand_terms: Sequence[str] = (),
    lexicon_overrides: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """Score comments; one row per input, same order (see trustdash.sentiment for columns).

    lexicon_overrides: word or phrase -> polarity in [-1, 1] (scaled x4 to VADER's scale
    internally); they win over every package lexicon, in every language."""
    s = _as_series(texts)
    if s.len() == 0:
        return _empty()
    if lexicon_overrides:
        parts = _split_lexicon(lexicons.with_overrides(lexicon_overrides, _tables()["lexicon"]))
    else:
        parts = base_parts()
    valid = s.is_not_null()
    texts = s.filter(valid) if s.null_count() else s
    # Comments repeat a lot (copy-paste, bots, "merci !", links that normalise alike): each
    # distinct text is normalised and scored once and the scores spread back by index (no
    # join on the texts). Numbering texts costs far less than scoring them, but when almost
    # all differ it is skipped and the few repeats are scored again.
    raw_codes, raw_u = _distinct_codes(texts) if _repeats(texts) else (None, texts)
    pieces = _thread_pieces(raw_u)
    if len(pieces) == 1:
        out = _score_texts(raw_u, brand_terms, parts)
    else:
        # A text's score depends on that text alone, so pieces scored apart give exactly
        # the scores of one pass. Two pieces on two threads keep both cores busy where one
        # pass leaves one idle (the language model and numpy steps hold a single core).
        langid.load_model()  # once, before the threads race to load it
        with ThreadPoolExecutor(len(pieces), thread_name_prefix="trustdash-score") as pool:
            out = pl.concat(
                list(pool.map(lambda p: _score_piece(p, len(pieces), brand_terms, parts), pieces))
            )
    if raw_codes is not None:
        out = out.gather(pl.Series(raw_codes, dtype=pl.UInt32))
    if s.null_count():  # null texts gather null rows, filled with the defaults below
        rows = pl.arange(0, texts.len(), dtype=pl.UInt32, eager=True)
        out = out.gather(_scatter(s.len(), valid.arg_true(), rows))
    return out.select(
        pl.col("polarity").fill_null(0.0),
        pl.col("label").fill_null("neutral"),
        pl.col("lang").fill_null("und"),
        pl.col("scored").fill_null(False),
        pl.col("is_complaint").fill_null(False),
        pl.col("is_question").fill_null(False),
    )


# Below this many texts to score a second thread costs more than it saves.
THREAD_MIN_TEXTS = 20_000
SCORE_THREADS = 2


def _thread_pieces(texts: pl.Series) -> list[pl.Series]:
    """The texts cut into SCORE_THREADS consecutive pieces (one when few). Cutting the
    distinct texts when repeats are common gives each thread its share of the real work."""
    big = texts.len() >= THREAD_MIN_TEXTS and max(pl.thread_pool_size(), _cores()) > 1
    return _slices(texts, SCORE_THREADS if big else 1)


def _cores() -> int:
    """Cores this process may run on (polars may be held to one thread while the pieces run
    on two: see cli.SCORE_PROCESS_ENV)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _score_piece(
    texts: pl.Series,
    n_pieces: int,
    brand_terms: Sequence[str],
    parts: LexiconParts,
) -> pl.DataFrame:
    """_score_texts on a thread scoring one of n_pieces pieces side by side."""
    _PIECES.n = n_pieces
    try:
        return _score_texts(texts, brand_terms, parts)
    finally:
        _PIECES.n = 1


def _score_texts(
    texts: pl.Series,
    brand_terms: Sequence[str],
    parts: LexiconParts,
) -> pl.DataFrame:
    """One row of scores per text (no nulls), in order; texts equal once normalised are
    scored once when that pays."""
    norm = normalise(texts, brand_terms)
    text_codes, uniq = _distinct_codes(norm) if _repeats(norm) else (None, norm)
    res = _score_unique(uniq, parts).drop("text")
    if text_codes is not None:
        res = res.gather(pl.Series(text_codes, dtype=pl.UInt32))
    return res


# Share of repeated texts above which de-duplicating pays (numbering a text costs well under
# a tenth of scoring it).
MIN_REPEATS = 0.05


def _repeats(texts: pl.Series) -> bool:
    n = texts.len()
    return n > 0 and texts.n_unique() <= (1.0 - MIN_REPEATS) * n


def _categorical_codes(as_cat: pl.Series) -> tuple[np.ndarray, pl.Series] | None:
    """(code per value, distinct values) of a categorical column whose category set holds
    exactly its values (a fresh one), or None when the codes are not 0..k-1."""
    codes = as_cat.to_physical().to_numpy()
    if as_cat.null_count():
        return None
    if codes.size == 0:
        return codes, pl.Series([], dtype=pl.String)
    # A fresh set numbers values in order of first appearance: a value is new exactly where
    # its code exceeds every earlier one, and the new codes then read 0, 1, 2, ...
    runmax = np.maximum.accumulate(codes)
    new = np.empty(codes.size, dtype=bool)
    new[0] = True
    np.greater(codes[1:], runmax[:-1], out=new[1:])
    first = np.flatnonzero(new)
    if np.array_equal(codes[first], np.arange(first.size)) and first.size == runmax[-1] + 1:
        return codes, as_cat.gather(first).cast(pl.String)
    # Otherwise (numbering in another order): the strings from the distinct values.
    # (Categories.to_series() would walk the set in Python.)
    uniq = as_cat.unique()
    physical = uniq.to_physical()
    if int(physical.max()) != uniq.len() - 1:
        return None
    return codes, uniq.cast(pl.String).gather(physical.arg_sort())


def _distinct_codes(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """(code per value, distinct values) with distinct[code] == value; values has no nulls.

    A categorical with a category set of its own numbers the distinct values in a single
    hashing pass (unique() and then a join on the strings hash every value twice)."""
    coded = _categorical_codes(values.cast(pl.Categorical(pl.Categories.random())))
    return coded if coded is not None else _distinct_codes_by_join(values)


def _distinct_codes_by_join(values: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Same contract as _distinct_codes, by unique() and a join (the slower general path)."""
    distinct = values.unique(maintain_order=True)
    table = pl.DataFrame({"v": distinct}).with_row_index("code")
    coded = pl.DataFrame({"v": values}).join(table, on="v", how="left", maintain_order="left")
    return coded["code"].to_numpy(), distinct


def _chunk_codes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray, pl.Series]:
    """The texts' whitespace chunks: how many per text, the code of each occurrence (in text
    order) and the distinct chunks, distinct[code] == chunk.

    Each part of the texts is split and numbered on its own thread with a category set of
    its own (a shared one serialises the threads); the parts' numberings are then merged."""
    parts = _parts(texts)
    categories = [pl.Categories.random() for _ in parts]
    frames = pl.collect_all(
        [
            pl.LazyFrame({"t": part}).select(
                c=pl.col("t").str.split(" ").cast(pl.List(pl.Categorical(cats)))
            )
            for part, cats in zip(parts, categories, strict=True)
        ]
    )
    counts = np.concatenate([f["c"].list.len().to_numpy() for f in frames])
    coded = [_categorical_codes(f["c"].explode()) for f in frames]
    pairs = [c for c in coded if c is not None]
    if len(pairs) < len(coded):
        # Unexpected numbering: number the chunks the slower way.
        codes, distinct = _distinct_codes_by_join(texts.str.split(" ").explode())
        return counts, codes, distinct
    if len(pairs) == 1:
        return counts, pairs[0][0], pairs[0][1]
    merged, distinct = _distinct_codes(pl.concat([d for _, d in pairs]))
    offsets = np.cumsum([0] + [d.len() for _, d in pairs[:-1]])
    codes = np.concatenate([merged[off + c] for off, (c, _) in zip(offsets, pairs, strict=True)])
    return counts, codes, distinct


def tokens(texts: pl.Series, lex1: pl.DataFrame, first_words: pl.Series) -> Tokens:
    """The token rows of the (normalised) texts, in text order, as two aligned columns: the
    text number ("id") and the token's row in the vocabulary ("kid"); and the vocabulary
    with the features of each distinct token (see _vocab_features), its column "key" being
    the token as the lexicons spell it. lex1 and first_words: see LexiconParts.

    Whitespace chunks repeat a lot across comments, so each distinct chunk is tokenised once
    and each distinct token gets its features once; the texts are then expanded into token
    rows by index arithmetic (no join over the chunk strings)."""
    sets = _static_sets()
    n_chunks, codes, distinct = _chunk_codes(texts)
    # Emoticons are only emoticons when they stand alone, as in VADER ("8)" inside text is not).
    tok = (
        pl.when(pl.col("chunk").is_in(sets["emoticons"].implode()))
        .then(pl.concat_list(pl.col("chunk")))
        .otherwise(pl.col("chunk").str.extract_all(TOKEN_RE))
    )
    chunk_toks = (
        pl.DataFrame({"chunk": distinct})
        .with_row_index("code")
        .select("code", tok=tok)
        .explode("tok")
        .drop_nulls("tok")
    )
    vocab = _vocab_features(chunk_toks["tok"].unique(), lex1, first_words)
    chunk_toks = chunk_toks.join(
        vocab.select("tok", "kid"), on="tok", how="left", maintain_order="left"
    )
    # chunk_toks is grouped by chunk code, tokens in order: chunk c owns the slice
    # [first[c], first[c] + size[c]). Each chunk occurrence expands into its slice.
    size = np.bincount(chunk_toks["code"].to_numpy(), minlength=distinct.len())
    first = np.cumsum(size) - size
    lengths = size[codes]
    # Output row i belongs to occurrence c and reads chunk_toks row
    # first[codes[c]] + (i - start of c's rows): one offset per occurrence, repeated.
    offset = first[codes]
    offset -= np.cumsum(lengths) - lengths
    rows = np.repeat(offset, lengths)
    rows += np.arange(rows.size)
    kid = chunk_toks["kid"].to_numpy()[rows]
    if n_chunks.size and n_chunks.min() > 0:  # always: "" splits into [""]
        per_text = np.add.reduceat(lengths, np.cumsum(n_chunks, dtype=np.int64) - n_chunks)
        ids = np.repeat(np.arange(texts.len(), dtype=np.uint32), per_text)
    else:
        text_of_chunk = np.repeat(np.arange(texts.len(), dtype=np.uint32), n_chunks)
        ids = np.repeat(text_of_chunk, lengths)
    return Tokens(
        pl.Series("id", ids, dtype=pl.UInt32), pl.Series("kid", kid, dtype=pl.UInt32), vocab
    )


def _elongation_map(keys: pl.Series, words: pl.Series) -> dict[str, str]:
    """ "sooooo" -> "so", "goooood" -> "good": collapse runs to 2, else to 1, whichever is known.

    Python on unique elongated tokens only (Rust regex has no backreferences)."""
    known = set(words.to_list())
    out: dict[str, str] = {}
    for k in keys.unique().to_list():
        two = re.sub(r"(.)\1{2,}", r"\1\1", k)
        one = re.sub(r"(.)\1+", r"\1", k)
        out[k] = two if two in known else one if one in known else two
    return out


def _vocab_features(vocab: pl.Series, lex1: pl.DataFrame, first_words: pl.Series) -> pl.DataFrame:
    """Everything that depends on the token alone, computed once per distinct token.

    Comments repeat words a lot, so this is far cheaper than regexes on every token row."""
    sets = _static_sets()
    low = pl.col("tok").str.to_lowercase()
    f = pl.DataFrame({"tok": vocab}).with_columns(
        low=low,
        key=low.str.replace(ELISION_RE, ""),
        is_caps=(pl.col("tok") != low)
        & ~pl.col("tok").str.contains(r"\p{Ll}")
        & (pl.col("tok").str.len_chars() >= 2),
        is_alpha=pl.col("tok").str.contains(r"^[^\W\d_]"),
    )
    elongated = f["key"].str.contains(ELONGATION_RE)
    f = f.with_columns(elongated=elongated)
    if elongated.any():
        mapping = _elongation_map(f.filter(elongated)["key"], sets["all_words"])
        f = f.with_columns(key=pl.col("key").replace(mapping))

    def isin(name: str, col: str = "key") -> pl.Expr:
        return pl.col(col).is_in(sets[name].implode())

    en_boost, fr_boost = _boosters()
    f = f.with_columns(
        n_prefix=pl.col("low").str.starts_with("n'"),
        is_clause_end=pl.col("tok").is_in(["!", "?", ",", ".", ";", ":"]),
        is_sentence_end=pl.col("tok").is_in(["!", "?", "."]),
        n_excl=(pl.col("tok") == "!").cast(pl.UInt32),
        n_q=(pl.col("tok") == "?").cast(pl.UInt32),
        en_fw=isin("en_fw").cast(pl.UInt32),
        fr_fw=isin("fr_fw", "low").cast(pl.UInt32) + isin("fr_fw").cast(pl.UInt32),
        other_fw=isin("other_fw").cast(pl.UInt32),
        en_lex=isin("en_lex").cast(pl.UInt32),
        fr_lex=isin("fr_lex").cast(pl.UInt32),
        boost_en=pl.col("key").replace_strict(en_boost, default=None, return_dtype=pl.Float64),
        boost_fr=pl.col("key").replace_strict(fr_boost, default=None, return_dtype=pl.Float64),
        neg_en=isin("en_neg") | pl.col("key").str.ends_with("n't"),
        neg_fr=isin("fr_neg") | pl.col("low").str.starts_with("n'"),
        but_en=isin("en_contrast"),
        but_fr=isin("fr_contrast"),
        complaint1=isin("complaint"),
        q_en=isin("en_q"),
        q_fr=isin("fr_q"),
        starts=pl.col("key").is_in(first_words.implode()),
        pas_jamais=pl.col("key").is_in(["pas", "jamais"]),
        rarely=isin("en_rarely"),
        such=isin("en_such"),
    )
    f = f.with_row_index("kid")
    for lang in ("en", "fr", "und", "learned"):
        sub = lex1.filter(pl.col("lang") == lang).select("term", pl.col("v1").alias(f"v1_{lang}"))
        f = f.join(sub, left_on="key", right_on="term", how="left")
    return f


def _by_lang(prefix: str, und: pl.Expr | None = None) -> pl.Expr:
    e = pl.when(pl.col("is_en")).then(pl.col(f"{prefix}_en")).when(pl.col("is_fr"))
    return e.then(pl.col(f"{prefix}_fr")).otherwise(und)


def _scatter(n: int, idx: pl.Series, values: pl.Series) -> pl.Series:
    """Full-length column, null except at row numbers idx."""
    return pl.repeat(None, n, dtype=values.dtype, eager=True).scatter(idx, values)


def _ngrams(
    ids: pl.Series,
    kid: pl.Series,
    lang: pl.Series,
    keys: pl.Series,
    r: pl.Series,
    n_rows: int,
    lex2: pl.DataFrame,
    lex3: pl.DataFrame,
) -> pl.DataFrame:
    """Bigram/trigram valences and phrase flags for the rows r where a multi-word entry can
    start; one row per element of r, in the same order."""
    sets = _static_sets()
    last = max(n_rows - 1, 0)
    r1 = (r + 1).clip(upper_bound=last)
    r2 = (r + 2).clip(upper_bound=last)
    g = pl.DataFrame(
        {
            "lang": lang.gather(ids.gather(r)),
            "k0": keys.gather(kid.gather(r)),
            "k1": keys.gather(kid.gather(r1)),
            "k2": keys.gather(kid.gather(r2)),
            "same1": (ids.gather(r1) == ids.gather(r)) & (r1 > r),
            "same2": (ids.gather(r2) == ids.gather(r)) & (r2 > r + 1),
        }
    )
    bg = pl.when(pl.col("same1")).then(pl.col("k0") + " " + pl.col("k1"))
    tg = pl.when(pl.col("same2")).then(pl.col("bg") + " " + pl.col("k2"))
    is_fr = pl.col("lang") == "fr"

    def isin(col: str, name: str) -> pl.Expr:
        return pl.col(col).is_in(sets[name].implode()).fill_null(False)

    return (
        g.lazy()
        .with_columns(bg=bg)
        .with_columns(tg=tg)
        .join(lex2.lazy(), left_on=["lang", "bg"], right_on=["lang", "term"], how="left",
              maintain_order="left")
        .join(lex3.lazy(), left_on=["lang", "tg"], right_on=["lang", "term"], how="left",
              maintain_order="left")
        .select(
            "v2",
            "v3",
            q_bg=pl.when(is_fr).then(isin("bg", "fr_q")).otherwise(isin("bg", "en_q")),
            complaint_ng=isin("bg", "complaint") | isin("tg", "complaint"),
            hedge=pl.when(~is_fr & isin("bg", "hedges")).then(
                pl.col("bg").replace_strict(tables.HEDGES, default=None, return_dtype=pl.Float64)
            ),
        )
        .collect()
    )  # fmt: skip


def _sum_per_text(ids: pl.Series, cols: pl.DataFrame, n_texts: int) -> pl.DataFrame:
    """Per-text sums of token-row columns (nulls count 0); one row per text 0..n_texts-1,
    0 where a text has no token rows.

    Token rows are grouped by text already (ids ascending), so segment sums over the runs
    (numpy's reduceat) replace a hash group-by."""
    idn = ids.to_numpy()
    out: dict[str, np.ndarray] = {}
    if idn.size == 0:
        return pl.DataFrame(
            {c: np.zeros(n_texts, dtype=cols[c].to_numpy().dtype) for c in cols.columns}
        )
    starts = np.flatnonzero(np.concatenate(([True], idn[1:] != idn[:-1])))
    present = idn[starts]
    for name in cols.columns:
        sums = np.add.reduceat(cols[name].fill_null(0).to_numpy(), starts)
        full = np.zeros(n_texts, dtype=sums.dtype)
        full[present] = sums
        out[name] = full
    return pl.DataFrame(out)


# Per-text counts are summed as 16-bit fields packed four to a 64-bit word: one gather and
# one segment sum per word instead of per count. A field holds at most 2 per token.
_FIELD_BITS = 16
_MAX_PACKED_TOKENS = (1 << _FIELD_BITS) // 2 - 1


def _count_per_text(
    tok_id: pl.Series, kid: pl.Series, per_token: pl.DataFrame, n_texts: int
) -> pl.DataFrame:
    """Per-text sums of small per-vocabulary counts (per_token: one row per kid, UInt32
    columns of 0, 1 or 2) over the token rows; the same result as _sum_per_text."""
    tid = tok_id.to_numpy()
    longest = int(np.bincount(tid).max()) if tid.size else 0
    if longest > _MAX_PACKED_TOKENS:
        return _sum_per_text(tok_id, per_token.gather(kid), n_texts)
    names = per_token.columns
    groups = [names[i : i + 4] for i in range(0, len(names), 4)]
    rows = kid.to_numpy()
    packed = {}
    for j, group in enumerate(groups):
        word = np.zeros(per_token.height, dtype=np.uint64)
        for k, name in enumerate(group):
            word |= per_token[name].to_numpy().astype(np.uint64) << np.uint64(_FIELD_BITS * k)
        packed[f"w{j}"] = word[rows]
    sums = _sum_per_text(tok_id, pl.DataFrame(packed), n_texts)
    mask = np.uint64((1 << _FIELD_BITS) - 1)
    out = {}
    for j, group in enumerate(groups):
        word = sums[f"w{j}"].to_numpy()
        for k, name in enumerate(group):
            out[name] = ((word >> np.uint64(_FIELD_BITS * k)) & mask).astype(np.uint32)
    return pl.DataFrame(out)


def _in_last_sentence(ends: np.ndarray, tid: np.ndarray, text_first: np.ndarray) -> np.ndarray:
    """Per token row: whether it lies in the last sentence of a text of
    LAST_SENTENCE_MIN_SENTENCES sentences or more (sentence ends: "." "!" "?"; trailing punctuation starts no new sentence)."""
    if tid.size == 0:
        return np.zeros(0, dtype=bool)
    ends = ends.astype(np.int64)
    before = np.cumsum(ends) - ends  # sentence ends before each row, all texts together
    starts = np.flatnonzero(text_first)
    sent = before - np.repeat(before[starts], np.diff(np.append(starts, tid.size)))
    # The last sentence is the one of the text's last word (not of its final punctuation).
    word_sent = np.where(ends == 1, -1, sent)
    last = np.maximum.reduceat(word_sent, starts)
    last_row = np.repeat(last, np.diff(np.append(starts, tid.size)))
    return (sent == last_row) & (last_row >= LAST_SENTENCE_MIN_SENTENCES - 1)


def _in_last_sentence_at(
    ends: np.ndarray, tid: np.ndarray, text_first: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """_in_last_sentence(ends, tid, text_first)[rows], computed for those rows only: six
    32-bit passes over all rows instead of a dozen 64-bit ones, the rest on the rows asked."""
    if rows.size == 0:
        return np.zeros(0, dtype=bool)
    ends32 = ends.astype(np.int32)
    cum = np.cumsum(ends32, dtype=np.int32)  # sentence ends up to each row, all texts
    starts = np.flatnonzero(text_first)
    text = tid[starts]
    n_texts = int(text.max()) + 1
    # Sentence ends before each text's first row, and the row of its last word (-1: none).
    base = np.zeros(n_texts, dtype=np.int32)
    base[text] = cum[starts] - ends32[starts]
    word_row = np.where(ends32 == 0, np.arange(ends32.size, dtype=np.int32), np.int32(-1))
    last_word = np.full(n_texts, -1, dtype=np.int32)
    last_word[text] = np.maximum.reduceat(word_row, starts)
    # The sentence of each text's last word (a word has no end before itself in its row).
    last = np.where(last_word >= 0, cum[np.maximum(last_word, 0)] - base, -1)
    t = tid[rows]
    sent = cum[rows] - ends32[rows] - base[t]
    return (sent == last[t]) & (last[t] >= LAST_SENTENCE_MIN_SENTENCES - 1)


def _score_unique(texts: pl.Series, parts: LexiconParts) -> pl.DataFrame:
    lex1, lex2, lex3, first_words = parts
    n_texts = texts.len()
    tok_id, kid, vocab = tokens(texts, lex1, first_words)
    feats = vocab.drop("tok", "low", "key")  # row number = kid
    n_rows = tok_id.len()

    # ---- language per text (vote first, model only for the ambiguous ones)
    ids = pl.arange(0, n_texts, eager=True, dtype=pl.UInt32)
    per_token = feats.select(
        n_words=pl.col("is_alpha").cast(pl.UInt32),
        en_fw="en_fw",
        fr_fw="fr_fw",
        other_fw="other_fw",
        en_lex="en_lex",
        fr_lex="fr_lex",
        n_caps=(pl.col("is_caps") & pl.col("is_alpha")).cast(pl.UInt32),
        n_excl="n_excl",
        n_q="n_q",
    )
    counts = _count_per_text(tok_id, kid, per_token, n_texts)
    # The learned English lexicon: a linear score over every token of the text.
    learned_sum = _sum_per_text(
        tok_id, pl.DataFrame({"learned": feats["v1_learned"].fill_null(0.0).gather(kid)}), n_texts
    )
    # The intercept (the training set's share of positive comments) is left out: a text
    # with no known word stays at 0.
    has_weights = lex1.filter(pl.col("lang") == "learned").height > 0
    votes = pl.DataFrame({"id": ids, "text": texts}).hstack(counts.drop("n_excl", "n_q"))
    lang_s = langid.decide(votes)

    # ---- n-grams: strings are built only where a multi-word entry can start and the next
    # token of the same text is the second word of some entry (a small share of the rows).
    second = vocab["key"].is_in(_second_words(lex2, lex3).implode())
    r = feats["starts"].gather(kid).arg_true()
    r1 = (r + 1).clip(upper_bound=max(n_rows - 1, 0))
    r = r.filter(second.gather(kid.gather(r1)) & (tok_id.gather(r1) == tok_id.gather(r)) & (r1 > r))
    grams = _ngrams(tok_id, kid, lang_s, vocab["key"], r, n_rows, lex2, lex3)

    # ---- the rules only look at tokens that carry something (a valence, a booster, a
    # negation, a contrast, a phrase...): about a fifth of the rows. The others are
    # dropped; "g" keeps each row's position so windows still count distances, and each
    # kept row takes its clause number from a count of punctuation over all rows.
    relevant = feats.select(
        pl.any_horizontal(
            pl.col("v1_en", "v1_fr", "v1_und", "boost_en", "boost_fr").is_not_null(),
            pl.col("neg_en", "neg_fr", "but_en", "but_fr"),
            pl.col("complaint1", "q_en", "q_fr", "pas_jamais", "n_prefix", "such"),
        )
    ).to_series()
    kr = relevant.gather(kid).scatter(r, True).arg_true()  # n-gram starts are kept too
    tid, kept_rows = tok_id.to_numpy(), kr.to_numpy()
    text_first = np.concatenate(([True], tid[1:] != tid[:-1])) if n_rows else np.zeros(0, bool)
    kid_np = kid.to_numpy()
    clause = np.cumsum(feats["is_clause_end"].to_numpy()[kid_np], dtype=np.uint32)
    ends = feats["is_sentence_end"].to_numpy()[kid_np]
    in_last = _in_last_sentence_at(ends, tid, text_first, kept_rows)
    kept_id = tok_id.gather(kr)
    at = kr.search_sorted(r)  # r is a subset of kr: where each n-gram start landed
    n_kept = kr.len()
    window_cols = feats.select(
        "is_caps", "elongated", "n_prefix", "boost_en", "boost_fr", "neg_en", "neg_fr",
        "but_en", "but_fr", "complaint1", "q_en", "q_fr", "pas_jamais", "v1_en", "v1_fr",
        "v1_und", "rarely", "such", "v1_learned",
    )  # fmt: skip
    t = window_cols.gather(kid.gather(kr)).with_columns(
        id=kept_id,
        g=kr.cast(pl.Int64),
        first=pl.Series(text_first[kept_rows], dtype=pl.Boolean),
        clause=pl.Series(clause[kept_rows], dtype=pl.UInt32),
        in_last=pl.Series(in_last, dtype=pl.Boolean),
        is_en=(lang_s == "en").gather(kept_id),
        is_fr=(lang_s == "fr").gather(kept_id),
        v2=_scatter(n_kept, at, grams["v2"]),
        v3=_scatter(n_kept, at, grams["v3"]),
        q_bg=_scatter(n_kept, at, grams["q_bg"]),
        complaint_ng=_scatter(n_kept, at, grams["complaint_ng"]),
        hedge=_scatter(n_kept, at, grams["hedge"]),
    )

    # Previous/next kept rows of the same text and their distance in tokens, computed once
    # and reused by every window (a window of 3 tokens holds at most 3 kept rows).
    idc, gc = pl.col("id"), pl.col("g")
    lf = t.lazy().with_columns(
        *[(idc.shift(k) == idc).alias(f"s{k}") for k in (1, 2, 3)],
        *[(gc - gc.shift(k)).alias(f"d{k}") for k in (1, 2, 3)],
        n1=((idc.shift(-1) == idc) & (gc.shift(-1) - gc == 1)).fill_null(False),
        first_kept=~(idc.shift(1) == idc).fill_null(False),
    )

    def prev(col: str, k: int, max_dist: int = 3) -> pl.Expr:
        near = pl.col(f"s{k}") & (pl.col(f"d{k}") <= max_dist)
        return pl.when(near).then(pl.col(col).shift(k))

    is_fr = pl.col("is_fr")
    hit3 = pl.col("v3").is_not_null()
    lf = lf.with_columns(hit3=hit3, hit2=pl.col("v2").is_not_null() & ~hit3)
    # "rarely/seldom/never" followed by "such"/"so" is emphasis, not negation ("I have
    # rarely experienced such courtesy", "never been so disappointed").
    such_next = pl.any_horizontal(
        (
            (pl.col("id").shift(-k) == pl.col("id"))
            & (pl.col("g").shift(-k) - pl.col("g") <= 2)
            & pl.col("such").shift(-k)
        ).fill_null(False)
        for k in (1, 2)
    )
    emphatic = pl.col("is_en") & pl.col("rarely") & such_next
    # A trigram covers the next two tokens, a bigram the next one.
    covered = (
        prev("hit3", 1, 2).fill_null(False)
        | prev("hit3", 2, 2).fill_null(False)
        | prev("hit2", 1, 1).fill_null(False)
    )
    lf = lf.with_columns(
        covered=covered,
        in_ngram=pl.col("hit3") | pl.col("hit2") | covered,
        # A multi-word hedge ("kind of") dampens like a single-word dampener.
        boost=pl.coalesce(pl.col("hedge"), _by_lang("boost")),
        neg_word=_by_lang("neg", pl.lit(False)),
        is_but=_by_lang("but", pl.lit(False)),
        v1=_by_lang("v1", pl.col("v1_und")),
    )
    lf = lf.with_columns(
        val=pl.when(pl.col("hit3"))
        .then(pl.col("v3"))
        .when(pl.col("hit2"))
        .then(pl.col("v2"))
        .when(pl.col("covered"))
        .then(None)
        .otherwise(pl.col("v1")),
        is_neg=pl.col("neg_word") & ~pl.col("in_ngram") & ~emphatic,
    )
    # A booster that precedes a sentiment word only boosts ("super content"): its own
    # valence would count the emphasis twice.
    next_has_val = (pl.col("n1") & pl.col("val").shift(-1).is_not_null()).fill_null(False)
    lf = lf.with_columns(
        val=pl.when(pl.col("boost").is_not_null() & next_has_val & ~pl.col("in_ngram"))
        .then(None)
        .otherwise(pl.col("val"))
    )
    # Text-level flag broadcast with gather on the text id: some but not all words in capitals.
    mixed = ((votes["n_caps"] > 0) & (votes["n_caps"] < votes["n_words"])).gather(kept_id)
    lf = lf.with_columns(mixed=mixed)

    sgn = pl.col("val").sign()
    # A booster's weight decays with its distance to the word.
    decay = [
        pl.when(pl.col(f"d{k}") == 1)
        .then(BOOSTER_DECAY[0])
        .when(pl.col(f"d{k}") == 2)
        .then(BOOSTER_DECAY[1])
        .otherwise(BOOSTER_DECAY[2])
        for k in (1, 2, 3)
    ]
    boost_sum = pl.sum_horizontal(
        (prev("boost", k) * decay[k - 1]).fill_null(0.0) for k in (1, 2, 3)
    )
    negated_before = pl.any_horizontal(
        (prev("is_neg", k) & (pl.col("clause").shift(k) == pl.col("clause"))).fill_null(False)
        for k in (1, 2, 3)
    )
    # French colloquial negation without "ne": "j'aime pas", "je recommande jamais".
    negated_after = (
        is_fr & pl.col("n1") & pl.col("pas_jamais").shift(-1) & ~pl.col("in_ngram").shift(-1)
    ).fill_null(False)
    self_neg = is_fr & pl.col("n_prefix")
    v = pl.col("val") + sgn * boost_sum
    v = v + pl.when(pl.col("is_caps") & pl.col("mixed")).then(sgn * CAPS_INCREMENT).otherwise(0.0)
    v = v + pl.when(pl.col("elongated")).then(sgn * ELONGATION_INCREMENT).otherwise(0.0)
    negated = (negated_before | negated_after | self_neg) & ~pl.col("in_ngram")
    v = pl.when(negated).then(v * NEGATION_SCALAR).otherwise(v)

    # Contrast: number of contrast words up to this token within its text, via a global
    # cumulative sum minus its value at the text's first kept row.
    but_cum = pl.col("is_but").cum_sum()
    after_but = (
        but_cum - pl.when(pl.col("first_kept")).then(but_cum - pl.col("is_but")).forward_fill()
    ) > 0
    verdict = pl.when(pl.col("in_last")).then(LAST_SENTENCE_WEIGHT).otherwise(1.0)
    q_first = pl.when(is_fr).then(pl.col("q_fr")).otherwise(pl.col("q_en")) | pl.col("q_bg")
    complaint_tok = pl.col("complaint1") | pl.col("complaint_ng")
    rows = (
        lf.with_columns(v=(v * verdict).fill_null(0.0), after_but=after_but)
        .select(
            s_before=pl.when(~pl.col("after_but")).then(pl.col("v")).otherwise(0.0),
            s_after=pl.when(pl.col("after_but") & ~pl.col("is_but"))
            .then(pl.col("v"))
            .otherwise(0.0),
            n_but=pl.col("is_but").cast(pl.UInt32),
            n_hits=pl.col("val").is_not_null().cast(pl.UInt32),
            q_open=(pl.col("first") & q_first.fill_null(False)).cast(pl.UInt32),
            complaint=complaint_tok.cast(pl.UInt32),
            # The learned weights know neither phrases nor negation: the words of a phrase
            # the rules know ("no fun", "can't wait") leave it, and a negated lexicon word's
            # learned weight is flipped like its valence ("don't like").
            learned_neg=pl.when(pl.col("is_en") & pl.col("in_ngram"))
            .then(-pl.col("v1_learned").fill_null(0.0))
            .when(pl.col("is_en") & negated)
            .then((NEGATION_SCALAR - 1.0) * pl.col("v1_learned").fill_null(0.0))
            .otherwise(0.0),
        )
        .collect()
    )
    sums = _sum_per_text(kept_id, rows, n_texts).hstack(counts.select("n_excl", "n_q"))
    sums = sums.hstack(learned_sum).with_columns(pl.col("learned") + pl.col("learned_neg"))
    a = (
        pl.DataFrame({"id": ids, "text": texts, "lang": lang_s})
        .hstack(sums)
        .with_columns(pl.col("q_open", "complaint") > 0)
    )
    total = (
        pl.when(pl.col("n_but") > 0)
        .then(CONTRAST_BEFORE * pl.col("s_before") + CONTRAST_AFTER * pl.col("s_after"))
        .otherwise(pl.col("s_before"))
    )
    emph = pl.min_horizontal(pl.col("n_excl"), pl.lit(EXCLAMATION_CAP)) * EXCLAMATION_INCREMENT
    total = total + total.sign() * emph
    alpha = pl.when(pl.col("lang") == "fr").then(pl.lit(FR_ALPHA)).otherwise(pl.lit(ALPHA))
    compound = (total / (total * total + alpha).sqrt()).clip(-1.0, 1.0)
    # English: the rules stacked with the learned lexicon (blend chosen on the tuning halves).
    learned_pol = pl.col("learned").clip(-1.0, 1.0) * LEARNED_SCALE
    has_learned = pl.lit(has_weights) & (pl.col("lang") == "en")
    compound = (
        pl.when(has_learned)
        .then((1.0 - LEARNED_WEIGHT) * compound + LEARNED_WEIGHT * learned_pol)
        .otherwise(compound)
        .clip(-1.0, 1.0)
    )
    # Other languages (and "und") are scored on their emojis and emoticons only, which read
    # the same in every language: "Recibí mis zapatillas 😍" is positive.
    scored = pl.col("lang").is_in(["en", "fr"]) | (pl.col("n_hits") > 0)
    a = a.with_columns(scored=scored).with_columns(
        polarity=pl.when(pl.col("scored")).then(compound).otherwise(0.0)
    )
    return a.select(
        "text",
        "polarity",
        label=label_from_polarity(pl.col("polarity"), pl.col("lang")),
        lang="lang",
        scored="scored",
        is_complaint=pl.col("complaint")
        & pl.col("scored")
        & (pl.col("polarity") < COMPLAINT_MAX_POLARITY),
        is_question=(pl.col("n_q") > 0) | pl.col("q_open"),
    )


__all__ = [
    "SCORER_VERSION",
    "LexiconParts",
    "Tokens",
    "base_parts",
    "label_from_polarity",
    "normalise",
    "score",
    "text_key",
    "tokens",
]
