"""Privacy: author pseudonymisation at import, and "forget"/"delete" leave no trace."""

from __future__ import annotations

import json

import polars as pl
import pytest
from conftest import comments_csv, make_rows

from trustdash import privacy
from trustdash.filters import Filters
from trustdash.ingest import ImportOptions, import_files


def _audience(store) -> int:
    """Audience comments counted by the rollup (what the dashboard shows)."""
    return int(store.rollup_days(Filters())["audience"].sum())


def _text_key(store, marker: str) -> str:
    """The sentiment-cache key of a stored comment whose text contains ``marker``."""
    frame = store.table_frame("comments").filter(pl.col("text").str.contains(marker, literal=True))
    return frame.get_column("text_key")[0]


def _rows_with(author: str, marker: str, n: int = 3, prefix: str = "z") -> list[dict]:
    rows = make_rows(n, prefix=prefix)
    for i, r in enumerate(rows):
        r["author"] = author
        r["text"] = f"{marker} number {i} is a terrible experience"
    return rows


# ---------------------------------------------------------------------------- pseudonymise


def test_pseudonymise_is_keyed_stable_and_prefixed() -> None:
    s = pl.Series("author", ["Alice", "Bob", None, "", "Alice", " Alice ", "@Brand"])
    a = privacy.pseudonymise(s, "k1", keep=["brand"])
    b = privacy.pseudonymise(s, "k1", keep=["brand"])
    c = privacy.pseudonymise(s, "k2", keep=["brand"])
    assert a.to_list() == b.to_list()
    assert a[0] == a[4] == a[5]  # same author (trimmed) -> same pseudonym
    assert a[0] != a[1]
    assert a[0].startswith(privacy.PREFIX) and len(a[0]) == len(privacy.PREFIX) + 16
    assert a[2] is None and a[3] is None
    assert a[6] == "@Brand"  # brand accounts stay recognisable
    assert c[0] != a[0]  # keyed: another secret, another pseudonym
    # idempotent: pseudonymising a pseudonym leaves it alone
    assert privacy.pseudonymise(a, "k1").to_list()[:2] == a.to_list()[:2]
    with pytest.raises(ValueError):
        privacy.pseudonymise(s, "")


def test_secret_is_made_once(store) -> None:
    assert store.get_setting(privacy.SECRET_SETTING) is None
    first = privacy.secret(store)
    assert len(first) == 64
    assert privacy.secret(store) == first
    assert store.get_setting(privacy.SECRET_SETTING) == first


def test_import_pseudonymises_authors_but_not_the_brand(store) -> None:
    store.set_setting("brand_accounts", ["AcmeSupport"])
    privacy.set_enabled(store, True)
    rows = make_rows(40, reply_every=4)
    for r in rows:
        if r["author"] == "brand":
            r["author"] = "AcmeSupport"
        r["comment_id"] = ""  # no platform id: row keys are hashed from the author
    res = import_files(store, [("one.csv", comments_csv(rows))])
    assert res[0].ok, res[0].errors
    authors = set(store.table_frame("comments").get_column("author").to_list())
    assert "AcmeSupport" in authors
    assert all(a == "AcmeSupport" or a.startswith(privacy.PREFIX) for a in authors)
    for name in ("user1", "user17", "user39"):
        assert store.search_everywhere(name) == [], name
    # brand replies still count as brand replies (responsiveness keeps working)
    comments = store.table_frame("comments")
    assert comments.filter(pl.col("is_brand")).height == 10
    # the hashed row keys do not depend on the raw name: re-import = duplicates only
    again = import_files(store, [("one_again.csv", comments_csv(rows))])
    assert again[0].rows_imported == 0 and again[0].duplicates == res[0].rows_imported


def test_same_author_same_pseudonym_across_imports(store) -> None:
    privacy.set_enabled(store, True)
    a = _rows_with("Jeanne Dupont", "first-file", prefix="a")
    b = _rows_with("Jeanne Dupont", "second-file", prefix="b")
    r1 = import_files(store, [("a.csv", comments_csv(a))])
    r2 = import_files(store, [("b.csv", comments_csv(b))], ImportOptions(channel="instagram"))
    assert r1[0].ok and r2[0].ok
    frame = store.table_frame("comments")
    pseudonyms = set(frame.get_column("author").to_list())
    assert len(pseudonyms) == 1
    (p,) = pseudonyms
    assert p == privacy.pseudonym("Jeanne Dupont", privacy.secret(store))
    assert store.search_everywhere("Jeanne") == []
    assert store.search_everywhere("Dupont") == []
    # forgetting by the raw name the user knows removes the pseudonymised rows
    assert privacy.forget_author(store, "Jeanne Dupont") == 6
    assert store.table_frame("comments").height == 0
    assert store.search_everywhere(p) == []


