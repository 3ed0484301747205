"""Shared machinery of the utility metrics: the prediction task, feature encodings and the two model
families (gradient boosting with native categoricals; a linear model on one-hot + standardised numerics).

Encodings for the boosted model are fitted on the **real** training table, so that a model trained on a
verbatim copy of it sees exactly the same matrix as the model trained on the real table (TSTR on a copy
equals TRTR). The linear pipeline is fitted on whichever table it trains on, as any user would do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from ...schema import ColumnKind, ColumnSpec, TableSchema
from .._encode import as_labels, as_numbers, is_continuous, judged_columns

__all__ = [
    "MAX_TRAIN_ROWS",
    "Task",
    "TaskData",
    "fit_boosting",
    "fit_linear",
    "prepare",
    "score_predictions",
    "task_of",
]

MAX_TRAIN_ROWS = 200_000
"""Training tables above this many rows are subsampled (seeded) before fitting."""
MAX_BOOSTING_CATEGORIES = 250
"""Native categoricals of HistGradientBoosting are limited to 255 bins: rarer categories become 'other'."""


class Task(StrEnum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


def task_of(spec: ColumnSpec) -> Task | None:
    """Classification for a categorical target, regression for a numeric or datetime one."""
    if spec.kind is ColumnKind.CATEGORICAL:
        return Task.CLASSIFICATION
    if spec.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME):
        return Task.REGRESSION
    return None


@dataclass
class Frame:
    """One table ready for the models: feature matrices and the target."""

    boost: np.ndarray
    """Float matrix: numbers as they are, categoricals as codes of the real table's categories (NaN: missing)."""
    linear: pd.DataFrame
    """Numbers as float64 columns, categoricals as string labels."""
    y: np.ndarray


@dataclass
class TaskData:
    """Real train, synthetic and holdout tables encoded alike for one target."""

    task: Task
    target: str
    features: list[str]
    categorical: np.ndarray
    """Boolean mask over ``features``: native categorical in the boosted model."""
    real: Frame
    synthetic: Frame
    holdout: Frame
    classes: list[str]
    """Classification: the labels of the real training table, most frequent first."""
    positive: str | None
    """Binary classification: the label whose probability is scored (the real table's rarer class)."""
    not_evaluated: dict[str, str]


def prepare(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: TableSchema,
    target: str,
    task: Task,
    random_state: int = 0,
) -> TaskData:
    """Encode the three tables for predicting ``target``; identifier, PII and text columns are left out."""
    specs, skipped = judged_columns(schema)
    specs = [s for s in specs if s.name != target]
    not_evaluated = {name: f"not used as a feature: {why}" for name, why in skipped.items() if name != target}
    rng = np.random.default_rng(random_state)
    real = _cap(real, rng)
    synthetic = _cap(synthetic, rng)
    tspec = schema[target]

    categories: dict[str, pd.Index] = {}
    for spec in specs:
        if not is_continuous(spec):
            counts = as_labels(real[spec.name]).value_counts(sort=True)
            counts = counts[counts.index != "<missing>"]
            categories[spec.name] = pd.Index(counts.index[:MAX_BOOSTING_CATEGORIES])

    def encode(frame: pd.DataFrame) -> Frame:
        boost_cols = []
        linear_cols: dict[str, pd.Series] = {}
        for spec in specs:
            col = frame[spec.name]
            if is_continuous(spec):
                values = as_numbers(col, spec).reset_index(drop=True)
                boost_cols.append(values.to_numpy(dtype=float))
                linear_cols[spec.name] = values
            else:
                labels = as_labels(col).reset_index(drop=True)
                codes = categories[spec.name].get_indexer(labels).astype(float)
                codes[codes < 0] = np.nan
                boost_cols.append(codes)
                linear_cols[spec.name] = labels
        boost = np.column_stack(boost_cols) if boost_cols else np.zeros((len(frame), 0))
        if task is Task.CLASSIFICATION:
            y = as_labels(frame[target]).to_numpy(dtype=object)
        else:
            y = as_numbers(frame[target], tspec).to_numpy(dtype=float)
        return Frame(boost=boost, linear=pd.DataFrame(linear_cols), y=y)

    enc_real, enc_syn, enc_hold = encode(real), encode(synthetic), encode(holdout)
    if task is Task.REGRESSION:
        enc_real, enc_syn, enc_hold = (_drop_missing_y(f) for f in (enc_real, enc_syn, enc_hold))
    classes: list[str] = []
    positive = None
    if task is Task.CLASSIFICATION:
        counts = pd.Series(enc_real.y).value_counts(sort=True)
        classes = [str(c) for c in counts.index]
        if len(classes) == 2:
            positive = classes[1]
    return TaskData(
        task=task,
        target=target,
        features=[s.name for s in specs],
        categorical=np.array([not is_continuous(s) for s in specs], dtype=bool),
        real=enc_real,
        synthetic=enc_syn,
        holdout=enc_hold,
        classes=classes,
        positive=positive,
        not_evaluated=not_evaluated,
    )


