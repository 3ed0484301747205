"""Recognise geographic points: latitude/longitude column pairs and single text columns holding both."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._detect_common import name_tokens
from .kinds import GeoFormat

__all__ = ["MATCH_RATE", "detect_geo_text", "find_latlon_pairs"]

MATCH_RATE = 0.99
# "x" / "y" are left out: columns so named are plane coordinates far more often than longitude/latitude,
# and the geo model (H3 cells on the sphere) would distort them; give them kind "geo" in the schema if they are
_LAT = ("lat", "latitude")
_LON = ("lon", "lng", "long", "longitude")
_NUM = r"[-+]?\d{1,3}(?:\.\d+)?"
_LATLON = re.compile(rf"\s*[\[(]?\s*({_NUM})\s*[,;]\s*({_NUM})\s*[\])]?\s*")
_WKT = re.compile(rf"\s*POINT\s*\(\s*({_NUM})\s+({_NUM})\s*\)\s*", re.IGNORECASE)


def _role(name: str) -> tuple[str, str] | None:
    """('lat'|'lon', the name with that token blanked) for names such as ``pickup_latitude``."""
    tokens = name_tokens(name)
    for role, words in (("lat", _LAT), ("lon", _LON)):
        hits = [i for i, t in enumerate(tokens) if t in words]
        if len(hits) == 1:
            rest = [*tokens[: hits[0]], "*", *tokens[hits[0] + 1 :]]
            return role, " ".join(rest)
    return None


def _fits(values: pd.Series, limit: float) -> bool:
    v = values.dropna().to_numpy(dtype=float)
    if len(v) == 0 or not np.all(np.abs(v) <= limit):
        return False
    return bool(np.any(v != np.round(v)))


def find_latlon_pairs(data: pd.DataFrame) -> dict[str, tuple[GeoFormat, str]]:
    """Column name -> (LATITUDE|LONGITUDE, partner) for float columns paired by name and in range."""
    lats: dict[str, str] = {}
    lons: dict[str, str] = {}
    for name in data.columns:
        col = data[name]
        if not pd.api.types.is_float_dtype(col.dtype):
            continue
        role = _role(str(name))
        if role is None:
            continue
        (lats if role[0] == "lat" else lons)[role[1]] = str(name)
    out: dict[str, tuple[GeoFormat, str]] = {}
    for key, lat in lats.items():
        lon = lons.get(key)
        if lon is None or not _fits(data[lat], 90.0) or not _fits(data[lon], 180.0):
            continue
        out[lat] = (GeoFormat.LATITUDE, lon)
        out[lon] = (GeoFormat.LONGITUDE, lat)
    return out


def detect_geo_text(values: pd.Series) -> tuple[GeoFormat, str] | None:
    """LATLON_TEXT or WKT_POINT when (nearly) all sampled non-missing strings hold a valid point."""
    if len(values) == 0:
        return None
    text = values.astype(str)
    for fmt, pattern, lat_group in ((GeoFormat.LATLON_TEXT, _LATLON, 1), (GeoFormat.WKT_POINT, _WKT, 2)):
        parts = text.str.extract(pattern.pattern, flags=pattern.flags)
        matched = parts.notna().all(axis=1) & text.str.fullmatch(pattern.pattern, flags=pattern.flags)
        if float(matched.mean()) < MATCH_RATE:
            continue
        lat = parts.loc[matched, lat_group - 1].astype(float)
        lon = parts.loc[matched, 2 - lat_group].astype(float)
        if (lat.abs() > 90).any() or (lon.abs() > 180).any():
            continue
        if not bool(((lat != lat.round()) | (lon != lon.round())).any()):
            continue
        order = "latitude, longitude" if fmt is GeoFormat.LATLON_TEXT else "WKT POINT (longitude latitude)"
        return fmt, f"{100 * float(matched.mean()):.0f}% of sampled values are points written as {order}: geo"
    return None
