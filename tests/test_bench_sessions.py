"""``bench sessions``: a crowd of websocket sessions against a running app. The figures are
not asserted (benchmarks print them); what is tested is that every session really renders
the Overview, then re-renders after its campaign filter changes, and that the table reports
each crowd size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from trustdash.bench import sessions


@pytest.mark.browser  # a real server
def test_each_session_renders_the_overview_then_a_campaign(demo_db: Path) -> None:
    lines: list[str] = []
    rows = sessions.run((1, 3), db=str(demo_db), out=lines.append)
    assert [r["sessions"] for r in rows] == [1, 3]
    for r in rows:
        assert r["ok"], r  # the Overview's title, no exception, the campaign widget found
        assert r["cpu_open"] > 0 and r["cpu_change"] > 0
        assert 0 < r["first_median"] <= r["first_worst"]
        assert 0 < r["change_median"] <= r["change_worst"]
        assert r["rss_peak"] >= r["rss_before"] > 0
        assert r["messages_per_render"] > 20  # a whole page, not an error or sign-in page
    table = "\n".join(lines)
    assert "CPU-s/open" in table and "targets:" in table
    assert "(some runs failed)" not in table


@pytest.mark.browser  # a real server
def test_the_crowd_can_open_the_brief_the_email_links_to(demo_db: Path) -> None:
    (row,) = sessions.run((2,), db=str(demo_db), page="brief", out=lambda _: None)
    assert row["ok"], row  # "Leadership brief" drawn in every session, then after the change


def test_the_command_refuses_bad_crowd_sizes_and_missing_stores(tmp_path: Path) -> None:
    for args, message in (
        (["--sessions", "10,zero"], "positive whole numbers"),
        (["--sessions", "0"], "positive whole numbers"),
        (["--db", str(tmp_path / "none.duckdb")], "no such store file"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "trustdash", "bench", "sessions", *args],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )  # fmt: skip
        assert proc.returncode != 0
        assert message in proc.stderr, proc.stderr
