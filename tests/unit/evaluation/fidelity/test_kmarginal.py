from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.evaluation.fidelity import KMarginal

from ._helpers import assert_json_ready, cat, mixed, num, schema_of


def test_identical_tables_score_1000():
    frame, schema = mixed()
    result = KMarginal().compute(frame, frame, schema, holdout=frame)
    assert result.score == pytest.approx(1000.0)
    assert result.reference == pytest.approx(1000.0)
    assert result.details["k"] == 3
    assert result.details["n_marginals"] == 35  # C(7, 3): the identifier is not judged
    assert "id" in result.not_evaluated
    assert_json_ready(result)


def test_disjoint_tables_score_zero():
    schema = schema_of(cat("a"), cat("b"), cat("c"))
    real = pd.DataFrame({"a": ["p"] * 4, "b": ["q"] * 4, "c": ["r"] * 4})
    synthetic = pd.DataFrame({"a": ["x"] * 4, "b": ["q"] * 4, "c": ["r"] * 4})
    assert KMarginal().compute(real, synthetic, schema).score == pytest.approx(0.0)


def test_hand_computed_marginal():
    schema = schema_of(cat("a"), cat("b"), cat("c"))
    real = pd.DataFrame({"a": list("xxyy"), "b": ["q"] * 4, "c": ["r"] * 4})
    synthetic = pd.DataFrame({"a": list("xxxy"), "b": ["q"] * 4, "c": ["r"] * 4})
    # one marginal; L1 = |0.5 - 0.75| + |0.5 - 0.25| = 0.5; (2 - 0.5) * 500 = 750
    result = KMarginal().compute(real, synthetic, schema)
    assert result.score == pytest.approx(750.0)
    assert result.details["columns"]["a"]["score"] == pytest.approx(750.0)


def test_fewer_columns_use_smaller_marginals():
    schema = schema_of(cat("a"))
    real = pd.DataFrame({"a": list("xxyy")})
    result = KMarginal().compute(real, pd.DataFrame({"a": list("xxxx")}), schema)
    assert result.details["k"] == 1
    assert result.score == pytest.approx(500.0)


def test_numbers_use_percentile_bins_of_the_real_data():
    schema = schema_of(num("x"), cat("c"), cat("d"))
    real = pd.DataFrame({"x": np.arange(100.0), "c": ["p"] * 100, "d": ["q"] * 100})
    # values moved inside their bins keep the score
    inside = real.assign(x=real["x"] - 0.5)
    assert KMarginal().compute(real, inside, schema).score == pytest.approx(1000.0)
    # SDNist's bins: int(20 * pct_rank), the top rank folded into bin 19, so the last bin holds 6 of the
    # 100 real values. Values beyond the real maximum join it: L1 = 0.94 + 0.94, score (2 - 1.88) * 500
    beyond = real.assign(x=real["x"] + 1000)
    assert KMarginal().compute(real, beyond, schema).score == pytest.approx(60.0)


def test_random_subset_of_marginals_is_seeded():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": rng.choice(list("ab"), 50) for i in range(8)})
    other = pd.DataFrame({f"c{i}": rng.choice(list("ab"), 50) for i in range(8)})
    schema = schema_of(*(cat(f"c{i}") for i in range(8)))
    metric = KMarginal(max_marginals=10)
    first = metric.compute(frame, other, schema, random_state=1)
    assert first.details["n_marginals"] == 10
    assert first.details["n_possible_marginals"] == 56
    assert metric.compute(frame, other, schema, random_state=1).score == first.score
    full = KMarginal().compute(frame, other, schema)
    assert full.details["n_marginals"] == 56
