"""Mergeable statistics: value counts that double as a quantile sketch, and a uniform row sample.

:class:`ValueCounts` keeps the distinct values of a column with their counts. Merged across partitions
it is the exact distribution while the column has at most ``max_points`` distinct values (Adult's
columns all do); beyond that, neighbouring values are pooled into buckets of at most
``n / max_points`` rows each, so any quantile is off by at most about ``2 / max_points`` in rank
(2e-5 with the default 100,000 points): well under the 1/1,000 spacing of the copula's quantile grid.

:func:`bottom_k` keeps, of all rows, the ``k`` with the smallest random keys, where each partition
draws its keys from its own seeded stream: a uniform sample without replacement, found in one pass, the
same whatever the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["MAX_POINTS", "RowSample", "ValueCounts", "bottom_k", "merge_samples"]

MAX_POINTS = 100_000


@dataclass
class ValueCounts:
    """Sorted distinct ``values`` (float64) with their ``counts``; bucketed beyond ``MAX_POINTS``."""

    values: np.ndarray
    counts: np.ndarray
    exact: bool = True

    @classmethod
    def of(cls, x: np.ndarray, max_points: int = MAX_POINTS) -> ValueCounts:
        values, counts = np.unique(np.asarray(x, dtype=float), return_counts=True)
        return cls(values, counts.astype(np.int64)).compressed(max_points)

    @classmethod
    def empty(cls) -> ValueCounts:
        return cls(np.zeros(0), np.zeros(0, dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def merge(self, other: ValueCounts, max_points: int = MAX_POINTS) -> ValueCounts:
        if len(other.values) == 0:
            return self
        if len(self.values) == 0:
            return other
        v = np.concatenate([self.values, other.values])
        c = np.concatenate([self.counts, other.counts])
        order = np.argsort(v, kind="stable")
        v, c = v[order], c[order]
        uniq, first = np.unique(v, return_index=True)
        merged = ValueCounts(uniq, np.add.reduceat(c, first), self.exact and other.exact)
        return merged.compressed(max_points)

    def compressed(self, max_points: int) -> ValueCounts:
        """Pool neighbouring values into buckets of at most about ``n / max_points`` rows (a bucket keeps
        its smallest value) when there are more than ``max_points`` distinct values."""
        if len(self.values) <= max_points:
            return self
        before = np.cumsum(self.counts) - self.counts
        bucket = np.floor(before / (self.n / max_points)).astype(np.int64)
        first = np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]]))
        return ValueCounts(self.values[first], np.add.reduceat(self.counts, first), exact=False)

    def quantile(self, p: np.ndarray) -> np.ndarray:
        """``np.quantile(x, p)`` (linear interpolation) of the underlying values; exact when :attr:`exact`."""
        p = np.asarray(p, dtype=float)
        cum = np.cumsum(self.counts)
        h = p * (self.n - 1)
        lo = np.floor(h)
        hi = np.minimum(lo + 1, self.n - 1)

        def at(i: np.ndarray) -> np.ndarray:
            return self.values[np.minimum(np.searchsorted(cum, i, side="right"), len(self.values) - 1)]

        vlo, vhi = at(lo), at(hi)
        return np.asarray(vlo + (h - lo) * (vhi - vlo))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Share of values <= ``x``."""
        cum = np.cumsum(self.counts)
        idx = np.searchsorted(self.values, np.asarray(x, dtype=float), side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0) / max(self.n, 1)


@dataclass
class RowSample:
    """Rows of a bottom-k sample with their keys, and the number of rows seen."""

    rows: pd.DataFrame
    keys: np.ndarray
    seen: int


def bottom_k(frame: pd.DataFrame, k: int, rng: np.random.Generator) -> RowSample:
    """The ``k`` rows of ``frame`` with the smallest keys drawn from ``rng``."""
    keys = rng.random(len(frame))
    if len(frame) > k:
        keep = np.sort(np.argpartition(keys, k - 1)[:k])
        return RowSample(frame.iloc[keep].reset_index(drop=True), keys[keep], len(frame))
    return RowSample(frame.reset_index(drop=True), keys, len(frame))


def merge_samples(a: RowSample, b: RowSample, k: int) -> RowSample:
    """The ``k`` smallest-key rows of two samples."""
    rows = pd.concat([a.rows, b.rows], ignore_index=True)
    keys = np.concatenate([a.keys, b.keys])
    if len(keys) > k:
        keep = np.sort(np.argpartition(keys, k - 1)[:k])
        rows, keys = rows.iloc[keep].reset_index(drop=True), keys[keep]
    return RowSample(rows, keys, a.seen + b.seen)
