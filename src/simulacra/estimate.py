"""Predicted fit time and peak memory of each candidate generator, from a small calibration run.

>>> from simulacra.estimate import estimate
>>> est = estimate(train, schema, {"gaussian_copula": {}, "vae": {"threads": 1}})
>>> est["vae"].fit_seconds, est["vae"].peak_rss_mb

How (each fit runs in a fresh process, :mod:`simulacra._fit_worker`, so that its peak resident memory is
its own):

1. The table is subsampled (seeded) to two sizes, ``n1 = min(N, 2,000)`` and ``n2 = min(N, max(4,000, N/3))``
   rows, and every candidate is fitted on both.
2. **Statistical generators**: fit time and peak RSS are taken as linear in the rows through the two
   points (slope at least 0) and read at ``N``. A calibration fit under :data:`REPEAT_BELOW_S` seconds is
   repeated (up to :data:`REPEATS` runs) and the fastest kept, so a load spike does not set the slope.
3. **Deep generators**: the calibration fits run :data:`CALIBRATION_EPOCHS` epochs with early stopping as
   in the real fit. Seconds per epoch are linear in the optimiser steps (``rows // batch_size``, after the
   early-stopping validation split); the rest of the fit (encoding, networks, the proxy scores) is linear
   in the rows. The prediction is ``overhead(N) + E × epoch(N) + scores × probe``, where ``E`` is the
   generator's ``epochs`` cut to what ``max_minutes`` allows, ``scores`` the early-stopping checks made in
   ``E`` epochs and ``probe`` the measured seconds of a 3,000-row sample (what each check samples). Early
   stopping may end a fit sooner (never before epoch 100), so for deep models the figure is what the fit
   takes at most.
4. Peak memory is the peak RSS of the whole fitting process (interpreter, libraries, the table, the model),
   in MB (10^6 bytes).

Accuracy measured by ``benchmarks/auto_select.py`` (see ``docs/choosing.md``).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ParameterError, SimulacraError
from .progress import NO_PROGRESS, ProgressCallback
from .schema import TableSchema

__all__ = ["CALIBRATION_EPOCHS", "Estimate", "WorkerError", "calibration_sizes", "estimate", "predict", "run_worker"]

CALIBRATION_EPOCHS = 3
"""Epochs of a deep generator's calibration fits."""
SMALL_ROWS = 2000
REPEATS = 3
REPEAT_BELOW_S = 2.0
"""A statistical calibration fit shorter than this is run up to ``REPEATS`` times and the fastest kept: a
second-long fit on a busy machine can take twice its time once, and the slope through two such points
would carry that noise to the prediction."""
LARGE_MIN_ROWS = 4000


class WorkerError(SimulacraError, RuntimeError):
    """A fit in a worker process failed or ran past its time limit."""


@dataclass(frozen=True)
class Estimate:
    """The predicted cost of fitting ``generator`` (with ``params``) on ``rows`` rows."""

    generator: str
    params: dict[str, Any]
    rows: int
    fit_seconds: float
    peak_rss_mb: float
    basis: str
    epochs: int | None = None
    """Deep generators: the epochs the prediction assumes."""
    calibration: list[dict[str, Any]] = field(default_factory=list)
    calibration_seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "generator": self.generator,
            "params": dict(self.params),
            "rows": self.rows,
            "fit_seconds": _round(self.fit_seconds),
            "peak_rss_mb": _round(self.peak_rss_mb),
            "epochs": self.epochs,
            "basis": self.basis,
            "calibration": self.calibration,
            "calibration_seconds": _round(self.calibration_seconds),
            "error": self.error,
        }


def _round(x: float) -> float | None:
    return None if not math.isfinite(x) else round(float(x), 3)


