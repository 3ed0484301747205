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

__all__ = ["correlation", "discrete_scores", "fit_orders", "normal_scores"]

_EPS = 1e-10


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
) -> dict[int, np.ndarray]:
    """Refine ``z`` in place: partner-based category orders and tie placement. Returns the orders.

    ``discrete`` maps a column index to (codes, freq); ``continuous`` maps an index to its values.
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
        if not continuous:
            continue
        corr = correlation(z)
        for j, x in continuous.items():
            row = np.abs(corr[j].copy())
            row[j] = -1.0
            partner = int(np.argmax(row))
            sign = 1.0 if corr[j, partner] >= 0 else -1.0
            z[:, j] = normal_scores(x, np.asarray(sign * z[:, partner] + noise))
    return orders


def correlation(z: np.ndarray) -> np.ndarray:
    """Pearson correlation of the columns of ``z``, made positive definite with a unit diagonal."""
    d = z.shape[1]
    if d == 1:
        return np.ones((1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(z, rowvar=False)
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    w, v = np.linalg.eigh(corr)
    w = np.maximum(w, 1e-6)
    corr = (v * w) @ v.T
    scale = np.sqrt(np.diag(corr))
    return np.asarray(corr / np.outer(scale, scale))
