"""Every registered generator goes through the same contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulacra
from simulacra.errors import NotFittedError, ParameterError
from tests.conftest import make_mixed

GENERATORS = simulacra.list_generators()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return make_mixed(300, seed=1)


@pytest.fixture(scope="module")
def fitted(data: pd.DataFrame) -> dict[str, simulacra.Generator]:
    schema = simulacra.profile(data)
    return {name: simulacra.create_generator(name, random_state=0).fit(data, schema) for name in GENERATORS}


@pytest.mark.parametrize("name", GENERATORS)
def test_sample_has_input_columns_and_dtypes(name: str, fitted: dict, data: pd.DataFrame) -> None:
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
def test_refit_with_same_seed_is_identical(name: str, data: pd.DataFrame) -> None:
    a = simulacra.create_generator(name, random_state=3).fit(data).sample(40, random_state=0)
    b = simulacra.create_generator(name, random_state=3).fit(data).sample(40, random_state=0)
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
