"""The store: migrations, idempotent imports, transactions, parameters."""

from __future__ import annotations

import os

import duckdb
import polars as pl
import pytest

from tests.conftest import comments_csv, make_rows
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import SCHEMA_VERSION, Store, StoreError


def test_new_store_is_migrated(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    tables = {r[0] for r in store.rows("SELECT table_name FROM information_schema.tables")}
    for t in ("imports", "posts", "comments", "daily_metrics", "campaigns", "annotations",
              "settings", "schema_version", "daily_rollup"):  # fmt: skip
        assert t in tables


def test_older_file_is_upgraded(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    con.close()
    s = Store(path)
    assert s.schema_version() == SCHEMA_VERSION
    assert s.table_counts()["comments"] == 0
    s.close()
    # Re-opening applies nothing more.
    s2 = Store(path)
    assert s2.migrate() == 0
    s2.close()


def _channel_rollup_matches(store: Store) -> int:
    """channel_rollup is daily_rollup summed over campaigns, row for row; returns its rows."""
    from trustdash.store import ROLLUP_COUNTS

    sums = ", ".join(f"sum({c})" for c in ROLLUP_COUNTS)
    summed = f"SELECT channel, day, {sums} FROM daily_rollup GROUP BY channel, day"
    diff = store.one(
        f"SELECT count(*) FROM ((SELECT * FROM channel_rollup EXCEPT ALL {summed}) "
        f"UNION ALL ({summed} EXCEPT ALL SELECT * FROM channel_rollup))"
    )
    assert diff == 0
    return int(store.one("SELECT count(*) FROM channel_rollup"))


def test_channel_rollup_follows_every_write(store: Store, tmp_path) -> None:
    rows = [*make_rows(30, campaign="Spring", reply_every=3, prefix="s"),
            *make_rows(30, channel="x", good=0.3, prefix="x"),
            *make_rows(20, campaign="Summer", good=0.5, prefix="u")]  # fmt: skip
    a = import_files(store, [("a.csv", comments_csv(rows))])[0]
    b = import_files(store, [("b.csv", comments_csv(make_rows(12, channel="youtube",
                                                              prefix="y")))])[0]  # fmt: skip
    assert _channel_rollup_matches(store) > 0
    key = store.one("SELECT row_key FROM comments WHERE channel = 'facebook' LIMIT 1")
    store.set_label("facebook", key, "negative")
    _channel_rollup_matches(store)
    store.forget_author("user3")
    _channel_rollup_matches(store)
    store.delete_channel("x")
    assert store.one("SELECT count(*) FROM channel_rollup WHERE channel = 'x'") == 0
    _channel_rollup_matches(store)
    store.delete_import(b.import_id)
    _channel_rollup_matches(store)
    store.delete_import(a.import_id)
    assert _channel_rollup_matches(store) == 0


def test_upgrade_to_schema_3_fills_the_channel_rollup(tmp_path) -> None:
    path = tmp_path / "v2.duckdb"
    s = Store(path)
    import_files(s, [("a.csv", comments_csv(make_rows(40, campaign="Spring", reply_every=2)))])
    import_files(s, [("b.csv", comments_csv(make_rows(40, prefix="b")))])
    before = _channel_rollup_matches(s)
    # Back to a schema-2 file: no channel rollup yet.
    with s.transaction() as cur:
        cur.execute("DROP TABLE channel_rollup")
        cur.execute("DELETE FROM schema_version WHERE version >= 3")
    s.close()
    s = Store(path)
    assert s.schema_version() == SCHEMA_VERSION
    assert _channel_rollup_matches(s) == before > 0
    s.close()


def test_rollup_days_are_the_rollup_rows_summed_over_campaigns(store: Store) -> None:
    import datetime as dt

    import numpy as np

    from trustdash.filters import NO_CAMPAIGN, Filters

    for camp, prefix in (("Spring", "s"), ("", "n"), ("Summer", "u")):
        import_files(store, [(f"{prefix}.csv", comments_csv(
            make_rows(60, campaign=camp, reply_every=4, prefix=prefix)))])  # fmt: skip
    import_files(store, [("x.csv", comments_csv(make_rows(50, channel="x", prefix="x")))])
    for f in (Filters(), Filters(start=dt.date(2026, 6, 5), end=dt.date(2026, 6, 12)),
              Filters(channels=("x",)), Filters(campaigns=("Spring", NO_CAMPAIGN)),
              Filters(start=dt.date(2030, 1, 1), end=dt.date(2030, 2, 1))):  # fmt: skip
        rows, days = store.rollup_rows(f), store.rollup_days(f)
        keys = sorted(set(zip(rows["channel"].tolist(), rows["day"].tolist(), strict=True)))
        got = sorted(zip(days["channel"].tolist(), days["day"].tolist(), strict=True))
        assert got == keys
        order = np.lexsort((days["day"], days["channel"]))
        for col, values in rows.items():
            if col in ("channel", "day", "campaign"):
                continue
            want = {k: 0.0 for k in keys}
            for ch, day, v in zip(rows["channel"].tolist(), rows["day"].tolist(),
                                  values.tolist(), strict=True):  # fmt: skip
                want[(ch, day)] += 0.0 if np.isnan(v) else float(v)
            assert days[col][order].tolist() == [want[k] for k in keys], col


def test_posts_frame_without_posts_has_the_columns_of_one_with_posts(demo_db, tmp_path) -> None:
    import datetime as dt
    import shutil

    from trustdash.filters import Filters

    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    s = Store(path)
    some = s.posts_frame(Filters(end=s.date_bounds()[1]))
    none = s.posts_frame(Filters(end=dt.date(2001, 1, 1)))
    assert some.height > 0 and none.height == 0
    assert none.schema == some.schema
    assert some.filter(some["net_negative"]).height > 0  # the join's columns are there
    s.close()


def test_newer_file_is_refused(tmp_path) -> None:
    path = tmp_path / "new.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 5])
    con.close()
    with pytest.raises(StoreError, match="newer trustdash"):
        Store(path)


def test_reimport_adds_nothing(store: Store) -> None:
    data = comments_csv(make_rows(40))
    first = import_files(store, [("a.csv", data)])[0]
    assert first.ok and first.rows_imported == 40
    second = import_files(store, [("a.csv", data)])[0]
    assert second.ok
    assert second.rows_imported == 0 and second.duplicates == 40
    assert store.table_counts()["comments"] == 40


def test_overlapping_export_without_ids_dedupes_on_content(store: Store) -> None:
    rows = make_rows(30)
    for r in rows:
        r["comment_id"] = ""
    import_files(store, [("a.csv", comments_csv(rows[:20]))])
    res = import_files(store, [("b.csv", comments_csv(rows[10:]))])[0]
    assert res.rows_imported == 10 and res.duplicates == 10
    assert store.table_counts()["comments"] == 30


def test_failed_import_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:

    _fail_on_batch(monkeypatch, 2)
    res = import_files(
        store, [("big.csv", comments_csv(make_rows(50)))], ImportOptions(batch_rows=10)
    )[0]
    assert not res.ok and "nothing was stored" in res.errors[0]
    assert store.table_counts() == {"comments": 0, "posts": 0, "daily_metrics": 0, "imports": 0}
    assert store.one("SELECT count(*) FROM daily_rollup") == 0


def test_settings_round_trip(store: Store) -> None:
    store.set_setting("brand_accounts", ["Acme", "@acme_help"])
    assert store.get_setting("brand_accounts") == ["Acme", "@acme_help"]
    store.set_setting("brand_accounts", [])
    assert store.get_setting("brand_accounts") == []
    assert store.get_setting("missing", 7) == 7


def test_hostile_names_are_parameters(store: Store) -> None:
    evil = "x'); DROP TABLE comments;--"
    rows = make_rows(12, campaign=evil, channel=evil)
    res = import_files(store, [("evil.csv", comments_csv(rows))])[0]
    assert res.ok, res.errors
    from trustdash.filters import Filters

    # Channel names are normalised to a slug; the campaign keeps its exact text.
    f = Filters(channels=tuple(store.channels()), campaigns=(evil,))
    assert store.campaigns() == [evil]
    assert store.count_comments(f) == 12
    store.add_campaign_rule(evil, "keyword", "'; DELETE FROM posts; --")
    store.add_annotation(__import__("datetime").date(2026, 6, 1), evil)
    assert store.table_counts()["comments"] == 12


def test_reply_linking_by_parent_and_by_thread(store: Store) -> None:
    rows = make_rows(10, reply_every=2)
    import_files(store, [("r.csv", comments_csv(rows))])
    linked = store.frame(
        "SELECT comment_id, first_reply_at FROM comments WHERE NOT is_brand ORDER BY comment_id"
    )
    answered = linked.filter(pl.col("first_reply_at").is_not_null())["comment_id"].to_list()
    assert sorted(answered) == sorted(f"c{i}" for i in range(0, 10, 2))
    # Without parent ids the reply answers the comments before it on the same post.
    thread = [
        {"comment_id": "t1", "post_id": "P", "author": "ann", "is_brand": "false",
         "created_at": "2026-06-01T10:00:00", "text": "Where is my order?", "channel": "x"},
        {"comment_id": "t2", "post_id": "P", "author": "brand", "is_brand": "true",
         "created_at": "2026-06-01T10:20:00", "text": "Checking now", "channel": "x"},
        {"comment_id": "t3", "post_id": "P", "author": "bo", "is_brand": "false",
         "created_at": "2026-06-01T11:00:00", "text": "Same question, where is it?",
         "channel": "x"},
    ]  # fmt: skip
    import_files(store, [("t.csv", comments_csv(thread))])
    got = dict(store.rows("SELECT comment_id, first_reply_at IS NOT NULL FROM comments "
                           "WHERE channel = 'x' AND NOT is_brand"))  # fmt: skip
    assert got == {"t1": True, "t3": False}


def test_reply_links_follow_later_and_removed_replies(store: Store) -> None:
    # Reply links are rewritten only where they change: a reply imported later links,
    # an earlier inline reply time wins, and deleting the replies unlinks again.
    rows = make_rows(6, reply_every=2, good=0.0)
    audience = [r for r in rows if r["author"] != "brand"]
    replies = [r for r in rows if r["author"] == "brand"]
    import_files(store, [("a.csv", comments_csv(audience))])
    assert store.one("SELECT count(first_reply_at) FROM comments") == 0
    b = import_files(store, [("b.csv", comments_csv(replies))])[0]
    linked = dict(store.rows("SELECT comment_id, first_reply_at FROM comments "
                              "WHERE NOT is_brand AND first_reply_at IS NOT NULL"))  # fmt: skip
    assert sorted(linked) == ["c0", "c2", "c4"]
    assert store.one("SELECT sum(answered) FROM daily_rollup") == 3
    store.delete_import(b.import_id)
    assert store.one("SELECT count(first_reply_at) FROM comments") == 0
    assert store.one("SELECT sum(answered) FROM daily_rollup") == 0
    # Brand replies without parent answer the audience comments before them on the post.
    thread = [
        {"comment_id": "u1", "post_id": "Q", "author": "ann", "is_brand": "false",
         "created_at": "2026-07-01T10:00:00", "text": "Any news on my parcel?", "channel": "x"},
        {"comment_id": "u2", "post_id": "Q", "author": "bo", "is_brand": "false",
         "created_at": "2026-07-01T10:05:00", "text": "Mine too please", "channel": "x"},
        {"comment_id": "u3", "post_id": "Q", "author": "brand", "is_brand": "true",
         "created_at": "2026-07-01T10:30:00", "text": "Checking now", "channel": "x"},
        {"comment_id": "u4", "post_id": "Q", "author": "brand", "is_brand": "true",
         "created_at": "2026-07-01T11:30:00", "text": "Sent by DM", "channel": "x"},
    ]  # fmt: skip
    import_files(store, [("t.csv", comments_csv(thread))])
    got = dict(store.rows("SELECT comment_id, strftime(first_reply_at, '%H:%M') FROM comments "
                           "WHERE channel = 'x' AND NOT is_brand"))  # fmt: skip
    assert got == {"u1": "10:30", "u2": "10:30"}


def test_brand_accounts_mark_replies(store: Store) -> None:
    rows = make_rows(6, reply_every=1)
    for r in rows:
        r["is_brand"] = ""
        if r["author"] == "brand":
            r["author"] = "AcmeCare"
    store.set_setting("brand_accounts", ["acmecare"])
    import_files(store, [("b.csv", comments_csv(rows))])
    n_brand = store.one("SELECT count(*) FROM comments WHERE is_brand")
    assert n_brand == 6
    store.set_setting("brand_accounts", [])
    store.refresh_all()
    assert store.one("SELECT count(*) FROM comments WHERE is_brand") == 0


def test_delete_import_removes_everything(store: Store) -> None:
    a = import_files(store, [("a.csv", comments_csv(make_rows(20, prefix="a")))])[0]
    import_files(store, [("b.csv", comments_csv(make_rows(15, prefix="b")))])
    removed = store.delete_import(a.import_id)
    assert removed["comments"] == 20
    assert store.table_counts()["comments"] == 15
    assert store.one("SELECT sum(audience) FROM daily_rollup") == 15


def test_label_override_wins_and_reverts(store: Store) -> None:
    import_files(store, [("a.csv", comments_csv(make_rows(10, good=1.0)))])
    key = store.one("SELECT row_key FROM comments LIMIT 1")
    before = store.one("SELECT sum(pos) FROM daily_rollup")
    store.set_label("facebook", key, "negative")
    assert store.one("SELECT label FROM comments WHERE row_key = ?", [key]) == "negative"
    assert store.one("SELECT sum(pos) FROM daily_rollup") == before - 1
    assert store.label_overrides().height == 1
    store.clear_label("facebook", key)
    assert store.one("SELECT label FROM comments WHERE row_key = ?", [key]) == "positive"
    assert store.label_overrides().height == 0


def test_batches_of_one_import_dedupe_across_batches_and_leave_no_files(
    store: Store, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comment batches of an import wait outside the transaction until its end: duplicates
    across batches are still counted once, and nothing is left behind, on success or not."""
    import tempfile

    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    rows = make_rows(30)
    res = import_files(
        store, [("dup.csv", comments_csv(rows + rows[5:15]))], ImportOptions(batch_rows=10)
    )[0]
    assert res.ok, res.errors
    assert (res.rows_imported, res.duplicates) == (30, 10)
    assert store.one("SELECT count(*) FROM comments") == 30

    def leftovers() -> list:
        staged = store.staging_dir
        return list(spill.iterdir()) + (
            list(staged.iterdir()) if staged and staged.exists() else []
        )

    assert leftovers() == []

    _fail_on_batch(monkeypatch, 3)
    res = import_files(
        store, [("more.csv", comments_csv(make_rows(40, prefix="m")))], ImportOptions(batch_rows=10)
    )[0]
    assert not res.ok
    assert store.one("SELECT count(*) FROM comments") == 30
    assert leftovers() == []


def test_staging_left_by_a_dead_import_is_removed_on_open(tmp_path) -> None:
    path = tmp_path / "s.duckdb"
    Store(path).close()
    staging = tmp_path / "s.duckdb.staging"
    dead = staging / "import-999999999-abc"
    dead.mkdir(parents=True)
    (dead / "comments-0.parquet").write_bytes(b"partial")
    ours = staging / f"import-{os.getpid()}-abc"  # another Store of this process importing
    ours.mkdir()
    store = Store(path)
    try:
        assert store.staging_dir == staging
        assert not dead.exists() and ours.exists()
    finally:
        store.close()


def _fail_on_batch(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the n-th comment batch of the next import fail after it was added."""
    from trustdash import store as store_mod

    calls = {"n": 0}
    real = store_mod.ImportBatch.add_comments

    def failing(self, frame):
        calls["n"] += 1
        real(self, frame)
        if calls["n"] == n:
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_mod.ImportBatch, "add_comments", failing)
