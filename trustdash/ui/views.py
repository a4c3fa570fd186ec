"""Page bodies for the analysis pages. They lay out what :mod:`trustdash.analysis`
computes; no SQL and no formulas here."""

from __future__ import annotations

import polars as pl
import streamlit as st

from trustdash import analysis, charts, corrections, report, trust
from trustdash.filters import (
    LANGUAGES,
    MAX_SEARCH,
    NO_CAMPAIGN,
    ORDERS,
    PAGE_KEYS,
    REPLIES,
    SENTIMENTS,
    ConversationView,
    conversation_from_params,
    conversation_params,
    default_window,
    opening_params,
)
from trustdash.i18n import (
    LANG_NAMES,
    fmt_date,
    fmt_decimal,
    fmt_level,
    fmt_number,
    fmt_percent,
    get_lang,
    mark,
    quoted,
    tr,
    trn,
)
from trustdash.i18n.terms import change_reason, term
from trustdash.safe_text import reveal_bidi, reveal_bidi_columns
from trustdash.ui import cache
from trustdash.ui.guard import PageContext
from trustdash.ui.share import keep_in_link
from trustdash.ui.text import nav_link
from trustdash.ui.widgets import (
    chart,
    comments_table,
    download_buttons,
    empty_state,
    explain_panel,
    fmt_score,
    kpi,
    md_escape,
    quote,
    show_table,
)


def _no_data(ctx: PageContext) -> bool:
    if cache.facts(ctx.store, ctx.version).empty:
        empty_state(tr(
            "No data yet. Import the exports you download from your channels "
            "(X, Facebook, Instagram, LinkedIn, YouTube, TikTok, reviews…), or run "
            "`python -m trustdash demo` to load the demo workspace."
        ))  # fmt: skip
        return True
    return False


def _channel_table(table: pl.DataFrame) -> pl.DataFrame:
    if table.is_empty():
        return table
    table = analysis.shown_table(table)
    return table.select(
        pl.col("rank"),
        pl.col("group").alias("channel"),
        pl.col("trust").round(1),
        pl.col("low").round(1),
        pl.col("high").round(1),
        pl.col("band"),
        pl.col("n").alias("comments"),
        *[pl.col(c).round(2).alias(f"{c} {trust.COMPONENT_NAMES[c]}") for c in trust.COMPONENTS],
        pl.col("reason"),
        pl.col("flags").list.join("; "),
    )


def _partial_text(row: dict) -> str:
    missing = row.get("missing") or []
    names = ", ".join(tr(trust.COMPONENT_NAMES.get(c, c)) for c in missing)
    return trn("Partial score: {names} is not measurable here; the other weights were "
               "renormalised.", "Partial score: {names} are not measurable here; the other "
               "weights were renormalised.", len(missing), names=names)  # fmt: skip


def _comments_elsewhere(ctx: PageContext) -> None:
    """No comment in the selected dates while the store has some (posts or metrics run
    later than the comments, so the default window missed them): say where they are and
    link to their last six months."""
    first, last = cache.facts(ctx.store, ctx.version).comment_bounds
    f = ctx.filters
    if first is None or last is None:
        return
    if f.start is not None and f.end is not None and f.start <= last and first <= f.end:
        return  # the comments overlap the dates: the channel filter hides them
    st.info(tr("No comment in these dates: the comments run from {first} to {last}.",
               first=fmt_date(first), last=fmt_date(last)))  # fmt: skip
    start, end = default_window(first, last)
    nav_link("app.py", tr("Show the last six months of comments"), "📅",
             {**opening_params(f.with_(start=start, end=end)), "lang": get_lang()})  # fmt: skip


