"""The guard every page calls first.

``page()`` sets the page config, enforces login and role, opens the shared
store (loading the demo into an empty one), draws the shared filters in the
sidebar and keeps them in the URL. Deep links to ``pages/`` can run without
``app.py`` (see the Streamlit notes), so every page calls it itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from trustdash import config, inbox, rescoring
from trustdash.delivery import handoff
from trustdash.filters import (
    NO_CAMPAIGN,
    OPEN_KEY,
    PAGE_KEYS,
    Filters,
    default_window,
    from_params,
    to_params,
)
from trustdash.schema import GRANULARITIES
from trustdash.store import Store, StoreBusy, StoreError, open_store
from trustdash.ui import sweeper
from trustdash.ui.auth import Access, enforce
from trustdash.ui.share import share_link
from trustdash.ui.text import md_escape, nav_link, reveal_bidi
from trustdash.workspace import ensure_started


@dataclass
class PageContext:
    store: Store
    filters: Filters
    access: Access
    notices: list[str] = field(default_factory=list)

    @property
    def can_edit(self) -> bool:
        return self.access.can_edit


@st.cache_resource(show_spinner=False)
def _store(target: str) -> Store:
    store = open_store(target)
    # The app is the single writer of an embedded store: CLI imports, delivery runs and
    # subscription changes come through here.
    inbox.start_watcher(store)
    handoff.start_watcher(store)
    return store


@st.cache_resource(show_spinner="First start: loading the demo workspace…")
def _bootstrap(target: str) -> dict[str, bool]:
    # Process-wide, like the store: the flag is taken by the first session that asks.
    return {"demo_untold": ensure_started(_store(target))}


_DEMO_LOCK = threading.Lock()


def demo_just_loaded(target: str) -> bool:
    """True for exactly one session: the first after the demo was loaded into an empty
    store by this process. Every other session, and every later start, gets False."""
    state = _bootstrap(target)
    with _DEMO_LOCK:
        return state.pop("demo_untold", False)


@st.cache_resource(show_spinner=False)
def _server_hygiene() -> bool:
    """Once per process: the upload endpoint guard and the upload/media sweeper."""
    return runtime.exists() and sweeper.start(runtime.get_instance()) is not None


def _session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _sign_out() -> None:
    """Drop the session's uploads and download links, then log out."""
    session_id = _session_id()
    if session_id is not None and runtime.exists():
        sweeper.forget_session(runtime.get_instance(), session_id)
    st.logout()


def shared_store() -> Store:
    """The process-wide store (one connection per process)."""
    target = config.db_target()
    try:
        store = _store(target)
    except (StoreBusy, StoreError) as exc:
        st.error(md_escape(str(exc)))
        st.stop()
    return store


def page(
    title: str, *, icon: str = "📊", editor_only: bool = False, filters: bool = True
) -> PageContext:
    """Guard and shared chrome for a page. Stops the script when access is refused."""
    st.set_page_config(page_title=f"{title} · trustdash", page_icon=icon, layout="wide")
    _server_hygiene()
    session_id = _session_id()
    may_upload = False
    try:
        access = enforce()
        may_upload = access.can_edit
    finally:
        # A refused or stopped run leaves the session unable to upload.
        if session_id is not None:
            sweeper.allow_uploads(session_id, may_upload)
    if editor_only and not access.can_edit:
        st.title(title)
        st.error("Your role is read-only (viewer): this page is for editors.")
        st.stop()
    store = shared_store()
    loaded_demo = demo_just_loaded(config.db_target())
    _rescoring_status(store)
    with st.sidebar:
        st.markdown("### 🛡️ trustdash")
        _navigation(access)
        if access.mode == "open":
            st.caption("Open access (local use): no login is configured.")
        else:
            st.caption(md_escape(f"Signed in as {access.email} · {access.role}"))
            st.button("Sign out", on_click=_sign_out, key="td_logout")
    notices: list[str] = []
    if loaded_demo:
        notices.append(
            "The store was empty, so the demo workspace (a fictional brand) was loaded. "
            "Import your own exports on the Import page."
        )
    f = shared_filters(store, notices) if filters else Filters()
    for n in notices:
        # Notices quote values from the URL: never let them render as markdown.
        st.info(md_escape(n), icon="ℹ️")
    return PageContext(store=store, filters=f, access=access, notices=notices)


def _rescoring_status(store: Store) -> None:
    """Start re-scoring after a scorer or lexicon change and show its progress."""
    job = rescoring.start_background(store) or rescoring.current_job(store)
    if job is None:
        return
    with st.sidebar:
        if job.error:
            st.error(md_escape(f"Re-scoring failed: {job.error}"))
        elif not job.done:
            st.progress(job.fraction, text=job.text)
            st.caption("Numbers update when re-scoring ends; reload the page to follow it.")


