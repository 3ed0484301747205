"""The marginal-based DP generators (mst, aim): public domain, ledger, discretisation, quality, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra
from simulacra.cli.main import app
from simulacra.errors import ParameterError, SchemaError
from simulacra.generators.statistical._discretize import DiscreteCodec
from simulacra.privacy import PrivacyLedger
from simulacra.privacy.domain import estimate_bounds, public_schema_dict
from simulacra.schema import ColumnKind, ColumnSpec, TableSchema

runner = CliRunner()
FAST: dict[str, dict] = {"mst": {}, "aim": {"rounds": 3, "iters": 100}}


def table(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    group = np.where(age > 45, "senior", np.where(age > 30, "mid", "junior"))
    income = np.round(1000 + 50 * age + rng.normal(0, 300, n), 2)
    income[rng.random(n) < 0.1] = np.nan
    joined = (pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame({"age": age, "group": group, "income": income, "joined": pd.Series(joined, dtype=object)})


PUBLIC = TableSchema(
    (
        ColumnSpec("age", ColumnKind.NUMERIC, "int64", minimum=0, maximum=100, is_integer=True),
        ColumnSpec("group", ColumnKind.CATEGORICAL, "object", categories=("junior", "mid", "senior")),
        ColumnSpec("income", ColumnKind.NUMERIC, "float64", minimum=0, maximum=10000, null_rate=0.1, decimals=2),
        ColumnSpec(
            "joined",
            ColumnKind.DATETIME,
            "object",
            minimum="2010-01-01",
            maximum="2025-01-01",
            datetime_format="%Y-%m-%d",
        ),
    )
)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return table()


@pytest.fixture(scope="module")
def fitted(data: pd.DataFrame) -> dict[str, simulacra.Generator]:
    return {
        name: simulacra.create_generator(name, epsilon=4.0, delta=1e-9, random_state=0, **FAST[name]).fit(data, PUBLIC)
        for name in ("mst", "aim")
    }


@pytest.mark.parametrize("name", ["mst", "aim"])
def test_fit_sample_keeps_types_bounds_and_the_main_relation(name: str, fitted: dict, data: pd.DataFrame) -> None:
    out = fitted[name].sample(3000, random_state=1)
    assert list(out.columns) == list(data.columns)
    assert out["age"].dtype == np.int64 and out["age"].between(0, 100).all()
    assert out["income"].dropna().between(0, 10000).all()
    assert set(out["group"]) <= {"junior", "mid", "senior"}
    joined = pd.to_datetime(out["joined"], format="%Y-%m-%d")
    assert joined.between("2010-01-01", "2025-01-01").all()
    # the relation age -> group survives the noise at epsilon 4 (real: seniors are all older than 45)
    senior_old = (out.loc[out["group"] == "senior", "age"] > 45).mean()
    junior_young = (out.loc[out["group"] == "junior", "age"] <= 45).mean()
    assert senior_old > 0.75 and junior_young > 0.75
    # missing incomes are kept at about their real share (10 %)
    assert 0.03 < out["income"].isna().mean() < 0.2


@pytest.mark.parametrize("name", ["mst", "aim"])
def test_ledger_spends_exactly_the_budget_and_lands_in_the_manifest(name: str, fitted: dict, tmp_path: Path) -> None:
    gen = fitted[name]
    ledger = gen.privacy_
    assert ledger.spent_epsilon() == pytest.approx(4.0, rel=1e-6)
    assert sum(ledger.split().values()) == pytest.approx(1.0, rel=1e-6)
    if name == "mst":
        assert ledger.split() == pytest.approx({"1-way marginals": 1 / 3, "selection": 1 / 3, "2-way marginals": 1 / 3})
    # every Gaussian charge's sigma is the one derived from its rho (sensitivity 1)
    for c in ledger.charges:
        if c.mechanism == "gaussian":
            assert c.noise_scale == pytest.approx(1.0 / np.sqrt(2 * c.rho))
        else:
            assert c.noise_scale == pytest.approx(np.sqrt(8 * c.rho))
    gen.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["privacy"]["epsilon"] == 4.0 and manifest["privacy"]["delta"] == 1e-9
    assert manifest["params"]["epsilon"] == 4.0
    assert "n_rows" not in manifest["data_fingerprint"]  # the exact row count is not released
    loaded = simulacra.load(tmp_path / "m")
    assert loaded.privacy_.spent_rho == pytest.approx(ledger.spent_rho)
    # loading and sampling a fitted model needs no JAX (the model is numpy arrays)
    code = (
        "import sys, simulacra; m = simulacra.load(sys.argv[1]); m.sample(10, random_state=0); "
        "print('jax' in sys.modules or 'mbi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "m")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_schema_names_the_columns_and_both_ways_forward(data: pd.DataFrame) -> None:
    with pytest.raises(SchemaError) as info:
        simulacra.create_generator("mst", epsilon=1.0).fit(data)
    msg = str(info.value)
    for needle in ("'age'", "'group'", "'income'", "'joined'", "profile DATA --public", "domain_share"):
        assert needle in msg


def test_schema_without_some_bounds_names_exactly_those_columns(data: pd.DataFrame) -> None:
    schema = PUBLIC.replace_column(PUBLIC["age"].with_(minimum=None, maximum=None))
    schema = schema.replace_column(schema["group"].with_(categories=None))
    with pytest.raises(SchemaError) as info:
        simulacra.create_generator("aim", epsilon=1.0).fit(data, schema)
    msg = str(info.value)
    assert "'age' (numeric: minimum and maximum)" in msg and "'group' (categorical: categories)" in msg
    assert "'income'" not in msg and "'joined'" not in msg


def test_unsupported_kinds_are_named(data: pd.DataFrame) -> None:
    frame = data.assign(note="x")
    schema = TableSchema((*PUBLIC.columns, ColumnSpec("note", ColumnKind.TEXT, "object")))
    with pytest.raises(SchemaError, match=r"'note' \(text\)"):
        simulacra.create_generator("mst").fit(frame, schema)


@pytest.mark.parametrize(
    ("param", "value"), [("epsilon", 0), ("delta", 1.5), ("bins", 1), ("domain_share", 1.0), ("iters", 0)]
)
def test_bad_parameters(param: str, value: object, data: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match=param):
        simulacra.create_generator("mst", **{param: value}).fit(data, PUBLIC)


def test_public_schema_holds_no_value_from_the_data(data: pd.DataFrame) -> None:
    text = json.dumps(public_schema_dict(simulacra.profile(data)))
    for leak in ("junior", "senior", '"n_rows"', "null_rate", str(int(data["age"].max()))):
        assert leak not in text
    loaded = TableSchema.from_json(text)
    assert [c.kind for c in loaded] == [c.kind for c in simulacra.profile(data)]
    # placeholders count as "no domain": the fit names every column
    with pytest.raises(SchemaError) as info:
        simulacra.create_generator("mst").fit(data, loaded)
    assert all(f"'{c}'" in str(info.value) for c in data.columns)


def test_bounds_estimated_privately_cost_the_declared_share(data: pd.DataFrame) -> None:
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
    schema = PUBLIC.replace_column(PUBLIC["age"].with_(minimum=None, maximum=None))
    schema = schema.replace_column(schema["joined"].with_(minimum=None, maximum=None))
    out = estimate_bounds(data, schema, ledger, np.random.default_rng(0), share=0.1)
    assert ledger.split() == pytest.approx({"domain": 0.1})
    # power-of-two buckets: ages 18..79 fall in [16, 128)
    assert (out["age"].minimum, out["age"].maximum) == (16, 128)
    # calendar-year buckets: the data runs from 2015-01-01 to 2023-03; a thin last year may fall below the threshold
    assert out["joined"].minimum == "2015-01-01T00:00:00"
    assert out["joined"].maximum in ("2023-01-01T00:00:00", "2024-01-01T00:00:00")
    gen = simulacra.create_generator("mst", epsilon=2.0, domain_share=0.1, random_state=0)
    gen.fit(data, schema)
    assert gen.privacy_.split()["domain"] == pytest.approx(0.1)
    assert gen.privacy_.spent_epsilon() == pytest.approx(2.0, rel=1e-6)


def test_codec_bins_and_maps_back_within_bins(data: pd.DataFrame) -> None:
    codec = DiscreteCodec(PUBLIC, bins=10).fit()
    assert codec.sizes == [12, 3, 13, 10]  # age, income: 10 bins + a code per bound; income + missing
    codes = codec.transform(data)
    back = codec.inverse_transform(codes, np.random.default_rng(0))
    # numbers come back in the bin they came from
    np.testing.assert_array_equal(codec.transform(back)["age"], codes["age"])
    assert back["group"].tolist() == data["group"].tolist()
    small = DiscreteCodec(TableSchema((ColumnSpec("k", ColumnKind.NUMERIC, "int64", minimum=1, maximum=5),)), bins=10)
    k = pd.DataFrame({"k": [1, 2, 5, 9]})
    assert small.fit().transform(k)["k"].tolist() == [0, 1, 4, 4]  # one code per integer; 9 clipped to 5

    # a spike at a public bound keeps a code of its own and comes back exactly (zero amounts, caps)
    amount = TableSchema((ColumnSpec("a", ColumnKind.NUMERIC, "int64", minimum=0, maximum=100_000),))
    wide = DiscreteCodec(amount, bins=10).fit()
    a = pd.DataFrame({"a": [0, 0, 1, 9_999, 10_000, 55_555, 100_000, 250_000]})
    codes_a = wide.transform(a)["a"].tolist()
    assert codes_a == [0, 0, 1, 1, 2, 6, 11, 11]
    again = wide.inverse_transform(pd.DataFrame({"a": codes_a}), np.random.default_rng(1))["a"]
    assert again.tolist()[:2] == [0, 0] and again.tolist()[-2:] == [100_000, 100_000]
    assert all(0 < v < 100_000 for v in again.tolist()[2:6])
    assert wide.transform(again.to_frame())["a"].tolist() == codes_a


def test_cli_fit_with_epsilon(tmp_path: Path, data: pd.DataFrame) -> None:
    csv = tmp_path / "t.csv"
    data.to_csv(csv, index=False)
    result = runner.invoke(app, ["fit", str(csv), "-o", str(tmp_path / "m"), "--epsilon", "1"])
    assert result.exit_code == 2 and "not differentially private" in result.output and "mst" in result.output
    result = runner.invoke(app, ["fit", str(csv), "-o", str(tmp_path / "m"), "--generator", "mst", "--epsilon", "1"])
    assert result.exit_code == 2 and "profile DATA --public" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m").exists()
    result = runner.invoke(app, ["profile", str(csv), "--public", "-o", str(tmp_path / "public.json")])
    assert result.exit_code == 0, result.output
    assert "<fill in" in (tmp_path / "public.json").read_text()
    PUBLIC.save(tmp_path / "filled.json")
    args = ["fit", str(csv), "-o", str(tmp_path / "m"), "--generator", "mst", "--epsilon", "1"]
    result = runner.invoke(app, [*args, "--schema", str(tmp_path / "filled.json")])
    assert result.exit_code == 0, result.output
    assert "differential privacy: epsilon 1 of 1" in result.output


def test_cli_run_with_a_dp_generator_reports_the_privacy_spent(tmp_path: Path, data: pd.DataFrame) -> None:
    csv = tmp_path / "t.csv"
    data.to_csv(csv, index=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(csv), "-o", str(out), "--generator", "mst", "--epsilon", "2"])
    assert result.exit_code == 2 and "'age'" in result.output and not out.exists()
    PUBLIC.save(tmp_path / "filled.json")
    args = [
        "run",
        str(csv),
        "-o",
        str(out),
        "--generator",
        "mst",
        "--epsilon",
        "2",
        "--schema",
        str(tmp_path / "filled.json"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report" / "report.json").read_text())
    privacy = report["generator"]["privacy"]
    assert privacy["epsilon"] == 2.0 and privacy["split"] == pytest.approx(
        {"1-way marginals": 1 / 3, "selection": 1 / 3, "2-way marginals": 1 / 3}
    )
    html = (out / "report" / "report.html").read_text()
    assert "Differential privacy" in html and "2-way marginals" in html


@pytest.mark.parametrize("name", ["mst", "aim"])
def test_one_column_table_spends_the_whole_budget(name: str) -> None:
    frame = pd.DataFrame({"g": np.random.default_rng(0).choice(["a", "b", "c"], 500, p=[0.2, 0.3, 0.5])})
    schema = TableSchema((ColumnSpec("g", ColumnKind.CATEGORICAL, "object", categories=("a", "b", "c")),))
    gen = simulacra.create_generator(name, epsilon=1.0, random_state=0).fit(frame, schema)
    assert gen.privacy_.spent_epsilon() == pytest.approx(1.0, rel=1e-6)
    share = gen.sample(2000, random_state=0)["g"].value_counts(normalize=True)
    assert share["c"] == pytest.approx(0.5, abs=0.08) and share["a"] == pytest.approx(0.2, abs=0.08)
