"""Fit mostlyai-engine's TabularARGN (defaults) on a CSV and sample from it; run inside ``benchmarks/.venv-mostlyai``.

mostlyai-engine is no dependency of simulacra: ``setup_mostlyai_env.sh`` makes its own venv. Used by
``argn_vs_tabularargn.py``; writes the synthetic CSV and a JSON of timings.

    benchmarks/.venv-mostlyai/bin/python benchmarks/_tabularargn.py --train train.csv --rows 26048 \
        --out-csv synthetic.csv --out-json run.json [--threads 1] [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import pandas as pd


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out-csv", required=True)
    parser.add_argument("--out-json", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=10.0, help="max_training_time (the engine's own cap)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from mostlyai import engine

    torch.set_num_threads(args.threads)
    engine.set_random_state(args.seed)
    train = pd.read_csv(args.train, keep_default_na=False, na_values=[""])
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        t0 = time.perf_counter()
        engine.split(tgt_data=train, model_type="TABULAR", workspace_dir=ws)
        engine.analyze(workspace_dir=ws)
        engine.encode(workspace_dir=ws)
        t1 = time.perf_counter()
        engine.train(workspace_dir=ws, max_training_time=args.minutes)
        fit_s = time.perf_counter() - t0
        t2 = time.perf_counter()
        engine.generate(workspace_dir=ws, sample_size=args.rows)
        synthetic = pd.concat([pd.read_parquet(p) for p in sorted((ws / "SyntheticData").glob("*.parquet"))])
        sample_s = time.perf_counter() - t2
        progress = sorted((ws / "ModelStore").rglob("progress-messages.csv"))
        epochs = None
        if progress:
            epochs = float(pd.read_csv(progress[0])["epoch"].max())
    synthetic = synthetic[list(train.columns)]
    synthetic.to_csv(args.out_csv, index=False)
    out = {
        "fit_s": fit_s,
        "prepare_s": t1 - t0,
        "sample_s": sample_s,
        "epochs": epochs,
        "threads": args.threads,
        "engine": version("mostlyai-engine"),
        "torch": version("torch"),
    }
    Path(args.out_json).write_text(json.dumps(out, indent=2))
    print(json.dumps(out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
