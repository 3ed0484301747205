"""Where a point sits inside its cell, given the rest of its row (private to the geo transformers).

The cell model (:mod:`._geo_cells`) hands the table generator a cell and an offset ``(dx, dy)``. A
generator learns the cell jointly with the other columns, but the *offset* inside a cell only through
global dependence: in one cell the expensive houses lie to the west (the coast), in the next to the north
(the hills). Nearby synthetic points then have less similar values than nearby real ones, which the
spatial autocorrelation (Moran's I) of a value column shows (California housing: 0.65 against 0.71).

:class:`WithinCellPlacement` learns, per cell, the direction in which the row's other columns move the
point, and at sampling re-pairs the synthetic offsets of each cell with its synthetic rows along that
direction. It never moves a point: the offsets of a cell are the generator's own, only *which row gets
which offset* changes, so the spatial density, the region and every distance to a real point stay exactly
what the generator made; only the relation between place and value inside a cell is restored.

Per cell ``c`` with at least ``min_rows`` training rows (``Z``: the other continuous model columns as normal
scores through their own quantile grids, ``o``: the offsets; both centred in the cell):

1. ridge regression of ``o`` on ``Z`` (penalty ``ridge`` times the mean variance of the cell's features: the
   same shrinkage whatever the features' spread in the cell); ``u_c``: the first principal axis of its
   fitted offsets, the direction along which the row's values move the point;
2. ridge regression of the projection ``p = o . u_c`` on ``Z``: weights ``w_c``, and the strength
   ``r_c``, the square root of the adjusted R^2 (in-sample R^2 corrected for the ``K`` features; 0 when
   no better than chance).

At sampling, in each cell: the key ``r_c * s + sqrt(1 - r_c^2) * e`` (``s``: the standardised
``(Z - mu_c) . w_c`` of the synthetic rows, ``e``: standard normal noise) ranks the rows, and the cell's
offsets sorted by their projection on ``u_c`` are handed out in that order, so the rank correlation between
key and place is about ``r_c``, as in the training data.

Stored per cell: ``u_c`` (2 numbers), ``w_c`` and the cell means ``mu_c`` of the ``K`` feature scores,
``r_c``; per feature a grid of 33 quantiles. These are aggregates over at least ``min_rows`` rows; no row
is kept. (The cell model already keeps the cells, which hold at least 20 real points each.)
"""

from __future__ import annotations

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


class WithinCellPlacement:
    """Per-cell direction of value within a cell, and the re-pairing of synthetic offsets along it."""

    def __init__(self, *, min_rows: int = 10, ridge: float = 5.0) -> None:
        self.min_rows = min_rows
        self.ridge = ridge

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
        self.weights_ = np.zeros((n_cells, k))
        self.means_ = np.zeros((n_cells, k))
        self.strength_ = np.zeros(n_cells)
        if k == 0:
            return self
        z = self._matrix(features)
        offsets = np.column_stack([dx, dy]).astype(float)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(n_cells + 1))
        eye = self.ridge * np.eye(k)
        for c in range(n_cells):
            rows = order[bounds[c] : bounds[c + 1]]
            n = len(rows)
            if n < max(self.min_rows, k + 3):
                continue
            mean = z[rows].mean(axis=0)
            zc = z[rows] - mean
            oc = offsets[rows] - offsets[rows].mean(axis=0)
            gram = zc.T @ zc
            gram = gram + eye * (np.trace(gram) / (k * n))  # ridge in units of the cell's mean feature variance
            fitted = zc @ np.linalg.solve(gram, zc.T @ oc)
            if fitted.var() < 1e-12:
                continue
            u = np.linalg.svd(fitted, full_matrices=False)[2][0]
            p = oc @ u
            w = np.linalg.solve(gram, zc.T @ p)
            resid = p - zc @ w
            r2 = 1.0 - float(resid @ resid) / max(float(p @ p), 1e-12)
            r2_adj = 1.0 - (1.0 - r2) * (n - 1) / (n - k - 1)
            if r2_adj <= 0:
                continue
            self.direction_[c] = u
            self.weights_[c] = w
            self.means_[c] = mean
            self.strength_[c] = min(float(np.sqrt(r2_adj)), 1.0)
        return self

    def _matrix(self, features: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.column_stack([_scores(features[n], self.grids_[i]) for i, n in enumerate(self.features_)])

    def apply(
        self,
        codes: np.ndarray,
        dx: np.ndarray,
        dy: np.ndarray,
        features: Mapping[str, np.ndarray],
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The offsets re-paired with the rows inside each cell (see the module docstring)."""
        if not self.features_ or not self.strength_.any():
            return dx, dy
        z = self._matrix(features)
        out_x, out_y = np.array(dx, dtype=float), np.array(dy, dtype=float)
        codes = np.clip(np.asarray(codes, dtype=np.int64), 0, len(self.strength_) - 1)
        noise = rng.standard_normal(len(codes))
        order = np.argsort(codes, kind="stable")
        cells, starts = np.unique(codes[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        for c, lo, hi in zip(cells, starts, ends, strict=True):
            r = self.strength_[c]
            if r <= 0 or hi - lo < 2:
                continue
            rows = order[lo:hi]
            s = (z[rows] - self.means_[c]) @ self.weights_[c]
            sd = s.std()
            s = (s - s.mean()) / sd if sd > 0 else np.zeros(len(rows))
            key = r * s + np.sqrt(1.0 - r * r) * noise[rows]
            place = np.argsort(out_x[rows] * self.direction_[c, 0] + out_y[rows] * self.direction_[c, 1], kind="stable")
            ranked = rows[np.argsort(key, kind="stable")]
            new_x, new_y = out_x[rows[place]], out_y[rows[place]]
            out_x[ranked], out_y[ranked] = new_x, new_y
        return out_x, out_y

    def get_state(self) -> dict[str, Any]:
        return {
            "min_rows": self.min_rows,
            "ridge": self.ridge,
            "features": list(self.features_),
            "grids": self.grids_,
            "direction": self.direction_,
            "weights": self.weights_,
            "means": self.means_,
            "strength": self.strength_,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> WithinCellPlacement:
        self = cls(min_rows=int(state["min_rows"]), ridge=float(state["ridge"]))
        self.features_ = [str(f) for f in state["features"]]
        self.grids_ = np.asarray(state["grids"], dtype=float).reshape(len(self.features_), GRID)
        self.direction_ = np.asarray(state["direction"], dtype=float)
        self.weights_ = np.asarray(state["weights"], dtype=float).reshape(len(self.direction_), len(self.features_))
        self.means_ = np.asarray(state["means"], dtype=float).reshape(self.weights_.shape)
        self.strength_ = np.asarray(state["strength"], dtype=float)
        return self

    @staticmethod
    def companions(names: Sequence[str], own: Sequence[str]) -> list[str]:
        """The continuous model columns a placement is learned from: every one but the geo model's own."""
        return [n for n in names if n not in own][:MAX_FEATURES]
