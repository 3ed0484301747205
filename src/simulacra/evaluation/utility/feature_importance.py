"""Do models trained on the synthetic table rely on the same features as models trained on real data?

The boosted TSTR and TRTR models (see :mod:`.tstr`) are scored by **permutation importance** on a seeded
subsample of the real holdout (at most 2,000 rows, 3 shuffles per feature): the drop in ROC AUC (R² for
regression) when one feature's values are shuffled. The score is the Spearman rank correlation between
the importances of the synthetic-trained and the real-trained model (1: same ranking; 0: unrelated).

The reference is the same agreement for a model trained on a bootstrap resample of the real training
table of the synthetic table's size: the agreement a fresh real sample reaches, up to sampling noise.

Example
-------
>>> FeatureImportance().compute(train, synthetic, schema, holdout=holdout, target="income").score
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ...schema import TableSchema
from ..base import Goal, MetricResult
from ._models import Frame, Task, TaskData, boosted_models, fit_boosting, headline_score, predictions
from .tstr import UtilityMetric, _clean

__all__ = ["FeatureImportance"]

MAX_ROWS = 2000
N_REPEATS = 3
TOP_K = 5


class FeatureImportance(UtilityMetric):
    """Rank agreement of permutation importances: synthetic-trained vs real-trained model."""

    key: ClassVar[str] = "utility.feature_importance"
    name: ClassVar[str] = "Feature importance agreement"
    goal: ClassVar[Goal] = Goal.MAXIMIZE
    min_value: ClassVar[float] = -1.0
    max_value: ClassVar[float] = 1.0
    description: ClassVar[str] = (
        "Spearman rank correlation between the permutation importances of the model trained on synthetic "
        "rows and of the model trained on real rows, both measured on the real holdout."
    )

    def __init__(self, *, max_rows: int = MAX_ROWS, n_repeats: int = N_REPEATS) -> None:
        self.max_rows = max_rows
        self.n_repeats = n_repeats

    def _compute(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        schema: TableSchema,
        holdout: pd.DataFrame,
        target: str,
        task: Task,
        random_state: int,
    ) -> MetricResult:
        data, model_syn, model_real = boosted_models(real, synthetic, holdout, schema, target, task, random_state)
        if len(data.features) < 2:
            return self.result(
                math.nan,
                not_evaluated={"*": "needs at least two feature columns to rank"} | data.not_evaluated,
            )
        rng = np.random.default_rng(random_state)
        n = len(data.real.y)
        boot = rng.integers(0, n, len(data.synthetic.y))
        resample = Frame(boost=data.real.boost[boot], linear=data.real.linear.iloc[boot], y=data.real.y[boot])
        model_boot = fit_boosting(data, resample, random_state)
        test = _subsample(data.holdout, self.max_rows, rng)
        imp = {
            side: _importances(model, data, test, self.n_repeats, random_state)
            for side, model in (("synthetic", model_syn), ("real", model_real), ("resample", model_boot))
        }
        score = _spearman(imp["synthetic"], imp["real"])
        reference = _spearman(imp["resample"], imp["real"])
        order_real = np.argsort(-imp["real"], kind="stable")[:TOP_K]
        order_syn = np.argsort(-imp["synthetic"], kind="stable")[:TOP_K]
        details: dict[str, Any] = {
            "target": target,
            "n_holdout_rows_used": len(test.y),
            "n_repeats": self.n_repeats,
            "importances": {
                f: {"real": imp["real"][i], "synthetic": imp["synthetic"][i]} for i, f in enumerate(data.features)
            },
            "top_real": [data.features[i] for i in order_real],
            "top_synthetic": [data.features[i] for i in order_syn],
            "top_overlap": len(set(order_real) & set(order_syn)) / min(TOP_K, len(data.features)),
        }
        return self.result(score, reference=reference, details=_clean(details), not_evaluated=data.not_evaluated)


def _subsample(frame: Frame, max_rows: int, rng: np.random.Generator) -> Frame:
    if len(frame.y) <= max_rows:
        return frame
    idx = np.sort(rng.choice(len(frame.y), max_rows, replace=False))
    return Frame(boost=frame.boost[idx], linear=frame.linear.iloc[idx], y=frame.y[idx])


def _importances(model: Any, data: TaskData, test: Frame, n_repeats: int, random_state: int) -> np.ndarray:
    """Mean drop of the headline score when each feature is shuffled (same shuffles for every model)."""
    base = headline_score(test.y, predictions(model, data, test, "boosting"), data)
    rng = np.random.default_rng(random_state)
    perms = [rng.permutation(len(test.y)) for _ in range(n_repeats)]
    out = np.zeros(len(data.features))
    for j in range(len(data.features)):
        drops = []
        for perm in perms:
            x = test.boost.copy()
            x[:, j] = x[perm, j]
            shuffled = Frame(boost=x, linear=test.linear, y=test.y)
            drops.append(base - headline_score(test.y, predictions(model, data, shuffled, "boosting"), data))
        out[j] = np.nanmean(drops) if np.isfinite(drops).any() else 0.0
    return out


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(spearmanr(a, b).statistic)
