"""Univariate marginals for the Gaussian copula: empirical quantile grids or fitted scipy families.

A marginal maps data to uniforms (through ranks, done by the copula) and uniforms back to data
(``ppf``). The empirical marginal stores a grid of quantiles (never the raw column) and interpolates
between them; point masses (zero-inflated counts, spikes at 40 hours) survive because neighbouring
quantiles are equal. A parametric family is used only when it fits as well as a fresh sample would:
its one-sample Kolmogorov-Smirnov distance must be under the 5% critical value 1.36/sqrt(n)
(Massey 1951), so "auto" picks empirical on real-world lumpy columns and a smooth family on data that
truly follow it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["FAMILIES", "FIT_ROWS", "Marginal", "choose_marginal", "empirical_marginal", "fit_marginal"]

# scipy families tried for "parametric"/"auto"; location/scale fitted, shape by maximum likelihood
FAMILIES = ("norm", "uniform", "gamma", "lognorm", "beta", "truncnorm")
FIT_ROWS = 2000  # parametric fits on a seeded subsample: MLE on 26k rows costs seconds, not accuracy
# each grid point summarises at least this many rows: a grid as fine as the data would replay it
_ROWS_PER_QUANTILE = 10


class Marginal:
    """One fitted marginal: ``kind`` is ``"empirical"`` or a scipy family name."""

    def __init__(self, kind: str, grid: np.ndarray | None = None, params: tuple[float, ...] = ()) -> None:
        self.kind = kind
        self.grid = grid
        self.params = params

    def ppf(self, u: np.ndarray) -> np.ndarray:
        if self.kind == "empirical":
            assert self.grid is not None
            probs = np.linspace(0.0, 1.0, len(self.grid))
            return np.interp(u, probs, self.grid)
        dist = getattr(stats, self.kind)
        return np.asarray(dist.ppf(np.clip(u, 1e-9, 1 - 1e-9), *self.params), dtype=float)

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"kind": self.kind, "params": list(self.params)}
        if self.grid is not None:
            state["grid"] = self.grid
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Marginal:
        grid = state.get("grid")
        return cls(
            kind=str(state["kind"]),
            grid=None if grid is None else np.asarray(grid, dtype=float),
            params=tuple(float(p) for p in state.get("params", [])),
        )


def empirical_marginal(n: int, n_quantiles: int, quantile: Callable[[np.ndarray], np.ndarray]) -> Marginal:
    """An empirical marginal of ``n`` values from their ``quantile`` function (``np.quantile`` semantics).

    Shared by the in-memory fit (``np.quantile`` of the column) and the distributed fit (a merged sketch).
    """
    # each grid point stands for at least _ROWS_PER_QUANTILE rows: the grid summarises, it does not store
    k = int(max(2, min(n_quantiles, n // _ROWS_PER_QUANTILE + 1)))
    return Marginal("empirical", grid=np.asarray(quantile(np.linspace(0.0, 1.0, k)), dtype=float))


def _empirical(x: np.ndarray, n_quantiles: int) -> Marginal:
    return empirical_marginal(len(x), n_quantiles, lambda p: np.quantile(x, p))


def _fit_family(name: str, x: np.ndarray) -> tuple[float, ...] | None:
    dist = getattr(stats, name)
    lo, hi = float(x.min()), float(x.max())
    span = hi - lo
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            if name == "uniform":
                return (lo, span)
            if name == "norm":
                return (float(x.mean()), float(x.std()) or 1.0)
            if name == "beta":
                return tuple(dist.fit(x, floc=lo - 1e-6 * span, fscale=span * (1 + 2e-6)))
            if name in ("gamma", "lognorm"):
                return tuple(dist.fit(x, floc=lo - 1e-6 * (span or 1.0)))
            if name == "truncnorm":
                mu, sd = float(x.mean()), float(x.std()) or 1.0
                return ((lo - mu) / sd, (hi - mu) / sd, mu, sd)
        except (ValueError, RuntimeError, FloatingPointError):
            return None
    return None


def fit_marginal(x: np.ndarray, mode: str, n_quantiles: int, rng: np.random.Generator) -> Marginal:
    """Fit a marginal to finite values ``x`` with ``mode`` in {"empirical", "parametric", "auto"}."""
    if mode == "empirical" or len(np.unique(x[: min(len(x), 5000)])) < 3:
        return _empirical(x, n_quantiles)
    sub = x if len(x) <= FIT_ROWS else rng.choice(x, FIT_ROWS, replace=False)
    return choose_marginal(sub, mode, len(x), n_quantiles, lambda p: np.quantile(x, p))


def choose_marginal(
    sub: np.ndarray, mode: str, n: int, n_quantiles: int, quantile: Callable[[np.ndarray], np.ndarray]
) -> Marginal:
    """The best scipy family on the subsample ``sub`` (<= 2,000 rows), or the empirical grid of all ``n``
    values (through ``quantile``) when no family fits (``"auto"``: KS over the 5% critical value)."""
    best: tuple[float, str, tuple[float, ...]] | None = None
    for name in FAMILIES:
        params = _fit_family(name, sub)
        if params is None or not np.all(np.isfinite(params)):
            continue
        with np.errstate(all="ignore"):
            ks = float(stats.kstest(sub, getattr(stats, name).cdf, args=params).statistic)
        if np.isfinite(ks) and (best is None or ks < best[0]):
            best = (ks, name, params)
    if best is None or (mode == "auto" and best[0] > 1.36 / np.sqrt(len(sub))):
        return empirical_marginal(n, n_quantiles, quantile)
    return Marginal(best[1], params=best[2])
