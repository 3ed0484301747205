"""Unit tests of the deep generators: encoding, conditional sampling, budget, persistence, optional torch."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import MissingDependencyError, ParameterError
from simulacra.generators.deep._conditional import CondSampler
from simulacra.generators.deep._encoding import ModeEncoder
from simulacra.transformers.base import ModelColumn, ModelColumnType

FAST = {"epochs": 5, "batch_size": 100, "random_state": 0}


def _columns() -> list[ModelColumn]:
    return [
        ModelColumn("x", ModelColumnType.CONTINUOUS, "x"),
        ModelColumn("c", ModelColumnType.DISCRETE, "c", n_categories=3),
    ]


def test_mode_encoding_round_trip() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 2000), rng.normal(50, 5, 1000), np.zeros(1000)])
    c = rng.integers(0, 3, len(x))
    data = {"x": x, "c": c}
    enc = ModeEncoder(max_vgm_rows=2000).fit(data, _columns(), rng)
    assert 2 <= len(enc.mixtures[0]["means"]) <= 10
    encoded = enc.transform(data, rng)
    assert encoded.dtype == np.float32 and encoded.shape == (len(x), enc.layout.width)
    assert np.all(np.abs(encoded[:, 0]) <= 1)
    # one-hot blocks as logits: a large value at the hot entry makes decoding deterministic
    back = enc.decode(encoded[:, :1], encoded[:, 1:] * 1e4, rng)
    inside = np.abs(encoded[:, 0]) < 0.99  # beyond 3.96 sigma of its mode a value is clipped
    assert inside.mean() > 0.99
    np.testing.assert_allclose(back["x"][inside], x[inside], rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(back["c"], c)
    state = ModeEncoder.from_state(enc.get_state(), _columns())
    assert state.layout == enc.layout


def test_quantile_encoding_round_trip() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    gain = np.where(rng.random(n) < 0.9, 0.0, rng.choice([114.0, 2174.0, 7688.0, 99999.0], n))  # zero-inflated
    weight = rng.lognormal(12, 0.5, n)  # heavy-tailed, all distinct
    columns = [
        ModelColumn("gain", ModelColumnType.CONTINUOUS, "gain"),
        ModelColumn("weight", ModelColumnType.CONTINUOUS, "weight"),
        ModelColumn("c", ModelColumnType.DISCRETE, "c", n_categories=3),
    ]
    data = {"gain": gain, "weight": weight, "c": rng.integers(0, 3, n)}
    enc = ModeEncoder(numeric_encoding="quantile", n_quantiles=500).fit(data, columns, rng)
    assert enc.layout.n_scalars == 2 and enc.layout.block_widths == (3,)  # no mode blocks
    encoded = enc.transform(data, rng)
    assert np.all(np.abs(encoded[:, :2]) < 1)
    z = encoded[:, :2] * 4.0  # normal scores, ties spread over their span
    assert np.all(np.abs(z.mean(axis=0)) < 0.05) and np.all(np.abs(z.std(axis=0) - 1) < 0.05)
    back = enc.decode(encoded[:, :2], encoded[:, 2:] * 1e4, rng)
    np.testing.assert_array_equal(back["gain"], gain)  # few distinct values: only observed values come back
    assert np.mean(np.isclose(back["weight"], weight, rtol=1e-3)) > 0.999  # the extremes sit at |z| = 3.9
    np.testing.assert_allclose(back["weight"], weight, rtol=0.05)
    np.testing.assert_array_equal(back["c"], data["c"])
    # decoding normal noise reproduces the marginals
    noise = (rng.standard_normal((n, 2)) / 4.0).astype(np.float32)
    fresh = enc.decode(noise, np.zeros((n, 3), dtype=np.float32), rng)
    assert abs(np.mean(fresh["gain"] == 0) - 0.9) < 0.02
    assert set(np.unique(fresh["gain"])) <= set(np.unique(gain))
    assert abs(np.median(fresh["weight"]) / np.median(weight) - 1) < 0.03
    restored = ModeEncoder.from_state(enc.get_state(), columns)
    assert restored.layout == enc.layout
    np.testing.assert_array_equal(restored.decode(noise, np.zeros((n, 3)), rng)["gain"], fresh["gain"])


def test_conditional_sampling_oversamples_rare_categories() -> None:
    rng = np.random.default_rng(0)
    codes = np.where(rng.random(10_000) < 0.002, 2, rng.integers(0, 2, 10_000))[:, None]
    sampler = CondSampler.from_codes(codes, [3])
    _, cat, rows = sampler.sample_train(20_000, rng)
    assert np.all(codes[rows, 0] == cat)  # every real row has the category asked for
    rare_train = np.mean(cat == 2)
    assert rare_train > 0.1  # log-frequency: far above the real 0.2 %
    _, cat_orig = sampler.sample_original(20_000, rng)
    assert abs(np.mean(cat_orig == 2) - np.mean(codes == 2)) < 0.003


@pytest.mark.parametrize("name", ["gan", "vae"])
def test_rare_category_survives(name: str) -> None:
    rng = np.random.default_rng(1)
    n = 3000
    group = np.where(rng.random(n) < 0.008, "rare", np.where(rng.random(n) < 0.5, "a", "b"))
    df = pd.DataFrame({"group": group, "x": rng.normal(0, 1, n) + (group == "rare") * 5})
    gen = simulacra.create_generator(name, epochs=150, threads=1, random_state=0).fit(df)
    out = gen.sample(20_000, random_state=0)
    real, syn = np.mean(df["group"] == "rare"), np.mean(out["group"] == "rare")
    assert real / 2.5 <= syn <= real * 2.5


@pytest.mark.parametrize("name", ["gan", "vae"])
def test_time_budget_stops_training(name: str) -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000)})
    gen = simulacra.create_generator(name, epochs=100_000, max_minutes=0.05, batch_size=100, threads=1, random_state=0)
    gen.fit(df)
    assert gen.training_["stopped_by"] in ("time", "early_stopping")  # type: ignore[attr-defined]
    # the budget is checked between epochs: one epoch may run past it, so the bound is loose on a busy CI box
    assert gen.training_["fit_seconds"] < 30  # type: ignore[attr-defined]


@pytest.mark.parametrize("encoding", ["quantile", "mode"])
@pytest.mark.parametrize("name", ["gan", "vae"])
def test_save_load_same_sample(name: str, encoding: str, tmp_path: Path) -> None:
    from tests.conftest import make_mixed

    df = make_mixed(200, seed=2)
    gen = simulacra.create_generator(name, numeric_encoding=encoding, **FAST).fit(df)
    gen.save(tmp_path / "m")
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"manifest.json", "arrays.npz"}
    loaded = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.sample(300, random_state=4), gen.sample(300, random_state=4))


@pytest.mark.parametrize("name", ["gan", "vae"])
def test_bad_parameters_listed_together(name: str) -> None:
    gen = simulacra.create_generator(name, epochs=0, batch_size=1, max_minutes=-1, numeric_encoding="rank")
    with pytest.raises(ParameterError) as err:
        gen.fit(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    assert "epochs=0" in str(err.value) and "batch_size=1" in str(err.value) and "max_minutes=-1" in str(err.value)
    assert "numeric_encoding='rank'" in str(err.value)


def test_missing_torch_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None):  # type: ignore[no-untyped-def]
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch'")
        return real_import(name, package)

    for mod in [m for m in sys.modules if m.startswith("simulacra.generators.deep.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(MissingDependencyError) as err:
        simulacra.create_generator("gan")
    message = str(err.value)
    assert "pip install 'simulacra[deep]'" in message and "\n" not in message


def test_import_simulacra_loads_no_torch() -> None:
    import subprocess

    code = "import sys, simulacra; simulacra.list_generators(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["gan", "vae"])
def test_trains_on_cuda(name: str) -> None:
    from tests.conftest import make_mixed

    df = make_mixed(300, seed=3)
    gen = simulacra.create_generator(name, device="cuda", **FAST).fit(df)
    assert len(gen.sample(100, random_state=0)) == 100