def overview_view(ctx: PageContext) -> None:
    st.title(tr("Trust overview"))
    if _no_data(ctx):
        return
    with st.spinner(tr("Computing trust…")):
        ov = cache.overview(ctx.store, ctx.version, ctx.filters)
    st.caption(md_escape(ov.filters.describe()))
    head = ov.headline
    c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
    with c1:
        kpi(tr("Brand Trust Score"), head.get("row"), ov.settings, delta=ov.delta,
            key="kpi_brand", help_text=tr(str(head.get("label") or "")))  # fmt: skip
    with c2:
        eq = head.get("channel_equal") or {}
        st.metric(tr("Channel-equal total"),
                  fmt_score(None if eq.get("insufficient") else eq.get("trust")),
                  help=_equal_help(eq))  # fmt: skip
        st.caption(tr("Each channel weighs the same"))
    cov = ov.coverage
    with c3:
        st.metric(tr("Audience comments"), fmt_number(cov.get("comments", 0)))
        share = cov.get("unscored_share")
        st.caption(tr("Unscored: {share} (other languages or empty text)",
                      share=fmt_percent(share)))  # fmt: skip
    with c4:
        langs = cov.get("languages", {})
        st.metric(tr("Brand replies"), fmt_number(cov.get("brand_replies", 0)))
        st.caption(" · ".join(tr("{term}: {value}", term=term(k), value=fmt_number(v))
                              for k, v in langs.items()))  # fmt: skip

    if not cov.get("comments"):
        _comments_elsewhere(ctx)
    # "Partial" qualifies a score: without one shown there is nothing to qualify.
    if head.get("shown") is not None and head["row"].get("missing"):
        st.warning(_partial_text(head["row"]), icon="⚠️")

    left, right = st.columns([1, 1.4])
    with left:
        chart(
            ctx,
            cache.figure(ctx.store, ctx.version, ("ov_channels", ov.filters), lambda: charts.trust_by_group(
                analysis.shown_table(ov.channels), start=ov.filters.start, end=ov.filters.end,
            )),
            key="ov_channels",
            data=_channel_table(ov.channels),
        )
    with right:
        chart(
            ctx,
            cache.figure(ctx.store, ctx.version, ("ov_series", ov.filters), lambda: charts.trust_over_time(
                ov.series, annotations=ov.annotations, alerts=ov.alerts,
                granularity=ov.filters.granularity,
            )),
            key="ov_series",
            data=ov.series.select("channel", "period", "trust", "low", "high", "n", "band")
            if ov.series.height else None,
        )  # fmt: skip
    st.caption(tr("Click a bar or a point to see the comments behind it."))

    st.subheader(tr("What changed"))
    if not ov.changes:
        st.caption(tr("No previous period of the same length to compare with."))
    for ch in ov.changes:
        with st.container(border=True):
            st.markdown(tr(
                "**{group}**: {previous} → {current} ({delta}) — {reason}",
                group=md_escape(ch["group"]), previous=fmt_number(ch["previous"]),
                current=fmt_number(ch["current"]), delta=fmt_decimal(ch["delta"], 1, sign=True),
                reason=md_escape(change_reason(ch)),
            ))  # fmt: skip
            drivers = ch.get("drivers")
            if drivers is not None and drivers.height:
                for r in drivers.iter_rows(named=True):
                    st.text(f"{quoted((r['text'] or '')[:220])}  ({term(r['label'])})")

    st.subheader(tr("Alerts"))
    if ov.alerts.is_empty():
        st.caption(tr("No negative spikes in this window (rule: baseline + 2 sd, ≥ 10 "
                      "negatives, two windows in a row)."))  # fmt: skip
    else:
        show_table(
            ov.alerts.select(
                pl.col("group").alias("channel"),
                pl.col("period").cast(pl.Date).alias("window starting"),
                pl.col("kind"),
                (pl.col("share") * 100).round(1).alias("negative %"),
                (pl.col("baseline_mean") * 100).round(1).alias("baseline %"),
                pl.col("neg").cast(pl.Int64).alias("negative comments"),
            ),
            hide_index=True,
        )

    st.subheader(tr("Trust per channel"))
    table = _channel_table(ov.channels)
    show_table(table, hide_index=True)
    download_buttons(table, "trust_by_channel", key="dl_ov_channels")
    if ov.channels.height:
        names = ov.channels["group"].to_list()
        pick = st.selectbox(tr("Explain a channel's score"), names, key="ov_explain_pick")
        row = ov.channels.filter(pl.col("group") == pick).row(0, named=True)
        explain_panel(row, ov.settings, key="ov_explain")


