"""Geo benchmark: H3-cell model vs latitude/longitude as two numbers, on california_housing and airbnb_barcelona.

    .venv/bin/python benchmarks/geo.py [--rows N]

For each dataset (80/20 split, seed 0): fit the Gaussian copula with ``geo_model="cells"`` (default) and
``"numeric"`` (the old placeholder), sample as many rows as the holdout, and print the geo metrics beside
their holdout references, the share of synthetic points outside the region, and the checks of issue 8.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from simulacra.evaluation.suite import evaluate
from simulacra.registry import create_generator
from simulacra.schema import ColumnKind, GeoFormat, TableSchema
from simulacra.schema.profile import profile

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
SETS = {
    "california_housing": (DATA / "california_housing" / "housing.csv", "median_house_value", None),
    "airbnb_barcelona": (
        DATA / "airbnb_barcelona" / "listings.csv",
        "price",
        DATA / "airbnb_barcelona" / "neighbourhoods.geojson",
    ),
}


def with_geo(schema: TableSchema, **changes: object) -> TableSchema:
    for spec in schema.of_kind(ColumnKind.GEO):
        schema = schema.replace_column(spec.with_(**changes))
    return schema


def run(name: str, rows: int | None) -> dict[str, object]:
    path, target, region_file = SETS[name]
    frame = pd.read_csv(path)
    if rows:
        frame = frame.sample(rows, random_state=0).reset_index(drop=True)
    idx = np.random.default_rng(0).permutation(len(frame))
    cut = int(0.8 * len(frame))
    train, hold = frame.iloc[idx[:cut]].reset_index(drop=True), frame.iloc[idx[cut:]].reset_index(drop=True)
    base = profile(train)
    out: dict[str, object] = {}
    variants = {"cells": with_geo(base, geo_model="cells"), "numeric": with_geo(base, geo_model="numeric")}
    if region_file is not None:
        variants["cells+region"] = with_geo(base, region=json.loads(region_file.read_text()))
    variants["cells+min50m"] = with_geo(base, geo_min_distance_m=50.0)
    for label, schema in variants.items():
        start = time.perf_counter()
        gen = create_generator("gaussian_copula", random_state=0).fit(train, schema)
        synth = gen.sample(len(hold), random_state=1)
        fit_s = time.perf_counter() - start
        ev = evaluate(train, synth, schema, holdout=hold, target=target, metrics=["geo"])
        geo_t = next(t for t in gen.transformer_.transformers_ if t.specs[0].kind is ColumnKind.GEO)
        lat_col = next(s.name for s in schema.of_kind(ColumnKind.GEO) if s.geo_format is GeoFormat.LATITUDE)
        lon_col = next(s.name for s in schema.of_kind(ColumnKind.GEO) if s.geo_format is GeoFormat.LONGITUDE)
        lat, lon = synth[lat_col].to_numpy(float), synth[lon_col].to_numpy(float)
        ok = np.isfinite(lat)
        outside = float(1 - geo_t.region_contains(lat[ok], lon[ok]).mean())
        dens = ev.results["geo.spatial_density"]
        col = next(iter(dens.details["columns"].values()))
        mid = col["resolutions"].index(col["middle"])
        moran = ev.results["geo.morans_i"].details["columns"]
        mi = next(iter(moran.values())).get(target, {})
        prox = ev.results["geo.proximity"]
        out[label] = {
            "seconds": round(fit_s, 1),
            "cells": getattr(geo_t.cells_, "n_cells", None),
            "tv_res": col["middle"],
            "tv_syn": col["tv_synthetic"][mid],
            "tv_hold": col["tv_holdout"][mid],
            "nearest": round(ev.results["geo.nearest_distance"].score, 3),
            "nearest_ref": round(ev.results["geo.nearest_distance"].reference or 0, 3),
            "moran_real": mi.get("real"),
            "moran_syn": mi.get("synthetic"),
            "moran_hold": mi.get("holdout"),
            "near50_syn": round(prox.score, 4),
            "near50_hold": round(prox.reference or 0, 4),
            "outside_region": outside,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=None, help="subsample each dataset to this many rows")
    args = parser.parse_args()
    for name in SETS:
        res = run(name, args.rows)
        print(f"\n== {name} ==")
        print(pd.DataFrame(res).T.to_string())
        cells, numeric = res["cells"], res["numeric"]
        assert isinstance(cells, dict) and isinstance(numeric, dict)
        checks = {
            "TV within 1.5x holdout": cells["tv_syn"] <= 1.5 * cells["tv_hold"],
            "TV >= 2x better than numeric": 2 * cells["tv_syn"] <= numeric["tv_syn"],
            "no point outside region": all(v["outside_region"] == 0 for v in res.values()),  # type: ignore[union-attr]
            "Moran's I within 0.05": cells["moran_real"] is not None
            and abs(cells["moran_real"] - cells["moran_syn"]) <= 0.05,
            "near-50m share <= holdout": cells["near50_syn"] <= cells["near50_hold"],
        }
        for k, v in checks.items():
            print(f"  {'PASS' if v else 'FAIL'}  {k}")


if __name__ == "__main__":
    main()
