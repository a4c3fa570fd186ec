"""Intervals of the Trust Score: exact Beta quantiles for one proportion, and the
Monte-Carlo draws of a whole score (S1..S3 drawn from their Beta posteriors, S4..S6
fixed), with one random stream per group so that a group's interval does not depend on
which other groups are scored with it.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from trustdash.trust.model import Number

try:  # scipy is optional: exact Beta quantiles fall back to a pure-Python inverse.
    from scipy.special import betaincinv as _scipy_betaincinv
except ImportError:  # pragma: no cover - exercised only where scipy is absent
    _scipy_betaincinv = None


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for i in range(1, 20000):
        i2 = 2 * i
        aa = i * (b - i) * x / ((qam + i2) * (a + i2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + i) * (qab + i) * x / ((a + i2) * (qap + i2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta ``I_x(a, b)`` (pure Python)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _betaincinv_py(a: float, b: float, p: float) -> float:
    """Inverse of ``I_x(a, b)`` in x by bisection (pure Python, ~1e-15 accuracy)."""
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if _betainc(a, b, mid) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return 0.5 * (lo + hi)


def _beta_ppf(a: float, b: float, p: float) -> float:
    """Quantile ``p`` of Beta(a, b); degenerate parameters give point masses."""
    if a <= 0 and b <= 0:
        return p  # no information at all: uniform
    if a <= 0:
        return 0.0
    if b <= 0:
        return 1.0
    if _scipy_betaincinv is not None:
        return float(_scipy_betaincinv(a, b, p))
    return _betaincinv_py(a, b, p)


def beta_interval(
    k: Number, n: Number, m: float, mu: float, level: float = 0.8
) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of ``Beta(k + m*mu, n - k + m*(1 - mu))``.

    Returns the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles, exact
    (scipy's ``betaincinv`` when importable, else a bisection on a
    continued-fraction ``betainc``).
    """
    a = float(k) + m * float(mu)
    b = float(n) - float(k) + m * (1.0 - float(mu))
    tail = (1.0 - level) / 2.0
    return _beta_ppf(a, b, tail), _beta_ppf(a, b, 1.0 - tail)


def beta_draws(
    rng: np.random.Generator,
    a: Sequence[float],
    b: Sequence[float],
    size: int,
    weights: Sequence[float],
    out: np.ndarray,
) -> None:
    """``out[k]`` = ``size`` draws of ``X_k ~ Beta(a[k], b[k])`` (independent), for each
    component of non-zero weight; degenerate parameters give point masses.

    Non-positive ``a`` -> 0, non-positive ``b`` -> 1; both -> uniform. A component of
    weight 0 is not drawn (``out[k]`` is left as it is: it adds nothing), so it uses none
    of the stream.
    """
    for k in range(len(a)):
        ak, bk = a[k], b[k]
        if weights[k] == 0.0:
            continue
        if ak > 0 and bk > 0:
            # Scalar parameters: numpy's fastest Beta path (no per-sample broadcasting).
            out[k] = rng.beta(ak, bk, size)
        elif ak <= 0 and bk <= 0:
            out[k] = rng.random(size)
        else:
            out[k] = 0.0 if ak <= 0 else 1.0


class GroupStreams:
    """A random generator per group, keyed by (seed, group name): a group's draws depend
    on nothing else, so its interval is the same whichever groups are scored with it.

    One SFC64 generator per thread is re-keyed per group instead of built per group:
    building one through numpy's seed hashing costs ~20 µs, more than the 300 Beta
    samples of a trend point. The key is a BLAKE2b hash of the group name under the seed:
    its 24 bytes are SFC64's three state words, the fourth (the counter) is 1. The whole
    state is set, so nothing of a previous group carries over; the hash mixes the state
    as numpy's seed hashing does, so no outputs are skipped.
    """

    _COUNTER = (1).to_bytes(8, "little")

    def __init__(self, seed: int) -> None:
        kept = getattr(_THREAD_BITS, "sfc64", None)
        if kept is None:
            bits = np.random.SFC64(0)
            kept = _THREAD_BITS.sfc64 = (bits, np.random.Generator(bits), bits.state)
        self._bits, self._gen, self._state = kept
        self._key = str(int(seed)).encode("ascii")[:64]

    def __call__(self, group: str) -> np.random.Generator:
        digest = hashlib.blake2b(str(group).encode("utf-8"), digest_size=24, key=self._key)
        self._state["state"]["state"] = np.frombuffer(
            digest.digest() + self._COUNTER, dtype="<u8"
        )
        self._bits.state = self._state
        return self._gen


_THREAD_BITS = threading.local()


def fill_draws(
    draws: np.ndarray,
    rows: list[int],
    groups: Sequence[str],
    a: np.ndarray,
    b: np.ndarray,
    w3: np.ndarray,
    seed: int,
) -> None:
    """``draws[i]`` for each of ``rows``: ``sum_k w3[i, k] * X_k`` with ``X_k`` the Beta
    draws of group ``groups[i]`` (its own stream), weighted for all groups at once."""
    if not rows:
        return
    d = draws.shape[1]
    raw = np.zeros((len(rows), a.shape[1], d))
    streams = GroupStreams(seed)
    # Python floats: the loop passes them to numpy as they are, without a conversion each.
    a_rows, b_rows, w_rows = a[rows].tolist(), b[rows].tolist(), w3[rows].tolist()
    for j, i in enumerate(rows):
        beta_draws(streams(groups[i]), a_rows[j], b_rows[j], d, w_rows[j], raw[j])
    weights = w3[rows]
    total = raw[:, 0] * weights[:, :1]
    for k in range(1, raw.shape[1]):
        total += raw[:, k] * weights[:, k : k + 1]
    draws[rows] = total


def quantiles(draws: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """``np.quantile(draws, q, axis=1)`` (linear interpolation), from one sort of the rows:
    cheaper than numpy's selection of four order statistics per row for a few hundred
    rows of a few hundred draws."""
    ordered = np.sort(draws, axis=1)
    n = ordered.shape[1]
    out = np.empty((len(q), ordered.shape[0]))
    for j, p in enumerate(q):
        h = (n - 1) * float(p)
        lo = min(int(math.floor(h)), n - 1)
        hi = min(lo + 1, n - 1)
        out[j] = ordered[:, lo] + (h - lo) * (ordered[:, hi] - ordered[:, lo])
    return out


# Draws already made in the current computation (see shared_draws), by their inputs.
_SHARED_DRAWS: contextvars.ContextVar[dict[tuple[Any, ...], np.ndarray] | None] = (
    contextvars.ContextVar("trustdash_shared_draws", default=None)
)


@contextlib.contextmanager
def shared_draws() -> Iterator[None]:
    """Within the block, a group scored again with the same Beta posteriors, weights,
    seed and draw count reuses its Monte-Carlo trust draws instead of redrawing them.

    Exact, not an approximation: the draws are a deterministic function of exactly those
    inputs (the generator is seeded per group). The Overview scores its channels twice,
    per channel and for the channel-equal total; the memo lives for one computation only.
    """
    token = _SHARED_DRAWS.set({})
    try:
        yield
    finally:
        _SHARED_DRAWS.reset(token)


def draw_memo() -> dict[tuple[Any, ...], np.ndarray] | None:
    """The draws already made inside the current :func:`shared_draws` block (None
    outside one), keyed by (seed, draw count, group, the group's posterior inputs)."""
    return _SHARED_DRAWS.get()