def _cap(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= MAX_TRAIN_ROWS:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), MAX_TRAIN_ROWS, replace=False))]


def _drop_missing_y(frame: Frame) -> Frame:
    keep = np.isfinite(frame.y)
    if keep.all():
        return frame
    return Frame(boost=frame.boost[keep], linear=frame.linear[keep].reset_index(drop=True), y=frame.y[keep])


# -- models -------------------------------------------------------------------------------------
class _Constant:
    """Stands in for a classifier when the training table holds a single class."""

    def __init__(self, label: str) -> None:
        self.classes_ = np.array([label], dtype=object)

    def predict_proba(self, x: Any) -> np.ndarray:
        return np.ones((len(x), 1))


def fit_boosting(data: TaskData, frame: Frame, random_state: int) -> Any:
    """HistGradientBoosting (defaults, native categoricals) fitted on ``frame``."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    if data.task is Task.CLASSIFICATION:
        if len(set(frame.y)) < 2:
            return _Constant(str(frame.y[0]))
        model: Any = HistGradientBoostingClassifier(categorical_features=data.categorical, random_state=random_state)
    else:
        model = HistGradientBoostingRegressor(categorical_features=data.categorical, random_state=random_state)
    with single_thread():
        return model.fit(frame.boost, frame.y)


def single_thread() -> Any:
    """Run OpenMP and BLAS code on one thread: on small machines HistGradientBoosting is several times faster
    so (its threads spin-wait when another process holds a core), and the results are the same."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def fit_linear(data: TaskData, frame: Frame, random_state: int) -> Any:
    """LogisticRegression / Ridge on one-hot categoricals and standardised, median-imputed numerics."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if data.task is Task.CLASSIFICATION and len(set(frame.y)) < 2:
        return _Constant(str(frame.y[0]))
    numeric = [f for f, c in zip(data.features, data.categorical, strict=True) if not c]
    categorical = [f for f, c in zip(data.features, data.categorical, strict=True) if c]
    steps = []
    if numeric:
        steps.append(
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True), StandardScaler()
                ),
                numeric,
            )
        )
    if categorical:
        steps.append(("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=50), categorical))
    estimator: Any = (
        LogisticRegression(max_iter=1000, random_state=random_state)
        if data.task is Task.CLASSIFICATION
        else Ridge(alpha=1.0)
    )
    model = Pipeline([("encode", ColumnTransformer(steps, sparse_threshold=0.3)), ("model", estimator)])
    return model.fit(frame.linear, frame.y)


# -- scores -------------------------------------------------------------------------------------
def predictions(model: Any, data: TaskData, frame: Frame, kind: str) -> np.ndarray:
    """Class probabilities over ``data.classes`` (classification) or predicted values (regression)."""
    x = frame.boost if kind == "boosting" else frame.linear
    if data.task is Task.REGRESSION:
        with single_thread():
            return np.asarray(model.predict(x), dtype=float)
    with single_thread():
        proba = np.asarray(model.predict_proba(x), dtype=float)
    out = np.zeros((len(proba), len(data.classes)))
    index = {c: i for i, c in enumerate(data.classes)}
    for j, label in enumerate(model.classes_):
        if str(label) in index:
            out[:, index[str(label)]] = proba[:, j]
    return out


def auc(y_true: np.ndarray, scores: np.ndarray, data: TaskData, weights: np.ndarray | None = None) -> float:
    """ROC AUC: binary on the positive class, else macro one-vs-rest over the classes present in ``y_true``.

    ``weights`` (row multiplicities, as a bootstrap resample gives) weigh each holdout row.
    """
    w = np.ones(len(y_true)) if weights is None else weights
    present = [c for c in data.classes if np.any((y_true == c) & (w > 0))]
    labels = set(np.unique(y_true[w > 0]))
    if data.positive is not None and labels <= set(data.classes):
        if len(present) < 2:
            return math.nan
        return binary_auc(y_true == data.positive, scores[:, data.classes.index(data.positive)], w)
    values = [binary_auc(y_true == c, scores[:, data.classes.index(c)], w) for c in present]
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if len(finite) >= 2 else math.nan


def binary_auc(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted Mann-Whitney AUC (ties count one half); NaN when one side is empty."""
    w = np.ones(len(score)) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(score, kind="mergesort")
    s, pos, w = score[order], positive[order], w[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    wp = np.add.reduceat(w * pos, starts)
    wn = np.add.reduceat(w * ~pos, starts)
    total_p, total_n = wp.sum(), wn.sum()
    if total_p == 0 or total_n == 0:
        return math.nan
    below = np.cumsum(wn) - wn
    return float(np.sum(wp * (below + 0.5 * wn)) / (total_p * total_n))


def score_predictions(y_true: np.ndarray, pred: np.ndarray, data: TaskData) -> dict[str, float]:
    """Classification: roc_auc, f1_macro, accuracy. Regression: r2, rmse."""
    if data.task is Task.REGRESSION:
        return {"r2": r2(y_true, pred), "rmse": float(np.sqrt(np.mean((y_true - pred) ** 2)))}
    from sklearn.metrics import f1_score

    labels = np.asarray(data.classes, dtype=object)[pred.argmax(axis=1)]
    return {
        "roc_auc": auc(y_true, pred, data),
        "f1_macro": float(f1_score(y_true.astype(str), labels.astype(str), average="macro", zero_division=0)),
        "accuracy": float(np.mean(labels == y_true)),
    }


def r2(y_true: np.ndarray, pred: np.ndarray, weights: np.ndarray | None = None) -> float:
    w = np.ones(len(y_true)) if weights is None else weights
    if w.sum() == 0:
        return math.nan
    mean = float(np.average(y_true, weights=w))
    ss_tot = float(np.sum(w * (y_true - mean) ** 2))
    if ss_tot == 0:
        return math.nan
    return 1.0 - float(np.sum(w * (y_true - pred) ** 2)) / ss_tot


def headline_score(y_true: np.ndarray, pred: np.ndarray, data: TaskData, weights: np.ndarray | None = None) -> float:
    """ROC AUC (classification) or R² (regression)."""
    if data.task is Task.CLASSIFICATION:
        return auc(y_true, pred, data, weights)
    return r2(y_true, pred, weights)


def bootstrap(stat: Callable[[np.ndarray], tuple[float, ...]], n: int, n_boot: int, random_state: int) -> np.ndarray:
    """``n_boot`` seeded resamples of ``n`` rows, given to ``stat`` as row multiplicities; one row of
    statistics per resample."""
    rng = np.random.default_rng(random_state)
    rows = [stat(np.bincount(rng.integers(0, n, n), minlength=n).astype(float)) for _ in range(n_boot)]
    return np.asarray(rows, dtype=float)


def interval(values: np.ndarray) -> tuple[float, float] | None:
    """The 2.5% and 97.5% percentiles of the finite values, or None."""
    finite = values[np.isfinite(values)]
    if len(finite) < 10:
        return None
    return float(np.percentile(finite, 2.5)), float(np.percentile(finite, 97.5))


# -- shared fits --------------------------------------------------------------------------------
_CACHE: dict[str, Any] = {}


def boosted_models(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame,
    schema: TableSchema,
    target: str,
    task: Task,
    random_state: int,
) -> tuple[TaskData, Any, Any]:
    """The encoded tables and the boosted models trained on the synthetic and on the real table.

    The last answer is kept (with references to its inputs, so that they cannot be confused with new
    objects) because TSTR and FeatureImportance need the same two models; :func:`clear_cache` drops it.
    """
    key = (id(real), id(synthetic), id(holdout), id(schema), target, task, random_state)
    if _CACHE.get("key") == key:
        return _CACHE["value"]  # type: ignore[no-any-return]
    data = prepare(real, synthetic, holdout, schema, target, task, random_state)
    value = (data, fit_boosting(data, data.synthetic, random_state), fit_boosting(data, data.real, random_state))
    _CACHE.clear()
    _CACHE.update(key=key, value=value, inputs=(real, synthetic, holdout, schema))
    return value


def clear_cache() -> None:
    """Forget the models kept by :func:`boosted_models`."""
    _CACHE.clear()
