"""The autoregressive generator: tokens, fit/sample quality on a small table, conditioning, imputation,
rebalancing, persistence and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import NotFittedError, ParameterError, SchemaError
from simulacra.generators.deep._tokens import Tokenizer
from simulacra.transformers.base import ModelColumn, ModelColumnType


def _table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """Two strongly linked columns (colour decides size), a numeric column tied to colour, a rare label."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.6, 0.3, 0.1])
    size = np.where(colour == "red", "small", np.where(colour == "green", "medium", "large"))
    flip = rng.random(n) < 0.05
    size = np.where(flip, "medium", size)
    mean = np.select([colour == "red", colour == "green"], [10.0, 50.0], 100.0)
    value = np.round(mean + rng.normal(0, 3, n), 2)
    shape = rng.choice(["circle", "square"], size=n)
    shape[:3] = "hexagon"  # a rare category: 3 rows
    return pd.DataFrame({"colour": colour, "size": size, "value": value, "shape": shape})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _table()


@pytest.fixture(scope="module")
def fitted(table: pd.DataFrame) -> simulacra.Generator:
    return simulacra.create_generator("argn", epochs=40, random_state=0, threads=1).fit(table)


def test_tokenizer_round_trip_and_rare_protection() -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([np.zeros(600), rng.exponential(100, 400)])  # a zero spike plus a tail
    codes = np.array([0] * 500 + [1] * 495 + [2] * 3 + [3] * 2)  # codes 2 and 3 rare, 5 rows together
    cols = [
        ModelColumn("x", ModelColumnType.CONTINUOUS, source="x"),
        ModelColumn("c", ModelColumnType.DISCRETE, source="c", n_categories=4),
    ]
    tok = Tokenizer(max_bins=32, rare_count=5).fit({"x": x, "c": codes}, cols)
    tokens = tok.encode({"x": x, "c": codes})
    assert tok.cardinalities[1] == 3  # two common codes and one shared rare token
    assert len(set(tokens[codes >= 2, 1])) == 1
    back = tok.decode(tokens, rng)
    assert np.mean(back["x"] == 0) == pytest.approx(0.6, abs=0.01)  # the spike comes back exactly
    # values are drawn within their bin, not replayed
    assert np.mean(np.isin(back["x"][x > 0], x[x > 0])) < 0.2
    assert np.quantile(back["x"], 0.9) == pytest.approx(np.quantile(x, 0.9), rel=0.1)
    assert set(back["c"][codes >= 2]) <= {2, 3}
    counts = np.bincount(tokens[:, 0])
    assert counts[counts > 0].min() >= 5  # every numeric bin holds at least rare_count rows


