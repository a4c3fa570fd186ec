"""The Settings page: trust model, brand, campaign rules, annotations, privacy, deliveries."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from trustdash import analysis, config, delivery, privacy, rescoring, trust
from trustdash.delivery.send import SendError, smtp_settings
from trustdash.filters import Filters
from trustdash.i18n import LANG_NAMES, fmt_number, get_lang, mark, tr, trn
from trustdash.i18n.terms import component_label, term
from trustdash.store import TARGET_BUCKETS, Store, StoreError
from trustdash.ui.guard import PageContext
from trustdash.ui.text import md_escape
from trustdash.ui.widgets import show_table
from trustdash.workspace import RATING_SETTING, setting, trust_settings


def settings_view(ctx: PageContext) -> None:
    st.title(tr("Settings"))
    store = ctx.store
    read_only = not ctx.can_edit
    if read_only:
        st.info(tr("Read-only: your role is viewer."))
    s = trust_settings(store)
    tab_model, tab_brand, tab_campaigns, tab_notes, tab_data, tab_delivery = st.tabs(
        [tr("Trust model"), tr("Brand"), tr("Campaign rules"), tr("Annotations"),
         tr("Data & privacy"), tr("Deliveries")]
    )  # fmt: skip
    with tab_model:
        preset, weights = _weights_section(store, s, read_only)
        half, prior = _recency_prior_section(s, read_only)
        targets = _targets_section(store, read_only)
        _save_model(store, preset, weights, half, prior, targets, read_only)
    with tab_brand:
        accounts, terms = _brand_accounts_section(store, read_only)
        lex = _lexicon_overrides_section(store, read_only)
        lang = _report_language_section(store, read_only)
        _save_brand(store, accounts, terms, lex, lang, read_only)
        _rating_rule_block(store, read_only)
    with tab_campaigns:
        _campaign_rules_section(store, read_only)
    with tab_notes:
        _annotations_section(store, read_only)
    with tab_data:
        _privacy_section(store, read_only)
    with tab_delivery:
        _subscriptions_section(store, read_only)
        if not read_only:
            _add_subscription_section(store, ctx.access.email)
            _edit_subscription_section(store)
            _delivery_log_section(store)


def _weights_section(
    store: Store, s: trust.TrustSettings, read_only: bool
) -> tuple[str, dict[str, float]]:
    """The weights preset and, under "Custom", the six weights; with the ranking check."""
    st.subheader(tr("Weights"))
    presets = [*trust.PRESETS, "Custom"]
    current = setting(store, "weights_preset") or "Default"
    preset = st.selectbox(tr("Preset"), presets, index=presets.index(current)
                          if current in presets else 0, key="set_preset",
                          disabled=read_only, format_func=term)  # fmt: skip
    base = trust.PRESETS.get(preset, dict(s.weights))
    cols = st.columns(6)
    weights = {}
    for i, comp in enumerate(trust.COMPONENTS):
        weights[comp] = cols[i].number_input(
            component_label(comp, trust.COMPONENT_NAMES[comp]), 0.0, 1.0,
            float(base.get(comp, 0.0) if preset != "Custom" else s.weights.get(comp, 0.0)),
            0.05, key=f"set_w_{comp}_{preset}", disabled=read_only or preset != "Custom",
        )  # fmt: skip
    stab = analysis.rank_stability(store, Filters(), "channel", s)
    # A ranking needs two channels with a shown score; with fewer there is nothing to check.
    if len(stab.get("shift", {})) >= 2:
        stable = stab.get("stable")
        st.caption(
            tr("✅ The channel ranking is the same under every preset.")
             if stable else tr("⚠️ The channel ranking changes between presets: "
             "largest rank shift {shift}.", shift=stab.get("max_shift", "?"))
        )  # fmt: skip
    return preset, weights


def _recency_prior_section(s: trust.TrustSettings, read_only: bool) -> tuple[float, float]:
    st.subheader(tr("Recency and small samples"))
    c1, c2 = st.columns(2)
    half = c1.number_input(tr("Half-life (days; 0 = off)"), 0.0, 3650.0,
                           float(s.half_life_days), 5.0, key="set_half",
                           disabled=read_only)  # fmt: skip
    prior = c2.number_input(tr("Prior strength m (comments)"), 0.0, 1000.0,
                            float(s.prior_strength), 1.0, key="set_prior",
                            disabled=read_only)  # fmt: skip
    return half, prior


def _targets_section(store: Store, read_only: bool) -> dict[str, int]:
    st.subheader(tr("Target first-response time per channel"))
    targets = {}
    chans = store.channels()
    tcols = st.columns(4)
    for i, ch in enumerate(chans):
        cur = trust_settings(store).target_hours(ch)
        opts = list(TARGET_BUCKETS)
        idx = min(range(len(opts)), key=lambda k: abs(opts[k] - cur))
        targets[ch] = tcols[i % 4].selectbox(tr("{channel} (hours)", channel=ch), opts, index=idx,
                                             key=f"set_t_{ch}", disabled=read_only)  # fmt: skip
    return targets


def _save_model(
    store: Store,
    preset: str,
    weights: dict[str, float],
    half: float,
    prior: float,
    targets: dict[str, int],
    read_only: bool,
) -> None:
    if st.button(tr("Save trust model"), type="primary", key="set_save_model",
                 disabled=read_only):  # fmt: skip
        try:
            trust.TrustSettings(weights=weights, half_life_days=half, prior_strength=prior)
        except ValueError as exc:
            st.error(md_escape(tr("Not saved: {error}", error=exc)))
        else:
            store.set_setting("weights_preset", preset)
            store.set_setting("weights", weights)
            store.set_setting("half_life_days", half)
            store.set_setting("prior_strength", prior)
            store.set_setting("targets", targets)
            st.success(tr("Saved."))


def _brand_accounts_section(store: Store, read_only: bool) -> tuple[str, str]:
    st.caption(tr("Authors who are the brand (their messages are replies, not audience "
                  "comments) and names that must not count as sentiment words."))  # fmt: skip
    accounts = st.text_area(tr("Brand accounts (one per line)"),
                            "\n".join(setting(store, "brand_accounts") or []),
                            key="set_accounts", disabled=read_only)  # fmt: skip
    terms = st.text_area(tr("Brand and product names, hashtags (one per line)"),
                         "\n".join(setting(store, "brand_terms") or []), key="set_terms",
                         disabled=read_only)  # fmt: skip
    return accounts, terms


def _lexicon_overrides_section(store: Store, read_only: bool) -> str:
    return st.text_area(
        tr("Lexicon overrides (word = polarity between -1 and 1, one per line)"),
        "\n".join(f"{k} = {v}" for k, v in (setting(store, "lexicon_overrides") or {}).items()),
        key="set_lex", disabled=read_only,
    )  # fmt: skip


def _report_language_section(store: Store, read_only: bool) -> str:
    return st.radio(tr("Default report language"), ["en", "fr"], horizontal=True,
                    index=0 if setting(store, "report_lang") == "en" else 1,
                    key="set_lang", disabled=read_only, format_func=LANG_NAMES.get)  # fmt: skip


def _parse_overrides(lex: str) -> tuple[dict[str, float], list[str]]:
    """``word = polarity`` lines as a dict, and the lines that are not."""
    overrides, bad = {}, []
    for line in lex.splitlines():
        if not line.strip():
            continue
        word, _, value = line.partition("=")
        try:
            v = float(value)
            if not -1.0 <= v <= 1.0:
                raise ValueError
            overrides[word.strip().lower()] = v
        except ValueError:
            bad.append(line.strip()[:60])
    return overrides, bad


def _save_brand(
    store: Store, accounts: str, terms: str, lex: str, lang: str, read_only: bool
) -> None:
    if not st.button(tr("Save brand settings"), key="set_save_brand", disabled=read_only):
        return
    overrides, bad = _parse_overrides(lex)
    if bad:
        st.error(tr("Not saved: these lines are not `word = number in [-1, 1]`: {lines}",
                    lines=md_escape("; ".join(bad))))  # fmt: skip
        return
    store.set_setting("brand_accounts", _lines(accounts))
    store.set_setting("brand_terms", _lines(terms))
    store.set_setting("lexicon_overrides", overrides)
    store.set_setting("report_lang", lang)
    with st.spinner(tr("Re-applying brand accounts…")):
        store.refresh_all()
    if rescoring.start_background(store):
        st.success(tr("Saved. Comments are being re-scored in the background with "
                      "the new names and lexicon (progress in the sidebar)."))  # fmt: skip
    else:
        st.success(tr("Saved."))


def _campaign_rules_section(store: Store, read_only: bool) -> None:
    rules = store.campaign_rules()
    if rules.height:
        show_table(rules, hide_index=True)
    else:
        st.caption(tr("No rules yet. Rules assign a campaign to existing and future data."))
    with st.form("rule_form", clear_on_submit=True):
        c1, c2, c3 = st.columns(3)
        name = c1.text_input(tr("Campaign"), max_chars=120)
        kind = c2.selectbox(tr("Rule"), ["hashtag", "keyword", "post_id", "date_window"],
                            format_func=lambda k: tr(RULE_KINDS[k]))  # fmt: skip
        value = c3.text_input(tr("Value (hashtag, keyword or post id)"), max_chars=200)
        c4, c5, c6 = st.columns(3)
        channel = c4.selectbox(tr("Channel"), ["(all)", *store.channels()], format_func=_all)
        start = c5.date_input(tr("From (optional)"), value=None, format=_date_format())
        end = c6.date_input(tr("To (optional)"), value=None, format=_date_format())
        if st.form_submit_button(tr("Add rule"), disabled=read_only):
            try:
                store.add_campaign_rule(
                    name, kind, value, channel=None if channel == "(all)" else channel,
                    start=start, end=end,
                )  # fmt: skip
                st.success(tr("Rule added and applied to existing data."))
            except StoreError as exc:
                st.error(md_escape(str(exc)))
    if rules.height and not read_only:
        rid = st.selectbox(tr("Delete rule"), rules["id"].to_list(), key="set_rule_del")
        if st.button(tr("Delete rule"), key="set_rule_del_btn"):
            store.delete_campaign_rule(int(rid))
            st.rerun()


def _annotations_section(store: Store, read_only: bool) -> None:
    notes = store.annotations()
    if notes.height:
        show_table(notes, hide_index=True)
    with st.form("note_form", clear_on_submit=True):
        c1, c2, c3 = st.columns([1, 1, 3])
        day = c1.date_input(tr("Date"), value=dt.date.today(), format=_date_format())
        channel = c2.selectbox(tr("Channel"), ["(all)", *store.channels()], format_func=_all)
        text = c3.text_input(tr("Event"), max_chars=200)
        if st.form_submit_button(tr("Add annotation"), disabled=read_only) and text.strip():
            store.add_annotation(day, text.strip(), None if channel == "(all)" else channel)
            st.success(tr("Annotation added."))
    if notes.height and not read_only:
        nid = st.selectbox(tr("Delete annotation"), notes["id"].to_list(), key="set_note_del")
        if st.button(tr("Delete annotation"), key="set_note_del_btn"):
            store.delete_annotation(int(nid))
            st.rerun()


def _privacy_section(store: Store, read_only: bool) -> None:
    """Table counts for everyone; pseudonymisation, forgetting an author and deleting a
    channel for editors."""
    counts = store.table_counts()
    show_table(pl.DataFrame([counts]), hide_index=True)
    if read_only:
        return
    st.markdown("**" + tr("Pseudonymise authors at import") + "**")
    on = st.toggle(
        tr("Replace author names and ids by a keyed hash in future imports (the same "
           "author stays linkable; brand accounts keep their names)"),
        value=privacy.enabled(store), key="set_pseudo",
    )  # fmt: skip
    if on != privacy.enabled(store):
        privacy.set_enabled(store, on)
        st.success(tr("Saved: applies to the next imports."))
    st.markdown(tr("**Forget an author** (removes their comments everywhere)"))
    author = st.text_input(tr("Author name exactly as stored"), key="set_forget",
                           max_chars=200)  # fmt: skip
    if st.button(tr("Forget author"), key="set_forget_btn") and author.strip():
        n = privacy.forget_author(store, author.strip())
        st.success(trn("Removed {n} comment(s).", "Removed {n} comment(s).", n))
    st.markdown(tr("**Delete a channel** (every table, rollup and cache)"))
    ch = st.selectbox(tr("Channel"), store.channels(), key="set_del_channel")
    confirm = st.checkbox(tr("I understand this cannot be undone"), key="set_del_confirm")
    if st.button(tr("Delete channel"), key="set_del_channel_btn", disabled=not confirm) and ch:
        store.delete_channel(ch)
        st.success(md_escape(tr("Channel {channel} deleted.", channel=ch)))
        st.rerun()


def subscription_table(subs: list[dict], can_edit: bool) -> pl.DataFrame:
    """The subscriptions as the page lists them: webhook URLs masked unless ``can_edit``."""
    rows = [
        {"id": s["id"],
         "recipient": s["recipient"] if can_edit else delivery.mask(s["recipient"]),
         "kind": s["kind"],
         "schedule": (s["every"] + (f" on {delivery.WEEKDAYS[s['weekday']]}"
                                    if s["every"] == "weekly" else "")
                      if s["kind"] == "brief" else
                      f"min {s['min_severity']}, cool-down {s['cooldown_hours']:g} h"),
         "lang": s["lang"], "channels": ", ".join(s["channels"]) or "all",
         "campaigns": ", ".join(s["campaigns"]) or "all",
         "status": "paused" if s["paused"] else "active"}
        for s in subs
    ]  # fmt: skip
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def _subscriptions_section(store: Store, read_only: bool) -> None:
    """Who receives the brief and the alerts; the sending setup (never its password)."""
    st.subheader(tr("Subscriptions"))
    st.caption(tr("The brief (email or webhook) on a schedule, and each new alert once. "
                  "`python -m trustdash deliver` sends what is due (see docs/deploy.md)."))  # fmt: skip
    table = subscription_table(store.subscriptions(), can_edit=not read_only)
    if table.height:
        st.dataframe(table.to_arrow(), hide_index=True, key="set_subs")
    else:
        st.caption(tr("No subscriptions yet."))
    if read_only:
        st.info(tr("Editors manage subscriptions and see the delivery log."))
        return
    try:
        where = smtp_settings().describe()
        st.caption(md_escape(tr("Email goes through {where}.", where=where)))
    except SendError as exc:
        st.caption(md_escape(tr("Email is not set up: {error}", error=str(exc))))
    public = config.public_url()
    st.caption(md_escape(tr("Links point to {url}.", url=public) if public else
                         tr("Set TRUSTDASH_PUBLIC_URL for links to this app in messages.")))  # fmt: skip


def _add_subscription_section(store: Store, user: str | None) -> None:
    st.markdown(tr("**Add a subscription**"))
    with st.form("sub_form", clear_on_submit=True):
        c1, c2, c3 = st.columns([3, 1, 1])
        to = c1.text_input(tr("Email address or webhook URL (Slack, Teams, JSON)"), max_chars=500,
                           key="set_sub_to")  # fmt: skip
        kind = c2.selectbox(tr("Kind"), list(delivery.KINDS), key="set_sub_kind")
        lang = c3.selectbox(tr("Language"), list(delivery.LANGS), key="set_sub_lang")
        c4, c5, c6, c7 = st.columns(4)
        every = c4.selectbox(tr("Brief: every"), list(delivery.EVERY), index=1, key="set_sub_every")
        weekday = c5.selectbox(tr("Brief: weekly on"), list(delivery.WEEKDAYS), key="set_sub_day",
                               format_func=tr)  # fmt: skip
        severity = c6.selectbox(tr("Alerts: minimum severity"), list(delivery.SEVERITIES),
                                key="set_sub_sev")  # fmt: skip
        cooldown = c7.number_input(tr("Alerts: cool-down (hours)"), 0.0, 720.0, 24.0, 1.0,
                                   key="set_sub_cool")  # fmt: skip
        c8, c9 = st.columns(2)
        channels = c8.multiselect(tr("Channels (none = all)"), store.channels(), key="set_sub_ch")
        campaigns = c9.multiselect(tr("Campaigns (none = all)"), store.campaigns(),
                                   key="set_sub_camp")  # fmt: skip
        if st.form_submit_button(tr("Add subscription")):
            day = delivery.WEEKDAYS.index(weekday)
            try:
                delivery.validate(to, kind, every, lang, day, severity)
            except ValueError as exc:
                st.error(md_escape(tr("Not added: {error}", error=str(exc))))
                return
            sub_id = store.add_subscription(
                to.strip(), kind, every=every, weekday=day, lang=lang, channels=channels,
                campaigns=campaigns, min_severity=severity, cooldown_hours=cooldown,
                created_by=user,
            )  # fmt: skip
            st.success(tr("Subscription {id} added.", id=sub_id))


def _edit_subscription_section(store: Store) -> None:
    subs = {s["id"]: s for s in store.subscriptions()}
    if not subs:
        return
    st.markdown(tr("**Change a subscription**"))
    sub_id = st.selectbox(tr("Subscription"), list(subs), key="set_sub_pick",
                          format_func=lambda i: f"{i}: {subs[i]['kind']} → "
                          f"{delivery.mask(subs[i]['recipient'])}")  # fmt: skip
    s = subs[sub_id]
    c1, c2, c3, c4 = st.columns(4)
    lang = c1.selectbox(tr("Language"), list(delivery.LANGS), key=f"set_sub_lang_{sub_id}",
                        index=list(delivery.LANGS).index(s["lang"]))  # fmt: skip
    every = c2.selectbox(tr("Brief: every"), list(delivery.EVERY), key=f"set_sub_every_{sub_id}",
                         index=list(delivery.EVERY).index(s["every"]))  # fmt: skip
    weekday = c3.selectbox(tr("Brief: weekly on"), list(delivery.WEEKDAYS), index=s["weekday"],
                           key=f"set_sub_day_{sub_id}", format_func=tr)  # fmt: skip
    paused = c4.toggle(tr("Paused"), value=s["paused"], key=f"set_sub_paused_{sub_id}")
    c5, c6, c7, c8 = st.columns(4)
    severity = c5.selectbox(tr("Alerts: minimum severity"), list(delivery.SEVERITIES),
                            index=list(delivery.SEVERITIES).index(s["min_severity"]),
                            key=f"set_sub_sev_{sub_id}")  # fmt: skip
    cooldown = c6.number_input(tr("Alerts: cool-down (hours)"), 0.0, 720.0,
                               float(s["cooldown_hours"]), 1.0, key=f"set_sub_cool_{sub_id}")  # fmt: skip
    channels = c7.multiselect(tr("Channels (none = all)"), sorted({*store.channels(), *s["channels"]}),
                              default=list(s["channels"]), key=f"set_sub_ch_{sub_id}")  # fmt: skip
    campaigns = c8.multiselect(tr("Campaigns (none = all)"),
                               sorted({*store.campaigns(), *s["campaigns"]}),
                               default=list(s["campaigns"]), key=f"set_sub_camp_{sub_id}")  # fmt: skip
    b1, b2 = st.columns(2)
    if b1.button(tr("Save changes"), key="set_sub_save"):
        store.update_subscription(sub_id, lang=lang, every=every, paused=paused,
                                  weekday=delivery.WEEKDAYS.index(weekday),
                                  min_severity=severity, cooldown_hours=cooldown,
                                  channels=channels, campaigns=campaigns)  # fmt: skip
        st.success(tr("Subscription {id} saved.", id=sub_id))
    if b2.button(tr("Delete subscription"), key="set_sub_delete"):
        store.delete_subscription(sub_id)
        st.rerun()


def _delivery_log_section(store: Store) -> None:
    st.markdown(tr("**Delivery log**"))
    if st.button(tr("Send what is due now"), key="set_deliver_now"):
        with st.spinner(tr("Sending…")):
            outcomes = delivery.run(store)
        failed = [o for o in outcomes if o.status == "failed"]
        msg = tr("{done} sent or skipped, {failed} failed.", done=len(outcomes) - len(failed),
                 failed=len(failed))  # fmt: skip
        (st.warning if failed else st.success)(md_escape(msg if outcomes else "Nothing was due."))
    log = store.delivery_log(200)
    if log.is_empty():
        st.caption(tr("Nothing sent yet."))
        return
    shown = log.with_columns(
        pl.col("recipient").map_elements(delivery.mask, return_dtype=pl.String)
    ).select("updated_at", "subscription_id", "recipient", "kind", "summary", "status",
             "attempts", "error", "next_attempt_at", "sent_at")  # fmt: skip
    st.dataframe(shown.to_arrow(), hide_index=True, key="set_delivery_log")


RULE_KINDS = {"hashtag": mark("hashtag"), "keyword": mark("keyword"), "post_id": mark("post id"),
              "date_window": mark("date window")}  # fmt: skip


def _all(value: str) -> str:
    return tr("(all)") if value == "(all)" else value


def _date_format() -> str:
    return "DD/MM/YYYY" if get_lang() == "fr" else "YYYY/MM/DD"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _rating_rule_block(store: Store, read_only: bool) -> None:
    """Star ratings decide review sentiment (on by default); switching relabels the
    stored rated reviews and refreshes the dashboards."""
    st.markdown(tr("**Reviews with a star rating**"))
    current = bool(setting(store, RATING_SETTING))
    on = st.checkbox(
        tr("The rating decides the sentiment (4–5 stars positive, 3 neutral, 1–2 negative); "
           "the text decides only where there is no rating"),
        value=current, key="set_rating_rule", disabled=read_only,
    )  # fmt: skip
    if on != current and not read_only:
        with st.spinner(tr("Relabelling rated reviews…")):
            n = rescoring.set_rating_rule(store, on)
        st.cache_data.clear()
        st.success(tr("Saved: {n} rated review(s) relabelled.", n=fmt_number(n)))
