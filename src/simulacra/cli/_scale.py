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

__all__ = ["ENGINE_HELP", "SCHEDULER_HELP", "WORKERS_HELP", "check_engine", "evaluate", "fit", "profile", "sample"]

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
