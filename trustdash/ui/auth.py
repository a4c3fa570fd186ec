"""Login and roles.

Login is Streamlit's OpenID Connect (``st.login``) when an ``[auth]`` section is
configured in ``.streamlit/secrets.toml``. Who may enter and with which role
comes from an allow-list in the same file::

    [trustdash]
    editors = ["ana@agency.example", "@agency.example"]   # emails or @domains
    viewers = ["@brand.example"]

Without ``[auth]`` the app runs open (local use) and every visitor is an editor;
hosted mode (``TRUSTDASH_PUBLIC`` set to anything but an explicit off, in the
environment or at the top of ``secrets.toml``) refuses that.

Every check fails closed: an ``email`` claim that is not one address with exactly one
``@`` is refused, and so is any ``email_verified`` claim other than the boolean true.
Providers that never send ``email_verified`` are admitted only with
``accept_missing_email_verified = true`` under ``[trustdash]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

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


def normalise_email(value: object) -> str | None:
    """The claim as a lower-case address, or None unless it is one string holding exactly
    one ``@`` between a non-empty local part and a non-empty domain, with no spaces or
    control characters inside."""
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain:
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in email):
        return None
    return email


def role_for(email: object, allow: Mapping[str, Any]) -> str | None:
    """The role an email gets from the allow-list, or None when it is not allowed.

    Entries are exact emails or ``@domain`` suffixes; editors win over viewers. Anything
    but a single well-formed address (see ``normalise_email``) gets no role.
    """
    address = normalise_email(email)
    if address is None:
        return None
    domain = "@" + address.partition("@")[2]

    def matches(entries: list[str]) -> bool:
        return any(e == address or (e.startswith("@") and e == domain) for e in entries)

    if matches(_norm_list(allow.get("editors", []))):
        return "editor"
    if matches(_norm_list(allow.get("viewers", []))):
        return "viewer"
    return None


def email_verified(user: object, allow: Mapping[str, Any]) -> bool:
    """Whether the provider vouches for the address: the claim must be the boolean true.

    Strings (``"true"``, ``"false"``), numbers and a missing claim do not count; a missing
    claim is accepted only when ``accept_missing_email_verified`` is the boolean true."""
    if not _has_claim(user, "email_verified"):
        return allow.get("accept_missing_email_verified") is True
    return _claim(user, "email_verified") is True


def _has_claim(user: object, name: str) -> bool:
    try:
        return name in user  # type: ignore[operator]
    except Exception:
        return hasattr(user, name)


def _claim(user: object, name: str) -> Any:
    try:
        return user.get(name)  # type: ignore[attr-defined]
    except Exception:
        return getattr(user, name, None)


def _refuse(message: str) -> NoReturn:
    st.title("trustdash")
    st.error(md_escape(message))
    st.button(tr("Sign out"), on_click=st.logout)
    st.stop()


def enforce() -> Access:
    """Stop the page unless the visitor may see it. Call at the top of every page."""
    secrets = _secrets()
    if not auth_configured():
        if config.public_mode(secrets.get("TRUSTDASH_PUBLIC")):
            st.error(tr(
                "This trustdash runs in hosted mode (TRUSTDASH_PUBLIC=1) but no login is "
                "configured. Add an [auth] section to .streamlit/secrets.toml "
                "(see docs/deploy.md)."
            ))  # fmt: skip
            st.stop()
        return Access("open", None, "editor")
    user = st.user
    if getattr(user, "is_logged_in", False) is not True:
        st.title("trustdash")
        st.info(tr("Sign in to see this dashboard."))
        st.button(tr("Sign in"), on_click=st.login, type="primary")
        st.stop()
    allow = secrets.get("trustdash", {}) or {}
    allow = allow if isinstance(allow, Mapping) else {}
    email = normalise_email(_claim(user, "email"))
    if email is None:
        _refuse(tr(
            "This account is not allowed to see this dashboard: the sign-in provider sent "
            "no single email address to match against the allow-list."
        ))  # fmt: skip
    role = role_for(email, allow)
    if role is None:
        _refuse(tr("{account} is not allowed to see this dashboard.", account=email))
    # A provider that does not say the address is verified does not prove who owns it.
    if not email_verified(user, allow):
        _refuse(tr(
            "{account} is not allowed to see this dashboard: the sign-in provider does not "
            "confirm that this email address is verified.", account=email
        ))  # fmt: skip
    return Access("login", email, role)
