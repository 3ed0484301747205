from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from simulacra.evaluation.fidelity import Detection
from simulacra.evaluation.fidelity.detection import delong_se

from ._helpers import assert_json_ready, cat, mixed, num, schema_of


def _sample(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "c": rng.choice(["a", "b", "c"], n)})


SCHEMA = schema_of(num("x"), cat("c"))


def test_same_distribution_is_indistinguishable():
    result = Detection().compute(_sample(400, 0), _sample(400, 1), SCHEMA, holdout=_sample(300, 2))
    assert result.score == pytest.approx(0.5, abs=0.1)
    assert result.reference == pytest.approx(0.5, abs=0.1)
    assert result.ci is not None and result.ci[0] <= result.score <= result.ci[1]
    assert len(result.details["fold_aucs"]) == 5
    assert result.details["reference_rows_per_side"] == 300
    assert_json_ready(result)


def test_shifted_distribution_is_detected():
    result = Detection().compute(_sample(400, 0), _sample(400, 1, shift=4.0), SCHEMA)
    assert result.score > 0.95
    assert result.reference is None
    assert result.ci is not None and result.ci[1] <= 1.0


def test_categories_alone_are_detected_and_rows_are_balanced():
    real = pd.DataFrame({"c": ["a"] * 300 + ["b"] * 300})
    fake = pd.DataFrame({"c": ["z"] * 200})
    result = Detection().compute(real, fake, schema_of(cat("c")))
    assert result.score == pytest.approx(1.0)
    assert result.details["rows_per_side"] == 200


def test_deterministic_and_mixed_kinds():
    frame, schema = mixed(200)
    other, _ = mixed(200, seed=5)
    first = Detection(max_rows=150).compute(frame, other, schema, random_state=4)
    again = Detection(max_rows=150).compute(frame, other, schema, random_state=4)
    assert first.score == again.score
    assert "id" in first.not_evaluated
    assert first.details["rows_per_side"] == 150


def test_many_categories_fit_the_classifier():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"c": [f"k{i}" for i in rng.integers(0, 400, 600)]})
    fake = pd.DataFrame({"c": [f"k{i}" for i in rng.integers(0, 400, 600)]})
    assert 0.3 < Detection().compute(real, fake, schema_of(cat("c"))).score < 0.7


def test_delong_matches_the_pairwise_definition():
    rng = np.random.default_rng(0)
    y = np.array([0] * 12 + [1] * 9)
    s = np.round(rng.normal(size=21) + y, 1)  # with ties
    pos, neg = s[y == 1], s[y == 0]
    psi = np.array([[1.0 if p > q else 0.5 if p == q else 0.0 for q in neg] for p in pos])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    expected = np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    assert delong_se(y, s) == pytest.approx(expected)
    assert list(itertools.islice(iter(psi.shape), 2)) == [9, 12]
