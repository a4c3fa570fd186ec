"""Tables out of trustdash: CSV, XLSX and Parquet, safe to open in a spreadsheet.

Comment text comes from strangers: a cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return would run as a formula in Excel or Sheets, so CSV and
XLSX cells that start so get a leading apostrophe (OWASP's advice). Parquet is
for programs and is written as is. A French interface downloads CSV in the layout a
French Excel expects (``;`` and decimal commas); XLSX is the same in every language.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """String cells that a spreadsheet would evaluate get a leading apostrophe."""
    exprs = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            col = pl.col(name)
            risky = col.str.starts_with(_DANGEROUS[0])
            for ch in _DANGEROUS[1:]:
                risky = risky | col.str.starts_with(ch)
            exprs.append(pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns (lists, structs) as JSON-ish text so every format can hold them."""
    exprs = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            exprs.append(pl.col(name).cast(pl.List(pl.String)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct):
            exprs.append(pl.col(name).struct.json_encode().alias(name))
        elif dtype == pl.Object:
            exprs.append(pl.col(name).map_elements(str, return_dtype=pl.String).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def to_csv_bytes(frame: pl.DataFrame, *, french: bool = False) -> bytes:
    """CSV in UTF-8 with a BOM. ``french``: the layout a French Excel opens in columns
    (``;`` between cells, decimal commas, dates and times it recognises)."""
    safe = neutralise(_flatten(frame))
    if french:
        text = safe.write_csv(
            separator=";", decimal_comma=True, datetime_format="%Y-%m-%d %H:%M:%S"
        )
    else:
        text = safe.write_csv()
    return text.encode("utf-8-sig")


def to_xlsx_bytes(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    safe = neutralise(_flatten(frame))
    # Datetimes with time zones are not allowed by Excel writers; strings formulas are
    # written as text (strings_to_formulas off) as a second line of defence.
    safe.write_excel(
        buf,
        autofit=False,
        worksheet="data",
    )
    return buf.getvalue()


def write_table(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV, XLSX or Parquet chosen by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        path.write_bytes(to_csv_bytes(frame))
    elif suffix == ".xlsx":
        path.write_bytes(to_xlsx_bytes(frame))
    elif suffix == ".parquet":
        _flatten(frame).write_parquet(path)
    else:
        raise ValueError(f"{path.name}: unsupported output type {suffix!r}; use .csv, .xlsx or .parquet")
    return path
