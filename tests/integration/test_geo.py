"""Geo columns end to end: the H3-cell model on a small real dataset, the region, the min distance, the geo
metrics and the report's maps (rendered in headless Chromium)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import InputError
from simulacra.evaluation.geo._common import nearest_m
from simulacra.report import write_report
from simulacra.schema import ColumnKind, TableSchema
from tests.conftest import SHARED
from tests.integration.test_report import CHROMIUM, FLAGS

HOUSING = SHARED / "california_housing" / "housing.csv"
pytestmark = pytest.mark.skipif(not HOUSING.exists(), reason="shared datasets not mounted")


def with_geo(schema: TableSchema, **changes: Any) -> TableSchema:
    for spec in schema.of_kind(ColumnKind.GEO):
        schema = schema.replace_column(spec.with_(**changes))
    return schema


@pytest.fixture(scope="module")
def housing() -> dict[str, Any]:
    frame = pd.read_csv(HOUSING).sample(6000, random_state=0).reset_index(drop=True)
    train, hold = frame.iloc[:4800].reset_index(drop=True), frame.iloc[4800:].reset_index(drop=True)
    schema = simulacra.profile(train)
    return {"train": train, "hold": hold, "schema": schema}


def _fit_sample(h: dict[str, Any], schema: TableSchema) -> tuple[Any, pd.DataFrame]:
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(h["train"], schema)
    return gen, gen.sample(len(h["hold"]), random_state=1)


def _tv(ev: Any) -> tuple[float, float]:
    col = next(iter(ev.results["geo.spatial_density"].details["columns"].values()))
    i = col["resolutions"].index(col["middle"])
    return col["tv_synthetic"][i], col["tv_holdout"][i]


def test_cells_beat_numeric_and_stay_in_region(housing, tmp_path: Path) -> None:
    h = housing
    assert [s.name for s in h["schema"].of_kind(ColumnKind.GEO)] == ["longitude", "latitude"]
    gen, synth = _fit_sample(h, h["schema"])
    names = [c.name for c in gen.transformer_.model_columns]
    assert "latitude.cell" in names and "latitude.dx" in names
    assert synth["latitude"].round(2).equals(synth["latitude"])  # the input's precision
    geo_t = gen.transformer_.transformers_[0]
    assert geo_t.region_contains(synth["latitude"].to_numpy(), synth["longitude"].to_numpy()).all()
    ev = simulacra.evaluate(h["train"], synth, h["schema"], holdout=h["hold"], metrics=["geo"])
    tv_syn, tv_hold = _tv(ev)
    assert tv_syn <= 1.5 * tv_hold
    _, numeric = _fit_sample(h, with_geo(h["schema"], geo_model="numeric"))
    ev_num = simulacra.evaluate(h["train"], numeric, h["schema"], holdout=h["hold"], metrics=["geo"])
    assert 2 * tv_syn <= _tv(ev_num)[0]
    prox = ev.results["geo.proximity"]
    assert prox.score <= prox.reference + 0.02
    # save / load keeps the model
    gen.save(tmp_path / "m")
    again = simulacra.load(tmp_path / "m").sample(50, random_state=3)
    assert again.equals(gen.sample(50, random_state=3))


def test_bbox_region_and_min_distance(housing) -> None:
    h = housing
    bbox = {"bbox": [-122.6, 37.0, -121.5, 38.2]}  # the Bay Area only
    gen, synth = _fit_sample(h, with_geo(h["schema"], region=bbox))
    assert synth["longitude"].between(-122.6, -121.5).all() and synth["latitude"].between(37.0, 38.2).all()
    schema = with_geo(h["schema"], geo_min_distance_m=2000.0)
    gen, synth = _fit_sample(h, schema)
    cells = gen.transformer_.transformers_[0].cells_
    train = h["train"]
    lat, lon = train["latitude"].to_numpy(), train["longitude"].to_numpy()
    fine = cells._in_footprint(lat, lon)
    lonely = ~fine  # real points alone in their footprint cell
    d = nearest_m((synth["latitude"].to_numpy(), synth["longitude"].to_numpy()), (lat[lonely], lon[lonely]))
    assert lonely.any() and d.min() >= 2000.0 * 0.95


def test_schema_round_trip_and_range_errors(housing) -> None:
    schema = with_geo(housing["schema"], region={"bbox": [-125, 32, -114, 42]}, geo_min_distance_m=50.0)
    assert TableSchema.from_json(schema.to_json()) == schema
    bad = housing["train"].head(100).copy()
    bad.loc[:4, "latitude"] = 123.0
    with pytest.raises(InputError, match=r"column 'latitude': 5 latitude value\(s\) outside"):
        simulacra.create_generator("gaussian_copula").fit(bad, housing["schema"])


def test_report_maps_render(housing, tmp_path: Path) -> None:
    h = housing
    _, synth = _fit_sample(h, h["schema"])
    ev = simulacra.evaluate(h["train"], synth, h["schema"], holdout=h["hold"], target="median_house_value")
    assert {"geo.spatial_density", "geo.nearest_distance", "geo.morans_i", "geo.proximity"} <= set(ev.results)
    moran = ev.results["geo.morans_i"].details["columns"]["latitude/longitude"]["median_house_value"]
    assert moran["real"] > 0.5 and moran["synthetic"] > 0.4
    write_report(ev, tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert 'id="geo-map-1"' in html and "synthetic − real" in html
    json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    page = (tmp_path / "report" / "report.html").resolve().as_uri()
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'p'}", "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == html.count("<svg") and 'id="geo-map-1"' in dom.stdout
    assert not [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def test_geo_metrics_skip_tables_without_geo() -> None:
    frame = pd.DataFrame({"a": np.arange(50.0), "b": ["x", "y"] * 25})
    ev = simulacra.evaluate(frame, frame, holdout=frame, metrics=["geo"])
    assert set(ev.skipped) == {"geo.spatial_density", "geo.nearest_distance", "geo.morans_i", "geo.proximity"}
    assert all(s.status == "not_evaluated" for s in ev.skipped.values())
