"""The DuckLake backend: extension loading, lost commit races, ids, snapshot reads, migrate.

The generic store behaviour runs on both backends through the ``store`` fixture
(tests/test_store.py and friends); these tests cover what only DuckLake has.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.conftest import comments_csv, make_rows, new_lake
from trustdash.ingest import import_files
from trustdash.migrate import migrate
from trustdash.store import Store, StoreError, lake


def test_targets_are_told_apart_and_passwords_hidden() -> None:
    assert lake.is_lake("ducklake:postgres:dbname=x")
    assert not lake.is_lake("/data/trustdash.duckdb")
    assert not lake.is_lake(None)
    shown = lake.describe("ducklake:postgres:host=db user=app password=s3cret dbname=t")
    assert "s3cret" not in shown and "password=***" in shown


def test_missing_extension_names_the_pip_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.util

    real = importlib.util.find_spec

    def no_ducklake(name: str, *a: object):
        return None if name == "duckdb_extension_ducklake" else real(name, *a)

    monkeypatch.setattr(importlib.util, "find_spec", no_ducklake)
    monkeypatch.setattr(lake, "_HOST_EXTENSIONS", set())
    monkeypatch.setattr(lake, "_HOST", None)
    monkeypatch.setenv("TRUSTDASH_DATA_PATH", str(tmp_path))
    with pytest.raises(StoreError, match="pip install duckdb-extension-ducklake"):
        Store("ducklake:postgres:host=127.0.0.1 port=1 dbname=none")


def test_unreachable_catalog_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRUSTDASH_DATA_PATH", raising=False)
    with pytest.raises(StoreError, match="Cannot open the DuckLake"):
        Store("ducklake:postgres:host=127.0.0.1 port=1 dbname=none connect_timeout=2")


@pytest.fixture
def lake_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return new_lake(tmp_path, monkeypatch)


@pytest.mark.ducklake
def test_lost_commit_race_replays_the_import(
    lake_target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustdash.store import ImportBatch

    replays = []
    real_replay = ImportBatch._replay
    monkeypatch.setattr(
        ImportBatch, "_replay", lambda self, cur: replays.append(1) or real_replay(self, cur)
    )
    a, b = Store(lake_target), Store(lake_target)
    try:
        import_files(b, [("base.csv", comments_csv(make_rows(10, prefix="x")))])
        fired = []

        def meanwhile(frac: float, text: str) -> None:
            # While a's import transaction is open, another writer commits a clashing
            # write (rollups of the same table): a's commit must lose, roll back and
            # replay its journal on the new snapshot.
            if "rows read" in text and not fired:
                fired.append(import_files(b, [("y.csv", comments_csv(make_rows(5, prefix="y")))]))

        overlap = comments_csv(make_rows(30, prefix="x"))  # x0..x9 are already stored
        res = import_files(a, [("a.csv", overlap)], None, meanwhile)[0]
        assert fired and fired[0][0].ok
        assert res.ok, res.errors
        assert res.rows_imported == 20 and res.duplicates == 10
        assert a.table_counts()["comments"] == 35
        assert a.one("SELECT count(DISTINCT row_key) FROM comments") == 35
        ids = [r[0] for r in a.rows("SELECT id FROM imports ORDER BY id")]
        assert replays  # the first commit really lost
        assert ids == [1, 2, 3] and res.import_id == 2  # claimed before b's import
        assert a.one("SELECT sum(audience) FROM daily_rollup") == 35
        assert a.one("SELECT rows_imported FROM imports WHERE id = 2") == 20
    finally:
        a.close()
        b.close()


@pytest.mark.ducklake
def test_reads_see_the_last_commit_while_an_import_runs(lake_target: str) -> None:
    a, b = Store(lake_target), Store(lake_target)
    try:
        import_files(a, [("one.csv", comments_csv(make_rows(8, prefix="o")))])
        inside = threading.Event()
        release = threading.Event()

        def slow_import() -> None:
            def progress(frac: float, text: str) -> None:
                if "rows read" in text:
                    inside.set()
                    release.wait(30)

            import_files(a, [("two.csv", comments_csv(make_rows(6, prefix="t")))], None, progress)

        t = threading.Thread(target=slow_import)
        t.start()
        assert inside.wait(60)
        # The import holds its transaction open: readers get the previous snapshot at once.
        assert b.table_counts()["comments"] == 8
        assert a.table_counts()["comments"] == 8  # same process, other cursor
        release.set()
        t.join(60)
        assert b.table_counts()["comments"] == 14
    finally:
        release.set()
        a.close()
        b.close()


@pytest.mark.ducklake
def test_ids_stay_unique_across_concurrent_writers(lake_target: str) -> None:
    stores = [Store(lake_target) for _ in range(3)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            s = stores[i]
            for j in range(2):
                data = comments_csv(make_rows(5, prefix=f"w{i}_{j}_", channel=f"ch{i}"))
                res = import_files(s, [(f"w{i}{j}.csv", data)])[0]
                assert res.ok, res.errors
            s.add_annotation(__import__("datetime").date(2026, 6, 1), f"note {i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    try:
        assert not errors, errors
        s = stores[0]
        ids = [r[0] for r in s.rows("SELECT id FROM imports")]
        assert sorted(ids) == sorted(set(ids)) and len(ids) == 6
        ann = [r[0] for r in s.rows("SELECT id FROM annotations")]
        assert len(ann) == len(set(ann)) == 3
        assert s.table_counts()["comments"] == 30
        assert "_next_id.imports" not in s.all_settings()
    finally:
        for s in stores:
            s.close()


def _trust(store: Store) -> list[dict]:
    from trustdash.analysis import trust_json
    from trustdash.filters import Filters

    return trust_json(store, Filters(), "channel")


@pytest.mark.ducklake
def test_migrate_embedded_into_ducklake(tmp_path: Path, lake_target: str) -> None:
    src_path = tmp_path / "src.duckdb"
    src = Store(src_path)
    import_files(src, [("fb.csv", comments_csv(make_rows(40, reply_every=3)))])
    import_files(src, [("ig.csv", comments_csv(make_rows(25, channel="instagram", good=0.4)))])
    src.set_setting("brand_accounts", ["brand"])
    src.add_annotation(__import__("datetime").date(2026, 6, 2), "launch")
    before, counts = _trust(src), src.table_counts()
    src.close()

    copied = migrate(src_path, lake_target)
    assert copied["comments"] == counts["comments"]

    dst = Store(lake_target)
    try:
        assert _trust(dst) == before
        assert dst.table_counts() == counts
        assert dst.get_setting("brand_accounts") == ["brand"]
        # New imports continue the id sequence after the migrated ones.
        res = import_files(dst, [("x.csv", comments_csv(make_rows(3, channel="x")))])[0]
        assert res.ok and res.import_id == 3
    finally:
        dst.close()
    # A second migration into the same, now non-empty, lake is refused.
    with pytest.raises(StoreError, match="already holds data"):
        migrate(src_path, lake_target)


def test_migrate_refuses_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="No store"):
        migrate(tmp_path / "nope.duckdb", tmp_path / "dst.duckdb")