def channels_view(ctx: PageContext) -> None:
    st.title(tr("Channels"))
    if _no_data(ctx):
        return
    channels = list(ctx.filters.channels) or ctx.store.channels()
    if not channels:
        empty_state(tr("No channel has data yet."))
        return
    focus = st.query_params.get("focus")
    if "ch_pick" not in st.session_state and focus in channels:
        st.session_state["ch_pick"] = focus  # opened from a link
    channel = st.selectbox(tr("Channel"), channels, key="ch_pick")
    keep_in_link({"focus": channel})
    f = ctx.filters.with_(channels=(channel,))
    table = cache.trust_table(ctx.store, ctx.version, f, "channel")
    settings = analysis.trust_settings(ctx.store)
    row = table.row(0, named=True) if table.height else None
    c1, c2 = st.columns([1, 2])
    with c1:
        kpi(tr("Trust · {channel}", channel=md_escape(channel)), row, settings, key="kpi_channel")
    with c2:
        if row:
            st.plotly_chart(cache.figure(ctx.store, ctx.version, ("ch_components", f),
                                         lambda: charts.components_bar(
                                             row, shown=analysis.shown_score(row) is not None)),
                            key="ch_components", config=charts.plotly_config())  # fmt: skip
    long = cache.channel_components(ctx.store, ctx.version, f, channel)
    chart(ctx, cache.figure(ctx.store, ctx.version, ("ch_over_time", f),
                            lambda: charts.components_over_time(long)),
          key="ch_over_time", data=long)  # fmt: skip
    ser = cache.series(ctx.store, ctx.version, f)
    chart(
        ctx,
        cache.figure(ctx.store, ctx.version, ("ch_series", f), lambda: charts.trust_over_time(
            ser, title=tr("Trust over time · {channel}", channel=channel),
            annotations=ctx.store.annotations(f), granularity=f.granularity)),
        key="ch_series",
    )  # fmt: skip
    if row is not None and analysis.NEEDS_COMMENTS in (row.get("flags") or []):
        st.info(md_escape(tr("{channel} has posts or metrics but no comments or reviews: {hint}",
                             channel=channel, hint=tr(analysis.comment_export_hint(channel)))))  # fmt: skip
    posts = analysis.post_metrics(ctx.store, f)
    if posts.height:
        st.plotly_chart(charts.metric_series(posts, title=tr("Posts: engagements, reach, advocacy")),
                        key="ch_post_metrics", config=charts.plotly_config())  # fmt: skip
    metrics = ctx.store.daily_metric_series(f)
    if metrics.height:
        st.plotly_chart(charts.metric_series(metrics), key="ch_metrics",
                        config=charts.plotly_config())  # fmt: skip


def campaigns_view(ctx: PageContext) -> None:
    st.title(tr("Campaigns"))
    if _no_data(ctx):
        return
    f = ctx.filters
    table = cache.trust_table(ctx.store, ctx.version, f, "campaign")
    table = table.with_columns(
        pl.when(pl.col("group") == "").then(pl.lit(NO_CAMPAIGN)).otherwise(pl.col("group"))
        .alias("group")
    )  # fmt: skip
    if table.is_empty():
        empty_state(tr("No campaign in this selection. Add campaign rules in Settings or "
                       "import files with a campaign column."), import_link=False)  # fmt: skip
        return
    table = analysis.shown_table(table)
    chart(ctx, cache.figure(ctx.store, ctx.version, ("cp_compare", f), lambda: (
              charts.campaign_compare(
                  table.with_columns(pl.col("group").replace({NO_CAMPAIGN: tr(NO_CAMPAIGN)})),
                  analysis.brand_headline(ctx.store, f).get("shown")))),
          key="cp_compare", dimension="campaign", data=table.drop("weights_used"))  # fmt: skip
    shown = table.select(
        "rank", pl.col("group").replace({NO_CAMPAIGN: tr(NO_CAMPAIGN)}).alias("campaign"),
        pl.col("trust").round(1),
        pl.col("low").round(1), pl.col("high").round(1), "band", pl.col("n").alias("comments"),
        *[pl.col(c).round(2).alias(f"{c} {trust.COMPONENT_NAMES[c]}") for c in trust.COMPONENTS],
        "reason", pl.col("flags").list.join("; "),
    )  # fmt: skip
    show_table(reveal_bidi_columns(shown, ["campaign"]), hide_index=True)
    download_buttons(shown, "trust_by_campaign", key="dl_cp")
    st.caption(tr(
        "Why the rank uses the low end of the {level} interval, not the score: a campaign "
        "with few comments has a wide interval, so a handful of lucky comments cannot put it "
        "first. A campaign ranks high only when even its cautious estimate is high.",
        level=fmt_level(),
    ))  # fmt: skip
    names = [g for g in table["group"].to_list() if g != NO_CAMPAIGN]
    if names:
        st.subheader(tr("Before / during / after"))
        pick = st.selectbox(tr("Campaign"), names, key="cp_pick", format_func=reveal_bidi)
        phases = cache.campaign_phases(ctx.store, ctx.version, pick)
        chart(ctx, cache.figure(ctx.store, ctx.version, ("cp_phases", pick), lambda: (
                  charts.phases_bar(phases, title=tr("Brand trust around {campaign}",
                                                     campaign=pick)))),
              key="cp_phases", dimension="none", data=phases)  # fmt: skip
        row = table.filter(pl.col("group") == pick)
        if row.height:
            explain_panel(row.row(0, named=True), analysis.trust_settings(ctx.store),
                          key="cp_explain")  # fmt: skip


