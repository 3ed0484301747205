"""Domains without leaks: bounds estimated privately, for a declared share of the budget.

With DP on, a column's domain (numeric / datetime bounds, category lists) is public knowledge from the
schema. Where the user cannot give bounds, :func:`estimate_bounds` estimates the missing numeric and
datetime bounds from the data under DP and charges the ledger ``share * rho_total`` (split evenly over
the columns estimated):

* numeric: a Gaussian-noised histogram over a fixed, data-independent grid of buckets, signed powers of
  two from ``2**-10`` to ``2**62`` (one record moves one bucket by 1: L2 sensitivity 1); the bounds are
  the outer edges of the lowest and highest buckets whose noisy count passes ``z * sigma``, with ``z``
  set so that an empty bucket passes with probability 1 % over the whole grid;
* datetime: the same over calendar years 1678 to 2261 (the span of ``datetime64[ns]``).

The bounds are coarse (a power of two, a calendar year) but cost little and never leak a record's exact
value. Category lists are not estimated: they must come from the schema.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..schema import ColumnKind, GeoFormat, TableSchema
from .accountant import PrivacyLedger
from .mechanisms import gaussian_mechanism, gaussian_sigma

__all__ = ["DATETIME_EDGES", "NUMERIC_EDGES", "PLACEHOLDER", "estimate_bounds", "is_placeholder", "public_schema_dict"]

#: how a public schema marks a value the user must fill in from public knowledge
PLACEHOLDER = "<fill in"

_POW = 2.0 ** np.arange(-10, 63)
#: bucket edges for numeric bounds: (-2**62 ... -2**-10), [-2**-10, 2**-10), (2**-10 ... 2**62)
NUMERIC_EDGES = np.concatenate([-_POW[::-1], _POW])
#: bucket edges for datetime bounds: 1 January of each year, in ns since 1970
DATETIME_EDGES = np.array([pd.Timestamp(year=y, month=1, day=1).value for y in range(1678, 2262)], dtype=np.float64)


def _threshold(sigma: float, buckets: int) -> float:
    return float(sigma * norm.isf(0.01 / buckets))


def _bounds(
    values: np.ndarray, edges: np.ndarray, rho: float, ledger: PrivacyLedger, rng: np.random.Generator, label: str
) -> tuple[float, float] | None:
    k = len(edges) - 1
    x = values[np.isfinite(values)]
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, k - 1)
    counts = np.bincount(idx, minlength=k).astype(np.float64)
    noisy = gaussian_mechanism(counts, sensitivity=1.0, rho=rho, ledger=ledger, label=label, rng=rng, stage="domain")
    passing = np.flatnonzero(noisy > _threshold(gaussian_sigma(rho, 1.0), k))
    if passing.size == 0:
        return None
    return float(edges[passing[0]]), float(edges[passing[-1] + 1])


def estimate_bounds(
    data: pd.DataFrame, schema: TableSchema, ledger: PrivacyLedger, rng: np.random.Generator, *, share: float
) -> TableSchema:
    """The schema with missing numeric / datetime bounds filled by private estimates (see the module doc).

    Columns whose noisy histogram has no bucket above the threshold keep no bounds (the caller reports them).
    """
    from ..generators.statistical._discretize import _datetime_ns, _is_number, _to_ns

    todo = []
    for spec in schema:
        if (spec.kind is ColumnKind.NUMERIC and not (_is_number(spec.minimum) and _is_number(spec.maximum))) or (
            spec.kind is ColumnKind.DATETIME and (_to_ns(spec.minimum) is None or _to_ns(spec.maximum) is None)
        ):
            todo.append(spec)
    if not todo:
        return schema
    rho = share * ledger.rho_total / len(todo)
    for spec in todo:
        col = data[spec.name]
        if spec.kind is ColumnKind.NUMERIC:
            nums = pd.to_numeric(col.where(col != spec.null_token) if spec.null_token else col, errors="coerce")
            values = np.asarray(nums, dtype=np.float64)
            found = _bounds(values, NUMERIC_EDGES, rho, ledger, rng, f"bounds of {spec.name}")
            if found is None:
                continue
            lo, hi = found
            integer = bool(spec.is_integer) or spec.dtype.startswith(("int", "uint", "Int"))
            evidence = (*spec.evidence, f"bounds estimated under DP (rho={rho:.3g}, power-of-two buckets)")
            lo_v: float | int = math.floor(lo) if integer else lo
            hi_v: float | int = math.ceil(hi) if integer else hi
            schema = schema.replace_column(spec.with_(minimum=lo_v, maximum=hi_v, evidence=evidence))
        else:
            values = _datetime_ns(col, spec)
            found = _bounds(values, DATETIME_EDGES, rho, ledger, rng, f"bounds of {spec.name}")
            if found is None:
                continue
            lo_s = pd.Timestamp(int(found[0])).isoformat()
            hi_s = pd.Timestamp(int(found[1])).isoformat()
            evidence = (*spec.evidence, f"bounds estimated under DP (rho={rho:.3g}, calendar-year buckets)")
            schema = schema.replace_column(spec.with_(minimum=lo_s, maximum=hi_s, evidence=evidence))
    return schema


def is_placeholder(value: object) -> bool:
    """True for a value left as written by ``simulacra profile --public`` (not yet filled in)."""
    if isinstance(value, str):
        return value.startswith(PLACEHOLDER)
    if isinstance(value, (list, tuple)):
        return any(is_placeholder(v) for v in value)
    return False


def public_schema_dict(schema: TableSchema) -> dict[str, object]:
    """A schema with no value read from the data: names, kinds, storage dtypes and formats only, with
    placeholders where the public domain goes (``simulacra profile --public``).

    Kept: ``name``, ``kind``, ``dtype``, ``is_integer`` (from the dtype), ``null_token`` and
    ``datetime_format`` (spellings, not values). Dropped: bounds, categories, null rates, decimals, the
    row count, evidence. Geo columns get placeholders for the latitude/longitude bounds (a pair) or the
    region (a text column). Every column is marked ``missing_as_category: true`` (it may be missing); set it
    to false for columns that never are.
    """
    cols: list[dict[str, object]] = []
    for spec in schema:
        col: dict[str, object] = {"name": spec.name, "kind": spec.kind.value, "dtype": spec.dtype}
        if spec.kind is ColumnKind.NUMERIC:
            col["is_integer"] = bool(spec.is_integer)
            col["minimum"] = f"{PLACEHOLDER}: public lower bound (a number)>"
            col["maximum"] = f"{PLACEHOLDER}: public upper bound (a number)>"
        elif spec.kind is ColumnKind.DATETIME:
            col["minimum"] = f"{PLACEHOLDER}: earliest possible date, ISO-8601>"
            col["maximum"] = f"{PLACEHOLDER}: latest possible date, ISO-8601>"
        elif spec.kind is ColumnKind.CATEGORICAL:
            col["categories"] = [f"{PLACEHOLDER}: every possible category, from a codebook>"]
        elif spec.kind is ColumnKind.GEO and spec.geo_format in (GeoFormat.LATITUDE, GeoFormat.LONGITUDE):
            axis = spec.geo_format.value
            col["minimum"] = f"{PLACEHOLDER}: public lower {axis} bound, or give a region (--bbox / --region)>"
            col["maximum"] = f"{PLACEHOLDER}: public upper {axis} bound, or give a region (--bbox / --region)>"
        elif spec.kind is ColumnKind.GEO:
            col["region"] = {"bbox": [f"{PLACEHOLDER}: minlon, minlat, maxlon, maxlat of the public region>"]}
        for key in ("null_token", "datetime_format", "timezone", "pii_type", "geo_format", "geo_partner"):
            value = getattr(spec, key)
            if value is not None:
                col[key] = getattr(value, "value", value)
        col["missing_as_category"] = True
        cols.append(col)
    return {"format": "simulacra.schema", "version": 1, "columns": cols}
