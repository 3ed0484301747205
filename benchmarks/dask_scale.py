"""Out-of-core scale on Dask: profile, fit the copula and sample 1M and 10M Adult-like rows.

1. Builds an Adult-like Parquet dataset of ``--rows`` rows (default 10,000,000) by sampling, partition
   by partition, from a Gaussian copula fitted on ``shared/datasets/adult/adult.csv``; the first tenth of
   its part files is the 1M dataset. Written under ``--workdir`` (default /tmp), never in the repository.
2. For each size, on a ``LocalCluster`` of 2 worker processes (``--memory-limit`` each, default 2GB):
   ``profile_dataset``, ``fit_dataset("gaussian_copula")`` and ``sample_dataset`` of as many rows, each
   timed, with the peak resident memory of each worker during the stage (polled every 0.2 s through
   ``client.run(psutil.Process().memory_info().rss)``).
3. Fidelity on the 1M set: the same data fitted in memory (``GaussianCopulaGenerator.fit``) and through
   Dask; 1M rows sampled from each and scored against the real 1M with the evaluation suite's column
   shapes and column pairs (the SDMetrics-equal metrics); the scores must agree within 0.005.
4. The 1M fit + sample repeated on a 1-worker cluster: the sampled dataset must be identical.
5. With ``--stream``: the 1M (or ``--stream-rows``-sized) set through ``engine="stream"`` (no Dask, one
   process, one partition at a time) in a subprocess, with its peak RSS; its output must equal the Dask one.

Targets (issue 10): peak memory per worker < 2 GB; time(10M) <= 12 x time(1M); |fidelity difference|
<= 0.005; identical output for 1 and 2 workers.

    .venv/bin/python benchmarks/dask_scale.py [--rows 10000000] [--workdir DIR] [--keep] [--stream] [--only-stream]

Wall times are those of a shared 2-core machine; other jobs inflate them, the 10M/1M ratio is what counts.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "adult" / "adult.csv"
GB = 1024**3


def _rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


class PeakMemory:
    """Polls every worker's RSS in a thread; ``peak`` maps worker address -> max bytes seen."""

    def __init__(self, client: Any, every: float = 0.2) -> None:
        self.client = client
        self.every = every
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for addr, rss in self.client.run(_rss).items():
                    self.peak[addr] = max(self.peak.get(addr, 0), int(rss))
            except Exception:  # a worker restarting; keep polling
                pass
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for addr, rss in self.client.run(_rss).items():
            self.peak[addr] = max(self.peak.get(addr, 0), int(rss))


def _stage(engine: Any, fn: Any) -> tuple[Any, float, list[float]]:
    with PeakMemory(engine.client) as mem:
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
    return out, seconds, sorted((v / GB for v in mem.peak.values()), reverse=True)


