from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from simulacra.errors import InputError
from simulacra.evaluation.fidelity import ColumnShapes, MissingValues
from simulacra.evaluation.fidelity.shapes import ks_complement, tv_complement

from ._helpers import assert_json_ready, cat, mixed, num, schema_of


def test_identical_tables_score_one_and_reference_is_holdout_score():
    frame, schema = mixed()
    result = ColumnShapes().compute(frame, frame, schema, holdout=frame)
    assert result.score == pytest.approx(1.0)
    assert result.reference == pytest.approx(1.0)
    assert result.key == "fidelity.column_shapes"
    assert set(result.details["columns"]) == {"x", "y", "group", "city", "day", "lat", "lon"}
    assert "id" in result.not_evaluated
    assert_json_ready(result)


def test_no_holdout_means_no_reference():
    frame, schema = mixed()
    assert ColumnShapes().compute(frame, frame, schema).reference is None


def test_known_ks_and_tv_values():
    schema = schema_of(num("x"), cat("c"))
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
    synthetic = pd.DataFrame({"x": [3.0, 4.0, 5.0, 6.0], "c": ["a", "b", "b", "b"]})
    result = ColumnShapes().compute(real, synthetic, schema)
    columns = result.details["columns"]
    assert columns["x"]["metric"] == "KSComplement"
    assert columns["x"]["score"] == pytest.approx(0.5)  # ECDFs differ by 0.5 at x = 2
    assert columns["c"]["metric"] == "TVComplement"
    assert columns["c"]["score"] == pytest.approx(0.75)  # |0.5 - 0.25| + |0.5 - 0.75| = 0.5, halved
    assert result.score == pytest.approx(0.625)


def test_disjoint_categories_score_zero():
    schema = schema_of(cat("c"))
    result = ColumnShapes().compute(pd.DataFrame({"c": ["a", "b"]}), pd.DataFrame({"c": ["x", "y"]}), schema)
    assert result.score == 0.0


def test_ks_complement_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=300), rng.normal(0.3, 1.2, size=200)
    b[:20] = a[:20]  # ties across samples
    assert ks_complement(a, b) == pytest.approx(1 - ks_2samp(a, b).statistic)


def test_tv_counts_categories_only_one_side_has():
    assert tv_complement(np.array(["a", "a"]), np.array(["a", "z"])) == pytest.approx(0.5)


def test_missing_cells_are_left_out_of_shapes():
    schema = schema_of(cat("c"), num("x"))
    real = pd.DataFrame({"c": ["a", "b", None, None], "x": [1.0, 2.0, np.nan, np.nan]})
    synthetic = pd.DataFrame({"c": ["a", "b", "a", "b"], "x": [1.0, 2.0, 1.0, 2.0]})
    assert ColumnShapes().compute(real, synthetic, schema).score == pytest.approx(1.0)


def test_null_token_counts_as_missing():
    schema = schema_of(cat("c").with_(null_token="?"))
    real = pd.DataFrame({"c": ["a", "?", "?", "b"]})
    synthetic = pd.DataFrame({"c": ["a", "b", "b", "a"]})
    assert ColumnShapes().compute(real, synthetic, schema).score == pytest.approx(1.0)
    assert MissingValues().compute(real, synthetic, schema).score == pytest.approx(0.5)


def test_column_missing_everywhere_on_one_side_is_not_evaluated():
    schema = schema_of(num("x"), num("y"))
    real = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 2.0]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0], "y": [np.nan, np.nan]})
    result = ColumnShapes().compute(real, synthetic, schema)
    assert "synthetic" in result.not_evaluated["y"]
    assert list(result.details["columns"]) == ["x"]


def test_distributions_hold_frequencies_and_rounded_edges_only():
    frame, schema = mixed()
    other = frame.sample(frac=1.0, random_state=3, replace=True)
    result = ColumnShapes().compute(frame, other, schema, holdout=frame)
    dist = result.details["columns"]["x"]["distribution"]
    assert len(dist["bin_edges"]) == 21
    assert all(len(f"{abs(e):.15g}".replace(".", "").replace("-", "").strip("0")) <= 3 for e in dist["bin_edges"])
    for side in ("real", "synthetic", "holdout"):
        assert sum(dist[side]) == pytest.approx(1.0, abs=1e-5)
    cats = result.details["columns"]["city"]["distribution"]
    assert set(cats["categories"]) == {"a", "b", "c"}
    assert cats["real_missing"] > 0
    assert result.details["columns"]["day"]["distribution"]["unit"] == "epoch_seconds"


def test_many_categories_are_capped_for_plots():
    schema = schema_of(cat("c"))
    real = pd.DataFrame({"c": [f"k{i % 50}" for i in range(500)]})
    dist = ColumnShapes().compute(real, real, schema).details["columns"]["c"]["distribution"]
    assert len(dist["categories"]) == 31
    assert dist["categories"][-1] == "(other)"
    assert sum(dist["real"]) == pytest.approx(1.0)


def test_missing_values_similarity():
    schema = schema_of(num("x"), cat("c"))
    real = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.nan], "c": ["a", "b", "c", "d"]})
    synthetic = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", None, "c", "d"]})
    holdout = real.copy()
    result = MissingValues().compute(real, synthetic, schema, holdout=holdout)
    assert result.details["columns"]["x"]["score"] == pytest.approx(0.5)
    assert result.details["columns"]["c"]["score"] == pytest.approx(0.75)
    assert result.score == pytest.approx(0.625)
    assert result.reference == pytest.approx(1.0)
    assert_json_ready(result)


@pytest.mark.parametrize("metric", [ColumnShapes(), MissingValues()])
def test_bad_inputs_raise_input_error_naming_columns(metric):
    schema = schema_of(num("x"), num("y"))
    real = pd.DataFrame({"x": [1.0], "y": [2.0]})
    with pytest.raises(InputError, match=r"lacks column\(s\) \['y'\]"):
        metric.compute(real, pd.DataFrame({"x": [1.0]}), schema)
    with pytest.raises(InputError, match=r"\['z'\]"):
        metric.compute(real, real.assign(z=1.0), schema)
    with pytest.raises(InputError, match="synthetic table has no rows"):
        metric.compute(real, real.iloc[:0], schema)
    with pytest.raises(InputError, match="holdout"):
        metric.compute(real, real, schema, holdout=real[["x"]])
