"""What a delivery says: the brief and the alerts, as an email (HTML with a plain-text part,
inline chart images, the offline report attached) or as a Slack, Microsoft Teams or generic
JSON webhook payload.

The brief's numbers are those of the Brief page: both read
:func:`trustdash.analysis.overview` for the same filters, and round as the page does
(scores to whole points, changes to a tenth).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from trustdash import analysis, report, trust
from trustdash.delivery import images
from trustdash.filters import Filters, to_params
from trustdash.i18n import fmt_level, tr, using
from trustdash.i18n.terms import flag_text, term
from trustdash.store import Store

# The page each kind of message links to (Streamlit's URL of pages/5_Brief.py and
# pages/4_Conversations.py).
BRIEF_PAGE = "Brief"
COMMENTS_PAGE = "Conversations"

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "brief_subject": "Brand trust brief, {period}",
        "per_channel": "Trust per channel",
        "changes": "Three changes that matter",
        "voices": "In their words",
        "unanswered": "Unanswered actionable comments",
        "open": "Open this view in trustdash",
        "attached": "The offline brief is attached (trustdash-brief.html).",
        "no_link": "Set TRUSTDASH_PUBLIC_URL to get a link to the hosted app.",
        "alert_subject": "{kind} on {channel}, {period}",
        "negative spike": "Negative spike",
        "trust dip": "Trust dip",
        "channel": "Channel",
        "window": "Window",
        "component": "Component that moved",
        "severity": "Severity",
        "figures": "Figures",
        "comments_behind": "Comments behind it",
        "open_comments": "Open these comments in trustdash",
        "spike_figures": "{share:.0%} of comments negative ({neg:.0f}) vs {mean:.0%} usually "
        "(sd {sd:.0%})",
        "dip_figures": "Trust {current:.0f} [{low:.0f}–{high:.0f}], was {previous:.0f} "
        "[{plow:.0f}–{phigh:.0f}] the period before ({delta:+.1f})",
        "medium": "medium",
        "high": "high",
    },
    "fr": {
        "brief_subject": "Note de confiance de marque, {period}",
        "per_channel": "Confiance par canal",
        "changes": "Trois évolutions qui comptent",
        "voices": "Ce qu'ils en disent",
        "unanswered": "Commentaires à traiter sans réponse",
        "open": "Ouvrir cette vue dans trustdash",
        "attached": "La note hors ligne est jointe (trustdash-brief.html).",
        "no_link": "Définissez TRUSTDASH_PUBLIC_URL pour un lien vers l'application.",
        "alert_subject": "{kind} sur {channel}, {period}",
        "negative spike": "Pic de négatif",
        "trust dip": "Baisse de confiance",
        "channel": "Canal",
        "window": "Période",
        "component": "Composante en cause",
        "severity": "Gravité",
        "figures": "Chiffres",
        "comments_behind": "Les commentaires en cause",
        "open_comments": "Ouvrir ces commentaires dans trustdash",
        "spike_figures": "{share:.0%} de commentaires négatifs ({neg:.0f}) contre {mean:.0%} "
        "d'habitude (écart-type {sd:.0%})",
        "dip_figures": "Confiance {current:.0f} [{low:.0f}–{high:.0f}], contre {previous:.0f} "
        "[{plow:.0f}–{phigh:.0f}] la période précédente ({delta:+.1f})",
        "medium": "moyenne",
        "high": "élevée",
    },
}


COMPONENT_NAMES_FR = {
    "S1": "Équilibre des sentiments",
    "S2": "Pression des réclamations",
    "S3": "Réactivité",
    "S4": "Recommandation",
    "S5": "Qualité de l'engagement",
    "S6": "Régularité",
}


def reason(change: dict[str, Any], lang: str) -> str:
    """A change's reason in ``lang`` (the analysis words it in English)."""
    comp, before, after = change.get("component"), change.get("before"), change.get("after")
    if lang != "fr" or comp not in COMPONENT_NAMES_FR or before is None or after is None:
        return str(change["reason"])
    verb = "a augmenté" if after > before else "a baissé" if after < before else "est resté"
    name = COMPONENT_NAMES_FR[comp]
    if after == before:
        return f"{name} est resté à {after:.2f} (pondérations modifiées)"
    return f"{name} {verb} de {before:.2f} à {after:.2f}"


