"""One delivery run: every due brief and every new alert, each sent once.

For each active subscription the run finds what it should receive (the brief period that
is due, the new alerts its filters match), claims each item in the store's delivery log
(a claimed, sent, skipped or given-up item is never sent again) and sends it. A failure
touches that one delivery: it is retried on later runs after 1, 4, 16 and 64 minutes
(:data:`MAX_ATTEMPTS` tries in all, or at once with ``force``), then shown as failed; an
address or URL that the server rejects for good fails at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trustdash import config
from trustdash.delivery import alerts as alert_finder
from trustdash.delivery.messages import (
    Note,
    build_alert,
    build_brief,
    json_payload,
    slack_payload,
    teams_payload,
)
from trustdash.delivery.model import (
    InvalidRecipient,
    Subscription,
    brief_filters,
    brief_key,
    brief_period,
    is_due,
    last_occurrence,
    mask,
    period_of_key,
    transport_of,
)
from trustdash.delivery.send import SendError, SmtpSettings, post_json, send_email, smtp_settings
from trustdash.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = dt.timedelta(minutes=1)
BACKOFF_FACTOR = 4


@dataclass(frozen=True)
class Outcome:
    subscription: int
    to: str
    kind: str  # "brief" | "alert"
    status: str  # "sent" | "failed" | "skipped"
    error: str | None = None
    item: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"subscription": self.subscription, "to": self.to, "kind": self.kind,
                "status": self.status, "error": self.error, "item": self.item}  # fmt: skip


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed try: 1, 4, 16, 64 minutes…"""
    return BACKOFF * BACKOFF_FACTOR ** max(0, attempts - 1)


class _Sender:
    """Sends notes to one transport; the SMTP settings are read once, when first needed."""

    def __init__(self, smtp: SmtpSettings | None) -> None:
        self._smtp = smtp

    def send(self, sub: Subscription, note: Note) -> None:
        transport, address = transport_of(sub.recipient)
        if transport == "email":
            if self._smtp is None:
                self._smtp = smtp_settings()
            send_email(note, address, self._smtp)
        elif transport == "slack":
            post_json(address, slack_payload(note))
        elif transport == "teams":
            post_json(address, teams_payload(note))
        else:
            post_json(address, json_payload(note, sub.id))


def run(
    store: Store,
    *,
    at: dt.datetime | None = None,
    force: bool = False,
    public_url: str | None = None,
    smtp: SmtpSettings | None = None,
) -> list[Outcome]:
    """Send what is due at ``at`` (now, UTC); ``force``: every brief subscription is due
    and back-off waits are skipped (nothing already received is sent again)."""
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    public_url = public_url if public_url is not None else config.public_url()
    sender = _Sender(smtp)
    data_end = store.date_bounds()[1]
    found_alerts: dict[tuple[tuple[str, ...], tuple[str, ...]], list[dict[str, Any]]] = {}
    out: list[Outcome] = []
    for row in store.subscriptions():
        sub = Subscription.from_row(row)
        if sub.paused:
            continue
        try:
            transport_of(sub.recipient)
        except InvalidRecipient as exc:
            out.append(Outcome(sub.id, sub.recipient, _kind(sub), "failed", str(exc)))
            continue
        try:
            if sub.kind == "brief":
                out.extend(_brief(store, sub, at, force, data_end, public_url, sender))
            else:
                key = (sub.channels, sub.campaigns)
                if key not in found_alerts:
                    found_alerts[key] = alert_finder.find_alerts(store, *key)
                out.extend(_alerts(store, sub, found_alerts[key], at, force, public_url, sender))
        except Exception as exc:  # one subscription's trouble never stops the others
            log.exception("delivery to subscription %s failed", sub.id)
            out.append(Outcome(sub.id, sub.recipient, _kind(sub), "failed",
                               f"{type(exc).__name__}: {exc}"))  # fmt: skip
    return out


def _kind(sub: Subscription) -> str:
    return "brief" if sub.kind == "brief" else "alert"


