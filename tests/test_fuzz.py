"""Fuzzing the importer: structured mutations of real layouts, plus random bytes.

Property: ``import_files`` never raises; every result is either ok or carries errors
that name the file; a failed file stores nothing (no rows, no import, no rejected rows).

CI-friendly: derandomized (same examples every run), no deadline, no example database;
``FUZZ_EXAMPLES`` (environment) scales the budget for a longer local run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
SEEDS = [
    "generic/comments_fr.csv",
    "youtube/comments_flat.csv",
    "listening/brandwatch_mentions.csv",
    "x/tweet_activity_metrics_acme_20240601_20240701_en.csv",
    "reviews/trustpilot_reviews.csv",
    "tiktok/Overview.csv",
    "facebook/meta_bs_fb_posts_2024-06.csv",
    "facebook/comments.json",
    "reviews/trustpilot_reviews.json",
    "youtube/commentThreads.json",
]
SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1") or 1)
N_STRUCTURED = int(160 * SCALE)
N_RANDOM = int(150 * SCALE)
N_BINARY_SEEDS = int(40 * SCALE)


def _fuzz(n: int) -> settings:
    return settings(
        max_examples=n,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


NASTY_CELLS = [
    "", '"', '""', '"unterminated', "=HYPERLINK(\"http://x\")", "+1", "-1e309", "@SUM(A1)",
    "\t", "\r", "\n", "\x00", "\ufeff", "ǅ\u0301\u200b", "🔥" * 50, "1,234,567.89", "NaN",
    "inf", "-0", "9" * 40, "2024-02-30", "30/02/2024 25:61", "0000-00-00", "1970-01-01T00:00:00Z",
    "99999999999999999999", "null", "None", "true", "<script>alert(1)</script>", "a" * 5000,
    "'; DROP TABLE comments;--", "%s%s%n", "../../etc/passwd", "\\N", "Ã©tÃ©",
]  # fmt: skip
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1", "mac_roman"]
DELIMS = [",", ";", "\t", "|", " ", ":"]


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory):
    s = Store(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    yield s
    s.close()


def _state(store: Store) -> tuple:
    return (*store.table_counts().values(), store.table_frame("rejected_rows").height)


def _check(store: Store, name: str, data: bytes, opts: ImportOptions | None = None) -> str:
    before = _state(store)
    results = import_files(store, [(name, data)], opts)  # must not raise
    assert results
    for r in results:
        if not r.ok:
            assert all(name in e for e in r.errors), r.errors
            assert r.import_id is None and r.rows_imported == 0
    if not any(r.ok for r in results):
        assert _state(store) == before, "a failed file stored something"
        return "refused"
    after = store.table_counts()
    assert after["imports"] == before[3] + sum(1 for r in results if r.ok)
    return "imported"


def _seed(path: str) -> tuple[str, str]:
    raw = (EXPORTS / path).read_bytes()
    text = raw.decode("utf-8-sig", "replace")
    lines = text.splitlines(keepends=True)[:40]  # keep examples small and fast
    return Path(path).name, "".join(lines)


SEED_TEXTS = {p: _seed(p) for p in SEEDS}


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes, list[str]]:
    seed = draw(st.sampled_from(SEEDS))
    name, text = SEED_TEXTS[seed]
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    ops = draw(
        st.lists(
            st.sampled_from(
                ["header", "cell", "truncate", "delimiter", "junk_rows", "drop_column",
                 "duplicate_rows", "quote", "newlines"]
            ),
            min_size=1, max_size=4,
        )
    )  # fmt: skip
    is_json = name.endswith(".json")
    for op in ops:
        lines = text.splitlines(keepends=True) or [""]
        if op == "header":
            cells = lines[0].rstrip("\r\n").split(",")
            i = rnd.randrange(len(cells))
            cells[i] = draw(st.sampled_from(NASTY_CELLS + ["text", "date", "author", cells[i]]))
            lines[0] = ",".join(cells) + "\n"
        elif op == "cell" and len(lines) > 1:
            j = rnd.randrange(1, len(lines))
            cells = lines[j].split(",")
            cells[rnd.randrange(len(cells))] = draw(
                st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=40))
            )
            lines[j] = ",".join(cells)
        elif op == "truncate":
            cut = draw(st.integers(0, max(len(text) - 1, 0)))
            lines = [text[:cut]]
        elif op == "delimiter" and not is_json:
            new = draw(st.sampled_from(DELIMS))
            old = draw(st.sampled_from([",", ";", '"']))
            lines = [ln.replace(old, new) for ln in lines]
        elif op == "junk_rows":
            for _ in range(draw(st.integers(1, 5))):
                junk = draw(st.one_of(st.sampled_from(NASTY_CELLS), st.text(max_size=80)))
                lines.insert(rnd.randrange(len(lines) + 1), junk + "\n")
        elif op == "drop_column" and not is_json:
            k = rnd.randrange(max(lines[0].count(",") + 1, 1))
            lines = [",".join(c for i, c in enumerate(ln.split(",")) if i != k) for ln in lines]
        elif op == "duplicate_rows" and len(lines) > 1:
            lines = lines[:1] + lines[1:] * draw(st.integers(2, 5))
        elif op == "quote":
            pos = rnd.randrange(len(text) + 1)
            lines = [text[:pos] + '"' + text[pos:]]
        elif op == "newlines":
            lines = [ln.replace("\n", draw(st.sampled_from(["\r", "\r\n", "\n\n", "\u2028"])))
                     for ln in lines]  # fmt: skip
        text = "".join(lines)
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, "replace")
    if draw(st.booleans()) and data:
        # a few invalid bytes in the middle (bad transcoding, cut multibyte chars)
        pos = rnd.randrange(len(data))
        data = (
            data[:pos]
            + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
            + data[pos:]
        )
    return name, data, [*ops, enc]


def test_fuzz_structured_mutations(fuzz_store: Store) -> None:
    outcomes: dict[str, int] = {}

    @_fuzz(N_STRUCTURED)
    @given(case=mutated())
    def run(case: tuple[str, bytes, list[str]]) -> None:
        name, data, _ops = case
        out = _check(fuzz_store, name, data)
        outcomes[out] = outcomes.get(out, 0) + 1

    run()
    print(f"\nstructured fuzz: {sum(outcomes.values())} cases {outcomes}")
    assert sum(outcomes.values()) >= N_STRUCTURED * 0.9


def test_fuzz_random_bytes(fuzz_store: Store) -> None:
    outcomes: dict[str, int] = {}

    @_fuzz(N_RANDOM)
    @given(
        data=st.binary(max_size=4096),
        name=st.sampled_from(["x.csv", "x.json", "x.xlsx", "x.parquet", "x.csv.gz", "x.zip",
                              "x.js", "x.xls", "x"]),  # fmt: skip
        prefix=st.sampled_from([b"", b"PK\x03\x04", b"\x1f\x8b", b"PAR1", b"{", b"[",
                                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<?xml", b"\xef\xbb\xbf"]),
    )  # fmt: skip
    def run(data: bytes, name: str, prefix: bytes) -> None:
        out = _check(fuzz_store, name, prefix + data)
        outcomes[out] = outcomes.get(out, 0) + 1

    run()
    print(f"\nrandom-bytes fuzz: {sum(outcomes.values())} cases {outcomes}")


BINARY_SEEDS = [
    "generic/comments.xlsx",
    "generic/comments.parquet",
    "generic/comments.csv.gz",
    "youtube/studio_export.zip",
    "linkedin/acme_linkedin_page_export.xlsx",
]


def test_fuzz_binary_layouts(fuzz_store: Store) -> None:
    """Byte flips, cuts and splices in real binary exports (xlsx, parquet, gz, zip)."""
    outcomes: dict[str, int] = {}
    seeds = {p: (EXPORTS / p).read_bytes() for p in BINARY_SEEDS}

    @_fuzz(N_BINARY_SEEDS)
    @given(
        seed=st.sampled_from(BINARY_SEEDS),
        edits=st.lists(
            st.tuples(st.sampled_from(["flip", "cut", "splice"]), st.floats(0, 1), st.binary(min_size=1, max_size=8)),
            min_size=1, max_size=3,
        ),
    )  # fmt: skip
    def run(seed: str, edits: list[tuple[str, float, bytes]]) -> None:
        data = bytearray(seeds[seed])
        for kind, where, junk in edits:
            pos = min(int(where * len(data)), max(len(data) - 1, 0))
            if kind == "flip" and data:
                data[pos] ^= junk[0] or 0xFF
            elif kind == "cut":
                data = data[:pos]
            else:
                data[pos:pos] = junk
        out = _check(fuzz_store, Path(seed).name, bytes(data))
        outcomes[out] = outcomes.get(out, 0) + 1

    run()
    print(f"\nbinary-layout fuzz: {sum(outcomes.values())} cases {outcomes}")


def test_fuzz_with_user_mapping(fuzz_store: Store) -> None:
    """A user's --map pointing at columns that a mutation removed or renamed."""
    name, text = SEED_TEXTS["youtube/comments_flat.csv"]
    for mapping in (
        {"text": "nope"},
        {"text": "textOriginal", "created_at": "likeCount"},
        {"created_at": "textOriginal", "text": "publishedAt"},
        {"likes": "authorDisplayName", "text": "textOriginal", "created_at": "publishedAt"},
        {"text": "", "created_at": ""},
    ):
        for table in (None, "comments", "posts", "daily_metrics"):
            _check(fuzz_store, name, text.encode(), ImportOptions(mapping=mapping, table=table))


