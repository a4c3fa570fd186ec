"""Rebuild the learned English lexicon (data/goemotions_weights.tsv) from GoEmotions.

GoEmotions (Demszky et al., ACL 2020; Apache-2.0) labels Reddit comments with emotions; its
authors group them into positive, negative, neutral and ambiguous. A comment is +1 when its
groups are positive (with or without ambiguous), -1 when negative, 0 when only neutral;
comments with both polarities, or only ambiguous, are left out. A ridge regression over the
presence of the scorer's own tokens (normalised and tokenised by the engine) gives one weight
per token; tokens seen in fewer than ``--min-count`` training comments, and weights below
``--min-weight`` in magnitude, are dropped. The output holds tokens and weights only, never a
text.

Run: ``python -m trustdash.sentiment.train_goemotions --data ../shared/data/goemotions
--out trustdash/sentiment/data/goemotions_weights.tsv``
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import polars as pl

from trustdash.sentiment import engine

# Rarer tokens are left out. The ridge penalty already shrinks a token seen in a handful of
# comments, so a low floor keeps more of the vocabulary of comments (dev Pearson r 0.645 at
# 3, 0.644 at 5, 0.641 at 10, 0.638 at 20).
MIN_COUNT = 3
# Smaller weights are dropped: mostly function words ("we", "the") whose weight is the
# training set's tone, not the word's; dropping them keeps texts without opinion at 0.
MIN_WEIGHT = 0.05
# Ridge penalties tried; the one with the best Pearson r on GoEmotions' dev split is kept.
LAMBDAS = (1.0, 3.0, 10.0, 30.0, 100.0)
CG_ITERATIONS = 300
# Reddit placeholders of the dataset ("[NAME]", "[RELIGION]") are not words of the comment.
_PLACEHOLDER_RE = r"\[[A-Z]+\]"
HEADER = (
    "# Learned English token weights (ridge regression on token presence).\n"
    "# Trained on GoEmotions (Demszky et al., 2020, https://github.com/google-research/"
    "google-research/tree/master/goemotions), Apache License 2.0; see NOTICE.\n"
    "# Rebuild: python -m trustdash.sentiment.train_goemotions --data ../shared/data/goemotions\n"
)


def read_split(path: Path) -> tuple[list[str], np.ndarray]:
    """(texts, targets in {-1, 0, 1}) of one GoEmotions group file, unusable lines left out."""
    labels = (path.parent / "labels.txt").read_text(encoding="utf-8").split()
    pos, neg, neu = labels.index("positive"), labels.index("negative"), labels.index("neutral")
    texts: list[str] = []
    ys: list[float] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2:
                continue
            groups = {int(g) for g in row[1].split(",") if g.strip()}
            if pos in groups and neg not in groups:
                y = 1.0
            elif neg in groups and pos not in groups:
                y = -1.0
            elif groups == {neu}:
                y = 0.0
            else:
                continue
            texts.append(row[0])
            ys.append(y)
    return texts, np.asarray(ys)


def token_keys(texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(document of each token occurrence, vocabulary index, vocabulary) with the engine's
    normalisation and tokens, one occurrence per document and token (presence)."""
    s = pl.Series("text", texts).str.replace_all(_PLACEHOLDER_RE, " ")
    norm = engine.normalise(s)
    parts = engine.base_parts()
    tok_id, kid, vocab = engine.tokens(norm, parts.lex1, parts.first_words)
    keys = vocab["key"]
    pairs = pl.DataFrame({"doc": tok_id, "key": keys.gather(kid)}).unique(maintain_order=True)
    # Words only: punctuation and placeholders carry no sentiment of their own here.
    pairs = pairs.filter(pl.col("key").str.contains(r"^\w") & ~pl.col("key").str.contains("^_"))
    codes = pairs["key"].cast(pl.Categorical(pl.Categories.random()))
    uniq = codes.unique().sort()
    index = pl.DataFrame({"key": uniq.cast(pl.String)}).with_row_index("j")
    joined = pairs.join(index, on="key", how="left", maintain_order="left")
    return (
        joined["doc"].to_numpy().astype(np.int64),
        joined["j"].to_numpy().astype(np.int64),
        index["key"].to_list(),
    )


