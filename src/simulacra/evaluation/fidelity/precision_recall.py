"""Alpha-precision and beta-recall (Alaa et al., ICML 2022, "How faithful is your synthetic data?").

Alpha-precision asks whether synthetic rows fall where real rows are typical: for each level alpha,
the share of synthetic rows inside the ball around the real centre that holds a share alpha of the
real rows should be alpha. Beta-recall asks whether the synthetic rows cover the real ones: for each
level beta, the share of real rows whose nearest synthetic row is closer than their nearest other real
row and lies inside the beta-quantile ball around the synthetic centre should be beta. Both are
integrated over 30 levels in [0, 1] as the paper's IPα / IRβ, ``1 - sum |level - curve| / sum level``
(synthcity's ``delta_precision_alpha`` / ``delta_coverage_beta``).

Simplification, stated on purpose: the paper (and synthcity's default ``_OC`` variant) first maps
rows through a trained one-class network (Deep SVDD) and measures distances in its embedding. Here
rows are embedded by :func:`simulacra.evaluation._encode.encode_mixed` (numbers min-max scaled on the
real table, categories one-hot / sqrt 2, missing an indicator) and the centre is the real mean: the
"naive" variant of synthcity that TabSyn reports. One refinement: a distance equal to a level's radius
counts for the share of the boundary mass that the level needs, so identical discrete tables score 1
(with ``<=``, ties make a one-column categorical table score 0.3 against itself); without ties this is
the published rule. Both sides are subsampled to the same size (at most
``max_rows``, seeded), since nearest-neighbour distances depend on it. The reference uses the holdout
in place of the synthetic table, on a real subsample of the same size.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from ...progress import ProgressCallback
from ...schema import TableSchema
from .._encode import encode_mixed
from ..base import Goal, Metric, MetricResult
from ._common import check_tables, sample_rows, usable_columns

__all__ = ["AlphaPrecision", "BetaRecall", "alpha_beta_curves"]

LEVELS = np.linspace(0.0, 1.0, 30)


def _inside(reference: np.ndarray, tested: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Per level, the share of ``tested`` (where ``keep``) inside the level-quantile radius of ``reference``.

    A distance equal to the radius counts for the part of the boundary mass that the level still needs
    in ``reference``, so tied (discrete) distances give the same curve as continuous ones; without ties
    this is the paper's ``tested <= radius``.
    """
    keep = np.ones(len(tested), dtype=bool) if keep is None else keep
    curve = []
    for level, radius in zip(LEVELS, np.quantile(reference, LEVELS), strict=True):
        below, at = np.mean(reference < radius), np.mean(reference == radius)
        inside = np.mean(keep & (tested < radius))
        on_edge = np.mean(keep & (tested == radius))
        if at > 0:
            curve.append(inside + on_edge * min(1.0, max(0.0, (level - below) / at)))
        else:
            curve.append(inside + on_edge)
    return np.array(curve)


def alpha_beta_curves(real: np.ndarray, synthetic: np.ndarray) -> dict[str, Any]:
    """IPα, IRβ, their curves and authenticity for two embedded samples of the same size."""
    center = real.mean(axis=0)
    precision_curve = _inside(np.linalg.norm(real - center, axis=1), np.linalg.norm(synthetic - center, axis=1))

    real_to_real = NearestNeighbors(n_neighbors=2).fit(real).kneighbors(real)[0][:, 1]
    dist, idx = NearestNeighbors(n_neighbors=1).fit(synthetic).kneighbors(real)
    real_to_syn, nearest = dist[:, 0], idx[:, 0]
    syn_center = synthetic.mean(axis=0)
    closest_to_syn_center = np.linalg.norm(synthetic[nearest] - syn_center, axis=1)
    covered = real_to_syn <= real_to_real
    recall_curve = _inside(closest_to_syn_center, closest_to_syn_center, covered)

    total = LEVELS.sum()
    return {
        "alpha_precision": float(1.0 - np.abs(LEVELS - precision_curve).sum() / total),
        "beta_recall": float(1.0 - np.abs(LEVELS - recall_curve).sum() / total),
        "precision_curve": precision_curve,
        "recall_curve": recall_curve,
        "authenticity": float(np.mean(real_to_real[nearest] < real_to_syn)),
    }


