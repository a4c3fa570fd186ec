"""Re-scoring after a lexicon change: scores follow, overrides keep winning."""

from __future__ import annotations

from tests.conftest import comments_csv, make_rows
from trustdash import rescoring
from trustdash.filters import Filters
from trustdash.ingest import import_files
from trustdash.store import Store


def _labels(store: Store, row_key: str | None = None) -> list[str]:
    comments = store.table_frame("comments")
    if row_key is not None:
        comments = comments.filter(comments["row_key"] == row_key)
    return comments["label"].to_list()


def test_lexicon_change_triggers_rescore_and_overrides_win(store: Store) -> None:
    rows = make_rows(20, good=1.0)
    for r in rows:
        r["text"] = "The zorblax arrived today"
    import_files(store, [("a.csv", comments_csv(rows))])
    assert not rescoring.needs_rescore(store)
    assert _labels(store).count("negative") == 0
    key = min(store.table_frame("comments")["row_key"].to_list())
    store.set_label("facebook", key, "positive")
    store.set_setting("lexicon_overrides", {"zorblax": -1.0})
    assert rescoring.needs_rescore(store)
    seen = []
    updated = rescoring.rescore(store, lambda f, t: seen.append(f), parts=4)
    assert updated == 19
    assert seen[-1] == 1.0
    assert _labels(store).count("negative") == 19
    assert _labels(store, key) == ["positive"]
    assert store.rollup_rows(Filters())["neg"].sum() == 19  # the rollup follows
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
