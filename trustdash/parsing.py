"""Value parsing for imports: dates, numbers, ids and text, as polars operations.

Everything here works on whole columns (polars expressions or Series) so a
million-row import never goes through a Python loop per row.  Formats are
chosen on a small sample of each column first and only those formats run on
the full column; the rare rows they miss get a second pass with every format.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable

import polars as pl

from trustdash.i18n import mark, tr

# Cell values that mean "no value" in exports (X promoted columns use "-",
# Facepager "None", TikTok "undefined", R "NA").
NULL_TOKENS = (
    "",
    "-",
    "--",
    "n/a",
    "na",
    "nan",
    "none",
    "null",
    "undefined",
    "#n/a",
    "nat",
)

# The tokens as exporters write them (lower, UPPER, Title): a set lookup without
# lower-casing every cell of big columns.
_NULL_VARIANTS = sorted(
    {v for t in NULL_TOKENS for v in (t, t.upper(), t.title(), t.capitalize())}
    | {"NaN", "NaT", "#N/A", "N/A", "NA"}
)

_SCI_ID = r"^[+-]?\d(?:[.,]\d+)?[eE][+]?\d+$"

# ---------------------------------------------------------------------------
# generic cleaning


def null_if_empty(col: pl.Expr) -> pl.Expr:
    """Strip a string column and turn export placeholders into nulls."""
    stripped = col.cast(pl.String).str.strip_chars()
    return (
        pl.when(stripped.is_in(_NULL_VARIANTS))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(stripped)
    )


def id_expr(col: pl.Expr) -> pl.Expr:
    """Ids as clean strings: stripped (YouTube Studio prefixes ids starting with
    '-' with a space) and without the '.0' float exporters append to integers."""
    s = null_if_empty(col).str.strip_chars_start("'")
    return pl.when(s.str.contains(r"^\d+\.0+$")).then(s.str.replace(r"\.0+$", "")).otherwise(s)


def parse_ids(series: pl.Series) -> pl.Series:
    """``id_expr`` on a Series, skipping the steps no value needs (big files)."""
    s = series.cast(pl.String).str.strip_chars()
    s = pl.select(
        pl.when(pl.lit(s).is_in(_NULL_VARIANTS)).then(None).otherwise(pl.lit(s)).alias("v")
    ).to_series()
    if s.str.starts_with("'").any():
        s = s.str.strip_chars_start("'")
    if s.str.contains(".", literal=True).any():
        s = pl.select(id_expr(pl.lit(s)).alias("v")).to_series()
    return s.alias(series.name)


def via_unique(series: pl.Series, expr: pl.Expr) -> pl.Series:
    """Apply ``expr`` (written on ``pl.col("v")``) to the distinct values only when
    they are few (channels, campaigns), then map back."""
    if series.len() < 10_000:
        return pl.DataFrame({"v": series}).select(expr.alias("v")).to_series().alias(series.name)
    uniq = series.unique()
    if uniq.len() * 20 > series.len():
        return pl.DataFrame({"v": series}).select(expr.alias("v")).to_series().alias(series.name)
    table = pl.DataFrame({"v": uniq}).with_columns(expr.alias("__out"))
    out = pl.DataFrame({"v": series}).join(
        table, on="v", how="left", nulls_equal=True, maintain_order="left"
    )
    return out["__out"].alias(series.name)


def sci_id_mask(col: pl.Expr) -> pl.Expr:
    """True where an id was turned into scientific notation by Excel: the digits
    are gone for good, so the row cannot be trusted."""
    return col.cast(pl.String).str.strip_chars().str.contains(_SCI_ID).fill_null(False)


_ENTITIES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&#39;": "'",
    "&#039;": "'",
    "&apos;": "'",
    "&nbsp;": "\u00a0",
    "&#34;": '"',
    "&#10;": "\n",
    "\ufeff": "",
}


def text_expr(col: pl.Expr) -> pl.Expr:
    """Text kept as written, minus HTML entities and stray BOM characters that
    exporters leave in (both are encoding artefacts, not content)."""
    s = col.cast(pl.String)
    s = s.str.replace_many(list(_ENTITIES), list(_ENTITIES.values()))
    return pl.when(s.str.strip_chars() == "").then(None).otherwise(s)


def fix_mojibake(value: str) -> str:
    """Undo Facebook/Instagram DYI JSON escaping, where UTF-8 bytes were written
    as separate latin-1 code points ('Ã©' for 'é')."""
    if not value or value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


# ---------------------------------------------------------------------------
# numbers


def number_expr(col: pl.Expr) -> pl.Expr:
    """Numbers as exporters write them -> Float64.

    Handles thousands separators (``18,400``, ``1 234``, ``1.234.567``), decimal
    commas (``3,5``), suffixes (``1.2K``, ``3M``, ``2B``), percents (``6.5%``
    -> 6.5), currency signs, and durations ``H:MM:SS`` (-> seconds).
    """
    s = null_if_empty(col)
    s = s.str.replace_all(r"[\s\u00a0\u202f$€£%+]", "")
    lower = s.str.to_lowercase()
    mult = (
        pl.when(lower.str.ends_with("k"))
        .then(1e3)
        .when(lower.str.ends_with("m"))
        .then(1e6)
        .when(lower.str.ends_with("b"))
        .then(1e9)
        .otherwise(1.0)
    )
    body = lower.str.replace(r"[kmb]$", "")
    both = body.str.contains(r"\.") & body.str.contains(",")
    last_is_comma = body.str.find(",", literal=True) > body.str.find(r"\.")
    normal = (
        pl.when(both & last_is_comma.fill_null(False))
        .then(body.str.replace_all(r"\.", "").str.replace(",", ".", literal=True))
        .when(both)
        .then(body.str.replace_all(",", "", literal=True))
        .when(body.str.contains(r"^-?\d{1,3}(,\d{3})+$"))
        .then(body.str.replace_all(",", "", literal=True))
        .when(body.str.contains(r"^-?\d{1,3}(\.\d{3}){2,}$"))
        .then(body.str.replace_all(r"\.", ""))
        .when(body.str.contains(","))
        .then(body.str.replace(",", ".", literal=True))
        .otherwise(body)
    )
    value = normal.cast(pl.Float64, strict=False) * mult
    parts = s.str.split(":")
    duration = pl.when(s.str.contains(r"^\d+:\d{2}:\d{2}$")).then(
        parts.list.get(0, null_on_oob=True).cast(pl.Float64, strict=False) * 3600
        + parts.list.get(1, null_on_oob=True).cast(pl.Float64, strict=False) * 60
        + parts.list.get(2, null_on_oob=True).cast(pl.Float64, strict=False)
    )
    return pl.coalesce(value, duration)


def int_expr(col: pl.Expr) -> pl.Expr:
    """Counts: ``"1938.0"`` and ``1.2K`` become integers."""
    return number_expr(col).round(0).cast(pl.Int64, strict=False)


def parse_numbers(series: pl.Series, integer: bool = False) -> pl.Series:
    """``number_expr`` on a Series, with a fast path for columns that are
    plain numbers already (the common case on big files)."""
    frame = pl.DataFrame({"v": series.cast(pl.String)})
    simple = frame.select(
        pl.col("v").str.strip_chars().cast(pl.Float64, strict=False).alias("n"),
        pl.col("v").str.strip_chars().replace("", None).is_null().alias("empty"),
    )
    if (simple["n"].is_null() == simple["empty"]).all():
        out = simple["n"]
    else:
        out = frame.select(number_expr(pl.col("v")).alias("n"))["n"]
    if integer:
        out = out.round(0).cast(pl.Int64, strict=False)
    return out.alias(series.name)


_TRUE = ("true", "1", "yes", "y", "oui", "vrai", "t", "x")
_FALSE = ("false", "0", "no", "n", "non", "faux", "f")


def bool_expr(col: pl.Expr, invert: bool = False) -> pl.Expr:
    s = null_if_empty(col).str.to_lowercase()
    out = pl.when(s.is_in(list(_TRUE))).then(True).when(s.is_in(list(_FALSE))).then(False)
    return ~out if invert else out


_STARS = {"ONE": "1", "TWO": "2", "THREE": "3", "FOUR": "4", "FIVE": "5"}


def rating_expr(col: pl.Expr) -> pl.Expr:
    """Ratings: numbers, ``4/5`` or Google's ``FOUR`` enum -> 1..5 floats."""
    s = null_if_empty(col).str.to_uppercase()
    s = s.replace(_STARS).str.replace(r"\s*/\s*\d+$", "")
    return number_expr(s)


