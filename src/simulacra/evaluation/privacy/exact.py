"""Exact copies: how many synthetic rows repeat a training row on every judged column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import ColumnKind, ColumnSpec, TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import check_inputs, column_codes, wilson

__all__ = ["ExactCopies"]

NEAR_UNIQUE = 0.5
"""A numeric column whose distinct values exceed this share of the training rows is near-unique."""


def _row_ids(frames: list[pd.DataFrame], specs: list[ColumnSpec]) -> list[np.ndarray]:
    """One integer per row; equal integers = rows equal on all ``specs`` after normalisation."""
    if not specs:
        return [np.zeros(len(f), dtype=np.int64) for f in frames]
    per_col = [column_codes(frames, s) for s in specs]
    stacked = np.column_stack([np.concatenate(c) for c in per_col])
    _, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    out, start = [], 0
    for f in frames:
        out.append(inverse[start : start + len(f)])
        start += len(f)
    return out


def _copy_rates(
    train: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame, specs: list[ColumnSpec]
) -> tuple[float, int, float, int]:
    """(synthetic rows that equal a train row, n synthetic, holdout rows that do, n holdout)."""
    ids_train, ids_syn, ids_hold = _row_ids([train, synthetic, holdout], specs)
    seen = np.unique(ids_train)
    return (
        float(np.isin(ids_syn, seen).sum()),
        len(ids_syn),
        float(np.isin(ids_hold, seen).sum()),
        len(ids_hold),
    )


class ExactCopies(Metric):
    """Share of synthetic rows identical to some training row on all judged columns.

    Values are normalised before comparing: numbers (and dates) as floats, categories as text, a missing
    value as a token of its own. The reference is the same share for the holdout, i.e. how often a fresh
    real record equals a training record by chance (0.11% on Adult; 15.75% if ``fnlwgt`` is left out).
    The 95% interval is Wilson's. ``details`` repeats the rates with near-unique numeric columns left out
    (columns with more distinct values than half the training rows, such as ``fnlwgt``), where copies of
    the remaining quasi-identifiers show up.

    Example
    -------
    >>> ExactCopies().compute(train, synthetic, schema, holdout=holdout).score  # doctest: +SKIP
    0.0
    """

    key = "privacy.exact_copies"
    name = "Exact copies of training rows"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "Share of synthetic rows identical to a training row on every judged column; "
        "reference: the share of holdout rows identical to a training row."
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
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        k_syn, n_syn, k_hold, n_hold = _copy_rates(real, synthetic, holdout, specs)
        details: dict[str, object] = {
            "synthetic_copies": int(k_syn),
            "n_synthetic": n_syn,
            "holdout_copies": int(k_hold),
            "n_holdout": n_hold,
            "holdout_rate": k_hold / n_hold,
            "holdout_ci": list(wilson(k_hold, n_hold)),
            "columns": [s.name for s in specs],
        }
        unique = [
            s.name
            for s in specs
            if s.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME)
            and real[s.name].nunique(dropna=True) > NEAR_UNIQUE * len(real)
        ]
        if unique and len(unique) < len(specs):
            rest = [s for s in specs if s.name not in unique]
            k2, n2, h2, m2 = _copy_rates(real, synthetic, holdout, rest)
            details["without_near_unique"] = {
                "left_out": unique,
                "synthetic_rate": k2 / n2,
                "synthetic_ci": list(wilson(k2, n2)),
                "holdout_rate": h2 / m2,
                "holdout_ci": list(wilson(h2, m2)),
            }
        return self.result(
            k_syn / n_syn,
            reference=k_hold / n_hold,
            ci=wilson(k_syn, n_syn),
            details=details,
            not_evaluated=skipped,
        )
