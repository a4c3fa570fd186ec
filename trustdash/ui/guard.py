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

from trustdash import config, inbox
from trustdash.delivery import handoff
from trustdash.filters import (
    LANG_KEY,
    NO_CAMPAIGN,
    OPEN_KEY,
    PAGE_KEYS,
    Filters,
    default_window,
    from_params,
    to_params,
)
from trustdash.i18n import (
    LANG_NAMES,
    LANGS,
    env_lang,
    fmt_percent,
    get_lang,
    mark,
    pick_lang,
    set_lang,
    tr,
)
from trustdash.schema import GRANULARITIES
from trustdash.store import Store, StoreBusy, StoreError, open_store
from trustdash.ui import cache, sweeper
from trustdash.ui.auth import Access, enforce
from trustdash.ui.share import share_link
from trustdash.ui.text import md_escape, nav_link, reveal_bidi
from trustdash.workspace import ensure_started


@dataclass
class PageContext:
    store: Store
    filters: Filters
    access: Access
    # The store's data version, read once per run: the key of every cached result.
    version: str
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
    lang = interface_language()
    st.set_page_config(page_title=f"{tr(title)} · trustdash", page_icon=icon, layout="wide")
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
        st.title(tr(title))
        st.error(tr("Your role is read-only (viewer): this page is for editors."))
        st.stop()
    store = shared_store()
    loaded_demo = demo_just_loaded(config.db_target())
    version = store.data_version()
    _rescoring_status(store, version)
    with st.sidebar:
        st.markdown("### 🛡️ trustdash")
        _language_selector(lang)
        _navigation(access)
        if access.mode == "open":
            st.caption(tr("Open access (local use): no login is configured."))
        else:
            st.caption(md_escape(tr("Signed in as {email} · {role}", email=access.email,
                                    role=tr(access.role))))  # fmt: skip
            st.button(tr("Sign out"), on_click=_sign_out, key="td_logout")
    notices: list[str] = []
    if loaded_demo:
        notices.append(tr(
            "The store was empty, so the demo workspace (a fictional brand) was loaded. "
            "Import your own exports on the Import page."
        ))  # fmt: skip
    f = shared_filters(store, version, notices) if filters else Filters()
    if not filters:
        st.query_params[LANG_KEY] = lang
    for n in notices:
        # Notices quote values from the URL: never let them render as markdown.
        st.info(md_escape(n), icon="ℹ️")
    return PageContext(store=store, filters=f, access=access, version=version, notices=notices)


def _rescoring_status(store: Store, version: str) -> None:
    """Start re-scoring after a scorer or lexicon change and show its progress."""
    job = cache.rescoring_job(store, version)
    if job is None:
        return
    with st.sidebar:
        if job.error:
            st.error(md_escape(tr("Re-scoring failed: {error}", error=job.error)))
        elif not job.done:
            # The job writes its progress in English, for every session: others read a share.
            text = job.text if get_lang() == "en" else tr(
                "Re-scoring comments: {share} done", share=fmt_percent(job.fraction, 0)
            )
            st.progress(job.fraction, text=text)
            st.caption(tr("Numbers update when re-scoring ends; reload the page to follow it."))


NAV = [
    ("app.py", mark("Overview"), "🛡️", False),
    ("pages/1_Channels.py", mark("Channels"), "📡", False),
    ("pages/2_Campaigns.py", mark("Campaigns"), "🎯", False),
    ("pages/3_Responsiveness.py", mark("Responsiveness"), "⏱️", False),
    ("pages/4_Conversations.py", mark("Conversations"), "💬", False),
    ("pages/5_Brief.py", mark("Leadership brief"), "📰", False),
    ("pages/6_Import.py", mark("Import"), "📥", True),
    ("pages/7_Import_history.py", mark("Import history"), "🗂️", False),
    ("pages/8_Settings.py", mark("Settings"), "⚙️", False),
]
# A title a page file passes to page() that the navigation does not name, and the roles.
PAGE_TITLES = (mark("Brief"), mark("editor"), mark("viewer"))


