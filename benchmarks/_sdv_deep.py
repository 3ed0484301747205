"""Fit SDV's CTGAN or TVAE on a CSV, timing every epoch; sample and write the rows and a JSON of timings.

Runs inside ``benchmarks/.venv-sdv`` (SDV is no dependency of simulacra). Called by ``deep_adult.py``;
usable alone::

    benchmarks/.venv-sdv/bin/python benchmarks/_sdv_deep.py --model ctgan --train train.csv \
        --metadata metadata.json --epochs 10 --threads 2 --out-json sdv.json [--out-csv sdv.csv --rows 32561]

Per-epoch seconds come from wrapping the ``tqdm(range(epochs))`` iterator of ctgan's training loop
(``ctgan.synthesizers.ctgan.tqdm`` / ``...tvae.tqdm``): the time between two epochs' starts.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TABLE = "adult"
EPOCH_STARTS: list[float] = []
EPOCH_CPU: list[float] = []  # process CPU seconds at the same points: steadier than wall time on a busy machine


def read_csv(path: str, metadata: dict) -> pd.DataFrame:
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for name, spec in metadata["columns"].items():
        if spec["sdtype"] == "numerical":
            frame[name] = pd.to_numeric(frame[name])
        else:
            frame[name] = frame[name].astype(str)
    return frame


class TimedTqdm:
    """Stands in for tqdm around the epoch loop and records when each epoch starts."""

    def __init__(self, iterable: Iterable[Any], *args: Any, **kwargs: Any) -> None:
        self.iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            EPOCH_STARTS.append(time.perf_counter())
            EPOCH_CPU.append(time.process_time())
            yield item
        EPOCH_STARTS.append(time.perf_counter())
        EPOCH_CPU.append(time.process_time())

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("ctgan", "tvae"), required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--metadata", required=True)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", type=int, default=32561)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-csv", default=None)
    parser.add_argument("--out-json", required=True)
    args = parser.parse_args()

    warnings.filterwarnings("ignore")
    import ctgan.synthesizers.ctgan as ctgan_module
    import ctgan.synthesizers.tvae as tvae_module
    import torch
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

    torch.set_num_threads(args.threads)
    ctgan_module.tqdm = TimedTqdm  # type: ignore[assignment]
    tvae_module.tqdm = TimedTqdm  # type: ignore[assignment]
    fixed = json.loads(Path(args.metadata).read_text())
    train = read_csv(args.train, fixed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    metadata = Metadata.detect_from_dataframes({TABLE: train})
    if metadata.tables[TABLE].primary_key is not None:
        metadata.remove_primary_key(TABLE)
    for name, spec in fixed["columns"].items():
        metadata.update_column(name, TABLE, sdtype=spec["sdtype"])
    cls = CTGANSynthesizer if args.model == "ctgan" else TVAESynthesizer
    synthesizer = cls(metadata, epochs=args.epochs, batch_size=args.batch_size, verbose=False)
    t0 = time.perf_counter()
    synthesizer.fit({TABLE: train})
    fit_s = time.perf_counter() - t0
    epoch_s = list(np.diff(EPOCH_STARTS))
    result: dict[str, Any] = {
        "generator": f"SDV {cls.__name__}",
        "epochs": args.epochs,
        "threads": args.threads,
        "fit_s": fit_s,
        "epoch_seconds": epoch_s,
        "epoch_s_median": float(np.median(epoch_s)) if epoch_s else None,
        "epoch_cpu_seconds": list(np.diff(EPOCH_CPU)),
        "preprocess_s": fit_s - float(np.sum(epoch_s)),
        "versions": {p: version(p) for p in ("sdv", "ctgan", "rdt", "torch")},
    }
    if args.out_csv:
        t0 = time.perf_counter()
        sampled = synthesizer.sample(num_rows=args.rows)
        result["sample_s"] = time.perf_counter() - t0
        synthetic = sampled[TABLE] if isinstance(sampled, dict) else sampled
        synthetic.to_csv(args.out_csv, index=False)
        result["rows"] = len(synthetic)
    Path(args.out_json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
