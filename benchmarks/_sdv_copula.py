"""Fit SDV's GaussianCopulaSynthesizer on a CSV and sample from it; writes the rows and a JSON of timings.

Runs inside ``benchmarks/.venv-sdv`` (made by ``setup_sdv_env.sh``), never in the project's venv:
SDV is no dependency of simulacra. Called by ``adult_copula.py``; usable alone::

    benchmarks/.venv-sdv/bin/python benchmarks/_sdv_copula.py --train train.csv --metadata metadata.json \
        --rows 32561 --out-csv sdv.csv --out-json sdv.json
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

TABLE = "adult"


def peak_rss_mb() -> dict[str, float | None]:
    """Peak RSS of this process: getrusage's ru_maxrss and /proc's VmHWM, in MB (10^6 bytes)."""
    out: dict[str, float | None] = {"ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["vmhwm_mb"] = int(line.split()[1]) * 1024 / 1e6
    except OSError:
        out["vmhwm_mb"] = None
    return out


def read_csv(path: str, metadata: dict) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for name, spec in metadata["columns"].items():
        if spec["sdtype"] == "numerical":
            frame[name] = pd.to_numeric(frame[name])
        else:
            frame[name] = frame[name].astype(str)
    return frame


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True, help="training CSV")
    parser.add_argument("--metadata", required=True, help='JSON {"columns": {name: {"sdtype": ...}}}')
    parser.add_argument("--rows", type=int, default=32561, help="rows to sample (timed)")
    parser.add_argument("--large-rows", type=int, default=0, help="also time a sample of this many rows (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-json", required=True)
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*save_to_json.*")
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer

    fixed = json.loads(Path(args.metadata).read_text())
    train = read_csv(args.train, fixed)
    rss_loaded = peak_rss_mb()
    random.seed(args.seed)
    np.random.seed(args.seed)

    # SDV 2.0: Metadata.detect_from_dataframes takes {table_name: DataFrame}. Detection is kept as SDV
    # does it, then each column's sdtype is set to the fixed Adult metadata so that both generators see
    # the same column kinds (and the scorer judges them the same way).
    metadata = Metadata.detect_from_dataframes({TABLE: train})
    detected = {name: spec["sdtype"] for name, spec in metadata.tables[TABLE].columns.items()}
    if metadata.tables[TABLE].primary_key is not None:
        metadata.remove_primary_key(TABLE)
    for name, spec in fixed["columns"].items():
        if detected.get(name) != spec["sdtype"]:
            metadata.update_column(name, TABLE, sdtype=spec["sdtype"])
    used = {name: spec["sdtype"] for name, spec in metadata.tables[TABLE].columns.items()}

    synthesizer = GaussianCopulaSynthesizer(metadata)
    t0 = time.perf_counter()
    synthesizer.fit({TABLE: train})  # SDV 2.0: fit and sample take/return {table_name: DataFrame}
    fit_s = time.perf_counter() - t0
    synthesizer._set_random_state(args.seed)  # SDV's own seeding hook (used by its sample(..., seed))
    t0 = time.perf_counter()
    sampled = synthesizer.sample(num_rows=args.rows)
    sample_s = time.perf_counter() - t0
    synthetic = sampled[TABLE] if isinstance(sampled, dict) else sampled
    rss = peak_rss_mb()  # through fit + the timed sample, as peer-baseline.md measured it
    sample_large_s = None
    if args.large_rows:
        t0 = time.perf_counter()
        large = synthesizer.sample(num_rows=args.large_rows)
        sample_large_s = time.perf_counter() - t0
        del large

    synthetic.to_csv(args.out_csv, index=False)
    result = {
        "generator": "SDV GaussianCopulaSynthesizer",
        "fit_s": fit_s,
        "sample_s": sample_s,
        "rows": len(synthetic),
        "sample_large_s": sample_large_s,
        "sample_large_rows": args.large_rows or None,
        "peak_rss_mb": rss["ru_maxrss_mb"],
        "peak_rss": rss,
        "rss_after_loading_data": rss_loaded,
        "detected_sdtypes": detected,
        "used_sdtypes": used,
        "default_distribution": synthesizer.default_distribution,
        "versions": {
            p: version(p) for p in ("sdv", "sdmetrics", "rdt", "copulas", "torch", "numpy", "pandas", "scipy")
        },
        "python": sys.version.split()[0],
    }
    Path(args.out_json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
