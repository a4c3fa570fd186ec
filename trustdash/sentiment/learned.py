"""The learned English lexicon: token weights fitted on GoEmotions (see data/NOTICE).

Read from ``data/goemotions_weights.tsv`` (token TAB weight, ``#`` comment lines, one
``_intercept_`` line); rebuilt by ``python -m trustdash.sentiment.train_goemotions``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "goemotions_weights.tsv"
INTERCEPT_KEY = "_intercept_"


def weights(path: Path = WEIGHTS_PATH) -> pl.DataFrame:
    """Columns term (String) and weight (Float64), the intercept as the row INTERCEPT_KEY;
    empty when the file is absent (the rules then score alone)."""
    schema = {"term": pl.String, "weight": pl.Float64}
    if not path.is_file():
        return pl.DataFrame(schema=schema)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        term, _, value = line.partition("\t")
        rows.append((term, float(value)))
    return pl.DataFrame(rows, schema=schema, orient="row")
