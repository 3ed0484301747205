"""simulacra's column shapes and pair trends agree with SDMetrics 0.32's QualityReport on UCI Adult.

The SDMetrics figures below were computed once with
``.venv/bin/python tests/unit/evaluation/fidelity/_sdmetrics_reference.py`` (this folder), which scores
the same tables with ``sdmetrics.reports.QualityReport`` in ``benchmarks/.venv-sdv``: sdmetrics 0.32.0,
pandas 2.3.3, numpy 2.4.6, scipy 1.17.1; metadata: age, fnlwgt, education-num, capital-gain,
capital-loss, hours-per-week numerical, the other 9 columns categorical. "strong" is Column Pair Trends
with the report's default thresholds (|Pearson| > 0.5, Cramér's V > 0.3), "all" the same with both
thresholds set to 0. Real = the train split; the holdout row scores the holdout against train.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest

from simulacra.evaluation.fidelity import ColumnPairs, ColumnPairsStrong, ColumnShapes
from simulacra.schema import ColumnKind

from ._sdmetrics_reference import ADULT, NUMERICAL, adult_split, independent_columns, partly_shuffled

SDMETRICS: dict[str, dict[str, float | None]] = {
    "independent": {"column_shapes": 0.995319, "pairs_strong": 0.764305, "pairs_all": 0.924729},
    "shuffled": {"column_shapes": 1.000000, "pairs_strong": 0.881007, "pairs_all": 0.961585},
    # the holdout judged against train: SDMetrics' report cuts each table on its own 10 bins, as we do
    "holdout": {"column_shapes": 0.990211, "pairs_strong": 0.982270, "pairs_all": 0.970608},
}
TOLERANCE = 0.005


@pytest.fixture(scope="module")
def adult():
    if not ADULT.exists():
        pytest.skip(f"shared dataset not found at {ADULT}")
    import simulacra

    train, holdout = adult_split()
    return train, holdout, simulacra.profile(train)


def _table(name: str, train: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
    if name == "independent":
        return independent_columns(train)
    if name == "shuffled":
        return partly_shuffled(train)
    return holdout


def test_profile_matches_the_sdmetrics_metadata(adult):
    _, _, schema = adult
    kinds = {spec.name: spec.kind for spec in schema}
    assert {n for n, k in kinds.items() if k is ColumnKind.NUMERIC} == set(NUMERICAL)
    assert all(k is ColumnKind.CATEGORICAL for n, k in kinds.items() if n not in NUMERICAL)


@pytest.mark.parametrize("name", list(SDMETRICS))
def test_agreement_with_sdmetrics(adult, name):
    train, holdout, schema = adult
    table = _table(name, train, holdout)
    expected = SDMETRICS[name]
    ours = {
        "column_shapes": ColumnShapes().compute(train, table, schema).score,
        "pairs_strong": ColumnPairsStrong().compute(train, table, schema).score,
        "pairs_all": ColumnPairs().compute(train, table, schema).score,
    }
    for key, value in ours.items():
        if expected[key] is not None:
            assert value == pytest.approx(expected[key], abs=TOLERANCE), key


def test_reference_is_the_holdout_score_and_pairs_are_fast(adult):
    train, holdout, schema = adult
    table = independent_columns(train)
    start = time.perf_counter()
    with_ref = ColumnPairsStrong().compute(train, table, schema, holdout=holdout)
    assert time.perf_counter() - start < 3.0  # 105 pairs, score and reference (about 0.3 s measured)
    assert with_ref.reference == pytest.approx(SDMETRICS["holdout"]["pairs_strong"], abs=TOLERANCE)
    assert with_ref.details["n_pairs"] == 105
