"""Interface language: gettext catalogs (managed with Babel) and formats for readers.

The current language lives in a :class:`contextvars.ContextVar` that the UI sets once per
run (:func:`set_lang`) and the CLI sets around a command (:func:`using`). Strings are
marked with :func:`tr`, :func:`trn` and :func:`trc` (never ``_``); a value that is not a literal but
comes from a fixed list (a band, a component name) is marked with :func:`mark` where the
list is written, and translated with :func:`tr` where it is shown. Data (comment texts,
channel and campaign names) is never translated.

A new thread does not inherit a ContextVar: a thread that writes messages runs in
``contextvars.copy_context()`` of its caller (as the import's reader thread does) or sets
its language with :func:`using`.

Numbers and dates go through :func:`fmt_number`, :func:`fmt_decimal`,
:func:`fmt_percent`, :func:`fmt_date` and :func:`fmt_week`: in English they read as
trustdash always wrote them, in French as a French reader expects (``13 597``, ``72,5``,
``12,5 %``, ``22 mars 2025``, ``semaine du 3 mars``).

Catalog commands (from the repository root; see docs/i18n.md)::

    pybabel extract -F babel.cfg -k tr -k trn:1,2 -k trc:1c,2 -k mark -o trustdash/i18n/locale/messages.pot .
    pybabel update -i trustdash/i18n/locale/messages.pot -d trustdash/i18n/locale -D trustdash
    pybabel compile -d trustdash/i18n/locale -D trustdash
"""

from __future__ import annotations

import datetime as dt
import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import cache
from pathlib import Path

from babel.dates import format_date, get_month_names
from babel.numbers import format_decimal, format_percent

LANGS: tuple[str, ...] = ("en", "fr")
DEFAULT_LANG = "en"
DOMAIN = "trustdash"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANG_NAMES = {"en": "English", "fr": "Français"}
# Babel locales: English keeps the separators trustdash has always shown.
_LOCALES = {"en": "en_GB", "fr": "fr_FR"}

_current: ContextVar[str] = ContextVar("trustdash_lang", default=DEFAULT_LANG)
# Messages asked for in another language that its catalog does not hold (tests read it).
_misses: set[str] = set()

NBSP = "\u00a0"
NNBSP = "\u202f"  # narrow no-break space: before ; ! ? and inside « » in French


def normalise(value: object) -> str | None:
    """``"fr"`` for ``"fr"``, ``"fr-FR"``, ``"fr_CA"``…; None when not a language we speak."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGS else None


def env_lang() -> str | None:
    """The language ``TRUSTDASH_LANG`` asks for, if it is one we speak."""
    return normalise(os.environ.get("TRUSTDASH_LANG", ""))


def pick_lang(*candidates: object) -> str:
    """The first candidate that names a language we speak, else English."""
    for c in candidates:
        lang = normalise(c)
        if lang:
            return lang
    return DEFAULT_LANG


def get_lang() -> str:
    """The language of the current run."""
    return _current.get()


def set_lang(lang: str) -> Token[str]:
    """Make ``lang`` the language of the current run (unknown codes mean English)."""
    return _current.set(normalise(lang) or DEFAULT_LANG)


@contextmanager
def using(lang: str | None) -> Iterator[str]:
    """Run a block in ``lang`` (a report in French from an English run, the CLI)."""
    token = set_lang(lang or get_lang())
    try:
        yield get_lang()
    finally:
        _current.reset(token)


@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANG:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def tr(message: str, /, **values: object) -> str:
    """``message`` in the current language; ``{name}`` fields filled from ``values``."""
    if not message:
        return message
    lang = get_lang()
    if lang != DEFAULT_LANG and len(_misses) < 1000 and not known(message, lang):
        _misses.add(message)
    text = _translations(lang).gettext(message)
    return text.format(**values) if values else text


def known(message: str, lang: str = "fr") -> bool:
    """Whether ``lang``'s catalog holds ``message``."""
    catalog = getattr(_translations(lang), "_catalog", None)
    return catalog is not None and message in catalog


def misses(clear: bool = False) -> set[str]:
    """The messages asked for that a catalog did not hold (since start or the last clear)."""
    found = set(_misses)
    if clear:
        _misses.clear()
    return found


