"""Fixtures of the distributed tests: Adult as a small partitioned Parquet dataset, and Dask clusters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import simulacra

ROWS = 6_000  # enough for three strata of the copula; small enough for a fast suite


@pytest.fixture(scope="session")
def adult_frame(adult_path: Path) -> pd.DataFrame:
    return simulacra.read_table(adult_path).head(ROWS).reset_index(drop=True)


@pytest.fixture(scope="session")
def adult_parts(adult_frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Adult's first rows in two Parquet files of 750-row row groups (8 partitions of 750 rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("adult_parts")
    table = pa.Table.from_pandas(adult_frame, preserve_index=False)
    half = ROWS // 2
    pq.write_table(table.slice(0, half), folder / "part-a.parquet", row_group_size=750)
    pq.write_table(table.slice(half), folder / "part-b.parquet", row_group_size=750)
    return folder


def _cluster(n_workers: int) -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="session")
def dask_two() -> Iterator[object]:
    yield from _cluster(2)


@pytest.fixture(scope="session")
def dask_one() -> Iterator[object]:
    yield from _cluster(1)
