"""Behaviour of the sentiment engine on small hand-written comments."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import trustdash.sentiment as sentiment
from trustdash.sentiment import OUTPUT_SCHEMA, label_from_polarity, normalise, score, text_key


def pol(text: str, **kw: object) -> float:
    return score([text], **kw)["polarity"][0]  # type: ignore[arg-type]


def row(text: str, **kw: object) -> dict[str, object]:
    return score([text], **kw).row(0, named=True)  # type: ignore[arg-type]


def test_schema_and_empty_inputs() -> None:
    for empty in ([], pl.Series("t", [], dtype=pl.String)):
        out = score(empty)
        assert out.height == 0
        assert dict(out.schema) == OUTPUT_SCHEMA
    out = score([None, "", "   "])
    assert dict(out.schema) == OUTPUT_SCHEMA
    assert out["scored"].to_list() == [False, False, False]
    assert out["polarity"].to_list() == [0.0, 0.0, 0.0]
    assert out["label"].to_list() == ["neutral"] * 3
    assert out["lang"].to_list() == ["und"] * 3


def test_order_preserved_with_duplicates() -> None:
    texts = ["I love it", "I hate it", None, "I love it", "c'est nul", "I hate it"]
    out = score(texts)
    assert out.height == len(texts)
    labels = out["label"].to_list()
    assert labels == ["positive", "negative", "neutral", "positive", "negative", "negative"]
    assert out["polarity"][0] == out["polarity"][3]


def test_english_negation_and_curly_apostrophe() -> None:
    assert pol("I like it") > 0
    assert row("I don't like it")["label"] == "negative"
    assert row("I don\u2019t like it")["label"] == "negative"


def test_french_negation_and_idioms() -> None:
    assert row("je suis content")["label"] == "positive"
    assert row("je ne suis pas content")["label"] == "negative"
    assert row("pas terrible")["label"] == "negative"
    assert row("c'est pas terrible du tout")["label"] == "negative"
    assert pol("ce n'est pas mal") >= 0
    assert row("j'aime pas ce produit")["label"] == "negative"
    assert row("trop cher")["label"] == "negative"
    assert row("au top")["label"] == "positive"


def test_intensifiers_dampeners_caps_exclamation() -> None:
    base = pol("the service is good")
    assert pol("the service is very good") > base
    assert pol("the service is slightly good") < base
    assert pol("the service is GOOD") > base
    assert pol("the service is good!!!") > pol("the service is good!") > base
    # French boosters
    assert pol("le service est vraiment bien") > pol("le service est bien")


def test_contrast_and_elongation() -> None:
    assert row("good but terrible service")["label"] == "negative"
    assert row("terrible wait but great service")["polarity"] > 0  # type: ignore[operator]
    assert pol("it is soooo good") > pol("it is good")
    assert pol("it is goooood") > pol("it is good")
    assert pol("c'est troooop bien") > pol("c'est bien")


def test_emoji_and_emoticons() -> None:
    assert row("😡")["label"] == "negative"
    assert row("😍")["label"] == "positive"
    assert row("😍")["scored"] is True
    assert pol("my order 😡") < 0
    assert pol("arrived today :)") > 0


def test_brand_neutralisation() -> None:
    assert pol("United") > 0  # "united" is positive in VADER's lexicon
    assert pol("United", brand_terms=["United"]) == 0.0
    assert pol("#United", brand_terms=["united"]) == 0.0
    assert pol("@united thanks", brand_terms=["United"]) == pol("thanks")
    # Every word counts in the learned lexicon: the comparison text holds the same words.
    assert pol("Free is a united family", brand_terms=["Free", "United"]) == pol("is a family")
    # Whole word only: "unitedly" is not the brand.
    assert "unitedly" in normalise(pl.Series(["unitedly"]), ["United"])[0]


def test_normalise_hygiene() -> None:
    out = normalise(
        pl.Series(["Look https://t.co/x @bob &amp; \u201cok\u201d<br/>I don\u2019t", None])
    ).to_list()
    assert out[1] is None
    text = out[0]
    assert "https" not in text and "@bob" not in text
    assert "&amp;" not in text and "<br" not in text
    assert "don't" in text and '"ok"' in text
    # Handles and URLs carry no polarity.
    assert pol("@happy https://great.example.com/love") == 0.0


def test_complaints() -> None:
    assert row("Still waiting for my refund")["is_complaint"] is True
    assert row("flight delayed 3 hours")["is_complaint"] is True
    assert row("colis jamais reçu")["is_complaint"] is True
    assert row("toujours pas de remboursement, c'est une arnaque")["is_complaint"] is True
    assert row("Super happy with the refund, thank you team")["is_complaint"] is False
    assert row("I love this brand")["is_complaint"] is False
    assert row("colis jamais reçu")["label"] == "negative"


def test_questions() -> None:
    assert row("How do I reset my password")["is_question"] is True
    assert row("is it available in blue?")["is_question"] is True
    assert row("Pourquoi mon colis n'est pas arrivé")["is_question"] is True
    assert row("Est-ce que la livraison est gratuite")["is_question"] is True
    assert row("Great product, thanks")["is_question"] is False
    assert row("Super produit, merci")["is_question"] is False


def test_language_routing() -> None:
    out = score(
        [
            "The delivery was late and the support never answered",
            "Le colis est arrivé en retard et le service client ne répond pas",
            "El paquete llegó tarde y el servicio no responde nunca",
        ]
    )
    assert out["lang"].to_list()[:2] == ["en", "fr"]
    assert out["lang"][2] not in ("en", "fr", "und")
    assert out["scored"].to_list() == [True, True, False]
    assert out["polarity"][2] == 0.0
    # Same word, routed to the lexicon of the text's language.
    assert row("terrible, vraiment pas terrible")["lang"] == "fr"


def test_lexicon_overrides() -> None:
    assert pol("we got the widget") == 0.0
    assert pol("the new widget", lexicon_overrides={"widget": 0.8}) > 0
    assert pol("this is sick", lexicon_overrides={"sick": 1.0}) > 0 > pol("this is sick")
    assert pol("mega deal", lexicon_overrides={"mega deal": -0.5}) < 0
    with pytest.raises(ValueError):
        score(["x"], lexicon_overrides={"x": 3.0})


def test_text_key() -> None:
    s = pl.Series(["Great  service @bob", "Great service @alice", "other"])
    k1 = text_key(s)
    assert k1.dtype == pl.String
    assert k1[0] == k1[1]  # same once normalised
    assert k1[0] != k1[2]
    assert text_key(s).to_list() == k1.to_list()
    assert text_key(s, overrides_version="v2")[0] != k1[0]
    old = sentiment.engine.SCORER_VERSION
    try:
        sentiment.engine.SCORER_VERSION = old + "-test"
        assert text_key(s)[0] != k1[0]
    finally:
        sentiment.engine.SCORER_VERSION = old


def test_text_key_stable_across_processes() -> None:
    import subprocess
    import sys

    code = (
        "import polars as pl; from trustdash.sentiment import text_key;"
        "print(text_key(pl.Series(['Hello world']))[0])"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == text_key(pl.Series(["Hello world"]))[0]


def test_label_from_polarity() -> None:
    df = pl.DataFrame({"p": [-0.9, 0.0, 0.9]})
    assert df.select(label_from_polarity(pl.col("p")).alias("l"))["l"].to_list() == [
        "negative",
        "neutral",
        "positive",
    ]


def test_many_texts_vectorised() -> None:
    from trustdash.bench.sentiment import make_comments

    texts = make_comments(20_000)
    out = score(texts)
    assert out.height == 20_000
    assert out["scored"].mean() > 0.9  # type: ignore[operator]
    assert set(out["lang"].unique()) >= {"en", "fr"}
    assert out["polarity"].is_between(-1.0, 1.0).all()


def test_nfkc_skip_is_safe() -> None:
    """Texts made only of characters outside NEEDS_NFKC_RE skip NFKC: NFKC must not change
    any of those characters."""
    import re
    import unicodedata

    from trustdash.sentiment.engine import NEEDS_NFKC_RE

    needs = re.compile(NEEDS_NFKC_RE)
    for cp in range(0x1FB00):
        c = chr(cp)
        if not needs.match(c) and not 0xD800 <= cp <= 0xDFFF:
            assert unicodedata.normalize("NFKC", c) == c, hex(cp)
            # a mark would combine with the character before it
            assert unicodedata.category(c)[0] != "M" or c == "\ufe0f", hex(cp)
    out = normalise(pl.Series(["\ufb01ne \u00bd", "plain", "e\u0301t\u00e9 \U0001f60d"]))
    assert out.to_list() == ["fine 1\u20442", "plain", "\u00e9t\u00e9 \U0001f60d"]


def test_other_languages_scored_on_emojis_only() -> None:
    out = row("Hoy me llegó el pedido con el regalo 😍")
    assert out["lang"] not in ("en", "fr", "und")
    assert out["scored"] is True and out["label"] == "positive"
    assert row("El paquete llegó tarde y el servicio no responde nunca")["scored"] is False


def test_all_caps_french_and_broken_product() -> None:
    caps = row("LIVRAISON NULLE, AUCUN SUIVI DU COLIS")
    assert caps["lang"] == "fr" and caps["label"] == "negative"
    assert row("Mon téléphone ne fonctionne plus depuis hier")["label"] == "negative"
    assert row("the app doesn't work since the update")["label"] == "negative"


_HYGIENE_ALPHABET = list("ab Zé!?#@.:/_&;<>\t\n'\"`") + [
    "\u2019", "\u201c", "\u00ab", "\u00a0", "\ufe0f", "\u200d", "\U0001f3fd", "\U0001f44d",
    "\ufb01", "\uff20", "\u2026", "\u2009", "\u00bb", "\U0001f1eb", "http://", "www.", "&amp;", "<br>", "Lumen", "  ",
]  # fmt: skip


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.none(), st.lists(st.sampled_from(_HYGIENE_ALPHABET), max_size=12).map("".join)
        ),
        max_size=30,
    ),
    st.sampled_from([(), ("Lumen",), ("Maison Lumen", "Lumen")]),
)
def test_normalise_skips_only_texts_no_step_changes(
    texts: list[str | None], brands: tuple[str, ...]
) -> None:
    """normalise() rewrites only the texts its pre-check flags; the result must equal every
    hygiene step applied to every text."""
    from trustdash.sentiment import engine

    s = pl.Series("t", texts, dtype=pl.String)
    full = engine._nfkc(pl.select(engine._html_expr(pl.lit(s))).to_series())
    full = pl.select(engine._clean_expr(pl.lit(full), brands)).to_series()
    assert normalise(s, brands).to_list() == full.to_list()


def test_sum_per_text_segments() -> None:
    from trustdash.sentiment.engine import _sum_per_text

    ids = pl.Series([0, 0, 2, 2, 2, 3], dtype=pl.UInt32)
    cols = pl.DataFrame(
        {
            "n": pl.Series([1, 2, None, 4, 5, 6], dtype=pl.UInt32),
            "v": [0.5, -1.0, 2.0, 0.0, 1.0, 3.0],
        }
    )
    out = _sum_per_text(ids, cols, 5)
    assert out["n"].to_list() == [3, 0, 9, 6, 0]  # text 1 and 4 have no token rows; null = 0
    assert out["v"].to_list() == [-0.5, 0.0, 3.0, 3.0, 0.0]
    empty = _sum_per_text(pl.Series([], dtype=pl.UInt32), cols.clear(), 2)
    assert empty["n"].to_list() == [0, 0]


def test_distinct_codes_both_paths() -> None:
    from trustdash.sentiment.engine import _distinct_codes, _distinct_codes_by_join

    values = pl.Series(["b", "a", "b", "", "c", "a", "é", "b"])
    for fn in (_distinct_codes, _distinct_codes_by_join):
        codes, distinct = fn(values)
        assert distinct.gather(pl.Series(codes)).to_list() == values.to_list()
        assert sorted(distinct.to_list()) == ["", "a", "b", "c", "é"]
    codes, distinct = _distinct_codes(pl.Series([], dtype=pl.String))
    assert codes.size == 0


def test_language_vote_with_a_clear_lexicon_lead(monkeypatch: pytest.MonkeyPatch) -> None:
    """One function word plus a lead of lexicon words decides without the model."""
    from trustdash.sentiment import lang

    calls: list[int] = []
    real = lang._predict

    def counting(texts: list[str]) -> list[tuple[str, float]]:
        calls.append(len(texts))
        return real(texts)

    monkeypatch.setattr(lang, "_predict", counting)
    out = score(
        [
            "hyper nul ce service, bof",
            "super decent app, what a joke",
            "lovely pics Lyon",
            # "es" is also Spanish: outvoted by the French function words
            "tu es vraiment le pire service que je connaisse et je ne le recommande pas",
        ]
    )
    assert out["lang"].to_list() == ["fr", "en", "en", "fr"]
    assert sum(calls) == 0


def test_parallel_parts_agree_with_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hygiene and chunk numbering run per part on polars' threads; cut into three parts,
    they must give what one pass gives."""
    from trustdash.sentiment import engine

    texts = pl.Series(
        ["Super  top ! @marque", "nul\tnul", "I don’t like it &amp; 👍🏽", "", "www.x.fr ok"] * 7
    )
    one_norm = normalise(texts)
    one_counts, one_codes, one_distinct = engine._chunk_codes(one_norm)

    def three(s: pl.Series, min_size: int = 0) -> list[pl.Series]:
        k = s.len() // 3
        return [s.slice(0, k), s.slice(k, k), s.slice(2 * k)]

    monkeypatch.setattr(engine, "_parts", three)
    assert normalise(texts).to_list() == one_norm.to_list()
    counts, codes, distinct = engine._chunk_codes(one_norm)
    assert counts.tolist() == one_counts.tolist()
    chunks = distinct.gather(pl.Series(codes)).to_list()
    assert chunks == one_distinct.gather(pl.Series(one_codes)).to_list()
    assert chunks == one_norm.str.split(" ").explode().to_list()