def responsiveness_view(ctx: PageContext) -> None:
    st.title(tr("Responsiveness"))
    if _no_data(ctx):
        return
    business = st.toggle(tr("Count business hours only (Mon–Fri 9:00–18:00)"), key="resp_bh")
    table = cache.responsiveness(ctx.store, ctx.version, ctx.filters, business_hours=business)
    if table.is_empty():
        empty_state(tr("No actionable comments (questions, complaints, negatives) in this "
                       "selection."), import_link=False)  # fmt: skip
        return
    shown = table.select(
        "channel",
        pl.col("target_hours").alias("target (h)"),
        pl.col("total").alias("actionable"),
        "answered",
        (pl.col("reply_rate") * 100).round(1).alias("reply rate %"),
        pl.col("median").round(1).alias("median (h)"),
        pl.col("p90").round(1).alias("p90 (h)"),
        (pl.col("within_target") * 100).round(1).alias("within target %"),
        *[pl.col(c) for c in table.columns if c.startswith("bins: ")],
        "note",
    )
    show_table(shown, hide_index=True)
    silent = table.filter(pl.col("note").is_not_null())["channel"].to_list()
    if silent:
        st.info(md_escape(tr("{channels}: {note}. Responsiveness is not measured there and "
                             "their comments are not listed as unanswered.",
                             channels=", ".join(silent), note=tr(analysis.NO_REPLY_DATA))))  # fmt: skip
    download_buttons(shown, "responsiveness", key="dl_resp")
    chart(ctx, cache.figure(ctx.store, ctx.version, ("resp_dist", ctx.filters, business),
                            lambda: charts.response_distribution(
                                table.filter(pl.col("note").is_null()))),
          key="resp_dist")  # fmt: skip
    st.caption(tr("Median and p90 over answered comments; replies marked automated are "
                  "excluded."))  # fmt: skip
    st.subheader(tr("Unanswered actionable comments, oldest first"))
    measured = analysis.reply_channels(ctx.store, ctx.filters)
    if not measured:
        st.caption(tr("No channel of the selection has reply data."))
        return
    frame = ctx.store.comments(
        ctx.filters.with_(channels=measured), actionable=True, answered="unanswered",
        order="oldest", limit=300,
    )  # fmt: skip
    comments_table(frame, key="resp_unanswered")
    download_buttons(frame, "unanswered", key="dl_unanswered")


# The headline's label as trustdash.analysis writes it (translated where shown).
HEADLINE_LABEL = mark("Volume-weighted: all comments pooled (large channels weigh more)")
CHOICES = {
    "all": mark("all"), "answered": mark("answered"), "unanswered": mark("unanswered"),
    "newest": mark("newest"), "oldest": mark("oldest"),
    "most_negative": mark("most negative"), "most_positive": mark("most positive"),
}  # fmt: skip
_LANGUAGE_NAMES = {
    "en": mark("English"), "fr": mark("French"), "und": mark("undetermined"),
    "es": mark("Spanish"), "de": mark("German"), "it": mark("Italian"),
}  # fmt: skip


def _equal_help(eq: dict) -> str:
    """The channel-equal total's help: trust.brand_total's label, in the reader's words."""
    if eq.get("groups") is None:
        return tr("Mean of channel scores: each channel weighs the same.")
    return tr("Channel-equal: mean of {n} channel scores (each channel weighs the same)",
              n=eq["groups"])  # fmt: skip


