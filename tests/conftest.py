"""Shared fixtures: temporary stores, a demo store built once per run, small exports."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _no_env_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests never touch the user's default store.
    monkeypatch.delenv("TRUSTDASH_DB", raising=False)
    monkeypatch.delenv("TRUSTDASH_PUBLIC", raising=False)


def new_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh, empty DuckLake target: its own PostgreSQL schema and a tmp data folder.

    A schema per test (rather than a database) keeps setup to a few milliseconds. The
    settings go through the environment so that CLI subprocesses open the same lake.
    """
    import uuid

    pg = os.environ.get("TRUSTDASH_TEST_PG", "").strip()
    if not pg:
        pytest.skip("TRUSTDASH_TEST_PG is not set (source .ci/postgres.sh && pg_start)")
    monkeypatch.setenv("TRUSTDASH_LAKE_SCHEMA", "t_" + uuid.uuid4().hex[:12])
    monkeypatch.setenv("TRUSTDASH_DATA_PATH", str(tmp_path / "lake-data"))
    return f"ducklake:postgres:{pg}"


@pytest.fixture(params=["embedded", pytest.param("ducklake", marks=pytest.mark.ducklake)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(tmp_path: Path, backend: str, monkeypatch: pytest.MonkeyPatch):
    from trustdash.store import Store

    if backend == "ducklake":
        s = Store(new_lake(tmp_path, monkeypatch))
    else:
        s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the demo workspace, built once through the CLI."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "trustdash", "demo", "--db", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return path


def comments_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    """A small comments CSV in the canonical layout (our own fixture, not a sample)."""
    import csv
    import io

    header = header or [
        "comment_id", "post_id", "parent_id", "author", "is_brand", "created_at", "text",
        "likes", "campaign", "channel",
    ]  # fmt: skip
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8")


def make_rows(
    n: int,
    *,
    channel: str = "facebook",
    campaign: str = "",
    good: float = 0.7,
    start: dt.datetime = dt.datetime(2026, 6, 1, 9),
    prefix: str = "c",
    reply_every: int = 0,
) -> list[dict]:
    """n audience comments, a share ``good`` positive, the rest complaints; optional replies."""
    rows = []
    for i in range(n):
        t = start + dt.timedelta(hours=7 * i)
        positive = (i % 100) < good * 100
        text = (
            "I love this brand, great quality and fast delivery!"
            if positive
            else "Still waiting for my refund, terrible service."
        )
        rows.append(
            {"comment_id": f"{prefix}{i}", "post_id": f"p{i % 5}", "parent_id": "",
             "author": f"user{i}", "is_brand": "false", "created_at": t.isoformat(),
             "text": text, "likes": str(i % 4), "campaign": campaign, "channel": channel}
        )  # fmt: skip
        if reply_every and i % reply_every == 0:
            rows.append(
                {"comment_id": f"{prefix}r{i}", "post_id": f"p{i % 5}",
                 "parent_id": f"{prefix}{i}", "author": "brand", "is_brand": "true",
                 "created_at": (t + dt.timedelta(minutes=30)).isoformat(),
                 "text": "Thanks for your message, we are looking into it.", "likes": "0",
                 "campaign": campaign, "channel": channel}
            )  # fmt: skip
    return rows


@pytest.fixture
def env_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("TRUSTDASH_SKIP_BROWSER"):
        skip = pytest.mark.skip(reason="browser tests disabled")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)
