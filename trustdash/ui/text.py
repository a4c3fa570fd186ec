"""Safe text and page links: the pieces the guard, the login screen and the page
bodies all draw with. User-supplied text is only ever shown escaped."""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from trustdash.safe_text import md_escape, reveal_bidi

__all__ = ["md_escape", "nav_link", "reveal_bidi"]


def nav_link(
    page_file: str, label: str, icon: str, query_params: dict | None = None
) -> None:
    """A link to another page. Falls back to a plain relative link when the current
    script is not run from ``app.py`` (a deep link before the app's first run)."""
    try:
        st.page_link(page_file, label=label, icon=icon, query_params=query_params)
    except Exception:
        slug = page_file.rsplit("/", 1)[-1].removesuffix(".py").split("_", 1)[-1]
        slug = "" if page_file == "app.py" else slug
        qs = ("?" + urlencode(query_params, doseq=True)) if query_params else ""
        st.markdown(f"[{md_escape(label)}](./{slug}{qs})")
