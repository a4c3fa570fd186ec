"""Several processes on one DuckLake: two CLI importers (overlapping files) and two readers.

Every comment must be stored exactly once, every import must succeed (lost commit races
are replayed), import ids must not collide, rollups must match the rows, and the readers
must never fail nor see the total go backwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustdash.bench.scale import run_concurrent

pytestmark = [pytest.mark.ducklake, pytest.mark.slow]


def test_two_importers_and_two_readers(tmp_path: Path) -> None:
    pg = os.environ.get("TRUSTDASH_TEST_PG", "").strip()
    if not pg:
        pytest.skip("TRUSTDASH_TEST_PG is not set (source .ci/postgres.sh && pg_start)")
    r = run_concurrent(pg, tmp_path, rows=400, readers=2)
    for imp in r["importers"]:
        assert imp["rc"] == 0, imp["stderr"]
    for result in r["import_results"]:
        assert result and all(not f["errors"] for f in result), result
    assert r["stored"] == r["stored_unique"] == r["expected_distinct"]
    # Each facebook comment shared by A and B counted once as imported, once as duplicate.
    imported = sum(f["rows_imported"] for res in r["import_results"] for f in res)
    duplicates = sum(f["duplicates"] for res in r["import_results"] for f in res)
    assert imported == r["expected_distinct"]
    assert imported + duplicates == r["rows_written"]
    assert r["rollup_audience"] == r["expected_distinct"]
    assert r["imports"] == r["distinct_import_ids"] == 4
    for reader in r["readers"]:
        assert "error" not in reader, reader
        assert reader["errors"] == [] and reader["backwards"] == 0
        assert reader["loops"] >= 1
