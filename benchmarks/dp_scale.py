"""DP generators at scale: ``mst``, ``aim`` and ``privbayes`` fitted from counts over every row.

Builds (or reuses, with ``--keep``) an Adult-like Parquet dataset of ``--rows`` rows (default 1,000,000),
sampled from a Gaussian copula fitted on Adult, and fits each DP generator (epsilon 1, Adult's public
schema: the profile of the whole file without ``n_rows``, as in ``dp_adult.py``) three ways: in memory
(the whole table read into one process), ``engine="stream"`` (one partition at a time) and on a
``LocalCluster`` of 2 workers. It prints seconds and peak memory (peak RSS of a fresh subprocess for the
stream fit; this process's peak RSS after reading the table and fitting for in memory; each worker's for Dask),
whether 100,000 rows sampled from each model equal the stream model's (``mst``/``aim``: seed for seed,
in memory included), and their column-shape and column-pair scores against the real table.

    .venv/bin/python benchmarks/dp_scale.py [--rows 1000000] [--generators mst privbayes] [--keep]

Wall times are those of a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simulacra
from dask_scale import DEFAULT_DATA, GB, PeakMemory
from simulacra import distributed as sd
from simulacra.evaluation.fidelity.pairs import ColumnPairs
from simulacra.evaluation.fidelity.shapes import ColumnShapes

FAST = {"mst": {}, "aim": {"rounds": 10}, "privbayes": {}}


def _peak_self_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB


def _stream_child(name: str, data: Path, kw: dict[str, Any], public: simulacra.TableSchema, out: Path) -> None:
    start = time.perf_counter()
    gen = sd.fit_dataset(data, simulacra.create_generator(name, **kw), public, engine="stream")
    secs = time.perf_counter() - start
    gen.save(out)
    print(json.dumps({"seconds": secs, "peak_gb": _peak_self_gb()}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--generators", nargs="+", default=["mst", "privbayes"], choices=sorted(FAST))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/simulacra-dp-scale"))
    parser.add_argument("--keep", action="store_true", help="reuse the generated dataset")
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--stream-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    adult = simulacra.read_table(args.data)
    public = simulacra.TableSchema(simulacra.profile(adult).columns, n_rows=None)
    data = args.workdir / "adult_like"
    if args.stream_child:
        name = args.stream_child
        kw = {"epsilon": args.epsilon, "random_state": 0, **FAST[name]}
        _stream_child(name, data, kw, public, args.workdir / f"model_{name}_stream")
        return 0
    if not (args.keep and data.exists()):
        data.mkdir(parents=True, exist_ok=True)
        for p in data.glob("*.parquet"):
            p.unlink()
        source = simulacra.create_generator("gaussian_copula", random_state=123).fit(adult)
        parts = -(-args.rows // 20)
        sd.sample_dataset(source, args.rows, data, engine="stream", random_state=123, partition_rows=parts)
    del adult
    print(f"{args.rows:,} Adult-like rows in {len(list(data.glob('*.parquet')))} parts; epsilon {args.epsilon}")
    rows = []
    fitted: dict[str, dict[str, Any]] = {}
    for name in args.generators:
        kw = {"epsilon": args.epsilon, "random_state": 0, **FAST[name]}
        cmd = [sys.executable, __file__, "--stream-child", name, "--workdir", str(args.workdir)]
        cmd += ["--data", str(args.data), "--epsilon", str(args.epsilon)]
        child = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
        stream = simulacra.load(args.workdir / f"model_{name}_stream")
        fitted[name] = {"stream": (stream, child["seconds"], f"{child['peak_gb']:.2f} (process)")}
        with sd.DaskEngine(n_workers=2, memory_limit="2GB") as two:
            two._client()
            with PeakMemory(two.client) as peak:
                start = time.perf_counter()
                dask = sd.fit_dataset(data, simulacra.create_generator(name, **kw), public, engine=two)
                secs = time.perf_counter() - start
            fitted[name]["dask x2"] = (dask, secs, ", ".join(f"{v / GB:.2f}" for v in sorted(peak.peak.values())))
    real = sd.read_dataset(data)
    for name in args.generators:
        kw = {"epsilon": args.epsilon, "random_state": 0, **FAST[name]}
        start = time.perf_counter()
        mem = simulacra.create_generator(name, **kw).fit(real, public)
        fitted[name]["in memory"] = (mem, time.perf_counter() - start, f"{_peak_self_gb():.2f} (process)")
        reference = fitted[name]["stream"][0].sample(100_000, random_state=1)
        for path, (gen, secs, peak_txt) in fitted[name].items():
            syn = gen.sample(100_000, random_state=1)
            same = "-" if path == "stream" else ("yes" if syn.equals(reference) else "no")
            shapes = ColumnShapes().compute(real, syn, public).score
            pairs = ColumnPairs().compute(real, syn, public).score
            rows.append(
                f"{name:<10} | {path:<10} | {secs:8.1f} | {peak_txt:>16} | {same:>9} | {shapes:.4f} | {pairs:.4f}"
            )
    print(f"{'generator':<10} | {'path':<10} | {'seconds':>8} | {'peak GB':>16} | same rows | shapes | pairs")
    print("\n".join(rows))
    print("(same rows: 100,000 rows sampled with seed 1 equal the stream-fitted model's; privbayes in memory draws")
    print(" its missing-value fills from one stream, at scale from one per partition, so only its scores compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
