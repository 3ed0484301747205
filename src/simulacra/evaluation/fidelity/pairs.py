"""Column pair trends: are the relations between pairs of columns kept?

SDMetrics 0.32's Column Pair Trends, pair for pair:

- two continuous columns (numeric, datetime, lat/lon): ``CorrelationSimilarity``,
  1 - |Pearson(real) - Pearson(synthetic)| / 2, each Pearson on the rows where both cells are present;
- any other pair: ``ContingencySimilarity``, 1 - the total variation distance of the normalised 2-D
  contingency tables. Missing cells are a value of their own (SDMetrics groups with ``dropna=False``).
  A continuous column is cut into 10 equal-width bins (``np.histogram_bin_edges``) and coded with
  ``np.digitize`` as SDMetrics does: codes 1..10 span the range, 11 holds the maximum. As in SDMetrics
  0.32's QualityReport, each table is cut on its own edges (its ``_get_processed_data`` runs once per
  table), so our figures, the holdout reference included, equal the published ones; when a synthetic
  table's range differs from the real one, its bins mean other values (a known quirk we keep for
  comparability). Tables over 50,000 rows are subsampled (seeded) for the contingency tables,
  as SDMetrics (PR #723).

:class:`ColumnPairs` averages every pair ("all pairs", TabSyn's trend). :class:`ColumnPairsStrong`
averages the pairs whose real data show |Pearson| > 0.5 (continuous pairs) or Cramér's V > 0.3 (other
pairs, ``scipy.stats.contingency.association`` without continuity correction on the real contingency
table): SDMetrics 0.32's QualityReport defaults.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import ColumnSpec, TableSchema
from .._encode import as_numbers, is_continuous
from ..base import Goal, Metric, MetricResult
from ._common import check_tables, codes, sample_rows, usable_columns

__all__ = ["CORRELATION_THRESHOLD", "CRAMERS_V_THRESHOLD", "ColumnPairs", "ColumnPairsStrong"]

CORRELATION_THRESHOLD = 0.5
CRAMERS_V_THRESHOLD = 0.3
MAX_CONTINGENCY_ROWS = 50_000


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation on the rows where both are present; NaN when either is constant there."""
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    den = np.sqrt((dx * dx).sum() * (dy * dy).sum())
    if den == 0 or not np.isfinite(den):
        return float("nan")
    return float(np.clip((dx * dy).sum() / den, -1.0, 1.0))


def _table(a: np.ndarray, b: np.ndarray, size_b: int, n_cells: int) -> np.ndarray:
    return np.bincount(a * size_b + b, minlength=n_cells)


def cramers_v(counts: np.ndarray) -> float:
    """Cramér's V of a 2-D count table, observed rows and columns only (``association(method='cramer')``)."""
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.size == 0 or min(counts.shape) < 2:
        return float("nan")
    n = counts.sum()
    expected = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / n
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * (min(counts.shape) - 1))))


