"""Train on synthetic, test on real (TSTR), beside train on real, test on real (TRTR).

Two model families are trained on the synthetic table and, as the reference, on the real training
table; both are tested on the real **holdout**, which neither the generator nor the models saw:

- gradient boosting: ``HistGradientBoostingClassifier`` / ``Regressor`` with default settings, native
  categoricals and ``random_state``;
- a linear model: ``LogisticRegression`` / ``Ridge`` on one-hot categoricals and standardised numerics.

Classification (a categorical target): ROC AUC (binary, or macro one-vs-rest), macro F1 and accuracy.
Regression (a numeric or datetime target): R² and RMSE. The score is the boosted model's TSTR ROC AUC
(R² for regression) with a 95% bootstrap interval over the holdout rows; the reference is the TRTR
figure. ``details["models"]`` holds every figure of both models, ``details["gap"]`` the paired bootstrap
interval of TSTR − TRTR.

Example
-------
>>> result = TSTR().compute(train, synthetic, schema, holdout=holdout, target="income")
>>> result.score, result.reference        # e.g. 0.84 (synthetic) vs 0.93 (real)
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._models import (
    Task,
    TaskData,
    boosted_models,
    bootstrap,
    fit_linear,
    headline_score,
    interval,
    predictions,
    score_predictions,
    single_thread,
    task_of,
)

__all__ = ["TSTR", "not_applicable"]

N_BOOTSTRAP = 200
MODELS = ("boosting", "linear")


def not_applicable(
    schema: TableSchema, target: str | None, holdout: pd.DataFrame | None
) -> tuple[str | None, Task | None]:
    """Why a utility metric cannot run (or None), and the task when it can."""
    if target is None:
        return "no target given (--target)", None
    if holdout is None:
        return "needs a holdout: real rows the generator did not see (--holdout)", None
    task = task_of(schema[target])
    if task is None:
        return f"target '{target}' is a {schema[target].kind.value} column; give a categorical or numeric one", None
    return None, task


class UtilityMetric(Metric):
    """A metric that trains models on the target: not evaluated without a target and a holdout; the
    models run on one thread (see ``single_thread``). Subclasses write ``_compute``."""

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
        reason, task = not_applicable(schema, target, holdout)
        if reason is not None or task is None or target is None or holdout is None:
            return self.result(math.nan, not_evaluated={"*": reason or "not applicable"})
        with single_thread():
            return self._compute(real, synthetic, schema, holdout, target, task, random_state)

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
        raise NotImplementedError


class TSTR(UtilityMetric):
    """Machine-learning efficacy: a model trained on the synthetic table, tested on real holdout rows."""

    key: ClassVar[str] = "utility.tstr"
    name: ClassVar[str] = "Train synthetic, test real"
    goal: ClassVar[Goal] = Goal.MAXIMIZE
    min_value: ClassVar[float] = 0.0
    max_value: ClassVar[float] = 1.0
    description: ClassVar[str] = (
        "ROC AUC on the real holdout of a gradient-boosted model trained on the synthetic rows (R² for a "
        "numeric target); the reference is the same model trained on the real rows (TRTR)."
    )

    def __init__(self, *, n_bootstrap: int = N_BOOTSTRAP) -> None:
        self.n_bootstrap = n_bootstrap

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
        data, boost_syn, boost_real = boosted_models(real, synthetic, holdout, schema, target, task, random_state)
        fitted = {
            "boosting": {"synthetic": boost_syn, "real": boost_real},
            "linear": {
                "synthetic": fit_linear(data, data.synthetic, random_state),
                "real": fit_linear(data, data.real, random_state),
            },
        }
        preds: dict[str, dict[str, np.ndarray]] = {}
        models: dict[str, Any] = {}
        for kind in MODELS:
            preds[kind] = {side: predictions(fitted[kind][side], data, data.holdout, kind) for side in fitted[kind]}
            models[kind] = {
                side: score_predictions(data.holdout.y, preds[kind][side], data) for side in ("synthetic", "real")
            }
            models[kind]["ci"] = _intervals(data, preds[kind], self.n_bootstrap, random_state)
        boost = models["boosting"]
        headline = "roc_auc" if task is Task.CLASSIFICATION else "r2"
        ci = boost["ci"]["synthetic"]
        details: dict[str, Any] = {
            "task": task.value,
            "target": target,
            "headline_metric": headline,
            "n_train_real": len(data.real.y),
            "n_train_synthetic": len(data.synthetic.y),
            "n_holdout": len(data.holdout.y),
            "features": data.features,
            "n_classes": len(data.classes) if task is Task.CLASSIFICATION else None,
            "models": _clean(models),
            "gap": _clean(boost["ci"]["gap"]),
        }
        return self.result(
            boost["synthetic"][headline],
            reference=boost["real"][headline],
            ci=None if ci is None else (ci[0], ci[1]),
            details=details,
            not_evaluated=data.not_evaluated,
        )


def _intervals(data: TaskData, preds: dict[str, np.ndarray], n_boot: int, random_state: int) -> dict[str, Any]:
    """Bootstrap over holdout rows: 95% intervals of the headline score (synthetic, real) and of their gap."""
    y = data.holdout.y
    syn, real = preds["synthetic"], preds["real"]

    def stat(weights: np.ndarray) -> tuple[float, float, float]:
        a = headline_score(y, syn, data, weights)
        b = headline_score(y, real, data, weights)
        return a, b, a - b

    if len(y) < 2 or n_boot <= 0:
        return {"synthetic": None, "real": None, "gap": None}
    rows = bootstrap(stat, len(y), n_boot, random_state)
    return {"synthetic": interval(rows[:, 0]), "real": interval(rows[:, 1]), "gap": interval(rows[:, 2])}


def _clean(value: Any) -> Any:
    """JSON-ready: tuples to lists, NaN to None, numpy scalars to floats, rounded to 6 places."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if not math.isfinite(v) else round(v, 6)
    if isinstance(value, np.integer):
        return int(value)
    return value
