"""The share link in the sidebar: a button that copies it and the link itself.

The shared filters draw it; a page then adds its own choices (the Channels page's
channel, the Conversations filters) with :func:`keep_in_link`, which also writes them
into the browser's URL so that a reload keeps them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

import streamlit as st

from trustdash import config
from trustdash.filters import PAGE_KEYS, share_url
from trustdash.i18n import tr

_STATE_KEY = "td_share"

# The copy button runs in an iframe (its sandbox allows clipboard-write).
# A relative link is resolved against the page's address before it is copied.
_COPY_HTML = """<!doctype html><html><body style="margin:0">
<button id="copy" type="button" style="width:100%;padding:0.45rem 0.6rem;cursor:pointer;
 border:1px solid rgba(49,51,63,0.2);border-radius:0.5rem;background:#fff;font:inherit;
 font-family:'Source Sans Pro',sans-serif;font-size:0.95rem;color:rgb(49,51,63)">
{label}</button>
<div id="status" role="status" style="font-family:sans-serif;font-size:0.8rem;
 color:rgb(49,51,63);padding-top:2px;min-height:1em"></div>
<script>
const link = {link};
const status = document.getElementById("status");
function absolute() {{
  try {{ return new URL(link, window.parent.location.href).href; }}
  catch (e) {{ return new URL(link, document.referrer || window.location.href).href; }}
}}
document.getElementById("copy").addEventListener("click", async () => {{
  const text = absolute();
  let ok = false;
  try {{ await navigator.clipboard.writeText(text); ok = true; }}
  catch (e) {{
    const area = document.createElement("textarea");
    area.value = text; document.body.appendChild(area); area.select();
    try {{ ok = document.execCommand("copy"); }} catch (e2) {{ ok = false; }}
    area.remove();
  }}
  status.textContent = ok ? {copied} : {by_hand};
}});
</script></body></html>"""


class ShareLink:
    """The share link of the page being drawn, in a sidebar slot it can redraw."""

    def __init__(self, params: Mapping[str, str | list[str]]) -> None:
        self.params: dict[str, str | list[str]] = dict(params)
        with st.sidebar:
            self._slot = st.empty()
        self.draw()

    @property
    def url(self) -> str:
        return share_url(self.params, public_url=config.public_url(), current_url=st.context.url)

    def draw(self) -> None:
        link = self.url
        with self._slot.container():
            copy_button(link)
            st.code(link, language=None, wrap_lines=True)
            st.caption(tr("This link opens this page as you see it (login still applies)."))

    def keep(self, page_params: Mapping[str, str | list[str]]) -> None:
        """Add a page's own choices to the link and to the browser's URL."""
        for key in PAGE_KEYS:
            value = page_params.get(key)
            if value:
                self.params[key] = value
                st.query_params[key] = value
            else:
                self.params.pop(key, None)
                if key in st.query_params:
                    del st.query_params[key]
        self.draw()


def copy_button(link: str) -> None:
    """A button that puts ``link`` on the clipboard (Streamlit has no clipboard API)."""
    st.iframe(
        _COPY_HTML.format(label=html.escape(tr("🔗 Copy share link")), link=script_string(link),
                          copied=script_string(tr("Link copied.")),
                          by_hand=script_string(tr("Copy the link below by hand."))),
        height=62,
    )


def script_string(text: str) -> str:
    """``text`` as a JavaScript string literal that cannot close its <script> element."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e")


def share_link(params: Mapping[str, str | list[str]]) -> ShareLink:
    """Draw the share link for the shared filters; pages extend it with :func:`keep_in_link`."""
    link = ShareLink(params)
    st.session_state[_STATE_KEY] = link
    return link


def keep_in_link(page_params: Mapping[str, str | list[str]]) -> None:
    """A page's own choices into the share link and the URL (see :class:`ShareLink`)."""
    link = st.session_state.get(_STATE_KEY)
    if isinstance(link, ShareLink):
        link.keep(page_params)
