"""Untrusted text made inert for each place it is shown (no streamlit here).

Names of campaigns, channels, files and authors come from imported files and share
links. Every sink that interprets text gets its own escaping:

- markdown (``st.markdown``, captions, alerts, progress texts, toasts, metric labels):
  ``md_escape`` backslash-escapes every ASCII punctuation character, so no link, image,
  HTML tag, emoji shortcode, colour directive or formula survives;
- plotly (titles, axis and legend names, hover texts, annotations), which renders a
  subset of HTML (``<a href>``, ``<img>`` is dropped, ``<b>``…): ``plotly_escape``.

Both show bidirectional control characters as visible markers (``⟨U+202E⟩``), so a
right-to-left override cannot make ``evil‮vsc.exe`` read as ``evilexe.csv``.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable

import polars as pl

# Embeddings, overrides, isolates and the implicit marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_MD_SPECIAL = re.compile("([" + re.escape(string.punctuation) + "])")


def reveal_bidi(text: object) -> str:
    """The text with each bidi control character replaced by a visible ``⟨U+XXXX⟩``."""
    return _BIDI.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", str(text if text is not None else ""))


def md_escape(text: object) -> str:
    """Text safe to embed in markdown: shown exactly as written, never as markup."""
    return _MD_SPECIAL.sub(r"\\\1", reveal_bidi(text))


def plotly_escape(text: object) -> str:
    """Text safe for plotly titles, names, hover texts and annotations.

    Plotly reads ``<``…``>`` as tags and ``&…;`` as entities: both are escaped. Values are
    never placed inside a ``hovertemplate``/``texttemplate`` string (they are passed as
    data and referenced with ``%{…}``), so ``%{`` in a name stays text."""
    return html.escape(reveal_bidi(text), quote=False)


def reveal_bidi_columns(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """``frame`` with the bidi controls of these text columns shown as ``⟨U+XXXX⟩`` (for
    display only: downloads keep the data as imported)."""
    names = [c for c in columns if c in frame.columns and frame.schema[c] == pl.String]
    if not names:
        return frame
    exprs = []
    for name in names:
        expr = pl.col(name)
        for ch in sorted(BIDI_CONTROLS):
            expr = expr.str.replace_all(ch, reveal_bidi(ch), literal=True)
        exprs.append(expr)
    return frame.with_columns(exprs)
