"""Subscriptions, their recipients and their schedule.

A recipient is an email address or a webhook URL. A webhook's format follows its host
(``hooks.slack.com`` → Slack, ``*.webhook.office.com`` and Power Automate workflows →
Microsoft Teams, anything else → generic JSON), or an explicit prefix:
``slack:URL``, ``teams:URL``, ``webhook:URL``. Webhooks go over HTTPS; plain HTTP is
accepted for the local machine only (tests, a relay on the same host).

A brief subscription is due once per occurrence of its schedule (every day, every week on
its weekday, on the first of every month, from midnight UTC) and sends the latest complete
period with data: the day, the Monday–Sunday week or the calendar month that ended before
the occurrence, and no later than the last day the store holds. A period is sent once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from trustdash.filters import Filters
from trustdash.i18n import mark

KINDS = ("brief", "alerts")
EVERY = ("daily", "weekly", "monthly")
LANGS = ("en", "fr")
SEVERITIES = ("medium", "high")
# Marked for the catalog: the Settings page shows them in the reader's language.
WEEKDAYS = (mark("Monday"), mark("Tuesday"), mark("Wednesday"), mark("Thursday"),
            mark("Friday"), mark("Saturday"), mark("Sunday"))  # fmt: skip
TRANSPORTS = ("email", "slack", "teams", "webhook")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The brief's trend granularity for each schedule: a week or a day is drawn by day.
BRIEF_GRANULARITY = {"daily": "day", "weekly": "day", "monthly": "week"}

_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")  # fmt: skip


class InvalidRecipient(ValueError):
    """A recipient that is neither an email address nor a usable webhook URL."""


@dataclass(frozen=True)
class Subscription:
    id: int
    recipient: str
    kind: str
    every: str = "weekly"
    weekday: int = 0
    lang: str = "en"
    channels: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    min_severity: str = "medium"
    cooldown_hours: float = 24.0
    paused: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Subscription:
        return cls(
            id=int(row["id"]), recipient=str(row["recipient"]), kind=str(row["kind"]),
            every=str(row.get("every") or "weekly"), weekday=int(row.get("weekday") or 0),
            lang=str(row.get("lang") or "en"), channels=tuple(row.get("channels") or ()),
            campaigns=tuple(row.get("campaigns") or ()),
            min_severity=str(row.get("min_severity") or "medium"),
            cooldown_hours=float(row.get("cooldown_hours") or 0.0),
            paused=bool(row.get("paused")),
        )  # fmt: skip

    @property
    def transport(self) -> str:
        return transport_of(self.recipient)[0]

    @property
    def address(self) -> str:
        """The email address or the webhook URL, without a format prefix."""
        return transport_of(self.recipient)[1]

    def filters(self, start: dt.date | None = None, end: dt.date | None = None,
                granularity: str = "week") -> Filters:  # fmt: skip
        return Filters(start, end, self.channels, self.campaigns, granularity)


def transport_of(recipient: str) -> tuple[str, str]:
    """(transport, address) of a recipient; raises :class:`InvalidRecipient`."""
    value = (recipient or "").strip()
    prefix, _, rest = value.partition(":")
    if prefix in ("slack", "teams", "webhook") and rest.lower().startswith(("http://", "https://")):
        _check_url(rest)
        return prefix, rest
    if value.lower().startswith(("http://", "https://")):
        host = _check_url(value)
        if host == "hooks.slack.com":
            return "slack", value
        path = urlsplit(value).path.lower()
        if host.endswith((".webhook.office.com", "outlook.office.com")) or (
            host.endswith(".logic.azure.com") and "/workflows/" in path
        ):
            return "teams", value
        return "webhook", value
    if _EMAIL.match(value):
        return "email", value
    raise InvalidRecipient(
        f"{value[:80]!r} is neither an email address nor a webhook URL "
        "(https://…, or slack:/teams:/webhook: followed by the URL)."
    )


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        raise InvalidRecipient(f"{mask(url)}: a webhook URL needs a host.")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise InvalidRecipient(
            f"{mask(url)}: webhooks must use https:// (plain http only to this machine)."
        )
    if parts.scheme not in ("http", "https"):
        raise InvalidRecipient(f"{mask(url)}: use an https:// URL.")
    return host


def mask(recipient: str) -> str:
    """A recipient as anyone may see it: a webhook URL's path (its secret) hidden."""
    value = (recipient or "").strip()
    prefix, sep, rest = value.partition(":")
    if prefix in ("slack", "teams", "webhook") and rest.startswith("http"):
        return f"{prefix}:{mask(rest)}"
    if value.lower().startswith(("http://", "https://")):
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.hostname or '?'}/…"
    return value