def test_tokenizer_protects_the_extremes_by_default() -> None:
    """The rare_count - 1 smallest and largest values are pulled in to the rare_count-th: no output value
    lies beyond what 5 training rows reach, the outliers never come back, the k-th value does at its rate."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 1992), [-9.0, -8.0, -7.5, -7.0, 10.0, 11.0, 11.5, 12.0]])
    col = [ModelColumn("x", ModelColumnType.CONTINUOUS, source="x")]
    tok = Tokenizer(max_bins=20, rare_count=5).fit({"x": x}, col)
    ordered = np.sort(x)
    lo, hi = ordered[4], ordered[-5]  # the 5th smallest / largest
    tokens = tok.encode({"x": x})
    backs = np.concatenate([tok.decode(tokens, np.random.default_rng(s))["x"] for s in range(20)])
    assert backs.min() == lo and backs.max() == hi
    assert not np.isin([-9.0, -8.0, -7.5, -7.0, 10.0, 11.0, 11.5, 12.0], backs).any()
    assert np.mean(backs == hi) == pytest.approx(5 / len(x), rel=0.3)  # the 5th largest: 5 rows' worth
    # the state says so, and a reloaded tokenizer decodes the same
    state = tok.get_state()
    assert state["protect_extremes"] is True
    again = Tokenizer.from_state(state, col)
    assert np.array_equal(
        again.decode(tokens, np.random.default_rng(3))["x"], tok.decode(tokens, np.random.default_rng(3))["x"]
    )
    # a tiny column (under 4 x rare_count rows) is left as it is
    small = Tokenizer(max_bins=4, rare_count=5).fit({"x": x[:19]}, col)
    assert small.decode(small.encode({"x": x[:19]}), rng)["x"].max() <= x[:19].max()


def test_tokenizer_reaches_the_column_range_without_protection() -> None:
    """protect_extremes=False: the column's minimum and maximum come back at the rate they hold in their
    bin, so a sample spans the real range; the other tail values stay interpolated, never replayed."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 1998), [-9.0, 12.0]])  # one outlier at each end
    col = [ModelColumn("x", ModelColumnType.CONTINUOUS, source="x")]
    tok = Tokenizer(max_bins=20, rare_count=5, protect_extremes=False).fit({"x": x}, col)
    tokens = tok.encode({"x": x})
    last = tok.cardinalities[0] - 1
    in_last = int(np.sum(tokens[:, 0] == last))
    many = np.full(200_000, last)
    back = tok.decode(many[:, None], np.random.default_rng(1))["x"]
    assert np.mean(back == 12.0) == pytest.approx(1 / in_last, rel=0.1)
    assert back.max() == 12.0
    first = tok.decode(np.zeros((200_000, 1), dtype=np.int64), np.random.default_rng(2))["x"]
    assert first.min() == -9.0
    # a real-sized sample (every token as often as in training) reaches both ends most of the time
    hits = [tok.decode(tokens, np.random.default_rng(s))["x"].max() == 12.0 for s in range(20)]
    assert 0.4 <= np.mean(hits) <= 0.9
    # values between the ends are still spread, not replayed
    inner = tok.decode(tokens, rng)["x"]
    assert np.mean(np.isin(inner[(inner > -9) & (inner < 12)], x)) < 0.05


def test_sample_keeps_marginals_and_links(fitted: simulacra.Generator, table: pd.DataFrame) -> None:
    out = fitted.sample(3000, random_state=1)
    assert list(out.columns) == list(table.columns)
    share = out["colour"].value_counts(normalize=True)
    assert share["red"] == pytest.approx(0.6, abs=0.05)
    # colour -> size and colour -> value are learned
    assert (out.loc[out["colour"] == "red", "size"] == "small").mean() > 0.85
    assert out.loc[out["colour"] == "blue", "value"].median() == pytest.approx(100, abs=6)
    assert out.loc[out["colour"] == "red", "value"].median() == pytest.approx(10, abs=6)
    # the rare label (3 rows) is never learned in context: it is absorbed, not replayed
    assert (out["shape"] == "hexagon").mean() < 0.01


def test_same_seed_same_rows_and_save_load(fitted: simulacra.Generator, tmp_path: Path) -> None:
    a = fitted.sample(200, random_state=5)
    pd.testing.assert_frame_equal(a, fitted.sample(200, random_state=5))
    fitted.save(tmp_path / "m")
    loaded = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(a, loaded.sample(200, random_state=5))
    cond = {"colour": "blue"}
    pd.testing.assert_frame_equal(
        fitted.sample(50, conditions=cond, random_state=2), loaded.sample(50, conditions=cond, random_state=2)
    )


def test_conditions_dict_are_kept_and_rest_follows(fitted: simulacra.Generator) -> None:
    out = fitted.sample(500, conditions={"colour": "blue"}, random_state=3)
    assert (out["colour"] == "blue").all()
    assert (out["size"] == "large").mean() > 0.8
    assert out["value"].median() == pytest.approx(100, abs=6)


def test_conditions_on_a_later_column_condition_earlier_ones(fitted: simulacra.Generator) -> None:
    # value comes after colour in the table order: conditioning on it needs the any-order training
    out = fitted.sample(500, conditions={"value": 50.0}, random_state=3)
    assert (out["value"] == 50.0).all()
    assert (out["colour"] == "green").mean() > 0.8


