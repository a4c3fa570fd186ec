"""The Settings page, section by section, through Streamlit's AppTest (open access: the
visitor is an editor)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, comments_csv, make_rows
from trustdash.ingest import ImportOptions, import_files
from trustdash.store import Store


def _settings_page(db: Path) -> AppTest:
    store = Store(db)
    try:
        (res,) = import_files(store, [("a.csv", comments_csv(make_rows(30)))],
                              ImportOptions(score_sentiment=False))  # fmt: skip
        assert res.ok, res.errors
    finally:
        store.close()
    at = AppTest.from_file(str(ROOT / "pages/8_Settings.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _setting(db: Path, key: str) -> object:
    store = Store(db)
    try:
        return store.get_setting(key)
    finally:
        store.close()


def test_brand_section_saves_or_names_the_bad_lines(env_db: Path) -> None:
    at = _settings_page(env_db)
    at.text_area(key="set_lex").set_value("zorblax = -1\nnot a polarity line")
    at.button(key="set_save_brand").click().run()
    assert any("Not saved" in e.value and "not a polarity line" in e.value for e in at.error)
    at.text_area(key="set_lex").set_value("zorblax = -1")
    at.text_area(key="set_accounts").set_value("MaisonLumen\n\n  ")
    at.radio(key="set_lang").set_value("fr")
    at.button(key="set_save_brand").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _setting(env_db, "lexicon_overrides") == {"zorblax": -1.0}
    assert _setting(env_db, "brand_accounts") == ["MaisonLumen"]
    assert _setting(env_db, "report_lang") == "fr"


def test_model_section_saves_weights_recency_prior_and_targets(env_db: Path) -> None:
    at = _settings_page(env_db)
    at.selectbox(key="set_preset").set_value("Custom").run()
    at.number_input(key="set_half").set_value(30.0)
    at.number_input(key="set_prior").set_value(5.0)
    at.selectbox(key="set_t_facebook").set_value(4)
    at.button(key="set_save_model").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "Saved." for s in at.success)
    assert _setting(env_db, "weights_preset") == "Custom"
    assert _setting(env_db, "half_life_days") == 30.0
    assert _setting(env_db, "prior_strength") == 5.0
    assert _setting(env_db, "targets") == {"facebook": 4}


def test_ranking_check_needs_two_channels_with_a_shown_score(env_db: Path) -> None:
    """One channel with a score and one with too few comments: there is no ranking to check,
    so no "ranking is the same" claim; a second scored channel brings the check back."""

    def ranking_captions(at: AppTest) -> list[str]:
        return [c.value for c in at.caption if "channel ranking" in c.value]

    store = Store(env_db)
    try:
        files = [("fb.csv", comments_csv(make_rows(40))),
                 ("yt.csv", comments_csv(make_rows(4, channel="youtube", prefix="y")))]  # fmt: skip
        assert all(r.ok for r in import_files(store, files))
    finally:
        store.close()
    at = AppTest.from_file(str(ROOT / "pages/8_Settings.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert ranking_captions(at) == []

    store = Store(env_db)
    try:
        files = [("x.csv", comments_csv(make_rows(60, channel="x", good=0.4, prefix="x")))]
        assert all(r.ok for r in import_files(store, files))
    finally:
        store.close()
    at = AppTest.from_file(str(ROOT / "pages/8_Settings.py"), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(ranking_captions(at)) == 1
