"""Re-scoring after a lexicon change: scores follow, overrides keep winning."""

from __future__ import annotations

from tests.conftest import comments_csv, make_rows
from trustdash import rescoring
from trustdash.ingest import import_files
from trustdash.store import Store


def test_lexicon_change_triggers_rescore_and_overrides_win(store: Store) -> None:
    rows = make_rows(20, good=1.0)
    for r in rows:
        r["text"] = "The zorblax arrived today"
    import_files(store, [("a.csv", comments_csv(rows))])
    assert not rescoring.needs_rescore(store)
    assert store.one("SELECT count(*) FROM comments WHERE label = 'negative'") == 0
    key = store.one("SELECT row_key FROM comments ORDER BY row_key LIMIT 1")
    store.set_label("facebook", key, "positive")
    store.set_setting("lexicon_overrides", {"zorblax": -1.0})
    assert rescoring.needs_rescore(store)
    seen = []
    updated = rescoring.rescore(store, lambda f, t: seen.append(f), parts=4)
    assert updated == 19
    assert seen[-1] == 1.0
    assert store.one("SELECT count(*) FROM comments WHERE label = 'negative'") == 19
    assert store.one("SELECT label FROM comments WHERE row_key = ?", [key]) == "positive"
    assert store.one("SELECT sum(neg) FROM daily_rollup") == 19
    assert not rescoring.needs_rescore(store)


def test_background_job_runs_once(store: Store) -> None:
    import_files(store, [("a.csv", comments_csv(make_rows(10)))])
    assert rescoring.start_background(store) is None
    store.set_setting("brand_terms", ["Lumen"])
    job = rescoring.start_background(store)
    assert job is not None
    job.thread.join(timeout=60)
    assert job.done and job.error is None and job.fraction == 1.0
    assert rescoring.start_background(store) is None
