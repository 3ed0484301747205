from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import ParameterError
from simulacra.generators.statistical._marginals import fit_marginal


def _tvd(a: pd.Series, b: pd.Series) -> float:
    pa, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    idx = pa.index.union(pb.index)
    return float(0.5 * np.abs(pa.reindex(idx, fill_value=0) - pb.reindex(idx, fill_value=0)).sum())


def test_keeps_correlation_and_marginals() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.normal(50, 10, n)
    y = 0.8 * (x - 50) / 10 + 0.6 * rng.normal(size=n)
    df = pd.DataFrame({"x": np.round(x, 1), "y": np.round(np.exp(y), 3), "z": rng.exponential(2.0, n).round(2)})
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(df)
    out = gen.sample(n, random_state=1)
    real_rho = df.corr(method="spearman").loc["x", "y"]
    syn_rho = out.corr(method="spearman").loc["x", "y"]
    assert abs(real_rho - syn_rho) < 0.05
    from scipy.stats import ks_2samp

    for c in df.columns:
        assert ks_2samp(df[c], out[c]).statistic < 0.05, c


def test_category_frequencies_and_nonmonotone_relation_survive() -> None:
    # "relationship" determines "sex" in a way no single ordering makes monotone; stratification must keep it
    rng = np.random.default_rng(1)
    n = 4000
    rel = rng.choice(["husband", "wife", "child", "single"], n, p=[0.4, 0.1, 0.2, 0.3])
    sex = np.where(rel == "husband", "M", np.where(rel == "wife", "F", rng.choice(["M", "F"], n)))
    married = np.where(np.isin(rel, ["husband", "wife"]), "yes", "no")
    age = np.where(rel == "child", rng.integers(5, 20, n), rng.integers(20, 80, n))
    df = pd.DataFrame({"rel": rel, "sex": sex, "married": married, "age": age})
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(df)
    assert gen.stratum_column_ is not None
    out = gen.sample(n, random_state=2)
    assert _tvd(df["rel"], out["rel"]) < 0.03
    joint_real = df["rel"] + "|" + df["sex"] + "|" + df["married"]
    joint_syn = out["rel"] + "|" + out["sex"] + "|" + out["married"]
    assert _tvd(joint_real, joint_syn) < 0.06
    assert out.loc[out["rel"] == "child", "age"].max() < 20


def test_stratify_none_and_named() -> None:
    df = pd.DataFrame({"a": ["x", "y", "z"] * 300, "b": np.arange(900) % 7})
    gen = simulacra.create_generator("gaussian_copula", stratify="none", random_state=0).fit(df)
    assert gen.stratum_column_ is None and len(gen.strata_) == 1
    gen = simulacra.create_generator("gaussian_copula", stratify="a", min_stratum_rows=50, random_state=0).fit(df)
    assert len(gen.strata_) == 3
    with pytest.raises(ParameterError, match="not a categorical column"):
        simulacra.create_generator("gaussian_copula", stratify="nope").fit(df)


@pytest.mark.parametrize(
    "params",
    [{"marginals": "magic"}, {"min_stratum_rows": 1}, {"n_quantiles": 0}, {"stratify": 3}, {"random_state": "x"}],
)
def test_bad_parameters(params: dict) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ParameterError):
        simulacra.create_generator("gaussian_copula", **params).fit(df)


def test_marginal_choice() -> None:
    rng = np.random.default_rng(0)
    normal = rng.normal(3, 2, 5000)
    assert fit_marginal(normal, "auto", 1000, rng).kind in ("norm", "truncnorm")
    lumpy = np.concatenate([np.zeros(4000), rng.exponential(1000, 1000)])
    assert fit_marginal(lumpy, "auto", 1000, rng).kind == "empirical"
    assert fit_marginal(lumpy, "parametric", 1000, rng).kind != "empirical"
    grid = fit_marginal(normal, "empirical", 1000, rng).grid
    assert grid is not None and len(grid) == 501  # one grid point per 10 rows at most: a summary, not the data


def test_table_of_identifiers_only() -> None:
    df = pd.DataFrame({"id": np.arange(1, 43)})
    out = simulacra.create_generator("gaussian_copula", random_state=0).fit(df).sample(10, random_state=0)
    assert len(out) == 10 and out["id"].is_unique and not set(out["id"]) & set(df["id"])
