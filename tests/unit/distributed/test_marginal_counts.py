"""mst and aim fitted from marginal counts over every partition: the same model as in memory."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulacra
from simulacra import distributed as sd
from simulacra.distributed import DaskEngine
from simulacra.errors import SchemaError
from tests.unit.generators.test_marginal_dp import FAST, PUBLIC, table

pytest.importorskip("mbi")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return table(2400, seed=3)


@pytest.fixture(scope="module")
def parts(frame: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The table in two Parquet files of 400-row row groups (6 partitions)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("dp_parts")
    t = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(t.slice(0, 1200), folder / "a.parquet", row_group_size=400)
    pq.write_table(t.slice(1200), folder / "b.parquet", row_group_size=400)
    return folder


@pytest.mark.parametrize("name", ["mst", "aim"])
def test_counts_fit_is_the_in_memory_fit(name: str, frame: pd.DataFrame, parts: Path) -> None:
    mem = simulacra.create_generator(name, random_state=4, **FAST[name]).fit(frame, PUBLIC)
    gen = simulacra.create_generator(name, random_state=4, **FAST[name])
    dist = sd.fit_dataset(parts, gen, PUBLIC, engine="stream", partition_rows=400)
    assert dist is gen and dist.privacy_.to_dict() == mem.privacy_.to_dict()
    assert "n_rows" not in dist.fingerprint_  # the exact row count is never released
    pd.testing.assert_frame_equal(dist.sample(800, random_state=1), mem.sample(800, random_state=1))


def test_dask_workers_give_the_same_model(frame: pd.DataFrame, parts: Path, dask_two: object) -> None:
    stream = sd.fit_dataset(parts, simulacra.create_generator("mst", random_state=2), PUBLIC, engine="stream")
    engine = DaskEngine(client=dask_two)
    dask = sd.fit_dataset(parts, simulacra.create_generator("mst", random_state=2), PUBLIC, engine=engine)
    pd.testing.assert_frame_equal(dask.sample(500, random_state=0), stream.sample(500, random_state=0))


def test_counts_fit_needs_the_public_schema(parts: Path) -> None:
    with pytest.raises(SchemaError, match="profile --public"):
        sd.fit_dataset(parts, "mst", None, engine="stream")
    profiled = simulacra.profile(table(200))  # data-derived: categories and bounds are there, but say so
    private = profiled.replace_column(profiled["group"].with_(categories=None))
    with pytest.raises(SchemaError, match="group"):
        sd.fit_dataset(parts, "mst", private, engine="stream")


def test_cli_run_at_scale_with_a_public_schema(frame: pd.DataFrame, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from simulacra.cli.main import app
    from simulacra.distributed import read_dataset

    data = tmp_path / "table.csv"
    frame.to_csv(data, index=False)
    public = tmp_path / "public.json"
    PUBLIC.save(public)
    runner = CliRunner()
    base = ["run", str(data), "--generator", "mst", "--engine", "stream", "--seed", "1", "--no-evaluate", "-q"]
    refused = runner.invoke(app, [*base, "-o", str(tmp_path / "none")])
    assert refused.exit_code == 2 and "profile --public" in refused.output
    assert not (tmp_path / "none").exists()
    done = runner.invoke(app, [*base, "-s", str(public), "-o", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    synthetic = read_dataset(tmp_path / "out" / "synthetic")
    assert abs(len(synthetic) - len(frame)) < 200  # the model's noisy row count
    manifest = (tmp_path / "out" / "model" / "manifest.json").read_text()
    assert '"epsilon"' in manifest and str(len(frame)) not in manifest


def test_privbayes_from_counts_matches_in_memory_quality(frame: pd.DataFrame, parts: Path, dask_two: object) -> None:
    from simulacra.evaluation.fidelity.pairs import ColumnPairs
    from simulacra.evaluation.fidelity.shapes import ColumnShapes

    kw = {"epsilon": 4.0, "random_state": 6}
    stream = sd.fit_dataset(parts, simulacra.create_generator("privbayes", **kw), PUBLIC, engine="stream")
    dask = sd.fit_dataset(
        parts, simulacra.create_generator("privbayes", **kw), PUBLIC, engine=DaskEngine(client=dask_two)
    )
    # partitions are encoded with their own seeded streams: the same model whatever the workers
    pd.testing.assert_frame_equal(dask.sample(500, random_state=0), stream.sample(500, random_state=0))
    assert stream.privacy_["epsilon_spent"] <= 4.0 + 1e-9
    assert abs(stream.fingerprint_["n_rows"] - len(frame)) < 100  # the noisy count, not the exact one
    mem = simulacra.create_generator("privbayes", **kw).fit(frame, PUBLIC)
    scores = []
    for gen in (mem, stream):
        syn = gen.sample(3000, random_state=2)
        scores.append(
            (ColumnShapes().compute(frame, syn, PUBLIC).score, ColumnPairs().compute(frame, syn, PUBLIC).score)
        )
    assert abs(scores[0][0] - scores[1][0]) < 0.03 and abs(scores[0][1] - scores[1][1]) < 0.03
    assert scores[1][0] > 0.85


def test_privbayes_from_counts_refuses_domain_share(parts: Path) -> None:
    from simulacra.errors import ParameterError

    gen = simulacra.create_generator("privbayes", domain_share=0.1)
    with pytest.raises(ParameterError, match="domain_share"):
        sd.fit_dataset(parts, gen, PUBLIC, engine="stream")
