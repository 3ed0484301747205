"""privbayes: score sensitivity against its derivation, noise scales against (epsilon, delta), domain rules,
fit/sample behaviour and persistence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import ParameterError, SchemaError
from simulacra.generators.statistical._privbayes import (
    COUNT_SHARE,
    R_SENSITIVITY,
    conditional_noise_scale,
    joint_counts,
    r_score,
)
from simulacra.privacy import rho_from_epsilon
from simulacra.schema import ColumnKind, ColumnSpec, TableSchema


def _table(n: int, seed: int = 0) -> tuple[pd.DataFrame, TableSchema]:
    """Three correlated columns with a public schema: a category, an integer and a real."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    level = np.where(group == "a", rng.integers(0, 3, n), rng.integers(6, 10, n))
    score = np.where(group == "c", 80.0, 20.0) + rng.normal(0, 5, n)
    data = pd.DataFrame({"group": group, "level": level.astype("int64"), "score": np.clip(score, 0, 100)})
    schema = TableSchema(
        (
            ColumnSpec("group", ColumnKind.CATEGORICAL, "object", categories=("a", "b", "c")),
            ColumnSpec("level", ColumnKind.NUMERIC, "int64", is_integer=True, minimum=0, maximum=9),
            ColumnSpec("score", ColumnKind.NUMERIC, "float64", minimum=0.0, maximum=100.0, decimals=1),
        )
    )
    return data, schema


# -- the R score's sensitivity -------------------------------------------------------------------
def test_r_score_sensitivity_is_the_derived_constant_and_holds_on_random_neighbours() -> None:
    assert R_SENSITIVITY == 2.0
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(400):
        sizes = [int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 4))]
        n = int(rng.integers(1, 40))
        codes = np.column_stack([rng.integers(0, s, n) for s in sizes])
        extra = np.array([[rng.integers(0, s) for s in sizes]])
        bigger = np.vstack([codes, extra])
        for child, parents in ((0, [1]), (0, [1, 2]), (2, [0])):
            q = r_score(joint_counts(codes, sizes, child, parents))
            q2 = r_score(joint_counts(bigger, sizes, child, parents))
            worst = max(worst, abs(q2 - q))
    assert worst <= R_SENSITIVITY + 1e-12


def test_r_score_sensitivity_is_tight() -> None:
    # an independent 2x2 table of 4m records plus one record with an unseen value on both sides moves q by
    # 8m / (4m + 1) -> 2 (the derivation's worst case A = B = 0)
    m = 500
    codes = np.array([[x, p] for x in (0, 1) for p in (0, 1) for _ in range(m)])
    sizes = [3, 3]
    q = r_score(joint_counts(codes, sizes, 0, [1]))
    q2 = r_score(joint_counts(np.vstack([codes, [[2, 2]]]), sizes, 0, [1]))
    assert q == pytest.approx(0.0)
    assert q2 - q == pytest.approx(8 * m / (4 * m + 1), rel=1e-12)
    assert q2 - q > 0.999 * R_SENSITIVITY


def test_r_score_is_total_variation_on_the_count_scale() -> None:
    counts = np.array([[30.0, 0.0], [0.0, 70.0]])  # X determined by its parent
    n, px = 100.0, np.array([0.3, 0.7])
    expected = 0.5 * n * np.abs(np.diag(px) - np.outer(px, px)).sum()
    assert r_score(counts) == pytest.approx(expected)
    assert r_score(np.outer([20.0, 80.0], [0.5, 0.5])) == pytest.approx(0.0)


# -- noise scales pinned to (epsilon, delta) ------------------------------------------------------
@pytest.mark.parametrize(("eps", "delta", "mechanism"), [(1.0, 1e-9, "gaussian"), (4.0, 1e-6, "laplace")])
def test_every_charge_has_the_noise_scale_derived_from_epsilon_delta(eps: float, delta: float, mechanism: str) -> None:
    data, schema = _table(500)
    beta, d = 0.3, 3
    gen = simulacra.create_generator(
        "privbayes", epsilon=eps, delta=delta, beta=beta, mechanism=mechanism, random_state=0
    ).fit(data, schema)
    rho = rho_from_epsilon(eps, delta)
    rho_count = COUNT_SHARE * rho
    rho_net = beta * (rho - rho_count)
    rho_cond = rho - rho_count - rho_net
    charges = gen.privacy_["charges"]
    count = [c for c in charges if c["stage"] == "row count"]
    net = [c for c in charges if c["stage"] == "network"]
    cond = [c for c in charges if c["stage"] == "conditionals"]
    assert len(count) == 1 and len(net) == d - 1 and len(cond) == d
    assert count[0]["noise_scale"] == pytest.approx(1.0 / math.sqrt(2 * rho_count), rel=1e-9)
    for c in net:  # exponential mechanism: epsilon = sqrt(8 rho) per step, score sensitivity 2
        assert c["sensitivity"] == 2.0
        assert c["noise_scale"] == pytest.approx(math.sqrt(8 * rho_net / (d - 1)), rel=1e-9)
    # Gaussian sigma = 1 / sqrt(2 rho_i); Laplace b = 1 / eps_i with rho_i = eps_i^2 / 2: the same number
    for c in cond:
        assert c["mechanism"] == mechanism and c["sensitivity"] == 1.0
        assert c["noise_scale"] == pytest.approx(1.0 / math.sqrt(2 * rho_cond / d), rel=1e-9)
    assert conditional_noise_scale(rho_cond, d) == pytest.approx(1.0 / math.sqrt(2 * rho_cond / d))
    assert gen.privacy_["rho_spent"] == pytest.approx(rho, rel=1e-9)
    assert gen.privacy_["epsilon_spent"] == pytest.approx(eps, rel=1e-6)
    assert gen.privacy_["split"] == pytest.approx(
        {"row count": COUNT_SHARE, "network": rho_net / rho, "conditionals": rho_cond / rho}
    )


