"""Small schemas and tables for the fidelity tests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from simulacra.evaluation.base import MetricResult
from simulacra.schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema


def num(name: str) -> ColumnSpec:
    return ColumnSpec(name, ColumnKind.NUMERIC, "float64")


def cat(name: str) -> ColumnSpec:
    return ColumnSpec(name, ColumnKind.CATEGORICAL, "str")


def schema_of(*specs: ColumnSpec) -> TableSchema:
    return TableSchema(tuple(specs))


def mixed(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, TableSchema]:
    """Numbers, categories, a date, a lat/lon pair, an identifier; correlated, with gaps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 2 * x + rng.normal(scale=0.5, size=n)
    group = np.where(x > 0, "high", "low")
    city = rng.choice(["a", "b", "c"], size=n)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "x": x,
            "y": np.where(rng.random(n) < 0.1, np.nan, y),
            "group": group,
            "city": pd.Series(city, dtype=object).where(rng.random(n) > 0.05),
            "day": day.strftime("%Y-%m-%d"),
            "lat": 40 + rng.normal(scale=0.1, size=n),
            "lon": -3 + rng.normal(scale=0.1, size=n),
        }
    )
    schema = schema_of(
        ColumnSpec("id", ColumnKind.IDENTIFIER, "int64"),
        num("x"),
        num("y"),
        cat("group"),
        cat("city"),
        ColumnSpec("day", ColumnKind.DATETIME, "str", datetime_format="%Y-%m-%d"),
        ColumnSpec("lat", ColumnKind.GEO, "float64", geo_format=GeoFormat.LATITUDE, geo_partner="lon"),
        ColumnSpec("lon", ColumnKind.GEO, "float64", geo_format=GeoFormat.LONGITUDE, geo_partner="lat"),
    )
    return frame, schema


def assert_json_ready(result: MetricResult) -> None:
    text = json.dumps(result.to_dict(), allow_nan=False)
    assert text
