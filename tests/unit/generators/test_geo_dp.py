"""Geo columns under differential privacy (mst, aim): a public H3 grid over the schema's region."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import SchemaError
from simulacra.generators.statistical._geo_grid import PublicGrid, grid_region
from simulacra.generators.statistical.marginal import _consistent_fine
from simulacra.privacy.domain import public_schema_dict
from simulacra.schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema

BBOX = [2.05, 41.32, 2.25, 41.46]  # minlon, minlat, maxlon, maxlat (public)


def points(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Two clusters inside BBOX, a price higher in the eastern one, a few points outside the box."""
    rng = np.random.default_rng(seed)
    east = rng.random(n) < 0.4
    lat = np.where(east, 41.40, 41.36) + rng.normal(0, 0.01, n)
    lon = np.where(east, 2.19, 2.10) + rng.normal(0, 0.01, n)
    lon[:5] = 2.40  # outside the public box: clipped onto the grid, never written
    price = np.round(np.where(east, 200.0, 80.0) + rng.normal(0, 20, n), 0)
    return pd.DataFrame({"lat": np.round(lat, 4), "lon": np.round(lon, 4), "price": price})


def schema(region: dict | None = None, *, bounds: bool = False) -> TableSchema:
    box = {} if not bounds else {"lat": (BBOX[1], BBOX[3]), "lon": (BBOX[0], BBOX[2])}
    geo = {"region": region} if region is not None else {}
    return TableSchema(
        (
            ColumnSpec(
                "lat", ColumnKind.GEO, "float64", geo_format=GeoFormat.LATITUDE, geo_partner="lon", decimals=4,
                minimum=box.get("lat", (None, None))[0], maximum=box.get("lat", (None, None))[1], **geo,
            ),
            ColumnSpec(
                "lon", ColumnKind.GEO, "float64", geo_format=GeoFormat.LONGITUDE, geo_partner="lat", decimals=4,
                minimum=box.get("lon", (None, None))[0], maximum=box.get("lon", (None, None))[1], **geo,
            ),
            ColumnSpec("price", ColumnKind.NUMERIC, "float64", minimum=0, maximum=400, decimals=0),
        )
    )  # fmt: skip


def inside(frame: pd.DataFrame) -> np.ndarray:
    lat, lon = frame["lat"].to_numpy(float), frame["lon"].to_numpy(float)
    return (lon >= BBOX[0]) & (lon <= BBOX[2]) & (lat >= BBOX[1]) & (lat <= BBOX[3])


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return points()


@pytest.fixture(scope="module")
def mst(data: pd.DataFrame) -> simulacra.Generator:
    return simulacra.create_generator("mst", epsilon=2.0, iters=300, random_state=0).fit(data, schema({"bbox": BBOX}))


def test_mst_fits_samples_inside_the_region_and_spends_its_epsilon(mst: simulacra.Generator) -> None:
    out = mst.sample(2000, random_state=1)
    assert list(out.columns) == ["lat", "lon", "price"]
    assert out["lat"].dtype == np.float64 and inside(out).all()
    assert np.allclose(out["lat"], out["lat"].round(4)) and np.allclose(out["lon"], out["lon"].round(4))
    ledger = mst.privacy_.to_dict()
    assert ledger["epsilon_spent"] == pytest.approx(2.0, rel=1e-6)
    assert ledger["rho_spent"] == pytest.approx(ledger["rho_total"], rel=1e-6)
    # the two clusters come back (real: 40 % east, 60 % west); the eastern one costs more
    east = out["lon"] > 2.145
    assert 0.25 < east.mean() < 0.55
    assert out.loc[east, "price"].mean() > out.loc[~east, "price"].mean() + 40


def test_the_grid_comes_from_the_region_alone(mst: simulacra.Generator, data: pd.DataFrame) -> None:
    layout = next(lay for lay in mst.transformer_.layout_ if lay["kind"] == "geo")
    assert layout["grid"]["region"] == {"bbox": BBOX}
    other = simulacra.create_generator("mst", epsilon=2.0, iters=300, random_state=0).fit(
        points(300, seed=5), schema({"bbox": BBOX})
    )
    assert other.transformer_.get_state() == mst.transformer_.get_state()  # no data-derived value in the codec
    grid = PublicGrid({"bbox": BBOX}).build()
    assert layout["grid"]["fine"] == [int(c) for c in grid.fine] and len(grid.fine) <= 2000
    assert grid.res - 2 >= 0 and len(grid.coarse) < len(grid.fine)
    # the model columns: the fine cell and its coarse ancestor, both over public cell lists
    names = [c.name for c in mst.transformer_.model_columns]
    assert names == ["lat.cell", "lat.coarse", "price"]


def test_save_load_round_trip_keeps_no_real_coordinate(mst: simulacra.Generator, tmp_path: Path) -> None:
    mst.save(tmp_path / "m")
    back = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(mst.sample(300, random_state=3), back.sample(300, random_state=3))
    text = (tmp_path / "m" / "manifest.json").read_text()
    real = points()
    written = {f"{v:.4f}" for v in real["lat"].head(50)} | {f"{v:.4f}" for v in real["lon"].head(50)}
    assert not any(w in text for w in written - {f"{v:.4f}" for v in BBOX})


def test_no_public_region_is_one_error_naming_the_columns(data: pd.DataFrame) -> None:
    with pytest.raises(SchemaError) as err:
        simulacra.create_generator("mst", epsilon=1.0).fit(data, schema())
    msg = str(err.value)
    assert "'lat' (geo" in msg and "'lon' (geo" in msg and "--bbox" in msg and "minimum and maximum" in msg
    with pytest.raises(SchemaError, match="only mst and aim model geo"):
        simulacra.create_generator("privbayes", epsilon=1.0).fit(data, schema({"bbox": BBOX}))


