"""The command line contract (stable: benchmarks and outside checks use it)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import ROOT, comments_csv, make_rows


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trustdash", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=timeout,
    )  # fmt: skip


def test_import_json_contract_and_reimport(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = tmp_path / "fb.csv"
    f.write_bytes(comments_csv(make_rows(30, channel="facebook", campaign="Spring")))
    proc = cli("import", str(f), "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    (entry,) = out["files"]
    for key in ("path", "format", "channel", "table", "rows_read", "rows_imported",
                "duplicates", "rejected", "errors"):  # fmt: skip
        assert key in entry
    assert entry["table"] == "comments"
    assert entry["rows_read"] == 30 and entry["rows_imported"] == 30 and entry["errors"] == []
    again = json.loads(cli("import", str(f), "--db", str(db), "--json").stdout)["files"][0]
    assert again["rows_imported"] == 0 and again["duplicates"] == 30


def test_bad_file_exit_1_no_traceback_others_import(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    good = tmp_path / "good.csv"
    good.write_bytes(comments_csv(make_rows(12)))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    html = tmp_path / "page.csv"
    html.write_text("<!DOCTYPE html><html><body>Not a CSV</body></html>")
    proc = cli("import", str(empty), str(good), str(html), "--db", str(db), "--json")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    files = {Path(f["path"]).name: f for f in json.loads(proc.stdout)["files"]}
    assert files["good.csv"]["rows_imported"] == 12
    assert files["empty.csv"]["errors"] and "empty.csv" in files["empty.csv"]["errors"][0]
    assert files["page.csv"]["errors"] and "page.csv" in files["page.csv"]["errors"][0]
    trust = json.loads(cli("trust", "--db", str(db), "--by", "channel", "--json").stdout)
    assert sum(r["n"] for r in trust) == 12


def test_gz_is_read_transparently(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = tmp_path / "c.csv.gz"
    f.write_bytes(gzip.compress(comments_csv(make_rows(15))))
    out = json.loads(cli("import", str(f), "--db", str(db), "--json").stdout)["files"][0]
    assert out["rows_imported"] == 15, out


def test_map_option_imports_an_unknown_layout(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = tmp_path / "odd.csv"
    f.write_text("Zeitpunkt;Nachricht;Wer\n2026-06-01 10:00;Super produit, merci;ann\n"
                 "2026-06-02 11:00;Livraison en retard, toujours rien;bob\n")  # fmt: skip
    proc = cli("import", str(f), "--db", str(db), "--json", "--channel", "forum",
               "--map", "created_at=Zeitpunkt", "--map", "text=Nachricht",
               "--map", "author=Wer")  # fmt: skip
    res = json.loads(proc.stdout)["files"][0]
    assert proc.returncode == 0, res
    assert res["rows_imported"] == 2 and res["channel"] == "forum"


def test_trust_json_contract(demo_db: Path) -> None:
    proc = cli("trust", "--db", str(demo_db), "--by", "channel", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) >= 5
    for r in rows:
        assert set(r) >= {"group", "trust", "low", "high", "n", "components", "flags"}
        assert 0 <= r["low"] <= r["trust"] <= r["high"] <= 100
        assert set(r["components"]) == {"S1", "S2", "S3", "S4", "S5", "S6"}
    camp = json.loads(cli("trust", "--db", str(demo_db), "--by", "campaign", "--json").stdout)
    assert len([r for r in camp if r["group"] != "(no campaign)"]) >= 3
    one = json.loads(
        cli("trust", "--db", str(demo_db), "--by", "month", "--channel", "x",
            "--since", "2026-01-01", "--until", "2026-03-31", "--json").stdout
    )  # fmt: skip
    assert [r["group"] for r in one] == ["2026-01-01", "2026-02-01", "2026-03-01"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_export(demo_db: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"posts{suffix}"
    proc = cli("export", "--db", str(demo_db), "--table", "posts", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    if suffix == ".parquet":
        assert pl.read_parquet(out).height > 100
    elif suffix == ".csv":
        assert pl.read_csv(out, infer_schema=False).height > 100
    else:
        assert out.stat().st_size > 1000


def test_score_adds_polarity_label_lang(tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    pl.DataFrame({"id": [1, 2, 3], "msg": ["I love it!", "C'est nul, très déçu", ""]}).write_csv(
        src
    )
    out = tmp_path / "scored.parquet"
    proc = cli("score", str(src), "--text-column", "msg", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    frame = pl.read_parquet(out)
    assert frame.columns[:2] == ["id", "msg"]
    assert {"polarity", "label", "lang"} <= set(frame.columns)
    assert frame["label"].to_list()[:2] == ["positive", "negative"]
    bad = cli("score", str(src), "--text-column", "nope", "--out", str(out))
    assert bad.returncode == 1 and "nope" in bad.stderr and "Traceback" not in bad.stderr


def test_score_process_settings_change_no_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """score's allocator and BLAS settings (cli.SCORE_PROCESS_ENV) against the libraries'
    defaults ("" for each variable): the same file, byte for byte, through the two-thread path."""
    import gc
    import os

    from trustdash import cli as cli_module
    from trustdash.bench.sentiment import make_longtail_comments
    from trustdash.sentiment.engine import THREAD_MIN_TEXTS

    src = tmp_path / "t.csv"
    texts = make_longtail_comments(THREAD_MIN_TEXTS + 2_000)
    pl.DataFrame({"text": texts}).write_csv(src)
    outs = []
    for extra in ({}, {name: "" for name in cli_module.SCORE_PROCESS_ENV}):
        env = {k: v for k, v in os.environ.items() if k not in cli_module.SCORE_PROCESS_ENV}
        out = tmp_path / f"scored{len(outs)}.csv"
        proc = subprocess.run(
            [sys.executable, "-m", "trustdash", "score", str(src), "--text-column", "text",
             "--out", str(out)],
            capture_output=True, text=True, cwd=ROOT, timeout=300, env={**env, **extra},
        )  # fmt: skip
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    # Defaults are filled in; a value already set (by the user) wins.
    for name in cli_module.SCORE_PROCESS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRUSTDASH_SCORE_GC", "on")  # this test process keeps its collector
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    cli_module._score_process_settings()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert os.environ["_RJEM_MALLOC_CONF"] == cli_module.SCORE_PROCESS_ENV["_RJEM_MALLOC_CONF"]
    monkeypatch.setenv("POLARS_MAX_THREADS", "")  # "": the library's default, never warned of
    cli_module._score_process_settings()
    assert "POLARS_MAX_THREADS" not in os.environ
    assert gc.isenabled()


def test_demo_store_is_realistic(demo_db: Path) -> None:
    from trustdash.store import Store

    s = Store(demo_db)
    try:
        assert len(s.channels()) >= 5
        assert len(s.campaigns()) >= 3
        assert s.table_counts()["comments"] >= 30_000
        lo, hi = s.date_bounds()
        assert (hi - lo).days >= 360
        langs = dict(s.rows("SELECT lang, count(*) FROM comments GROUP BY 1"))
        assert langs.get("fr", 0) > 5000 and langs.get("en", 0) > 5000
        assert s.one("SELECT count(*) FROM comments WHERE is_brand") > 1000
    finally:
        s.close()


def test_demo_shows_a_dip_during_one_campaign(demo_db: Path) -> None:
    rows = json.loads(cli("trust", "--db", str(demo_db), "--by", "campaign", "--json").stdout)
    scores = {r["group"]: r["trust"] for r in rows if r["group"] != "(no campaign)"}
    worst = min(scores, key=scores.get)
    others = [v for k, v in scores.items() if k != worst]
    assert scores[worst] < min(others) - 10
