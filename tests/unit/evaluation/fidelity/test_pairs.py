from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from simulacra.evaluation.fidelity import ColumnPairs, ColumnPairsStrong
from simulacra.evaluation.fidelity.pairs import cramers_v, pearson

from ._helpers import assert_json_ready, cat, mixed, num, schema_of


def test_identical_tables_score_one():
    frame, schema = mixed()
    for metric in (ColumnPairs(), ColumnPairsStrong()):
        result = metric.compute(frame, frame, schema, holdout=frame)
        assert result.score == pytest.approx(1.0)
        assert result.reference == pytest.approx(1.0)
        assert "id" in result.not_evaluated
        assert_json_ready(result)


def test_known_correlation_gap():
    schema = schema_of(num("x"), num("y"))
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})  # rho = 1
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, -1.0, -1.0, 1.0]})  # rho = 0
    result = ColumnPairs().compute(real, synthetic, schema)
    assert result.score == pytest.approx(0.5)  # 1 - |1 - 0| / 2
    (pair,) = result.details["pairs"]
    assert pair["metric"] == "CorrelationSimilarity"
    assert pair["real_association"] == pytest.approx(1.0)
    assert pair["strong"] is True
    assert ColumnPairsStrong().compute(real, synthetic, schema).score == pytest.approx(0.5)


def test_swapped_pairs_have_identical_shapes_but_score_zero():
    schema = schema_of(cat("a"), cat("b"))
    real = pd.DataFrame({"a": ["p", "q"] * 10, "b": ["x", "y"] * 10})
    synthetic = pd.DataFrame({"a": ["p", "q"] * 10, "b": ["y", "x"] * 10})
    result = ColumnPairs().compute(real, synthetic, schema)
    assert result.score == pytest.approx(0.0)
    assert result.details["pairs"][0]["metric"] == "ContingencySimilarity"


def test_numbers_are_binned_on_each_tables_own_edges_as_sdmetrics_does():
    schema = schema_of(num("x"), cat("c"))
    real = pd.DataFrame({"x": np.arange(100.0), "c": ["lo"] * 50 + ["hi"] * 50})
    # x shifted far beyond the real range keeps its relation to c on its own bins: SDMetrics 0.32's
    # QualityReport scores it 1.0 too (the shift itself is what ColumnShapes reports)
    synthetic = real.assign(x=real["x"] + 1000)
    assert ColumnPairs().compute(real, synthetic, schema).score == pytest.approx(1.0)
    # the relation reversed is seen
    reversed_ = real.assign(x=real["x"][::-1].to_numpy())
    assert ColumnPairs().compute(real, reversed_, schema).score == pytest.approx(0.0, abs=1e-9)


def test_missing_cells_are_a_value_of_their_own_in_contingency_tables():
    schema = schema_of(cat("a"), cat("b"))
    real = pd.DataFrame({"a": ["p", "q", None, None], "b": ["x", "y", "x", "y"]})
    synthetic = pd.DataFrame({"a": ["p", "q", "p", "q"], "b": ["x", "y", "x", "y"]})
    assert ColumnPairs().compute(real, synthetic, schema).score == pytest.approx(0.5)


def test_strong_pairs_use_real_association_thresholds():
    rng = np.random.default_rng(0)
    n = 400
    a = rng.choice(["p", "q"], size=n)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": np.where(a == "p", "x", "y"),  # V = 1 with a
            "noise": rng.choice(["u", "v"], size=n),  # V ~ 0
            "x": x,
            "y": x + rng.normal(scale=0.1, size=n),  # rho ~ 1 with x
        }
    )
    schema = schema_of(cat("a"), cat("b"), cat("noise"), num("x"), num("y"))
    result = ColumnPairsStrong().compute(frame, frame.sample(frac=1, random_state=1), schema)
    strong = {(p["column_1"], p["column_2"]) for p in result.details["pairs"] if p["strong"]}
    assert strong == {("a", "b"), ("x", "y")}
    assert result.details["n_pairs"] == 10
    assert result.details["n_strong_pairs"] == 2


def test_no_strong_pair_gives_undefined_score():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.choice(["p", "q"], 200), "b": rng.choice(["x", "y"], 200)})
    result = ColumnPairsStrong().compute(frame, frame, schema_of(cat("a"), cat("b")))
    assert np.isnan(result.score)
    assert result.to_dict()["score"] is None


def test_cramers_v_and_pearson_match_scipy_and_numpy():
    table = np.array([[10, 3, 0], [2, 8, 5]])
    assert cramers_v(table) == pytest.approx(association(table, method="cramer"))
    assert cramers_v(np.array([[0, 0], [3, 4]])) != cramers_v(np.array([[0, 0], [3, 4]]))  # one row: undefined
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=50), rng.normal(size=50)
    y[3] = np.nan
    ok = ~np.isnan(y)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x[ok], y[ok])[0, 1])


def test_constant_column_pair_is_listed_not_evaluated():
    schema = schema_of(num("x"), num("y"))
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 4.0]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0]})
    result = ColumnPairs().compute(real, synthetic, schema)
    assert "x / y" in result.not_evaluated
    assert np.isnan(result.score)


def test_association_matrices_for_the_heat_map():
    frame, schema = mixed()
    result = ColumnPairs().compute(frame, frame, schema, holdout=frame)
    assoc = result.details["association"]
    k = len(assoc["columns"])
    assert k == 7
    for side in ("real", "synthetic", "holdout"):
        assert len(assoc[side]) == k and all(len(row) == k for row in assoc[side])
    i, j = assoc["columns"].index("x"), assoc["columns"].index("y")
    assert assoc["real"][i][j] > 0.9


def test_large_tables_are_subsampled_deterministically():
    rng = np.random.default_rng(0)
    n = 60_000
    frame = pd.DataFrame({"a": rng.choice(list("pqr"), n), "b": rng.choice(list("xyz"), n)})
    other = pd.DataFrame({"a": rng.choice(list("pqr"), n), "b": rng.choice(list("xyz"), n)})
    schema = schema_of(cat("a"), cat("b"))
    first = ColumnPairs().compute(frame, other, schema, random_state=3).score
    assert ColumnPairs().compute(frame, other, schema, random_state=3).score == first
    assert first == pytest.approx(1.0, abs=0.02)