def test_bounds_of_the_pair_stand_for_the_region(data: pd.DataFrame) -> None:
    spec = schema(bounds=True)
    assert grid_region([spec["lat"], spec["lon"]]) == {"bbox": BBOX}
    out = (
        simulacra.create_generator("mst", epsilon=1.0, iters=300, random_state=0)
        .fit(data, spec)
        .sample(500, random_state=0)
    )
    assert inside(out).all()


def test_aim_takes_the_same_path(data: pd.DataFrame) -> None:
    gen = simulacra.create_generator("aim", epsilon=2.0, rounds=2, iters=50, final_iters=200, random_state=0)
    out = gen.fit(data, schema({"bbox": BBOX})).sample(500, random_state=0)
    assert inside(out).all()
    assert gen.privacy_.to_dict()["epsilon_spent"] == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize("fmt", [GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT])
def test_text_points_keep_their_form(fmt: GeoFormat, data: pd.DataFrame) -> None:
    lat, lon = data["lat"], data["lon"]
    if fmt is GeoFormat.WKT_POINT:
        text = "POINT (" + lon.map("{:.4f}".format) + " " + lat.map("{:.4f}".format) + ")"
    else:
        text = lat.map("{:.4f}".format) + "," + lon.map("{:.4f}".format)
    text = text.astype(object)
    text.iloc[7] = None
    frame = pd.DataFrame({"where": text, "price": data["price"]})
    spec = TableSchema(
        (
            ColumnSpec("where", ColumnKind.GEO, "object", geo_format=fmt, decimals=4, null_rate=0.01,
                       region={"bbox": BBOX}),
            ColumnSpec("price", ColumnKind.NUMERIC, "float64", minimum=0, maximum=400, decimals=0),
        )
    )  # fmt: skip
    out = (
        simulacra.create_generator("mst", epsilon=2.0, iters=300, random_state=0)
        .fit(frame, spec)
        .sample(500, random_state=0)
    )
    got = out["where"].dropna().astype(str)
    pattern = r"^POINT \(\d+\.\d{4} \d+\.\d{4}\)$" if fmt is GeoFormat.WKT_POINT else r"^\d+\.\d{4},\d+\.\d{4}$"
    assert got.str.match(pattern).all() and len(got) > 450
    nums = got.str.extractall(r"(\d+\.\d+)")[0].astype(float).unstack()
    a, b = nums[0].to_numpy(), nums[1].to_numpy()
    la, lo = (b, a) if fmt is GeoFormat.WKT_POINT else (a, b)
    assert ((lo >= BBOX[0]) & (lo <= BBOX[2]) & (la >= BBOX[1]) & (la <= BBOX[3])).all()


def test_public_profile_writes_geo_placeholders_that_refuse_until_filled(data: pd.DataFrame) -> None:
    written = public_schema_dict(schema({"bbox": BBOX}))
    cols = {c["name"]: c for c in written["columns"]}  # type: ignore[union-attr]
    assert str(cols["lat"]["minimum"]).startswith("<fill in") and "region" not in cols["lat"]
    back = TableSchema.from_dict(json.loads(json.dumps(written)))
    with pytest.raises(SchemaError, match="'lat' \\(geo"):
        simulacra.create_generator("mst", epsilon=1.0).fit(data, back)
    text = TableSchema((ColumnSpec("p", ColumnKind.GEO, "object", geo_format=GeoFormat.LATLON_TEXT),))
    region = public_schema_dict(text)["columns"][0]["region"]  # type: ignore[index]
    assert str(region["bbox"][0]).startswith("<fill in")
    assert grid_region(list(TableSchema.from_dict(public_schema_dict(text)))) is None


def test_a_fine_cell_outside_its_coarse_cell_is_redrawn_among_the_children() -> None:
    parent = np.array([0, 0, 1, 1, 1])
    weights = np.array([1.0, 0.0, 0.0, 3.0, 1.0])
    codes = np.array([[0, 0], [2, 0], [0, 1], [4, 1]] * 500)
    fine = _consistent_fine(codes, 0, 1, parent, weights, np.random.default_rng(0))
    assert (parent[fine] == codes[:, 1]).all()
    assert (fine[0::4] == 0).all() and (fine[3::4] == 4).all()  # consistent rows are kept
    assert (fine[1::4] == 0).all()  # the only child of coarse 0 with weight
    redrawn = fine[2::4]
    assert set(redrawn) <= {3, 4} and 0.65 < (redrawn == 3).mean() < 0.85  # 3 : 1


def test_mst_from_partition_counts_is_the_in_memory_fit(data: pd.DataFrame, tmp_path: Path) -> None:
    from simulacra import distributed as sd

    data.iloc[:300].to_parquet(tmp_path / "a.parquet", index=False)
    data.iloc[300:].to_parquet(tmp_path / "b.parquet", index=False)
    public = schema({"bbox": BBOX})
    mem = simulacra.create_generator("mst", epsilon=2.0, iters=300, random_state=4).fit(data, public)
    gen = simulacra.create_generator("mst", epsilon=2.0, iters=300, random_state=4)
    dist = sd.fit_dataset(tmp_path, gen, public, engine="stream", partition_rows=200)
    pd.testing.assert_frame_equal(dist.sample(500, random_state=1), mem.sample(500, random_state=1))