# ---------------------------------------------------------------------------
# dates

_MONTHS: dict[str, tuple[str, ...]] = {
    "jan": ("january", "janvier", "janv", "enero", "ene", "januar", "jänner", "janeiro", "gennaio"),
    "feb": (
        "february", "février", "fevrier", "févr", "fevr", "fév", "fev", "febrero",
        "februar", "fevereiro", "febbraio",
    ),
    "mar": ("march", "mars", "marzo", "märz", "maerz", "mär", "março", "marco"),
    "apr": ("april", "avril", "avr", "abril", "abr", "aprile"),
    "may": ("mayo", "mai", "maio", "maggio"),
    "jun": ("june", "juin", "junio", "juni", "junho", "giugno"),
    "jul": ("july", "juillet", "juil", "julio", "juli", "julho", "luglio"),
    "aug": ("august", "août", "aout", "agosto", "ago"),
    "sep": ("september", "septembre", "sept", "septiembre", "setiembre", "setembro", "set"),
    "oct": ("october", "octobre", "octubre", "oktober", "okt", "outubro", "out", "ottobre"),
    "nov": ("november", "novembre", "noviembre", "novembro"),
    "dec": ("december", "décembre", "decembre", "déc", "diciembre", "dic", "dezember", "dez",
            "dezembro", "dicembre"),
}  # fmt: skip

_WEEKDAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thu|fri"
    "|sat|sun|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles"
    "|miercoles|jueves|viernes|sábado|sabado|domingo|montag|dienstag|mittwoch|donnerstag"
    "|freitag|samstag|sonntag"
)

# Offsets of the zone abbreviations seen in exports (Sentiment140 uses PDT).
_TZ_NAMES = {
    "utc": "+0000", "gmt": "+0000", "pdt": "-0700", "pst": "-0800", "mdt": "-0600",
    "mst": "-0700", "cdt": "-0500", "cst": "-0600", "edt": "-0400", "est": "-0500",
    "bst": "+0100", "cet": "+0100", "cest": "+0200", "met": "+0100", "mest": "+0200",
    "eet": "+0200", "eest": "+0300", "jst": "+0900", "aest": "+1000", "ist": "+0530",
}  # fmt: skip

_DATE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%b %d %H:%M:%S %z %Y",
    "%b %d %Y %H:%M:%S",
    "%b %d %Y %H:%M",
    "%b %d %Y %I:%M %p",
    "%b %d %Y %I:%M:%S %p",
    "%b %d %Y",
    "%d-%b-%Y %I:%M%p",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y %I:%M %p",
    "%d %b %Y",
    "%d %b %y",
    "%Y %b %d",
    "%Y%m%d",
)
# Day/month order is decided per column from the values (a first part > 12
# means day-first); the format lists are written once with placeholders.
_NUMERIC_TEMPLATES = (
    "{a}{s}{b}{s}%Y %H:%M:%S",
    "{a}{s}{b}{s}%Y %H:%M",
    "{a}{s}{b}{s}%Y %I:%M:%S %p",
    "{a}{s}{b}{s}%Y %I:%M %p",
    "{a}{s}{b}{s}%Y %H.%M",
    "{a}{s}{b}{s}%Y",
    "{a}{s}{b}{s}%y %H:%M",
    "{a}{s}{b}{s}%y",
)


DATE_ORDERS = ("dmy", "mdy", "ymd")
ORDER_LABELS = {
    "dmy": mark("day-first (DD/MM/YYYY)"),
    "mdy": mark("month-first (MM/DD/YYYY)"),
    "ymd": mark("year-first (YYYY/MM/DD)"),
}
# The languages language_order() names, for the messages that name them.
LANGUAGE_NAMES = (mark("French"), mark("Spanish"), mark("German"), mark("English"))


