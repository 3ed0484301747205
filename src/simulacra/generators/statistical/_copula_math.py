"""The numerical core of the Gaussian copula: normal scores, category orders, correlation.

Discrete columns enter the copula as intervals of the standard normal, one interval per category with
a width equal to its frequency, so frequencies are kept exactly in expectation (the usual "uniform
encoding" of categorical margins, cf. Nelsen, *An Introduction to Copulas*, and SDV's copulas library).
Two refinements make the one-dimensional latent of a nominal column carry more of its relations:

* **category order**: a nominal column's categories are ordered by the mean normal score of its
  *partner*, the column that explains most of its variance (largest correlation ratio eta^2). Ordered
  this way, the relation to the partner becomes monotone, which a Gaussian dependence can represent;
* **placement within an interval / among ties**: a row's position inside its category's interval
  (and among tied values of a numeric column with point masses) follows the partner's score instead of
  pure noise. Marginals are untouched; the latent correlation then reflects the real association
  rather than being diluted by jitter (education vs education-num on Adult: 0.74 -> 0.89 contingency
  similarity).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "Step",
    "cdf_scores",
    "correlation",
    "correlation_from_moments",
    "discrete_scores",
    "fit_orders",
    "normal_scores",
    "place_scores",
    "regularize_correlation",
]

_EPS = 1e-10

Step = tuple[int, int, float, "np.ndarray | None"]
"""One update of :func:`fit_orders`: (column, partner, sign, category order or ``None`` for a number)."""


def _ndtri(u: np.ndarray) -> np.ndarray:
    return np.asarray(special.ndtri(np.clip(u, _EPS, 1 - _EPS)))


def normal_scores(x: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Normal scores of ``x`` by rank, ties ordered by ``key``."""
    n = len(x)
    order = np.lexsort((key, x))
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    return _ndtri((ranks + 0.5) / n)


