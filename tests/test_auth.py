"""Login, allow-list and roles: ``role_for`` unit tests and AppTest runs of the page guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from trustdash.ui.auth import role_for

ROOT = Path(__file__).resolve().parent.parent

ALLOW = {
    "editors": ["Ana@Agency.example", "@studio.example"],
    "viewers": ["vera@brand.example", "@board.example", "ana@agency.example"],
}

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "trustdash-test",
    "client_secret": "trustdash-test-secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


# --------------------------------------------------------------------------- role_for


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("ana@agency.example", "editor"),  # listed as editor and viewer: editors win
        ("ANA@AGENCY.EXAMPLE", "editor"),  # case-insensitive
        ("  ana@agency.example ", "editor"),  # surrounding spaces ignored
        ("bob@studio.example", "editor"),  # @domain entry
        ("vera@brand.example", "viewer"),
        ("Vera@Brand.Example", "viewer"),
        ("ceo@board.example", "viewer"),
        ("ceo@BOARD.example", "viewer"),
        ("other@brand.example", None),  # same domain as a listed email: not enough
        ("mallory@elsewhere.example", None),
        ("ceo@sub.board.example", None),  # a subdomain is another domain
        ("ceo@board.example.evil", None),  # suffix tricks do not match
        ("board.example", None),  # not an email
        ("", None),
        (None, None),
    ],
)
def test_role_for(email: str | None, role: str | None) -> None:
    assert role_for(email, ALLOW) == role


def test_role_for_empty_or_odd_allow_lists() -> None:
    assert role_for("ana@agency.example", {}) is None
    assert role_for("ana@agency.example", {"editors": "ana@agency.example"}) == "editor"
    assert role_for("ana@agency.example", {"editors": None, "viewers": 3}) is None
    assert role_for("ana@agency.example", {"viewers": ["", "  "]}) is None
    # An "@" alone or an empty domain must not admit everybody.
    assert role_for("ana@agency.example", {"viewers": ["@"]}) is None


# --------------------------------------------------------------------------- AppTest


def _page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / name), default_timeout=60)


def _with_auth(at: AppTest, *, user: dict | None) -> AppTest:
    at.secrets["auth"] = dict(AUTH)
    at.secrets["trustdash"] = {"editors": ["ana@agency.example"], "viewers": ["@brand.example"]}
    at.user = user if user is not None else {"is_logged_in": False}
    return at


def _texts(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.info, *at.error)]
    return "\n".join(str(p) for p in parts)


def _assert_no_content(at: AppTest) -> None:
    assert len(at.metric) == 0
    assert len(at.dataframe) == 0
    assert len(at.get("plotly_chart")) == 0
    assert len(at.get("file_uploader")) == 0
    assert len(at.sidebar.multiselect) == 0


@pytest.mark.parametrize("page", ["app.py", "pages/5_Brief.py", "pages/6_Import.py"])
def test_no_user_gets_sign_in_prompt(env_db: Path, page: str) -> None:
    at = _with_auth(_page(page), user=None).run()
    assert not at.exception
    assert any("Sign in to see this dashboard" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Sign in"]
    _assert_no_content(at)


def test_user_not_in_allow_list_is_refused(env_db: Path) -> None:
    at = _with_auth(
        _page("app.py"), user={"is_logged_in": True, "email": "mallory@elsewhere.example"}
    ).run()
    assert not at.exception
    assert any("is not allowed" in e.value for e in at.error)
    _assert_no_content(at)


def test_user_without_email_is_refused(env_db: Path) -> None:
    at = _with_auth(_page("app.py"), user={"is_logged_in": True, "sub": "x"}).run()
    assert not at.exception
    assert any("not allowed" in e.value for e in at.error)
    _assert_no_content(at)


def test_viewer_import_page_is_read_only(env_db: Path) -> None:
    at = _with_auth(
        _page("pages/6_Import.py"), user={"is_logged_in": True, "email": "vera@brand.example"}
    ).run()
    assert not at.exception
    assert any("read-only (viewer)" in e.value for e in at.error)
    assert len(at.get("file_uploader")) == 0


def test_viewer_sees_analysis_pages(env_db: Path) -> None:
    at = _with_auth(
        _page("app.py"), user={"is_logged_in": True, "email": "Vera@Brand.example"}
    ).run()
    assert not at.exception
    assert not at.error
    assert "Signed in as" in _texts(at)
    assert "viewer" in _texts(at)


def test_editor_import_page_has_uploader(env_db: Path) -> None:
    at = _with_auth(
        _page("pages/6_Import.py"), user={"is_logged_in": True, "email": "ana@agency.example"}
    ).run()
    assert not at.exception
    assert not at.error
    assert len(at.get("file_uploader")) == 1


def test_open_mode_without_auth_is_editor(env_db: Path) -> None:
    at = _page("pages/6_Import.py").run()
    assert not at.exception
    assert len(at.get("file_uploader")) == 1
    assert "Open access" in _texts(at)


def test_public_mode_without_auth_refuses(env_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTDASH_PUBLIC", "1")
    for page in ("app.py", "pages/6_Import.py", "pages/2_Campaigns.py"):
        at = _page(page).run()
        assert not at.exception
        assert any("TRUSTDASH_PUBLIC=1" in e.value for e in at.error), page
        _assert_no_content(at)


def test_public_mode_with_auth_asks_for_login(
    env_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTDASH_PUBLIC", "1")
    at = _with_auth(_page("app.py"), user=None).run()
    assert not at.exception
    assert any("Sign in" in i.value for i in at.info)
    _assert_no_content(at)


def test_unverified_email_is_refused(env_db: Path) -> None:
    at = _with_auth(
        _page("app.py"),
        user={"is_logged_in": True, "email": "ana@agency.example", "email_verified": False},
    ).run()
    assert not at.exception
    assert any("not allowed" in e.value for e in at.error)
    _assert_no_content(at)
