"""Geographic points: latitude and longitude kept together as two continuous model columns.

:class:`GeoPairTransformer` owns a latitude/longitude column pair (``[lat_spec, lon_spec]``) and emits
continuous ``<lat>`` and ``<lon>`` (+ one shared ``<lat>.null``: a point is missing as a whole), which a
generator models jointly. :class:`GeoTextTransformer` owns one text column holding both coordinates
(``"lat,lon"``, ``"[lat, lon]"``, WKT ``POINT (lon lat)``) and emits ``<name>.lat`` and ``<name>.lon``; the
exact template (brackets, separator, spacing) and each coordinate's precision are learned and written back.

The inverse clips to the learned bounding box (and to the valid ranges of latitude and longitude) and
rounds to each coordinate's decimal places. A proper spatial model (density on the sphere, snapping to
land, polygons) comes with the geo issue; until then the generator's joint model of the two numbers is
what keeps points plausible.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..schema import GeoFormat
from ._common import BaseTransformer, missing_mask, null_column, object_na, read_continuous, read_null
from .base import ModelColumn, ModelColumnType
from .numeric import NumberFormat, parse_numbers

__all__ = ["GeoPairTransformer", "GeoTextTransformer"]

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_POINT_RE = rf"^(\D*?)({_NUM})(\D*?)({_NUM})(\D*)$"
_RANGE = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0)}


def _bounds(values: np.ndarray, spec_min: Any, spec_max: Any, axis: str) -> tuple[float, float]:
    lo, hi = _RANGE[axis]
    finite = values[np.isfinite(values)]
    mn = float(finite.min()) if len(finite) else 0.0
    mx = float(finite.max()) if len(finite) else 0.0
    if isinstance(spec_min, (int, float)) and not isinstance(spec_min, bool):
        mn = float(spec_min)
    if isinstance(spec_max, (int, float)) and not isinstance(spec_max, bool):
        mx = float(spec_max)
    mn, mx = max(mn, lo), min(mx, hi)
    return mn, max(mn, mx)


def _fill_pairs(lat: np.ndarray, lon: np.ndarray, missing: np.ndarray, rng: np.random.Generator) -> None:
    """In place: missing points take the coordinates of random observed points (0, 0 if none)."""
    if not missing.any():
        return
    rows = np.flatnonzero(~missing)
    if len(rows) == 0:
        lat[missing] = 0.0
        lon[missing] = 0.0
        return
    pick = rows[rng.integers(0, len(rows), size=int(missing.sum()))]
    lat[missing] = lat[pick]
    lon[missing] = lon[pick]


class GeoPairTransformer(BaseTransformer):
    """A latitude/longitude column pair <-> continuous ``<lat>``, ``<lon>`` (+ shared ``<lat>.null``)."""

    name = "geo_pair"
    n_specs = 2

    def _parse(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[NumberFormat]]:
        parts = [parse_numbers(data[s.name], s.null_token, f"column {s.name!r}") for s in self.specs]
        (lat, miss_lat, f_lat), (lon, miss_lon, f_lon) = parts
        return lat, lon, miss_lat | miss_lon, [f_lat, f_lon]

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> GeoPairTransformer:
        self._check_data(data)
        lat, lon, missing, formats = self._parse(data)
        for i, spec in enumerate(self.specs):
            if spec.decimals is not None and not formats[i].dtype.lower().startswith(("int", "uint")):
                f = formats[i]
                formats[i] = NumberFormat(f.dtype, int(spec.decimals), f.style, f.token, f.na, f.min_decimals)
        self.formats_ = formats
        self.bounds_ = [
            _bounds(lat[~missing], self.specs[0].minimum, self.specs[0].maximum, "lat"),
            _bounds(lon[~missing], self.specs[1].minimum, self.specs[1].maximum, "lon"),
        ]
        self.has_null_ = bool(missing.any())
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        lat, lon = self.input_columns
        cols = [
            ModelColumn(lat, ModelColumnType.CONTINUOUS, source=lat, role="lat"),
            ModelColumn(lon, ModelColumnType.CONTINUOUS, source=lon, role="lon"),
        ]
        if self.has_null_:
            cols.append(null_column(lat))
        return cols

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        lat, lon, missing, _ = self._parse(data)
        _fill_pairs(lat, lon, missing, rng)
        names = self.input_columns
        out = {names[0]: lat, names[1]: lon}
        if self.has_null_:
            out[f"{names[0]}.null"] = missing.astype(np.int64)
        return out

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        names = self.input_columns
        missing = read_null(model, names[0], n, self.has_null_)
        out = {}
        for name, (lo, hi), fmt in zip(names, self.bounds_, self.formats_, strict=True):
            values = np.clip(read_continuous(model, name, n, (lo + hi) / 2), lo, hi)
            out[name] = fmt.format(values, missing)
        return pd.DataFrame(out)

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "formats": [asdict(f) for f in self.formats_],
            "bounds": [list(b) for b in self.bounds_],
            "has_null": self.has_null_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.formats_ = [NumberFormat(**f) for f in state["formats"]]
        self.bounds_ = [(float(b[0]), float(b[1])) for b in state["bounds"]]
        self.has_null_ = bool(state["has_null"])
        self.fitted_ = True


class GeoTextTransformer(BaseTransformer):
    """One text column holding a point <-> continuous ``<name>.lat``, ``<name>.lon`` (+ ``<name>.null``)."""

    name = "geo_text"

    def _parse(self, col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
        missing = missing_mask(col, self.spec.null_token)
        parts = col[~missing].astype(str).str.extract(_POINT_RE)
        bad = int(parts[1].isna().sum())
        if bad:
            raise SchemaError(
                f"column {self.col!r}: {bad} value(s) do not hold two coordinates in the geo_format of the "
                "schema; fix the column's geo_format or give it another kind"
            )
        first, second = (1, 3) if self.lat_first_ else (3, 1)
        lat = np.zeros(len(col))
        lon = np.zeros(len(col))
        lat[~missing] = parts[first].astype(float).to_numpy()
        lon[~missing] = parts[second].astype(float).to_numpy()
        return lat, lon, missing, parts

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> GeoTextTransformer:
        self._check_data(data)
        col = data[self.col]
        self.lat_first_ = self.spec.geo_format is not GeoFormat.WKT_POINT
        lat, lon, missing, parts = self._parse(col)
        if len(parts):
            triples = parts[0] + "\x00" + parts[2] + "\x00" + parts[4]
            self.template_ = str(triples.value_counts().index[0]).split("\x00")
        elif self.spec.geo_format is GeoFormat.WKT_POINT:
            self.template_ = ["POINT (", " ", ")"]
        else:
            self.template_ = ["", ",", ""]
        first, second = (1, 3) if self.lat_first_ else (3, 1)
        self.formats_ = [
            parse_numbers(parts[first].astype("str"), None, f"column {self.col!r}")[2],
            parse_numbers(parts[second].astype("str"), None, f"column {self.col!r}")[2],
        ]
        self.bounds_ = [_bounds(lat[~missing], None, None, "lat"), _bounds(lon[~missing], None, None, "lon")]
        self.has_null_ = bool(missing.any())
        token = self.spec.null_token
        self.token_ = token if token is not None and bool((col == token).fillna(False).any()) else None
        self.dtype_ = str(col.dtype)
        self.na_ = object_na(col)
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        cols = [
            ModelColumn(f"{self.col}.lat", ModelColumnType.CONTINUOUS, source=self.col, role="lat"),
            ModelColumn(f"{self.col}.lon", ModelColumnType.CONTINUOUS, source=self.col, role="lon"),
        ]
        if self.has_null_:
            cols.append(null_column(self.col))
        return cols

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        lat, lon, missing, _ = self._parse(data[self.col])
        _fill_pairs(lat, lon, missing, rng)
        out = {f"{self.col}.lat": lat, f"{self.col}.lon": lon}
        if self.has_null_:
            out[f"{self.col}.null"] = missing.astype(np.int64)
        return out

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        missing = read_null(model, self.col, n, self.has_null_)
        none = np.zeros(n, dtype=bool)
        texts = []
        for axis, (lo, hi), fmt in zip(("lat", "lon"), self.bounds_, self.formats_, strict=True):
            values = np.clip(read_continuous(model, f"{self.col}.{axis}", n, (lo + hi) / 2), lo, hi)
            texts.append(fmt.format(values, none).to_numpy(dtype=object))
        first, second = texts if self.lat_first_ else texts[::-1]
        pre, mid, post = self.template_
        out = (pre + first + mid + second + post).astype(object)
        if self.token_ is not None:
            out[missing] = self.token_
        else:
            out[missing] = None if (self.dtype_ == "object" and self.na_ == "none") else np.nan
        series = pd.Series(out, dtype=object) if self.dtype_ == "object" else pd.Series(out).astype(self.dtype_)
        return pd.DataFrame({self.col: series})

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "lat_first": self.lat_first_,
            "template": list(self.template_),
            "formats": [asdict(f) for f in self.formats_],
            "bounds": [list(b) for b in self.bounds_],
            "has_null": self.has_null_,
            "token": self.token_,
            "dtype": self.dtype_,
            "na": self.na_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.lat_first_ = bool(state["lat_first"])
        self.template_ = [str(t) for t in state["template"]]
        self.formats_ = [NumberFormat(**f) for f in state["formats"]]
        self.bounds_ = [(float(b[0]), float(b[1])) for b in state["bounds"]]
        self.has_null_ = bool(state["has_null"])
        self.token_ = state.get("token")
        self.dtype_ = str(state["dtype"])
        self.na_ = str(state.get("na", "nan"))
        self.fitted_ = True
