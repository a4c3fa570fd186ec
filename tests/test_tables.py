"""Tables go to the browser as Arrow tables: the grid shows the same cells as the plain
``st.dataframe(polars_frame)`` path (through pandas) would."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from trustdash.ui import widgets


def _page() -> None:
    import datetime as dt

    import polars as pl
    import streamlit as st

    from trustdash.ui.widgets import display_frame, show_table

    frame = pl.DataFrame({
        "channel": ["x", "facebook", None],
        "trust": [61.25, None, 48.0],
        "comments": [12, 0, 3_597],
        "day": [dt.date(2025, 3, 22), None, dt.date(2025, 1, 1)],
        "at": [dt.datetime(2025, 3, 22, 9, 30), dt.datetime(2025, 3, 23), None],
        "flags": [["few comments"], [], None],
    })  # fmt: skip
    show_table(frame, hide_index=True)
    st.dataframe(display_frame(frame)[0], hide_index=True)  # the plain path


def test_the_arrow_table_shows_the_cells_of_the_plain_path() -> None:
    at = AppTest.from_function(_page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    arrow, plain = (d.value.reset_index(drop=True) for d in at.dataframe)
    assert list(arrow.columns) == list(plain.columns)
    assert arrow.astype(str).to_dict("list") == plain.astype(str).to_dict("list")
    assert [str(t) for t in arrow.dtypes] == [str(t) for t in plain.dtypes]
    assert arrow["trust"].tolist() == ["61.25", "—", "48.0"]  # missing values read "—"
    assert arrow["comments"].tolist() == [12, 0, 3_597]  # numbers stay numbers


def test_comment_grids_fit_short_lists_and_show_stars_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two unanswered comments: a grid of two rows, not 360 px with empty rows under them;
    a long list keeps the fixed height (and scrolls)."""
    calls: list[dict] = []
    monkeypatch.setattr(widgets, "show_table", lambda frame, **kw: calls.append(kw))
    rows = {"created_at": [dt.datetime(2026, 6, 1, 9)] * 2, "channel": ["x", "x"],
            "rating": [4.0, 4.5], "text": ["a", "b"]}  # fmt: skip
    widgets.comments_table(pl.DataFrame(rows), key="t")
    many = pl.DataFrame({k: v * 100 for k, v in rows.items()})
    widgets.comments_table(many, key="t2")
    assert calls[0]["height"] < 2 * 38 + 40 and calls[1]["height"] == 360
    # Star ratings read as given: 4, not 4.0 (and 4.5 stays 4.5).
    stars = calls[0]["column_config"]["rating"]
    assert (stars["label"], stars["type_config"]["format"]) == ("stars", "plain")