def calibration_sizes(n: int) -> list[int]:
    """The subsample sizes of the calibration fits (one size when the table is small)."""
    n1 = min(n, SMALL_ROWS)
    n2 = min(n, max(LARGE_MIN_ROWS, n // 3))
    return [n1] if n2 <= n1 else [n1, n2]


def run_worker(job: dict[str, Any], workdir: Path, timeout: float | None) -> dict[str, Any]:
    """Run :mod:`simulacra._fit_worker` on ``job``; the result dict, or :class:`WorkerError`."""
    job = dict(job)
    fd, result = tempfile.mkstemp(prefix="result-", suffix=".json", dir=workdir)
    os.close(fd)
    os.unlink(result)
    job["result"] = result
    job_path = Path(result).with_suffix(".job.json")
    job_path.write_text(json.dumps(job), encoding="utf-8")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "simulacra._fit_worker", str(job_path)],
            env=env,
            timeout=timeout,
            capture_output=True,
            text=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        job_path.unlink(missing_ok=True)
        raise WorkerError(f"fitting {job['generator']} ran past its limit of {timeout:.0f} s and was stopped") from None
    job_path.unlink(missing_ok=True)
    if not Path(result).exists():
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise WorkerError(f"the worker fitting {job['generator']} ended with code {proc.returncode}: {tail[0]}")
    out: dict[str, Any] = json.loads(Path(result).read_text(encoding="utf-8"))
    Path(result).unlink()
    if out.get("error"):
        raise WorkerError(f"fitting {job['generator']} failed: {out['error']}")
    return out


def _linear(xs: list[float], ys: list[float], x: float) -> float:
    """The line through two points (slope at least 0) read at ``x``; a single point (a table too small for two
    calibration sizes, calibrated whole) is returned as is."""
    if len(xs) < 2 or xs[1] == xs[0]:
        return ys[-1]
    slope = max(0.0, (ys[1] - ys[0]) / (xs[1] - xs[0]))
    return max(ys[1] + slope * (x - xs[1]), 0.0)


def _deep_defaults(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    from .registry import generator_class, generator_params

    allowed = generator_params(generator_class(name))
    out = {k: p.default for k, p in allowed.items()}
    out.update(params)
    return out


def _typical_epochs(name: str) -> int | None:
    """Epochs the generator's fits usually end after under early stopping, when it states them."""
    from .registry import generator_class

    value = getattr(generator_class(name), "typical_epochs", None)
    return int(value) if value else None


def is_deep(name: str) -> bool:
    from .registry import _REGISTRY

    info = _REGISTRY.get(name)
    return info is not None and info.extra == "deep"


def _train_rows(n: int, early_stopping: bool) -> int:
    """Rows a deep generator trains on after its early-stopping validation split (see generators/deep)."""
    if early_stopping and n >= 1000:
        return n - min(5000, round(n * 0.1))
    return n


def planned_epochs(epoch_s: float, probe_s: float, p: Mapping[str, Any]) -> int:
    """Epochs a deep generator runs with parameters ``p``: its ``epochs``, cut to what ``max_minutes`` allows."""
    epochs = int(p.get("epochs") or 300)
    if p.get("max_minutes") is None:
        return epochs
    every = max(1, min(10, epochs // 30)) if p.get("early_stopping", True) else 0
    per_epoch = epoch_s + (probe_s / every if every else 0.0)
    return max(1, min(epochs, int(60.0 * float(p["max_minutes"]) / max(per_epoch, 1e-6))))


def estimate(
    data: pd.DataFrame,
    schema: TableSchema,
    candidates: Mapping[str, Mapping[str, Any]],
    *,
    rows: int | None = None,
    random_state: int = 0,
    timeout: float | None = 300.0,
    progress: ProgressCallback | None = None,
) -> dict[str, Estimate]:
    """Calibrate every candidate on subsamples of ``data`` and predict its fit on ``rows`` (default: all) rows.

    ``candidates`` maps generator names to their parameters. A candidate whose calibration fails gets an
    :class:`Estimate` with ``error`` set and infinite figures (never chosen by a budget).
    """
    if not candidates:
        raise ParameterError("no candidate generator to estimate; give at least one")
    n = rows if rows is not None else len(data)
    sizes = calibration_sizes(len(data))
    progress = progress or NO_PROGRESS
    out: dict[str, Estimate] = {}
    with tempfile.TemporaryDirectory(prefix="simulacra-estimate-") as tmp:
        work = Path(tmp)
        schema.save(work / "schema.json")
        paths = []
        for size in sizes:
            part = data.sample(n=size, random_state=random_state) if size < len(data) else data
            path = work / f"rows-{size}.parquet"
            part.reset_index(drop=True).to_parquet(path, index=False)
            paths.append(path)
        progress.start("estimate", total=len(candidates) * len(sizes))
        try:
            for name, params in candidates.items():
                out[name] = _estimate_one(name, dict(params), sizes, paths, work, n, random_state, timeout, progress)
        finally:
            progress.end("estimate")
    return out


def _estimate_one(
    name: str,
    params: dict[str, Any],
    sizes: list[int],
    paths: list[Path],
    work: Path,
    n: int,
    seed: int,
    timeout: float | None,
    progress: ProgressCallback,
) -> Estimate:
    deep = is_deep(name)
    cal_params = dict(params, random_state=seed)
    if deep:
        cal_params.update(epochs=CALIBRATION_EPOCHS, max_minutes=None)
    runs: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        for size, path in zip(sizes, paths, strict=True):
            job = {"data": str(path), "schema": str(work / "schema.json"), "generator": name, "params": cal_params}
            res = run_worker(job, work, timeout)
            for _ in range(0 if deep else REPEATS - 1):
                if res["fit_seconds"] >= REPEAT_BELOW_S:
                    break
                again = run_worker(job, work, timeout)
                if again["fit_seconds"] < res["fit_seconds"]:
                    res = again
            runs.append(
                {
                    "rows": size,
                    "fit_seconds": round(res["fit_seconds"], 4),
                    "peak_rss_mb": round(res["peak_rss_mb"], 1),
                    "probe_sample_seconds": round(res.get("probe_sample_seconds", 0.0), 4),
                    "epoch_seconds": (res.get("training") or {}).get("median_epoch_seconds"),
                }
            )
            progress.advance("estimate")
    except SimulacraError as exc:
        inf = float("inf")
        return Estimate(name, params, n, inf, inf, "calibration failed", error=str(exc), calibration=runs)
    cal_s = time.perf_counter() - start
    rows = [float(r["rows"]) for r in runs]
    mem = _linear(rows, [r["peak_rss_mb"] for r in runs], float(n))
    if not deep:
        fit = _linear(rows, [r["fit_seconds"] for r in runs], float(n))
        basis = f"linear in rows through calibration fits on {', '.join(str(int(r)) for r in rows)} rows"
        return Estimate(name, params, n, fit, mem, basis, calibration=runs, calibration_seconds=cal_s)
    fit, epochs, basis = _deep_prediction(name, params, runs, n)
    return Estimate(name, params, n, fit, mem, basis, epochs=epochs, calibration=runs, calibration_seconds=cal_s)


def predict(est: Estimate, params: Mapping[str, Any]) -> Estimate:
    """``est`` re-read for other parameters (a deep generator's ``max_minutes`` or ``epochs``)."""
    if est.error or not is_deep(est.generator):
        return est
    fit, epochs, basis = _deep_prediction(est.generator, dict(params), est.calibration, est.rows)
    return Estimate(
        est.generator,
        dict(params),
        est.rows,
        fit,
        est.peak_rss_mb,
        basis,
        epochs=epochs,
        calibration=est.calibration,
        calibration_seconds=est.calibration_seconds,
    )


def _deep_prediction(name: str, params: dict[str, Any], runs: list[dict[str, Any]], n: int) -> tuple[float, int, str]:
    rows = [float(r["rows"]) for r in runs]
    p = _deep_defaults(name, params)
    early = bool(p.get("early_stopping", True))
    batch = int(p.get("batch_size") or 500)
    steps = [float(max(1, _train_rows(int(r), early) // batch)) for r in rows]
    epoch_s = [float(r["epoch_seconds"] or 0.0) for r in runs]
    probe = max(r["probe_sample_seconds"] for r in runs)
    evals_cal = CALIBRATION_EPOCHS if early else 0
    over = [
        max(0.0, r["fit_seconds"] - CALIBRATION_EPOCHS * e - evals_cal * probe)
        for r, e in zip(runs, epoch_s, strict=True)
    ]
    epoch_n = _linear(steps, epoch_s, float(max(1, _train_rows(n, early) // batch)))
    over_n = _linear(rows, over, float(n))
    epochs = planned_epochs(epoch_n, probe, p)
    typical = _typical_epochs(name) if early else None
    if typical is not None:
        epochs = min(epochs, typical)
    every = max(1, min(10, int(p.get("epochs") or 300) // 30)) if early else 0
    evals = math.ceil(epochs / every) if every else 0
    fit = over_n + epochs * epoch_n + evals * probe
    checks = f" + {evals} early-stopping checks x {probe:.2f} s" if evals else ""
    basis = (
        f"{epochs} epochs x {epoch_n:.3f} s (epoch time linear in steps, from {CALIBRATION_EPOCHS}-epoch fits on "
        f"{', '.join(str(int(r)) for r in rows)} rows){checks} + {over_n:.1f} s set-up"
    )
    if p.get("max_minutes") is not None:
        basis += f", within max_minutes={p['max_minutes']}"
    if typical is not None:
        basis += f"; {typical} epochs: where this generator's early stopping usually ends a fit (not a bound)"
    elif evals:
        basis += "; an upper bound: early stopping may end the fit sooner"
    return fit, epochs, basis