def _numeric_formats(order: str) -> list[str]:
    if order == "ymd":
        return [
            f"{y}{s}%m{s}%d{rest}"
            for s in ("/", ".", "-")
            for y in ("%Y", "%y")
            for rest in (" %H:%M:%S", " %H:%M", "")
        ]
    a, b = ("%d", "%m") if order == "dmy" else ("%m", "%d")
    return [t.format(a=a, b=b, s=s) for s in ("/", ".", "-") for t in _NUMERIC_TEMPLATES]


# Words of column names and texts that tell a file's language: exports written in
# French, Spanish, German, Italian or Portuguese write dates day-first, US English ones
# month-first.
_LANG_HEADER_WORDS: dict[str, set[str]] = {
    "French": {
        "auteur", "commentaire", "commentaires", "publication", "texte", "identifiant",
        "heure", "partages", "abonnes", "vues", "titre", "avis", "reponse", "campagne",
        "publie", "publiee", "nom", "pays", "langue", "cree", "creation", "jaime",
    },
    "Spanish": {
        "fecha", "comentario", "comentarios", "publicacion", "texto", "mensaje", "titulo",
        "respuesta", "campana", "vistas", "usuario", "nombre", "hora", "seguidores",
    },
    "German": {
        "datum", "kommentar", "kommentare", "beitrag", "nachricht", "titel", "antwort",
        "kampagne", "aufrufe", "benutzer", "veroffentlicht", "uhrzeit", "zeit", "erstellt",
    },
    "Italian": {"autore", "commento", "commenti", "testo", "messaggio", "titolo", "risposta"},
    "Portuguese": {"comentario", "publicacao", "mensagem", "resposta", "titulo"},
    # not "date", "message", "post": French words too
    "English": {
        "author", "comment", "comments", "text", "posted", "published", "created", "time",
        "title", "reply", "views", "likes", "shares", "user", "content", "review",
        "impressions", "followers", "tweet", "permalink", "engagements",
    },
}  # fmt: skip
_LANG_TEXT_WORDS: dict[str, set[str]] = {
    "French": {"le", "les", "et", "est", "pas", "une", "des", "tres", "je", "pour", "avec",
               "merci", "vous", "mais", "du", "au", "nous", "cest", "il", "elle"},
    "Spanish": {"el", "los", "las", "es", "muy", "que", "para", "con", "pero", "gracias", "una",
                "por", "del", "mi", "lo", "su", "esta", "todo"},
    "German": {"der", "die", "das", "und", "ist", "nicht", "sehr", "ich", "mit", "danke", "ein",
               "eine", "auf", "fur", "sie", "wir", "auch", "zu"},
    "English": {"the", "and", "is", "not", "very", "i", "with", "for", "thanks", "this", "you",
                "it", "my", "was", "are", "of", "to", "great", "but", "so"},
}  # fmt: skip


def _plain_words(value: str) -> list[str]:
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", value.casefold())
        if not unicodedata.combining(ch)
    )  # fmt: skip
    return re.findall(r"[a-z]+", folded.replace("'", "").replace("’", ""))


def _best_language(hits: dict[str, int], minimum: int) -> str | None:
    top = max(hits.values())
    if top < minimum:
        return None
    leaders = [lang for lang, n in hits.items() if n == top]
    if "English" in leaders and len(leaders) > 1:
        return None  # as many English words as others: no decision
    return leaders[0]


def language_order(columns: list[str], texts: list[str]) -> tuple[str | None, str | None]:
    """(date order, language) the file's column names, else its texts, point to:
    ``dmy`` for French, Spanish, German, Italian, Portuguese; ``mdy`` for English."""
    words = [w for c in columns for w in _plain_words(str(c))]
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _LANG_HEADER_WORDS.items()}
    best = _best_language(hits, 1)
    if best is None:
        tokens = [w for t in texts[:200] for w in _plain_words(t)[:60]]
        hits = {lang: sum(w in vocab for w in tokens) for lang, vocab in _LANG_TEXT_WORDS.items()}
        best = _best_language(hits, 3)
    if best is None:
        return None, None
    return ("mdy" if best == "English" else "dmy"), best


