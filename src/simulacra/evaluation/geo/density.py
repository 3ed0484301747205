"""Spatial density: do synthetic points fill the map like the real ones? (1 - total variation over H3 cells)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import cell_counts, geo_columns, no_geo, points, subsample

__all__ = ["SpatialDensity", "middle_resolution"]

POINTS_PER_CELL = 10
"""The middle resolution is the finest whose occupied cells hold this many compared points on average."""


def middle_resolution(lat: np.ndarray, lon: np.ndarray, n_compared: int) -> int:
    """The finest H3 resolution (<= 12) at which the real points occupy at most ``n_compared / 10`` cells."""
    best = 0
    for res in range(13):
        if len(cell_counts(lat, lon, res)) > max(1, n_compared // POINTS_PER_CELL):
            break
        best = res
    return best


def _tv(a: pd.Series, b: pd.Series) -> float:
    pa, pb = a / a.sum(), b / b.sum()
    return float(0.5 * pa.sub(pb, fill_value=0.0).abs().sum())


class SpatialDensity(Metric):
    """1 - total variation distance between the training and the synthetic points' shares per H3 cell.

    Computed at three resolutions around a *middle* one (the finest at which the training points occupy
    at most one cell per 10 compared points); the score is the one at the middle resolution. Synthetic
    points and holdout points are subsampled to the same size, so that the reference (the holdout scored
    the same way) carries the same sampling noise. ``details`` keeps each resolution's figures and, for the
    report's maps, the shares per cell at the middle resolution (aggregates only).

    >>> SpatialDensity().compute(train, synthetic, schema, holdout=holdout).score  # doctest: +SKIP
    """

    key = "geo.spatial_density"
    name = "Spatial density"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "1 - total variation distance over H3 cells (middle resolution), vs the holdout's"

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
        scores, refs, details = [], [], {}
        for col in cols:
            rng = np.random.default_rng(random_state)
            train = points(real, col)
            syn = points(synthetic, col)
            hold = points(holdout, col) if holdout is not None else None
            n = min(len(syn[0]), len(hold[0])) if hold is not None else len(syn[0])
            if len(train[0]) == 0 or n == 0:
                continue
            syn = subsample(*syn, n, rng)
            hold = subsample(*hold, n, rng) if hold is not None else None
            mid = middle_resolution(*train, n)
            resolutions = [r for r in (mid - 1, mid, mid + 1) if 0 <= r <= 15]
            entry: dict[str, object] = {"resolutions": resolutions, "middle": mid, "n_compared": n}
            tv_syn, tv_hold = [], []
            for res in resolutions:
                ct = cell_counts(*train, res)
                cs = cell_counts(*syn, res)
                tv_syn.append(round(_tv(ct, cs), 6))
                tv_hold.append(round(_tv(ct, cell_counts(*hold, res)), 6) if hold is not None else None)
                if res == mid:
                    cells = sorted(set(ct.index) | set(cs.index))
                    entry["map"] = {
                        "resolution": res,
                        "cells": cells,
                        "real": [round(float(ct.get(c, 0)) / ct.sum(), 6) for c in cells],
                        "synthetic": [round(float(cs.get(c, 0)) / cs.sum(), 6) for c in cells],
                    }
            entry["tv_synthetic"], entry["tv_holdout"] = tv_syn, tv_hold
            i = resolutions.index(mid)
            scores.append(1.0 - tv_syn[i])
            if tv_hold[i] is not None:
                refs.append(1.0 - float(tv_hold[i]))  # type: ignore[arg-type]
            details[col.name] = entry
        if not scores:
            return no_geo(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})
