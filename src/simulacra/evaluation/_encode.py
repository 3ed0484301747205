"""Shared encodings of tables for metrics: which columns a metric can judge, numeric views for
distances and classifiers.

The mixed-type distance used by the privacy metrics and by alpha-precision/beta-recall is the one
peer-baseline measurements used (research/peer-baseline.md): numeric and datetime columns min-max
scaled on the training table (so a full-range difference adds 1 to the squared distance), categorical
columns one-hot encoded and scaled by 1/sqrt(2) (a mismatch adds 1), missing values a category of
their own (numeric: an indicator plus 0). Identifier, PII and free-text columns are excluded (listed
with the reason); a geo pair enters as its two numeric columns until the geo issue adds its metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema

__all__ = ["EXCLUDED_KINDS", "as_labels", "as_numbers", "encode_mixed", "is_continuous", "judged_columns"]

EXCLUDED_KINDS = {
    ColumnKind.IDENTIFIER: "identifiers are regenerated, not modelled",
    ColumnKind.PII: "PII is replaced by surrogates, not modelled",
    ColumnKind.TEXT: "free text has its own metrics (the text family)",
}


def judged_columns(schema: TableSchema) -> tuple[list[ColumnSpec], dict[str, str]]:
    """Columns that tabular metrics judge, and the others with the reason."""
    keep: list[ColumnSpec] = []
    skipped: dict[str, str] = {}
    for spec in schema:
        if spec.kind in EXCLUDED_KINDS:
            skipped[spec.name] = EXCLUDED_KINDS[spec.kind]
        elif spec.kind is ColumnKind.GEO and spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT):
            skipped[spec.name] = "geo text points get their own metrics (geo issue)"
        else:
            keep.append(spec)
    return keep, skipped


def is_continuous(spec: ColumnSpec) -> bool:
    """Judged as numbers (KS, correlation, binning) rather than as categories."""
    return spec.kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME, ColumnKind.GEO)


def as_numbers(series: pd.Series, spec: ColumnSpec) -> pd.Series:
    """A numeric/datetime/geo column as float64 (datetimes as epoch seconds, text numbers parsed); NaN for missing."""
    if spec.kind is ColumnKind.DATETIME:
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            values = pd.to_datetime(series, utc=True)
        elif spec.datetime_format in ("epoch_s", "epoch_ms"):
            unit = "s" if spec.datetime_format == "epoch_s" else "ms"
            values = pd.to_datetime(pd.to_numeric(series, errors="coerce"), unit=unit, utc=True)
        else:
            text = series.astype("string")
            fmt = spec.datetime_format
            values = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
        seconds = (values - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
        return seconds.astype("float64")
    if spec.null_token is not None and not pd.api.types.is_numeric_dtype(series.dtype):
        series = series.where(series.astype("string") != spec.null_token)
    return pd.to_numeric(series, errors="coerce").astype("float64")


def as_labels(series: pd.Series) -> pd.Series:
    """A categorical column as strings, missing as its own label."""
    return series.astype("object").where(series.notna(), "<missing>").astype(str)


def encode_mixed(frames: Sequence[pd.DataFrame], schema: TableSchema, fit_on: int = 0) -> list[np.ndarray]:
    """Encode every frame the same way for Euclidean distances, scaled on ``frames[fit_on]``."""
    specs, _ = judged_columns(schema)
    blocks: list[list[np.ndarray]] = [[] for _ in frames]
    for spec in specs:
        if is_continuous(spec):
            cols = [as_numbers(f[spec.name], spec).to_numpy() for f in frames]
            base = cols[fit_on]
            finite = base[np.isfinite(base)]
            lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
            span = (hi - lo) or 1.0
            any_missing = any(np.isnan(c).any() for c in cols)
            for i, c in enumerate(cols):
                scaled = np.clip((c - lo) / span, -0.5, 1.5)
                blocks[i].append(np.nan_to_num(scaled, nan=0.0)[:, None])
                if any_missing:
                    blocks[i].append(np.isnan(c).astype(float)[:, None])
        else:
            labels = [as_labels(f[spec.name]) for f in frames]
            cats = pd.Index(sorted(set().union(*[set(lb.unique()) for lb in labels])))
            for i, lb in enumerate(labels):
                codes = cats.get_indexer(lb)
                onehot = np.zeros((len(lb), len(cats)))
                onehot[np.arange(len(lb)), codes] = 1.0 / np.sqrt(2.0)
                blocks[i].append(onehot)
    return [np.hstack(b) if b else np.zeros((len(f), 0)) for b, f in zip(blocks, frames, strict=True)]
