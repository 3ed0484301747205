"""What every synthetic table must keep: dtypes, bounds, decimals, formats, missing rates; and what it
must never contain: real identifiers or PII values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.schema import ColumnKind
from tests.conftest import make_mixed


def _decimals(s: pd.Series) -> int:
    vals = s.dropna().astype(float).to_numpy()
    for d in range(0, 11):
        if np.allclose(vals, np.round(vals, d), rtol=0, atol=1e-9):
            return d
    return 11


@pytest.fixture(scope="module")
def adult(adult_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, simulacra.TableSchema]:
    real = simulacra.read_table(adult_path)
    schema = simulacra.profile(real)
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(real, schema)
    return real, gen.sample(len(real), random_state=0), schema


def test_adult_columns_keep_dtype_bounds_decimals_and_missing(adult: tuple) -> None:
    real, syn, schema = adult
    assert list(syn.columns) == list(real.columns)
    for spec in schema:
        r, s = real[spec.name], syn[spec.name]
        assert str(s.dtype) == str(r.dtype), spec.name
        assert abs(s.isna().mean() - r.isna().mean()) <= 0.01, spec.name
        if spec.kind is ColumnKind.NUMERIC:
            assert s.min() >= r.min() and s.max() <= r.max(), spec.name
            assert _decimals(s) <= _decimals(r), spec.name
        if spec.kind is ColumnKind.CATEGORICAL:
            assert set(s.dropna()) <= set(r.dropna()), spec.name


def test_adult_quality_floor(adult: tuple) -> None:
    """A loose guard: the benchmark measures the real figures against a holdout."""
    real, syn, _ = adult
    for col in ("workclass", "education", "sex", "income"):
        p, q = real[col].value_counts(normalize=True), syn[col].value_counts(normalize=True)
        assert 0.5 * (p - q.reindex(p.index, fill_value=0)).abs().sum() < 0.03, col
    assert abs(real["age"].corr(real["hours-per-week"]) - syn["age"].corr(syn["hours-per-week"])) < 0.05
    husband = syn["relationship"] == " Husband"
    assert (syn.loc[husband, "sex"] == " Male").mean() > 0.98


def test_mixed_table_formats_and_no_leaks() -> None:
    real = make_mixed(600, seed=4)
    schema = simulacra.profile(real)
    syn = simulacra.create_generator("gaussian_copula", random_state=0).fit(real, schema).sample(2000, random_state=1)
    assert [str(t) for t in syn.dtypes] == [str(t) for t in real.dtypes]
    assert syn["joined"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert syn["joined"].min() >= real["joined"].min() and syn["joined"].max() <= real["joined"].max()
    assert not set(syn["email"]) & set(real["email"])
    assert syn["email"].str.contains("@").all()
    assert not set(syn["customer_id"]) & set(real["customer_id"])
    assert syn["customer_id"].is_unique
    assert abs(syn["income"].isna().mean() - real["income"].isna().mean()) <= 0.03
    assert _decimals(syn["income"]) <= 2


def test_sample_is_byte_identical_for_a_seed(tmp_path: Path) -> None:
    real = make_mixed(300, seed=2)
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(real)
    for name in ("a.csv", "b.csv"):
        simulacra.write_table(gen.sample(400, random_state=11), tmp_path / name)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
