"""A cheap fidelity proxy for early stopping (numpy only).

Continuous model columns are cut at the deciles of the reference rows; then the score is the mean of
(a) per-column total-variation complements and (b) per-pair contingency similarities (1 - TV distance
of the joint histogram), on at most ``max_pairs`` pairs. On a few thousand rows it takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...transformers.base import ModelColumn

__all__ = ["FidelityProxy"]


class FidelityProxy:
    """Scores sampled model columns against fixed reference rows; higher is better, 1.0 is perfect."""

    def __init__(
        self,
        reference: Mapping[str, np.ndarray],
        columns: list[ModelColumn],
        rng: np.random.Generator,
        max_pairs: int = 120,
    ) -> None:
        self.columns = columns
        self.edges: list[np.ndarray | None] = []
        self.sizes: list[int] = []
        for col in columns:
            if col.is_discrete:
                self.edges.append(None)
                self.sizes.append(max(col.n_categories, 1))
            else:
                x = np.asarray(reference[col.name], dtype=float)
                edges = np.unique(np.quantile(x, np.linspace(0.1, 0.9, 9)))
                self.edges.append(edges)
                self.sizes.append(len(edges) + 1)
        pairs = [(i, j) for i in range(len(columns)) for j in range(i + 1, len(columns))]
        if len(pairs) > max_pairs:
            pick = rng.choice(len(pairs), max_pairs, replace=False)
            pairs = [pairs[p] for p in sorted(pick)]
        self.pairs = pairs
        self._ref_marg, self._ref_pair = self._histograms(self._codes(reference))

    def _codes(self, data: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        out = []
        for col, edges, k in zip(self.columns, self.edges, self.sizes, strict=True):
            x = np.asarray(data[col.name])
            if edges is None:
                out.append(np.clip(x.astype(np.int64), 0, k - 1))
            else:
                out.append(np.searchsorted(edges, x.astype(float), side="right").astype(np.int64))
        return out

    def _histograms(self, codes: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        n = max(len(codes[0]), 1) if codes else 1
        marg = [np.bincount(c, minlength=k) / n for c, k in zip(codes, self.sizes, strict=True)]
        pair = []
        for i, j in self.pairs:
            kj = self.sizes[j]
            pair.append(np.bincount(codes[i] * kj + codes[j], minlength=self.sizes[i] * kj) / n)
        return marg, pair

    def score(self, sample: Mapping[str, np.ndarray]) -> float:
        if not self.columns:
            return 1.0
        marg, pair = self._histograms(self._codes(sample))
        shapes = np.mean([1 - 0.5 * np.abs(a - b).sum() for a, b in zip(marg, self._ref_marg, strict=True)])
        if not pair:
            return float(shapes)
        trends = np.mean([1 - 0.5 * np.abs(a - b).sum() for a, b in zip(pair, self._ref_pair, strict=True)])
        return float(0.5 * (shapes + trends))
