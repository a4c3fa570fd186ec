"""Import pipeline: bad input, synonyms, channel/campaign per file, sentiment cache."""

from __future__ import annotations

import polars as pl

from tests.conftest import comments_csv, make_rows
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store


def _counts(store: Store) -> dict[str, int]:
    return store.table_counts()


def test_bad_inputs_name_the_file_store_nothing_and_others_import(store: Store) -> None:
    files = [
        ("empty.csv", b""),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),
        ("numbers.csv", b"a,b,c\n1,2,3\n4,5,6\n"),
        ("garbage.parquet", b"PAR1 this is not parquet"),
        ("good.csv", comments_csv(make_rows(10))),
    ]
    results = {r.path: r for r in import_files(store, files)}
    for name in ("empty.csv", "photo.csv", "garbage.parquet"):
        assert not results[name].ok, name
        assert name in results[name].errors[0]
    assert results["good.csv"].ok and results["good.csv"].rows_imported == 10
    assert _counts(store)["comments"] == 10
    assert _counts(store)["imports"] == sum(1 for r in results.values() if r.ok)


def test_table_without_text_or_date_is_refused(store: Store) -> None:
    res = import_files(store, [("ids.csv", b"id,name\n1,a\n2,b\n")])[0]
    assert not res.ok
    assert "ids.csv" in res.errors[0]
    assert _counts(store)["imports"] == 0


def test_french_headers_map_by_synonyms(store: Store) -> None:
    data = (
        "auteur;date;commentaire;campagne\n"
        "Léa;2026-06-01 10:00;Livraison rapide, très contente !;Printemps\n"
        "Marc;2026-06-02 12:30;Colis jamais reçu, c'est une arnaque;Printemps\n"
    ).encode()
    res = import_files(store, [("avis.csv", data)], ImportOptions(channel="Facebook"))[0]
    assert res.ok, res.errors
    rows = store.table_frame("comments").sort("author")
    assert rows["channel"].to_list() == ["facebook", "facebook"]
    assert rows["author"].to_list() == ["Léa", "Marc"]
    assert rows["campaign"].to_list() == ["Printemps", "Printemps"]
    assert rows["label"].to_list() == ["positive", "negative"]


def test_campaign_option_fills_only_missing(store: Store) -> None:
    rows = make_rows(6, campaign="")
    rows[0]["campaign"] = "Own"
    import_files(store, [("c.csv", comments_csv(rows))], ImportOptions(campaign="Given"))
    got = dict(store.table_frame("comments")["campaign"].value_counts().iter_rows())
    assert got == {"Own": 1, "Given": 5}


def test_sentiment_is_cached_by_text(store: Store, monkeypatch) -> None:
    from trustdash import ingest

    import_files(store, [("a.csv", comments_csv(make_rows(20, prefix="a")))])
    calls = []
    real = ingest.sentiment.score

    def spy(texts, **kw):
        calls.append(len(texts))
        return real(texts, **kw)

    monkeypatch.setattr(ingest.sentiment, "score", spy)
    # Same texts under new ids: nothing to score again.
    import_files(store, [("b.csv", comments_csv(make_rows(20, prefix="b")))])
    assert calls == []
    assert _counts(store)["comments"] == 40


def test_progress_is_reported(store: Store) -> None:
    seen: list[tuple[float, str]] = []
    import_files(
        store,
        [("a.csv", comments_csv(make_rows(30)))],
        ImportOptions(batch_rows=10),
        lambda frac, text: seen.append((frac, text)),
    )
    assert seen[-1][0] == 1.0
    assert any("rows/s" in text for _, text in seen)
    assert all(0.0 <= f <= 1.0 for f, _ in seen)


def test_posts_snapshot_updates_metrics(store: Store) -> None:
    def posts(likes: int) -> bytes:
        return pl.DataFrame(
            {"post_id": ["p1", "p2"], "created_at": ["2026-06-01T10:00:00"] * 2,
             "text": ["a", "b"], "likes": [likes, 5], "shares": [1, 1]}
        ).write_csv().encode()  # fmt: skip

    first = import_files(store, [("p.csv", posts(10))], ImportOptions(channel="facebook",
                                                                      table="posts"))[0]  # fmt: skip
    assert first.ok and first.table == "posts" and first.rows_imported == 2, first
    later = import_files(store, [("p2.csv", posts(42))], ImportOptions(channel="facebook",
                                                                       table="posts"))[0]  # fmt: skip
    assert later.rows_imported == 0 and later.rows_updated == 1 and later.duplicates == 1
    posts = store.table_frame("posts")
    assert posts.filter(posts["post_id"] == "p1")["likes"].to_list() == [42]


def test_file_whose_rows_are_all_rejected_is_refused(store: Store) -> None:
    data = b"comment_id,created_at,text\nc1,not a date,hello\nc2,garbage,hi there\n"
    res = import_files(store, [("dates.csv", data)])[0]
    assert not res.ok
    assert "dates.csv" in res.errors[0] and "every row was rejected" in res.errors[0]
    assert _counts(store)["imports"] == 0
    assert store.table_frame("rejected_rows").height == 0


def test_prefetch_keeps_order_reraises_and_stops_the_reader() -> None:
    import threading

    import pytest

    from trustdash.ingest import prefetch

    assert list(prefetch(iter(range(50)))) == list(range(50))

    def failing():
        yield 1
        raise ValueError("bad bytes")

    got = []
    with pytest.raises(ValueError, match="bad bytes"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == [1]

    # A consumer that stops early (an error while storing) stops the reader: it reads at
    # most the batch being handed over and the one queued, never the whole source.
    read = []

    def source():
        for i in range(1000):
            read.append(i)
            yield i

    before = threading.active_count()
    it = prefetch(source())
    assert next(it) == 0
    it.close()
    assert len(read) <= 4
    assert threading.active_count() == before