def _brief(
    store: Store,
    sub: Subscription,
    at: dt.datetime,
    force: bool,
    data_end: dt.date | None,
    public_url: str | None,
    sender: _Sender,
) -> list[Outcome]:
    day = at.date() if force else last_occurrence(sub, at).date()
    periods = [p for p in map(period_of_key, store.pending_keys(sub.id, "brief")) if p]
    period = brief_period(sub.every, day, data_end)
    if period is not None and period not in periods:
        status = store.delivery_status(sub.id, brief_key(period))
        last_at = store.last_delivery_at(sub.id, "brief")
        if status is None and (force or is_due(sub, at, last_at)):
            periods.append(period)
    out = []
    for p in periods:
        f = brief_filters(sub, p)
        summary = f"{p[0].isoformat()} – {p[1].isoformat()}"
        done = _deliver(store, sub, "brief", brief_key(p), summary,
                        lambda f=f: build_brief(store, f, sub.lang, public_url), at, force,
                        sender)  # fmt: skip
        if done:
            out.append(done)
    return out


def _alerts(
    store: Store,
    sub: Subscription,
    found: list[dict[str, Any]],
    at: dt.datetime,
    force: bool,
    public_url: str | None,
    sender: _Sender,
) -> list[Outcome]:
    out: list[Outcome] = []
    done = store.delivered_keys(sub.id)
    pending = set(store.pending_keys(sub.id, "alert"))
    for alert in found:
        key = alert["key"]
        if key in done or not (alert["new"] or key in pending):
            continue
        summary = f"{alert['channel']}: {alert['kind']} {alert['start'].isoformat()}"
        if store.delivery_status(sub.id, key) is None:
            reason = _hold_back(store, sub, alert, at)
            if reason:
                if store.record_skipped(sub.id, sub.recipient, "alert", key, summary, reason,
                                        at=at):  # fmt: skip
                    out.append(Outcome(sub.id, sub.recipient, "alert", "skipped", reason, key))
                continue
        result = _deliver(store, sub, "alert", key, summary,
                          lambda a=alert: _alert_note(store, a, sub.lang, public_url), at,
                          force, sender)  # fmt: skip
        if result:
            out.append(result)
    return out


def _alert_note(store: Store, alert: dict[str, Any], lang: str, public_url: str | None) -> Note:
    if "comments" not in alert:
        alert["comments"] = alert_finder.comments_behind(store, alert)
    return build_alert(alert, lang, public_url)


def _hold_back(store: Store, sub: Subscription, alert: dict[str, Any], at: dt.datetime) -> str | None:
    """Why an alert is not sent to this subscription (severity, cool-down), or None."""
    if sub.min_severity == "high" and alert["severity"] != "high":
        return "below the subscription's minimum severity (high)"
    if sub.cooldown_hours > 0:
        last = store.last_sent(sub.id, "alert", f"{alert['channel']}: ")
        if last is not None and at - last < dt.timedelta(hours=sub.cooldown_hours):
            hours = (at - last).total_seconds() / 3600
            return (f"cool-down: an alert on {alert['channel']} was sent {hours:.1f} h ago "
                    f"(cool-down {sub.cooldown_hours:g} h)")  # fmt: skip
    return None


def _deliver(
    store: Store,
    sub: Subscription,
    kind: str,
    key: str,
    summary: str,
    build: Callable[[], Note],
    at: dt.datetime,
    force: bool,
    sender: _Sender,
) -> Outcome | None:
    attempts = store.claim_delivery(sub.id, sub.recipient, kind, key, summary, force=force, at=at)
    if attempts is None:
        return None
    permanent = False
    try:
        sender.send(sub, build())
    except SendError as exc:
        error, permanent = str(exc), exc.permanent
    except Exception as exc:  # building the message failed: report it, keep the others going
        log.exception("building the %s for subscription %s failed", kind, sub.id)
        error = f"{type(exc).__name__}: {exc}"
    else:
        store.finish_delivery(sub.id, key, "sent", at=at)
        log.info("sent %s %s to %s", kind, key, mask(sub.recipient))
        return Outcome(sub.id, sub.recipient, kind, "sent", None, key)
    if permanent or attempts >= MAX_ATTEMPTS:
        error = f"{error} (gave up after {attempts} attempt{'s' * (attempts > 1)})"
        store.finish_delivery(sub.id, key, "failed", error=error, at=at)
    else:
        nxt = at + backoff(attempts)
        error = f"{error} (attempt {attempts} of {MAX_ATTEMPTS}; next after {nxt:%Y-%m-%d %H:%M} UTC)"
        store.finish_delivery(sub.id, key, "retry", error=error, next_attempt_at=nxt, at=at)
    log.warning("delivery of %s to %s failed: %s", key, mask(sub.recipient), error)
    return Outcome(sub.id, sub.recipient, kind, "failed", error, key)