@dataclass
class _Pairs:
    """Per-pair figures shared by both metrics."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    matrix_columns: list[str] = field(default_factory=list)
    matrices: dict[str, list[list[float | None]]] = field(default_factory=dict)
    not_evaluated: dict[str, str] = field(default_factory=dict)


def _pair_figures(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    holdout: pd.DataFrame | None,
    random_state: int,
    progress: ProgressCallback | None,
    task: str,
) -> _Pairs:
    check_tables(real, synthetic, schema, holdout)
    specs, skipped = usable_columns(schema, [real, synthetic])
    frames: list[pd.DataFrame] = [real, synthetic] + ([] if holdout is None else [holdout])
    rng = np.random.default_rng(random_state)
    small = [sample_rows(f, MAX_CONTINGENCY_ROWS, rng) for f in frames]
    numbers = {
        s.name: [as_numbers(f[s.name], s).to_numpy(dtype=float) for f in frames] for s in specs if is_continuous(s)
    }
    coded: dict[str, tuple[list[np.ndarray], int]] = {s.name: codes(s, small) for s in specs}
    out = _Pairs(not_evaluated=skipped, matrix_columns=[s.name for s in specs])
    k = len(specs)
    sides = ["real", "synthetic", "holdout"][: len(frames)]
    assoc = {side: np.full((k, k), np.nan) for side in sides}
    for side in sides:
        np.fill_diagonal(assoc[side], 1.0)
    pairs = list(itertools.combinations(range(k), 2))
    if progress is not None:
        progress.start(task, total=len(pairs))
    for i, j in pairs:
        a, b = specs[i], specs[j]
        row = _one_pair(a, b, numbers, coded, len(frames))
        for s, value in enumerate(row.pop("_assoc")):
            assoc[sides[s]][i, j] = assoc[sides[s]][j, i] = value
        if row["score"] is None:
            out.not_evaluated[f"{a.name} / {b.name}"] = row.pop("_why")
        else:
            row.pop("_why")
        out.rows.append(row)
        if progress is not None:
            progress.advance(task)
    if progress is not None:
        progress.end(task)
    out.matrices = {side: [[_num(v) for v in line] for line in m] for side, m in assoc.items()}
    return out


def _one_pair(
    a: ColumnSpec,
    b: ColumnSpec,
    numbers: dict[str, list[np.ndarray]],
    coded: dict[str, tuple[list[np.ndarray], int]],
    n_frames: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {"column_1": a.name, "column_2": b.name}
    if is_continuous(a) and is_continuous(b):
        rho = [pearson(numbers[a.name][s], numbers[b.name][s]) for s in range(n_frames)]
        row["metric"] = "CorrelationSimilarity"
        scores = [1.0 - abs(rho[0] - r) / 2.0 for r in rho[1:]]
        row["real_association"] = _num(rho[0])
        row["synthetic_association"] = _num(rho[1])
        row["strong"] = bool(np.isfinite(rho[0]) and abs(rho[0]) > CORRELATION_THRESHOLD)
        row["_assoc"] = rho
        row["_why"] = "Pearson correlation is undefined: a column is constant (or has < 2 shared values)"
    else:
        (ca, size_a), (cb, size_b) = coded[a.name], coded[b.name]
        n_cells = size_a * size_b
        tables = [_table(ca[s], cb[s], size_b, n_cells) for s in range(n_frames)]
        probs = [t / t.sum() for t in tables]
        scores = [1.0 - 0.5 * float(np.abs(probs[0] - p).sum()) for p in probs[1:]]
        v = [cramers_v(t.reshape(size_a, size_b)) for t in tables]
        row["metric"] = "ContingencySimilarity"
        row["real_association"] = _num(v[0])
        row["synthetic_association"] = _num(v[1])
        row["strong"] = bool(np.isfinite(v[0]) and v[0] > CRAMERS_V_THRESHOLD)
        row["_assoc"] = v
        row["_why"] = ""
    row["score"] = _num(scores[0])
    row["reference"] = _num(scores[1]) if len(scores) > 1 else None
    return row


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def _mean(values: list[float | None]) -> float:
    finite = [v for v in values if v is not None]
    return float(np.mean(finite)) if finite else float("nan")


class ColumnPairs(Metric):
    """Mean over all column pairs of CorrelationSimilarity / ContingencySimilarity (SDMetrics 0.32, thresholds 0)."""

    key = "fidelity.column_pairs"
    name = "Column pair trends (all pairs)"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How well the relation between every pair of columns is kept: 1 - |difference of Pearson "
        "correlations| / 2 for two numeric columns, 1 - total variation distance of the 2-D contingency "
        "table otherwise (numbers in 10 bins of the real range), averaged over all pairs. SDMetrics' "
        "Column Pair Trends with both thresholds at 0 (TabSyn's trend score)."
    )
    strong_only: bool = False

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
        figures = _pair_figures(real, synthetic, schema, holdout, random_state, progress, self.name)
        rows = [r for r in figures.rows if r["strong"]] if self.strong_only else figures.rows
        details: dict[str, Any] = {
            "pairs": figures.rows,
            "n_pairs": len(figures.rows),
            "n_strong_pairs": sum(r["strong"] for r in figures.rows),
            "thresholds": {"correlation": CORRELATION_THRESHOLD, "cramers_v": CRAMERS_V_THRESHOLD},
            "association": {"columns": figures.matrix_columns, **figures.matrices},
        }
        return self.result(
            _mean([r["score"] for r in rows]),
            reference=None if holdout is None else _mean([r["reference"] for r in rows]),
            details=details,
            not_evaluated=figures.not_evaluated,
        )


class ColumnPairsStrong(ColumnPairs):
    """Column pair trends over the pairs the real data relate strongly (SDMetrics 0.32's default report)."""

    key = "fidelity.column_pairs_strong"
    name = "Column pair trends (strong pairs)"
    description = (
        "Column pair trends averaged only over the pairs whose real data show |Pearson| > 0.5 (two numeric "
        "columns) or Cramér's V > 0.3 (other pairs): SDMetrics' QualityReport default. Undefined (empty) "
        "when no pair is that strong."
    )
    strong_only = True