def test_default_split_pins_the_conditional_sigma() -> None:
    # defaults: 2% row count, beta = 0.3 of the rest on the network, the rest over 3 tables
    data, schema = _table(200)
    gen = simulacra.create_generator("privbayes", epsilon=0.5, delta=1e-6, random_state=1)
    gen.fit(data, schema)
    sigma = gen.privacy_["charges"][-1]["noise_scale"]
    rho = rho_from_epsilon(0.5, 1e-6)
    assert sigma == pytest.approx(1 / math.sqrt(2 * (1 - COUNT_SHARE) * (1 - 0.3) * rho / 3), rel=1e-9)


# -- domain rules ----------------------------------------------------------------------------------
def test_no_schema_names_every_column_and_two_ways_forward() -> None:
    data, _ = _table(50)
    with pytest.raises(SchemaError) as err:
        simulacra.create_generator("privbayes").fit(data)
    msg = str(err.value)
    assert "'group'" in msg and "'level'" in msg and "'score'" in msg
    assert "--public" in msg and "privately" in msg


def test_schema_without_bounds_or_categories_is_refused_by_column() -> None:
    data, schema = _table(50)
    schema = schema.replace_column(schema["score"].with_(maximum=None))
    schema = schema.replace_column(schema["group"].with_(categories=None))
    with pytest.raises(SchemaError) as err:
        simulacra.create_generator("privbayes").fit(data, schema)
    assert "'group'" in str(err.value) and "'score'" in str(err.value) and "'level'" not in str(err.value)
    # placeholders left by `simulacra profile --public` are not a domain
    from simulacra.privacy.domain import PLACEHOLDER

    filled = schema.replace_column(schema["group"].with_(categories=(PLACEHOLDER + " categories",)))
    with pytest.raises(SchemaError, match="'group'"):
        simulacra.create_generator("privbayes").fit(data, filled)


def test_missing_bounds_can_be_estimated_privately_with_a_declared_share() -> None:
    data, schema = _table(2000)
    schema = schema.replace_column(schema["score"].with_(minimum=None, maximum=None))
    gen = simulacra.create_generator("privbayes", epsilon=2.0, domain_share=0.1, random_state=0).fit(data, schema)
    bounds = [c for c in gen.privacy_["charges"] if "score" in c["label"]]
    assert bounds and sum(c["rho"] for c in bounds) == pytest.approx(0.1 * gen.ledger_.rho_total, rel=1e-9)
    assert gen.privacy_["epsilon_spent"] == pytest.approx(2.0, rel=1e-6)
    lo, hi = gen.schema_["score"].minimum, gen.schema_["score"].maximum
    assert lo <= data["score"].quantile(0.01) and hi >= data["score"].quantile(0.99)
    with pytest.raises(ParameterError, match="domain_share"):
        simulacra.create_generator("privbayes", domain_share=1.5).fit(data, schema)


def test_unsupported_kinds_and_undeclared_missing_cells_are_refused() -> None:
    data, schema = _table(50)
    ident = (*schema.columns, ColumnSpec("id", ColumnKind.IDENTIFIER, "int64"))
    with pytest.raises(SchemaError, match="'id' \\(identifier\\)"):
        simulacra.create_generator("privbayes").fit(data.assign(id=np.arange(50)), TableSchema(ident))
    gappy = data.assign(score=data["score"].where(data.index % 7 != 0))
    with pytest.raises(SchemaError, match=r"'score'.*null_rate"):
        simulacra.create_generator("privbayes").fit(gappy, schema)
    # declared nullable: fine, and missing cells come back
    nullable = schema.replace_column(schema["score"].with_(null_rate=0.1))
    out = simulacra.create_generator("privbayes", epsilon=20.0, random_state=0).fit(gappy, nullable).sample(2000)
    assert 0.03 < out["score"].isna().mean() < 0.3


