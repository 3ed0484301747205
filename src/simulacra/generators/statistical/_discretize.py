"""Discretisation for the DP generators: every column to integer codes, with a domain taken only from the
schema (public knowledge), never from the data.

Binning (documented in ``docs/privacy.md``)
    categorical  one code per category of ``spec.categories``, in that order.
    numeric      an integer column whose range holds at most ``bins`` integers gets one code per integer
                 (exact). Otherwise the public minimum and maximum get a code each (a value exactly at a
                 bound: zero amounts and caps stay sharp) and the open range between them ``bins``
                 equal-width bins (``bins + 2`` codes). Values outside the bounds are clipped to them.
                 Sampling draws uniformly within the bin (integers: uniformly among the bin's integers),
                 rounded to ``decimals``.
    datetime     ``bins`` equal-width bins in time over ``[minimum, maximum]`` (ISO-8601 strings in the
                 schema), sampled uniformly within the bin.
    geo          a point (latitude/longitude pair, "lat,lon" text or WKT) on a public H3 grid over the
                 schema's region (or the pair's bounds): a fine cell and its coarse ancestor, two codes
                 (:mod:`._geo_grid`); sampled uniformly inside the fine cell and the region.
    missing      columns the schema marks as nullable (``null_rate > 0`` or ``missing_as_category``) get one
                 more code, the last, for a missing cell.
A category that the schema does not list becomes the missing code when the column is nullable, else the
first category: the mapping depends on that one record only, so it needs no budget.

The codec has the same surface as :class:`~simulacra.transformers.table.TableTransformer`
(``fit``/``transform``/``inverse_transform``/``model_columns``/``get_state``/``from_state``), and its
``fit`` reads nothing but the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ModelFileError, SchemaError
from ...schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema
from ...transformers._common import is_text_dtype, missing_mask
from ...transformers.base import ModelColumn, ModelColumnType
from ...transformers.categorical import _codes, _key, to_json_scalar

__all__ = ["DP_KINDS", "DiscreteCodec", "domain_problems"]

DP_KINDS = (ColumnKind.CATEGORICAL, ColumnKind.NUMERIC, ColumnKind.DATETIME, ColumnKind.GEO)
_PAIR = (GeoFormat.LATITUDE, GeoFormat.LONGITUDE)
_TEXT_DECIMALS = 6
_INT_DTYPES = ("int64", "int32", "int16", "int8", "uint8", "uint16", "uint32", "uint64")


def _nullable(spec: ColumnSpec) -> bool:
    return bool(spec.null_rate > 0 or spec.missing_as_category)


def _to_ns(value: Any) -> int | None:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT:
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.value)


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and bool(np.isfinite(v))


def geo_group(schema: TableSchema, spec: ColumnSpec) -> list[ColumnSpec] | None:
    """The geo column's specs as modelled together: ``[lat, lon]`` of a pair, ``[spec]`` of a text column,
    ``None`` when the column cannot be modelled (a pair member whose partner is not in the schema)."""
    if spec.geo_format in _PAIR:
        partner = spec.geo_partner
        if partner is None or partner not in schema.names or schema[partner].geo_format not in _PAIR:
            return None
        other = schema[partner]
        return [spec, other] if spec.geo_format is GeoFormat.LATITUDE else [other, spec]
    if spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT):
        return [spec]
    return None


def domain_problems(schema: TableSchema, *, geo: bool = True) -> tuple[list[str], list[str]]:
    """(columns without a public domain, columns of a kind the DP generators do not model), as phrases.

    ``geo=False``: geo columns are not modelled (the generators that go through the table transformer)."""
    from ...privacy.domain import is_placeholder
    from ._geo_grid import grid_region

    missing: list[str] = []
    unsupported: list[str] = []
    for spec in schema:
        if spec.kind not in DP_KINDS:
            unsupported.append(f"{spec.name!r} ({spec.kind.value})")
        elif spec.kind is ColumnKind.GEO and not geo:
            unsupported.append(f"{spec.name!r} (geo: only mst and aim model geo columns under DP)")
        elif spec.kind is ColumnKind.GEO:
            group = geo_group(schema, spec)
            if group is None:
                unsupported.append(f"{spec.name!r} (geo without its latitude/longitude partner)")
            elif grid_region(group) is None:
                what = "latitude and longitude minimum and maximum, or a region" if len(group) == 2 else "a region"
                missing.append(f"{spec.name!r} (geo: {what})")
        elif spec.kind is ColumnKind.CATEGORICAL:
            if not spec.categories or is_placeholder(spec.categories):
                missing.append(f"{spec.name!r} (categorical: categories)")
        elif spec.kind is ColumnKind.NUMERIC:
            lo, hi = spec.minimum, spec.maximum
            if not (_is_number(lo) and _is_number(hi) and float(lo) <= float(hi)):  # type: ignore[arg-type]
                missing.append(f"{spec.name!r} (numeric: minimum and maximum)")
        else:
            lo_ns, hi_ns = _to_ns(spec.minimum), _to_ns(spec.maximum)
            if lo_ns is None or hi_ns is None or lo_ns > hi_ns:
                missing.append(f"{spec.name!r} (datetime: minimum and maximum as ISO-8601)")
    return missing, unsupported


class DiscreteCodec:
    """Columns <-> integer codes over the schema's public domain (see the module docstring)."""

    def __init__(self, schema: TableSchema, *, bins: int) -> None:
        self.schema = schema
        self.bins = bins

    # -- layout -----------------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame | None = None, rng: np.random.Generator | None = None) -> DiscreteCodec:
        """Lay out the codes from the schema alone (``data`` is not read)."""
        missing, unsupported = domain_problems(self.schema)
        if missing or unsupported:  # pragma: no cover - the generator checks first, with a fuller message
            raise SchemaError(f"no public domain for {missing + unsupported}")
        self.layout_: list[dict[str, Any]] = [self._layout(spec) for spec in self.schema]
        return self

    def _layout(self, spec: ColumnSpec) -> dict[str, Any]:
        null = _nullable(spec)
        if spec.kind is ColumnKind.GEO:
            return self._geo_layout(spec)
        if spec.kind is ColumnKind.CATEGORICAL:
            cats = [to_json_scalar(c) for c in spec.categories or ()]
            return {"kind": "categorical", "categories": cats, "n": len(cats) + int(null), "null": null}
        if spec.kind is ColumnKind.NUMERIC:
            lo, hi = float(spec.minimum), float(spec.maximum)  # type: ignore[arg-type]
            integer = bool(spec.is_integer) or spec.dtype in _INT_DTYPES
            if integer:
                lo, hi = float(np.ceil(lo)), float(np.floor(hi))
            if integer and hi - lo + 1 <= self.bins:
                edges = list(np.arange(lo, hi + 2.0))  # one bin per integer: [v, v + 1)
            elif hi > lo:
                # the two public bounds get codes of their own (amounts are often exactly 0 or capped: a
                # spike smeared over a whole bin ruins the marginal), the open interval between them
                # ``bins`` equal-width bins: codes 0 (= lo), 1 .. bins, bins + 1 (= hi)
                edges = list(np.linspace(lo, hi, self.bins + 1))
                k = self.bins + 2
                lay = {"kind": "numeric", "edges": edges, "integer": integer, "points": True}
                return {**lay, "n": k + int(null), "null": null}
            else:
                edges = [lo, hi]
            k = max(1, len(edges) - 1)
            return {"kind": "numeric", "edges": edges, "integer": integer, "n": k + int(null), "null": null}
        lo_ns, hi_ns = _to_ns(spec.minimum), _to_ns(spec.maximum)
        edges = (
            [float(x) for x in np.linspace(float(lo_ns or 0), float(hi_ns or 0), self.bins + 1)]
            if hi_ns != lo_ns
            else [float(lo_ns or 0)] * 2
        )
        return {"kind": "datetime", "edges": edges, "n": max(1, len(edges) - 1) + int(null), "null": null}

    def _geo_layout(self, spec: ColumnSpec) -> dict[str, Any]:
        """The first column of a geo group holds the grid; a pair's other column only points to it."""
        from ._geo_grid import PublicGrid, grid_region

        group = geo_group(self.schema, spec)
        assert group is not None  # domain_problems refused it otherwise
        names = [s.name for s in group]
        if spec.name != min(names, key=list(self.schema.names).index):
            return {"kind": "geo_partner", "n": 0, "null": False}
        region = grid_region(group)
        assert region is not None
        grid = PublicGrid(region).build()
        null = any(_nullable(s) for s in group)
        text = len(group) == 1
        decimals = [
            _TEXT_DECIMALS if text and s.decimals is None else (None if s.decimals is None else int(s.decimals))
            for s in (group[0], group[-1])
        ]
        return {
            "kind": "geo",
            "columns": names,
            "text": spec.geo_format.value if text and spec.geo_format is not None else None,
            "grid": grid.get_state(),
            "decimals": decimals,
            "n": grid.n_fine + int(null),
            "n_coarse": grid.n_coarse + int(null),
            "null": null,
        }

    def _grid(self, i: int) -> Any:
        from ._geo_grid import PublicGrid

        if not hasattr(self, "_grids"):
            self._grids: dict[int, Any] = {}
        if i not in self._grids:
            self._grids[i] = PublicGrid.from_state(self.layout_[i]["grid"])
        return self._grids[i]

    def _code_columns(self) -> list[tuple[str, str, int]]:
        """(model column, source column, size) of every code column, in order."""
        out: list[tuple[str, str, int]] = []
        for spec, lay in zip(self.schema, self.layout_, strict=True):
            if lay["kind"] == "geo":
                out.append((f"{spec.name}.cell", spec.name, int(lay["n"])))
                out.append((f"{spec.name}.coarse", spec.name, int(lay["n_coarse"])))
            elif lay["kind"] != "geo_partner":
                out.append((spec.name, spec.name, int(lay["n"])))
        return out

    def geo_hierarchies(self) -> list[tuple[int, int, np.ndarray]]:
        """Per geo column: (fine code column, coarse code column, the coarse code of each fine code), the
        indices in :attr:`model_columns` order; the missing code maps to the missing code."""
        out = []
        j = 0
        for i, lay in enumerate(self.layout_):
            if lay["kind"] == "geo":
                parent = self._grid(i).parent_of
                if lay["null"]:
                    parent = np.append(parent, int(lay["n_coarse"]) - 1)
                out.append((j, j + 1, parent))
                j += 2
            elif lay["kind"] != "geo_partner":
                j += 1
        return out

    @property
    def model_columns(self) -> list[ModelColumn]:
        return [
            ModelColumn(name, ModelColumnType.DISCRETE, source=source, role="bin", n_categories=n)
            for name, source, n in self._code_columns()
        ]

    @property
    def sizes(self) -> list[int]:
        return [n for _, _, n in self._code_columns()]

    # -- forward ----------------------------------------------------------------------------------
    def transform(self, data: pd.DataFrame, rng: np.random.Generator | None = None) -> pd.DataFrame:
        out = {}
        for i, (spec, lay) in enumerate(zip(self.schema, self.layout_, strict=True)):
            if lay["kind"] == "geo":
                out.update(self._encode_geo(i, spec, lay, data))
            elif lay["kind"] != "geo_partner":
                out[spec.name] = self._encode(spec, lay, data[spec.name])
        return pd.DataFrame(out, index=pd.RangeIndex(len(data)))

    def _encode_geo(self, i: int, spec: ColumnSpec, lay: Mapping[str, Any], data: pd.DataFrame) -> dict[str, Any]:
        specs = [self.schema[c] for c in lay["columns"]]
        if lay["text"] is None:
            values = []
            missing = np.zeros(len(data), dtype=bool)
            for s in specs:
                col = data[s.name]
                miss = missing_mask(col, s.null_token)
                x = pd.to_numeric(col.where(~miss) if is_text_dtype(col.dtype) else col, errors="coerce")
                values.append(np.asarray(x, dtype=np.float64))
                missing |= miss | ~np.isfinite(values[-1])
            lat, lon = values
        else:
            lat, lon, missing = _parse_point_text(data[spec.name], spec, lay["text"])
        fine, coarse = self._grid(i).encode(lat, lon)
        if lay["null"]:
            fine = np.where(missing, int(lay["n"]) - 1, fine)
            coarse = np.where(missing, int(lay["n_coarse"]) - 1, coarse)
        return {f"{spec.name}.cell": fine.astype(np.int64), f"{spec.name}.coarse": coarse.astype(np.int64)}

    def _encode(self, spec: ColumnSpec, lay: Mapping[str, Any], col: pd.Series) -> np.ndarray:
        n_values = int(lay["n"]) - int(lay["null"])
        missing = missing_mask(col, spec.null_token)
        if lay["kind"] == "categorical":
            values = [to_json_scalar(v) for v in col.astype(object).tolist()]
            lookup = {_key(c): i for i, c in enumerate(lay["categories"])}
            codes = _codes(values, lookup)
            unknown = codes < 0
        else:
            if lay["kind"] == "numeric":
                x = pd.to_numeric(col.where(~missing) if is_text_dtype(col.dtype) else col, errors="coerce")
                values_f = np.asarray(x, dtype=np.float64)
            else:
                values_f = _datetime_ns(col, spec)
            unknown = ~np.isfinite(values_f) & ~missing
            edges = np.asarray(lay["edges"], dtype=np.float64)
            filled = np.nan_to_num(values_f, nan=edges[0])
            if lay.get("points"):
                inner = np.clip(np.searchsorted(edges, filled, side="right") - 1, 0, len(edges) - 2) + 1
                codes = np.where(filled <= edges[0], 0, np.where(filled >= edges[-1], n_values - 1, inner))
            else:
                codes = np.searchsorted(edges, filled, side="right") - 1
            codes = np.clip(codes, 0, n_values - 1)
        missing = missing | unknown
        codes = np.where(missing, n_values, codes) if lay["null"] else np.where(missing, 0, codes)
        return np.asarray(codes, dtype=np.int64)

    # -- inverse ----------------------------------------------------------------------------------
    def inverse_transform(self, model: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        out = {}
        for i, (spec, lay) in enumerate(zip(self.schema, self.layout_, strict=True)):
            if lay["kind"] == "geo":
                codes = np.clip(np.asarray(model[f"{spec.name}.cell"], dtype=np.int64), 0, int(lay["n"]) - 1)
                out.update(self._decode_geo(i, lay, codes, rng))
            elif lay["kind"] != "geo_partner":
                codes = np.clip(np.asarray(model[spec.name], dtype=np.int64), 0, int(lay["n"]) - 1)
                out[spec.name] = self._decode(spec, lay, codes, rng)
        return pd.DataFrame({name: out[name] for name in self.schema.names})

    def _decode_geo(
        self, i: int, lay: Mapping[str, Any], codes: np.ndarray, rng: np.random.Generator
    ) -> dict[str, pd.Series]:
        """Points uniformly inside their fine cell and the region; the coarse code is not read (the fine
        cell determines it)."""
        grid = self._grid(i)
        missing = codes >= grid.n_fine if lay["null"] else np.zeros(len(codes), dtype=bool)
        d_lat, d_lon = (None if d is None else int(d) for d in lay["decimals"])
        lat, lon = grid.decode(np.minimum(codes, grid.n_fine - 1), (d_lat, d_lon), rng)
        specs = [self.schema[c] for c in lay["columns"]]
        if lay["text"] is None:
            return {
                specs[0].name: _numbers_out(lat, missing, specs[0], False),
                specs[1].name: _numbers_out(lon, missing, specs[1], False),
            }
        spec = specs[0]
        a = [f"{v:.{d_lat}f}" if d_lat is not None else repr(float(v)) for v in lat]
        o = [f"{v:.{d_lon}f}" if d_lon is not None else repr(float(v)) for v in lon]
        if lay["text"] == GeoFormat.WKT_POINT.value:
            text = [f"POINT ({y} {x})" for x, y in zip(a, o, strict=True)]
        else:
            text = [f"{x},{y}" for x, y in zip(a, o, strict=True)]
        obj = np.array(text, dtype=object)
        obj[missing] = spec.null_token if spec.null_token is not None else None
        return {spec.name: pd.Series(obj, dtype=object)}

    def _decode(
        self, spec: ColumnSpec, lay: Mapping[str, Any], codes: np.ndarray, rng: np.random.Generator
    ) -> pd.Series:
        n_values = int(lay["n"]) - int(lay["null"])
        missing = codes >= n_values if lay["null"] else np.zeros(len(codes), dtype=bool)
        safe = np.minimum(codes, n_values - 1)
        dtype = spec.dtype
        if lay["kind"] == "categorical":
            lut = np.empty(n_values, dtype=object)
            lut[:] = lay["categories"]
            obj = lut[safe]
            if missing.any():
                obj[missing] = None
                if dtype in _INT_DTYPES:
                    return pd.Series(pd.array(obj.tolist(), dtype="Int64"))
                if dtype == "bool":
                    return pd.Series(pd.array(obj.tolist(), dtype="boolean"))
                if dtype.startswith("float"):
                    return pd.Series(np.array([np.nan if v is None else v for v in obj], dtype=np.float64))
                if spec.null_token is not None and is_text_dtype(dtype):
                    obj[missing] = spec.null_token
            try:
                return pd.Series(obj, dtype=object if is_text_dtype(dtype) else dtype)
            except (TypeError, ValueError):
                return pd.Series(obj, dtype=object)
        edges = np.asarray(lay["edges"], dtype=np.float64)
        if lay.get("points"):
            return self._decode_points(spec, lay, safe, missing, edges, rng)
        lo, hi = edges[safe], edges[np.minimum(safe + 1, len(edges) - 1)]
        if lay["kind"] == "numeric":
            if lay["integer"]:
                lo_i = np.ceil(lo)
                last = safe == n_values - 1
                hi_i = np.where(last, np.floor(hi), np.ceil(hi) - 1)
                hi_i = np.maximum(hi_i, lo_i)
                values = lo_i + np.floor(rng.random(len(codes)) * (hi_i - lo_i + 1))
            else:
                values = lo + rng.random(len(codes)) * (hi - lo)
                if spec.decimals is not None:
                    values = np.round(values, int(spec.decimals))
            return _numbers_out(values, missing, spec, bool(lay["integer"]))
        ns = lo + rng.random(len(codes)) * (hi - lo)
        return _datetimes_out(ns, missing, spec)

    @staticmethod
    def _decode_points(
        spec: ColumnSpec,
        lay: Mapping[str, Any],
        codes: np.ndarray,
        missing: np.ndarray,
        edges: np.ndarray,
        rng: np.random.Generator,
    ) -> pd.Series:
        """Codes 0 and last are the bounds themselves; code ``j`` between draws within ``edges[j-1:j+1]``."""
        k = len(edges) - 1
        inner = np.clip(codes - 1, 0, k - 1)
        lo, hi = edges[inner], edges[inner + 1]
        integer = bool(lay["integer"])
        if integer:
            # the bin's integers, bounds excluded (they have their own codes); an empty bin gives its low end
            lo_i = np.maximum(np.ceil(lo), edges[0] + 1)
            hi_i = np.minimum(np.where(inner == k - 1, np.floor(hi), np.ceil(hi) - 1), edges[-1] - 1)
            hi_i = np.maximum(hi_i, lo_i)
            values = lo_i + np.floor(rng.random(len(codes)) * (hi_i - lo_i + 1))
        else:
            values = lo + rng.random(len(codes)) * (hi - lo)
            if spec.decimals is not None:
                values = np.round(values, int(spec.decimals))
        values = np.where(codes == 0, edges[0], np.where(codes == k + 1, edges[-1], values))
        return _numbers_out(values, missing, spec, integer)

    # -- persistence ------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {"bins": self.bins, "layout": self.layout_}

    @classmethod
    def from_state(cls, schema: TableSchema, state: Mapping[str, Any]) -> DiscreteCodec:
        self = cls(schema, bins=int(state["bins"]))
        layout = list(state["layout"])
        if len(layout) != len(schema):
            raise ModelFileError("saved discretisation does not match the saved schema; the model is damaged")
        self.layout_ = [dict(lay) for lay in layout]
        return self


def _parse_point_text(col: pd.Series, spec: ColumnSpec, fmt: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, missing) of a "lat,lon" or WKT ``POINT (lon lat)`` text column; unparsable cells are missing."""
    missing = missing_mask(col, spec.null_token)
    from ...transformers.geo import _POINT_RE  # the geo text transformer's pattern: numbers in groups 1 and 3

    parts = col.astype(object).where(~missing).astype(str).str.extract(_POINT_RE)
    first = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=np.float64)
    second = pd.to_numeric(parts[3], errors="coerce").to_numpy(dtype=np.float64)
    lat, lon = (second, first) if fmt == GeoFormat.WKT_POINT.value else (first, second)
    missing = missing | ~np.isfinite(lat) | ~np.isfinite(lon)
    return lat, lon, missing


def _datetime_ns(col: pd.Series, spec: ColumnSpec) -> np.ndarray:
    fmt = spec.datetime_format
    if fmt in ("epoch_s", "epoch_ms"):
        ts = pd.to_datetime(pd.to_numeric(col, errors="coerce"), unit="s" if fmt == "epoch_s" else "ms")
    elif pd.api.types.is_datetime64_any_dtype(col.dtype):
        ts = col.dt.tz_convert("UTC").dt.tz_localize(None) if getattr(col.dt, "tz", None) is not None else col
    else:
        ts = pd.to_datetime(col.astype(str).where(col.notna()), format=fmt, errors="coerce")
    arr = np.asarray(ts.astype("datetime64[ns]").astype("int64"), dtype=np.float64)
    arr[np.asarray(ts.isna())] = np.nan
    return arr


def _numbers_out(values: np.ndarray, missing: np.ndarray, spec: ColumnSpec, integer: bool) -> pd.Series:
    dtype = spec.dtype
    if is_text_dtype(dtype):
        if integer or spec.decimals == 0:
            text = [str(int(v)) for v in values]
        else:
            text = [repr(float(v)) if spec.decimals is None else f"{v:.{int(spec.decimals)}f}" for v in values]
        obj = np.array(text, dtype=object)
        obj[missing] = spec.null_token if spec.null_token is not None else None
        return pd.Series(obj, dtype=object)
    if dtype in _INT_DTYPES or dtype == "Int64":
        if missing.any() or dtype == "Int64":
            arr = pd.array(np.round(values).astype(np.int64), dtype="Int64")
            arr[missing] = pd.NA
            return pd.Series(arr)
        return pd.Series(np.round(values).astype(dtype))
    out = values.astype(np.float64)
    out[missing] = np.nan
    return pd.Series(out)


def _datetimes_out(ns: np.ndarray, missing: np.ndarray, spec: ColumnSpec) -> pd.Series:
    ts = pd.Series(pd.to_datetime(ns.astype(np.int64), unit="ns"))
    ts[missing] = pd.NaT
    fmt = spec.datetime_format
    if fmt in ("epoch_s", "epoch_ms"):
        div = 10**9 if fmt == "epoch_s" else 10**6
        arr = pd.array(ns.astype(np.int64) // div, dtype="Int64")
        arr[missing] = pd.NA
        return pd.Series(arr if missing.any() else arr.astype(np.int64))
    if fmt:
        text = ts.dt.strftime(fmt).astype(object)
        text[missing] = spec.null_token if spec.null_token is not None else None
        return text
    if spec.timezone:
        return ts.dt.tz_localize("UTC").dt.tz_convert(spec.timezone)
    return ts
