"""Sample partition by partition into a Parquet dataset.

Partition ``i`` of the output holds rows ``i * partition_rows ...`` and draws them from its own random
stream, the child ``(seed, i)`` of the seed (numpy ``SeedSequence``): the output is the same whatever
the number of workers, and the same with the local engine. Each worker writes its own part file into
a hidden temporary folder beside the output, renamed into place once every part is written (a failed
run leaves no half-written dataset). On a real cluster the output path must be reachable by every
worker (a shared file system).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OutputError, ParameterError
from ..generators.base import Generator
from ..progress import NO_PROGRESS, ProgressCallback
from ._engine import Engine, fresh_seed, partition_rng

__all__ = ["DEFAULT_SAMPLE_PARTITION_ROWS", "sample_partitions"]

DEFAULT_SAMPLE_PARTITION_ROWS = 250_000


def _sample_task(gen: Generator, n: int, rows: int, seed: int, folder: str, chunk_rows: int, i: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = min(rows, n - i * rows)
    rng = partition_rng(seed, 0, i)
    path = Path(folder) / f"part-{i:05d}.parquet"
    writer = None
    try:
        for chunk in gen.sample_chunks(size, rng=rng, chunk_rows=chunk_rows):
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
    finally:
        if writer is not None:
            writer.close()
    return size


def sample_partitions(
    gen: Generator,
    n: int,
    output: str | Path,
    engine: Engine,
    *,
    random_state: int | None = None,
    partition_rows: int = DEFAULT_SAMPLE_PARTITION_ROWS,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write ``n`` synthetic rows from fitted ``gen`` as a Parquet dataset folder ``output``.

    ``random_state`` (default: the generator's) seeds the partitions; without either, fresh entropy.
    """
    gen._check_fitted()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ParameterError(f"the number of rows to sample must be a positive integer, got {n!r}")
    if isinstance(partition_rows, bool) or not isinstance(partition_rows, int) or partition_rows < 1:
        raise ParameterError(f"partition_rows must be a positive integer, not {partition_rows!r}")
    progress = progress or NO_PROGRESS
    seed = random_state if random_state is not None else gen.random_state
    if seed is None:
        seed = fresh_seed()
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise OutputError(f"output '{out}' is a file; the distributed sample is a folder of Parquet parts")
    if out.is_dir() and any(out.iterdir()):
        raise OutputError(f"output folder '{out}' is not empty; choose a new folder or empty it first")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write to '{out}': {exc.strerror}; choose a writable location") from None
    parts = (int(n) + partition_rows - 1) // partition_rows
    chunk = min(partition_rows, 100_000)
    try:
        task = partial(_sample_task, gen, int(n), partition_rows, int(seed), str(tmp), chunk)
        written = engine.map(task, parts, progress, "sample partitions")
        if sum(written) != n:  # pragma: no cover - a lost part
            raise OutputError(f"only {sum(written)} of {n} rows were written to '{out}'")
        os.chmod(tmp, 0o777 & ~_umask())
        if out.is_dir():
            out.rmdir()
        os.replace(tmp, out)
    except OSError as exc:
        raise OutputError(f"cannot write to '{out}': {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            if tmp.exists():
                shutil.rmtree(tmp)
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_dataset(path: str | Path) -> pd.DataFrame:
    """A (small) Parquet dataset folder read into memory, parts in order (for tests and evaluation)."""
    import pyarrow.parquet as pq

    files = sorted(Path(path).glob("*.parquet"))
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