def trc(context: str, message: str, /) -> str:
    """``message`` in the current language, as meant in ``context`` (a field's name in the
    mapping wizard reads ``created_at`` in English and "Date de publication" in French)."""
    text = _translations(get_lang()).pgettext(context, message)
    return text


def trn(singular: str, plural: str, n: int, /, **values: object) -> str:
    """The singular or plural form for ``n`` in the current language; ``{n}`` is ``n``
    formatted for the reader, other fields come from ``values``."""
    text = _translations(get_lang()).ngettext(singular, plural, n)
    return text.format(n=fmt_number(n), **values)


def mark(message: str) -> str:
    """Mark a string for the catalog where it is written; :func:`tr` translates it where
    it is shown."""
    return message


def locale() -> str:
    """The Babel locale of the current language."""
    return _LOCALES[get_lang()]


def fmt_number(value: float | int | None, na: str = "—") -> str:
    """A whole number: ``13,597`` / ``13 597``."""
    if value is None:
        return na
    return format_decimal(round(value), format="#,##0", locale=locale())


def fmt_decimal(value: float | None, digits: int = 1, na: str = "—", sign: bool = False) -> str:
    """A decimal number with ``digits`` places: ``72.5`` / ``72,5``; ``sign`` adds a +."""
    if value is None or value != value:
        return na
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    if sign:
        pattern = "+" + pattern + ";-" + pattern
    return format_decimal(value, format=pattern, locale=locale())


def fmt_plain(value: float, digits: int = 3) -> str:
    """A number rounded to at most ``digits`` places, trailing zeros dropped: ``0.25``."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale())


def fmt_percent(value: float | None, digits: int = 1, na: str = "—") -> str:
    """A share (0.125) as a percentage: ``12.5%`` / ``12,5 %``."""
    if value is None or value != value:
        return na
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    text = format_percent(value, format=pattern, locale=locale())
    if get_lang() == "fr":
        text = text.replace(NBSP + "%", NNBSP + "%")
        text = text if NNBSP + "%" in text else text.replace("%", NNBSP + "%")
    return text


def fmt_level(percent: int = 80) -> str:
    """An interval's level: ``80 %`` (a narrow no-break space in French)."""
    return f"{percent}{NNBSP if get_lang() == 'fr' else ' '}%"


def fmt_date(value: dt.date | dt.datetime | None, na: str = "") -> str:
    """A day: ``22 Mar 2025`` / ``22 mars 2025``, ``1er mars 2025``."""
    if value is None:
        return na
    if get_lang() == "fr":
        return format_date(value, _fr_day(value) + " MMMM y", locale=locale())
    return format_date(value, "dd MMM y", locale=locale())


def fmt_short_date(value: dt.date | dt.datetime | None, na: str = "") -> str:
    """A day without its year: ``3 Mar`` / ``3 mars``, ``1er mars``."""
    if value is None:
        return na
    if get_lang() == "fr":
        return format_date(value, _fr_day(value) + " MMMM", locale=locale())
    return format_date(value, "d MMM", locale=locale())


def _fr_day(value: dt.date) -> str:
    """The day in a French date pattern: the first of the month is written "1er"."""
    return "d'er'" if value.day == 1 else "d"


def fmt_week(value: dt.date | dt.datetime) -> str:
    """The week that starts on ``value``: ``week of 3 Mar`` / ``semaine du 3 mars``."""
    return tr("week of {day}", day=fmt_short_date(value))


def month_names(short: bool = False) -> list[str]:
    """The twelve month names of the current language (January first)."""
    width = "abbreviated" if short else "wide"
    names = get_month_names(width, locale=locale())
    return [names[i] for i in range(1, 13)]


def list_sep() -> str:
    """Between the items of a list in one cell: ``; `` (`` ; `` in French)."""
    return NNBSP + "; " if get_lang() == "fr" else "; "


def plotly_separators() -> str:
    """Plotly's ``layout.separators`` (decimal mark, then thousands separator)."""
    return "," + NNBSP if get_lang() == "fr" else ".,"


def quoted(text: object) -> str:
    """``text`` between the quotation marks of the current language: “…” / « … »."""
    if get_lang() == "fr":
        return f"«{NNBSP}{text}{NNBSP}»"
    return f"“{text}”"
