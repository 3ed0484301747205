"""Column shapes and missing values: is each column, on its own, distributed as in the real table?

:class:`ColumnShapes` is SDMetrics 0.32's Column Shapes property, column for column: ``KSComplement``
(1 - the two-sample Kolmogorov-Smirnov statistic on the non-missing values) for numeric, datetime and
lat/lon columns, ``TVComplement`` (1 - the total variation distance of the category frequencies, missing
cells left out) for categorical and boolean columns; the score is their mean. :class:`MissingValues` is
SDMetrics' ``MissingValueSimilarity``: 1 - |null rate real - null rate synthetic| per column, averaged.

Example
-------
>>> import pandas as pd
>>> from simulacra.schema import ColumnKind, ColumnSpec, TableSchema
>>> schema = TableSchema((ColumnSpec("x", ColumnKind.NUMERIC, "float64"),))
>>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
>>> ColumnShapes().compute(real, real, schema).score
1.0
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import ColumnSpec, TableSchema
from .._encode import is_continuous, judged_columns
from ..base import Goal, Metric, MetricResult
from ._common import check_tables, distribution, is_missing, labels, numbers, usable_columns

__all__ = ["ColumnShapes", "MissingValues", "ks_complement", "tv_complement"]

_DECIMALS = sys.float_info.dig - 1  # SDMetrics rounds to 14 decimals before the KS test


def ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """1 - the two-sample KS statistic (``scipy.stats.ks_2samp``'s D) of two samples without missing values."""
    a = np.sort(np.round(real, _DECIMALS))
    b = np.sort(np.round(synthetic, _DECIMALS))
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(1.0 - np.max(np.abs(cdf_a - cdf_b)))


def tv_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """1 - the total variation distance of the category frequencies of two label arrays."""
    if len(real) == 0 or len(synthetic) == 0:
        return float("nan")
    p = pd.Series(real).value_counts(normalize=True)
    q = pd.Series(synthetic).value_counts(normalize=True)
    return float(1.0 - 0.5 * p.subtract(q, fill_value=0.0).abs().sum())


def _column_score(spec: ColumnSpec, real: pd.Series, other: pd.Series) -> float:
    if is_continuous(spec):
        return ks_complement(numbers(real, spec), numbers(other, spec))
    return tv_complement(labels(real, spec), labels(other, spec))


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def _json(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


class ColumnShapes(Metric):
    """Mean over judged columns of KSComplement (continuous) or TVComplement (categorical), as SDMetrics 0.32."""

    key = "fidelity.column_shapes"
    name = "Column shapes"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How well each column on its own matches the real one: 1 - Kolmogorov-Smirnov statistic for numbers "
        "and dates, 1 - total variation distance for categories (missing cells left out), averaged over "
        "columns. 1 means identical marginals. Same definition as SDMetrics' Column Shapes."
    )

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
        specs, skipped = usable_columns(schema, [real, synthetic])
        if progress is not None:
            progress.start(self.name, total=len(specs))
        columns: dict[str, dict[str, object]] = {}
        scores: list[float] = []
        references: list[float] = []
        sides = ["real", "synthetic", "holdout"]
        for spec in specs:
            score = _column_score(spec, real[spec.name], synthetic[spec.name])
            reference = float("nan") if holdout is None else _column_score(spec, real[spec.name], holdout[spec.name])
            scores.append(score)
            references.append(reference)
            columns[spec.name] = {
                "metric": "KSComplement" if is_continuous(spec) else "TVComplement",
                "score": _json(score),
                "reference": _json(reference),
                "distribution": distribution(spec, [real, synthetic, holdout], sides),
            }
            if progress is not None:
                progress.advance(self.name)
        if progress is not None:
            progress.end(self.name)
        return self.result(
            _mean(scores),
            reference=None if holdout is None else _mean(references),
            details={"columns": columns},
            not_evaluated=skipped,
        )


class MissingValues(Metric):
    """Mean over judged columns of 1 - |null rate real - null rate synthetic| (SDMetrics' MissingValueSimilarity)."""

    key = "fidelity.missing_values"
    name = "Missing values"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How well the share of missing cells of each column matches the real one: "
        "1 - |real null rate - synthetic null rate|, averaged over columns. 1 means the same null rates."
    )

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
        specs, skipped = judged_columns(schema)
        columns: dict[str, dict[str, object]] = {}
        scores: list[float] = []
        references: list[float] = []
        for spec in specs:
            rate_real = float(is_missing(real[spec.name], spec).mean())
            rate_syn = float(is_missing(synthetic[spec.name], spec).mean())
            entry: dict[str, object] = {
                "real_null_rate": round(rate_real, 6),
                "synthetic_null_rate": round(rate_syn, 6),
                "score": round(1.0 - abs(rate_real - rate_syn), 6),
                "reference": None,
            }
            scores.append(1.0 - abs(rate_real - rate_syn))
            if holdout is not None:
                rate_hold = float(is_missing(holdout[spec.name], spec).mean())
                entry["holdout_null_rate"] = round(rate_hold, 6)
                entry["reference"] = round(1.0 - abs(rate_real - rate_hold), 6)
                references.append(1.0 - abs(rate_real - rate_hold))
            columns[spec.name] = entry
        return self.result(
            _mean(scores),
            reference=None if holdout is None else _mean(references),
            details={"columns": columns},
            not_evaluated=skipped,
        )