def ridge(
    doc: np.ndarray, j: np.ndarray, y: np.ndarray, n_feat: int, lam: float
) -> tuple[np.ndarray, float]:
    """Weights and intercept minimising |Xw + b - y|^2 + lam |w|^2 (X: 0/1 presence, given
    as index pairs), by conjugate gradient on the centred normal equations."""
    n = y.size
    counts = np.bincount(j, minlength=n_feat).astype(float)
    mean_x = counts / n
    y_mean = float(y.mean())
    yc = y - y_mean

    def xv(w: np.ndarray) -> np.ndarray:  # centred X @ w
        return np.bincount(doc, weights=w[j], minlength=n) - mean_x @ w

    def xtv(v: np.ndarray) -> np.ndarray:  # centred X.T @ v
        return np.bincount(j, weights=v[doc], minlength=n_feat) - mean_x * v.sum()

    def a(w: np.ndarray) -> np.ndarray:
        return xtv(xv(w)) + lam * w

    w = np.zeros(n_feat)
    r = xtv(yc) - a(w)
    p = r.copy()
    rs = r @ r
    for _ in range(CG_ITERATIONS):
        ap = a(p)
        alpha = rs / (p @ ap)
        w += alpha * p
        r -= alpha * ap
        rs_new = r @ r
        if rs_new < 1e-10:
            break
        p = r + (rs_new / rs) * p
        rs = rs_new
    return w, y_mean - float(mean_x @ w)


def predict(doc: np.ndarray, j: np.ndarray, n: int, w: np.ndarray, b: float) -> np.ndarray:
    return np.bincount(doc, weights=w[j], minlength=n) + b


def train(data: Path, min_count: int = MIN_COUNT) -> tuple[dict[str, float], float, dict]:
    """Token weights, intercept and fit figures (chosen penalty, dev Pearson r)."""
    texts, y = read_split(data / "train.tsv")
    doc, j, vocab = token_keys(texts)
    counts = np.bincount(j, minlength=len(vocab))
    keep = counts >= min_count
    remap = np.cumsum(keep) - 1
    sel = keep[j]
    doc, j = doc[sel], remap[j[sel]]
    vocab = [v for v, k in zip(vocab, keep, strict=True) if k]
    dev_texts, dev_y = read_split(data / "dev.tsv")
    ddoc, dj_keys, dvocab = token_keys(dev_texts)
    pos = {v: i for i, v in enumerate(vocab)}
    dj = np.array([pos.get(dvocab[k], -1) for k in dj_keys], dtype=np.int64)
    dsel = dj >= 0
    ddoc, dj = ddoc[dsel], dj[dsel]
    best: tuple[float, float, np.ndarray, float] | None = None
    for lam in LAMBDAS:
        w, b = ridge(doc, j, y, len(vocab), lam)
        r = float(np.corrcoef(predict(ddoc, dj, dev_y.size, w, b), dev_y)[0, 1])
        print(f"lambda {lam:g}: dev Pearson r {r:.4f}", file=sys.stderr)
        if best is None or r > best[0]:
            best = (r, lam, w, b)
    assert best is not None
    r, lam, w, b = best
    weights = {v: float(x) for v, x in zip(vocab, w, strict=True)}
    info = {"lambda": lam, "dev_pearson": r, "train_comments": int(y.size), "tokens": len(vocab)}
    return weights, b, info


def write_weights(
    path: Path, weights: dict[str, float], intercept: float, min_weight: float = MIN_WEIGHT
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [HEADER.rstrip("\n"), f"_intercept_\t{intercept:.5f}"]
    lines += [f"{k}\t{v:.5f}" for k, v in sorted(weights.items()) if abs(v) >= min_weight]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, type=Path, help="folder with train.tsv, dev.tsv")
    default_out = Path(__file__).resolve().parent / "data" / "goemotions_weights.tsv"
    p.add_argument("--out", type=Path, default=default_out)
    p.add_argument("--min-count", type=int, default=MIN_COUNT)
    p.add_argument("--min-weight", type=float, default=MIN_WEIGHT)
    args = p.parse_args(argv)
    weights, intercept, info = train(args.data, args.min_count)
    write_weights(args.out, weights, intercept, args.min_weight)
    kept = sum(abs(v) >= args.min_weight for v in weights.values())
    print(
        f"{kept:,} of {info['tokens']:,} tokens kept from {info['train_comments']:,} comments, lambda "
        f"{info['lambda']:g}, dev Pearson r {info['dev_pearson']:.3f} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
