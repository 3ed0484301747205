"""The command bodies for ``--engine stream|dask`` (datasets larger than memory, Dask clusters).

Kept apart from ``main.py`` so the in-memory commands stay as they are; every function here is called
from inside the command's ``_guard``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..errors import ParameterError
from ..progress import ProgressCallback
from ._render import console, schema_table

__all__ = [
    "ENGINE_HELP",
    "SCHEDULER_HELP",
    "WORKERS_HELP",
    "check_engine",
    "evaluate",
    "fit",
    "profile",
    "run",
    "sample",
]

ENGINE_HELP = (
    "memory (default): read the table into memory; stream: one partition at a time through this process "
    "(Parquet datasets and CSVs larger than memory); dask: a Dask cluster (a local one unless --scheduler)."
)
SCHEDULER_HELP = "Dask scheduler address (tcp://host:8786) of a running cluster; with --engine dask."
WORKERS_HELP = "Worker processes of the local Dask cluster started when no --scheduler is given."
_ENGINES = ("memory", "stream", "dask")
_TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".pq"}


def check_engine(engine: str, scheduler: str | None) -> bool:
    """True for a distributed engine; one clear error for an unknown engine or a misplaced --scheduler."""
    if engine not in _ENGINES:
        raise ParameterError(f"--engine {engine!r}; choose one of {', '.join(_ENGINES)}")
    if scheduler and engine != "dask":
        raise ParameterError("--scheduler needs --engine dask")
    return engine != "memory"


def _kw(engine: str, scheduler: str | None, workers: int) -> dict[str, Any]:
    return {"engine": engine, "scheduler": scheduler, "n_workers": workers}


def profile(
    data: Path, output: Path, engine: str, scheduler: str | None, workers: int, quiet: bool, progress: ProgressCallback
) -> None:
    from ..distributed import profile_dataset

    schema = profile_dataset(data, progress=progress, **_kw(engine, scheduler, workers))
    schema.save(output)
    if not quiet:
        console.print(schema_table(schema, title=f"{data.name}: {schema.n_rows or 0:,} rows ({engine})"))
        console.print(f"schema written to {output}")


def fit(
    data: Path,
    gen: Any,
    schema: Any,
    output: Path,
    engine: str,
    scheduler: str | None,
    workers: int,
    quiet: bool,
    progress: ProgressCallback,
) -> None:
    from ..distributed import fit_dataset

    start = time.perf_counter()
    fitted = fit_dataset(data, gen, schema, progress=progress, **_kw(engine, scheduler, workers))
    fitted.save(output)
    if not quiet:
        rows = fitted.fingerprint_.get("n_rows", 0)
        console.print(
            f"fitted {fitted.name} on {rows:,} rows with --engine {engine} in {time.perf_counter() - start:.1f} s; "
            f"model written to {output}/"
        )


def sample(
    model: Path,
    rows: int,
    output: Path,
    seed: int,
    engine: str,
    scheduler: str | None,
    workers: int,
    quiet: bool,
    progress: ProgressCallback,
) -> None:
    from ..distributed import sample_dataset
    from ..generators.base import load

    if output.suffix.lower() in _TABLE_SUFFIXES:
        raise ParameterError(
            f"with --engine {engine} the sample is a Parquet dataset folder (one file per partition); "
            f"give a folder name, e.g. -o synthetic/, not '{output}'"
        )
    gen = load(model)
    start = time.perf_counter()
    sample_dataset(gen, rows, output, random_state=seed, progress=progress, **_kw(engine, scheduler, workers))
    if not quiet:
        console.print(
            f"{rows:,} rows written to {output}/ in {time.perf_counter() - start:.1f} s (seed {seed}, {engine})"
        )


def evaluate(
    real: Path,
    synthetic: Path,
    holdout: Path | None,
    schema: Any,
    output: Path,
    seed: int,
    engine: str,
    scheduler: str | None,
    workers: int,
    quiet: bool,
    progress: ProgressCallback,
) -> None:
    from ..distributed import evaluate_dataset, profile_dataset
    from ..io import atomic_write_text

    if output.exists() and not output.is_dir():
        raise ParameterError(f"output '{output}' is a file; give a folder")
    kw = _kw(engine, scheduler, workers)
    if schema is None:
        schema = profile_dataset(real, progress=progress, **kw)
    result = evaluate_dataset(real, synthetic, schema, holdout=holdout, random_state=seed, progress=progress, **kw)
    output.mkdir(parents=True, exist_ok=True)
    path = output / "report.json"
    atomic_write_text(path, json.dumps(result.to_dict(), indent=2) + "\n")
    if not quiet:
        for key, value in result.scores.items():
            console.print(f"{key:<28} {'n/a' if value is None else value}")
        console.print(f"report written to {path} (aggregates over all rows; see 'method' in the JSON)")


def run(
    data: Path,
    output: Path,
    gen: Any,
    schema: Any,
    rows: int | None,
    holdout_fraction: float,
    evaluate: bool,
    seed: int,
    engine: str,
    scheduler: str | None,
    workers: int,
    quiet: bool,
    progress: ProgressCallback,
) -> None:
    """``run`` at scale: OUTPUT/schema.json, model/, synthetic/ (Parquet dataset), report/report.json."""
    from ..distributed import (
        evaluate_dataset,
        fit_dataset,
        make_engine,
        open_dataset,
        profile_dataset,
        sample_dataset,
    )
    from ..distributed._source import settle_csv_dtypes
    from ..io import atomic_write_text

    if output.exists() and not output.is_dir():
        raise ParameterError(f"output '{output}' is a file; give a folder")
    if not 0.0 <= holdout_fraction < 1.0:
        raise ParameterError(f"--holdout-fraction is {holdout_fraction}; give a share in [0, 1), e.g. 0.2")
    if (output / "synthetic").exists():
        raise ParameterError(f"'{output / 'synthetic'}' exists; choose a new --output folder")
    timings: dict[str, float] = {}
    with make_engine(engine, scheduler=scheduler, n_workers=workers) as eng:
        full = settle_csv_dtypes(open_dataset(data), eng)
        train, holdout = full, None
        if evaluate and holdout_fraction > 0:
            train, holdout = full.holdout_split(holdout_fraction, seed)
        start = time.perf_counter()
        if schema is None and "epsilon" not in gen.get_params():
            # the model sees the schema of its training rows only, as in memory; a DP generator never gets a
            # schema read from the data (fit_dataset stops and asks for the public one)
            schema = profile_dataset(train, engine=eng, random_state=seed % (2**32), progress=progress)
        timings["profile"] = time.perf_counter() - start
        start = time.perf_counter()
        fitted = fit_dataset(train, gen, schema, engine=eng, progress=progress)
        timings["fit"] = time.perf_counter() - start
        output.mkdir(parents=True, exist_ok=True)
        schema.save(output / "schema.json")
        fitted.save(output / "model")
        n = rows if rows is not None else _default_rows(fitted)
        start = time.perf_counter()
        sample_dataset(fitted, n, output / "synthetic", engine=eng, random_state=seed, progress=progress)
        timings["sample"] = time.perf_counter() - start
        if evaluate:
            start = time.perf_counter()
            result = evaluate_dataset(
                train, output / "synthetic", schema, holdout=holdout, engine=eng, random_state=seed, progress=progress
            )
            (output / "report").mkdir(exist_ok=True)
            atomic_write_text(output / "report" / "report.json", json.dumps(result.to_dict(), indent=2) + "\n")
            timings["evaluate"] = time.perf_counter() - start
    if not quiet:
        console.print(f"{data.name}: {int(fitted.fingerprint_['n_rows']):,} training rows ({engine}, seed {seed})")
        console.print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        console.print(
            f"written to {output}/: schema.json, model/, synthetic/" + (", report/report.json" if evaluate else "")
        )


def _default_rows(fitted: Any) -> int:
    """As many rows as the training data: its count, or for a DP model (which never keeps the exact count)
    the model's own noisy estimate of it."""
    if "n_rows" in fitted.fingerprint_:
        return int(fitted.fingerprint_["n_rows"])
    return max(1, round(float(fitted.model_.total)))
