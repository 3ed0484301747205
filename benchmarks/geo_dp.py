"""Geo columns under differential privacy: mst (and aim) on california_housing with a public bounding box.

    PYTHONPATH=src .venv/bin/python benchmarks/geo_dp.py [--generators mst] [--epsilons 1 10] [--rows N]

80/20 split (seed 0). The public schema is the profile of the whole file without ``n_rows`` (the numeric
bounds and the category list stand for published knowledge, as in ``dp_adult.py``), with the geo pair's
region set to a public box of California (lon -124.5..-114, lat 32.5..42). Prints, per generator and
epsilon: the spatial TV distance at the middle resolution of ``evaluate(..., metrics=["geo"])`` beside the
holdout's, the share of synthetic points outside the box, the epsilon spent and the fit seconds.
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
from simulacra.schema import ColumnKind, TableSchema
from simulacra.schema.profile import profile

PATH = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "california_housing" / "housing.csv"
BBOX = [-124.5, 32.5, -114.0, 42.0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--generators", nargs="+", default=["mst"])
    parser.add_argument("--epsilons", nargs="+", type=float, default=[1.0, 10.0])
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    frame = pd.read_csv(PATH)
    if args.rows:
        frame = frame.sample(args.rows, random_state=0).reset_index(drop=True)
    idx = np.random.default_rng(0).permutation(len(frame))
    cut = int(0.8 * len(frame))
    train, hold = frame.iloc[idx[:cut]].reset_index(drop=True), frame.iloc[idx[cut:]].reset_index(drop=True)
    public = profile(frame)
    public = TableSchema(public.columns, n_rows=None)
    for spec in public.of_kind(ColumnKind.GEO):
        public = public.replace_column(spec.with_(region={"bbox": BBOX}))
    out = {}
    for name in args.generators:
        for eps in args.epsilons:
            start = time.perf_counter()
            gen = create_generator(name, epsilon=eps, random_state=0).fit(train, public)
            fit_s = time.perf_counter() - start
            synth = gen.sample(len(hold), random_state=1)
            ev = evaluate(train, synth, public, holdout=hold, metrics=["geo"])
            col = next(iter(ev.results["geo.spatial_density"].details["columns"].values()))
            mid = col["resolutions"].index(col["middle"])
            lat, lon = synth["latitude"].to_numpy(float), synth["longitude"].to_numpy(float)
            inside = (lon >= BBOX[0]) & (lon <= BBOX[2]) & (lat >= BBOX[1]) & (lat <= BBOX[3])
            grid = next(lay for lay in gen.transformer_.layout_ if lay["kind"] == "geo")
            out[f"{name} eps={eps:g}"] = {
                "tv_res": col["middle"],
                "tv_syn": col["tv_synthetic"][mid],
                "tv_hold": col["tv_holdout"][mid],
                "tv_syn_all": col["tv_synthetic"],
                "tv_hold_all": col["tv_holdout"],
                "outside": float(1 - inside.mean()),
                "fine_res": grid["grid"]["res"],
                "fine_cells": grid["n"],
                "coarse_cells": grid["n_coarse"],
                "epsilon_spent": round(gen.privacy_.to_dict().get("epsilon_spent", float("nan")), 6),
                "fit_s": round(fit_s, 1),
            }
            print(json.dumps({f"{name} eps={eps:g}": out[f"{name} eps={eps:g}"]}), flush=True)


if __name__ == "__main__":
    main()
