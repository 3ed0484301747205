from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simulacra
from simulacra.distributed import LocalEngine, open_dataset, partition_rng, read_partition
from simulacra.distributed._sketch import ValueCounts, bottom_k, merge_samples
from simulacra.distributed._source import settle_csv_dtypes
from simulacra.errors import InputError, InputFileError, ParameterError


def test_parquet_partitions_are_row_groups(adult_parts: Path, adult_frame: pd.DataFrame) -> None:
    ds = open_dataset(adult_parts, partition_rows=1500)
    assert len(ds) == 4 and ds.n_rows == len(adult_frame)
    back = pd.concat([read_partition(ds, i) for i in range(len(ds))], ignore_index=True)
    pd.testing.assert_frame_equal(back, adult_frame)
    assert len(open_dataset(str(adult_parts / "*.parquet"), partition_rows=750)) == 8


def test_csv_partitions_keep_the_dtypes_of_read_table(tmp_path: Path) -> None:
    n = 40_000
    rng = np.random.default_rng(0)
    ints = pd.Series(rng.integers(0, 100, n)).astype("Int64")
    ints[n - 5] = pd.NA  # a gap only in the last partition: the whole column is Int64
    frame = pd.DataFrame(
        {
            "code": [f"{v:05d}" for v in rng.integers(0, 99999, n)],  # leading zeros: text
            "count": ints,
            "x": rng.normal(size=n).round(3),
            "flag": rng.random(n) < 0.5,
            "label": rng.choice(["a", "b", "NA"], n),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    expected = simulacra.read_table(path)
    ds = settle_csv_dtypes(open_dataset(path, partition_rows=5_000), LocalEngine())
    assert len(ds) > 1
    back = pd.concat([read_partition(ds, i) for i in range(len(ds))], ignore_index=True)
    pd.testing.assert_frame_equal(back, expected)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        open_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputFileError, match=r"no \.parquet files"):
        open_dataset(tmp_path / "empty")
    with pytest.raises(InputFileError, match="no file matches"):
        open_dataset(str(tmp_path / "*.parquet"))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    pq.write_table(pa.table({"a": [1, 2]}), mixed / "1.parquet")
    pq.write_table(pa.table({"b": [1, 2]}), mixed / "2.parquet")
    with pytest.raises(InputError, match="same columns"):
        open_dataset(mixed)
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputFileError, match="not a valid Parquet"):
        open_dataset(tmp_path / "junk.parquet")
    with pytest.raises(ParameterError, match="choose one of"):
        simulacra.distributed.make_engine("spark")
    with pytest.raises(ParameterError, match="--scheduler needs --engine dask"):
        simulacra.distributed.make_engine("stream", scheduler="tcp://x:1")


def test_value_counts_are_exact_quantiles_until_compressed() -> None:
    rng = np.random.default_rng(1)
    x = np.round(rng.gamma(2.0, 10.0, 50_000), 1)
    parts = [ValueCounts.of(c) for c in np.array_split(x, 7)]
    merged = parts[0]
    for p in parts[1:]:
        merged = merged.merge(p)
    probs = np.linspace(0, 1, 1001)
    assert merged.exact and merged.n == len(x)
    np.testing.assert_allclose(merged.quantile(probs), np.quantile(x, probs), rtol=0, atol=1e-9)
    small = ValueCounts.of(rng.normal(size=50_000), max_points=500)  # bucketed: rank error <= ~2/500
    assert not small.exact and len(small.values) <= 501
    q = small.quantile(np.array([0.1, 0.5, 0.9]))
    ranks = small.cdf(q)
    assert np.all(np.abs(ranks - np.array([0.1, 0.5, 0.9])) < 0.005)


def test_bottom_k_sample_is_uniform_and_seeded() -> None:
    frame = pd.DataFrame({"i": np.arange(100_000)})
    chunks = np.array_split(np.arange(len(frame)), 10)

    def draw() -> pd.DataFrame:
        acc = None
        for c, rows in enumerate(chunks):
            part = bottom_k(frame.iloc[rows], 2000, partition_rng(7, 1, c))
            acc = part if acc is None else merge_samples(acc, part, 2000)
        assert acc is not None and acc.seen == len(frame)
        return acc.rows

    a, b = draw(), draw()
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2000 and a["i"].is_unique
    # uniform: every tenth of the rows holds about a tenth of the sample
    shares = np.bincount(a["i"].to_numpy() // 10_000, minlength=10) / 2000
    assert np.all(np.abs(shares - 0.1) < 0.03)


def test_holdout_split_is_a_seeded_partition_of_the_rows(adult_parts: Path) -> None:
    ds = open_dataset(adult_parts, partition_rows=750)
    train, hold = ds.holdout_split(0.2, seed=3)
    rows = {
        side: pd.concat([read_partition(d, i, columns=["fnlwgt"]) for i in range(len(d))], ignore_index=True)
        for side, d in (("train", train), ("hold", hold))
    }
    assert len(rows["train"]) + len(rows["hold"]) == ds.n_rows
    assert 0.17 < len(rows["hold"]) / ds.n_rows < 0.23
    again = pd.concat([read_partition(hold, i, columns=["fnlwgt"]) for i in range(len(hold))], ignore_index=True)
    pd.testing.assert_frame_equal(again, rows["hold"])


def test_importing_loads_no_dask() -> None:
    import subprocess
    import sys

    code = "import sys, simulacra, simulacra.distributed, simulacra.cli.main; print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed', 'torch'}))"  # noqa: E501
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
