"""Where a point sits inside its cell, given the rest of its row (private to the geo transformers).

The cell model (:mod:`._geo_cells`) hands the table generator a cell and an offset ``(dx, dy)``. A
generator learns the cell jointly with the other columns, but the *offset* inside a cell only through
global dependence: in one cell the expensive houses lie to the west (the coast), in the next in a pocket
by the hills. Nearby synthetic points then have less similar values than nearby real ones, which the
spatial autocorrelation (Moran's I) of a value column shows (California housing: 0.63 against 0.71).

:class:`WithinCellPlacement` re-pairs, inside each cell, the generator's synthetic offsets with its
synthetic rows so that rows with alike values sit in the same part of the cell, as strongly as in the real
data. It never moves a point: the offsets of a cell are the generator's own, only *which row gets which
offset* changes, so the spatial density, the region and every distance to a real point stay exactly what
the generator made.

Fitting (``Z``: the other continuous model columns as normal scores through their own quantile grids):

1. **sub-cells**: each cell's offset plane is cut into squares of side 1, 1/2 and 1/4 (offsets are in units
   of the cell's edge length), a three-level hierarchy inside every cell;
2. **row score** ``s = Z . w``: ``w`` is the direction of the features that differs most between the finest
   sub-cells of a cell, relative to its spread inside them (the first discriminant axis, Fisher 1936: the
   leading generalised eigenvector of the pooled between- and within-sub-cell scatter, cell means removed);
   one ``w`` for the whole table;
3. per cell the mean of ``s``, per sub-cell with at least ``min_rows`` rows its count and mean of ``s``;
4. the **intra-sub-cell correlation** of ``s`` at the finest level (one-way ANOVA estimator over sub-cells
   of 2+ rows, cell means removed): how alike the rows of one small area are;
5. per cell the direction ``u_c`` along which the rows' features move the point linearly (ridge regression
   of the offsets on ``Z``, first principal axis of the fitted offsets), used to order offsets that the
   sub-cells cannot tell apart.

At sampling, in each cell: every synthetic offset gets the expected ``s`` of its place, the cell mean
shrunk towards each finer sub-cell's mean in turn (weights ``count / (count + kappa)``); the offsets are
ranked by it (ties by the projection on ``u_c``), the rows by ``s`` plus noise of scale ``sigma``, and the
offsets handed out in that order. ``sigma`` is chosen from a grid so that the synthetic table's
intra-sub-cell correlation of ``s`` is the real one's: rows are made as alike within a small area as in the
real data, not more.

Stored: ``w`` and the features' quantile grids (33 per feature); per cell ``u_c`` and the mean of ``s``; per
sub-cell with at least ``min_rows`` (3) training rows its id, count and mean of ``s``; the correlation. These
are aggregates of at least ``min_rows`` rows, no row is kept (the cell model already keeps cells that hold
at least 20 real points each).

California housing (copula, 80/20, benchmarks/geo.py): Moran's I of ``median_house_value`` 0.633 with no
placement, 0.650 with the linear direction alone (the previous method), 0.673 with the sub-cells, against a
real 0.709 (see docs/generators.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import special

__all__ = ["WithinCellPlacement"]

GRID = 33
MAX_FEATURES = 16


def _scores(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Normal scores of ``x`` through a quantile grid (missing values score 0)."""
    x = np.asarray(x, dtype=float)
    u = np.interp(x, grid, np.linspace(0.0, 1.0, len(grid)))
    u = np.clip(u, 0.5 / GRID, 1 - 0.5 / GRID)
    out = np.asarray(special.ndtri(u))
    out[~np.isfinite(x)] = 0.0
    return out


LEVELS = (1.0, 0.5, 0.25)
"""Sides of the sub-cell squares, in units of the cell's edge length (coarse to fine)."""
SIGMAS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
"""Noise scales tried at sampling (on the standardised row score) to match the real intra-sub-cell correlation."""
_HALF = 1 << 15


