"""The shared view filters and their URL form.

A share link carries only plain strings: ``from``/``to`` dates, repeated
``channel``/``campaign`` values and a granularity.  Everything read from a URL
is validated against what the store actually holds; unknown values are dropped
and reported so the page can say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode, urlsplit

from trustdash.i18n import fmt_date, mark, tr, using
from trustdash.schema import GRANULARITIES

NO_CAMPAIGN = mark("(no campaign)")


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. ``None``/empty means "all"."""

    start: dt.date | None = None
    end: dt.date | None = None
    channels: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    granularity: str = "week"

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)  # type: ignore[arg-type]

    def previous(self) -> Filters | None:
        """The window of the same length just before this one (for "change vs previous")."""
        if self.start is None or self.end is None:
            return None
        length = (self.end - self.start).days + 1
        prev_end = self.start - dt.timedelta(days=1)
        return replace(self, start=prev_end - dt.timedelta(days=length - 1), end=prev_end)

    def describe(self, lang: str | None = None) -> str:
        """The filters in words, for briefs and captions (in ``lang``, else the current
        interface language)."""
        with using(lang):
            parts = []
            if self.start and self.end:
                parts.append(f"{fmt_date(self.start)} – {fmt_date(self.end)}")
            campaigns = [tr(c) if c == NO_CAMPAIGN else c for c in self.campaigns]
            parts.append(tr("channels: {names}", names=", ".join(self.channels))
                         if self.channels else tr("channels: all"))  # fmt: skip
            parts.append(tr("campaigns: {names}", names=", ".join(campaigns))
                         if campaigns else tr("campaigns: all"))  # fmt: skip
            parts.append(tr(_BY[self.granularity]))
            return " · ".join(parts)


_BY = {"day": mark("by day"), "week": mark("by week"), "month": mark("by month")}
DEFAULT_WINDOW_DAYS = 183


def period_end(start: dt.date, granularity: str) -> dt.date:
    """The last day of the day/week/month period that starts on ``start``."""
    if granularity == "day":
        return start
    if granularity == "week":
        return start + dt.timedelta(days=6)
    nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return nxt - dt.timedelta(days=1)


def default_window(
    lo: dt.date | None, hi: dt.date | None, days: int = DEFAULT_WINDOW_DAYS
) -> tuple[dt.date | None, dt.date | None]:
    """The window a view opens on: the last six months of data (so that a previous
    period of the same length exists to compare with)."""
    if lo is None or hi is None:
        return lo, hi
    return max(lo, hi - dt.timedelta(days=days - 1)), hi


@dataclass
class ParsedParams:
    filters: Filters
    notices: list[str] = field(default_factory=list)


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [v for v in value if isinstance(v, str)]
    return []


def from_params(
    params: Mapping[str, object],
    *,
    known_channels: Sequence[str],
    known_campaigns: Sequence[str],
    bounds: tuple[dt.date | None, dt.date | None] = (None, None),
) -> ParsedParams:
    """Validate URL query parameters into :class:`Filters`.

    Only plain strings are read; anything not matching a known value is
    ignored with a notice (never evaluated or deserialised).
    """
    notices: list[str] = []
    start = _parse_date(str(params.get("from", "") or "")) if params.get("from") else None
    end = _parse_date(str(params.get("to", "") or "")) if params.get("to") else None
    if params.get("from") and start is None:
        notices.append(tr("Ignored start date {value!r}: not a date.",
                          value=str(params.get("from"))[:40]))  # fmt: skip
    if params.get("to") and end is None:
        notices.append(tr("Ignored end date {value!r}: not a date.",
                          value=str(params.get("to"))[:40]))  # fmt: skip
    lo, hi = bounds
    if start is None:
        start = lo
    if end is None:
        end = hi
    if start and end and start > end:
        notices.append(tr("Start date was after end date: swapped."))
        start, end = end, start

    def keep(notice: str, values: list[str], known: Sequence[str]) -> tuple[str, ...]:
        known_set = set(known)
        kept = []
        for v in values:
            if v in known_set and v not in kept:
                kept.append(v)
            else:
                notices.append(tr(notice, value=v[:60]))
        return tuple(kept)

    channels = keep(mark("Ignored unknown channel {value!r} from the link."),
                    _as_list(params.get("channel")), known_channels)  # fmt: skip
    campaigns = keep(
        mark("Ignored unknown campaign {value!r} from the link."),
        _as_list(params.get("campaign")), [*known_campaigns, NO_CAMPAIGN],
    )  # fmt: skip
    gran = str(params.get("gran", "week") or "week")
    if gran not in GRANULARITIES:
        notices.append(tr("Ignored granularity {value!r}: use day, week or month.",
                          value=gran[:20]))  # fmt: skip
        gran = "week"
    return ParsedParams(Filters(start, end, channels, campaigns, gran), notices)


