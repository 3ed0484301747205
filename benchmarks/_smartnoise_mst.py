"""Fit smartnoise-synth's MST on a categorical CSV and sample from it; writes the rows and a JSON of timings.

Runs inside ``benchmarks/.venv-smartnoise`` (made by ``setup_smartnoise_env.sh``), never in the project's
venv: smartnoise-synth is no dependency of simulacra. Called by ``dp_nist.py``; usable alone::

    benchmarks/.venv-smartnoise/bin/python benchmarks/_smartnoise_mst.py --train table.csv \
        --epsilon 1 --delta 1e-9 --out-csv sn.csv --out-json sn.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from importlib.metadata import version

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--synth", default="mst", help="smartnoise synthesizer name (mst, aim)")
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-9)
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-json", required=True)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from snsynth import Synthesizer

    frame = pd.read_csv(args.train, dtype=str, keep_default_na=False)
    start = time.perf_counter()
    synth = Synthesizer.create(args.synth, epsilon=args.epsilon, delta=args.delta, verbose=False)
    # every column categorical; smartnoise reads their category lists from the data without charging budget
    synth.fit(frame, categorical_columns=list(frame.columns), preprocessor_eps=0.0)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    rows = synth.sample(len(frame))
    sample_s = time.perf_counter() - start
    rows.to_csv(args.out_csv, index=False)
    info = {"fit_s": fit_s, "sample_s": sample_s, "versions": {"smartnoise-synth": version("smartnoise-synth")}}
    with open(args.out_json, "w") as fh:
        json.dump(info, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