def discrete_scores(codes: np.ndarray, order: np.ndarray, freq: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Normal scores of category ``codes``: each category owns an interval of width ``freq[code]`` in
    the order ``order``; rows are placed inside it by ``key``."""
    k = len(freq)
    n = len(codes)
    position = np.empty(k, dtype=np.int64)
    position[order] = np.arange(k)
    cum = np.concatenate([[0.0], np.cumsum(freq[order])])
    slot = position[codes]
    counts = np.bincount(codes, minlength=k)
    sorter = np.lexsort((key, codes))
    rank = np.empty(n)
    rank[sorter] = np.arange(n)
    start = np.concatenate([[0], np.cumsum(counts)])[:-1]
    frac = (rank - start[codes] + 0.5) / counts[codes]
    return _ndtri(cum[slot] + frac * (cum[slot + 1] - cum[slot]))


def _eta2(codes: np.ndarray, k: int, z: np.ndarray) -> np.ndarray:
    """Correlation ratio of every column of ``z`` on the categories ``codes``."""
    counts = np.maximum(np.bincount(codes, minlength=k), 1).astype(float)
    total = z.var(axis=0)
    out = np.zeros(z.shape[1])
    for j in range(z.shape[1]):
        means = np.bincount(codes, weights=z[:, j], minlength=k) / counts
        out[j] = np.sum(counts * (means - z[:, j].mean()) ** 2) / len(codes) / max(total[j], 1e-12)
    return out


def fit_orders(
    z: np.ndarray,
    discrete: dict[int, tuple[np.ndarray, np.ndarray]],
    continuous: dict[int, np.ndarray],
    rng: np.random.Generator,
    iterations: int = 3,
    steps: list[Step] | None = None,
) -> dict[int, np.ndarray]:
    """Refine ``z`` in place: partner-based category orders and tie placement. Returns the orders.

    ``discrete`` maps a column index to (codes, freq); ``continuous`` maps an index to its values.
    ``steps``, when given, receives every update in order (column, partner, sign, category order), so
    that the distributed fit can replay the same placement on each partition (:func:`place_scores`).
    """
    n, d = z.shape
    orders: dict[int, np.ndarray] = {}
    noise = rng.standard_normal(n) * 1e-9
    for j, (codes, freq) in discrete.items():
        orders[j] = np.argsort(-freq, kind="stable")
        z[:, j] = discrete_scores(codes, orders[j], freq, np.asarray(rng.random(n)))
    for j, x in continuous.items():
        z[:, j] = normal_scores(x, np.asarray(rng.random(n)))
    if d < 2:
        return orders
    for _ in range(iterations):
        for j, (codes, freq) in discrete.items():
            eta = _eta2(codes, len(freq), z)
            eta[j] = -1.0
            partner = int(np.argmax(eta))
            counts = np.maximum(np.bincount(codes, minlength=len(freq)), 1)
            means = np.bincount(codes, weights=z[:, partner], minlength=len(freq)) / counts
            means[freq == 0] = np.inf  # unseen categories last; their interval is empty anyway
            orders[j] = np.argsort(means, kind="stable")
            z[:, j] = discrete_scores(codes, orders[j], freq, np.asarray(z[:, partner] + noise))
            if steps is not None:
                steps.append((j, partner, 1.0, orders[j]))
        if not continuous:
            continue
        corr = correlation(z)
        for j, x in continuous.items():
            row = np.abs(corr[j].copy())
            row[j] = -1.0
            partner = int(np.argmax(row))
            sign = 1.0 if corr[j, partner] >= 0 else -1.0
            z[:, j] = normal_scores(x, np.asarray(sign * z[:, partner] + noise))
            if steps is not None:
                steps.append((j, partner, sign, None))
    return orders


def cdf_scores(x: np.ndarray, values: np.ndarray, counts: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Normal scores of ``x`` under a *global* distribution given as sorted ``values`` with ``counts``.

    The distributed analogue of :func:`normal_scores`: a value owns the interval [F(v-), F(v)] of the
    global CDF (a bucket of a compressed sketch owns its bucket's share); rows of this partition that
    fall in the same interval are spread over it by rank of (``x``, ``key``), as ties are in memory.
    """
    n_total = float(counts.sum())
    before = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(float)
    bucket = np.clip(np.searchsorted(values, x, side="right") - 1, 0, len(values) - 1)
    order = np.lexsort((key, x, bucket))
    n = len(x)
    rank = np.empty(n)
    rank[order] = np.arange(n)
    local = np.bincount(bucket, minlength=len(values))
    start = np.concatenate([[0], np.cumsum(local)])[:-1]
    frac = (rank - start[bucket] + 0.5) / local[bucket]
    return _ndtri((before[bucket] + frac * counts[bucket]) / n_total)


def place_scores(
    z: np.ndarray,
    discrete: dict[int, tuple[np.ndarray, np.ndarray]],
    continuous: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    steps: list[Step],
    rng: np.random.Generator,
) -> None:
    """Fill ``z`` in place by replaying the ``steps`` that :func:`fit_orders` recorded.

    ``discrete`` maps an index to (codes, global freq); ``continuous`` maps an index to (values, sketch
    values, sketch counts). The start (frequency orders, random placement) and every update follow
    :func:`fit_orders` with its learning left out, so a partition's scores obey the same placement
    rules as the in-memory fit: category intervals and numeric ranks from the global distribution,
    positions inside an interval or among ties by the partner's score within the partition.
    """
    n = z.shape[0]
    noise = rng.standard_normal(n) * 1e-9
    for j, (codes, freq) in discrete.items():
        z[:, j] = discrete_scores(codes, np.argsort(-freq, kind="stable"), freq, np.asarray(rng.random(n)))
    for j, (x, values, counts) in continuous.items():
        z[:, j] = cdf_scores(x, values, counts, np.asarray(rng.random(n)))
    for j, partner, sign, order in steps:
        key = np.asarray(sign * z[:, partner] + noise)
        if order is not None:
            codes, freq = discrete[j]
            z[:, j] = discrete_scores(codes, order, freq, key)
        else:
            x, values, counts = continuous[j]
            z[:, j] = cdf_scores(x, values, counts, key)


def correlation(z: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of ``z``, made positive definite with a unit diagonal."""
    d = z.shape[1]
    if d == 1:
        return np.ones((1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(z, rowvar=False)
    return regularize_correlation(corr)


def correlation_from_moments(n: float, total: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """:func:`correlation` from mergeable moments: row count, column sums and the cross-product matrix."""
    d = len(total)
    if d == 1:
        return np.ones((1, 1))
    mean = total / n
    cov = cross / n - np.outer(mean, mean)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
        corr = cov / np.outer(sd, sd)
    return regularize_correlation(corr)


def regularize_correlation(corr: np.ndarray) -> np.ndarray:
    """NaN to 0, unit diagonal, eigenvalues floored at 1e-6 (positive definite), rescaled to unit diagonal."""
    corr = np.nan_to_num(np.asarray(corr, dtype=float), nan=0.0)
    np.fill_diagonal(corr, 1.0)
    w, v = np.linalg.eigh(corr)
    w = np.maximum(w, 1e-6)
    corr = (v * w) @ v.T
    scale = np.sqrt(np.diag(corr))
    return np.asarray(corr / np.outer(scale, scale))
