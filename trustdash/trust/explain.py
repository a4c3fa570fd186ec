"""Explanations: what the "How is this computed?" panel shows for a score row, and the
changes between two windows with the component that moved most."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from trustdash.trust.components import FORMULAS, MISSING_REASON
from trustdash.trust.intervals import beta_interval
from trustdash.trust.model import COMPONENT_NAMES, COMPONENTS, TrustSettings, band, is_missing


def _f(x: Any) -> float | None:
    return None if is_missing(x) else float(x)


def explain(row: Mapping[str, Any], settings: TrustSettings) -> dict[str, Any]:
    """Everything the "How is this computed?" panel shows, as plain strings and numbers.

    ``row`` is one row of :func:`score_groups` (``frame.row(i, named=True)``).
    Returns: group, score, band, interval (text), level, formula, components
    (list of {id, name, value, weight, contribution, formula, interval?}),
    counts {P, N, neutral, audience, complaints, actionable, answered_in_target},
    prior {m, mu_S1, mu_S2, mu_S3}, dropped [{id, name, reason}], covered (the
    components measured on part of the comments), weights_used,
    flags, notes.
    """
    m = float(settings.prior_strength)
    weights = row.get("weights_used") or {}
    if isinstance(weights, str):
        weights = json.loads(weights)
    counts = {
        "P": _f(row.get("pos")),
        "N": _f(row.get("neg")),
        "neutral": _f(row.get("neu")),
        "audience": _f(row.get("audience")),
        "complaints": _f(row.get("complaints")),
        "actionable": _f(row.get("actionable")),
        "answered_in_target": _f(row.get("answered_in_target")),
        "comments (raw)": row.get("n"),
        "polar comments (raw)": row.get("n_polar"),
    }
    kn = {
        "S1": (counts["P"], None if counts["P"] is None else counts["P"] + (counts["N"] or 0.0)),
        "S2": (
            None
            if counts["audience"] is None
            else counts["audience"] - (counts["complaints"] or 0.0),
            counts["audience"],
        ),
        "S3": (counts["answered_in_target"], counts["actionable"]),
    }
    cover = row.get("coverage") or {}
    if isinstance(cover, str):
        cover = json.loads(cover)
    comps = []
    for cid in COMPONENTS:
        value = _f(row.get(cid))
        w = float(weights.get(cid, 0.0)) if value is not None else 0.0
        item: dict[str, Any] = {
            "id": cid,
            "name": COMPONENT_NAMES[cid],
            "value": value,
            "weight": w,
            "coverage": None if value is None else float(cover.get(cid, 1.0)),
            "contribution": None if value is None else 100.0 * w * value,
            "formula": FORMULAS[cid],
        }
        mu = _f(row.get(f"prior_{cid}"))
        if cid in kn and value is not None and mu is not None and kn[cid][1] is not None:
            k, n = kn[cid]
            lo, hi = beta_interval(k or 0.0, n, m, mu, settings.level)
            item["interval"] = [lo, hi]
            item["text"] = f"({k:.1f} + {m:g}·{mu:.3f}) / ({n:.1f} + {m:g}) = {value:.3f}"
        comps.append(item)
    dropped = [
        {"id": c, "name": COMPONENT_NAMES[c], "reason": MISSING_REASON[c]}
        for c in (row.get("missing") or [])
    ]
    score = _f(row.get("trust"))
    low, high = _f(row.get("low")), _f(row.get("high"))
    pct = f"{settings.level * 100:g} %"
    interval = (
        f"{pct} interval {low:.1f}–{high:.1f} ({settings.draws} Monte-Carlo draws)"
        if low is not None and high is not None
        else "no interval (no data)"
    )
    notes = [
        "Proportions are shrunk toward the parent-level mean μ with prior strength m "
        f"= {m:g} (as if {m:g} extra comments at the average).",
        f"Recency: item weight 0.5^(age/{settings.half_life_days:g} days)"
        if settings.half_life_days > 0
        else "Recency weighting off.",
        "Rankings sort on the lower bound of the interval.",
    ]
    if dropped:
        notes.append("Dropped components' weights are shared among the others (renormalised).")
    covered = _partly_covered(comps)
    notes += [coverage_note(c["id"], c["name"], c["coverage"]) for c in covered]
    if row.get("insufficient"):
        notes.append(
            f"Insufficient data: fewer than {settings.min_polar:g} polar comments "
            f"or an interval wider than {settings.max_width:g} points."
        )
    return {
        "group": row.get("group"),
        "score": score,
        "band": row.get("band") or band(score),
        "interval": interval,
        "low": low,
        "high": high,
        "level": settings.level,
        "formula": "Trust = 100 · Σ w_k·c_k·S_k / Σ_available w_k·c_k"
        if covered else "Trust = 100 · Σ w_k·S_k / Σ_available w_k",
        "covered": covered,
        "components": comps,
        "counts": counts,
        "prior": {
            "m": m,
            "mu_S1": _f(row.get("prior_S1")),
            "mu_S2": _f(row.get("prior_S2")),
            "mu_S3": _f(row.get("prior_S3")),
        },
        "dropped": dropped,
        "weights_used": {k: float(v) for k, v in weights.items()},
        "flags": list(row.get("flags") or []),
        "notes": notes,
    }


def _partly_covered(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The explanation's components measured on only part of the group's comments."""
    return [c for c in components
            if c.get("coverage") is not None and float(c["coverage"]) < 1.0 - 1e-9]  # fmt: skip


