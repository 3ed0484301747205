"""Graphical-model machinery shared by the marginal-based DP generators (MST, AIM).

Estimation (fit time only) uses ``mbi`` (private-pgm, by the methods' author), which brings JAX: noisy
marginal measurements in, a Markov random field out, by mirror descent over the marginal polytope
(McKenna, Sheldon & Miklau 2019). We then keep only what sampling needs, as numpy arrays: the junction
tree's maximal cliques, their marginal tables and a sampling order. Sampling and loading need no JAX, and
a saved model is plain arrays (no pickle).

Inputs here are integer code matrices (``n x d``, column ``j`` in ``0 .. sizes[j]-1``); the discretisation
of the user's columns lives in :mod:`simulacra.generators.statistical._discretize`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._optional import require

__all__ = ["JunctionModel", "Measurement", "count_marginal", "estimate", "load_mbi"]

Clique = tuple[int, ...]


def load_mbi() -> Any:
    """Import ``mbi`` with JAX in float64 (mbi's advice for large tables) and its import warnings muted."""
    jax = require("jax", extra="dp", purpose="the marginal-based DP generators (mst, aim)")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return require("mbi", extra="dp", purpose="the marginal-based DP generators (mst, aim)")


def _attr(j: int) -> str:
    return f"c{j}"


def count_marginal(codes: np.ndarray, sizes: Sequence[int], clique: Clique) -> np.ndarray:
    """The histogram (flattened, C order) of ``codes`` over the columns in ``clique``."""
    shape = tuple(int(sizes[j]) for j in clique)
    flat = np.ravel_multi_index(tuple(codes[:, j] for j in clique), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).astype(np.float64)


@dataclass
class Measurement:
    """A noisy histogram ``y`` of the columns in ``clique`` (flattened), with Gaussian noise ``sigma``.

    ``weights`` (optional) scales each cell's query: used when a merged cell holds the sum of several
    original cells, measured as ``sum / sqrt(k)`` so its noise stays ``sigma``.
    """

    clique: Clique
    y: np.ndarray
    sigma: float
    weights: np.ndarray | None = None


def estimate(
    sizes: Sequence[int],
    measurements: Sequence[Measurement],
    *,
    iters: int,
    warm_start: Any = None,
) -> Any:
    """Fit a graphical model to the measurements (mbi mirror descent); returns mbi's model."""
    mbi = load_mbi()
    domain = mbi.Domain([_attr(j) for j in range(len(sizes))], [int(s) for s in sizes])
    lms = []
    for m in measurements:
        clique = tuple(_attr(j) for j in m.clique)
        if m.weights is None:
            lms.append(mbi.LinearMeasurement(np.asarray(m.y, dtype=np.float64), clique, stddev=float(m.sigma)))
        else:
            query = mbi.WeightedQuery(np.asarray(m.weights, dtype=np.float64))
            lms.append(
                mbi.LinearMeasurement(np.asarray(m.y, dtype=np.float64), clique, stddev=float(m.sigma), query=query)
            )
    estimator = mbi.estimation.MirrorDescent()
    return estimator.estimate(domain, lms, iters=iters, warm_start=warm_start)


class JunctionModel:
    """A fitted model reduced to numpy: maximal cliques, their marginal tables (counts) and an order.

    ``tables[i]`` has one axis per column of ``cliques[i]``, in that order.
    """

    def __init__(self, sizes: Sequence[int], cliques: list[Clique], tables: list[np.ndarray], order: list[int]):
        self.sizes = [int(s) for s in sizes]
        self.cliques = cliques
        self.tables = tables
        self.order = order

    @classmethod
    def from_mbi(cls, model: Any, sizes: Sequence[int]) -> JunctionModel:
        mbi = load_mbi()
        from mbi import junction_tree, marginal_oracles

        domain = model.domain
        jtree, elimination = junction_tree.make_junction_tree(domain, [tuple(c) for c in model.cliques])
        nodes = list(jtree.nodes)
        potentials = model.potentials.expand(nodes)
        marginals = marginal_oracles.message_passing_stable(potentials, model.total)
        cliques: list[Clique] = []
        tables: list[np.ndarray] = []
        for node in nodes:
            cliques.append(tuple(int(a[1:]) for a in node))
            tables.append(np.maximum(np.asarray(marginals.project(node).datavector(flatten=False)), 0.0))
        order = [int(a[1:]) for a in elimination[::-1]]
        missing = sorted(set(range(len(sizes))) - set(order))
        del mbi
        return cls(sizes, cliques, tables, order + missing)

    def project(self, clique: Clique) -> np.ndarray | None:
        """Counts over ``clique`` (axes in that order) if one maximal clique holds it, else ``None``."""
        want = set(clique)
        for cl, table in zip(self.cliques, self.tables, strict=True):
            if want <= set(cl):
                drop = tuple(i for i, c in enumerate(cl) if c not in want)
                summed = table.sum(axis=drop) if drop else table
                kept = [c for c in cl if c in want]
                return np.transpose(summed, [kept.index(c) for c in clique])
        if len(clique) == 1:
            return np.full(self.sizes[clique[0]], self.total / self.sizes[clique[0]])
        return None

    @property
    def total(self) -> float:
        return float(self.tables[0].sum()) if self.tables else 1.0

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` rows of codes drawn column by column from the model's conditionals."""
        out = np.zeros((n, len(self.sizes)), dtype=np.int64)
        used: list[int] = []
        for col in self.order:
            holders = [set(cl) for cl in self.cliques if col in cl]
            near = set().union(*holders) if holders else set()
            parents = tuple(c for c in used if c in near)
            table = self.project((*parents, col))
            while table is None:  # cannot happen for a junction-tree order; drop the latest parent to be safe
                parents = parents[:-1]
                table = self.project((*parents, col))
            k = self.sizes[col]
            cond = table.reshape(-1, k)
            row_sum = cond.sum(axis=1, keepdims=True)
            cond = np.where(row_sum > 0, cond / np.where(row_sum > 0, row_sum, 1.0), 1.0 / k)
            cdf = np.cumsum(cond, axis=1)
            cdf[:, -1] = 1.0
            if parents:
                idx = np.ravel_multi_index(tuple(out[:, p] for p in parents), tuple(self.sizes[p] for p in parents))
            else:
                idx = np.zeros(n, dtype=np.int64)
            u = rng.random(n)
            pick = np.empty(n, dtype=np.int64)
            step = max(1, 2_000_000 // max(k, 1))
            for s in range(0, n, step):
                e = min(n, s + step)
                pick[s:e] = (u[s:e, None] >= cdf[idx[s:e]]).sum(axis=1)
            out[:, col] = np.minimum(pick, k - 1)
            used.append(col)
        return out

    def get_state(self) -> dict[str, Any]:
        return {
            "sizes": self.sizes,
            "cliques": [list(c) for c in self.cliques],
            "order": self.order,
            "tables": [np.asarray(t, dtype=np.float64) for t in self.tables],
        }

    @classmethod
    def from_state(cls, state: Any) -> JunctionModel:
        cliques = [tuple(int(c) for c in cl) for cl in state["cliques"]]
        tables = [np.asarray(t, dtype=np.float64) for t in state["tables"]]
        sizes = [int(s) for s in state["sizes"]]
        for cl, t in zip(cliques, tables, strict=True):
            if tuple(t.shape) != tuple(sizes[c] for c in cl):
                raise ValueError(f"marginal table of clique {list(cl)} has shape {t.shape}")
        return cls(sizes, cliques, tables, [int(o) for o in state["order"]])
