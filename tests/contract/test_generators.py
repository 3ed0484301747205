"""Every registered generator goes through the same contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulacra
from simulacra.errors import NotFittedError, ParameterError
from tests.conftest import make_mixed

GENERATORS = simulacra.list_generators()
# differentially private generators need a public domain; the contract gives them the profiled one as if it
# were public, drops the columns they do not model (PII), and keeps their fits short
DP_FAST: dict[str, dict] = {"mst": {}, "aim": {"rounds": 3, "iters": 100}}


def _is_dp(name: str) -> bool:
    # DP by design (gan and vae also take epsilon, but are not private unless it is given)
    return {i.name: i.extra for i in simulacra.registry.describe_generators()}[name] == "dp"


# non-DP generators whose defaults train longer than this 300-row table needs
FAST: dict[str, dict] = {"argn": {"epochs": 40}}


def _create(name: str, seed: int) -> simulacra.Generator:
    params = DP_FAST.get(name, {}) if _is_dp(name) else FAST.get(name, {})
    return simulacra.create_generator(name, random_state=seed, **params)


def _fit(name: str, data: pd.DataFrame, seed: int) -> simulacra.Generator:
    if not _is_dp(name):
        return _create(name, seed).fit(data)
    return _create(name, seed).fit(data, simulacra.profile(data))


@pytest.fixture(scope="module")
def all_data() -> pd.DataFrame:
    return make_mixed(300, seed=1)


@pytest.fixture(scope="module")
def dp_data(all_data: pd.DataFrame) -> pd.DataFrame:
    schema = simulacra.profile(all_data)
    keep = [c.name for c in schema if c.kind.value in ("numeric", "categorical", "datetime")]
    return all_data[keep]


@pytest.fixture(scope="module")
def data_for(all_data: pd.DataFrame, dp_data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {name: dp_data if _is_dp(name) else all_data for name in GENERATORS}


@pytest.fixture(scope="module")
def fitted(data_for: dict[str, pd.DataFrame]) -> dict[str, simulacra.Generator]:
    return {name: _fit(name, data_for[name], 0) for name in GENERATORS}


@pytest.mark.parametrize("name", GENERATORS)
def test_sample_has_input_columns_and_dtypes(name: str, fitted: dict, data_for: dict) -> None:
    data = data_for[name]
    out = fitted[name].sample(123, random_state=1)
    assert len(out) == 123
    assert list(out.columns) == list(data.columns)
    assert [str(t) for t in out.dtypes] == [str(t) for t in data.dtypes]


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_output(name: str, fitted: dict) -> None:
    a = fitted[name].sample(50, random_state=7)
    b = fitted[name].sample(50, random_state=7)
    c = fitted[name].sample(50, random_state=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.parametrize("name", GENERATORS)
def test_refit_with_same_seed_is_identical(name: str, data_for: dict) -> None:
    a = _fit(name, data_for[name], 3).sample(40, random_state=0)
    b = _fit(name, data_for[name], 3).sample(40, random_state=0)
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


def test_dp_generators_have_epsilon_and_delta() -> None:
    for info in simulacra.registry.describe_generators():
        if info.extra == "dp":
            params = simulacra.create_generator(info.name).get_params()
            assert {"epsilon", "delta"} <= set(params), info.name
