"""Beyond memory and beyond one machine: profile, fit, sample and evaluate partitioned datasets.

The same four steps as the in-memory API, on a Parquet dataset (a file, a folder, a glob) or a large
CSV, run by an *engine*:

* ``engine="stream"`` (default): streams partitions (pyarrow row groups / CSV byte ranges) one at a
  time through this process; needs nothing beyond simulacra's core;
* ``engine="dask"``: the same work as tasks on a Dask cluster: a ``LocalCluster`` when ``scheduler`` is
  ``None``, else the cluster at that address (``tcp://host:8786``); needs ``pip install 'simulacra[dask]'``.

What is exact and what is sampled is listed in docs/scale.md. Importing this package does not import
Dask.

>>> from simulacra import distributed as sd
>>> schema = sd.profile_dataset("data/", engine="dask")
>>> gen = sd.fit_dataset("data/", "gaussian_copula", schema, engine="dask")
>>> sd.sample_dataset(gen, 10_000_000, "synthetic/", engine="dask", random_state=0)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..errors import ParameterError, SchemaError
from ..generators.base import Generator
from ..progress import NO_PROGRESS, ProgressCallback
from ..registry import create_generator
from ..schema import TableSchema
from ._engine import ENGINES, DaskEngine, Engine, LocalEngine, fresh_seed, make_engine, partition_rng
from ._source import DEFAULT_PARTITION_ROWS, Dataset, open_dataset, read_partition, settle_csv_dtypes
from .evaluate import ScaleEvaluation
from .sampling import DEFAULT_SAMPLE_PARTITION_ROWS, read_dataset, sample_partitions

__all__ = [
    "DEFAULT_FIT_SAMPLE_ROWS",
    "ENGINES",
    "DaskEngine",
    "Dataset",
    "Engine",
    "LocalEngine",
    "ScaleEvaluation",
    "evaluate_dataset",
    "fit_dataset",
    "make_engine",
    "open_dataset",
    "partition_rng",
    "profile_dataset",
    "read_dataset",
    "read_partition",
    "sample_dataset",
]

DEFAULT_FIT_SAMPLE_ROWS = 100_000
"""Rows of the uniform sample that fits the transformers and the copula's category orders, and that
trains every generator without a distributed fit (the deep generators)."""


@contextlib.contextmanager
def _engine(engine: str | Engine, scheduler: str | None, n_workers: int) -> Iterator[Engine]:
    made = make_engine(engine, scheduler=scheduler, n_workers=n_workers)
    try:
        yield made
    finally:
        if made is not engine:
            made.close()


def _dataset(source: str | Path | Dataset, engine: Engine, partition_rows: int) -> Dataset:
    ds = source if isinstance(source, Dataset) else open_dataset(source, partition_rows=partition_rows)
    return settle_csv_dtypes(ds, engine)


def _check_rows(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ParameterError(f"{what} must be an integer of at least 2, not {value!r}")


def profile_dataset(
    source: str | Path | Dataset,
    *,
    engine: str | Engine = "stream",
    scheduler: str | None = None,
    n_workers: int = 2,
    sample_rows: int = 50_000,
    rare_threshold: int = 10,
    locale: str | None = None,
    random_state: int = 0,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: ProgressCallback | None = None,
) -> TableSchema:
    """The schema of a partitioned dataset: kinds from a uniform sample, statistics over all rows."""
    from .profile import profile_partitions

    _check_rows(sample_rows, "sample_rows")
    with _engine(engine, scheduler, n_workers) as eng:
        ds = _dataset(source, eng, partition_rows)
        return profile_partitions(
            ds,
            eng,
            sample_rows=sample_rows,
            rare_threshold=rare_threshold,
            locale=locale,
            random_state=random_state,
            progress=progress,
        )


def fit_dataset(
    source: str | Path | Dataset,
    generator: str | Generator = "gaussian_copula",
    schema: TableSchema | None = None,
    *,
    engine: str | Engine = "stream",
    scheduler: str | None = None,
    n_workers: int = 2,
    sample_rows: int = DEFAULT_FIT_SAMPLE_ROWS,
    method: str = "auto",
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: ProgressCallback | None = None,
) -> Generator:
    """Fit ``generator`` (a name, or a configured instance) on every row of ``source``.

    ``method="auto"``: the Gaussian copula is fitted from distributed statistics over every row
    (:mod:`simulacra.distributed.copula`); ``mst``, ``aim`` and ``privbayes`` from exact marginal counts over
    every row (:mod:`simulacra.distributed.marginals`; they need the public ``schema``); any other generator
    (the deep ones) trains in memory on a uniform sample of ``sample_rows`` rows drawn in one pass.
    ``method="sample"`` trains any generator, the copula included, on that sample (a DP generator then gets
    the public schema as given and spends its budget on the sample). Without ``schema`` the dataset is
    profiled first (two passes); a DP generator stops instead and asks for the public schema.
    """
    from ..generators.statistical._counts import FitsFromCounts
    from ..generators.statistical.gaussian_copula import GaussianCopulaGenerator
    from .copula import draw_sample, fit_copula

    progress = progress or NO_PROGRESS
    gen = create_generator(generator) if isinstance(generator, str) else generator
    gen._validate_params()
    _check_rows(sample_rows, "sample_rows")
    if method not in ("auto", "sample"):
        raise ParameterError(f"method={method!r}; choose 'auto' (statistics where possible) or 'sample'")
    seed = gen.random_state if gen.random_state is not None else fresh_seed()
    with _engine(engine, scheduler, n_workers) as eng:
        ds = _dataset(source, eng, partition_rows)
        dp = "epsilon" in gen.get_params()
        if dp and schema is None:
            raise SchemaError(
                f"{gen.name} on a dataset needs the public schema (bounds and category lists known without the "
                "data): write one with `simulacra profile --public`, fill it in and pass it with --schema"
            )
        if schema is None:
            from .profile import profile_partitions

            schema = profile_partitions(ds, eng, random_state=int(seed) % (2**32), progress=progress)
        missing = [c for c in schema.names if c not in ds.columns]
        if missing:
            raise SchemaError(f"the data lacks column(s) {missing} named in the schema; re-run `simulacra profile`")
        if method == "auto" and isinstance(gen, FitsFromCounts):
            from .marginals import fit_from_counts

            return fit_from_counts(gen, ds, schema, eng, progress)  # type: ignore[return-value]
        count = [s.name for s in schema if s.kind.value == "categorical" and s.categories is None]
        drawn = draw_sample(ds, eng, sample_rows, int(seed), count, progress)
        if method == "auto" and isinstance(gen, GaussianCopulaGenerator):
            return fit_copula(gen, ds, schema, drawn, eng, int(seed), progress)
        from .copula import _complete_categories, complete_taken

        # a DP generator gets the public schema as it is (category lists completed from the data would be a
        # leak) and keeps its own, noisy, row count; it is fitted on the uniform sample, which subsampling
        # only makes more private than its ledger says
        gen.fit(
            drawn.sample.rows[list(schema.names)],
            schema if dp else _complete_categories(schema, drawn),
            progress=progress,
        )
        complete_taken(gen.transformer_, ds, eng, progress)
        if not dp:
            gen.fingerprint_["n_rows"] = drawn.n_rows
        return gen


def evaluate_dataset(
    real: str | Path | Dataset,
    synthetic: str | Path | Dataset,
    schema: TableSchema,
    *,
    holdout: str | Path | Dataset | None = None,
    engine: str | Engine = "stream",
    scheduler: str | None = None,
    n_workers: int = 2,
    privacy_rows: int = 5_000,
    privacy_real_rows: int = 50_000,
    random_state: int = 0,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    progress: ProgressCallback | None = None,
) -> ScaleEvaluation:
    """Fidelity of a synthetic dataset against the real one from distributed aggregates (column shapes,
    missing values, column pairs, 3-way k-marginal), and NNDR (DCR share with ``holdout``) on uniform
    samples; see :mod:`simulacra.distributed.evaluate` for what is exact."""
    from .evaluate import evaluate_partitions

    _check_rows(privacy_rows, "privacy_rows")
    _check_rows(privacy_real_rows, "privacy_real_rows")
    with _engine(engine, scheduler, n_workers) as eng:
        real_ds = _dataset(real, eng, partition_rows)
        syn_ds = _dataset(synthetic, eng, partition_rows)
        hold_ds = None if holdout is None else _dataset(holdout, eng, partition_rows)
        return evaluate_partitions(
            real_ds,
            syn_ds,
            schema,
            eng,
            holdout=hold_ds,
            privacy_rows=privacy_rows,
            privacy_real_rows=privacy_real_rows,
            random_state=random_state,
            progress=progress,
        )


def sample_dataset(
    generator: Generator,
    n: int,
    output: str | Path,
    *,
    engine: str | Engine = "stream",
    scheduler: str | None = None,
    n_workers: int = 2,
    random_state: int | None = None,
    partition_rows: int = DEFAULT_SAMPLE_PARTITION_ROWS,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write ``n`` rows from a fitted ``generator`` as a Parquet dataset folder (one part per partition).

    Partition ``i`` is seeded from (``random_state``, ``i``): the same output for any number of workers.
    """
    with _engine(engine, scheduler, n_workers) as eng:
        return sample_partitions(
            generator, n, output, eng, random_state=random_state, partition_rows=partition_rows, progress=progress
        )
