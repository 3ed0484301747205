"""The conditional vector and training-by-sampling of the conditional GAN (numpy, vectorised).

Training (Xu et al. 2019, section 4.3): pick a discrete column uniformly, a category of it with
probability proportional to log(1 + count), and a real row that has that category; so rare categories
are seen by the generator and the discriminator far more often than their frequency. Sampling: pick
the column uniformly and the category by its real frequency, so the output keeps the real marginals.
Every draw is one fancy index over precomputed arrays: no per-row Python.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CondSampler"]


class CondSampler:
    """Draws (column, category[, row]) triples for the conditional vector.

    ``widths`` are the discrete columns' category counts; ``offsets`` place each column's one-hot in the
    conditional vector of width ``width``. The training arrays exist only on a sampler made by
    :meth:`from_codes`; a loaded model has just the frequencies it samples with.
    """

    counts: np.ndarray
    train_cum: np.ndarray
    starts: np.ndarray
    sorted_rows: np.ndarray
    n_rows: int

    def __init__(self, widths: np.ndarray, true_cum: np.ndarray) -> None:
        self.widths = np.asarray(widths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.widths)[:-1]]).astype(np.int64)
        self.width = int(self.widths.sum())
        self.true_cum = np.asarray(true_cum, dtype=float)

    @property
    def n_columns(self) -> int:
        return len(self.widths)

    @classmethod
    def from_codes(cls, codes: np.ndarray, widths: list[int]) -> CondSampler:
        n, n_cols = codes.shape
        max_w = max(widths) if widths else 1
        counts = np.zeros((n_cols, max_w))
        for j, w in enumerate(widths):
            counts[j, :w] = np.bincount(codes[:, j], minlength=w)[:w]
        true_cum = _cum_rows(counts)
        sampler = cls(np.asarray(widths), true_cum)
        sampler.counts = counts.astype(np.int64)
        sampler.train_cum = _cum_rows(np.log1p(counts))
        sampler.starts = np.concatenate([np.zeros((n_cols, 1)), np.cumsum(counts, axis=1)[:, :-1]], axis=1).astype(
            np.int64
        )
        # row j * n + i of sorted_rows: the i-th training row of column j, ordered by category
        sampler.sorted_rows = np.argsort(codes, axis=0, kind="stable").T.reshape(-1).astype(np.int64)
        sampler.n_rows = n
        return sampler

    def _draw(self, cum: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        col = rng.integers(0, self.n_columns, n)
        c = cum[col]
        cat = (c < rng.random(n)[:, None]).sum(axis=1)
        return col, np.minimum(cat, self.widths[col] - 1)

    def sample_train(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(columns, categories, real rows having them), log-frequency weighted."""
        col, cat = self._draw(self.train_cum, n, rng)
        within = (rng.random(n) * self.counts[col, cat]).astype(np.int64)
        rows = self.sorted_rows[col * self.n_rows + self.starts[col, cat] + within]
        return col, cat, rows

    def sample_original(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(columns, categories) with the categories' real frequencies."""
        return self._draw(self.true_cum, n, rng)

    def positions(self, col: np.ndarray, cat: np.ndarray) -> np.ndarray:
        """Index of the one hot entry in the conditional vector."""
        return self.offsets[col] + cat


def _cum_rows(weights: np.ndarray) -> np.ndarray:
    total = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights / np.where(total > 0, total, 1.0), axis=1)
    cum[:, -1] = 1.0
    return cum
