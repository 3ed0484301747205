"""Shared helpers of the geo metrics: finding the points of a table, H3 cells, haversine neighbours."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ...schema import ColumnKind, GeoFormat, TableSchema

__all__ = [
    "EARTH_RADIUS_M",
    "GeoColumn",
    "cell_counts",
    "coordinates",
    "geo_columns",
    "nearest_m",
    "no_geo",
    "points",
    "subsample",
]

EARTH_RADIUS_M = 6_371_008.8
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT_RE = rf"^\D*?({_NUM})\D*?({_NUM})\D*$"
NO_GEO = "the table has no geographic column (latitude/longitude pair or point text column)"


class GeoColumn:
    """One geographic point of the table: a pair (``lat``, ``lon`` columns) or one text column."""

    def __init__(self, name: str, lat: str, lon: str, fmt: GeoFormat) -> None:
        self.name, self.lat, self.lon, self.fmt = name, lat, lon, fmt


def geo_columns(schema: TableSchema) -> list[GeoColumn]:
    out = []
    for spec in schema.of_kind(ColumnKind.GEO):
        if spec.geo_format is GeoFormat.LATITUDE and spec.geo_partner in schema:
            out.append(GeoColumn(f"{spec.name}/{spec.geo_partner}", spec.name, str(spec.geo_partner), spec.geo_format))
        elif spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT):
            out.append(GeoColumn(spec.name, spec.name, spec.name, spec.geo_format))
    return out


def points(frame: pd.DataFrame, col: GeoColumn) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of the rows with a valid point (missing and out-of-range points dropped)."""
    lat, lon, ok = coordinates(frame, col)
    return lat[ok], lon[ok]


def coordinates(frame: pd.DataFrame, col: GeoColumn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, valid) for every row."""
    if col.lat != col.lon:
        lat = pd.to_numeric(frame[col.lat], errors="coerce").to_numpy(dtype=float)
        lon = pd.to_numeric(frame[col.lon], errors="coerce").to_numpy(dtype=float)
    else:
        parts = frame[col.lat].astype("string").str.extract(_POINT_RE)
        a = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
        b = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
        lat, lon = (b, a) if col.fmt is GeoFormat.WKT_POINT else (a, b)
    ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    return lat, lon, ok


def subsample(lat: np.ndarray, lon: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if len(lat) <= n:
        return lat, lon
    idx = np.sort(rng.choice(len(lat), size=n, replace=False))
    return lat[idx], lon[idx]


def cell_counts(lat: np.ndarray, lon: np.ndarray, res: int) -> pd.Series:
    """Points per H3 cell (string ids) at ``res``."""
    import h3

    to_cell = h3.latlng_to_cell
    cells = [to_cell(a, b, res) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    return pd.Series(cells, dtype=object).value_counts()


def nearest_m(query: tuple[np.ndarray, np.ndarray], ref: tuple[np.ndarray, np.ndarray], k: int = 1) -> np.ndarray:
    """Haversine distances (metres) from each query point to its ``k`` nearest reference points."""
    from sklearn.neighbors import BallTree

    tree = BallTree(np.radians(np.column_stack(ref)), metric="haversine")
    dist, _ = tree.query(np.radians(np.column_stack(query)), k=k)
    return np.asarray(dist) * EARTH_RADIUS_M


def no_geo(metric: Any) -> Any:
    """The result of a metric on a table without geo columns: not evaluated."""
    return metric.result(math.nan, not_evaluated={"*": NO_GEO})
