"""Distance to closest record: DCR share (train vs holdout) and the nearest-neighbour distance ratio.

Distances are Euclidean on the documented mixed encoding (:func:`simulacra.evaluation._encode.encode_mixed`
fitted on the training table: numbers min-max scaled, a category mismatch adds 1 to the squared distance).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..._random import check_random_state
from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import TIE_TOL, Z95, check_inputs, distance_summary, encode, nearest, subsample, wilson

__all__ = ["NNDR", "DCRShare"]

MAX_ROWS = 10_000
"""Default cap on the synthetic (and holdout) rows whose nearest neighbours are searched; a seeded random
subset is used above it. 10,000 rows give the share a standard error under 0.005, and keep Adult-sized
tables (26k train, 110 encoded dimensions) at a few seconds on two cores."""


class DCRShare(Metric):
    """Share of synthetic rows whose closest real record is a training record rather than a holdout one.

    For each synthetic row the nearest row of ``train ∪ holdout`` is found; the score is the share for
    which it lies in ``train`` (a tie counts 1/2). A generator that copies no one places its rows as a
    fresh real sample would, so the ideal (the reference) is ``|train| / (|train| + |holdout|)``:
    0.80 for an 80/20 split; a copy of the training table scores 1.0 (less half the share of rows with
    an exact twin in the holdout). The 95% interval is Wilson's. ``details`` holds the distance
    distributions (quantiles and histograms) synthetic→train, synthetic→holdout and holdout→train.

    Parameters
    ----------
    max_rows : cap on the synthetic rows (and on the holdout rows used for the holdout→train
        distribution), subsampled with ``random_state``; ``None`` uses every row.

    Example
    -------
    >>> DCRShare().compute(train, synthetic, schema, holdout=holdout).score  # doctest: +SKIP
    0.804
    """

    key = "privacy.dcr_share"
    name = "DCR share (closer to train than to holdout)"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "Share of synthetic rows whose nearest real row is in the training set (ties 1/2); "
        "reference: |train|/(|train|+|holdout|), what a fresh real sample scores."
    )

    def __init__(self, *, max_rows: int | None = MAX_ROWS) -> None:
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
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        rng = check_random_state(random_state)
        syn_idx = subsample(len(synthetic), self.max_rows, rng)
        hold_idx = subsample(len(holdout), self.max_rows, rng)
        x_train, x_hold, x_syn = encode([real, holdout, synthetic.iloc[syn_idx]], specs)
        if progress is not None:
            progress.start(self.key, 3)
        d_st = nearest(x_syn, x_train)[0][:, 0]
        _advance(progress, self.key)
        d_sh = nearest(x_syn, x_hold)[0][:, 0]
        _advance(progress, self.key)
        d_ht = nearest(x_hold[hold_idx], x_train)[0][:, 0]
        if progress is not None:
            progress.end(self.key)
        tie = np.abs(d_st - d_sh) <= TIE_TOL
        closer = np.where(tie, 0.5, (d_st < d_sh).astype(float))
        n = len(closer)
        share = float(closer.mean())
        ideal = len(real) / (len(real) + len(holdout))
        details = {
            "ideal": ideal,
            "n_synthetic_scored": n,
            "n_synthetic": len(synthetic),
            "n_train": len(real),
            "n_holdout": len(holdout),
            "share_ties": float(tie.mean()),
            "median_dcr_synthetic_train": float(np.median(d_st)),
            "median_dcr_holdout_train": float(np.median(d_ht)),
            "distances": distance_summary({"synthetic_train": d_st, "synthetic_holdout": d_sh, "holdout_train": d_ht}),
        }
        return self.result(share, reference=ideal, ci=wilson(share * n, n), details=details, not_evaluated=skipped)


class NNDR(Metric):
    """Nearest-neighbour distance ratio: distance to the closest training row over distance to the second.

    A ratio near 0 means a synthetic row sits on one training record and far from all others (an outlier
    reproduced); a ratio near 1 means it sits among several. The score is the ``quantile`` (default 5th
    percentile) of the synthetic rows' ratios; the reference is the same quantile for the holdout rows
    (what fresh real records show). A row at distance 0 from two training rows (a duplicated record) has
    ratio 1. The 95% interval is the distribution-free order-statistic interval of the quantile.

    Parameters
    ----------
    quantile : which quantile of the ratios is the score.
    max_rows : cap on the synthetic and holdout rows searched, subsampled with ``random_state``.
    """

    key = "privacy.nndr"
    name = "Nearest-neighbour distance ratio"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "Low quantile of (distance to nearest training row / distance to second nearest) over synthetic "
        "rows; reference: the same for holdout rows."
    )

    def __init__(self, *, quantile: float = 0.05, max_rows: int | None = MAX_ROWS) -> None:
        self.quantile = quantile
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
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        rng = check_random_state(random_state)
        syn_idx = subsample(len(synthetic), self.max_rows, rng)
        hold_idx = subsample(len(holdout), self.max_rows, rng)
        x_train, x_hold, x_syn = encode([real, holdout.iloc[hold_idx], synthetic.iloc[syn_idx]], specs)
        r_syn = _ratios(nearest(x_syn, x_train, k=2)[0])
        r_hold = _ratios(nearest(x_hold, x_train, k=2)[0])
        q = self.quantile
        score = float(np.quantile(r_syn, q))
        details = {
            "quantile": q,
            "n_synthetic_scored": len(r_syn),
            "n_holdout_scored": len(r_hold),
            "median_synthetic": float(np.median(r_syn)),
            "median_holdout": float(np.median(r_hold)),
            "ratios": distance_summary({"synthetic": r_syn, "holdout": r_hold}),
        }
        return self.result(
            score,
            reference=float(np.quantile(r_hold, q)),
            ci=_quantile_ci(r_syn, q),
            details=details,
            not_evaluated=skipped,
        )


def _ratios(d: np.ndarray) -> np.ndarray:
    if d.shape[1] < 2:
        return np.ones(len(d))
    d1, d2 = d[:, 0], d[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(d2 <= TIE_TOL, 1.0, d1 / d2)
    return np.clip(r, 0.0, 1.0)


def _quantile_ci(x: np.ndarray, q: float) -> tuple[float, float]:
    """Order-statistic 95% interval of the ``q`` quantile (normal approximation of the binomial ranks)."""
    s = np.sort(x)
    n = len(s)
    half = Z95 * math.sqrt(n * q * (1 - q))
    lo = int(min(max(math.floor(n * q - half), 0), n - 1))
    hi = int(min(max(math.ceil(n * q + half), 0), n - 1))
    return float(s[lo]), float(s[hi])


def _advance(progress: ProgressCallback | None, task: str) -> None:
    if progress is not None:
        progress.advance(task)