def test_unknown_category_is_an_error_without_values() -> None:
    data, schema = _table(50)
    data.loc[3, "group"] = "secret-value"
    with pytest.raises(SchemaError) as err:
        simulacra.create_generator("privbayes").fit(data, schema)
    assert "group" in str(err.value) and "secret-value" not in str(err.value)


def test_values_outside_public_bounds_are_clipped() -> None:
    data, schema = _table(300)
    data.loc[:20, "score"] = 1e6
    out = simulacra.create_generator("privbayes", epsilon=5.0, random_state=0).fit(data, schema).sample(500)
    assert out["score"].between(0, 100).all()
    assert out["level"].between(0, 9).all() and set(out["group"]) <= {"a", "b", "c"}


@pytest.mark.parametrize(
    "params",
    [{"degree": -1}, {"beta": 1.0}, {"theta": 0}, {"bins": 1}, {"mechanism": "gumbel"}, {"epsilon": 0}],
)
def test_bad_parameters(params: dict) -> None:
    data, schema = _table(30)
    with pytest.raises(ParameterError):
        simulacra.create_generator("privbayes", **params).fit(data, schema)


# -- behaviour ---------------------------------------------------------------------------------------
def test_large_epsilon_keeps_the_dependencies() -> None:
    data, schema = _table(4000)
    out = simulacra.create_generator("privbayes", epsilon=50.0, random_state=0).fit(data, schema).sample(4000)
    real = data.groupby("group")["level"].mean()
    synth = out.groupby("group")["level"].mean()
    assert abs(synth["a"] - real["a"]) < 0.6 and abs(synth["b"] - real["b"]) < 0.6
    assert abs(out.loc[out["group"] == "c", "score"].mean() - 80) < 8
    assert abs(out.loc[out["group"] == "a", "score"].mean() - 20) < 8
    assert out["group"].value_counts(normalize=True)["a"] == pytest.approx(0.5, abs=0.06)


def test_save_load_round_trip_records_the_privacy_spend(tmp_path: Path) -> None:
    data, schema = _table(300)
    gen = simulacra.create_generator("privbayes", epsilon=1.0, delta=1e-9, random_state=2).fit(data, schema)
    gen.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    privacy = manifest["state"]["generator"]["privacy"]
    assert privacy["epsilon"] == 1.0 and privacy["delta"] == 1e-9 and privacy["mechanism"] == "PrivBayes (gaussian)"
    assert set(privacy["split"]) == {"row count", "network", "conditionals"}
    assert manifest["data_fingerprint"]["n_rows"] == round(gen.network_.n_noisy)
    loaded = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=3), gen.sample(50, random_state=3))
    assert loaded.ledger_.spent_epsilon() == pytest.approx(1.0, rel=1e-6)


def test_bounds_get_codes_of_their_own_and_small_integer_ranges_are_exact() -> None:
    data, schema = _table(200)
    gen = simulacra.create_generator("privbayes", epsilon=1.0, random_state=0).fit(data, schema)
    dom, cols = gen.domain_, gen.columns_
    assert dom.sizes == [3, 10, 22]  # 3 categories; integers 0..9; 20 bins + the two bounds
    model = pd.DataFrame({"group": [0, 1, 2, 0], "level": [0.0, 9.0, 4.0, 12.0], "score": [0.0, 100.0, 50.0, 1e-3]})
    codes = dom.encode(model, cols)
    assert codes[:, 1].tolist() == [0, 9, 4, 9] and codes[:, 2].tolist() == [0, 21, 11, 1]
    back = dom.decode(codes, cols, np.random.default_rng(0))
    assert back["score"].tolist()[:2] == [0.0, 100.0] and 50.0 <= back["score"][2] < 55.0
    assert back["level"].tolist() == [0.0, 9.0, 4.0, 9.0]
    # a zero-inflated column keeps its spike: most synthetic values are exactly the bound
    spiky = data.assign(score=np.where(np.arange(200) % 4 == 0, 37.0, 0.0))
    out = simulacra.create_generator("privbayes", epsilon=5.0, random_state=0).fit(spiky, schema).sample(2000)
    assert (out["score"] == 0.0).mean() > 0.6


def test_cli_run_prints_the_privacy_spent_and_reports_the_frontier(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from simulacra.cli.main import app

    data, schema = _table(300)
    data.to_csv(tmp_path / "t.csv", index=False)
    schema.save(tmp_path / "public.json")
    args = ["run", str(tmp_path / "t.csv"), "-o", str(tmp_path / "out"), "--generator", "privbayes"]
    args += ["--epsilon", "1", "--schema", str(tmp_path / "public.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "differential privacy: epsilon 1 of 1" in " ".join(result.output.split())
    report = json.loads((tmp_path / "out" / "report" / "report.json").read_text())
    assert report["generator"]["privacy"]["mechanism"] == "PrivBayes (gaussian)"
    html = (tmp_path / "out" / "report" / "report.html").read_text()
    assert "Differential privacy" in html and "Privacy-utility frontier" in html