def _num(n: int, lang: str) -> str:
    """A count as the offline report writes it (a thin space between thousands in French)."""
    text = f"{int(n):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def _t(lang: str) -> dict[str, str]:
    return TEXT.get(lang, TEXT["en"])


def _rt(lang: str) -> dict[str, str]:
    """The report's words in ``lang`` (the brief shares them)."""
    with using(lang):
        return {k: tr(v, level=fmt_level()) if "{level}" in v else tr(v)
                for k, v in report.TEXT.items()}  # fmt: skip


def _band(b: str | None, lang: str) -> str:
    with using(lang):
        return term(b or trust.NO_DATA)


def _e(value: object) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def view_link(
    public_url: str | None,
    page: str,
    f: Filters,
    extra: dict[str, str] | None = None,
) -> str | None:
    """The hosted app's URL of ``page`` showing ``f`` and the page's own ``extra`` choices
    (None without a public URL)."""
    if not public_url:
        return None
    params = {**to_params(f), **(extra or {})}
    return f"{public_url.rstrip('/')}/{page}?{urlencode(params, doseq=True)}"


def period_words(start: dt.date, end: dt.date, lang: str) -> str:
    f = Filters(start, end)
    return f.describe(lang).split(" · ")[0] if start != end else start.isoformat()


@dataclass
class Note:
    """A message before it is formatted for its transport."""

    kind: str  # "brief" | "alert"
    lang: str
    title: str
    text: str  # plain text, the whole message
    html: str  # the email's HTML body
    facts: list[tuple[str, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    link: str | None = None
    link_label: str = ""
    images: dict[str, bytes] = field(default_factory=dict)  # content id → PNG
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # name, type, data
    data: dict[str, Any] = field(default_factory=dict)  # the figures, for JSON webhooks


# -- the brief ------------------------------------------------------------------------------
def brief_numbers(
    store: Store, f: Filters, ov: analysis.Overview, lang: str = "en"
) -> dict[str, Any]:
    """The brief's figures from an Overview of ``f`` (what the Brief page shows)."""
    head = ov.headline
    channels = []
    if ov.channels.height:
        for r in ov.channels.sort("rank").iter_rows(named=True):
            if analysis.shown_score(r) is None:  # insufficient data is not a number
                continue
            channels.append({"channel": r["group"], "trust": float(r["trust"]),
                             "low": float(r["low"]), "high": float(r["high"]),
                             "band": r["band"], "n": int(r["n"] or 0)})  # fmt: skip
    changes = []
    for ch in ov.changes:
        drivers = ch.get("drivers")
        texts = drivers.get_column("text").to_list() if drivers is not None else []
        changes.append({"channel": ch["group"], "delta": float(ch["delta"]),
                        "reason": reason(ch, lang), "component": ch.get("component"),
                        "comments": [t for t in texts if t][:3]})  # fmt: skip
    return {
        "from": f.start.isoformat() if f.start else None,
        "to": f.end.isoformat() if f.end else None,
        "trust": head.get("shown"),
        "low": None if head.get("shown") is None else float(head["low"]),
        "high": None if head.get("shown") is None else float(head["high"]),
        "band": head.get("band") if head.get("shown") is not None else None,
        "reason": head.get("reason"),
        "n": int(head.get("n") or 0),
        "insufficient": bool(head.get("insufficient")),
        "delta": ov.delta,
        "channels": channels,
        "changes": changes,
        "voices": [
            {"channel": c["channel"], "text": c["text"], "label": c["label"]}
            for c in analysis.representative_comments(store, ov.filters, 3)
        ],
        "unanswered_actionable": store.count_comments(
            ov.filters, actionable=True, answered="unanswered"
        ),
    }


def build_brief(
    store: Store, f: Filters, lang: str, public_url: str | None
) -> Note:
    """The brief of ``f`` in ``lang``: HTML and text, two charts, the offline report."""
    ov = analysis.overview(store, f, with_brand_series=True)
    nums = brief_numbers(store, ov.filters, ov, lang)
    t, rt = _t(lang), _rt(lang)
    period = period_words(f.start, f.end, lang) if f.start and f.end else ""
    link = view_link(public_url, BRIEF_PAGE, ov.filters, {"lang": lang})
    title = t["brief_subject"].format(period=period)
    if nums["trust"] is None:
        # No number without enough data: the reason instead (no data, few polar comments…).
        with using(lang):
            why = flag_text(nums.get("reason") or trust.NO_DATA)
        head = f"{rt['headline']}: — ({why})"
    else:
        change = (f"{nums['delta']:+.1f} {rt['change']}" if nums["delta"] is not None
                  else rt["no_prev"])  # fmt: skip
        ins = f" · {rt['insufficient']}" if nums["insufficient"] else ""
        head = (
            f"{rt['headline']}: {_score(nums['trust'])} ({_band(nums['band'], lang)}) · "
            f"{rt['interval']} {_score(nums['low'])}–{_score(nums['high'])} · "
            f"n = {_num(nums['n'], lang)}{ins} · {change}"
        )
    chan_lines = [
        f"{c['channel']}: {_score(c['trust'])} [{_score(c['low'])}–{_score(c['high'])}] "
        f"{_band(c['band'], lang)} · n = {_num(c['n'], lang)}"
        for c in nums["channels"]
    ]
    change_lines = [
        f"{c['channel']} {c['delta']:+.1f} — {c['reason']}" for c in nums["changes"]
    ]
    unanswered = f"{t['unanswered']}: {_num(nums['unanswered_actionable'], lang)}"
    text = [title, ov.filters.describe(lang), "", head, "", t["per_channel"] + ":",
            *(f"  {line}" for line in chan_lines), "", t["changes"] + ":"]  # fmt: skip
    if not change_lines:
        text.append(f"  {rt['no_prev']}")
    for line, c in zip(change_lines, nums["changes"], strict=True):
        text.append(f"  {line}")
        text.extend(f"    “{q[:300]}”" for q in c["comments"])
    text += ["", t["voices"] + ":", *(f"  “{v['text'][:300]}” ({v['channel']})"
                                     for v in nums["voices"] if v["text"])]  # fmt: skip
    text += ["", unanswered, "", f"{t['open']}: {link}" if link else t["no_link"],
             t["attached"]]  # fmt: skip

    pics = {}
    if nums["channels"]:
        pics["channels"] = images.channel_bars(
            [(c["channel"], c["trust"], c["low"], c["high"]) for c in nums["channels"]]
        )
    points = []
    if ov.brand_series.height:
        for r in ov.brand_series.sort("period").iter_rows(named=True):
            if r["trust"] is not None:
                points.append((f"{r['period']:%d/%m}", float(r["trust"]), float(r["low"]),
                               float(r["high"])))  # fmt: skip
    if points:
        pics["trend"] = images.trend(points)

    body = [
        f"<html lang='{lang}'><body style='font-family:Helvetica,Arial,sans-serif;"
        "color:#1d1d1f;max-width:680px'>",
        f"<h1 style='font-size:22px'>{_e(title)}</h1>",
        f"<p style='color:#666;font-size:13px'>{_e(ov.filters.describe(lang))}</p>",
    ]
    if nums["trust"] is None:
        body.append(f"<p>{_e(head)}</p>")
    else:
        body.append(
            f"<p><span id='trust-headline' style='font-size:44px;font-weight:700'>"
            f"{_score(nums['trust'])}</span> <span style='font-size:18px'>"
            f"{_e(_band(nums['band'], lang))}</span></p><p style='color:#666;font-size:13px'>"
            f"{_e(head.split(' · ', 1)[1])}</p>"
        )
    if "trend" in pics:
        body.append(f"<h2 style='font-size:17px'>{_e(rt['trend'])}</h2>"
                    "<img src='cid:trend' alt='trend' width='640'>")  # fmt: skip
    body.append(f"<h2 style='font-size:17px'>{_e(t['per_channel'])}</h2>")
    if "channels" in pics:
        body.append("<img src='cid:channels' alt='trust per channel' width='640'>")
    body.append("<table style='border-collapse:collapse;font-size:14px'>")
    for c in nums["channels"]:
        body.append(
            f"<tr><td style='padding:2px 10px 2px 0'>{_e(c['channel'])}</td>"
            f"<td class='channel-trust' style='padding:2px 10px'><b>{_score(c['trust'])}</b></td>"
            f"<td style='padding:2px 10px'>{_score(c['low'])}–{_score(c['high'])}</td>"
            f"<td style='padding:2px 10px'>{_e(_band(c['band'], lang))}</td>"
            f"<td style='padding:2px 10px'>n = {_num(c['n'], lang)}</td></tr>"
        )
    body.append("</table>")
    body.append(f"<h2 style='font-size:17px'>{_e(t['changes'])}</h2>")
    if not nums["changes"]:
        body.append(f"<p>{_e(rt['no_prev'])}</p>")
    body.append("<ul>")
    for line, c in zip(change_lines, nums["changes"], strict=True):
        quotes = "".join(
            f"<blockquote style='border-left:3px solid #1f6f8b;margin:4px 0;padding:2px 8px;"
            f"color:#444'>{_e(q[:300])}</blockquote>"
            for q in c["comments"]
        )
        body.append(f"<li>{_e(line)}{quotes}</li>")
    body.append("</ul>")
    body.append(f"<h2 style='font-size:17px'>{_e(t['voices'])}</h2>")
    for v in nums["voices"]:
        if v["text"]:
            body.append(
                "<blockquote style='border-left:3px solid #1f6f8b;margin:6px 0;padding:4px 10px;"
                f"background:#f6f8fa'>{_e(v['text'][:600])}</blockquote>"
                f"<p style='color:#666;font-size:12px'>{_e(v['channel'])}</p>"
            )
    body.append(f"<p><b>{_e(unanswered)}</b></p>")
    body.append(
        f"<p><a href='{_e(link)}'>{_e(t['open'])}</a></p>" if link
        else f"<p style='color:#666'>{_e(t['no_link'])}</p>"
    )  # fmt: skip
    body.append(f"<p style='color:#666;font-size:12px'>{_e(t['attached'])}</p></body></html>")
    offline = report.render_report(store, ov.filters, lang=lang, overview=ov)
    facts = [(rt["headline"], head.split(": ", 1)[1]), *[
        (c["channel"], f"{_score(c['trust'])} ({_band(c['band'], lang)})")
        for c in nums["channels"]], (t["unanswered"], _num(nums["unanswered_actionable"], lang))]  # fmt: skip
    return Note(
        kind="brief", lang=lang, title=title, text="\n".join(text), html="".join(body),
        facts=facts, lines=change_lines, quotes=[v["text"] for v in nums["voices"] if v["text"]],
        link=link, link_label=t["open"], images=pics,
        attachments=[("trustdash-brief.html", "text/html", offline.encode("utf-8"))],
        data={"type": "brief", "lang": lang, **nums},
    )


# -- alerts ---------------------------------------------------------------------------------
def build_alert(alert: dict[str, Any], lang: str, public_url: str | None) -> Note:
    """An alert (see :mod:`trustdash.delivery.alerts`) as a message."""
    t = _t(lang)
    start, end = alert["start"], alert["end"]
    period = period_words(start, end, lang)
    kind = t.get(alert["kind"], alert["kind"])
    f = Filters(start, end, (alert["channel"],), tuple(alert.get("campaigns") or ()), "day")
    # The Conversations page's own choices: its negative comments, the most negative first
    # (its ``lang`` is the comments' language, not the message's).
    link = view_link(public_url, COMMENTS_PAGE, f,
                     {"sentiment": "negative", "order": "most_negative"})  # fmt: skip
    title = t["alert_subject"].format(kind=kind, channel=alert["channel"], period=period)
    fig = alert["figures"]
    if alert["kind"] == "negative spike":
        figures = t["spike_figures"].format(**fig)
    else:
        figures = t["dip_figures"].format(**fig)
    comp = alert.get("component")
    comp_name = f"{comp} {trust.COMPONENT_NAMES.get(comp, '')}".strip() if comp else "—"
    facts = [(t["channel"], alert["channel"]), (t["window"], period), (t["figures"], figures),
             (t["component"], comp_name),
             (t["severity"], t.get(alert["severity"], alert["severity"]))]  # fmt: skip
    quotes = [q for q in alert.get("comments") or [] if q][:3]
    text = [title, "", *(f"{k}: {v}" for k, v in facts), "", t["comments_behind"] + ":",
            *(f"  “{q[:300]}”" for q in quotes), "",
            f"{t['open_comments']}: {link}" if link else t["no_link"]]  # fmt: skip
    body = [f"<html lang='{lang}'><body style='font-family:Helvetica,Arial,sans-serif'>",
            f"<h2 style='font-size:18px'>{_e(title)}</h2><table>",
            *(f"<tr><td style='color:#666;padding-right:12px'>{_e(k)}</td><td>{_e(v)}</td></tr>"
              for k, v in facts),
            f"</table><h3 style='font-size:15px'>{_e(t['comments_behind'])}</h3>",
            *(f"<blockquote style='border-left:3px solid #b03a2e;margin:4px 0;padding:2px 8px'>"
              f"{_e(q[:300])}</blockquote>" for q in quotes),
            f"<p><a href='{_e(link)}'>{_e(t['open_comments'])}</a></p>" if link
            else f"<p>{_e(t['no_link'])}</p>", "</body></html>"]  # fmt: skip
    data = {"type": "alert", "lang": lang, "kind": alert["kind"], "channel": alert["channel"],
            "from": start.isoformat(), "to": end.isoformat(), "severity": alert["severity"],
            "component": comp, "figures": fig, "comments": quotes, "key": alert["key"]}  # fmt: skip
    return Note(
        kind="alert", lang=lang, title=title, text="\n".join(text), html="".join(body),
        facts=facts, lines=[figures], quotes=quotes, link=link, link_label=t["open_comments"],
        data=data,
    )


# -- webhook payloads -----------------------------------------------------------------------
def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(note: Note) -> dict[str, Any]:
    """Slack's Block Kit message (with a plain ``text`` fallback for notifications)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": note.title[:150]}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{_slack_escape(k)}*\n{_slack_escape(v)}"[:2000]}
            for k, v in note.facts[:10]]},
    ]  # fmt: skip
    if note.lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(
            f"• {_slack_escape(line)}" for line in note.lines)[:3000]}})  # fmt: skip
    for q in note.quotes[:3]:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"> {_slack_escape(q[:280])}"}]})  # fmt: skip
    if note.link:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "text": {"type": "plain_text", "text": note.link_label[:75]},
            "url": note.link}]})  # fmt: skip
    return {"text": note.title, "blocks": blocks}


def teams_payload(note: Note) -> dict[str, Any]:
    """A Microsoft Teams message holding an Adaptive Card (incoming webhooks and Workflows)."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": note.title, "weight": "Bolder", "size": "Medium",
         "wrap": True},
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in note.facts]},
    ]  # fmt: skip
    body += [{"type": "TextBlock", "text": f"- {line}", "wrap": True} for line in note.lines]
    body += [{"type": "TextBlock", "text": f"“{q[:280]}”", "wrap": True, "isSubtle": True}
             for q in note.quotes[:3]]  # fmt: skip
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard", "version": "1.4", "body": body,
    }  # fmt: skip
    if note.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": note.link_label, "url": note.link}]
    return {
        "type": "message",
        "summary": note.title,
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                         "contentUrl": None, "content": card}],
    }  # fmt: skip


def json_payload(note: Note, subscription: int) -> dict[str, Any]:
    """The generic webhook's JSON: the figures, the text and the link."""
    return {"source": "trustdash", "subscription": subscription, "title": note.title,
            "text": note.text, "link": note.link, **note.data}  # fmt: skip
