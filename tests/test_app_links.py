"""The pages as a new user meets them (Streamlit's AppTest): links keep the view, the demo
can be removed, corrections apply in bulk, explainers and tables speak plainly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit import dataframe_util
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
    """The cells of a rendered table as the browser draws them: the styler's display
    values when there are any, else the raw values (a missing one drawn as "None")."""
    styler = el.proto.arrow_data.styler  # type: ignore[attr-defined]
    if styler.display_values:
        shown = dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
        return [str(v) for v in shown.to_numpy().ravel()]
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