_MONTH_RES = [
    (re.compile(r"(?i)\b(?:" + "|".join(sorted(v, key=len, reverse=True)) + r")\b\.?"), k)
    for k, v in _MONTHS.items()
]
_HAS_LETTERS = re.compile(r"[^\W\d_]")


def _normalise(col: pl.Expr, letters: bool) -> pl.Expr:
    """Bring localised and decorated date strings to a few shapes that
    strptime formats can read."""
    s = col.cast(pl.String).str.strip_chars()
    s = s.str.replace(r"(?i)(\d)z$", "${1}+0000")
    if not letters:
        return s
    s = s.str.replace(
        r"(?i)^(?:publi[ée]e?s?|posted|published|created|updated|modifi[ée]e?s?|"
        r"mis à jour|publicado|veröffentlicht)(?:\s+(?:le|on|el|am))?\s+",
        "",
    )
    s = s.str.replace(r"(?i)^(?:le|on|el|am)\s+", "")
    s = s.str.replace_all(r"(?i)\b(?:" + _WEEKDAYS + r")\b\.?,?", " ")
    for pattern, abbr in _MONTH_RES:
        s = s.str.replace_all(pattern.pattern, abbr)
    s = s.str.replace_all(r"(?i)\s(?:de|del|à|a las|at|um|às|o)\s", " ")
    s = s.str.replace_all(r"(\d{1,2})h(\d{2})", "${1}:${2}")
    s = s.str.replace_all(r"(\d)(?:st|nd|rd|th|er|e)\b", "${1}")
    s = s.str.replace_all(r"(\d{1,2})\.\s", "${1} ")  # German "17. Oktober"
    for name, offset in _TZ_NAMES.items():
        s = s.str.replace(r"(?i)\b" + name + r"\b", offset)
    s = s.str.replace_all(r"(?i)([AP])\.?M\.?$", "${1}M")
    s = s.str.replace_all(",", " ").str.replace_all(r"\s+", " ").str.strip_chars()
    return s


def _strptime(s: pl.Expr, fmt: str) -> pl.Expr:
    parsed = s.str.strptime(pl.Datetime("us"), fmt, strict=False)
    if "%z" in fmt:
        # Offsets are turned into UTC and the zone dropped: the store keeps
        # naive UTC everywhere.
        parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return parsed


def _numeric_datetime(s: pl.Expr) -> pl.Expr:
    """Excel serials, epoch seconds/ms/us, written as numbers."""
    x = s.cast(pl.Float64, strict=False)
    excel = pl.lit(dt.datetime(1899, 12, 30)) + pl.duration(
        milliseconds=(x * 86_400_000).round(0).cast(pl.Int64, strict=False)
    )
    return (
        pl.when((x >= 1) & (x < 100_000) & ~s.str.contains(r"^\d{8}$"))
        .then(excel)
        .when((x >= 1e8) & (x < 1e11))
        .then(pl.from_epoch((x * 1e6).cast(pl.Int64, strict=False), "us"))
        .when((x >= 1e11) & (x < 1e14))
        .then(pl.from_epoch((x * 1e3).cast(pl.Int64, strict=False), "us"))
        .when((x >= 1e14) & (x < 1e17))
        .then(pl.from_epoch(x.cast(pl.Int64, strict=False), "us"))
        .otherwise(None)
        .cast(pl.Datetime("us"))
    )


_DMY_PARTS = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?:\D|$)"


def order_from_values(series: pl.Series) -> str | None:
    """``dmy`` when a first field is > 12, ``mdy`` when a second one is; None when
    every value is ambiguous, or the column holds no such dates, or both happen."""
    parts = pl.DataFrame({"v": series.cast(pl.String)}).select(
        pl.col("v").str.extract(_DMY_PARTS, 1).cast(pl.Int32, strict=False).alias("a"),
        pl.col("v").str.extract(_DMY_PARTS, 2).cast(pl.Int32, strict=False).alias("b"),
    )
    first_big = bool((parts["a"] > 12).any())
    second_big = bool((parts["b"] > 12).any())
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    return None