BAD_FOOTER_VALUES = [
    "Exported 2026-07-01 by ListeningTool", "Exported by someone", "Généré le ??",
    "Page 1 of 3", "—", "=SUM(B2:B999)", "Report generated", "n/a n/a", "🔥" * 20,
]  # fmt: skip


@st.composite
def long_fields_then_bad_values(draw: st.DrawFn) -> tuple[bytes, int, int]:
    """A comments CSV whose good rows are followed (or interleaved) by a row holding a
    long field and two or more rows with values that are not dates."""
    n = draw(st.integers(1, 1200))
    width = draw(st.integers(1_000, 60_000))
    filler = draw(st.sampled_from(["x", "é", "a b ", "\"q\"", "🔥"]))
    lines = [
        f"2026-06-{1 + i % 28:02d} 10:{i % 60:02d},{i},user{i},message {i}" for i in range(n)
    ]
    long_cell = '"' + (filler * (width // len(filler))).replace('"', '""') + '"'
    where = draw(st.sampled_from(["footer", "middle", "first"]))
    first = draw(st.sampled_from(["Total", "", "2026-06-30 10:00"]))
    long_row = f"{first},,,{long_cell}"
    bad = draw(st.lists(st.sampled_from(BAD_FOOTER_VALUES), min_size=2, max_size=5))
    tail = [f'"{b}",,,' for b in bad]
    if where == "footer":
        lines += [long_row, *tail]
    elif where == "middle":
        lines[n // 2 : n // 2] = [long_row, *tail]
    else:
        lines = [long_row, *lines, *tail]
    good = n + (first[:1] == "2")  # a dated long row is a good row
    rejected = len(bad) + (first == "")  # an undated one is rejected ("Total" is dropped)
    return ("date,id,author,message\n" + "\n".join(lines) + "\n").encode(), good, rejected


def test_fuzz_long_fields_then_bad_values(fuzz_store: Store) -> None:
    """Long fields followed by unparseable dates: the engine once panicked (a Rust panic is
    a BaseException). Every such file imports its good rows; nothing escapes."""

    @_fuzz(max(10, int(25 * SCALE)))
    @given(case=long_fields_then_bad_values())
    def run(case: tuple[bytes, int, int]) -> None:
        data, good, bad = case
        try:
            results = import_files(
                fuzz_store, [("footer.csv", data)], ImportOptions(score_sentiment=False)
            )
        except BaseException as exc:  # noqa: BLE001 - the property under test
            pytest.fail(f"{type(exc).__name__} escaped the import: {exc}")
        (res,) = results
        assert res.ok, res.errors
        assert res.rows_imported + res.duplicates == good
        assert res.rejected == bad

    run()
