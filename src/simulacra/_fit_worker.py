"""Fit one generator in a process of its own, for :mod:`simulacra.estimate` and :mod:`simulacra.selection`.

``python -m simulacra._fit_worker job.json`` reads a job (training table as Parquet, schema JSON,
generator name and parameters, rows to sample), fits, optionally samples and saves, and writes a result
JSON: wall time of ``fit``, the process's peak resident memory right after ``fit`` (``VmHWM``, which
counts numpy, pandas and torch memory alike), the seconds of a 3,000-row sample and the deep generators'
training record. A fresh process per fit is what makes the memory figure honest (the high-water mark of
a long-lived process cannot be reset) and lets the caller stop a fit that overruns its budget.

No cell value is written anywhere but the synthetic table the job asks for.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["peak_rss_mb", "run_job"]

PROBE_ROWS = 3000
"""Rows of the timed probe sample (the deep generators' early-stopping proxy samples as many)."""


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (10^6 bytes).

    On Linux this is ``VmHWM`` of ``/proc/self/status``: it belongs to the process's own address space, which
    ``exec`` creates anew. ``ru_maxrss`` would not do: Linux carries it over from the parent through
    ``fork``/``exec``, so a worker started by a large process would report the parent's size. Elsewhere
    ``ru_maxrss`` is the fallback (KiB on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) * 1024.0 / 1e6
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return float(peak) / 1e6 if sys.platform == "darwin" else float(peak) * 1024.0 / 1e6


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Fit (and sample) as the job says; return the measurements."""
    import numpy as np
    import pandas as pd

    from .registry import create_generator
    from .schema import TableSchema

    rss_start = peak_rss_mb()
    frame = pd.read_parquet(job["data"])
    schema = TableSchema.load(job["schema"])
    gen = create_generator(job["generator"], **job.get("params", {}))
    rss_loaded = peak_rss_mb()
    start = time.perf_counter()
    gen.fit(frame, schema)
    fit_s = time.perf_counter() - start
    out: dict[str, Any] = {
        "generator": job["generator"],
        "rows": len(frame),
        "fit_seconds": fit_s,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_fit_mb": rss_loaded,
        "rss_start_mb": rss_start,
        "training": getattr(gen, "training_", None),
    }
    seed = int(job.get("seed", 0))
    if job.get("probe", True):
        start = time.perf_counter()
        gen.sample(PROBE_ROWS, random_state=seed)
        out["probe_sample_seconds"] = time.perf_counter() - start
    n_sample = int(job.get("sample_rows", 0))
    if n_sample > 0:
        start = time.perf_counter()
        synthetic = gen.sample(n_sample, random_state=seed)
        synthetic.to_parquet(job["synthetic"], index=False)
        out["sample_seconds"] = time.perf_counter() - start
    if job.get("model"):
        gen.save(job["model"])
    if isinstance(out["training"], dict):  # keep the result small: per-epoch lists summarised
        training = dict(out["training"])
        secs = training.pop("epoch_seconds", []) or []
        training.pop("epoch_cpu_seconds", None)
        training.pop("scores", None)
        training["median_epoch_seconds"] = float(np.median(secs[1:] if len(secs) > 1 else secs)) if secs else None
        out["training"] = training
    return out


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        out = run_job(job)
    except Exception as exc:  # reported to the parent, which turns it into a leaderboard line
        out = {"generator": job.get("generator"), "error": f"{type(exc).__name__}: {exc}"}
    tmp = Path(job["result"] + ".tmp")
    tmp.write_text(json.dumps(out), encoding="utf-8")
    tmp.replace(job["result"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
