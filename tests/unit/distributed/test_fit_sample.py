"""The distributed copula against the in-memory one, and partition-seeded sampling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra import distributed as sd
from simulacra.distributed import DaskEngine, LocalEngine
from simulacra.errors import OutputError, ParameterError
from simulacra.evaluation.fidelity.pairs import ColumnPairs
from simulacra.evaluation.fidelity.shapes import ColumnShapes


@pytest.fixture(scope="module")
def schema(adult_frame: pd.DataFrame) -> simulacra.TableSchema:
    return simulacra.profile(adult_frame)


@pytest.fixture(scope="module")
def fitted(adult_parts: Path, schema: simulacra.TableSchema) -> simulacra.Generator:
    gen = simulacra.create_generator("gaussian_copula", random_state=0)
    return sd.fit_dataset(adult_parts, gen, schema, engine="stream", partition_rows=750)


def test_same_model_state_as_in_memory(
    fitted: simulacra.Generator, adult_frame: pd.DataFrame, schema: simulacra.TableSchema
) -> None:
    mem = simulacra.create_generator("gaussian_copula", random_state=0).fit(adult_frame, schema)
    other = simulacra.create_generator("gaussian_copula", random_state=1).fit(adult_frame, schema)
    assert fitted.stratum_column_ == mem.stratum_column_ is not None
    np.testing.assert_allclose(fitted.weights_, mem.weights_)
    for s_d, s_m, s_o in zip(fitted.strata_, mem.strata_, other.strata_, strict=True):
        for col, m_d, m_m in zip(mem.columns_, s_d["marginals"], s_m["marginals"], strict=True):
            if col.is_discrete:  # exact category frequencies
                np.testing.assert_allclose(m_d["freq"], m_m["freq"])
            elif m_m["kind"] == "empirical" and m_d["kind"] == "empirical":  # exact quantile grids
                np.testing.assert_allclose(m_d["grid"], m_m["grid"])
        # the correlation of normal scores, from merged moments: as close to the in-memory fit as an in-memory
        # fit with another seed is (random placement among ties and inside category intervals)
        diff = float(np.abs(np.asarray(s_d["corr"]) - np.asarray(s_m["corr"])).mean())
        noise = float(np.abs(np.asarray(s_o["corr"]) - np.asarray(s_m["corr"])).mean())
        assert diff < 2 * noise + 0.005


def test_fidelity_matches_in_memory(
    fitted: simulacra.Generator, adult_frame: pd.DataFrame, schema: simulacra.TableSchema
) -> None:
    mem = simulacra.create_generator("gaussian_copula", random_state=0).fit(adult_frame, schema)
    n = 20_000
    scores = []
    for gen in (mem, fitted):
        syn = gen.sample(n, random_state=5)
        scores.append(
            (
                ColumnShapes().compute(adult_frame, syn, schema).score,
                ColumnPairs().compute(adult_frame, syn, schema).score,
            )
        )
    # 20k synthetic rows: sampling noise alone moves these by ~0.003
    assert abs(scores[0][0] - scores[1][0]) < 0.006
    assert abs(scores[0][1] - scores[1][1]) < 0.01


def test_model_saves_and_loads_as_an_ordinary_copula(fitted: simulacra.Generator, tmp_path: Path) -> None:
    fitted.save(tmp_path / "model")
    back = simulacra.load(tmp_path / "model")
    assert type(back).__name__ == "GaussianCopulaGenerator"
    assert back.fingerprint_["n_rows"] == 6_000
    pd.testing.assert_frame_equal(back.sample(500, random_state=3), fitted.sample(500, random_state=3))


def test_sampling_is_the_same_for_one_and_two_workers_and_the_stream_engine(
    adult_parts: Path, schema: simulacra.TableSchema, dask_one: object, dask_two: object, tmp_path: Path
) -> None:
    outputs = []
    models = []
    for name, engine in (
        ("stream", LocalEngine()),
        ("one", DaskEngine(client=dask_one)),
        ("two", DaskEngine(client=dask_two)),
    ):
        gen = sd.fit_dataset(
            adult_parts,
            simulacra.create_generator("gaussian_copula", random_state=1, stratify="none"),
            schema,
            engine=engine,
            partition_rows=750,
        )
        models.append(gen)
        out = sd.sample_dataset(gen, 25_000, tmp_path / name, engine=engine, random_state=9, partition_rows=4_000)
        assert len(list(out.glob("part-*.parquet"))) == 7
        outputs.append(sd.read_dataset(out))
    for gen in models[1:]:
        for a, b in zip(models[0].strata_, gen.strata_, strict=True):
            np.testing.assert_array_equal(a["corr"], b["corr"])
    assert len(outputs[0]) == 25_000
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
    pd.testing.assert_frame_equal(outputs[0], outputs[2])
    # another seed, other rows
    gen = models[0]
    other = sd.read_dataset(sd.sample_dataset(gen, 25_000, tmp_path / "other", random_state=10, partition_rows=4_000))
    assert not other.equals(outputs[0])


def test_other_generators_train_on_a_uniform_sample(
    adult_parts: Path, schema: simulacra.TableSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}
    gen = simulacra.create_generator("gaussian_copula", random_state=0)
    original = type(gen).fit

    def spy(self: simulacra.Generator, data: pd.DataFrame, *args: object, **kwargs: object) -> simulacra.Generator:
        seen["rows"] = len(data)
        return original(self, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(gen), "fit", spy)
    out = sd.fit_dataset(adult_parts, gen, schema, method="sample", sample_rows=2_000, partition_rows=750)
    assert seen["rows"] == 2_000 and out.is_fitted
    with pytest.raises(ParameterError, match="method="):
        sd.fit_dataset(adult_parts, gen, schema, method="exact")
    with pytest.raises(ParameterError, match="sample_rows"):
        sd.fit_dataset(adult_parts, gen, schema, sample_rows=1)


def test_sample_errors_leave_nothing_behind(fitted: simulacra.Generator, tmp_path: Path) -> None:
    (tmp_path / "file.parquet").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        sd.sample_dataset(fitted, 10, tmp_path / "file.parquet")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("x")
    with pytest.raises(OutputError, match="not empty"):
        sd.sample_dataset(fitted, 10, full)
    with pytest.raises(ParameterError, match="positive integer"):
        sd.sample_dataset(fitted, 0, tmp_path / "zero")

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk on fire")

    class Broken(type(fitted)):  # type: ignore[misc]
        sample_chunks = broken

    bad = Broken.__new__(Broken)
    bad.__dict__.update(fitted.__dict__)
    with pytest.raises(RuntimeError, match="disk on fire"):
        sd.sample_dataset(bad, 10_000, tmp_path / "half", partition_rows=1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.parquet", "full"]


def test_a_worker_error_arrives_as_the_same_error(
    adult_parts: Path, schema: simulacra.TableSchema, dask_two: object
) -> None:
    from simulacra.errors import SchemaError

    spec = schema["workclass"]
    assert spec.categories is not None
    # the rarest category left out of the list: the 10-row sample misses it, a worker's partition has it
    narrow = schema.replace_column(spec.with_(categories=spec.categories[:-1]))
    gen = simulacra.create_generator("gaussian_copula", random_state=0)
    with pytest.raises(SchemaError, match="not in the schema's category list"):
        sd.fit_dataset(adult_parts, gen, narrow, engine=DaskEngine(client=dask_two), sample_rows=10, partition_rows=750)
