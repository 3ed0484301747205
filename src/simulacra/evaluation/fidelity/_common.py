"""Helpers shared by the fidelity metrics: input checks, missing cells, integer codes per column, plots.

Everything here works on one column at a time and returns aggregates only: codes and counts, never
rows. Encodings that the privacy metrics share live in :mod:`simulacra.evaluation._encode`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError
from ...schema import ColumnKind, ColumnSpec, TableSchema
from .._encode import as_labels, as_numbers, is_continuous, judged_columns

__all__ = [
    "ALL_MISSING",
    "check_tables",
    "codes",
    "digitize_on_real",
    "distribution",
    "is_missing",
    "labels",
    "numbers",
    "percentile_bins",
    "round_sig",
    "sample_rows",
    "usable_columns",
]

ALL_MISSING = "every value is missing in the {side} table"
MAX_PLOT_CATEGORIES = 30
PLOT_BINS = 20


def check_tables(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: TableSchema, holdout: pd.DataFrame | None
) -> None:
    """Raise :class:`InputError` when a table is empty or the tables do not have the same columns."""
    problems: list[str] = []
    tables = [("real", real), ("synthetic", synthetic)]
    if holdout is not None:
        tables.append(("holdout", holdout))
    for side, frame in tables:
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"the {side} table is a {type(frame).__name__}, not a pandas DataFrame")
        elif len(frame) == 0:
            problems.append(f"the {side} table has no rows; give at least one row")
    if problems:
        raise InputError("cannot evaluate: " + "; ".join(problems))
    real_cols = set(real.columns)
    for side, frame in tables[1:]:
        extra = sorted(map(str, set(frame.columns) - real_cols))
        lacking = sorted(map(str, real_cols - set(frame.columns)))
        if extra or lacking:
            parts = []
            if lacking:
                parts.append(f"lacks column(s) {lacking}")
            if extra:
                parts.append(f"has column(s) {extra} that the real table does not")
            problems.append(f"the {side} table " + " and ".join(parts))
    absent = [c.name for c in schema if c.name not in real_cols]
    if absent:
        problems.append(f"the schema lists column(s) {absent} that the real table lacks; profile the real table again")
    if problems:
        raise InputError("cannot evaluate: " + "; ".join(problems) + "; give tables with the same columns")


def is_missing(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    """Missing cells: NA, the column's null token, or (continuous columns) values that are no number."""
    if is_continuous(spec):
        return np.isnan(as_numbers(series, spec).to_numpy())
    mask = series.isna().to_numpy()
    if spec.null_token is not None:
        mask = mask | (series.astype("string") == spec.null_token).fillna(False).to_numpy()
    return np.asarray(mask, dtype=bool)