def interface_language() -> str:
    """The interface language of this run, set for every string drawn after it: the
    sidebar choice, else the link's ``?lang=``, else the browser's language, else
    ``TRUSTDASH_LANG``, else English."""
    ss = st.session_state
    chosen = ss.get("td_w_lang") if ss.get("td_w_lang") in LANGS else ss.get("td_lang")
    lang = pick_lang(chosen, st.query_params.get(LANG_KEY), st.context.locale, env_lang())
    ss["td_lang"] = lang
    set_lang(lang)
    return lang


def _language_selector(lang: str) -> None:
    """The sidebar's language switch (named in both languages so anyone finds it)."""
    st.session_state["td_w_lang"] = lang
    st.segmented_control(
        "Language · Langue", list(LANGS), format_func=LANG_NAMES.get, key="td_w_lang"
    )


def _navigation(access: Access) -> None:
    """Page links with readable labels; editor-only pages hidden from viewers."""
    params = to_params(st.session_state["td_f"]) if "td_f" in st.session_state else {}
    params = {**params, LANG_KEY: st.session_state.get("td_lang", "en")}
    for path, label, icon, editor_only in NAV:
        if editor_only and not access.can_edit:
            continue
        nav_link(path, tr(label), icon, params)
    st.divider()


GRANULARITY_NAMES = {"day": mark("day"), "week": mark("week"), "month": mark("month")}


def campaign_name(value: str) -> str:
    """A campaign as shown: its own name, or "(no campaign)" in the reader's language."""
    return tr(NO_CAMPAIGN) if value == NO_CAMPAIGN else value


def shared_filters(store: Store, version: str, notices: list[str]) -> Filters:
    """Date range, channels, campaigns and granularity in the sidebar, mirrored in the URL."""
    ss = st.session_state
    facts = cache.facts(store, version)
    channels, campaigns = facts.channels, facts.campaigns
    lo, hi = facts.bounds
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
        st.markdown("**" + tr("Filters") + "**")
        if lo and hi:
            start = min(max(f.start or lo, lo), hi)
            end = max(min(f.end or hi, hi), start)
            ss["td_w_dates"] = (start, end)
            f = f.with_(start=start, end=end)
            st.date_input(tr("Dates"), key="td_w_dates", min_value=lo, max_value=hi,
                          format="DD/MM/YYYY" if get_lang() == "fr" else "YYYY/MM/DD")  # fmt: skip
        else:
            st.caption(tr("No dated data yet."))
        ss["td_w_channels"] = list(f.channels)
        f = f.with_(
            channels=tuple(
                st.multiselect(tr("Channels"), channels, key="td_w_channels",
                               placeholder=tr("All channels"))  # fmt: skip
            )
        )
        ss["td_w_campaigns"] = list(f.campaigns)
        f = f.with_(
            campaigns=tuple(
                st.multiselect(
                    tr("Campaigns"), [*campaigns, NO_CAMPAIGN], key="td_w_campaigns",
                    placeholder=tr("All campaigns"), format_func=lambda c: reveal_bidi(campaign_name(c)),
                )
            )
        )  # fmt: skip
        ss["td_w_gran"] = f.granularity
        f = f.with_(
            granularity=st.segmented_control(
                tr("Granularity"), list(GRANULARITIES), key="td_w_gran",
                format_func=lambda g: tr(GRANULARITY_NAMES.get(g, g)),
            )
            or "week"
        )
    ss["td_f"] = f
    params = to_params(f)
    # The page's own choices (see trustdash.ui.share) stay in the URL beside the filters.
    kept = {k: st.query_params.get_all(k) for k in PAGE_KEYS if k in st.query_params}
    lang = {LANG_KEY: ss.get("td_lang", "en")}
    st.query_params.from_dict({**params, **kept, **lang})
    share_link({**params, **lang})
    return f