def coverage_note(cid: str, name: str, share: float) -> str:
    """The note on a component measured on part of a total's comments."""
    return (f"{cid} {name} is measured on {100.0 * share:.0f} % of the comments (the channels "
            "where it is measurable): its weight is scaled by that share.")  # fmt: skip


def biggest_changes(
    current: pl.DataFrame, previous: pl.DataFrame, top: int = 3
) -> list[dict[str, Any]]:
    """The ``top`` groups with the largest |Δ trust| between two :func:`score_groups` outputs.

    For each: ``group``, ``previous``, ``current``, ``delta`` (points), the
    ``component`` whose weighted contribution ``100·w_used·S`` moved most,
    its ``component_name``, ``before``/``after`` values and a ``reason`` text
    such as "Responsiveness fell from 0.71 to 0.52" (or "... was dropped" /
    "... became available"). Groups scored in only one frame are skipped.
    """
    return changes_between(current.iter_rows(named=True), previous.iter_rows(named=True), top)


def changes_between(
    current: Iterable[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]], top: int
) -> list[dict[str, Any]]:
    """:func:`biggest_changes` of rows (group, trust, weights_used, S1..S6 of each)."""
    cur = {r["group"]: r for r in current if r["trust"] is not None}
    prev = {r["group"]: r for r in previous if r["trust"] is not None}
    items = []
    for grp in cur.keys() & prev.keys():
        c, p = cur[grp], prev[grp]
        delta = float(c["trust"]) - float(p["trust"])
        best, best_move = None, -1.0
        for cid in COMPONENTS:
            cw = (c["weights_used"] or {}).get(cid, 0.0) * (c[cid] or 0.0)
            pw = (p["weights_used"] or {}).get(cid, 0.0) * (p[cid] or 0.0)
            move = abs(100.0 * (cw - pw))
            if move > best_move + 1e-12:
                best, best_move = cid, move
        if best is None:  # pragma: no cover - COMPONENTS is never empty
            continue
        before, after = p[best], c[best]
        name = COMPONENT_NAMES[best]
        if before is None and after is not None:
            reason = f"{name} became available ({after:.2f})"
        elif after is None and before is not None:
            reason = f"{name} was dropped (was {before:.2f})"
        elif before is None or after is None:
            reason = f"{name} unchanged"
        else:
            verb = "rose" if after > before else "fell" if after < before else "stayed"
            reason = (
                f"{name} {verb} from {before:.2f} to {after:.2f}"
                if verb != "stayed"
                else f"{name} stayed at {after:.2f} (weights changed)"
            )
        items.append(
            {
                "group": grp,
                "previous": float(p["trust"]),
                "current": float(c["trust"]),
                "delta": delta,
                "component": best,
                "component_name": name,
                "before": before,
                "after": after,
                "reason": reason,
            }
        )
    items.sort(key=lambda d: (-abs(d["delta"]), str(d["group"])))
    return items[: max(0, top)]
