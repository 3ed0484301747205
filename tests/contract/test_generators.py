"""Every registered generator goes through the same contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulacra
from simulacra.errors import NotFittedError, ParameterError
from simulacra.registry import describe_generators
from tests.conftest import make_mixed

GENERATORS = simulacra.list_generators()
# DP generators that discretise take their domain from a public schema and model numeric, categorical and
# datetime columns: they get the table without its identifier and PII columns, and the profile as the schema
PUBLIC_SCHEMA = {"privbayes"}


def _data_for(name: str, data: pd.DataFrame) -> pd.DataFrame:
    return data.drop(columns=["customer_id", "email"]) if name in PUBLIC_SCHEMA else data


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return make_mixed(300, seed=1)


@pytest.fixture(scope="module")
def fitted(data: pd.DataFrame) -> dict[str, simulacra.Generator]:
    out = {}
    for name in GENERATORS:
        table = _data_for(name, data)
        out[name] = simulacra.create_generator(name, random_state=0).fit(table, simulacra.profile(table))
    return out


def test_dp_generators_have_epsilon_and_delta() -> None:
    for info in describe_generators():
        if info.extra == "dp":
            params = simulacra.create_generator(info.name).get_params()
            assert {"epsilon", "delta"} <= set(params), info.name


@pytest.mark.parametrize("name", GENERATORS)
def test_sample_has_input_columns_and_dtypes(name: str, fitted: dict, data: pd.DataFrame) -> None:
    out = fitted[name].sample(123, random_state=1)
    table = _data_for(name, data)
    assert len(out) == 123
    assert list(out.columns) == list(table.columns)
    assert [str(t) for t in out.dtypes] == [str(t) for t in table.dtypes]


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_output(name: str, fitted: dict) -> None:
    a = fitted[name].sample(50, random_state=7)
    b = fitted[name].sample(50, random_state=7)
    c = fitted[name].sample(50, random_state=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("name", GENERATORS)
def test_refit_with_same_seed_is_identical(name: str, data: pd.DataFrame) -> None:
    table = _data_for(name, data)
    schema = simulacra.profile(table) if name in PUBLIC_SCHEMA else None
    a = simulacra.create_generator(name, random_state=3).fit(table, schema).sample(40, random_state=0)
    b = simulacra.create_generator(name, random_state=3).fit(table, schema).sample(40, random_state=0)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("name", GENERATORS)
def test_save_load_round_trip(name: str, fitted: dict, tmp_path: Path) -> None:
    fitted[name].save(tmp_path / "m")
    loaded = simulacra.load(tmp_path / "m")
    assert type(loaded) is type(fitted[name])
    pd.testing.assert_frame_equal(loaded.sample(60, random_state=5), fitted[name].sample(60, random_state=5))
    assert not any(p.suffix in (".pkl", ".pickle") for p in (tmp_path / "m").iterdir())


@pytest.mark.parametrize("name", GENERATORS)
def test_unfitted_and_bad_n(name: str, fitted: dict) -> None:
    with pytest.raises(NotFittedError):
        simulacra.create_generator(name).sample(5)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ParameterError):
            fitted[name].sample(bad)
