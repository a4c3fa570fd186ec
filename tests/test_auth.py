"""Login, allow-list and roles: ``role_for`` unit tests and AppTest runs of the page guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from trustdash import config
from trustdash.ui.auth import email_verified, normalise_email, role_for

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
        ("mallory@attacker.example@board.example", None),  # two @: never a domain match
        ("ana@agency.example@studio.example", None),
        ("@board.example", None),  # no local part
        ("ceo@", None),
        ("ceo @board.example", None),  # spaces or control characters inside
        ("ceo\n@board.example", None),
        ("", None),
        (None, None),
        (["ceo@board.example"], None),  # a claim of the wrong type
        ({"email": "ceo@board.example"}, None),
        (42, None),
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


def _with_auth(at: AppTest, *, user: dict | None, **allow: object) -> AppTest:
    at.secrets["auth"] = dict(AUTH)
    at.secrets["trustdash"] = {
        "editors": ["ana@agency.example"], "viewers": ["@brand.example", "@board.example"],
        **allow,
    }  # fmt: skip
    at.user = user if user is not None else {"is_logged_in": False}
    return at


def _user(email: object, **claims: object) -> dict:
    """A signed-in user whose provider verified the address, unless ``claims`` say otherwise."""
    return {"is_logged_in": True, "email": email, "email_verified": True, **claims}


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
    at = _with_auth(_page("app.py"), user=_user("mallory@elsewhere.example")).run()
    assert not at.exception
    assert any("is not allowed" in e.value for e in at.error)
    _assert_no_content(at)


def test_user_without_email_is_refused(env_db: Path) -> None:
    at = _with_auth(_page("app.py"), user={"is_logged_in": True, "sub": "x"}).run()
    assert not at.exception
    assert any("not allowed" in e.value for e in at.error)
    _assert_no_content(at)


def test_viewer_import_page_is_read_only(env_db: Path) -> None:
    at = _with_auth(_page("pages/6_Import.py"), user=_user("vera@brand.example")).run()
    assert not at.exception
    assert any("read-only (viewer)" in e.value for e in at.error)
    assert len(at.get("file_uploader")) == 0


def test_viewer_sees_analysis_pages(env_db: Path) -> None:
    at = _with_auth(_page("app.py"), user=_user("Vera@Brand.example")).run()
    assert not at.exception
    assert not at.error
    assert "Signed in as" in _texts(at)
    assert "viewer" in _texts(at)


def test_editor_import_page_has_uploader(env_db: Path) -> None:
    at = _with_auth(_page("pages/6_Import.py"), user=_user("ana@agency.example")).run()
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


# --------------------------------------------------------------------------- fail closed


@pytest.mark.parametrize(
    ("claims", "allow", "verified"),
    [
        ({"email_verified": True}, {}, True),
        ({"email_verified": False}, {}, False),
        ({"email_verified": "true"}, {}, False),  # strings, as some providers send them
        ({"email_verified": "false"}, {}, False),
        ({"email_verified": 1}, {}, False),
        ({"email_verified": None}, {}, False),
        ({}, {}, False),  # missing
        ({}, {"accept_missing_email_verified": True}, True),  # the documented allowance
        ({}, {"accept_missing_email_verified": "true"}, False),  # only a TOML boolean
        ({"email_verified": "false"}, {"accept_missing_email_verified": True}, False),
        ({"email_verified": False}, {"accept_missing_email_verified": True}, False),
    ],
)
def test_email_verified_must_be_true(claims: dict, allow: dict, verified: bool) -> None:
    assert email_verified({"email": "ana@agency.example", **claims}, allow) is verified


def test_normalise_email() -> None:
    assert normalise_email("  Ana@Agency.Example ") == "ana@agency.example"
    assert normalise_email("mallory@attacker.example@board.example") is None
    assert normalise_email(["ana@agency.example"]) is None


@pytest.mark.parametrize(
    ("env", "secret", "hosted"),
    [
        (None, None, False),  # local use: nothing set
        ("", None, False),
        ("  ", None, False),
        ("1", None, True),
        ("TRUE", None, True),
        (" true ", None, True),
        ("yes", None, True),
        ("on", None, True),
        ("garbage", None, True),  # a typo is hosted, never open
        ("2", None, True),
        ("0", None, False),
        ("false", None, False),
        ("FALSE", None, False),
        (" No ", None, False),
        ("off", None, False),
        (None, True, True),  # secrets.toml: TRUSTDASH_PUBLIC = true
        (None, False, False),  # secrets.toml: TRUSTDASH_PUBLIC = false
        (None, "TRUE", True),
        (None, "off", False),
        (None, 1, True),
        (None, 0, False),
        ("0", True, True),  # either place asking for hosted wins
        ("1", False, True),
    ],
)
def test_public_mode_fails_closed(
    monkeypatch: pytest.MonkeyPatch, env: str | None, secret: object, hosted: bool
) -> None:
    if env is None:
        monkeypatch.delenv("TRUSTDASH_PUBLIC", raising=False)
    else:
        monkeypatch.setenv("TRUSTDASH_PUBLIC", env)
    assert config.public_mode(secret) is hosted


@pytest.mark.parametrize("value", ["TRUE", " true ", "garbage"])
def test_public_env_values_refuse_without_auth(
    env_db: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRUSTDASH_PUBLIC", value)
    at = _page("app.py").run()
    assert not at.exception
    assert any("hosted mode" in e.value for e in at.error)
    _assert_no_content(at)


def test_public_toml_boolean_in_secrets_refuses_without_auth(env_db: Path) -> None:
    at = _page("pages/6_Import.py")
    at.secrets["TRUSTDASH_PUBLIC"] = True
    at.run()
    assert not at.exception
    assert any("hosted mode" in e.value for e in at.error)
    _assert_no_content(at)


@pytest.mark.parametrize("secret", [False, "off"])
def test_explicit_off_in_secrets_runs_open(env_db: Path, secret: object) -> None:
    at = _page("pages/6_Import.py")
    at.secrets["TRUSTDASH_PUBLIC"] = secret
    at.run()
    assert not at.exception
    assert not at.error
    assert len(at.get("file_uploader")) == 1


@pytest.mark.parametrize(
    "claims",
    [
        {"email_verified": "false"},
        {"email_verified": "true"},
        {"email_verified": None},
        {},  # missing, no allowance
    ],
    ids=["string-false", "string-true", "null", "missing"],
)
def test_unverified_claims_are_refused(env_db: Path, claims: dict) -> None:
    user = {"is_logged_in": True, "email": "ana@agency.example", **claims}
    at = _with_auth(_page("pages/6_Import.py"), user=user).run()
    assert not at.exception
    assert any("does not confirm" in e.value for e in at.error)
    _assert_no_content(at)


def test_missing_email_verified_admitted_with_allowance(env_db: Path) -> None:
    at = _with_auth(
        _page("pages/6_Import.py"),
        user={"is_logged_in": True, "email": "ana@agency.example"},
        accept_missing_email_verified=True,
    ).run()
    assert not at.exception
    assert not at.error
    assert len(at.get("file_uploader")) == 1


def test_two_at_signs_do_not_match_a_domain(env_db: Path) -> None:
    at = _with_auth(_page("app.py"), user=_user("mallory@attacker.example@board.example")).run()
    assert not at.exception
    assert any("not allowed" in e.value for e in at.error)
    _assert_no_content(at)


@pytest.mark.parametrize(
    "email",
    [["ana@agency.example"], {"address": "ana@agency.example"}, 7],
    ids=["list", "dict", "int"],
)
def test_email_claim_of_wrong_type_is_refused_with_a_message(env_db: Path, email: object) -> None:
    at = _with_auth(_page("app.py"), user=_user(email)).run()
    assert not at.exception
    assert any("no single email address" in e.value for e in at.error)
    _assert_no_content(at)