def has_numeric_dates(series: pl.Series) -> bool:
    """Whether some values are numeric day/month/year dates (whose order matters)."""
    return bool(series.cast(pl.String).str.contains(_DMY_PARTS).any())


# Layouts tried first, on the raw values: when one reads the whole sample, the
# column is parsed with it alone (no normalisation, no format search).
_FAST_FORMATS = (
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S+00:00",
    "%Y-%m-%dT%H:%M:%S%.f+00:00",
    "%Y-%m-%d %H:%M:%S+00:00",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
_ISO_START = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def _fast_format(sample: list[str]) -> str | None:
    if not sample or not all(_ISO_START.match(v) for v in sample):
        return None
    values = pl.Series(sample, dtype=pl.String).str.strip_chars()
    for fmt in _FAST_FORMATS:
        parsed = values.str.strptime(pl.Datetime("us"), fmt, strict=False)
        if parsed.null_count() == 0:
            return fmt
    return None


def _sample(series: pl.Series, n: int = 300) -> list[str]:
    vals = series.drop_nulls()
    if vals.len() > n:
        vals = pl.concat([vals.head(n // 2), vals.tail(n // 2)])
    return [v for v in vals.to_list() if isinstance(v, str) and v.strip()]


class DateParser:
    """Parses one source column, batch after batch, with the formats that fit
    its values; keeps the day/month order decided on the first batch.

    The order of numeric dates is decided once, never guessed silently: the user's
    ``order`` wins; else a first field > 12 means day-first and a second field > 12
    month-first; when every value is ambiguous the layout's ``dayfirst``, else the
    file's language (``language()``: (order, name), asked only then) decides, and
    ``warnings`` say so.
    """

    def __init__(
        self,
        dayfirst: bool | None = None,
        preferred: tuple[str, ...] = (),
        year: int | None = None,
        numeric: bool = True,
        *,
        order: str | None = None,
        language: Callable[[], tuple[str | None, str | None]] | None = None,
        column: str = "",
        siblings: Callable[[], str | None] | None = None,
    ) -> None:
        self.layout_dayfirst = dayfirst
        self.preferred = preferred
        self.year = year
        self.numeric = numeric
        self.language = language
        self.column = column
        # the order another date column of the same file showed by its values
        self.siblings = siblings
        self.warnings: list[str] = []
        self.order: str | None = order if order in DATE_ORDERS else None
        self.reason: str | None = "option" if self.order else None

    @property
    def dayfirst(self) -> bool | None:
        return None if self.order is None else self.order == "dmy"

    @property
    def guessed(self) -> bool:
        """True when every value was ambiguous and the order came from the layout,
        the language or the separator: the user may want the other one."""
        return self.reason in ("layout", "language", "default")

    def _formats(self) -> list[str]:
        numeric = _numeric_formats(self.order or "mdy")
        return list(dict.fromkeys([*self.preferred, *_DATE_FORMATS, *numeric]))

    def parse(self, series: pl.Series) -> pl.Series:
        series = series.cast(pl.String)
        sample = _sample(series)
        fast = _fast_format(sample)
        if fast is not None:
            # one fixed ISO layout (the common case on big files): a single strptime
            out = pl.select(_strptime(pl.lit(series).str.strip_chars(), fast)).to_series()
            missing = out.is_null() & series.is_not_null()
            if missing.any():
                idx = missing.arg_true()
                rest = series.gather(idx)
                out = out.scatter(idx, self._parse_general(rest, _sample(rest)))
            return out.alias(series.name)
        return self._parse_general(series, sample)

    def observe(self, series: pl.Series) -> None:
        """Decide the order from this column's own values when they show it (run on every
        date column of a batch before any is parsed, so that one tells the others)."""
        if self.reason is None and has_numeric_dates(series):
            found = order_from_values(series)
            if found is not None:
                self.order, self.reason = found, "values"

    def _decide(self, series: pl.Series) -> None:
        if self.reason is not None or not has_numeric_dates(series):
            return
        found = order_from_values(series)
        if found is not None:
            self.order, self.reason = found, "values"
            return
        lang_order, lang = self.language() if self.language is not None else (None, None)
        shown = self.siblings() if self.siblings is not None else None
        if shown is not None:
            self.order, self.reason = shown, "values"  # the file's other dates tell
            return
        if self.layout_dayfirst is not None:
            self.order, self.reason = ("dmy" if self.layout_dayfirst else "mdy"), "layout"
            message = mark(
                "{where}: every date fits both day/month orders; read {order} because the "
                "layout writes them so. If that is wrong, re-import with the other order "
                "({other}, --date-order {other_id})."
            )
        elif lang_order is not None:
            self.order, self.reason = lang_order, "language"
            message = mark(
                "{where}: every date fits both day/month orders; read {order} because the "
                "file is in {language}. If that is wrong, re-import with the other order "
                "({other}, --date-order {other_id})."
            )
        else:
            # No language clue: exports in "/" are mostly US tools, those in "." or "-"
            # European.
            dotted = not series.cast(pl.String).str.contains(r"^\s*\d{1,2}/").any()
            self.order, self.reason = ("dmy" if dotted else "mdy"), "default"
            message = (
                mark(
                    "{where}: every date fits both day/month orders; read {order} because the "
                    "separator suggests it. If that is wrong, re-import with the other order "
                    "({other}, --date-order {other_id})."
                )
                if dotted
                else mark(
                    "{where}: every date fits both day/month orders; read {order} because the "
                    "separator suggests it (US style). If that is wrong, re-import with the "
                    "other order ({other}, --date-order {other_id})."
                )
            )
        other = "mdy" if self.order == "dmy" else "dmy"
        where = f"`{self.column}`" if self.column else tr("the dates")
        self.warnings.append(
            tr(
                message,
                where=where,
                order=tr(ORDER_LABELS[self.order]),
                language=tr(lang) if lang else "",
                other=tr(ORDER_LABELS[other]),
                other_id=other,
            )
        )

    def _parse_general(self, series: pl.Series, sample: list[str]) -> pl.Series:
        self._decide(series)
        letters = any(_HAS_LETTERS.search(v.replace("T", "").replace("Z", "")) for v in sample)
        frame = pl.DataFrame({"raw": series})
        norm = frame.select(_normalise(pl.col("raw"), letters).alias("n"))["n"]
        sample_norm = (
            pl.DataFrame({"raw": pl.Series(sample, dtype=pl.String)})
            .select(_normalise(pl.col("raw"), letters))
            .to_series()
        )
        chosen = self._pick(sample_norm)
        out = self._apply(norm, chosen)
        missing = out.is_null() & norm.is_not_null()
        if missing.any():
            # second pass only on the rows the sampled formats missed
            idx = missing.arg_true()
            rest = self._apply(norm.gather(idx), self._formats(), numeric=True)
            out = out.scatter(idx, rest)
        return out

    def _pick(self, sample: pl.Series) -> list[str]:
        if sample.len() == 0:
            return []
        chosen: list[str] = []
        remaining = sample
        for fmt in self._formats():
            if remaining.len() == 0:
                break
            ok = pl.select(_strptime(pl.lit(remaining), fmt).is_not_null()).to_series()
            if ok.any():
                chosen.append(fmt)
                remaining = remaining.filter(~ok)
        return chosen

    def _apply(self, norm: pl.Series, formats: list[str], numeric: bool | None = None) -> pl.Series:
        col = pl.lit(norm)
        exprs = [_strptime(col, f) for f in formats]
        if numeric if numeric is not None else self.numeric:
            exprs.append(_numeric_datetime(col))
        if not exprs:
            return pl.Series(norm.name, [None] * norm.len(), dtype=pl.Datetime("us"))
        return pl.select(pl.coalesce(exprs).alias(norm.name or "d")).to_series()


def parse_datetimes(
    series: pl.Series,
    dayfirst: bool | None = None,
    preferred: tuple[str, ...] = (),
    order: str | None = None,
) -> pl.Series:
    """Convenience wrapper: one-shot parse of a string Series to naive UTC."""
    return DateParser(dayfirst=dayfirst, preferred=preferred, order=order).parse(series)


_YEARLESS = re.compile(r"^\s*(?:\d{1,2}\s+[a-z]{3}|[a-z]{3}\s+\d{1,2})\s*$", re.IGNORECASE)


def looks_yearless(sample: list[str]) -> bool:
    """True when dates are like ``April 12`` / ``8 de marzo`` (TikTok)."""
    if not sample:
        return False
    norm = pl.select(_normalise(pl.lit(pl.Series(sample, dtype=pl.String)), True)).to_series()
    hits = sum(1 for v in norm.to_list() if v and _YEARLESS.match(v))
    return hits >= max(1, len(sample) // 2)


def place_yearless(
    series: pl.Series, year: int | None, today: dt.date | None = None
) -> tuple[pl.Series, int | None]:
    """Year-less day+month dates in file order, and the year given to the first row.

    Files run forwards or backwards in time (the direction most steps take); a run
    crossing New Year (December -> January forwards, January -> December backwards)
    moves to the next (previous) year. ``year`` is the year of the first row; without
    it, the latest one that puts no date after ``today``.
    """
    norm = pl.select(_normalise(pl.lit(series.cast(pl.String)), True)).to_series()
    probe = norm + " 2000"  # leap year so 29 Feb parses
    md = pl.select(
        pl.coalesce(_strptime(pl.lit(probe), "%b %d %Y"), _strptime(pl.lit(probe), "%d %b %Y"))
    ).to_series()
    frame = pl.DataFrame({"m": md.dt.month(), "d": md.dt.day()}).with_columns(
        (pl.col("m").cast(pl.Int32) * 100 + pl.col("d").cast(pl.Int32)).alias("k")
    )
    steps = frame.select(
        (pl.col("k") - pl.col("k").forward_fill().shift(1)).alias("s"),
        pl.col("m").forward_fill().shift(1).alias("pm"),
        pl.col("m").alias("m"),
    )
    forwards_cross = ((steps["pm"] >= 11) & (steps["m"] <= 2)).fill_null(False)
    backwards_cross = ((steps["pm"] <= 2) & (steps["m"] >= 11)).fill_null(False)
    votes = steps["s"].filter(~(forwards_cross | backwards_cross))  # New Year steps excluded
    backwards = int((votes < 0).sum()) > int((votes > 0).sum())
    cross = backwards_cross if backwards else forwards_cross
    offset = cross.fill_null(False).cast(pl.Int32).cum_sum() * (-1 if backwards else 1)
    valid = md.is_not_null()
    if year is None:
        if not valid.any():
            return pl.Series(series.name, [None] * series.len(), dtype=pl.Datetime("us")), None
        today = today or dt.date.today()
        last = pl.DataFrame({"o": offset, "m": frame["m"], "d": frame["d"]}).filter(valid)
        top = last.sort(["o", "m", "d"]).tail(1).row(0)
        year = today.year - int(top[0])
        if (int(top[1]), int(top[2])) > (today.month, today.day):
            year -= 1
    out = pl.select(
        pl.datetime(offset + year, frame["m"], frame["d"], time_unit="us").alias(series.name or "d")
    ).to_series()
    return out, year


def parse_yearless(series: pl.Series, year: int | None, today: dt.date | None = None) -> pl.Series:
    """``place_yearless`` without the year it chose."""
    return place_yearless(series, year, today)[0]


def snowflake_datetime_expr(col: pl.Expr) -> pl.Expr:
    """Creation time of an X post from its Snowflake id (ids after 2010-11)."""
    n = col.cast(pl.String).str.strip_chars().cast(pl.UInt64, strict=False)
    ms = (n // 4_194_304).cast(pl.Int64) + 1_288_834_974_657
    return pl.when(n > 4_194_304 * 1000).then(pl.from_epoch(ms, "ms").cast(pl.Datetime("us")))


def year_from_name(name: str) -> int | None:
    """A plausible year in a file name (``Overview_2024.csv``, ``..._20240101_...``)."""
    m = re.findall(r"(?<!\d)(20\d{2})(?:\d{4})?(?!\d)", name)
    return int(m[-1]) if m else None
