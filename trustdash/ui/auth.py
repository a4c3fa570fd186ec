"""Login and roles.

Login is Streamlit's OpenID Connect (``st.login``) when an ``[auth]`` section is
configured in ``.streamlit/secrets.toml``. Who may enter and with which role
comes from an allow-list in the same file::

    [trustdash]
    editors = ["ana@agency.example", "@agency.example"]   # emails or @domains
    viewers = ["@brand.example"]

Without ``[auth]`` the app runs open (local use) and every visitor is an editor;
``TRUSTDASH_PUBLIC=1`` refuses that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from trustdash import config
from trustdash.i18n import tr
from trustdash.ui.text import md_escape


@dataclass(frozen=True)
class Access:
    mode: str  # "open" | "login"
    email: str | None
    role: str  # "editor" | "viewer"

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


def _secrets() -> Mapping[str, Any]:
    # st.secrets raises when no secrets file exists at all: treat that as "no secrets".
    try:
        return dict(st.secrets)
    except Exception:
        return {}


def auth_configured() -> bool:
    auth = _secrets().get("auth")
    return bool(auth) and isinstance(auth, Mapping)


def _norm_list(value: object) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        return []
    return [str(v).strip().lower() for v in value if str(v).strip()]


def role_for(email: str | None, allow: Mapping[str, Any]) -> str | None:
    """The role an email gets from the allow-list, or None when it is not allowed.

    Entries are exact emails or ``@domain`` suffixes; editors win over viewers.
    """
    if not email:
        return None
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[-1] if "@" in email else None

    def matches(entries: list[str]) -> bool:
        return any(e == email or (e.startswith("@") and e == domain) for e in entries)

    if matches(_norm_list(allow.get("editors", []))):
        return "editor"
    if matches(_norm_list(allow.get("viewers", []))):
        return "viewer"
    return None


def _claim(user: object, name: str) -> Any:
    try:
        return user.get(name)  # type: ignore[attr-defined]
    except Exception:
        return getattr(user, name, None)


def enforce() -> Access:
    """Stop the page unless the visitor may see it. Call at the top of every page."""
    if not auth_configured():
        if config.public_mode():
            st.error(tr(
                "This trustdash runs in hosted mode (TRUSTDASH_PUBLIC=1) but no login is "
                "configured. Add an [auth] section to .streamlit/secrets.toml "
                "(see docs/deploy.md)."
            ))  # fmt: skip
            st.stop()
        return Access("open", None, "editor")
    user = st.user
    if not getattr(user, "is_logged_in", False):
        st.title("trustdash")
        st.info(tr("Sign in to see this dashboard."))
        st.button(tr("Sign in"), on_click=st.login, type="primary")
        st.stop()
    email = _claim(user, "email")
    allow = _secrets().get("trustdash", {}) or {}
    role = role_for(email, allow if isinstance(allow, Mapping) else {})
    # A provider that says the address is unverified does not prove who owns it.
    if _claim(user, "email_verified") is False:
        role = None
    if role is None:
        st.title("trustdash")
        st.error(md_escape(tr("{account} is not allowed to see this dashboard.",
                              account=email or tr("This account"))))  # fmt: skip
        st.button(tr("Sign out"), on_click=st.logout)
        st.stop()
    return Access("login", email, role)