def validate(
    recipient: str,
    kind: str,
    every: str = "weekly",
    lang: str = "en",
    weekday: int = 0,
    min_severity: str = "medium",
) -> None:
    """Raise ValueError with a clear message when a subscription's fields are not usable."""
    transport_of(recipient)
    for name, value, allowed in (("kind", kind, KINDS), ("every", every, EVERY),
                                 ("lang", lang, LANGS),
                                 ("min_severity", min_severity, SEVERITIES)):  # fmt: skip
        if value not in allowed:
            raise ValueError(f"{name} {value!r}: use one of {', '.join(allowed)}.")
    if not 0 <= int(weekday) <= 6:
        raise ValueError("weekday: 0 (Monday) to 6 (Sunday).")


# -- schedule ------------------------------------------------------------------------------
def last_occurrence(sub: Subscription, at: dt.datetime) -> dt.datetime:
    """The latest scheduled time at or before ``at`` (midnight UTC of its day)."""
    day = at.date()
    if sub.every == "weekly":
        day -= dt.timedelta(days=(day.weekday() - sub.weekday) % 7)
    elif sub.every == "monthly":
        day = day.replace(day=1)
    return dt.datetime.combine(day, dt.time())


def is_due(sub: Subscription, at: dt.datetime, last_at: dt.datetime | None) -> bool:
    """Whether a brief subscription is due at ``at``, its last delivery made at ``last_at``
    (never delivered: due at once)."""
    return last_at is None or last_at < last_occurrence(sub, at)


def brief_period(
    every: str, at: dt.date, data_end: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    """The latest complete day, week (Monday–Sunday) or month ending before ``at`` and no
    later than ``data_end`` (None without data)."""
    if data_end is None:
        return None
    limit = min(at - dt.timedelta(days=1), data_end)
    if every == "daily":
        return limit, limit
    if every == "weekly":
        end = limit - dt.timedelta(days=(limit.weekday() + 1) % 7)  # the Sunday ≤ limit
        return end - dt.timedelta(days=6), end
    nxt = (limit.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if limit != nxt - dt.timedelta(days=1):  # the month of ``limit`` is not over
        limit = limit.replace(day=1) - dt.timedelta(days=1)
    return limit.replace(day=1), limit


def brief_filters(sub: Subscription, period: tuple[dt.date, dt.date]) -> Filters:
    """The view a brief shows: its period, the subscription's channels and campaigns."""
    return sub.filters(period[0], period[1], BRIEF_GRANULARITY.get(sub.every, "day"))


def brief_key(period: tuple[dt.date, dt.date]) -> str:
    return f"brief:{period[0].isoformat()}:{period[1].isoformat()}"


def period_of_key(key: str) -> tuple[dt.date, dt.date] | None:
    """The period of a :func:`brief_key` (None for another key)."""
    kind, _, rest = key.partition(":")
    start, _, end = rest.partition(":")
    try:
        return (dt.date.fromisoformat(start), dt.date.fromisoformat(end)) if kind == "brief" else None
    except ValueError:
        return None


def parse_list(values: Sequence[str] | str | None) -> tuple[str, ...]:
    """Channels or campaigns from repeated options: stripped, empty ones and repeats dropped."""
    if values is None:
        return ()
    items = [values] if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        part = str(item).strip()
        if part and part not in out:
            out.append(part)
    return tuple(out)