def _compare(
    real: pd.DataFrame, other: pd.DataFrame, schema: TableSchema, max_rows: int, random_state: int
) -> dict[str, Any]:
    rng = np.random.default_rng(random_state)
    n = min(max_rows, len(real), len(other))
    a, b = sample_rows(real, n, rng), sample_rows(other, n, rng)
    if n < 3:
        nan = float("nan")
        return {"alpha_precision": nan, "beta_recall": nan, "precision_curve": [], "recall_curve": [], "n": n}
    xa, xb = encode_mixed([a, b], schema, fit_on=0)
    out = alpha_beta_curves(xa, xb)
    out["n"] = n
    return out


class _AlphaBeta(Metric):
    which: ClassVar[str]
    curve: ClassVar[str]
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0

    def __init__(self, *, max_rows: int = 5_000) -> None:
        self.max_rows = max_rows

    def compute(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        schema: TableSchema,
        *,
        holdout: pd.DataFrame | None = None,
        target: str | None = None,
        random_state: int = 0,
        progress: ProgressCallback | None = None,
    ) -> MetricResult:
        check_tables(real, synthetic, schema, holdout)
        _, skipped = usable_columns(schema, [real, synthetic])
        main = _compare(real, synthetic, schema, self.max_rows, random_state)
        ref = None if holdout is None else _compare(real, holdout, schema, self.max_rows, random_state)
        details: dict[str, Any] = {
            "levels": [round(float(v), 6) for v in LEVELS],
            "curve": [round(float(v), 6) for v in main[self.curve]],
            "reference_curve": None if ref is None else [round(float(v), 6) for v in ref[self.curve]],
            "rows_per_side": main["n"],
            "embedding": "encode_mixed (min-max numbers, one-hot/sqrt(2) categories), centre = real mean",
        }
        if self.which == "alpha_precision" and "authenticity" in main:
            details["authenticity"] = round(main["authenticity"], 6)
            details["reference_authenticity"] = None if ref is None else round(ref["authenticity"], 6)
        # encode_mixed skips identifier/PII/text columns; columns missing on one side still enter as indicators
        skipped = {k: v for k, v in skipped.items() if "every value is missing" not in v}
        return self.result(
            main[self.which],
            reference=None if ref is None else ref[self.which],
            details=details,
            not_evaluated=skipped,
        )


class AlphaPrecision(_AlphaBeta):
    """Integrated alpha-precision IPα: do synthetic rows lie where real rows are typical? 1 is best."""

    key = "fidelity.alpha_precision"
    name = "Alpha-precision"
    which = "alpha_precision"
    curve = "precision_curve"
    description = (
        "Integrated alpha-precision (Alaa et al., 2022): for each level alpha, the share of synthetic rows inside "
        "the smallest ball around the real centre that holds a share alpha of real rows should be alpha; 1 - mean "
        "deviation over 30 levels. 1 means synthetic rows are as typical as real ones. Distances on the mixed "
        "encoding (not the paper's one-class network)."
    )


class BetaRecall(_AlphaBeta):
    """Integrated beta-recall IRβ: do synthetic rows cover the variety of the real rows? 1 is best."""

    key = "fidelity.beta_recall"
    name = "Beta-recall"
    which = "beta_recall"
    curve = "recall_curve"
    description = (
        "Integrated beta-recall (Alaa et al., 2022): for each level beta, the share of real rows that have a "
        "synthetic row closer than their nearest real neighbour, within the synthetic beta-ball, should be beta; "
        "1 - mean deviation over 30 levels. Low values mean the synthetic data miss parts of the real data. "
        "Distances on the mixed encoding (not the paper's one-class network)."
    )