def _run_size(label: str, data: Path, out: Path, n: int, engine: Any, seed: int) -> dict[str, Any]:
    from simulacra import create_generator
    from simulacra import distributed as sd

    engine._client()
    row: dict[str, Any] = {"label": label, "rows": n}
    schema, t_prof, m_prof = _stage(engine, lambda: sd.profile_dataset(data, engine=engine))
    gen, t_fit, m_fit = _stage(
        engine,
        lambda: sd.fit_dataset(data, create_generator("gaussian_copula", random_state=seed), schema, engine=engine),
    )
    _, t_samp, m_samp = _stage(engine, lambda: sd.sample_dataset(gen, n, out, engine=engine, random_state=seed))
    row.update(profile=(t_prof, m_prof), fit=(t_fit, m_fit), sample=(t_samp, m_samp), schema=schema, gen=gen)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/simulacra-dask-bench"))
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--keep", action="store_true", help="reuse an existing generated dataset")
    parser.add_argument("--stream", action="store_true", help="also run the 1M set through engine='stream'")
    parser.add_argument("--only-stream", action="store_true", help="only the stream run (needs --keep's dataset)")
    parser.add_argument("--stream-big", action="store_true", help="stream the 10M set instead of the 1M one")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"Adult not found at {args.data}; give --data", file=sys.stderr)
        return 2

    import numpy as np
    import pandas as pd

    import simulacra
    from simulacra import distributed as sd
    from simulacra.evaluation.fidelity.pairs import ColumnPairs
    from simulacra.evaluation.fidelity.shapes import ColumnShapes

    work = args.workdir
    big, small = work / "adult_big", work / "adult_small"
    if args.only_stream:
        return _stream(work, big if args.stream_big else small)
    n_big = args.rows
    n_small = n_big // 10
    seed = 0
    two = sd.DaskEngine(n_workers=2, memory_limit=args.memory_limit)
    try:
        # -- 1. the dataset -------------------------------------------------------------------------------
        if not (args.keep and big.exists()):
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            adult = simulacra.read_table(args.data)
            source = simulacra.create_generator("gaussian_copula", random_state=123).fit(adult)
            start = time.perf_counter()
            sd.sample_dataset(source, n_big, big, engine=two, random_state=123, partition_rows=-(-n_big // 40))
            print(f"built {n_big:,} Adult-like rows in {time.perf_counter() - start:.0f} s under {big}")
        parts = sorted(big.glob("*.parquet"))
        shutil.rmtree(small, ignore_errors=True)
        small.mkdir()
        for p in parts[: len(parts) // 10]:
            (small / p.name).symlink_to(p)
        for out in work.glob("out_*"):
            shutil.rmtree(out)

        # -- 2. profile / fit / sample at both sizes ------------------------------------------------------
        rows = [
            _run_size("1M", small, work / "out_small", n_small, two, seed),
            _run_size("10M", big, work / "out_big", n_big, two, seed),
        ]
        print()
        print(f"Dask LocalCluster, 2 workers x {args.memory_limit}; seconds and peak RSS per worker (GB)")
        print(f"{'rows':>12} | {'stage':<8} | {'seconds':>8} | peak GB per worker")
        total: dict[str, float] = {}
        worst = 0.0
        for r in rows:
            total[r["label"]] = 0.0
            for stage in ("profile", "fit", "sample"):
                secs, mem = r[stage]
                total[r["label"]] += secs
                worst = max(worst, *mem)
                print(f"{r['rows']:>12,} | {stage:<8} | {secs:8.1f} | {', '.join(f'{m:.2f}' for m in mem)}")
            print(f"{r['rows']:>12,} | {'total':<8} | {total[r['label']]:8.1f} |")
        ratio = total["10M"] / total["1M"]
        print(f"time ratio 10M / 1M: {ratio:.2f} (target <= 12)   peak worker memory: {worst:.2f} GB (target < 2)")

        # -- 3. fidelity: in memory vs Dask on the 1M set ------------------------------------------------
        real = pd.concat([pd.read_parquet(p) for p in sorted(small.glob("*.parquet"))], ignore_index=True)
        schema = rows[0]["schema"]
        start = time.perf_counter()
        mem_gen = simulacra.create_generator("gaussian_copula", random_state=seed).fit(real, schema)
        t_mem = time.perf_counter() - start
        syn_mem = mem_gen.sample(n_small, random_state=seed)
        syn_dask = sd.read_dataset(work / "out_small")
        scores = {}
        for name, syn in (("in memory", syn_mem), ("dask", syn_dask)):
            shapes = ColumnShapes().compute(real, syn, schema).score
            pairs = ColumnPairs().compute(real, syn, schema).score
            scores[name] = (shapes, pairs)
        print()
        print(f"fidelity on {n_small:,} rows (in-memory fit took {t_mem:.1f} s):")
        print(f"{'path':<10} | column shapes | column pairs")
        for name, (s, p) in scores.items():
            print(f"{name:<10} | {s:13.4f} | {p:12.4f}")
        d_shapes = abs(scores["in memory"][0] - scores["dask"][0])
        d_pairs = abs(scores["in memory"][1] - scores["dask"][1])
        print(f"difference: shapes {d_shapes:.4f}, pairs {d_pairs:.4f} (target <= 0.005)")
        same_state = mem_gen.stratum_column_ == rows[0]["gen"].stratum_column_
        print(f"same stratifying column: {same_state}")
    finally:
        two.close()

    # -- 4. one worker vs two ------------------------------------------------------------------------------
    with sd.DaskEngine(n_workers=1, memory_limit=args.memory_limit) as one:
        gen1 = sd.fit_dataset(
            small, simulacra.create_generator("gaussian_copula", random_state=seed), rows[0]["schema"], engine=one
        )
        sd.sample_dataset(gen1, n_small, work / "out_small_1w", engine=one, random_state=seed)
    a = sd.read_dataset(work / "out_small")
    b = sd.read_dataset(work / "out_small_1w")
    identical = a.equals(b)
    print(f"1 worker vs 2 workers, {n_small:,} rows, seed {seed}: identical output = {identical}")
    corr_same = all(
        np.array_equal(x["corr"], y["corr"]) for x, y in zip(gen1.strata_, rows[0]["gen"].strata_, strict=True)
    )
    print(f"identical fitted correlation matrices: {corr_same}")
    ok = ratio <= 12 and worst < 2.0 and max(d_shapes, d_pairs) <= 0.005 and identical
    print("all targets met" if ok else "some target missed")
    if args.stream:
        _stream(work, big if args.stream_big else small)
    return 0


_STREAM_CODE = """
import json, resource, sys, time
import simulacra
from simulacra import distributed as sd
data, out, seed = sys.argv[1], sys.argv[2], 0
t = {}
start = time.perf_counter()
schema = sd.profile_dataset(data, engine="stream")
t["profile"] = time.perf_counter() - start
start = time.perf_counter()
gen = sd.fit_dataset(data, simulacra.create_generator("gaussian_copula", random_state=seed), schema, engine="stream")
t["fit"] = time.perf_counter() - start
start = time.perf_counter()
sd.sample_dataset(gen, schema.n_rows, out, engine="stream", random_state=seed)
t["sample"] = time.perf_counter() - start
t["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
t["rows"] = schema.n_rows
print(json.dumps(t))
"""


def _stream(work: Path, data: Path) -> int:
    """A dataset through engine='stream' in a fresh process: seconds per stage and its peak RSS."""
    import json
    import subprocess

    from simulacra import distributed as sd

    label = "big" if data.name.endswith("big") else "small"
    out = work / f"out_{label}_stream"
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", _STREAM_CODE, str(data), str(out)], capture_output=True, text=True, check=True
    )
    t = json.loads(done.stdout.strip().splitlines()[-1])
    print()
    print(
        f"stream engine (one process, no Dask), {t['rows']:,} rows: profile {t['profile']:.1f} s, "
        f"fit {t['fit']:.1f} s, sample {t['sample']:.1f} s; peak RSS {t['peak_rss_gb']:.2f} GB"
    )
    if label == "small" and (work / "out_small").exists():
        same = sd.read_dataset(out).equals(sd.read_dataset(work / "out_small"))
        print(f"stream output identical to the 2-worker Dask output: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