def _sub_keys(codes: np.ndarray, dx: np.ndarray, dy: np.ndarray, side: float) -> np.ndarray:
    """One int64 per row naming its cell and its square of side ``side`` inside the cell."""
    ix = np.clip(np.floor(np.nan_to_num(dx) / side), -_HALF + 1, _HALF - 1).astype(np.int64) + _HALF
    iy = np.clip(np.floor(np.nan_to_num(dy) / side), -_HALF + 1, _HALF - 1).astype(np.int64) + _HALF
    return (codes.astype(np.int64) << 32) | (ix << 16) | iy


def _group_means(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unique keys, the index of each row's key, counts and means of ``values`` per key."""
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values, minlength=len(uniq))
    return uniq, inverse, counts, sums / counts


def intra_correlation(codes: np.ndarray, keys: np.ndarray, s: np.ndarray) -> float:
    """One-way ANOVA estimate of the correlation of ``s`` between rows of the same sub-cell (``keys``), after
    removing each cell's mean; sub-cells of one row are left out. NaN when no sub-cell has two rows."""
    _, cell_of, _, cell_mean = _group_means(codes, s)
    r = s - cell_mean[cell_of]
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    keep = counts[inverse] >= 2
    if keep.sum() < 4:
        return float("nan")
    _, inv, n_k, mean_k = _group_means(keys[keep], r[keep])
    n, k = int(keep.sum()), len(n_k)
    if n <= k or k < 2:
        return float("nan")
    msw = float(((r[keep] - mean_k[inv]) ** 2).sum()) / (n - k)
    msb = float((n_k * (mean_k - r[keep].mean()) ** 2).sum()) / (k - 1)
    n0 = (n - float((n_k**2).sum()) / n) / (k - 1)
    denom = msb + (n0 - 1.0) * msw
    return (msb - msw) / denom if denom > 0 else float("nan")


