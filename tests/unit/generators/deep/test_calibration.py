"""Category calibration of the deep generators: rare categories come out at their training rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra

pytest.importorskip("torch")


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    kind = rng.choice(["common", "usual", "rare", "scarce"], size=n, p=[0.6, 0.385, 0.01, 0.005])
    level = {"common": 0.0, "usual": 1.0, "rare": 3.0, "scarce": 5.0}
    value = np.array([level[k] for k in kind]) + rng.normal(0, 0.3, n)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2])
    return pd.DataFrame({"kind": kind, "value": value.round(3), "colour": colour})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _table()


@pytest.mark.parametrize("name", ["vae", "gan"])
def test_rare_categories_within_a_factor_of_two(name: str, table: pd.DataFrame) -> None:
    kw = {"epochs": 8, "threads": 1, "early_stopping": False, "random_state": 0, "batch_size": 200}
    gen = simulacra.create_generator(name, **kw).fit(table)
    assert gen.calibration_ is not None
    synth = gen.sample(20_000, random_state=1)
    real = table["kind"].value_counts(normalize=True)
    got = synth["kind"].value_counts(normalize=True).reindex(real.index, fill_value=0.0)
    ratio = got / real
    assert ((ratio > 0.5) & (ratio < 2.0)).all(), ratio.round(2).to_dict()
    # the relation to the other columns is kept: rare rows still carry their high values
    assert (
        synth.loc[synth["kind"] == "scarce", "value"].median() > synth.loc[synth["kind"] == "common", "value"].median()
    )


def test_calibration_round_trips_and_can_be_switched_off(table: pd.DataFrame, tmp_path: Path) -> None:
    kw = {"epochs": 3, "threads": 1, "early_stopping": False, "random_state": 0}
    gen = simulacra.create_generator("vae", **kw).fit(table)
    gen.save(tmp_path / "m")
    back = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(back.sample(300, random_state=2), gen.sample(300, random_state=2))
    off = simulacra.create_generator("vae", calibrate=False, **kw).fit(table)
    assert off.calibration_ is None
    with pytest.raises(simulacra.errors.ParameterError, match="calibrate"):
        simulacra.create_generator("vae", calibrate="yes").fit(table)