def to_params(filters: Filters) -> dict[str, str | list[str]]:
    """The URL query parameters that reproduce ``filters``."""
    out: dict[str, str | list[str]] = {}
    if filters.start:
        out["from"] = filters.start.isoformat()
    if filters.end:
        out["to"] = filters.end.isoformat()
    if filters.channels:
        out["channel"] = list(filters.channels)
    if filters.campaigns:
        out["campaign"] = list(filters.campaigns)
    out["gran"] = filters.granularity
    return out


# -- page-level choices -------------------------------------------------------------------
# Besides the shared filters, a link carries what a page itself lets the user pick: the
# Channels page's channel (``focus``) and the Conversations filters. Same rules: plain
# strings, validated against known values, anything else dropped. ``lang`` is the
# interface language (en or fr): every page keeps it, so it is not one of PAGE_KEYS, and
# the Conversations page's comment languages are ``comment_lang``.

SENTIMENTS = ("negative", "neutral", "positive")
LANGUAGES = ("en", "fr", "und", "es", "de", "it")
REPLIES = ("all", "answered", "unanswered")
ORDERS = ("newest", "oldest", "most_negative", "most_positive")
MAX_SEARCH = 200
PAGE_KEYS = ("focus", "sentiment", "comment_lang", "replies", "order", "q")
LANG_KEY = "lang"
FILTER_KEYS = ("from", "to", "channel", "campaign", "gran")
OPEN_KEY = "open"


@dataclass(frozen=True)
class ConversationView:
    """The Conversations page's own filters."""

    sentiment: tuple[str, ...] = ()
    lang: tuple[str, ...] = ()
    replies: str = "all"
    order: str = "newest"
    search: str = ""


def conversation_from_params(params: Mapping[str, object]) -> ConversationView:
    """The Conversations filters from URL query parameters (unknown values dropped)."""
    sentiment = tuple(
        dict.fromkeys(v for v in _as_list(params.get("sentiment")) if v in SENTIMENTS)
    )
    lang = tuple(
        dict.fromkeys(v for v in _as_list(params.get("comment_lang")) if v in LANGUAGES)
    )
    replies = next((v for v in _as_list(params.get("replies")) if v in REPLIES), "all")
    order = next((v for v in _as_list(params.get("order")) if v in ORDERS), "newest")
    search = next(iter(_as_list(params.get("q"))), "")[:MAX_SEARCH]
    return ConversationView(sentiment, lang, replies, order, search)


def conversation_params(view: ConversationView) -> dict[str, str | list[str]]:
    """The URL query parameters of the Conversations filters (defaults left out)."""
    out: dict[str, str | list[str]] = {}
    if view.sentiment:
        out["sentiment"] = list(view.sentiment)
    if view.lang:
        out["comment_lang"] = list(view.lang)
    if view.replies != "all":
        out["replies"] = view.replies
    if view.order != "newest":
        out["order"] = view.order
    if view.search:
        out["q"] = view.search[:MAX_SEARCH]
    return out


def opening_params(filters: Filters) -> dict[str, str | list[str]]:
    """The URL query parameters of an in-app link (a drill-down) that opens ``filters`` in
    place of the session's own; the page links of the sidebar carry plain
    :func:`to_params` and leave the session's filters as they are."""
    return {**to_params(filters), OPEN_KEY: "1"}


def share_url(
    params: Mapping[str, str | list[str]],
    *,
    public_url: str | None = None,
    current_url: str | None = None,
) -> str:
    """The link that reopens this view.

    Absolute on ``public_url`` (the address users reach the app at) when it is set, with
    the current page's path; else the address the browser shows; else relative to the
    current page (``?…``)."""
    qs = "?" + urlencode([(k, v) for k, vs in params.items() for v in _as_list(vs)])
    page = urlsplit(current_url).path.rstrip("/").rsplit("/", 1)[-1] if current_url else ""
    if public_url:
        return public_url.rstrip("/") + "/" + page + qs
    if current_url:
        base = current_url.split("?", 1)[0].split("#", 1)[0]
        if base.count("/") == 2:  # http://host:port → http://host:port/
            base += "/"
        return base + qs
    return qs
