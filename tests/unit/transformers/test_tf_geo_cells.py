"""The H3-cell geo model: parents by bit arithmetic, leaves, region, schema fields."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from h3.api import basic_int as h3

from simulacra.errors import SchemaError
from simulacra.schema import ColumnKind, ColumnSpec, GeoFormat
from simulacra.transformers import GeoPairTransformer
from simulacra.transformers._geo_cells import _cells, _parent, parse_region


def test_parent_bits_match_h3() -> None:
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)
    fine = _cells(lat, lon, 15)
    for res in (0, 5, 9, 14):
        assert _parent(fine, res).tolist() == [h3.cell_to_parent(int(c), res) for c in fine]


def pair(**kw: object) -> list[ColumnSpec]:
    return [
        ColumnSpec("lat", ColumnKind.GEO, "float64", geo_format=GeoFormat.LATITUDE, geo_partner="lon", **kw),  # type: ignore[arg-type]
        ColumnSpec("lon", ColumnKind.GEO, "float64", geo_format=GeoFormat.LONGITUDE, geo_partner="lat"),
    ]


def test_cells_model_round_trip_stays_in_leaf_and_box() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    centres = np.array([[41.39, 2.17], [41.41, 2.19], [41.38, 2.12]])
    pick = rng.integers(0, 3, n)
    df = pd.DataFrame(
        {
            "lat": np.round(centres[pick, 0] + rng.normal(0, 0.004, n), 5),
            "lon": np.round(centres[pick, 1] + rng.normal(0, 0.004, n), 5),
        }
    )
    t = GeoPairTransformer(pair()).fit(df, rng)
    assert t.cells_ is not None and 10 < t.cells_.n_cells <= 500
    model = t.transform(df, rng)
    assert model["lat.cell"].max() < t.cells_.n_cells
    back = t.inverse_transform(model, n, rng)
    assert t.region_contains(back["lat"].to_numpy(), back["lon"].to_numpy()).all()
    assert back["lat"].between(df["lat"].min(), df["lat"].max()).all()
    noise = {k: (rng.normal(0, 3, n) if k != "lat.cell" else v) for k, v in model.items()}
    wild = t.inverse_transform(noise, n, rng)
    assert t.region_contains(wild["lat"].to_numpy(), wild["lon"].to_numpy()).all()
    again = GeoPairTransformer(pair())
    again.set_state(t.get_state())
    assert again.inverse_transform(model, n, np.random.default_rng(3)).equals(
        t.inverse_transform(model, n, np.random.default_rng(3))
    )


def test_numeric_model_is_reachable() -> None:
    df = pd.DataFrame({"lat": [41.1, 41.2, 41.3], "lon": [2.1, 2.2, 2.3]})
    t = GeoPairTransformer(pair(geo_model="numeric")).fit(df, np.random.default_rng(0))
    assert [c.name for c in t.output_columns] == ["lat", "lon"]


def test_region_and_schema_validation() -> None:
    assert parse_region({"bbox": [0, 0, 1, 1]}).area == 1
    with pytest.raises(SchemaError, match="bounding box or a GeoJSON"):
        parse_region({"bbox": [1, 0, 0, 1]})
    with pytest.raises(SchemaError, match="geo_model"):
        ColumnSpec.from_dict({"name": "a", "kind": "geo", "dtype": "float64", "geo_model": "grid"})
    with pytest.raises(SchemaError, match="geo_min_distance_m"):
        ColumnSpec.from_dict({"name": "a", "kind": "geo", "dtype": "float64", "geo_min_distance_m": -1})
