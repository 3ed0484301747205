"""Distributed profile and evaluation against their in-memory counterparts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import simulacra
from simulacra import distributed as sd
from simulacra.evaluation.fidelity.kmarginal import KMarginal
from simulacra.evaluation.fidelity.pairs import ColumnPairs
from simulacra.evaluation.fidelity.shapes import ColumnShapes, MissingValues


def test_profile_equals_the_in_memory_profile(adult_parts: Path, adult_frame: pd.DataFrame) -> None:
    schema = sd.profile_dataset(adult_parts, partition_rows=750)
    mem = simulacra.profile(adult_frame)
    assert schema.n_rows == len(adult_frame)
    for a, b in zip(schema, mem, strict=True):
        assert (a.name, a.kind, a.dtype) == (b.name, b.kind, b.dtype)
        assert (a.null_rate, a.minimum, a.maximum, a.decimals) == (b.null_rate, b.minimum, b.maximum, b.decimals)
        assert a.categories == b.categories and a.rare_categories == b.rare_categories
        assert any("distributed profile" in e for e in a.evidence)


def test_profile_lists_categories_the_sample_missed(tmp_path: Path) -> None:
    n = 20_000
    rng = np.random.default_rng(3)
    label = rng.choice(["a", "b", "c"], n).astype(object)
    label[[17, 19_000]] = "rare"  # two rows: almost surely outside a 500-row sample
    score = rng.normal(50, 5, n).round(2)
    score[12_345] = 1000.0  # an extreme value outside the sample
    gaps = rng.random(n) < 0.01
    frame = pd.DataFrame({"label": label, "score": np.where(gaps, np.nan, score)})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "t.parquet", row_group_size=2_000)
    schema = sd.profile_dataset(tmp_path, sample_rows=500, partition_rows=2_000)
    assert "rare" in schema["label"].categories and "rare" in schema["label"].rare_categories
    assert schema["score"].maximum == 1000.0
    assert schema["score"].null_rate == pytest.approx(gaps.mean(), abs=1e-6)
    gen = sd.fit_dataset(tmp_path, simulacra.create_generator("gaussian_copula", random_state=0), schema)
    assert "rare" in gen.transformer_.transformers_[0].categories_
    assert gen.transformer_.model_columns[-1].name == "score.null"  # the missing cells are modelled


def test_evaluation_equals_the_in_memory_metrics(adult_parts: Path, adult_frame: pd.DataFrame, tmp_path: Path) -> None:
    schema = simulacra.profile(adult_frame)
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(adult_frame, schema)
    syn = gen.sample(5_000, random_state=1)
    pq.write_table(pa.Table.from_pandas(syn, preserve_index=False), tmp_path / "syn.parquet", row_group_size=1_000)
    result = sd.evaluate_dataset(adult_parts, tmp_path / "syn.parquet", schema, partition_rows=1_000)
    expect = {
        "fidelity.column_shapes": ColumnShapes().compute(adult_frame, syn, schema).score,
        "fidelity.missing_values": MissingValues().compute(adult_frame, syn, schema).score,
        "fidelity.column_pairs": ColumnPairs().compute(adult_frame, syn, schema).score,
        "fidelity.k_marginal": KMarginal().compute(adult_frame, syn, schema).score,
    }
    for key, value in expect.items():
        assert result.scores[key] == pytest.approx(value, abs=1e-6), key
    assert "not_evaluated" in result.privacy  # no holdout: no distance metrics
    hold = adult_frame.sample(1_000, random_state=0)
    pq.write_table(pa.Table.from_pandas(hold, preserve_index=False), tmp_path / "hold.parquet")
    with_holdout = sd.evaluate_dataset(
        adult_parts, tmp_path / "syn.parquet", schema, holdout=tmp_path / "hold.parquet", privacy_rows=500
    )
    assert 0.0 <= with_holdout.privacy["privacy.dcr_share"]["score"] <= 1.0
    assert with_holdout.privacy["sample"]["synthetic_rows"] == 500
    assert with_holdout.to_dict()["format"] == "simulacra.scale_evaluation"


def test_identifiers_outside_the_sample_are_never_emitted(tmp_path: Path) -> None:
    n = 20_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"user_id": rng.permutation(n) + 1, "x": rng.normal(size=n).round(2)})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "t.parquet", row_group_size=2_500)
    schema = sd.profile_dataset(tmp_path, sample_rows=1_000, partition_rows=2_500)
    assert schema["user_id"].kind is simulacra.ColumnKind.IDENTIFIER
    for method in ("auto", "sample"):
        gen = sd.fit_dataset(
            tmp_path, simulacra.create_generator("gaussian_copula", random_state=0), schema,
            sample_rows=1_000, method=method, partition_rows=2_500,
        )  # fmt: skip
        taken = gen.transformer_.transformers_[0].taken_
        assert len(taken) == n  # every real id, not only the 1,000 sampled
        out = gen.sample(5_000, random_state=1)
        assert not out["user_id"].isin(frame["user_id"]).any()