def numbers(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    """Non-missing values of a continuous column as float64."""
    values = as_numbers(series, spec).to_numpy(dtype=float)
    return values[~np.isnan(values)]


def labels(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    """Non-missing values of a categorical column as strings."""
    keep = ~is_missing(series, spec)
    return as_labels(series[keep]).to_numpy(dtype=object)


def usable_columns(
    schema: TableSchema, frames: Sequence[pd.DataFrame], sides: Sequence[str] = ("real", "synthetic")
) -> tuple[list[ColumnSpec], dict[str, str]]:
    """Judged columns that have at least one value in each of the first two frames; the rest with the reason."""
    specs, skipped = judged_columns(schema)
    keep: list[ColumnSpec] = []
    for spec in specs:
        empty = [side for side, f in zip(sides, frames, strict=False) if is_missing(f[spec.name], spec).all()]
        if empty:
            skipped[spec.name] = ALL_MISSING.format(side=" and ".join(empty))
        else:
            keep.append(spec)
    return keep, skipped


BINS_PAIRS = 10


def digitize_on_real(real_values: np.ndarray, bins: int = BINS_PAIRS) -> np.ndarray:
    """Equal-width bin edges of the real non-missing values (``np.histogram_bin_edges``)."""
    if len(real_values) == 0:
        return np.array([0.0, 1.0])
    return np.histogram_bin_edges(real_values, bins=bins)


def percentile_bins(real_values: np.ndarray, bins: int = 20) -> np.ndarray:
    """Upper bounds of SDNist's percentile bins of the real values (``rank(pct=True)``, ``int(bins * rank)``).

    Ties share a bin; the returned array holds the largest real value of each occupied bin, ascending.
    """
    if len(real_values) == 0:
        return np.array([0.0])
    ranks = pd.Series(real_values).rank(pct=True).to_numpy()
    which = np.minimum((bins * ranks).astype(int), bins - 1)
    uppers = pd.Series(real_values).groupby(which).max()
    return np.sort(uppers.to_numpy(dtype=float))


def codes(spec: ColumnSpec, frames: Sequence[pd.DataFrame], binning: str = "histogram") -> tuple[list[np.ndarray], int]:
    """Integer codes of one column in every frame, on a shared code book; missing cells get a code of their own.

    Categorical columns: one code per label seen in any frame. Continuous columns, ``binning="histogram"``:
    ``np.digitize`` on 10 equal-width edges of each table's own values, as SDMetrics 0.32's QualityReport
    (codes 1..10 cover the range, 11 holds the maximum).
    ``binning="percentile"``: SDNist's 20 percentile bins of the real values (values above the last real
    bin join it). The first frame is the real one.
    """
    if is_continuous(spec):
        values = [as_numbers(f[spec.name], spec).to_numpy(dtype=float) for f in frames]
        real = values[0][~np.isnan(values[0])]
        if binning == "percentile":
            uppers = percentile_bins(real)
            out = [np.minimum(np.searchsorted(uppers, v, side="left"), len(uppers) - 1) for v in values]
            n_bins = len(uppers)
        else:
            # SDMetrics 0.32's QualityReport bins every table on its own equal-width edges
            # (``_get_processed_data`` runs once per table); we do the same so that figures, the holdout
            # reference included, compare with published ones
            out = []
            for v in values:
                ok = v[~np.isnan(v)]
                edges = digitize_on_real(ok if len(ok) else real)
                out.append(np.digitize(v, edges))
            n_bins = BINS_PAIRS + 2
        missing_code = n_bins
        result = [np.where(np.isnan(v), missing_code, c).astype(np.int64) for v, c in zip(values, out, strict=True)]
        return result, n_bins + 1
    raw = [f[spec.name] for f in frames]
    masks = [is_missing(s, spec) for s in raw]
    texts = [as_labels(s).to_numpy(dtype=object) for s in raw]
    book = pd.Index(pd.unique(np.concatenate([t[~m] for t, m in zip(texts, masks, strict=True)])))
    missing_code = len(book)
    result = []
    for t, m in zip(texts, masks, strict=True):
        c = book.get_indexer(t).astype(np.int64)
        c[m] = missing_code
        result.append(c)
    return result, missing_code + 1


def joint_counts(columns: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Cell keys and counts of the joint distribution of some code columns (one row per observed cell)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for c, size in zip(columns, sizes, strict=True):
        key = key * size + c
    cells, counts = np.unique(key, return_counts=True)
    return cells, counts


def l1_distance(a: Sequence[np.ndarray], b: Sequence[np.ndarray], sizes: Sequence[int]) -> float:
    """Sum of absolute differences of the normalised joint counts of two tables' code columns (0..2)."""
    total = math.prod(sizes)
    if total <= 4_000_000:
        key_a = np.zeros(len(a[0]), dtype=np.int64)
        key_b = np.zeros(len(b[0]), dtype=np.int64)
        for ca, cb, size in zip(a, b, sizes, strict=True):
            key_a = key_a * size + ca
            key_b = key_b * size + cb
        pa = np.bincount(key_a, minlength=total) / len(key_a)
        pb = np.bincount(key_b, minlength=total) / len(key_b)
        return float(np.abs(pa - pb).sum())
    cells_a, counts_a = joint_counts(a, sizes)
    cells_b, counts_b = joint_counts(b, sizes)
    series_a = pd.Series(counts_a / len(a[0]), index=cells_a)
    series_b = pd.Series(counts_b / len(b[0]), index=cells_b)
    return float(series_a.subtract(series_b, fill_value=0.0).abs().sum())


def sample_rows(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """At most ``n`` rows of ``frame``, drawn without replacement (all of them, in order, when it is smaller)."""
    if len(frame) <= n:
        return frame
    take = np.sort(rng.choice(len(frame), size=n, replace=False))
    return frame.iloc[take]


def round_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (bin edges shown in the report)."""
    if not math.isfinite(x) or x == 0:
        return float(x)
    return float(round(x, digits - 1 - math.floor(math.log10(abs(x)))))


def distribution(spec: ColumnSpec, frames: Sequence[pd.DataFrame | None], sides: Sequence[str]) -> dict[str, Any]:
    """Normalised frequencies of one column per table, for the report's plots (aggregates only).

    Continuous columns: 20 equal-width bins over the real range, edges rounded to 3 significant digits;
    values outside the real range are counted in the end bins and their share reported as ``out_of_range``.
    Categorical columns: the 30 most frequent real categories (labels are schema-level information), the
    rest summed as ``"(other)"``. Missing cells are left out; their share is given as ``missing``.
    """
    present = [(side, f) for side, f in zip(sides, frames, strict=True) if f is not None]
    out: dict[str, Any] = {}
    if is_continuous(spec):
        values = {side: as_numbers(f[spec.name], spec).to_numpy(dtype=float) for side, f in present}
        real = values[sides[0]]
        real_ok = real[~np.isnan(real)]
        edges = np.histogram_bin_edges(real_ok, bins=PLOT_BINS) if len(real_ok) else np.linspace(0, 1, PLOT_BINS + 1)
        out["kind"] = "numeric"
        out["unit"] = "epoch_seconds" if spec.kind is ColumnKind.DATETIME else None
        out["bin_edges"] = [round_sig(float(e)) for e in edges]
        for side, v in values.items():
            ok = v[~np.isnan(v)]
            counts, _ = np.histogram(np.clip(ok, edges[0], edges[-1]), bins=edges)
            out[side] = _fractions(counts, len(ok))
            out[f"{side}_out_of_range"] = _share(((ok < edges[0]) | (ok > edges[-1])).sum(), len(ok))
            out[f"{side}_missing"] = _share(len(v) - len(ok), len(v))
        return out
    texts = {side: labels(f[spec.name], spec) for side, f in present}
    sizes = {side: len(f) for side, f in present}
    order = pd.Series(texts[sides[0]]).value_counts()
    top = list(order.index[:MAX_PLOT_CATEGORIES])
    other = len(order) > MAX_PLOT_CATEGORIES or any(
        not set(pd.unique(t)).issubset(top) for side, t in texts.items() if side != sides[0]
    )
    out["kind"] = "categorical"
    out["categories"] = [str(c) for c in top] + (["(other)"] if other else [])
    for side, t in texts.items():
        counts = pd.Series(t).value_counts()
        row = [int(counts.get(c, 0)) for c in top]
        if other:
            row.append(int(len(t) - sum(row)))
        out[side] = _fractions(np.asarray(row), len(t))
        out[f"{side}_missing"] = _share(sizes[side] - len(t), sizes[side])
    return out


def _fractions(counts: np.ndarray, n: int) -> list[float]:
    return [round(float(c) / n, 6) if n else 0.0 for c in counts]


def _share(k: float, n: int) -> float:
    return round(float(k) / n, 6) if n else 0.0