def _language_name(code: str) -> str:
    name = _LANGUAGE_NAMES.get(code)
    return f"{tr(name)} ({code})" if name else code


def _conversation_view_from_link() -> None:
    """Conversations filters from the URL, for the widgets the user has not touched yet."""
    view = conversation_from_params({k: st.query_params.get_all(k) for k in PAGE_KEYS})
    ss = st.session_state
    for key, value in (("cv_label", list(view.sentiment)), ("cv_lang", list(view.lang)),
                       ("cv_answered", view.replies), ("cv_order", view.order),
                       ("cv_search", view.search)):  # fmt: skip
        if key not in ss:
            ss[key] = value


def conversations_view(ctx: PageContext) -> None:
    st.title(tr("Conversations"))
    if _no_data(ctx):
        return
    _conversation_view_from_link()
    c1, c2, c3, c4 = st.columns(4)
    label = c1.multiselect(tr("Sentiment"), list(SENTIMENTS), key="cv_label", format_func=term,
                           placeholder=tr("All sentiments"))  # fmt: skip
    lang = c2.multiselect(tr("Language"), list(LANGUAGES), key="cv_lang",
                          format_func=_language_name, placeholder=tr("All languages"))  # fmt: skip
    answered = c3.selectbox(tr("Replies"), list(REPLIES), key="cv_answered",
                            format_func=lambda v: tr(CHOICES[v]))  # fmt: skip
    order = c4.selectbox(tr("Order"), list(ORDERS), key="cv_order",
                         format_func=lambda v: tr(CHOICES[v]))  # fmt: skip
    search = st.text_input(tr("Search text"), key="cv_search", max_chars=MAX_SEARCH)
    keep_in_link(conversation_params(
        ConversationView(tuple(label), tuple(lang), answered, order, search)
    ))  # fmt: skip
    kwargs = dict(
        label=tuple(label), lang=tuple(lang),
        answered=None if answered == "all" else answered, search=search or None,
    )  # fmt: skip
    total = ctx.store.count_comments(ctx.filters, **kwargs)
    st.caption(trn("{n} audience comments match.", "{n} audience comments match.", total))
    frame = ctx.store.comments(ctx.filters, limit=1000, order=order, **kwargs)
    if frame.height == 1000:
        st.caption(tr("Showing the first {n}; narrow the filters or download for more.",
                      n=fmt_number(1000)))  # fmt: skip
    picked = comments_table(frame, key="cv_table", height=420, selectable=ctx.can_edit)
    if "cv_bulk_done" in st.session_state:
        st.success(st.session_state.pop("cv_bulk_done"))
    download_buttons(frame, "comments", key="dl_cv")
    if ctx.can_edit and picked is not None:
        r = frame.row(picked, named=True)
        with st.container(border=True):
            st.markdown(tr("**Correct this comment's label** (your label wins over the "
                           "scorer)"))  # fmt: skip
            st.text(r["text"] or "")
            labels = ["positive", "neutral", "negative"]
            new = st.radio(tr("Label"), labels, horizontal=True, index=labels.index(r["label"]),
                           key=f"cv_newlabel_{r['row_key']}", format_func=term)  # fmt: skip
            same = corrections.same_text(ctx.store, r["channel"], r["row_key"])
            b1, b2, b3 = st.columns(3)
            if b1.button(tr("Save label"), key="cv_save", type="primary"):
                corrections.relabel(ctx.store, r["channel"], r["row_key"], new, ctx.access.email)
                st.success(tr("Saved: this label now wins over the scorer."))
                st.rerun()
            if len(same) > 1 and b2.button(
                trn("Label all {n} comments with this text", "Label all {n} comments with this text",
                    len(same)), key="cv_save_all"
            ):  # fmt: skip
                n = corrections.relabel_same_text(
                    ctx.store, r["channel"], r["row_key"], new, ctx.access.email
                )
                st.session_state["cv_bulk_done"] = trn(
                    "Labelled {n} comments {label}.", "Labelled {n} comments {label}.", n,
                    label=term(new),
                )  # fmt: skip
                st.rerun()
            if r.get("overridden") and b3.button(tr("Revert to the scorer's label"),
                                                 key="cv_revert"):  # fmt: skip
                corrections.revert(ctx.store, r["channel"], r["row_key"])
                st.rerun()
            st.caption(tr(
                "“Label all” labels every audience comment with exactly this text, whatever "
                "the filters. A comment labelled positive or neutral does not count as a "
                "complaint."
            ))  # fmt: skip
    elif ctx.can_edit:
        st.caption(tr("Select a row to correct its label."))
    st.subheader(tr("Words that separate negative from positive comments"))
    texts = ctx.store.comment_texts(ctx.filters, limit=30_000)
    terms = analysis.separating_terms(texts)
    if terms.is_empty():
        st.caption(tr("Not enough labelled comments."))
    else:
        a, b = st.columns(2)
        a.markdown("**" + tr("Lean negative") + "**")
        with a:
            show_table(terms.filter(pl.col("leans") == "negative").select("term", "negative",
                  "positive"), hide_index=True)  # fmt: skip
        b.markdown("**" + tr("Lean positive") + "**")
        with b:
            show_table(terms.filter(pl.col("leans") == "positive").select("term", "negative",
                  "positive"), hide_index=True)  # fmt: skip
    overrides = ctx.store.label_overrides()
    if overrides.height:
        st.subheader(tr("Manual corrections"))
        show_table(overrides, hide_index=True)


