"""The pages, headless (Streamlit's AppTest): every page renders on an empty store and on
the demo store; an upload adds rows; the campaign filter changes the numbers; the URL
reproduces the filters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, comments_csv, make_rows

PAGES = ["app.py", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))]


def _run(page: str, **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def demo_env(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv("TRUSTDASH_DB", str(path))
    monkeypatch.setenv("TRUSTDASH_NO_DEMO", "1")
    return path


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_store(page: str, env_db: Path) -> None:
    at = _run(page)
    _assert_clean(at)
    # Analysis pages tell the user what to do instead of showing empty charts.
    if page in ("app.py", "pages/1_Channels.py", "pages/4_Conversations.py"):
        assert any("Import" in i.value or "import" in i.value for i in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_store(page: str, demo_env: Path) -> None:
    at = _run(page)
    _assert_clean(at)
    assert not at.error, [e.value for e in at.error]


def _headline(at: AppTest) -> str:
    metrics = [m for m in at.metric if m.label == "Brand Trust Score"]
    assert metrics, "no headline metric"
    return metrics[0].value


def test_overview_shows_trust_per_channel(demo_env: Path) -> None:
    at = _run("app.py")
    value = _headline(at)
    assert value.replace("⚠", "").strip().isdigit()
    texts = " ".join(str(c.value) for c in at.caption)
    assert "interval" in texts


def test_campaign_filter_changes_the_numbers_and_is_in_the_url(demo_env: Path) -> None:
    at = _run("app.py")
    before = _headline(at)
    at.multiselect(key="td_w_campaigns").set_value(["Summer Sale 2026"]).run()
    _assert_clean(at)
    after = _headline(at)
    assert after != before
    assert at.query_params.get("campaign") in (["Summer Sale 2026"], "Summer Sale 2026")
    # The same URL in a new session reproduces the number.
    params = {k: v for k, v in at.query_params.items()}
    again = _run("app.py", **params)
    assert _headline(again) == after


def test_unknown_campaign_in_url_is_ignored_with_a_notice(demo_env: Path) -> None:
    at = _run("app.py", campaign=["Summer Sale 2026", "<script>nope</script>"])
    _assert_clean(at)
    assert any("Ignored unknown campaign" in i.value for i in at.info)
    assert at.multiselect(key="td_w_campaigns").value == ["Summer Sale 2026"]


def test_upload_adds_rows(env_db: Path) -> None:
    from trustdash.store import Store

    at = _run("pages/6_Import.py")
    data = comments_csv(make_rows(25, channel="mastodon"))
    at.file_uploader(key="upload").set_value([("mastodon.csv", data, "text/csv")]).run()
    _assert_clean(at)
    at.button(key="do_import").click().run()
    _assert_clean(at)
    assert any("imported" in s.value for s in at.success)
    from trustdash.store import close_all

    close_all()
    s = Store(env_db)
    assert s.table_counts()["comments"] == 25
    assert "mastodon" in s.channels()
    s.close()


def test_bad_upload_names_the_file_and_good_one_still_imports(env_db: Path) -> None:
    at = _run("pages/6_Import.py")
    good = comments_csv(make_rows(12, channel="mastodon"))
    at.file_uploader(key="upload").set_value(
        [("empty.csv", b"", "text/csv"), ("good.csv", good, "text/csv")]
    ).run()
    at.button(key="do_import").click().run()
    _assert_clean(at)
    # Messages are escaped markdown: compare the text a user reads.
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "empty.csv" in errors
    assert any("1 file(s) imported" in s.value for s in at.success)


def test_unknown_layout_is_mapped_once_in_the_wizard_then_remembered(env_db: Path) -> None:
    data = (
        b"Zeitpunkt;Nachricht;Wer\n"
        b"2026-06-01 10:00;Super produit, merci;ann\n"
        b"2026-06-02 11:00;Livraison en retard, toujours rien;bob\n"
    )
    at = _run("pages/6_Import.py")
    at.file_uploader(key="upload").set_value([("forum.csv", data, "text/csv")]).run()
    _assert_clean(at)
    at.selectbox(key="map_0_created_at").set_value("Zeitpunkt")
    at.selectbox(key="map_0_text").set_value("Nachricht")
    at.selectbox(key="map_0_author").set_value("Wer")
    at.text_input(key="ch_0").set_value("forum")
    at.run()
    at.button(key="do_import").click().run()
    _assert_clean(at)
    assert any("1 file(s) imported" in s.value for s in at.success), [e.value for e in at.error]
    # The same header in another file is recognised from the saved profile.
    again = _run("pages/6_Import.py")
    other = data.replace(b"ann", b"cleo").replace(b"bob", b"dan")
    again.file_uploader(key="upload").set_value([("forum2.csv", other, "text/csv")]).run()
    _assert_clean(again)
    assert not [s for s in again.selectbox if s.key and s.key.startswith("map_0_")]
    again.button(key="do_import").click().run()
    assert any("1 file(s) imported" in s.value for s in again.success)


def test_a_store_of_posts_and_metrics_shows_no_partial_score_warning(env_db: Path) -> None:
    """Only a posts export and a metrics export: no brand score, so no "partial score"
    warning about it; once comments without reply data come in, the warning is there."""
    from trustdash.ingest import import_files
    from trustdash.store import Store

    acc = ROOT / "tests" / "fixtures" / "acceptance"
    store = Store(env_db)
    try:
        files = [(n, acc / n) for n in ("Facebook_posts_acme.csv", "Overview_acme_2025.csv")]
        assert all(r.ok for r in import_files(store, files))
    finally:
        store.close()
    at = _run("app.py", **{"from": "2025-01-01", "to": "2025-12-31"})
    _assert_clean(at)
    assert _headline(at) == "—"
    assert not [w.value for w in at.warning if "Partial score" in w.value]

    store = Store(env_db)
    try:
        assert all(r.ok for r in import_files(
            store, [("x.csv", comments_csv(make_rows(60, channel="x")))]))  # fmt: skip
    finally:
        store.close()
    at = _run("app.py")
    _assert_clean(at)
    assert _headline(at).replace("⚠", "").strip().isdigit()
    assert [w.value for w in at.warning if "Partial score" in w.value]


def test_overview_points_to_the_comments_when_the_dates_have_none(env_db: Path) -> None:
    """Comments from 2022 and posts from 2025: the Overview opens on the last six months of
    data, which hold no comment; it says when the comments are and links to them. Once
    the dates hold comments, it says nothing of the kind."""
    import datetime as dt

    from trustdash.i18n import fmt_date
    from trustdash.ingest import import_files
    from trustdash.store import Store

    acc = ROOT / "tests" / "fixtures" / "acceptance"
    old = dt.datetime(2022, 3, 1, 9)
    store = Store(env_db)
    try:
        files = [("Facebook_posts_acme.csv", acc / "Facebook_posts_acme.csv"),
                 ("x.csv", comments_csv(make_rows(60, channel="x", start=old)))]  # fmt: skip
        assert all(r.ok for r in import_files(store, files))
        first, last = store.comment_bounds()
    finally:
        store.close()
    assert (first, last) == (old.date(), (old + dt.timedelta(hours=7 * 59)).date())
    at = _run("app.py")
    _assert_clean(at)
    assert _headline(at) == "—"
    infos = [i.value for i in at.info if "the comments run from" in i.value]
    assert infos == ["No comment in these dates: the comments run from "
                     f"{fmt_date(first)} to {fmt_date(last)}."]  # fmt: skip
    links = [p for p in at.get("page_link") if "six months of comments" in str(p.proto.label)]
    assert len(links) == 1
    at = _run("app.py", **{"from": "2022-01-01", "to": "2022-06-30"})
    _assert_clean(at)
    assert _headline(at).replace("⚠", "").strip().isdigit()
    assert not [i.value for i in at.info if "the comments run from" in i.value]