class WithinCellPlacement:
    """Re-pairs each cell's synthetic offsets with its rows so that alike rows share small areas (see above)."""

    def __init__(self, *, min_rows: int = 3, ridge: float = 5.0, kappa: float = 2.0) -> None:
        self.min_rows = min_rows
        self.ridge = ridge
        self.kappa = kappa

    def fit(
        self,
        codes: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        features: Mapping[str, np.ndarray],
        n_cells: int,
    ) -> WithinCellPlacement:
        names = list(features)[:MAX_FEATURES]
        self.features_ = names
        k = len(names)
        self.grids_ = np.zeros((k, GRID))
        for i, name in enumerate(names):
            x = np.asarray(features[name], dtype=float)
            finite = x[np.isfinite(x)]
            self.grids_[i] = np.quantile(finite, np.linspace(0, 1, GRID)) if len(finite) else np.linspace(0, 1, GRID)
        self.direction_ = np.zeros((n_cells, 2))
        self.score_weights_ = np.zeros(k)
        self.cell_means_ = np.zeros(n_cells)
        self.sub_keys_ = [np.zeros(0, dtype=np.int64) for _ in LEVELS]
        self.sub_counts_ = [np.zeros(0) for _ in LEVELS]
        self.sub_means_ = [np.zeros(0) for _ in LEVELS]
        self.correlation_ = 0.0
        if k == 0 or len(codes) == 0:
            return self
        codes = np.asarray(codes, dtype=np.int64)
        dx, dy = np.asarray(dx, dtype=float), np.asarray(dy, dtype=float)
        z = self._matrix(features)
        self._fit_directions(codes, dx, dy, z, n_cells)
        fine = _sub_keys(codes, dx, dy, LEVELS[-1])
        w = self._discriminant(codes, fine, z)
        if w is None:
            return self
        s = z @ w
        cells, _, _, cell_mean = _group_means(codes, s)
        self.cell_means_[cells] = cell_mean
        for i, side in enumerate(LEVELS):
            keys, _, counts, means = _group_means(_sub_keys(codes, dx, dy, side), s)
            big = counts >= self.min_rows
            self.sub_keys_[i], self.sub_means_[i] = keys[big], means[big]
            self.sub_counts_[i] = counts[big].astype(float)
        rho = intra_correlation(codes, fine, s)
        if np.isfinite(rho) and rho > 0.02:  # no alike small areas: leave the generator's pairing alone
            self.score_weights_, self.correlation_ = w, float(rho)
        return self

    def _fit_directions(self, codes: np.ndarray, dx: np.ndarray, dy: np.ndarray, z: np.ndarray, n_cells: int) -> None:
        """Per cell, the axis along which the row's features move the point (ridge regression of the offsets
        on ``Z``, penalty ``ridge`` times the cell's mean feature variance; first principal axis of the fit)."""
        k = z.shape[1]
        offsets = np.column_stack([dx, dy])
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_cells + 1))
        eye = self.ridge * np.eye(k)
        for c in range(n_cells):
            rows = order[bounds[c] : bounds[c + 1]]
            n = len(rows)
            if n < max(10, k + 3):
                continue
            zc = z[rows] - z[rows].mean(axis=0)
            oc = offsets[rows] - offsets[rows].mean(axis=0)
            gram = zc.T @ zc
            gram = gram + eye * (np.trace(gram) / (k * n))
            fitted = zc @ np.linalg.solve(gram, zc.T @ oc)
            if fitted.var() > 1e-12:
                self.direction_[c] = np.linalg.svd(fitted, full_matrices=False)[2][0]

    @staticmethod
    def _discriminant(codes: np.ndarray, fine: np.ndarray, z: np.ndarray) -> np.ndarray | None:
        """The first discriminant axis of the features between the finest sub-cells, cell means removed."""
        from scipy import linalg

        _, cell_of, _, _ = _group_means(codes, np.zeros(len(codes)))
        cell_mean = np.zeros((cell_of.max() + 1, z.shape[1]))
        np.add.at(cell_mean, cell_of, z)
        cell_mean /= np.bincount(cell_of)[:, None]
        _, sub_of, sub_n, _ = _group_means(fine, np.zeros(len(fine)))
        sub_mean = np.zeros((len(sub_n), z.shape[1]))
        np.add.at(sub_mean, sub_of, z)
        sub_mean /= sub_n[:, None]
        between = sub_mean[sub_of] - cell_mean[cell_of]
        within = z - sub_mean[sub_of]
        b, w = between.T @ between, within.T @ within
        if not np.isfinite(b).all() or np.trace(w) <= 0:
            return None
        w = w + 1e-6 * np.trace(w) / len(w) * np.eye(len(w))
        vecs = linalg.eigh(b, w)[1]
        axis = vecs[:, -1] / np.linalg.norm(vecs[:, -1])
        if axis[np.argmax(np.abs(axis))] < 0:
            axis = -axis
        return np.asarray(axis)

    def _matrix(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.column_stack([_scores(features[n], self.grids_[i]) for i, n in enumerate(self.features_)])

    def place_scores(self, codes: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """The expected row score at each offset: the cell mean shrunk towards each finer sub-cell's mean."""
        m = self.cell_means_[codes].copy()
        for i, side in enumerate(LEVELS):
            keys = self.sub_keys_[i]
            if len(keys) == 0:
                continue
            want = _sub_keys(codes, dx, dy, side)
            at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
            hit = keys[at] == want
            n, mean = self.sub_counts_[i][at[hit]], self.sub_means_[i][at[hit]]
            m[hit] = (n * mean + self.kappa * m[hit]) / (n + self.kappa)
        return m

    def apply(
        self,
        codes: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        features: Mapping[str, np.ndarray],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The offsets re-paired with the rows inside each cell (see the module docstring)."""
        dx, dy = np.array(dx, dtype=float), np.array(dy, dtype=float)
        if not self.features_ or self.correlation_ <= 0:
            return dx, dy
        codes = np.clip(np.asarray(codes, dtype=np.int64), 0, len(self.cell_means_) - 1)
        s = self._matrix(features) @ self.score_weights_
        noise = rng.standard_normal(len(codes))
        order = np.argsort(codes, kind="stable")
        starts = np.unique(codes[order], return_index=True)[1]
        ends = np.append(starts[1:], len(order))
        groups = [order[lo:hi] for lo, hi in zip(starts, ends, strict=True) if hi - lo >= 2]
        fine = _sub_keys(codes, dx, dy, LEVELS[-1])  # re-pairing moves no offset: the areas stay put
        place = self.place_scores(codes, dx, dy)
        tie = dx * self.direction_[codes, 0] + dy * self.direction_[codes, 1]
        placed = [rows[np.lexsort((tie[rows], place[rows]))] for rows in groups]
        standard = []
        for rows in groups:
            sd = s[rows].std()
            standard.append((s[rows] - s[rows].mean()) / sd if sd > 0 else np.zeros(len(rows)))

        def pairing(sigma: float) -> tuple[float, np.ndarray]:
            to = np.arange(len(codes))  # row i gets the offset of row to[i]
            for rows, spots, st in zip(groups, placed, standard, strict=True):
                to[rows[np.argsort(st + sigma * noise[rows], kind="stable")]] = spots
            return intra_correlation(codes, fine[to], s), to

        # the correlation falls as sigma grows: scan the grid, then interpolate between the two scales that
        # bracket the real correlation and keep whichever pairing comes closest
        tried = [(sigma, *pairing(sigma)) for sigma in SIGMAS]
        for (lo, r_lo, _), (hi, r_hi, _) in itertools.pairwise(tried):
            if np.isfinite(r_lo) and np.isfinite(r_hi) and r_lo >= self.correlation_ > r_hi:
                mid = lo + (hi - lo) * (r_lo - self.correlation_) / (r_lo - r_hi)
                tried.append((mid, *pairing(mid)))
                break
        finite = [t for t in tried if np.isfinite(t[1])] or tried[:1]
        best = min(finite, key=lambda t: abs(t[1] - self.correlation_))
        return dx[best[2]], dy[best[2]]

    def get_state(self) -> dict[str, Any]:
        return {
            "min_rows": self.min_rows,
            "ridge": self.ridge,
            "kappa": self.kappa,
            "features": list(self.features_),
            "grids": self.grids_,
            "direction": self.direction_,
            "score_weights": self.score_weights_,
            "cell_means": self.cell_means_,
            "correlation": self.correlation_,
            **{f"sub_keys_{i}": self.sub_keys_[i] for i in range(len(LEVELS))},
            **{f"sub_counts_{i}": self.sub_counts_[i] for i in range(len(LEVELS))},
            **{f"sub_means_{i}": self.sub_means_[i] for i in range(len(LEVELS))},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> WithinCellPlacement:
        self = cls(min_rows=int(state["min_rows"]), ridge=float(state["ridge"]), kappa=float(state["kappa"]))
        self.features_ = [str(f) for f in state["features"]]
        self.grids_ = np.asarray(state["grids"], dtype=float).reshape(len(self.features_), GRID)
        self.direction_ = np.asarray(state["direction"], dtype=float).reshape(-1, 2)
        self.score_weights_ = np.asarray(state["score_weights"], dtype=float).reshape(len(self.features_))
        self.cell_means_ = np.asarray(state["cell_means"], dtype=float)
        self.correlation_ = float(state["correlation"])
        self.sub_keys_ = [np.asarray(state[f"sub_keys_{i}"], dtype=np.int64) for i in range(len(LEVELS))]
        self.sub_counts_ = [np.asarray(state[f"sub_counts_{i}"], dtype=float) for i in range(len(LEVELS))]
        self.sub_means_ = [np.asarray(state[f"sub_means_{i}"], dtype=float) for i in range(len(LEVELS))]
        return self

    @staticmethod
    def companions(names: Sequence[str], own: Sequence[str]) -> list[str]:
        """The continuous model columns a placement is learned from: every one but the geo model's own."""
        return [n for n in names if n not in own][:MAX_FEATURES]
