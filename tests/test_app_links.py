"""The pages as a new user meets them (Streamlit's AppTest): links keep the view, the demo
can be removed, corrections apply in bulk, explainers and tables speak plainly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


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
    monkeypatch.delenv("TRUSTDASH_PUBLIC_URL", raising=False)
    return path


def _page_text(at: AppTest) -> list[str]:
    return [str(e.value) for kind in (at.text, at.markdown, at.caption) for e in kind]


def _shown_cells(el: object) -> list[str]:
    """The cells of a rendered table as the browser draws them: the grid draws a missing
    value as "None" whatever a styler says, so the data itself must hold no nulls."""
    frame = el.value  # type: ignore[attr-defined]
    return ["None" if v is None or v != v else str(v) for v in frame.to_numpy().ravel()]


# --------------------------------------------------------------------------- plain words


def test_explainers_round_values_and_name_their_terms(demo_env: Path) -> None:
    at = _run("app.py")
    _assert_clean(at)
    texts = _page_text(at)
    long_floats = [t for t in texts if re.search(r"\d\.\d{4,}", t)]
    assert not long_floats, long_floats[:5]
    joined = "\n".join(texts)
    assert "prior strength (how many comments the prior weighs as)" in joined
    assert not [t for t in texts if re.match(r"^m\s*:", t)], "bare 'm' in an explainer"
    assert "C: complaints" in joined


def test_campaign_ranking_says_why_it_uses_the_lower_bound(demo_env: Path) -> None:
    at = _run("pages/2_Campaigns.py")
    _assert_clean(at)
    assert any("low end of the 80 % interval" in c.value and "few comments" in c.value
               for c in at.caption)  # fmt: skip


@pytest.mark.parametrize(
    "page_file", ["app.py", "pages/4_Conversations.py", "pages/7_Import_history.py"]
)
def test_tables_show_a_dash_for_missing_values(page_file: str, demo_env: Path) -> None:
    at = _run(page_file)
    _assert_clean(at)
    assert at.dataframe, "no table rendered"
    saw_missing = False
    for el in at.dataframe:
        cells = _shown_cells(el)
        assert "None" not in cells and "nan" not in cells and "NaT" not in cells, page_file
        saw_missing = saw_missing or "—" in cells
    # Each of these pages has at least one table with a missing value to show.
    assert saw_missing, page_file


# --------------------------------------------------------------------------- corrections

TEXT = "Commande passée, on verra"


def _complaints(db: Path) -> tuple[float, int, list[str]]:
    """Complaints in the rollup, complaints among comments with TEXT, and their labels."""
    import duckdb

    from trustdash.store import close_all

    close_all()
    with duckdb.connect(str(db), read_only=True) as con:
        rollup = con.execute("SELECT sum(complaints) FROM daily_rollup").fetchone()[0]
        flagged = con.execute(
            "SELECT count(*) FILTER (WHERE is_complaint) FROM comments "
            "WHERE text = ? AND NOT is_brand", [TEXT]
        ).fetchone()[0]  # fmt: skip
        labels = [r[0] for r in con.execute(
            "SELECT DISTINCT label FROM comments WHERE text = ? AND NOT is_brand", [TEXT]
        ).fetchall()]  # fmt: skip
    return float(rollup), int(flagged), labels


def test_bulk_relabel_changes_every_comment_with_that_text(demo_env: Path) -> None:
    rollup_before, flagged_before, labels_before = _complaints(demo_env)
    assert flagged_before > 1 and labels_before != ["positive"]
    at = _run("pages/4_Conversations.py")
    at.text_input(key="cv_search").set_value(TEXT).run()
    at.session_state["cv_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    _assert_clean(at)
    label = next(r for r in at.radio if r.key and r.key.startswith("cv_newlabel_"))
    label.set_value("positive").run()
    bulk = at.button(key="cv_save_all")
    assert "Label all" in bulk.label
    bulk.click().run()
    _assert_clean(at)
    assert any("comments positive" in s.value for s in at.success)
    rollup_after, flagged_after, labels_after = _complaints(demo_env)
    assert labels_after == ["positive"]
    assert flagged_after == 0
    assert rollup_after == rollup_before - flagged_before


def test_one_comment_relabelled_positive_is_no_longer_a_complaint(demo_env: Path) -> None:
    from trustdash import corrections
    from trustdash.store import Store

    rollup_before, flagged_before, _ = _complaints(demo_env)
    s = Store(demo_env)
    try:
        channel, row_key = s.same_text_rows(*_first_key(s))[0]
        corrections.relabel(s, channel, row_key, "positive")
    finally:
        s.close()
    rollup_after, flagged_after, _ = _complaints(demo_env)
    assert (rollup_after, flagged_after) == (rollup_before - 1, flagged_before - 1)
    s = Store(demo_env)
    try:
        corrections.revert(s, channel, row_key)
    finally:
        s.close()
    assert _complaints(demo_env)[:2] == (rollup_before, flagged_before)


def _first_key(s: object) -> tuple[str, str]:
    from trustdash.filters import Filters

    frame = s.comments(Filters(), search=TEXT, limit=50)  # type: ignore[attr-defined]
    row = frame.filter(frame["is_complaint"]).row(0, named=True)
    return row["channel"], row["row_key"]


def test_delete_import_asks_for_confirmation(demo_env: Path) -> None:
    at = _run("pages/7_Import_history.py")
    _assert_clean(at)
    pick = at.selectbox(key="hist_pick").value
    delete = at.button(key="hist_delete")
    assert delete.disabled  # nothing is deleted before the box is ticked
    from trustdash.store import Store, close_all

    at = _run("pages/7_Import_history.py")
    at.checkbox(key=f"hist_confirm_{pick}").check().run()
    assert not at.button(key="hist_delete").disabled
    at.button(key="hist_delete").click().run()
    _assert_clean(at)
    close_all()
    s = Store(demo_env)
    try:
        assert pick not in s.imports()["id"].to_list()
    finally:
        s.close()


# --------------------------------------------------------------------------- the demo


def _store_summary(db: Path) -> tuple[list[str], list[str], int]:
    from trustdash.store import Store, close_all

    close_all()
    s = Store(db)
    try:
        by = s.imports()["imported_by"].to_list()
        return by, s.channels(), s.table_counts()["comments"]
    finally:
        s.close()


def test_first_own_import_offers_to_remove_exactly_the_demo(demo_env: Path) -> None:
    from tests.conftest import comments_csv, make_rows

    by, channels, _ = _store_summary(demo_env)
    assert len(by) > 1 and set(by) == {"demo"} and "mastodon" not in channels
    at = _run("pages/6_Import.py")
    assert not [b for b in at.button if b.key == "demo_offer_remove"], "offered before any import"
    data = comments_csv(make_rows(25, channel="mastodon"))
    at.file_uploader(key="upload").set_value([("mastodon.csv", data, "text/csv")]).run()
    at.button(key="do_import").click().run()
    _assert_clean(at)
    assert at.button(key="demo_offer_remove").disabled
    at.checkbox(key="demo_offer_confirm").check().run()
    _assert_clean(at)
    at.button(key="demo_offer_remove").click().run()
    _assert_clean(at)
    assert any("Demo removed" in s.value for s in at.success)
    by, channels, comments = _store_summary(demo_env)
    assert "demo" not in by and len(by) == 1  # the user's import stays, alone
    assert channels == ["mastodon"] and comments == 25


def test_import_history_removes_the_demo_after_confirmation(demo_env: Path) -> None:
    at = _run("pages/7_Import_history.py")
    _assert_clean(at)
    assert at.button(key="demo_hist_remove").disabled
    at.checkbox(key="demo_hist_confirm").check().run()
    at.button(key="demo_hist_remove").click().run()
    _assert_clean(at)
    by, channels, comments = _store_summary(demo_env)
    assert by == [] and channels == [] and comments == 0
    again = _run("pages/7_Import_history.py")
    assert not [b for b in again.button if b.key == "demo_hist_remove"]


# --------------------------------------------------------------------------- links


def _share_link(at: AppTest) -> str:
    codes = [c.value for c in at.sidebar.code]
    assert len(codes) == 1, codes
    return codes[0]


def _query(link: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(link).query)


def _reopen(page_file: str, link: str) -> AppTest:
    return _run(page_file, **_query(link))  # type: ignore[arg-type]


def test_share_link_keeps_the_channels_page_channel(demo_env: Path) -> None:
    at = _run("pages/1_Channels.py")
    _assert_clean(at)
    first = at.selectbox(key="ch_pick").value
    other = next(o for o in at.selectbox(key="ch_pick").options if o != first)
    at.selectbox(key="ch_pick").set_value(other).run()
    _assert_clean(at)
    link = _share_link(at)
    assert _query(link)["focus"] == [other]
    assert at.query_params["focus"] in (other, [other])  # in the browser's URL too
    again = _reopen("pages/1_Channels.py", link)
    _assert_clean(again)
    assert again.selectbox(key="ch_pick").value == other
    assert _query(_share_link(again))["focus"] == [other]


def test_share_link_keeps_the_conversation_filters(demo_env: Path) -> None:
    at = _run("pages/4_Conversations.py")
    at.multiselect(key="cv_label").set_value(["negative"])
    at.multiselect(key="cv_lang").set_value(["fr"])
    at.selectbox(key="cv_answered").set_value("unanswered")
    at.text_input(key="cv_search").set_value("remboursement")
    at.run()
    _assert_clean(at)
    count = next(c.value for c in at.caption if "audience comments match" in c.value)
    q = _query(_share_link(at))
    # The comments' language is comment_lang; lang is the interface language.
    assert q["sentiment"] == ["negative"] and q["comment_lang"] == ["fr"]
    assert q["lang"] == ["en"]
    assert q["replies"] == ["unanswered"] and q["q"] == ["remboursement"]
    again = _reopen("pages/4_Conversations.py", _share_link(at))
    _assert_clean(again)
    assert again.multiselect(key="cv_label").value == ["negative"]
    assert again.multiselect(key="cv_lang").value == ["fr"]
    assert again.selectbox(key="cv_answered").value == "unanswered"
    assert again.text_input(key="cv_search").value == "remboursement"
    assert next(c.value for c in again.caption if "audience comments match" in c.value) == count


def test_link_values_that_are_not_choices_are_dropped(demo_env: Path) -> None:
    at = _run("pages/4_Conversations.py", sentiment=["negative", "<b>x</b>"], replies="maybe")
    _assert_clean(at)
    assert at.multiselect(key="cv_label").value == ["negative"]
    assert at.selectbox(key="cv_answered").value == "all"


def test_share_link_is_absolute_on_the_public_url(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trustdash.filters import share_url

    at = _run("app.py")
    assert _share_link(at).startswith("?from=")  # no address known: relative to this page
    monkeypatch.setenv("TRUSTDASH_PUBLIC_URL", "https://trust.example.org/")
    at = _run("pages/1_Channels.py")
    assert _share_link(at).startswith("https://trust.example.org/?from=")
    params = {"channel": ["x"], "focus": "x"}
    assert share_url(params, public_url="https://trust.example.org",
                     current_url="http://10.0.0.5:8501/Channels") == (
        "https://trust.example.org/Channels?channel=x&focus=x")  # fmt: skip
    assert share_url(params, current_url="http://localhost:8501/Channels") == (
        "http://localhost:8501/Channels?channel=x&focus=x"
    )


def test_copy_button_carries_the_link_safely(demo_env: Path) -> None:
    at = _run("pages/4_Conversations.py", q="</script><script>alert(1)</script>")
    _assert_clean(at)
    frames = [e for e in at.sidebar.get("iframe")]
    assert frames, "no copy button"
    srcdoc = frames[0].proto.srcdoc
    assert "navigator.clipboard.writeText" in srcdoc
    assert "Copy share link" in srcdoc
    assert "<script>alert" not in srcdoc and "%3C%2Fscript%3E" in srcdoc
    from trustdash.ui.share import script_string

    assert script_string("</script><b>") == '"\\u003c/script\\u003e\\u003cb\\u003e"'


def test_drill_down_opens_conversations_with_channel_dates_and_campaign(demo_env: Path) -> None:
    at = _run("app.py", campaign="Summer Sale 2026")
    at.session_state["ov_series"] = {"selection": {"points": [
        {"customdata": ["instagram", "2026-07-06", "2026-07-12"]}
    ], "point_indices": [], "box": [], "lasso": []}}  # fmt: skip
    at.run()
    _assert_clean(at)
    link = next(p.proto for p in at.get("page_link") if p.proto.label == "Open in Conversations")
    q = _query("?" + link.query_string)
    assert q["channel"] == ["instagram"] and q["campaign"] == ["Summer Sale 2026"]
    assert (q["from"], q["to"]) == (["2026-07-06"], ["2026-07-12"])
    # Followed in the same session (its filters already set), the link's view wins.
    at.switch_page("pages/4_Conversations.py")
    at.query_params.clear()
    for k, v in q.items():
        at.query_params[k] = v
    at.run()
    _assert_clean(at)
    assert at.multiselect(key="td_w_channels").value == ["instagram"]
    assert "open" not in at.query_params  # the next rerun keeps what the user picks
    assert at.multiselect(key="td_w_campaigns").value == ["Summer Sale 2026"]
    import datetime as dt

    assert tuple(at.date_input(key="td_w_dates").value) == (
        dt.date(2026, 7, 6), dt.date(2026, 7, 12)
    )  # fmt: skip


def test_page_links_keep_the_sessions_filters(demo_env: Path) -> None:
    at = _run("app.py")
    at.multiselect(key="td_w_campaigns").set_value(["Summer Sale 2026"]).run()
    _assert_clean(at)
    # A sidebar page link drawn before the last change carries the older filters.
    at.switch_page("pages/4_Conversations.py")
    at.query_params.clear()
    at.query_params["gran"] = "week"
    at.run()
    _assert_clean(at)
    assert at.multiselect(key="td_w_campaigns").value == ["Summer Sale 2026"]
    assert "open" not in at.query_params


def test_set_labels_relabels_and_gives_back_in_one_go(store: object) -> None:
    from tests.conftest import comments_csv, make_rows
    from trustdash import corrections
    from trustdash.filters import Filters
    from trustdash.ingest import import_files

    rows = make_rows(20, channel="facebook", good=0.0) + make_rows(
        8, channel="x", prefix="x", good=0.0
    )
    assert import_files(store, [("c.csv", comments_csv(rows))])[0].ok  # type: ignore[arg-type]
    complaint_text = "Still waiting for my refund, terrible service."

    def flagged() -> int:
        frame = store.comments(Filters(), search=complaint_text, limit=500)  # type: ignore[attr-defined]
        return int(frame["is_complaint"].sum())

    before = flagged()
    assert before > 1
    frame = store.comments(Filters(), search=complaint_text, limit=1)  # type: ignore[attr-defined]
    channel, key = frame["channel"][0], frame["row_key"][0]
    n = corrections.relabel_same_text(store, channel, key, "neutral")  # type: ignore[arg-type]
    assert n == len(store.same_text_rows(channel, key)) > 1  # type: ignore[attr-defined]
    assert flagged() == 0
    labels = store.comments(Filters(), search=complaint_text, limit=500)["label"]  # type: ignore[attr-defined]
    assert set(labels) == {"neutral"}
    corrections.revert(store, channel, key)  # type: ignore[arg-type]
    assert flagged() == before - n + 1
