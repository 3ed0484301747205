"""Distances to the training points: their distribution (fidelity) and the share that are very close (privacy)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ..privacy._common import wilson
from ._common import geo_columns, nearest_m, no_geo, points, subsample

__all__ = ["NearestDistance", "Proximity"]

MAX_POINTS = 20_000
NEEDS_HOLDOUT = "needs a holdout: real rows the generator did not see (--holdout)"


def _quantiles(d: np.ndarray) -> list[float]:
    return [round(float(q), 1) for q in np.quantile(d, [0.1, 0.25, 0.5, 0.75, 0.9])] if len(d) else []


class NearestDistance(Metric):
    """How far synthetic points lie from the nearest training point, compared with holdout points.

    Haversine distances (metres, sklearn's BallTree). Score: 1 - the Kolmogorov-Smirnov distance between the
    synthetic and the holdout distributions. Reference: 1 - the 95% critical KS distance at these sample
    sizes (a fresh real sample scores above it 19 times in 20). Too close means copying, too far means
    points where no one lives. ``details``: the quantiles of both distributions.
    """

    key = "geo.nearest_distance"
    name = "Distance to nearest real point"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "1 - KS distance between synthetic and holdout distances to the nearest training point"

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
        from scipy.stats import ks_2samp

        cols = geo_columns(schema)
        if not cols:
            return no_geo(self)
        if holdout is None:
            return self.result(math.nan, not_evaluated={"*": NEEDS_HOLDOUT})
        scores, refs, details = [], [], {}
        for col in cols:
            rng = np.random.default_rng(random_state)
            train = points(real, col)
            syn = subsample(*points(synthetic, col), MAX_POINTS, rng)
            hold = subsample(*points(holdout, col), MAX_POINTS, rng)
            if min(len(train[0]), len(syn[0]), len(hold[0])) == 0:
                continue
            d_syn, d_hold = nearest_m(syn, train)[:, 0], nearest_m(hold, train)[:, 0]
            ks = float(ks_2samp(d_syn, d_hold).statistic)
            n, m = len(d_syn), len(d_hold)
            scores.append(1.0 - ks)
            refs.append(1.0 - 1.358 * math.sqrt((n + m) / (n * m)))
            details[col.name] = {
                "ks": round(ks, 6),
                "quantiles": [0.1, 0.25, 0.5, 0.75, 0.9],
                "synthetic_m": _quantiles(d_syn),
                "holdout_m": _quantiles(d_hold),
            }
        if not scores:
            return no_geo(self)
        return self.result(float(np.mean(scores)), reference=float(np.mean(refs)), details={"columns": details})


class Proximity(Metric):
    """Location privacy: the share of synthetic points within ``radius_m`` (50 m) of a training point.

    Reference: the same share for the holdout (how often a fresh real point falls that close by chance).
    A higher share than the holdout's suggests copied locations. 95% interval: Wilson's.
    """

    key = "geo.proximity"
    name = "Points near a training point"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "share of synthetic points within 50 m of a training point, vs the holdout's share"

    def __init__(self, *, radius_m: float = 50.0) -> None:
        self.radius_m = radius_m

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
        cols = geo_columns(schema)
        if not cols:
            return no_geo(self)
        if holdout is None:
            return self.result(math.nan, not_evaluated={"*": NEEDS_HOLDOUT})
        hits = total = hold_hits = hold_total = 0
        details = {}
        for col in cols:
            rng = np.random.default_rng(random_state)
            train = points(real, col)
            syn = subsample(*points(synthetic, col), MAX_POINTS, rng)
            hold = subsample(*points(holdout, col), MAX_POINTS, rng)
            if min(len(train[0]), len(syn[0]), len(hold[0])) == 0:
                continue
            near_syn = int((nearest_m(syn, train)[:, 0] <= self.radius_m).sum())
            near_hold = int((nearest_m(hold, train)[:, 0] <= self.radius_m).sum())
            hits, total = hits + near_syn, total + len(syn[0])
            hold_hits, hold_total = hold_hits + near_hold, hold_total + len(hold[0])
            details[col.name] = {
                "synthetic": round(near_syn / len(syn[0]), 6),
                "holdout": round(near_hold / len(hold[0]), 6),
            }
        if not total:
            return no_geo(self)
        return self.result(
            hits / total,
            reference=hold_hits / hold_total,
            ci=wilson(hits, total),
            details={"radius_m": self.radius_m, "columns": details},
        )
