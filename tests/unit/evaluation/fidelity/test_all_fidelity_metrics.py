"""What every fidelity metric promises: identity, JSON-ready results, references, input checks, seeds."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simulacra.evaluation.fidelity as fidelity
from simulacra.errors import InputError
from simulacra.evaluation.base import Metric

from ._helpers import assert_json_ready, mixed

METRICS = [getattr(fidelity, name) for name in fidelity.__all__]


def test_all_is_sorted_and_keys_are_unique():
    assert fidelity.__all__ == sorted(fidelity.__all__)
    keys = [m.key for m in METRICS]
    assert len(set(keys)) == len(keys)
    assert all(k.startswith("fidelity.") for k in keys)
    assert all(issubclass(m, Metric) and m.description for m in METRICS)


@pytest.fixture(scope="module")
def tables():
    real, schema = mixed(240, seed=0)
    synthetic, _ = mixed(200, seed=1)
    holdout, _ = mixed(120, seed=2)
    return real, synthetic, holdout, schema


@pytest.mark.parametrize("cls", METRICS, ids=lambda c: c.key)
def test_result_shape_reference_and_determinism(cls, tables):
    real, synthetic, holdout, schema = tables
    result = cls().compute(real, synthetic, schema, holdout=holdout, random_state=3)
    assert result.key == cls.key
    assert cls.min_value <= result.score <= cls.max_value
    assert result.reference is not None
    assert "id" in result.not_evaluated
    assert_json_ready(result)
    again = cls().compute(real, synthetic, schema, holdout=holdout, random_state=3)
    assert again.score == result.score and again.reference == result.reference
    assert cls().compute(real, synthetic, schema).reference is None


@pytest.mark.parametrize("cls", METRICS, ids=lambda c: c.key)
def test_input_errors(cls, tables):
    real, synthetic, _, schema = tables
    with pytest.raises(InputError, match="'x'"):
        cls().compute(real, synthetic.drop(columns="x"), schema)
    with pytest.raises(InputError, match="real table has no rows"):
        cls().compute(real.iloc[:0], synthetic, schema)


@pytest.mark.parametrize("cls", METRICS, ids=lambda c: c.key)
def test_progress_calls_are_balanced(cls, tables):
    real, synthetic, _, schema = tables
    calls: list[str] = []

    class Recorder:
        def start(self, task: str, total: float | None = None) -> None:
            calls.append("start")

        def advance(self, task: str, amount: float = 1.0) -> None:
            calls.append("advance")

        def end(self, task: str) -> None:
            calls.append("end")

        def message(self, text: str) -> None:
            calls.append("message")

    cls().compute(real, synthetic, schema, progress=Recorder())
    assert calls.count("start") == calls.count("end")


def test_details_hold_no_real_cell_values(tables):
    real, synthetic, holdout, schema = tables
    numbers = {round(float(v), 6) for v in np.concatenate([real["x"].to_numpy(), real["lat"].to_numpy()])}
    for cls in METRICS:
        text = json.dumps(cls().compute(real, synthetic, schema, holdout=holdout).to_dict())
        assert not any(f"{v}" in text for v in list(numbers)[:50] if abs(v) > 1e-3), cls.key