def brief_view(ctx: PageContext) -> None:
    if _no_data(ctx):
        return
    ov = cache.overview(ctx.store, ctx.version, ctx.filters, with_brand_series=True)
    head = ov.headline
    st.title(tr("Leadership brief"))
    # Static CSS of ours (no user text): browser print gives the brief without the sidebar.
    st.markdown(
        "<style>@media print {section[data-testid='stSidebar'], header, "
        "[data-testid='stToolbar'] {display: none !important;}}</style>",
        unsafe_allow_html=True,
    )
    st.caption(md_escape(ov.filters.describe()))
    c1, c2 = st.columns([1, 2])
    with c1:
        kpi(tr("Brand Trust Score"), head.get("row"), ov.settings, delta=ov.delta, key="br_kpi")
    with c2:
        st.plotly_chart(
            cache.figure(ctx.store, ctx.version, ("br_trend", ov.filters), lambda: (
                charts.trust_over_time(ov.brand_series, title=tr("Brand trust over time"),
                                       granularity=ov.filters.granularity))),
            key="br_trend", config=charts.plotly_config(),
        )  # fmt: skip
    st.plotly_chart(
        cache.figure(ctx.store, ctx.version, ("br_channels", ov.filters), lambda: (
            charts.trust_by_group(analysis.shown_table(ov.channels), start=ov.filters.start,
                                  end=ov.filters.end))),
        key="br_channels", config=charts.plotly_config(),
    )  # fmt: skip
    st.subheader(tr("Three changes that matter"))
    if not ov.changes:
        st.caption(tr("No previous period to compare with."))
    for ch in ov.changes:
        st.markdown(tr(
            "- **{group}** {delta} points — {reason}", group=md_escape(ch["group"]),
            delta=fmt_decimal(ch["delta"], 1, sign=True), reason=md_escape(change_reason(ch)),
        ))  # fmt: skip
    st.subheader(tr("In their words"))
    for c in cache.representative_comments(ctx.store, ctx.version, ov.filters, 3):
        quote(c["text"] or "", f"{c['channel']} · {fmt_date(c['created_at'])} · "
                               f"{term(c['label'])}")  # fmt: skip
    # A link from an emailed brief carries its language (lang=fr).
    default = (st.query_params.get("lang") or ctx.store.get_setting("report_lang", None)
               or get_lang())  # fmt: skip
    lang = st.radio(tr("Report language"), ["en", "fr"], horizontal=True, key="br_lang",
                    index=0 if default == "en" else 1, format_func=LANG_NAMES.get)  # fmt: skip
    st.download_button(
        tr("⬇ Download the offline brief (HTML)"),
        lambda: report.render_report(ctx.store, ov.filters, lang=lang, overview=ov).encode(),
        "trustdash-brief.html", "text/html", key="br_download", on_click="ignore",
    )  # fmt: skip
    st.caption(tr("Browser print (Ctrl/Cmd + P) gives a clean page."))