def test_threaded_pieces_are_not_cut_again_into_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A piece scored on its own thread beside another leaves polars' threads to the pieces
    (one part each on two cores); outside the pieces, parts follow polars' threads again."""
    from trustdash.sentiment import engine

    monkeypatch.setattr(engine, "THREAD_MIN_TEXTS", 2)
    monkeypatch.setattr(engine.pl, "thread_pool_size", lambda: 2)
    seen: list[int] = []
    real = engine._score_texts

    def counting(rows: pl.Series, *args: object) -> pl.DataFrame:
        seen.append(len(engine._parts(rows, 1)))
        return real(rows, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_score_texts", counting)
    texts = ["I love it", "c'est nul", "ok then", "bof"] * 3
    score(texts)
    assert seen == [1, 1]
    assert len(engine._parts(pl.Series(texts), 1)) == 2
    # polars held to one thread (the command line): the pieces still use both cores.
    monkeypatch.setattr(engine.pl, "thread_pool_size", lambda: 1)
    monkeypatch.setattr(engine, "_cores", lambda: 2)
    assert len(engine._thread_pieces(pl.Series(texts))) == 2
    monkeypatch.setattr(engine, "_cores", lambda: 1)
    assert len(engine._thread_pieces(pl.Series(texts))) == 1


def test_threaded_pieces_score_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large batches are scored in pieces on two threads; the scores, languages and flags
    must be exactly those of a single pass, in input order, nulls and repeats included."""
    from trustdash.sentiment import engine

    texts = [
        "I love it!!", "c'est nul, jamais reçu", None, "NOT good at all", "Recibí 😍",
        "", "bof… pas terrible", "I love it!!", "ok", "Still waiting for my refund",
    ] * 5  # fmt: skip
    monkeypatch.setattr(engine, "THREAD_MIN_TEXTS", 10**9)
    one_pass = score(texts, brand_terms=["Orange"])
    monkeypatch.setattr(engine, "THREAD_MIN_TEXTS", 2)
    pieces: list[int] = []
    real = engine._score_texts

    def counting(rows: pl.Series, *args: object) -> pl.DataFrame:
        pieces.append(rows.len())
        return real(rows, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_score_texts", counting)
    threaded = score(texts, brand_terms=["Orange"])
    # Repeats are common here, so the pieces are cut from the 8 distinct non-empty texts.
    assert len(pieces) == engine.SCORE_THREADS
    assert sum(pieces) == 8
    assert threaded.equals(one_pass)


@pytest.mark.parametrize("min_repeats", [0.0, 1.0])
def test_scores_with_and_without_deduplication(
    monkeypatch: pytest.MonkeyPatch, min_repeats: float
) -> None:
    """Distinct texts are scored once when repeats are common, every text is scored when
    they are rare; both must give the same rows in input order."""
    from trustdash.sentiment import engine

    texts = [
        "I love it", None, "c'est nul", "I love it", "see http://a.b/1 bad", "",
        "see http://a.b/2 bad", "pas terrible 😡", None, "c'est nul",
    ]  # fmt: skip
    expected = [score([t])[0].row(0) if t is not None else None for t in texts]
    monkeypatch.setattr(engine, "MIN_REPEATS", min_repeats)
    out = score(texts)
    for got, want in zip(out.iter_rows(), expected, strict=True):
        if want is not None:
            assert got == want
        else:
            assert got[1:4] == ("neutral", "und", False)


def test_scores_without_categorical_numbering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Distinct texts and chunks are numbered through categoricals; when that numbering is
    not usable, the slower join path must give the same scores."""
    from trustdash.sentiment import engine

    texts = ["I love it", "c'est nul", "I love it", None, "pas terrible 😡", "", "nul nul"]
    expected = score(texts)
    monkeypatch.setattr(engine, "_categorical_codes", lambda as_cat: None)
    assert score(texts).equals(expected)


def test_packed_counts_match_plain_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustdash.sentiment import engine

    per_token = pl.DataFrame(
        {f"c{i}": pl.Series([(i + k) % 3 for k in range(6)], dtype=pl.UInt32) for i in range(9)}
    )
    tok_id = pl.Series([0, 0, 0, 2, 2, 3, 3, 3, 3], dtype=pl.UInt32)
    kid = pl.Series([5, 1, 1, 0, 2, 3, 4, 5, 5], dtype=pl.UInt32)
    plain = engine._sum_per_text(tok_id, per_token.gather(kid), 5)
    assert engine._count_per_text(tok_id, kid, per_token, 5).equals(plain)
    monkeypatch.setattr(engine, "_MAX_PACKED_TOKENS", 1)  # texts too long to pack
    assert engine._count_per_text(tok_id, kid, per_token, 5).equals(plain)


def test_last_sentence_of_the_rows_asked_equals_the_plain_rule() -> None:
    """_in_last_sentence_at (kept rows only, 32-bit) against _in_last_sentence on every row."""
    import numpy as np

    from trustdash.sentiment import engine

    rng = np.random.default_rng(5)
    for _ in range(200):
        lengths = rng.integers(1, 14, size=rng.integers(1, 8))
        # Texts without token rows (ids skipped) and texts made of sentence ends only.
        ids = np.cumsum(rng.integers(1, 3, size=lengths.size)) - 1
        tid = np.repeat(ids, lengths).astype(np.uint32)
        ends = rng.random(tid.size) < rng.choice([0.0, 0.3, 0.6, 1.0])
        first = np.concatenate(([True], tid[1:] != tid[:-1]))
        rows = np.flatnonzero(rng.random(tid.size) < 0.5)
        plain = engine._in_last_sentence(ends, tid, first)[rows]
        assert np.array_equal(engine._in_last_sentence_at(ends, tid, first, rows), plain)
    texts = ["One. Two. Three is the verdict", "A. B! C? trailing ends. ! !", "no end", "."]
    tok_id, kid, vocab = engine.tokens(pl.Series(texts), *engine.base_parts()[::3])
    ends = vocab["is_sentence_end"].to_numpy()[kid.to_numpy()]
    tid = tok_id.to_numpy()
    first = np.concatenate(([True], tid[1:] != tid[:-1]))
    every = np.arange(tid.size)
    got = engine._in_last_sentence_at(ends, tid, first, every)
    assert np.array_equal(got, engine._in_last_sentence(ends, tid, first)) and got.any()


def test_categorical_codes_in_any_numbering_order() -> None:
    """Codes in first-appearance order take the fast path; a set numbered in another order
    (values seen before) still maps every value back to its string."""
    from trustdash.sentiment.engine import _categorical_codes

    fresh = pl.Series(["b", "a", "b", "c"]).cast(pl.Categorical(pl.Categories.random()))
    codes, distinct = _categorical_codes(fresh)  # type: ignore[misc]
    assert distinct.gather(pl.Series(codes)).to_list() == ["b", "a", "b", "c"]
    cats = pl.Categories.random()
    seen_before = pl.Series(["c", "b", "a"]).cast(pl.Categorical(cats))
    assert seen_before.len() == 3  # keeps the set alive and numbered c=0, b=1, a=2
    reordered = pl.Series(["a", "b", "c", "a"]).cast(pl.Categorical(cats))
    out = _categorical_codes(reordered)
    assert out is not None
    assert out[1].gather(pl.Series(out[0])).to_list() == ["a", "b", "c", "a"]
    # A set holding values the column lacks has codes beyond 0..k-1: no codes, so the
    # caller takes the join path.
    assert _categorical_codes(pl.Series(["a", "b", "a"]).cast(pl.Categorical(cats))) is None


# --------------------------------------------------------------------------- table cache


def _clear_tables() -> None:
    """Empties the in-process table caches, as in a new process."""
    from trustdash.sentiment import engine

    for fn in (engine._tables, engine._static_sets, engine._boosters, engine.base_parts,
               engine._needs_nfkc):  # fmt: skip
        fn.cache_clear()


TEXTS = ["I love it", "this is not good at all", "c'est vraiment nul", "ｆｕｌｌ width :)", None]


def test_tables_built_once_then_read_from_the_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    from trustdash.sentiment import engine

    expected = score(TEXTS)
    _clear_tables()
    monkeypatch.setenv("TRUSTDASH_CACHE_DIR", str(tmp_path))
    built = score(TEXTS)
    folders = list(Path(str(tmp_path)).glob("sentiment-*"))
    assert len(folders) == 1 and (folders[0] / "tables.txt").is_file()
    assert built.equals(expected)
    # A new process (caches cleared) reads the folder and never builds.
    _clear_tables()

    def no_build() -> None:
        raise AssertionError("tables rebuilt despite the cache")

    monkeypatch.setattr(engine, "_build_tables", no_build)
    try:
        assert score(TEXTS).equals(expected)
    finally:
        _clear_tables()


def test_cache_key_follows_the_scorer_version() -> None:
    from trustdash.sentiment import tablecache

    assert tablecache.cache_key("1.0") == tablecache.cache_key("1.0")
    assert tablecache.cache_key("1.0") != tablecache.cache_key("1.1")


def _cache_folder(root: object, name: str, age_s: float) -> object:
    """A folder of our naming under root whose manifest was last stamped age_s ago."""
    import os
    import time
    from pathlib import Path

    folder = Path(str(root)) / name
    folder.mkdir()
    (folder / "tables.txt").write_text("t", encoding="utf-8")
    (folder / "t.arrow").write_bytes(b"x")
    then = time.time() - age_s
    os.utime(folder / "tables.txt", (then, then))
    os.utime(folder, (then, then))
    return folder


def test_stale_cache_folders_of_other_keys_are_removed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    import polars as pl

    from trustdash.sentiment import tablecache

    root = Path(str(tmp_path))
    monkeypatch.setenv("TRUSTDASH_CACHE_DIR", str(root))
    day = tablecache.STALE_AFTER_S
    old = _cache_folder(root, "sentiment-" + "a" * 20, 2 * day)
    recent = _cache_folder(root, "sentiment-" + "b" * 20, 0.5 * day)  # in use elsewhere
    old_partial = _cache_folder(root, "sentiment-" + "c" * 20 + ".x1_y", 2 * day)
    new_partial = _cache_folder(root, "sentiment-" + "c" * 20 + ".z2_w", 60.0)
    foreign = _cache_folder(root, "sentiment-notes", 2 * day)  # not our naming
    other = _cache_folder(root, "reports", 2 * day)
    target = _cache_folder(root, "elsewhere", 2 * day)
    link = root / ("sentiment-" + "d" * 20)
    link.symlink_to(target, target_is_directory=True)

    def build() -> dict[str, pl.DataFrame]:
        return {"t": pl.DataFrame({"a": [1]})}

    tables = tablecache.load_or_build("test-version", build)
    assert tables["t"]["a"].to_list() == [1]
    current = root / f"sentiment-{tablecache.cache_key('test-version')}"
    assert (current / "tables.txt").is_file()
    kept = {p.name for p in root.iterdir()}
    assert old.name not in kept and old_partial.name not in kept  # type: ignore[attr-defined]
    for p in (recent, new_partial, foreign, other, target, link, current):
        assert p.name in kept  # type: ignore[attr-defined]
    assert (target / "t.arrow").is_file()  # type: ignore[operator]
    # The current folder is never removed, however old its stamp.
    later = current.stat().st_mtime + 10 * day
    assert sorted(tablecache.remove_stale(current, now=later)) == [
        recent.name,  # type: ignore[attr-defined]
        new_partial.name,  # type: ignore[attr-defined]
    ]
    assert current.is_dir()
    # A second sweep finds nothing left to remove.
    assert tablecache.remove_stale(current, now=later) == []


def test_stale_cache_sweep_tolerates_races_and_unwritable_folders(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    import os
    from pathlib import Path

    from trustdash.sentiment import tablecache

    root = Path(str(tmp_path))
    current = _cache_folder(root, "sentiment-" + "e" * 20, 0.0)
    old = _cache_folder(root, "sentiment-" + "f" * 20, 2 * tablecache.STALE_AFTER_S)

    def refused(src: object, dst: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(os, "replace", refused)
    assert tablecache.remove_stale(current) == []  # type: ignore[arg-type]
    assert old.is_dir()  # type: ignore[attr-defined]
    # Only the folder itself is left: no half-made helper folder beside it.
    assert sorted(p.name for p in root.iterdir()) == sorted([current.name, old.name])  # type: ignore[attr-defined]

    def vanished(src: object, dst: object) -> None:
        raise FileNotFoundError("another process removed it first")

    monkeypatch.setattr(os, "replace", vanished)
    assert tablecache.remove_stale(current) == []  # type: ignore[arg-type]
    # An unreadable cache root is no error either.
    assert tablecache.remove_stale(root / "missing" / "sentiment-x") == []


def test_unwritable_cache_falls_back_to_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from pathlib import Path

    expected = score(TEXTS)
    blocker = Path(str(tmp_path)) / "a-file"
    blocker.write_text("not a folder")
    _clear_tables()
    monkeypatch.setenv("TRUSTDASH_CACHE_DIR", str(blocker / "cache"))
    try:
        assert score(TEXTS).equals(expected)
    finally:
        _clear_tables()


def test_cli_score_path_stays_light(tmp_path: object) -> None:
    """The score command imports neither the store nor the UI libraries."""
    import subprocess
    import sys
    from pathlib import Path

    src = Path(str(tmp_path)) / "in.csv"
    src.write_text("text\nI love it\nc'est nul\n", encoding="utf-8")
    out = Path(str(tmp_path)) / "out.csv"
    code = (
        "import sys; from trustdash.cli import main; "
        f"rc = main(['score', {str(src)!r}, '--text-column', 'text', '--out', {str(out)!r}]); "
        "heavy = [m for m in ('trustdash.store', 'streamlit', 'plotly', 'duckdb') "
        "if m in sys.modules]; print(rc, heavy)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip().splitlines()[-1] == "0 []"
    labels = pl.read_csv(out)["label"].to_list()
    assert labels == ["positive", "negative"]


# --------------------------------------------------------------------------- misreadings


def test_multi_word_hedges_neutralise_the_hedge_word_and_dampen() -> None:
    # "kind" is positive alone; in "kind of" it is a hedge.
    assert pol("kind of bad") < -0.25
    assert pol("sort of bad") < -0.25
    assert 0 < pol("it was kind of nice") < pol("it was nice")
    assert pol("she is kind") > 0.25


def test_no_plus_noun_idioms() -> None:
    assert pol("this is no fun") < -0.25
    assert pol("no worries") > 0
    assert pol("no problem") > 0
    assert pol("no worries") > pol("worries")


def test_negated_eagerness_idioms_read_positive() -> None:
    assert pol("I can't wait to try it") > 0.25
    assert pol("can't wait for the weekend") > 0.25
    assert pol("I couldn't be happier") > 0.25
    assert pol("can't complain") > 0
    # An ordinary negation is still a negation.
    assert pol("I can't recommend it") < 0 < pol("I recommend it")


def test_rarely_such_is_emphasis_not_negation() -> None:
    assert pol("I have rarely experienced such courtesy") > 0.25
    assert pol("I have never been so disappointed") < -0.25
    assert pol("rarely good") < 0  # no "such": a negation


def test_slang_fire_needs_its_context(monkeypatch: pytest.MonkeyPatch) -> None:
    assert pol("that set was fire") > 0.25
    assert pol("fire the CEO") <= 0.0
    assert pol("the building is on fire") <= 0.0
    # The rules alone give the word no valence out of its slang phrases.
    from trustdash.sentiment import engine

    monkeypatch.setattr(engine, "LEARNED_WEIGHT", 0.0)
    assert pol("fire the CEO") == 0.0


def test_english_insults_joke_and_slang_praise() -> None:
    for text in ("These guys are a bunch of crooks", "Your CEO is a hypocrite",
                 "The refund policy is a joke", "What a clown show"):  # fmt: skip
        assert row(text)["label"] == "negative", text
    assert row("This new app is dope")["label"] == "positive"
    # "supreme" inside it does not make it praise.
    assert pol("they are supremacists") < 0


def test_third_language_guess_never_beats_english_evidence() -> None:
    for text in ("LOL. LOL.", "LOL. LOL. LOL.", "lol lol lol"):
        r = row(text)
        assert r["lang"] == "en" and r["scored"] and r["label"] == "positive", text
    # A real third-language text keeps its language.
    assert row("Recibí mis zapatillas, muchas gracias por todo")["lang"] == "es"


def test_untranslated_english_entries_do_not_vote_french() -> None:
    from trustdash.sentiment import lexicons

    vote = lexicons.fr_vote_words()
    for english in ("lol", "fun", "meh", "lmao"):
        assert english in lexicons.fr_lexicon_words() or english in lexicons.vader_fr()
        assert english not in vote
    for french in ("nul", "génial", "déçu", "vraiment"):
        assert french in vote


def test_french_intensifiers_carry_no_valence_of_their_own() -> None:
    for text in ("c'est vraiment", "extrêmement", "c'est tellement"):
        assert pol(text) == 0.0, text
    # They still intensify.
    assert pol("c'est vraiment nul") < pol("c'est nul") < 0
    assert pol("il est extrêmement lent") < pol("il est lent") < 0


def test_last_sentence_carries_the_verdict() -> None:
    from trustdash.sentiment import engine

    text = "The cast is great. The sets are nice. But the film is terrible."
    mixed = "The cast is great. The sets are nice. The film is terrible."
    assert pol(text) < 0
    weighted = pol(mixed)
    weight = engine.LAST_SENTENCE_WEIGHT
    assert weight > 1.0
    try:
        engine.LAST_SENTENCE_WEIGHT = 1.0
        assert pol(mixed) > weighted  # the weight is what pulls the verdict down
    finally:
        engine.LAST_SENTENCE_WEIGHT = weight


# --------------------------------------------------------------------------- learned lexicon


def test_shipped_learned_weights_hold_tokens_and_numbers_only() -> None:
    from trustdash.sentiment import learned

    lines = learned.WEIGHTS_PATH.read_text(encoding="utf-8").splitlines()
    body = [ln for ln in lines if not ln.startswith("#")]
    assert any("GoEmotions" in ln and "Apache" in ln for ln in lines if ln.startswith("#"))
    assert (learned.WEIGHTS_PATH.parent / "NOTICE").is_file()
    assert len(body) > 1000
    for ln in body:
        token, value = ln.split("\t")
        assert " " not in token and token
        float(value)


def test_learned_lexicon_is_stacked_on_english_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from trustdash.sentiment import engine, learned, lexicons

    w = learned.weights()
    known = lexicons.en_lexicon_words()
    # The strongest learned words that no rule lexicon knows still move English scores.
    only_learned = w.filter(
        ~pl.col("term").is_in(list(known)) & pl.col("term").str.contains(r"^[a-z]+$")
    ).sort("weight")
    neg_word, pos_word = only_learned["term"][0], only_learned["term"][-1]
    with_model = pol(f"the {pos_word} of the day"), pol(f"the {neg_word} of the day")
    monkeypatch.setattr(engine, "LEARNED_WEIGHT", 0.0)
    without = pol(f"the {pos_word} of the day"), pol(f"the {neg_word} of the day")
    assert with_model[0] > without[0] and with_model[1] < without[1]
    # French texts are not touched by the English model.
    monkeypatch.setattr(engine, "LEARNED_WEIGHT", 0.3)
    fr = "le film est vraiment génial"
    base = pol(fr)
    monkeypatch.setattr(engine, "LEARNED_WEIGHT", 0.0)
    assert pol(fr) == base


def test_override_also_silences_the_learned_weight() -> None:
    from trustdash.sentiment import engine, learned

    w = learned.weights()
    assert w.filter(pl.col("term") == "love")["weight"][0] > 0
    assert engine.LEARNED_WEIGHT > 0
    # Neither the rules nor the learned weights count "love" any more.
    assert pol("love", lexicon_overrides={"love": 0.0}) == 0.0


def test_training_script_rebuilds_weights_from_a_copy(tmp_path: object) -> None:
    """The rebuild command on a tiny made-up corpus in the GoEmotions layout."""
    from pathlib import Path

    from trustdash.sentiment import learned, train_goemotions

    data = Path(str(tmp_path)) / "goemotions"
    data.mkdir()
    (data / "labels.txt").write_text("ambiguous\nnegative\nneutral\npositive\n")
    rows = []
    for i in range(40):
        rows.append(f"I love this wonderful thing {i}\t3\tp{i}")
        rows.append(f"what an awful dreadful mess {i}\t1\tn{i}")
        rows.append(f"the meeting is on tuesday {i}\t2\tz{i}")
        rows.append(f"wow really {i}\t0\ta{i}")  # ambiguous only: left out
    for name in ("train.tsv", "dev.tsv"):
        (data / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = Path(str(tmp_path)) / "w.tsv"
    assert train_goemotions.main(["--data", str(data), "--out", str(out), "--min-count", "5"]) == 0
    w = dict(learned.weights(out).iter_rows())
    assert w["love"] > 0.05 and w["wonderful"] > 0.05
    assert w["awful"] < -0.05 and w["dreadful"] < -0.05
    assert abs(w.get("tuesday", 0.0)) < min(w["love"], -w["awful"])
    assert "really" not in w  # seen only in left-out comments
    text = out.read_text(encoding="utf-8")
    assert "wonderful thing" not in text and "meeting is" not in text


# --------------------------------------------------------------------------- French coverage


def test_french_review_vocabulary_and_idioms() -> None:
    for text in ("un vrai navet", "on s'ennuie ferme", "scénario bâclé, sans intérêt",
                 "des longueurs, c'est soporifique"):  # fmt: skip
        assert row(text)["label"] == "negative", text
    for text in ("un chef-d'œuvre", "un film à ne pas manquer", "captivant et drôle",
                 "mon coup de cœur de l'année"):  # fmt: skip
        assert row(text)["label"] == "positive", text


def test_french_opinion_and_stance_vocabulary() -> None:
    for text in ("Encore un mensonge du service client",
                 "Cette hausse des tarifs, c'est de la corruption",
                 "Quelle mascarade ce jeu concours", "Le magasin a reçu une mise en demeure",
                 "Là vous avez franchi la limite",
                 "Les clients sont vent debout contre le nouveau règlement"):  # fmt: skip
        assert row(text)["label"] == "negative", text
    for text in ("j'adhère totalement", "J'ai hâte de recevoir ma commande",
                 "Quelle joie de retrouver ce café"):  # fmt: skip
        assert row(text)["label"] == "positive", text


def test_french_idioms_of_complaint_and_comparison() -> None:
    for text in ("Votre service client n'a aucune honte",
                 "Livraison en 3 semaines, c'est une blague ?",
                 "Encore des âneries dans cette pub",
                 "Appli correcte, elle peut mieux faire"):  # fmt: skip
        assert row(text)["label"] == "negative", text
    assert row("Nouveau forfait moins cher, enfin")["label"] == "positive"
    # The fight carries no valence of its own: the valence is the thing fought.
    assert row("Elle lutte contre ce projet")["label"] == "neutral"


def test_french_thresholds_apply_to_french_texts_only() -> None:
    from trustdash.sentiment import engine

    assert engine.FR_NEG_THRESHOLD > engine.NEG_THRESHOLD
    mid = (engine.FR_NEG_THRESHOLD + engine.NEG_THRESHOLD) / 2
    df = pl.DataFrame({"p": [mid, mid], "lang": ["fr", "en"]})
    labels = df.select(label_from_polarity(pl.col("p"), pl.col("lang")).alias("l"))["l"]
    assert labels.to_list() == ["negative", "neutral"]
    texts = ["c'est un peu décevant", "bof", "a bit disappointing", "meh", "pas terrible"]
    out = score(texts)
    expected = out.select(label_from_polarity(pl.col("polarity"), pl.col("lang")).alias("l"))["l"]
    assert out["label"].to_list() == expected.to_list()


def test_french_words_that_are_not_opinions_carry_no_valence() -> None:
    from trustdash.sentiment import lexicons, tables

    for text in ("les énergies renouvelables", "le prix de l'essence", "plus de 20 ans",
                 "un nouveau film", "Ségolène Royal au salon"):  # fmt: skip
        assert pol(text) == 0.0, text
    words = lexicons.fr_lexicon_words()
    assert not tables.FR_NOT_OPINION & words
    assert not {w for w in words if len(w) == 1 and w.isalpha()}
    # Opinion words around them still count.
    assert pol("le prix est scandaleux") < -0.25


GOEMOTIONS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "goemotions"


@pytest.mark.skipif(not GOEMOTIONS.is_dir(), reason="GoEmotions not available")
def test_shipped_weights_are_what_the_trainer_builds(tmp_path: Path) -> None:
    """The shipped learned lexicon is rebuilt byte for byte by the training command with
    the engine as it is (its tokens and their spellings come from the engine)."""
    from trustdash.sentiment import learned, train_goemotions

    out = tmp_path / "w.tsv"
    assert train_goemotions.main(["--data", str(GOEMOTIONS), "--out", str(out)]) == 0
    assert out.read_bytes() == learned.WEIGHTS_PATH.read_bytes()
