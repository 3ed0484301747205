"""Geo columns under differential privacy: a point on a *public* H3 grid (never data-derived cells).

The grid comes from the public schema alone: the column's ``region`` (a bounding box or GeoJSON), else the
latitude/longitude ``minimum``/``maximum`` of the pair (the bounding box of the two bounds). A point becomes
two discrete model columns:

* ``<base>.cell``: its H3 cell at the *fine* resolution, the finest whose cells overlapping the region
  number at most :data:`MAX_FINE_CELLS`;
* ``<base>.coarse``: the fine cell's ancestor two resolutions up.

Both domains are lists of cell ids computed from the region, so they are public. The DP generator measures
noisy counts of both (hierarchical noisy counts); the fine cell determines the coarse one, and the graphical
model learns that from the measured marginals. A point outside the region's cells (a record outside the
declared region) is moved to the nearest grid cell: a map of that record alone, so it costs no budget.

Decoding reads the fine cell only: a point drawn uniformly inside the cell (uniform in its latitude/longitude
bounding box, kept if it falls in the cell and in the region after rounding to the schema's decimals; a few
rounds, then the cell's centre).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ...schema import ColumnSpec
from ._discretize import _is_number

__all__ = ["MAX_FINE_CELLS", "PublicGrid", "grid_region"]

#: the fine resolution is the finest whose cells overlapping the region are at most this many
MAX_FINE_CELLS = 2000
#: resolutions between the fine cell and its coarse ancestor
COARSE_STEP = 2
_ROUNDS = 8


def grid_region(specs: list[ColumnSpec]) -> dict[str, Any] | None:
    """The public region of a geo column (``specs``: the pair, or the one text column), or ``None``.

    The first spec with a ``region`` wins; else, for a pair, the box of the latitude and longitude bounds."""
    from ...privacy.domain import is_placeholder

    for spec in specs:
        region = spec.region
        if region is not None and not is_placeholder(region.get("bbox", [])):
            return dict(region)
    if len(specs) == 2:
        lat, lon = specs
        values = (lon.minimum, lat.minimum, lon.maximum, lat.maximum)
        if all(_is_number(v) for v in values):
            minlon, minlat, maxlon, maxlat = (float(v) for v in values)  # type: ignore[arg-type]
            if minlon < maxlon and minlat < maxlat and minlat >= -90 and maxlat <= 90:
                return {"bbox": [max(minlon, -180.0), minlat, min(maxlon, 180.0), maxlat]}
    return None


class PublicGrid:
    """Fine and coarse H3 cells over a public region; state: the region and two id arrays (public)."""

    def __init__(self, region: Mapping[str, Any]) -> None:
        from ...transformers._geo_cells import parse_region

        self.region = dict(region)
        self.geometry = parse_region(self.region, "the geo column's region")

    def build(self, max_cells: int = MAX_FINE_CELLS) -> PublicGrid:
        """Choose the fine resolution and list the cells (from the region alone)."""
        from ...transformers._geo_cells import _h3

        h = _h3()
        shape = h.geo_to_h3shape(self.geometry)
        best: np.ndarray | None = None
        best_res = COARSE_STEP
        for res in range(COARSE_STEP, 16):
            cells = np.asarray(sorted(h.h3shape_to_cells_experimental(shape, res, "overlap")), dtype=np.int64)
            if len(cells) > max_cells and best is not None:
                break
            best, best_res = cells, res
            if len(cells) > max_cells:
                break
        assert best is not None
        self.res = best_res
        self.fine = best
        self._derive()
        return self

    def _derive(self) -> None:
        from ...transformers._geo_cells import _centres, _parent

        parents = _parent(self.fine, self.res - COARSE_STEP)
        self.coarse = np.unique(parents)
        self.parent_of = np.searchsorted(self.coarse, parents).astype(np.int64)
        self.lat_c, self.lon_c = _centres(self.fine)

    @property
    def n_fine(self) -> int:
        return len(self.fine)

    @property
    def n_coarse(self) -> int:
        return len(self.coarse)

    def encode(self, lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fine code, coarse code) of each point; a point off the grid takes the nearest grid cell."""
        from ...transformers._geo_cells import _cells, _isin

        minlon, minlat, maxlon, maxlat = self.geometry.bounds
        lat = np.clip(np.nan_to_num(lat, nan=(minlat + maxlat) / 2), minlat, maxlat)
        lon = np.clip(np.nan_to_num(lon, nan=(minlon + maxlon) / 2), minlon, maxlon)
        cells = _cells(lat, lon, self.res)
        on = _isin(cells, self.fine)
        fine = np.zeros(len(lat), dtype=np.int64)
        fine[on] = np.searchsorted(self.fine, cells[on])
        off = np.flatnonzero(~on)
        coslat = np.cos(np.radians(self.lat_c))
        for start in range(0, len(off), 256):  # nearest centre on the local plane, in chunks
            rows = off[start : start + 256]
            d = (lat[rows, None] - self.lat_c[None, :]) ** 2 + ((lon[rows, None] - self.lon_c[None, :]) * coslat) ** 2
            fine[rows] = np.argmin(d, axis=1)
        return fine, self.parent_of[fine]

    def decode(
        self, fine: np.ndarray, decimals: tuple[int | None, int | None], rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """A point uniformly inside each fine cell and the region (rounded to ``decimals``), else the centre."""
        import shapely

        from ...transformers._geo_cells import _cells, _h3

        fine = np.clip(np.asarray(fine, dtype=np.int64), 0, self.n_fine - 1)
        if not hasattr(self, "_boxes"):
            h = _h3()
            boxes = np.empty((self.n_fine, 4))
            for i, c in enumerate(self.fine.tolist()):
                pts = np.asarray(h.cell_to_boundary(c), dtype=float)
                boxes[i] = pts[:, 0].min(), pts[:, 0].max(), pts[:, 1].min(), pts[:, 1].max()
            # a cell across the antimeridian: its box would span the globe; keep the centre there
            wide = boxes[:, 3] - boxes[:, 2] > 180
            boxes[wide, 2] = boxes[wide, 3] = self.lon_c[wide]
            self._boxes = boxes

        def rnd(values: np.ndarray, d: int | None) -> np.ndarray:
            return values if d is None else np.round(values, d) + 0.0

        lat = rnd(self.lat_c[fine].copy(), decimals[0])
        lon = rnd(self.lon_c[fine].copy(), decimals[1])
        todo = np.arange(len(fine))
        for _ in range(_ROUNDS):
            if not len(todo):
                break
            b = self._boxes[fine[todo]]
            a = rnd(b[:, 0] + rng.random(len(todo)) * (b[:, 1] - b[:, 0]), decimals[0])
            o = rnd(b[:, 2] + rng.random(len(todo)) * (b[:, 3] - b[:, 2]), decimals[1])
            ok = (_cells(a, o, self.res) == self.fine[fine[todo]]) & shapely.contains_xy(self.geometry, o, a)
            lat[todo[ok]], lon[todo[ok]] = a[ok], o[ok]
            todo = todo[~ok]
        for c in np.unique(fine[todo]):  # rare: a cell barely overlapping the region; a point of the overlap
            rows = todo[fine[todo] == c]
            lat[rows], lon[rows] = self._inside_point(int(c), decimals)
        return lat, lon

    def _inside_point(self, code: int, decimals: tuple[int | None, int | None]) -> tuple[float, float]:
        """A point of the cell's overlap with the region (rounded if it stays inside), else the centre."""
        import shapely
        from shapely.geometry import Polygon

        from ...transformers._geo_cells import _h3

        ring = [(b, a) for a, b in _h3().cell_to_boundary(int(self.fine[code]))]
        overlap = Polygon(ring).intersection(self.geometry)
        if overlap.is_empty:
            return float(self.lat_c[code]), float(self.lon_c[code])
        pt = overlap.representative_point()
        a = pt.y if decimals[0] is None else round(pt.y, decimals[0]) + 0.0
        o = pt.x if decimals[1] is None else round(pt.x, decimals[1]) + 0.0
        if shapely.contains_xy(self.geometry, o, a):
            return a, o
        return float(pt.y), float(pt.x)

    def get_state(self) -> dict[str, Any]:
        return {"region": self.region, "res": self.res, "fine": [int(c) for c in self.fine]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> PublicGrid:
        self = cls(state["region"])
        self.res = int(state["res"])
        self.fine = np.asarray(state["fine"], dtype=np.int64)
        self._derive()
        return self