def test_conditions_frame_per_row(fitted: simulacra.Generator) -> None:
    given = pd.DataFrame({"colour": ["red", None, "blue", None], "value": [None, 100.0, None, None]})
    out = fitted.sample(4, conditions=given, random_state=4)
    assert out.loc[0, "colour"] == "red" and out.loc[2, "colour"] == "blue"
    assert out.loc[1, "value"] == 100.0
    assert out.notna().all().all()


def test_impute_fills_only_missing_cells(fitted: simulacra.Generator, table: pd.DataFrame) -> None:
    data = table.head(400).copy()
    data.loc[:199, "colour"] = np.nan
    data.loc[300:, "value"] = np.nan
    out = fitted.impute(data, random_state=0)
    assert out.notna().all().all()
    pd.testing.assert_frame_equal(out.loc[200:299], table.loc[200:299])
    truth = table.head(400)
    # imputed colours follow the row's size and value: mostly the true ones
    assert (out.loc[:199, "colour"] == truth.loc[:199, "colour"]).mean() > 0.85
    err = (out.loc[300:, "value"] - truth.loc[300:, "value"]).abs()
    assert err.median() < 8
    assert data["colour"].isna().sum() == 200  # the input is not changed


def test_rebalance_sets_shares(fitted: simulacra.Generator) -> None:
    out = fitted.sample(2000, rebalance={"colour": {"blue": 0.5}}, random_state=6)
    share = out["colour"].value_counts(normalize=True)
    assert share["blue"] == pytest.approx(0.5, abs=0.04)
    # the others keep their proportion (red : green = 2 : 1)
    assert share["red"] / share["green"] == pytest.approx(2.0, rel=0.25)
    assert (out.loc[out["colour"] == "blue", "size"] == "large").mean() > 0.8


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"conditions": {"nope": 1}}, "does not have"),
        ({"conditions": pd.DataFrame({"colour": ["red"]})}, "1 row"),
        ({"conditions": {"colour": ["red", "blue"]}}, "single values"),
        ({"rebalance": {"value": {1.0: 0.5}}}, "only categorical"),
        ({"rebalance": {"colour": {"blue": 1.5}}}, "at most 1"),
        ({"rebalance": {"colour": {"blue": 0.5}}, "conditions": {"colour": "red"}}, "both"),
    ],
)
def test_bad_conditions_are_clear(fitted: simulacra.Generator, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        fitted.sample(10, random_state=0, **kwargs)


def test_unknown_category_condition_is_a_schema_error(fitted: simulacra.Generator) -> None:
    with pytest.raises(SchemaError, match="colour"):
        fitted.sample(5, conditions={"colour": "purple"}, random_state=0)


def test_impute_needs_every_column(fitted: simulacra.Generator, table: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="lacks column"):
        fitted.impute(table.drop(columns=["size"]))


def test_unfitted_and_bad_parameters() -> None:
    gen = simulacra.create_generator("argn")
    with pytest.raises(NotFittedError):
        gen.sample(5, conditions={"a": 1})
    bad = simulacra.create_generator(
        "argn", epochs=0, random_order=2.0, max_bins=1, dropout="x", quasi_random="y", protect_extremes=1
    )
    with pytest.raises(ParameterError) as err:
        bad.fit(_table(100))
    for key in ("epochs", "random_order", "max_bins", "dropout", "quasi_random", "protect_extremes"):
        assert key in str(err.value)


def test_time_budget_and_training_record(table: pd.DataFrame) -> None:
    gen = simulacra.create_generator("argn", epochs=10_000, max_minutes=0.02, random_state=0, threads=1)
    gen.fit(table)
    assert gen.training_["stopped_by"] in ("time", "early_stopping")
    assert gen.training_["epochs_run"] < 10_000
    assert 1 <= len(gen.training_["calibration_tv"]) <= 3


def test_calibration_stops_at_the_deadline() -> None:
    """Past the fit's deadline only the first calibration round runs; without a deadline, all three."""
    import time

    from simulacra.progress import Silent

    gen = simulacra.create_generator("argn", epochs=2, random_state=0, threads=1).fit(_table(300))
    assert len(gen.training_["calibration_tv"]) == 3
    rng = np.random.default_rng(0)
    shares = [np.full(k, 1.0 / k) for k in gen.tokenizer_.cardinalities]  # type: ignore[attr-defined]
    late = gen._calibrate(shares, 300, rng, Silent(), time.perf_counter() - 1.0)  # type: ignore[attr-defined]
    assert len(late) == 1
    assert len(gen._calibrate(shares, 300, rng, Silent(), None)) == 3  # type: ignore[attr-defined]


def test_cli_fit_and_sample(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from simulacra.cli.main import app

    _table(300).to_csv(tmp_path / "t.csv", index=False)
    runner = CliRunner()
    args = ["fit", str(tmp_path / "t.csv"), "-g", "argn", "--epochs", "5", "--random-order", "0.3"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "m"), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sample", str(tmp_path / "m"), "-n", "40", "-o", str(tmp_path / "s.csv"), "-q"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == 40
    result = runner.invoke(app, ["fit", str(tmp_path / "t.csv"), "-g", "argn", "--random-order", "2", "-o", "x"])
    assert result.exit_code == 2 and "random_order" in result.output


def test_quasi_random_sampling_follows_the_model_marginal_closely(fitted: simulacra.Generator) -> None:
    """Sobol uniforms: the first column's counts are within a few rows of the model's probabilities; with
    independent rows they scatter by about the binomial standard deviation (tens of rows at n = 2,048)."""
    import torch

    from simulacra.generators.deep._argn_net import sample_tokens

    net = fitted.net_
    c = net.n_columns
    with torch.no_grad():
        tokens = torch.zeros((1, c), dtype=torch.long)
        probs = torch.softmax(net(tokens, torch.zeros((1, 1, c), dtype=torch.bool), torch.tensor([0]))[0, 0], -1)
    n = 2048
    expected = probs.numpy() * n
    errors = {}
    for quasi in (True, False):
        worst = []
        for seed in range(3):
            out = sample_tokens(
                net,
                np.zeros((n, c), dtype=np.int64),
                np.zeros(c, dtype=bool),
                np.arange(c),
                np.random.default_rng(seed),
                torch.device("cpu"),
                quasi_random=quasi,
            )
            counts = np.bincount(out[:, 0], minlength=len(expected))
            worst.append(np.abs(counts - expected).max())
        errors[quasi] = float(np.mean(worst))
    assert errors[True] <= 3.0
    assert errors[False] > 3 * errors[True]


def test_calibration_pulls_a_biased_marginal_back(fitted: simulacra.Generator, table: pd.DataFrame) -> None:
    """Bias the 'shape' head towards one token; calibration restores the training shares."""
    import copy

    import torch

    gen = copy.deepcopy(fitted)
    assert len(gen.training_["calibration_tv"]) == 3
    j = [c.name for c in gen.columns_].index("shape")
    with torch.no_grad():
        gen.net_.b3[j, 0, 0] += 2.0
    want = table["shape"].value_counts(normalize=True)

    def gap() -> float:
        got = gen.sample(4000, random_state=1)["shape"].value_counts(normalize=True)
        return 0.5 * float(got.sub(want, fill_value=0).abs().sum())

    before = gap()
    model = gen.transformer_.transform(table, np.random.default_rng(0))
    tokens = gen.tokenizer_.encode({c.name: model[c.name].to_numpy() for c in gen.columns_})
    shares = [np.bincount(tokens[:, i], minlength=k) / len(tokens) for i, k in enumerate(gen.tokenizer_.cardinalities)]
    from simulacra.progress import Silent

    gen._calibrate(shares, len(tokens), np.random.default_rng(0), Silent())
    after = gap()
    assert before > 0.2
    assert after < 0.03
