"""Hierarchical H3 cells: the spatial model behind the geo transformers (private).

A point becomes ``(cell, dx, dy)``:

* ``cell``: a leaf of an adaptive H3 hierarchy, learned by a generator as a categorical together with the
  other columns. The hierarchy starts from the resolution-0 cells and repeatedly splits the most crowded
  leaf into its children that hold at least ``min_points`` real points (the rest stays with the parent,
  as a "remainder" leaf that covers the parent minus its split children) until there are ``max_cells``
  leaves or no leaf can split. Dense areas get fine cells, sparse areas coarse ones; every leaf holds
  at least ``min_points`` real points, apart from the remainders and the coarse root cells. No leaf is
  finer than the coordinates' precision (2 decimals: ~1 km) or, with ``min_distance_m``, than that
  distance.
* ``dx``, ``dy``: the offset from the leaf's centre, east and north, in units of the leaf's average edge
  length (local tangent plane), two continuous columns.

**Region.** A synthetic point is kept only if it lies in its own leaf and in the region (without a user
region, also inside the real data's bounding box, which the numeric model clips to as well); else its offset
is redrawn uniformly inside one of the leaf's *anchor* cells, and as a last resort it takes the place of
another accepted point of the same leaf. The region is the user's (a bounding box or GeoJSON polygon,
tested with shapely) or, by default, the data's *footprint*: the H3 cells, at the finest resolution up to
two below the finest leaf where they still hold 97% of the real points, that hold **at least two** real
points (a point alone in its footprint cell is never located by the model). The test is made on the
coordinates as written (rounded to the input's decimals).

**min_distance_m.** With ``r > 0`` a synthetic point is also kept only if the disc of radius ``r`` around
it (checked at the point and 16 points at 1.1 r) lies inside footprint cells. A real point alone in its
footprint cell is outside the footprint, so no synthetic point comes within ``r`` of it; and the model
stores no real coordinate for this: only the footprint's cell ids (cells with two or more real points).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, SchemaError

__all__ = ["GeoOptions", "SpatialCells", "check_ranges", "parse_region"]

EARTH_RADIUS_M = 6_371_008.8
MAX_RES = 12
FOOTPRINT_MIN_POINTS = 2
FOOTPRINT_COVERAGE = 0.97
_RES_MASK = np.int64(0xF) << np.int64(52)
_RING = 16
_RING_FACTOR = 1.1
_ROUNDS = 12


@dataclass(frozen=True)
class GeoOptions:
    """How a geo column is modelled (from its :class:`~simulacra.schema.ColumnSpec`)."""

    model: str = "cells"
    region: Mapping[str, Any] | None = None
    min_distance_m: float = 0.0
    max_cells: int = 500
    min_points: int = 20

    @classmethod
    def from_spec(cls, spec: Any) -> GeoOptions:
        return cls(
            model=spec.geo_model or "cells",
            region=spec.region,
            min_distance_m=float(spec.geo_min_distance_m or 0.0),
        )


def _h3() -> Any:
    from h3.api import basic_int  # imported here: `import simulacra` stays light

    return basic_int


def check_ranges(lat: np.ndarray, lon: np.ndarray, valid: np.ndarray, names: tuple[str, str]) -> None:
    """Raise :class:`InputError` naming the column and the count of coordinates out of range (no values)."""
    problems = []
    for values, name, limit, what in ((lat, names[0], 90.0, "latitude"), (lon, names[1], 180.0, "longitude")):
        bad = int(np.sum(valid & ~(np.abs(values) <= limit)))
        if bad:
            problems.append(
                f"column {name!r}: {bad} {what} value(s) outside [-{limit:g}, {limit:g}]; fix or drop those rows, "
                "or give the column another kind in the schema"
            )
    if problems:
        raise InputError("; ".join(problems))


def parse_region(region: Mapping[str, Any], where: str = "region") -> Any:
    """A shapely geometry from ``{"bbox": [minlon, minlat, maxlon, maxlat]}`` or GeoJSON (geometry, Feature,
    FeatureCollection)."""
    import shapely
    from shapely.geometry import box, shape

    try:
        if "bbox" in region and "type" not in region:
            minlon, minlat, maxlon, maxlat = (float(v) for v in region["bbox"])
            if not (minlon < maxlon and minlat < maxlat):
                raise ValueError("bbox must be minlon,minlat,maxlon,maxlat with min < max")
            return box(minlon, minlat, maxlon, maxlat)
        kind = region.get("type")
        if kind == "FeatureCollection":
            geoms = [shape(f["geometry"]) for f in region["features"] if f.get("geometry")]
            geom = shapely.union_all(geoms)
        elif kind == "Feature":
            geom = shape(region["geometry"])
        else:
            geom = shape(region)
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.GEOSException) as exc:
        raise SchemaError(
            f"{where} is not a bounding box or a GeoJSON polygon ({type(exc).__name__}: {exc}); give "
            '{"bbox": [minlon, minlat, maxlon, maxlat]} or a GeoJSON Polygon/MultiPolygon/Feature(Collection)'
        ) from None
    if geom.is_empty or geom.area <= 0:
        raise SchemaError(f"{where} covers no area; give a polygon or a bounding box")
    shapely.prepare(geom)
    return geom


# -- vectorised H3 helpers ------------------------------------------------------------------------
def _cells(lat: np.ndarray, lon: np.ndarray, res: int) -> np.ndarray:
    h = _h3()
    to_cell = h.latlng_to_cell
    return np.fromiter(
        (to_cell(a, b, res) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)), np.int64, len(lat)
    )


def _parent(cells: np.ndarray, res: int) -> np.ndarray:
    """Parents at ``res`` of cells at a finer resolution (bit arithmetic on the H3 index)."""
    out = (cells & ~_RES_MASK) | (np.int64(res) << np.int64(52))
    low = 3 * (15 - res)
    if low:
        out |= np.int64((1 << low) - 1)
    return out


def _centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h = _h3()
    pts = np.array([h.cell_to_latlng(int(c)) for c in cells], dtype=float).reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


_EDGES: list[float] = []


def _edge_m(res: int) -> float:
    """Average edge length (metres) of an H3 cell of resolution ``res``."""
    if not _EDGES:
        _EDGES.extend(float(_h3().average_hexagon_edge_length(r, unit="m")) for r in range(16))
    return _EDGES[int(res)]


def _res_of(cells: np.ndarray) -> np.ndarray:
    return ((cells >> np.int64(52)) & np.int64(0xF)).astype(np.int64)


def _move(lat: np.ndarray, lon: np.ndarray, east_m: np.ndarray, north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    new_lat = lat + np.degrees(north_m / EARTH_RADIUS_M)
    coslat = np.maximum(np.cos(np.radians(lat)), 1e-6)
    new_lon = lon + np.degrees(east_m / (EARTH_RADIUS_M * coslat))
    new_lat = np.clip(new_lat, -90.0, 90.0)
    new_lon = (new_lon + 180.0) % 360.0 - 180.0
    return new_lat, new_lon


def _isin(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if len(sorted_set) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_set, values), 0, len(sorted_set) - 1)
    return np.asarray(sorted_set[pos] == values)


def _finest_res(step_m: float) -> int:
    """The finest resolution (<= MAX_RES) whose average edge is at least ``step_m``."""
    for res in range(MAX_RES, -1, -1):
        if _edge_m(res) >= step_m:
            return res
    return 0


# -- the model -------------------------------------------------------------------------------------
class SpatialCells:
    """Learned hierarchy, footprint and anchors; JSON/array state only (see the module docstring)."""

    def __init__(self, options: GeoOptions) -> None:
        self.options = options

    # fit ------------------------------------------------------------------------------------------
    def fit(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        decimals: tuple[int | None, int | None],
        box: tuple[float, float, float, float],
    ) -> SpatialCells:
        """Learn from the observed points; ``box`` = (min lat, max lat, min lon, max lon) that synthetic points
        keep to when no user region is given (the bounds of the real data, or the schema's)."""
        opts = self.options
        self.box_ = tuple(float(v) for v in box)
        known = [d for d in decimals if d is not None]
        step_m = 111_000.0 * 10.0 ** (-min(known)) if known else 0.0
        self.max_res_ = _finest_res(max(step_m, opts.min_distance_m))
        fine = _cells(lat, lon, 15)
        levels = [_parent(fine, r) for r in range(min(15, self.max_res_ + 2) + 1)]
        self.leaves_ = self._grow(levels, opts.min_points, opts.max_cells)
        self.footprint_res_, self.footprint_ = self._footprint(levels, fine)
        self.decimals_ = tuple(decimals)
        self._derive()
        self.anchors_ptr_, self.anchors_ = self._anchors()
        if len(self.anchors_) == 0 and opts.region is not None:
            raise InputError(
                "the geo region holds none of the real points (no cell of the data lies in it); "
                "give a region that covers the data"
            )
        self._derive()
        return self

    def _grow(self, levels: list[np.ndarray], min_points: int, max_cells: int) -> np.ndarray:
        """Split the most crowded leaf into its children with >= min_points points, up to max_cells leaves."""
        cells, counts = np.unique(levels[0], return_counts=True)
        leaves: dict[int, int] = {int(c): 0 for c in cells}
        heap = [(-int(k), int(c), 0) for c, k in zip(cells, counts, strict=True)]
        heapq.heapify(heap)
        while heap and len(leaves) < max_cells:
            neg, cell, res = heapq.heappop(heap)
            if -neg < 2 * min_points:
                break
            if res >= self.max_res_:
                continue
            inside = levels[res] == cell
            kids, kid_counts = np.unique(levels[res + 1][inside], return_counts=True)
            big = kid_counts >= min_points
            if not big.any():
                continue
            remainder = int(-neg - kid_counts[big].sum())
            added = int(big.sum()) - (0 if remainder else 1)
            if len(leaves) + added > max_cells:
                continue
            if not remainder:
                del leaves[cell]
            for kid, k in zip(kids[big], kid_counts[big], strict=True):
                leaves[int(kid)] = res + 1
                heapq.heappush(heap, (-int(k), int(kid), res + 1))
        return np.array(sorted(leaves), dtype=np.int64)

    def _footprint(self, levels: list[np.ndarray], fine: np.ndarray) -> tuple[int, np.ndarray]:
        top = int(_res_of(self.leaves_).max())
        for res in range(min(15, top + 2), -1, -1):
            cells = levels[res] if res < len(levels) else _parent(fine, res)
            uniq, counts = np.unique(cells, return_counts=True)
            keep = counts >= FOOTPRINT_MIN_POINTS
            if counts[keep].sum() >= FOOTPRINT_COVERAGE * len(cells):
                return res, uniq[keep]
        return 0, np.unique(levels[0])  # a handful of points: every occupied resolution-0 cell

    def _derive(self) -> None:
        """Arrays computed from the state: leaf centres, scales, resolutions, leaf remap."""
        self.user_region_ = None if self.options.region is None else parse_region(self.options.region)
        self.leaf_res_ = _res_of(self.leaves_)
        self.leaf_lat_, self.leaf_lon_ = _centres(self.leaves_)
        self.leaf_scale_ = np.array([_edge_m(int(r)) for r in self.leaf_res_])
        self.res_levels_ = sorted({int(r) for r in self.leaf_res_}, reverse=True)
        if hasattr(self, "anchors_ptr_"):
            has = np.diff(self.anchors_ptr_) > 0
            ok = np.flatnonzero(has)
            remap = np.arange(len(self.leaves_))
            for i in np.flatnonzero(~has):
                d = _haversine(self.leaf_lat_[i], self.leaf_lon_[i], self.leaf_lat_[ok], self.leaf_lon_[ok])
                remap[i] = ok[int(np.argmin(d))] if len(ok) else i
            self.remap_ = remap

    def _anchors(self) -> tuple[np.ndarray, np.ndarray]:
        """Per leaf (CSR), the footprint cells inside it whose centre passes the acceptance test."""
        cells = self.footprint_
        owner = self._leaf_of_cells(cells)
        fine = np.flatnonzero(self.leaf_res_ > self.footprint_res_)  # leaves finer than the footprint
        inside = fine[_isin(_parent(self.leaves_[fine], self.footprint_res_), self.footprint_)]
        cells = np.concatenate([cells, self.leaves_[inside]])
        owner = np.concatenate([owner, inside])
        lat, lon = _centres(cells)
        ok = (owner >= 0) & self._accept(lat, lon, owner)
        cells, owner = cells[ok], owner[ok]
        order = np.argsort(owner, kind="stable")
        ptr = np.zeros(len(self.leaves_) + 1, dtype=np.int64)
        np.add.at(ptr, owner + 1, 1)
        return np.cumsum(ptr), cells[order]

    def _leaf_of_cells(self, cells: np.ndarray) -> np.ndarray:
        """Index of the deepest leaf containing each cell (-1: none). Cells must be at least as fine as leaves."""
        out = np.full(len(cells), -1, dtype=np.int64)
        res = _res_of(cells)
        for r in self.res_levels_:
            todo = (out < 0) & (res >= r)
            if not todo.any():
                continue
            parents = _parent(cells[todo], r)
            hit = _isin(parents, self.leaves_)
            idx = np.flatnonzero(todo)[hit]
            out[idx] = np.searchsorted(self.leaves_, parents[hit])
        return out

    def _leaf_of_points(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return self._leaf_of_cells(_cells(lat, lon, 15))

    def _in_footprint(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return _isin(_cells(lat, lon, self.footprint_res_), self.footprint_)

    def _accept(self, lat: np.ndarray, lon: np.ndarray, leaf: np.ndarray) -> np.ndarray:
        """Inside its own leaf, in the region and (with min_distance_m) with its disc inside the footprint."""
        ok = self._leaf_of_points(lat, lon) == leaf
        if self.user_region_ is not None:
            import shapely

            ok &= shapely.contains_xy(self.user_region_, lon, lat)
        else:
            box = self.box_
            ok &= (lat >= box[0]) & (lat <= box[1]) & (lon >= box[2]) & (lon <= box[3])
            ok &= self._in_footprint(lat, lon)
        r = self.options.min_distance_m
        if r > 0 and ok.any():
            idx = np.flatnonzero(ok)
            for k in range(_RING):
                angle = 2 * math.pi * k / _RING
                east = np.full(len(idx), _RING_FACTOR * r * math.sin(angle))
                north = np.full(len(idx), _RING_FACTOR * r * math.cos(angle))
                ring_lat, ring_lon = _move(lat[idx], lon[idx], east, north)
                good = self._in_footprint(ring_lat, ring_lon)
                ok[idx[~good]] = False
                idx = idx[good]
                if not len(idx):
                    break
        return ok

    # transform ------------------------------------------------------------------------------------
    @property
    def n_cells(self) -> int:
        return len(self.leaves_)

    def encode(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Leaf codes and offsets (east, north) in units of the leaf's edge length."""
        leaf = self._leaf_of_points(lat, lon)
        lost = np.flatnonzero(leaf < 0)
        for i in lost:  # a point outside every leaf (new data): the nearest leaf
            leaf[i] = int(np.argmin(_haversine(lat[i], lon[i], self.leaf_lat_, self.leaf_lon_)))
        clat, clon = self.leaf_lat_[leaf], self.leaf_lon_[leaf]
        north = np.radians(lat - clat) * EARTH_RADIUS_M
        dlon = (lon - clon + 180.0) % 360.0 - 180.0
        east = np.radians(dlon) * EARTH_RADIUS_M * np.cos(np.radians(clat))
        scale = self.leaf_scale_[leaf]
        return leaf.astype(np.int64), east / scale, north / scale

    def decode(
        self, codes: np.ndarray, dx: np.ndarray, dy: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points from leaf codes and offsets; each one in its leaf and in the region (see the module doc)."""
        leaf = self.remap_[np.clip(codes, 0, self.n_cells - 1)]
        scale = self.leaf_scale_[leaf]
        dx = np.clip(np.nan_to_num(dx), -3, 3)
        dy = np.clip(np.nan_to_num(dy), -3, 3)
        lat, lon = self._round(*_move(self.leaf_lat_[leaf], self.leaf_lon_[leaf], dx * scale, dy * scale))
        todo = np.flatnonzero(~self._accept(lat, lon, leaf))
        for _ in range(_ROUNDS):
            has = self.anchors_ptr_[leaf[todo] + 1] > self.anchors_ptr_[leaf[todo]]
            rows = todo[has]
            if not len(rows):
                break
            lo, hi = self.anchors_ptr_[leaf[rows]], self.anchors_ptr_[leaf[rows] + 1]
            pick = self.anchors_[lo + (rng.random(len(rows)) * (hi - lo)).astype(np.int64)]
            alat, alon = _centres(pick)
            edge = np.array([_edge_m(0), *_EDGES[1:]])[_res_of(pick)]
            radius = 0.8 * edge * np.sqrt(rng.random(len(rows)))
            theta = rng.random(len(rows)) * 2 * math.pi
            a, b = self._round(*_move(alat, alon, radius * np.sin(theta), radius * np.cos(theta)))
            good = self._accept(a, b, leaf[rows])
            lat[rows[good]], lon[rows[good]] = a[good], b[good]
            todo = np.concatenate([todo[~has], rows[~good]])
        if len(todo):  # last resort: the place of another accepted point of the same leaf (or any)
            accepted = np.ones(len(lat), dtype=bool)
            accepted[todo] = False
            pool = np.flatnonzero(accepted)
            for i in todo:
                same = pool[leaf[pool] == leaf[i]]
                src = same if len(same) else pool
                if len(src):
                    j = int(src[rng.integers(len(src))])
                    lat[i], lon[i] = lat[j], lon[j]
                elif self.anchors_ptr_[leaf[i] + 1] > self.anchors_ptr_[leaf[i]]:
                    lo = int(self.anchors_ptr_[leaf[i]])
                    a0, b0 = _centres(self.anchors_[lo : lo + 1])
                    lat[i], lon[i] = float(a0[0]), float(b0[0])
                else:  # degenerate data (all points in one spot): the leaf centre, in the real box
                    lat[i] = min(max(self.leaf_lat_[leaf[i]], self.box_[0]), self.box_[1])
                    lon[i] = min(max(self.leaf_lon_[leaf[i]], self.box_[2]), self.box_[3])
        return lat, lon

    def _round(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates as they will be written (each to its own decimal places)."""
        d_lat, d_lon = self.decimals_
        lat = lat if d_lat is None else np.round(lat, d_lat) + 0.0
        lon = lon if d_lon is None else np.round(lon, d_lon) + 0.0
        return lat, lon

    def contains(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Points inside the region (the user's, or the footprint)."""
        if self.user_region_ is not None:
            import shapely

            return np.asarray(shapely.contains_xy(self.user_region_, lon, lat))
        return self._in_footprint(lat, lon)

    # state ----------------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {
            "max_res": self.max_res_,
            "leaves": self.leaves_,
            "footprint_res": self.footprint_res_,
            "footprint": self.footprint_,
            "anchors_ptr": self.anchors_ptr_,
            "anchors": self.anchors_,
            "decimals": list(self.decimals_),
            "box": list(self.box_),
        }

    def set_state(self, state: Mapping[str, Any]) -> SpatialCells:
        self.max_res_ = int(state["max_res"])
        self.leaves_ = np.asarray(state["leaves"], dtype=np.int64)
        self.footprint_res_ = int(state["footprint_res"])
        self.footprint_ = np.asarray(state["footprint"], dtype=np.int64)
        self.anchors_ptr_ = np.asarray(state["anchors_ptr"], dtype=np.int64)
        self.anchors_ = np.asarray(state["anchors"], dtype=np.int64)
        self.decimals_ = tuple(None if d is None else int(d) for d in state["decimals"])
        self.box_ = tuple(float(v) for v in state["box"])
        self._derive()
        return self


def _haversine(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat), np.radians(lats)
    dphi = p2 - p1
    dl = np.radians(lons - lon)
    a = np.sin(dphi / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