NAV = [
    ("app.py", "Overview", "🛡️", False),
    ("pages/1_Channels.py", "Channels", "📡", False),
    ("pages/2_Campaigns.py", "Campaigns", "🎯", False),
    ("pages/3_Responsiveness.py", "Responsiveness", "⏱️", False),
    ("pages/4_Conversations.py", "Conversations", "💬", False),
    ("pages/5_Brief.py", "Leadership brief", "📰", False),
    ("pages/6_Import.py", "Import", "📥", True),
    ("pages/7_Import_history.py", "Import history", "🗂️", False),
    ("pages/8_Settings.py", "Settings", "⚙️", False),
]


def _navigation(access: Access) -> None:
    """Page links with readable labels; editor-only pages hidden from viewers."""
    params = to_params(st.session_state["td_f"]) if "td_f" in st.session_state else None
    for path, label, icon, editor_only in NAV:
        if editor_only and not access.can_edit:
            continue
        nav_link(path, label, icon, params)
    st.divider()


def shared_filters(store: Store, notices: list[str]) -> Filters:
    """Date range, channels, campaigns and granularity in the sidebar, mirrored in the URL."""
    ss = st.session_state
    channels = store.channels()
    campaigns = store.campaigns()
    lo, hi = store.date_bounds()
    # A link that opens another view (a drill-down) replaces the session's filters.
    opened = "td_f" in ss and OPEN_KEY in st.query_params
    if "td_f" not in ss or opened:
        for k in ("td_w_dates", "td_w_channels", "td_w_campaigns", "td_w_gran"):
            ss.pop(k, None)
        raw = {k: st.query_params.get_all(k) for k in ("channel", "campaign")}
        for k in ("from", "to", "gran"):
            if k in st.query_params:
                raw[k] = st.query_params.get(k)
        parsed = from_params(
            raw, known_channels=channels, known_campaigns=campaigns,
            bounds=default_window(lo, hi),
        )  # fmt: skip
        notices.extend(parsed.notices)
        ss["td_f"] = parsed.filters
    f: Filters = ss["td_f"]
    # A widget's key holds the user's latest edit (it survives within a page); td_f holds
    # the filters across pages, where Streamlit drops the widgets' own state.
    picked_dates = ss.get("td_w_dates")
    if isinstance(picked_dates, tuple | list) and len(picked_dates) == 2:
        f = f.with_(start=picked_dates[0], end=picked_dates[1])
    if isinstance(ss.get("td_w_channels"), list):
        f = f.with_(channels=tuple(ss["td_w_channels"]))
    if isinstance(ss.get("td_w_campaigns"), list):
        f = f.with_(campaigns=tuple(ss["td_w_campaigns"]))
    if ss.get("td_w_gran") in GRANULARITIES:
        f = f.with_(granularity=ss["td_w_gran"])
    # Values may have disappeared since (an import was undone): keep only known ones.
    f = f.with_(
        channels=tuple(c for c in f.channels if c in channels),
        campaigns=tuple(c for c in f.campaigns if c in campaigns or c == NO_CAMPAIGN),
    )
    with st.sidebar:
        st.markdown("**Filters**")
        if lo and hi:
            start = min(max(f.start or lo, lo), hi)
            end = max(min(f.end or hi, hi), start)
            ss["td_w_dates"] = (start, end)
            f = f.with_(start=start, end=end)
            st.date_input("Dates", key="td_w_dates", min_value=lo, max_value=hi)
        else:
            st.caption("No dated data yet.")
        ss["td_w_channels"] = list(f.channels)
        f = f.with_(
            channels=tuple(
                st.multiselect("Channels", channels, key="td_w_channels", placeholder="All channels")
            )
        )
        ss["td_w_campaigns"] = list(f.campaigns)
        f = f.with_(
            campaigns=tuple(
                st.multiselect(
                    "Campaigns", [*campaigns, NO_CAMPAIGN], key="td_w_campaigns",
                    placeholder="All campaigns", format_func=reveal_bidi,
                )
            )
        )  # fmt: skip
        ss["td_w_gran"] = f.granularity
        f = f.with_(
            granularity=st.segmented_control(
                "Granularity", list(GRANULARITIES), key="td_w_gran"
            )
            or "week"
        )
    ss["td_f"] = f
    params = to_params(f)
    # The page's own choices (see trustdash.ui.share) stay in the URL beside the filters.
    kept = {k: st.query_params.get_all(k) for k in PAGE_KEYS if k in st.query_params}
    st.query_params.from_dict({**params, **kept})
    share_link(params)
    return f
