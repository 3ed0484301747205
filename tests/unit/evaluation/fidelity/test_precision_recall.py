from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.evaluation.fidelity import AlphaPrecision, BetaRecall
from simulacra.evaluation.fidelity.precision_recall import alpha_beta_curves

from ._helpers import assert_json_ready, cat, mixed, num, schema_of


def _blob(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "y": rng.normal(shift, 1, n)})


SCHEMA = schema_of(num("x"), num("y"))


def test_identical_tables_score_about_one():
    frame, schema = mixed()
    for metric in (AlphaPrecision(), BetaRecall()):
        result = metric.compute(frame, frame, schema, holdout=frame)
        assert result.score == pytest.approx(1.0, abs=0.02)
        assert result.reference == pytest.approx(result.score)
        assert len(result.details["curve"]) == 30
        assert "id" in result.not_evaluated
        assert_json_ready(result)


def test_fresh_sample_is_precise_and_recall_sits_near_one_half():
    # with equal sizes a real row's nearest synthetic row beats its nearest real one half the time
    precision = AlphaPrecision().compute(_blob(800, 0), _blob(800, 1), SCHEMA).score
    recall = BetaRecall().compute(_blob(800, 0), _blob(800, 1), SCHEMA).score
    assert precision > 0.9
    assert recall == pytest.approx(0.5, abs=0.1)


def test_far_away_synthetic_rows_have_no_precision_or_recall():
    real, far = _blob(300, 0), _blob(300, 1, shift=50.0)
    assert AlphaPrecision().compute(real, far, SCHEMA).score < 0.1
    assert BetaRecall().compute(real, far, SCHEMA).score < 0.1


def test_mode_collapse_keeps_precision_but_loses_recall():
    real = _blob(500, 0)
    collapsed = pd.DataFrame({"x": np.zeros(500), "y": np.zeros(500)}) + np.random.default_rng(2).normal(
        0, 0.05, (500, 2)
    )
    precision = AlphaPrecision().compute(real, collapsed, SCHEMA).score
    recall = BetaRecall().compute(real, collapsed, SCHEMA).score
    assert recall < 0.1
    assert precision > recall


def test_subsampling_is_seeded_and_equal_sized():
    real, other = _blob(300, 0), _blob(200, 1)
    metric = AlphaPrecision(max_rows=150)
    first = metric.compute(real, other, SCHEMA, random_state=7)
    assert first.details["rows_per_side"] == 150
    assert metric.compute(real, other, SCHEMA, random_state=7).score == first.score
    assert first.details["authenticity"] is not None


def test_curves_function_on_arrays():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    out = alpha_beta_curves(x, x.copy())
    assert out["alpha_precision"] == pytest.approx(1.0, abs=0.02)
    assert out["authenticity"] == 0.0  # every synthetic row is a copy


def test_categorical_only_table():
    schema = schema_of(cat("c"))
    frame = pd.DataFrame({"c": list("aabbc") * 20})
    assert AlphaPrecision().compute(frame, frame, schema).score == pytest.approx(1.0, abs=0.02)
    assert BetaRecall().compute(frame, frame, schema).score == pytest.approx(1.0, abs=0.02)