def test_rejected_rows_do_not_keep_raw_names(store) -> None:
    privacy.set_enabled(store, True)
    rows = _rows_with("Secret Person", "bad-date", n=2)
    rows.append({**rows[0], "comment_id": "z-bad", "created_at": "not a date at all"})
    res = import_files(store, [("r.csv", comments_csv(rows))])
    assert res[0].ok and res[0].rejected == 1
    assert store.search_everywhere("Secret Person") == []
    raw = json.loads(store.rejected_rows(res[0].import_id).get_column("raw")[0])
    assert raw["author"].startswith(privacy.PREFIX)


def test_posts_authors_are_pseudonymised(store) -> None:
    privacy.set_enabled(store, True)
    csv = (
        b"post_id,created_at,author,text,likes,impressions\n"
        b"p1,2026-06-01T10:00:00,Paul Poster,Launch day,10,100\n"
    )
    res = import_files(store, [("posts.csv", csv)], ImportOptions(table="posts"))
    assert res[0].ok, res[0].errors
    assert store.search_everywhere("Paul Poster") == []


def test_off_by_default(store) -> None:
    res = import_files(store, [("a.csv", comments_csv(make_rows(3)))])
    assert res[0].ok
    assert "user1" in store.table_frame("comments").get_column("author").to_list()
    assert store.get_setting(privacy.SECRET_SETTING) is None  # no secret made needlessly


# ---------------------------------------------------------------------------- forgetting


def _seed(store) -> dict:
    """Two channels; one author with marked text; one import with a rejected row."""
    base = make_rows(30, reply_every=5)
    mine = _rows_with("Marie Curie", "radium-marker")
    bad = [{**mine[0], "comment_id": "zz-bad", "created_at": "never", "text": "radium-bad"}]
    r1 = import_files(store, [("fb.csv", comments_csv(base + mine + bad))])
    r2 = import_files(
        store,
        [("ig.csv", comments_csv(_rows_with("Ada Lovelace", "engine-marker", prefix="i")))],
        ImportOptions(channel="instagram"),
    )
    assert r1[0].ok and r2[0].ok and r1[0].rejected == 1
    return {"fb": r1[0].import_id, "ig": r2[0].import_id}


def test_forget_author_removes_everything(store) -> None:
    _seed(store)
    before = _audience(store)
    key = _text_key(store, "radium-marker number 0")
    assert store.search_everywhere(key)  # the cached score is there before
    n = privacy.forget_author(store, "Marie Curie")
    assert n == 3
    for needle in ("Marie Curie", "radium-marker", "radium-bad", key):
        assert store.search_everywhere(needle) == [], needle
    assert _audience(store) == before - 3  # the rollup was refreshed


def test_delete_import_removes_everything(store) -> None:
    ids = _seed(store)
    store.delete_import(ids["ig"])
    for needle in ("Ada Lovelace", "engine-marker"):
        assert store.search_everywhere(needle) == [], needle
    assert "instagram" not in store.channels()
    assert store.search_everywhere("ig.csv") == []
    store.delete_import(ids["fb"])
    assert store.search_everywhere("radium") == []
    assert _audience(store) == 0
    assert store.table_counts() == {"comments": 0, "posts": 0, "daily_metrics": 0, "imports": 0}


def test_delete_channel_removes_comments_rollups_and_caches(store) -> None:
    _seed(store)
    store.delete_channel("instagram")
    for needle in ("Ada Lovelace", "engine-marker"):
        assert store.search_everywhere(needle) == [], needle
    assert "instagram" not in store.channels()
    assert _audience(store) == 33  # facebook's 30 + Marie's 3 remain


def test_delete_channel_removes_rejected_rows(store) -> None:
    _seed(store)
    store.delete_channel("facebook")
    assert store.search_everywhere("radium-bad") == []
