"""Backup and restore: a round trip gives the same numbers; bad backups are refused
before anything in the store changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, comments_csv, make_rows

from trustdash import backup
from trustdash.analysis import trust_json
from trustdash.filters import Filters
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import BACKUP_TABLES, Store


def _fill(store: Store) -> None:
    store.set_setting("brand_accounts", ["brand"])
    store.add_campaign_rule("Summer", "keyword", "refund")
    store.add_annotation(__import__("datetime").date(2026, 6, 3), "launch", "facebook")
    res = import_files(
        store,
        [
            ("fb.csv", comments_csv(make_rows(120, reply_every=3))),
            ("ig.csv", comments_csv(make_rows(80, prefix="i", good=0.4, channel="instagram"))),
        ],
    )
    assert all(r.ok for r in res), [r.errors for r in res]
    bad = make_rows(2, prefix="x")
    bad[1]["created_at"] = "not a date"
    assert import_files(store, [("x.csv", comments_csv(bad))], ImportOptions(channel="x"))[0].ok
    row = store.table_frame("comments").row(0, named=True)
    store.set_label(row["channel"], row["row_key"], "positive", "tester")


def _numbers(store: Store) -> dict:
    return {by: trust_json(store, Filters(), by) for by in ("channel", "campaign", "week")}


def _counts(store: Store) -> dict[str, int]:
    return {t: store.table_frame(t).height for t in ("comments", "imports", "rejected_rows")}


def test_round_trip_same_numbers(store: Store, tmp_path: Path) -> None:
    _fill(store)
    manifest_path = backup.backup(store, tmp_path / "bk")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["schema_version"] == store.schema_version()
    assert set(manifest["tables"]) == set(BACKUP_TABLES)
    n_comments = store.table_frame("comments").height
    assert n_comments == 241  # 120 + 40 brand replies + 80 + 1 (the other row was rejected)
    assert manifest["tables"]["comments"]["rows"] == n_comments
    assert len(manifest["tables"]["comments"]["sha256"]) == 64

    other = Store(tmp_path / "restored.duckdb")
    try:
        counts = backup.restore(other, tmp_path / "bk")
        assert counts["comments"] == n_comments and counts["rejected_rows"] == 1
        assert _numbers(other) == _numbers(store)
        assert _counts(other) == _counts(store)
        # Derived tables are recomputed, the channel rollup (what the Overview reads) too.
        summed = "SELECT channel, day, sum(audience), sum(pos) FROM {} GROUP BY ALL ORDER BY ALL"
        assert other.rows(summed.format("channel_rollup")) == store.rows(
            summed.format("daily_rollup")
        )
        assert other.label_overrides().height == 1
        assert other.campaign_rules().height == 1
        assert other.get_setting("brand_accounts") == ["brand"]
        # restoring over a store with other data replaces it entirely
        import_files(other, [("more.csv", comments_csv(make_rows(5, prefix="m")))])
        backup.restore(other, tmp_path / "bk")
        assert _numbers(other) == _numbers(store)
        assert _counts(other) == _counts(store)
        # and it still takes new imports afterwards (ids continue)
        res = import_files(other, [("new.csv", comments_csv(make_rows(4, prefix="n")))])
        assert res[0].ok and res[0].import_id == 4
    finally:
        other.close()


def test_restore_refuses_bad_backups_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    _fill(store)
    backup.backup(store, tmp_path / "bk")
    before = (_numbers(store), _counts(store))

    def variant(name: str, edit) -> Path:
        d = tmp_path / name
        d.mkdir()
        for f in (tmp_path / "bk").iterdir():
            (d / f.name).write_bytes(f.read_bytes())
        edit(d)
        return d

    def manifest_edit(fn):
        def edit(d: Path) -> None:
            m = json.loads((d / "manifest.json").read_text())
            fn(m)
            (d / "manifest.json").write_text(json.dumps(m))

        return edit

    def corrupt(d: Path) -> None:
        p = d / "comments.parquet"
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))

    cases = {
        "newer_schema": manifest_edit(lambda m: m.update(schema_version=99)),
        "hash": corrupt,
        "missing_file": lambda d: (d / "posts.parquet").unlink(),
        "row_count": manifest_edit(lambda m: m["tables"]["comments"].update(rows=1)),
        "unknown_table": manifest_edit(
            lambda m: m["tables"].update(evil={"file": "comments.parquet", "rows": 0})
        ),
        "path_escape": manifest_edit(
            lambda m: m["tables"]["comments"].update(file="../bk/comments.parquet")
        ),
        "not_json": lambda d: (d / "manifest.json").write_text("{nope"),
        "no_manifest": lambda d: (d / "manifest.json").unlink(),
        "other_format": manifest_edit(lambda m: m.update(format="something")),
    }
    for name, edit in cases.items():
        src = variant(name, edit)
        with pytest.raises(backup.BackupError):
            backup.restore(store, src)
        assert (_numbers(store), _counts(store)) == before, name


def test_backup_refuses_to_overwrite(store: Store, tmp_path: Path) -> None:
    backup.backup(store, tmp_path / "bk")
    with pytest.raises(backup.BackupError):
        backup.backup(store, tmp_path / "bk")


def test_empty_store_round_trip(store: Store, tmp_path: Path) -> None:
    backup.backup(store, tmp_path / "bk")
    assert backup.restore(store, tmp_path / "bk")["comments"] == 0
    assert store.is_empty()


def test_migrate_between_stores(tmp_path: Path) -> None:
    src = tmp_path / "src.duckdb"
    s = Store(src)
    _fill(s)
    want = (_numbers(s), _counts(s))
    s.close()
    counts = backup.migrate(str(src), str(tmp_path / "dst.duckdb"))
    assert counts["comments"] == 241
    from trustdash.store import close_all, open_store

    try:
        dst = open_store(str(tmp_path / "dst.duckdb"))
        assert (_numbers(dst), _counts(dst)) == want
        with pytest.raises(backup.BackupError):
            backup.migrate(str(src), str(src))
    finally:
        close_all()


def test_cli_backup_restore_and_trust(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    s = Store(db)
    _fill(s)
    s.close()

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "trustdash", *args],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip

    before = cli("trust", "--by", "channel", "--db", str(db), "--json")
    assert before.returncode == 0, before.stderr
    out = cli("backup", "--db", str(db), "--out", str(tmp_path / "bk"))
    assert out.returncode == 0, out.stderr
    db2 = tmp_path / "b.duckdb"
    out = cli("restore", "--db", str(db2), "--from", str(tmp_path / "bk"))
    assert out.returncode == 0, out.stderr
    after = cli("trust", "--by", "channel", "--db", str(db2), "--json")
    assert json.loads(after.stdout) == json.loads(before.stdout)
    bad = cli("restore", "--db", str(db2), "--from", str(tmp_path / "nowhere"))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "manifest" in bad.stderr
