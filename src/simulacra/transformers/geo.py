"""Geographic points: a latitude/longitude pair, or one text column holding both, as one spatial variable.

:class:`GeoPairTransformer` owns a latitude/longitude column pair (``[lat_spec, lon_spec]``);
:class:`GeoTextTransformer` owns one text column holding both coordinates (``"lat,lon"``, ``"[lat, lon]"``,
WKT ``POINT (lon lat)``), whose exact template (brackets, separator, spacing) is learned and written back.
Both keep each coordinate's dtype and decimal places, and a point is missing as a whole (one shared
``.null`` indicator). Coordinates outside [-90, 90] / [-180, 180] are refused with an :class:`InputError`
naming the column and the count.

Two models, chosen by the spec's ``geo_model``:

* ``"cells"`` (default): ``<base>.cell``, a discrete column whose categories are the leaves of an adaptive
  H3 hierarchy (a generator learns it as a categorical, jointly with every other column), plus
  ``<base>.dx`` / ``<base>.dy``, the offset from the cell's centre in units of its edge length; at sampling
  the offsets of each cell are re-paired with its rows along the direction in which the row's other columns
  move a point in that cell (:mod:`simulacra.transformers._geo_placement`). Synthetic
  points stay in their cell and in the region (the spec's ``region``, else the cells where the real data
  lies); ``geo_min_distance_m`` keeps them away from real points alone in their cell. Details and the
  privacy trade-offs: :mod:`simulacra.transformers._geo_cells`.
* ``"numeric"`` (also used below 40 observed points, too few for cells): continuous ``<lat>`` / ``<lon>``
  (``<name>.lat`` / ``<name>.lon`` for a text column), the
  two numbers modelled like any numeric column and clipped to the learned bounding box.

``<base>`` is the latitude column of a pair, or the text column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..schema import ColumnSpec, GeoFormat
from ._common import (
    BaseTransformer,
    missing_mask,
    null_column,
    object_na,
    read_codes,
    read_continuous,
    read_null,
)
from ._geo_cells import GeoOptions, SpatialCells, check_ranges
from ._geo_placement import WithinCellPlacement
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


def geo_options(specs: list[ColumnSpec]) -> GeoOptions:
    """The geo model options of a pair or a text column (the first spec that sets each one wins)."""

    def pick(attr: str) -> Any:
        return next((getattr(s, attr) for s in specs if getattr(s, attr) is not None), None)

    return GeoOptions(
        model=pick("geo_model") or "cells",
        region=pick("region"),
        min_distance_m=float(pick("geo_min_distance_m") or 0.0),
    )


def _decimals(formats: list[NumberFormat]) -> tuple[int | None, int | None]:
    """Decimal places of latitude and longitude as written (None: not rounded)."""
    out = [0 if f.is_integer else f.decimals for f in formats]
    return out[0], out[1]


class _PointModel(BaseTransformer):
    """What the pair and the text transformer share: the choice of model and its columns."""

    bounds_: list[tuple[float, float]]
    formats_: list[NumberFormat]
    has_null_: bool

    @property
    def _names(self) -> tuple[str, str, str]:
        """(base, latitude model column, longitude model column) of the numeric model."""
        raise NotImplementedError

    def _fit_points(self, lat: np.ndarray, lon: np.ndarray, missing: np.ndarray, columns: tuple[str, str]) -> None:
        check_ranges(lat, lon, ~missing, columns)
        options = geo_options(self.specs)
        self.geo_model_ = options.model
        self.cells_: SpatialCells | None = None
        self.placement_: WithinCellPlacement | None = None
        if options.model == "cells" and (~missing).sum() >= 2 * options.min_points:
            box = (*self.bounds_[0], *self.bounds_[1])
            self.cells_ = SpatialCells(options).fit(lat[~missing], lon[~missing], _decimals(self.formats_), box)

    @property
    def wants_table(self) -> bool:
        """Whether :meth:`fit_table` should see the whole table's model columns (the cell model does)."""
        return getattr(self, "cells_", None) is not None

    def fit_table(self, model: Mapping[str, np.ndarray], columns: list[ModelColumn]) -> None:
        """Learn where in its cell a point sits given the row's other continuous model columns
        (:mod:`._geo_placement`); called by the table transformer after every column is fitted."""
        if self.cells_ is None:
            return
        base = self._names[0]
        own = {c.name for c in self._point_columns()}
        names = WithinCellPlacement.companions(
            [c.name for c in columns if c.type is ModelColumnType.CONTINUOUS and c.name in model], sorted(own)
        )
        rows = model[f"{base}.null"] == 0 if self.has_null_ else np.ones(len(model[f"{base}.cell"]), dtype=bool)
        self.placement_ = WithinCellPlacement().fit(
            np.asarray(model[f"{base}.cell"])[rows].astype(np.int64),
            np.asarray(model[f"{base}.dx"], dtype=float)[rows],
            np.asarray(model[f"{base}.dy"], dtype=float)[rows],
            {n: np.asarray(model[n], dtype=float)[rows] for n in names},
            self.cells_.n_cells,
        )

    def _point_columns(self) -> list[ModelColumn]:
        base, lat, lon = self._names
        source = self.input_columns[0]
        if self.cells_ is not None:
            cols = [
                ModelColumn(
                    f"{base}.cell",
                    ModelColumnType.DISCRETE,
                    source=source,
                    role="cell",
                    n_categories=self.cells_.n_cells,
                ),
                ModelColumn(f"{base}.dx", ModelColumnType.CONTINUOUS, source=source, role="dx"),
                ModelColumn(f"{base}.dy", ModelColumnType.CONTINUOUS, source=source, role="dy"),
            ]
        else:
            cols = [
                ModelColumn(lat, ModelColumnType.CONTINUOUS, source=source, role="lat"),
                ModelColumn(lon, ModelColumnType.CONTINUOUS, source=self.input_columns[-1], role="lon"),
            ]
        if self.has_null_:
            cols.append(null_column(base))
        return cols

    def _encode(
        self, lat: np.ndarray, lon: np.ndarray, missing: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        base, lat_name, lon_name = self._names
        check_ranges(lat, lon, ~missing, (self.input_columns[0], self.input_columns[-1]))
        _fill_pairs(lat, lon, missing, rng)
        if self.cells_ is not None:
            codes, dx, dy = self.cells_.encode(lat, lon)
            out = {f"{base}.cell": codes, f"{base}.dx": dx, f"{base}.dy": dy}
        else:
            out = {lat_name: lat, lon_name: lon}
        if self.has_null_:
            out[f"{base}.null"] = missing.astype(np.int64)
        return out

    def _decode(
        self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        base, lat_name, lon_name = self._names
        missing = read_null(model, base, n, self.has_null_)
        if self.cells_ is not None:
            codes = read_codes(model, f"{base}.cell", n, self.cells_.n_cells)
            dx = read_continuous(model, f"{base}.dx", n, 0.0)
            dy = read_continuous(model, f"{base}.dy", n, 0.0)
            placement = self.placement_
            if placement is not None and all(f in model for f in placement.features_):
                features = {f: np.asarray(model[f], dtype=float) for f in placement.features_}
                dx, dy = placement.apply(codes, dx, dy, features, rng)
            lat, lon = self.cells_.decode(codes, dx, dy, rng)
            return lat, lon, missing
        values = []
        for name, (lo, hi) in zip((lat_name, lon_name), self.bounds_, strict=True):
            values.append(np.clip(read_continuous(model, name, n, (lo + hi) / 2), lo, hi))
        return values[0], values[1], missing

    def _point_state(self) -> dict[str, Any]:
        return {
            "geo_model": self.geo_model_,
            "cells": None if self.cells_ is None else self.cells_.get_state(),
            "placement": None if self.placement_ is None else self.placement_.get_state(),
        }

    def _set_point_state(self, state: Mapping[str, Any]) -> None:
        self.geo_model_ = str(state.get("geo_model", "numeric"))
        cells = state.get("cells")
        self.cells_ = None if cells is None else SpatialCells(geo_options(self.specs)).set_state(cells)
        placement = state.get("placement")
        self.placement_ = None if placement is None else WithinCellPlacement.from_state(placement)

    def region_contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Whether points lie in the region synthetic points are kept to (all True for the numeric model)."""
        self._check_fitted()
        if self.cells_ is None:
            return np.ones(len(lat), dtype=bool)
        return self.cells_.contains(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))


class GeoPairTransformer(_PointModel):
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
        self._fit_points(lat, lon, missing, (self.specs[0].name, self.specs[1].name))
        self.fitted_ = True
        return self

    @property
    def _names(self) -> tuple[str, str, str]:
        lat, lon = self.input_columns
        return lat, lat, lon

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        return self._point_columns()

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        lat, lon, missing, _ = self._parse(data)
        return self._encode(lat, lon, missing, rng)

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        lat, lon, missing = self._decode(model, n, rng)
        names = self.input_columns
        return pd.DataFrame(
            {names[0]: self.formats_[0].format(lat, missing), names[1]: self.formats_[1].format(lon, missing)}
        )

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "formats": [asdict(f) for f in self.formats_],
            "bounds": [list(b) for b in self.bounds_],
            "has_null": self.has_null_,
            **self._point_state(),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.formats_ = [NumberFormat(**f) for f in state["formats"]]
        self.bounds_ = [(float(b[0]), float(b[1])) for b in state["bounds"]]
        self.has_null_ = bool(state["has_null"])
        self._set_point_state(state)
        self.fitted_ = True


class GeoTextTransformer(_PointModel):
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
        self._fit_points(lat, lon, missing, (self.col, self.col))
        self.fitted_ = True
        return self

    @property
    def _names(self) -> tuple[str, str, str]:
        return self.col, f"{self.col}.lat", f"{self.col}.lon"

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        return self._point_columns()

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        lat, lon, missing, _ = self._parse(data[self.col])
        return self._encode(lat, lon, missing, rng)

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        lat, lon, missing = self._decode(model, n, rng)
        none = np.zeros(n, dtype=bool)
        texts = [fmt.format(v, none).to_numpy(dtype=object) for v, fmt in zip((lat, lon), self.formats_, strict=True)]
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
            **self._point_state(),
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
        self._set_point_state(state)
        self.fitted_ = True
