"""Hand-made cases for each privacy metric, the shared formulas, bad input and determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulacra import InputError, ParameterError, profile
from simulacra.evaluation.base import Metric
from simulacra.evaluation.privacy import (
    NNDR,
    AttributeInference,
    DCRShare,
    ExactCopies,
    Linkability,
    MembershipInference,
    SinglingOut,
)
from simulacra.evaluation.privacy._common import attack_risk, nearest, wilson
from simulacra.evaluation.privacy.singling_out import _null_singles
from simulacra.schema import ColumnKind, ColumnSpec, TableSchema

from .conftest import Split

ALL = [ExactCopies, DCRShare, NNDR, MembershipInference, SinglingOut, Linkability, AttributeInference]

NUM = TableSchema(columns=(ColumnSpec(name="x", kind=ColumnKind.NUMERIC, dtype="float64"),))


def frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"x": np.asarray(values, dtype=float)})


# -- formulas ---------------------------------------------------------------------------------------


def test_wilson_known_values() -> None:
    z2 = 1.959963984540054**2
    assert wilson(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    lo, hi = wilson(50, 100)
    assert lo == pytest.approx(1 - hi) and lo == pytest.approx(0.4038, abs=1e-4)


def test_attack_risk_formula() -> None:
    r = attack_risk(60, 100, 20, 100)
    assert r["risk"] == pytest.approx((0.6 - 0.2) / 0.8)
    lo, hi = r["ci"]
    assert lo < r["risk"] < hi
    same = attack_risk(30, 100, 30, 100)
    assert same["risk"] == 0.0 and same["ci"][0] == 0.0 and same["ci"][1] > 0.0
    worse = attack_risk(10, 100, 30, 100)
    assert worse["risk"] == 0.0
    assert attack_risk(100, 100, 50, 100)["risk"] == 1.0


def test_null_singles_is_hypergeometric() -> None:
    # one match among 8 train + 2 holdout records: it lies in train with probability 8 / 10
    assert _null_singles(np.array([1]), np.array([0]), 8, 2)[0] == pytest.approx(0.8)
    # two matches: exactly one in train with probability 2 * (8 * 2) / (10 * 9)
    assert _null_singles(np.array([2]), np.array([0]), 8, 2)[0] == pytest.approx(32 / 90)
    assert _null_singles(np.array([0]), np.array([0]), 8, 2)[0] == 0.0


def test_nearest_exact_zero_and_order() -> None:
    ref = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    d, i = nearest(np.array([[3.0, 4.0], [0.9, 0.0]]), ref, k=2)
    assert d[0, 0] == 0.0 and i[0, 0] == 1
    assert list(i[1]) == [2, 0] and d[1] == pytest.approx([0.1, 0.9])


# -- tiny hand-made tables ----------------------------------------------------------------------------


def test_exact_copies_normalises_numbers_and_missing() -> None:
    schema = TableSchema(
        columns=(
            ColumnSpec(name="n", kind=ColumnKind.NUMERIC, dtype="float64"),
            ColumnSpec(name="c", kind=ColumnKind.CATEGORICAL, dtype="object"),
        )
    )
    train = pd.DataFrame({"n": [1, 2, 3], "c": ["a", None, "b"]})
    holdout = pd.DataFrame({"n": [1.0, 5.0], "c": ["a", "a"]})
    synthetic = pd.DataFrame({"n": [1.0, 2.0, 3.0, 4.0], "c": ["a", np.nan, "a", "b"]})
    r = ExactCopies().compute(train, synthetic, schema, holdout=holdout)
    assert r.score == pytest.approx(2 / 4)  # (1, a) and (2, missing) are copies
    assert r.reference == pytest.approx(1 / 2)
    assert r.details["synthetic_copies"] == 2


def test_dcr_share_counts_ties_half() -> None:
    train, holdout = frame([0.0, 1.0]), frame([0.5])
    synthetic = frame([0.1, 0.45, 0.25])  # nearest: train, holdout, tie (0.25 from 0 and from 0.5)
    r = DCRShare().compute(train, synthetic, NUM, holdout=holdout)
    assert r.score == pytest.approx((1 + 0 + 0.5) / 3)
    assert r.reference == pytest.approx(2 / 3)
    assert r.details["share_ties"] == pytest.approx(1 / 3)
    assert set(r.details["distances"]) >= {"synthetic_train", "synthetic_holdout", "holdout_train"}


def test_nndr_ratios() -> None:
    train, holdout = frame([0.0, 1.0, 3.0]), frame([2.0])
    one = NNDR(quantile=0.5).compute(train, frame([0.5]), NUM, holdout=holdout)
    assert one.score == pytest.approx(1.0)  # halfway between two training rows
    zero = NNDR(quantile=0.5).compute(train, frame([3.0]), NUM, holdout=holdout)
    assert zero.score == 0.0  # on a training row
    assert zero.reference == pytest.approx(1.0)  # the holdout row 2.0 is halfway between 1 and 3


def test_membership_copy_and_far() -> None:
    train = frame(list(np.arange(0, 40, 2.0)))  # 0, 2, ..., 38
    holdout = frame(list(np.arange(1, 80, 2.0)))  # 1, 3, ..., 79
    copy = MembershipInference().compute(train, train, NUM, holdout=holdout)
    assert copy.score == 1.0
    assert copy.details["share_members_found_verbatim"] == 1.0


def test_singling_out_on_unique_categories() -> None:
    schema = TableSchema(columns=tuple(ColumnSpec(name=c, kind=ColumnKind.CATEGORICAL, dtype="object") for c in "abcd"))
    rng = np.random.default_rng(0)
    train = pd.DataFrame({c: [f"{c}{i}" for i in rng.integers(0, 6, 300)] for c in "abcd"})
    holdout = pd.DataFrame({c: [f"{c}{i}" for i in rng.integers(0, 6, 100)] for c in "abcd"})
    train.loc[0] = ["rare_a", "rare_b", "rare_c", "rare_d"]
    r = SinglingOut(n_queries=50).compute(train, train, schema, holdout=holdout)
    assert r.score > 0.9
    assert r.details["modes"]["univariate"]["attack_rate"] == 1.0


def test_linkability_copy_links_every_target() -> None:
    rng = np.random.default_rng(0)
    cols = ["p", "q", "r", "s"]
    schema = TableSchema(columns=tuple(ColumnSpec(name=c, kind=ColumnKind.NUMERIC, dtype="float64") for c in cols))
    train = pd.DataFrame(rng.random((200, 4)), columns=cols)
    holdout = pd.DataFrame(rng.random((100, 4)), columns=cols)
    r = Linkability(aux_cols=(["p", "q"], ["r", "s"])).compute(train, train, schema, holdout=holdout)
    assert r.details["attack_rate"] == 1.0
    assert r.details["control_rate"] < 0.2
    assert r.score > 0.9
    with pytest.raises(ParameterError):
        Linkability(aux_cols=(["p"], ["p", "z"])).compute(train, train, schema, holdout=holdout)


def test_attribute_inference_numeric_tolerance_and_target() -> None:
    rng = np.random.default_rng(0)
    schema = TableSchema(
        columns=(
            ColumnSpec(name="k", kind=ColumnKind.NUMERIC, dtype="float64"),
            ColumnSpec(name="secret", kind=ColumnKind.NUMERIC, dtype="float64"),
        )
    )
    train = pd.DataFrame({"k": rng.random(200), "secret": rng.random(200) * 100})
    holdout = pd.DataFrame({"k": rng.random(100), "secret": rng.random(100) * 100})
    # synthetic = train with the secret nudged by 1 (inside 5% of the range): still a hit
    nudged = train.assign(secret=train["secret"] + 1.0)
    r = AttributeInference().compute(train, nudged, schema, holdout=holdout, target="secret")
    assert list(r.details["secrets"]) == ["secret"]
    assert r.details["secrets"]["secret"]["attack_rate"] == 1.0
    assert r.score > 0.8
    with pytest.raises(ParameterError):
        AttributeInference().compute(train, nudged, schema, holdout=holdout, target="nope")


# -- bad input, determinism, output shape --------------------------------------------------------------


@pytest.mark.parametrize("metric", ALL, ids=lambda m: m.__name__)
def test_missing_holdout_raises(metric: type[Metric]) -> None:
    with pytest.raises(InputError, match="holdout"):
        metric().compute(frame([1.0, 2.0]), frame([1.0]), NUM)


@pytest.mark.parametrize("metric", ALL, ids=lambda m: m.__name__)
def test_missing_column_and_empty_raise(metric: type[Metric]) -> None:
    with pytest.raises(InputError, match="lacks column"):
        metric().compute(frame([1.0, 2.0]), pd.DataFrame({"y": [1.0]}), NUM, holdout=frame([3.0, 4.0]))
    with pytest.raises(InputError, match="no rows"):
        metric().compute(frame([1.0, 2.0]), frame([]), NUM, holdout=frame([3.0, 4.0]))


@pytest.mark.parametrize("metric", ALL, ids=lambda m: m.__name__)
def test_deterministic_and_json_ready(adult_tiny: Split, metric: type[Metric]) -> None:
    s = adult_tiny
    synthetic = s.holdout.sample(frac=1.0, random_state=3).iloc[:300]
    holdout = s.holdout.drop(synthetic.index)
    a = metric().compute(s.train, synthetic, s.schema, holdout=holdout, random_state=7)
    b = metric().compute(s.train, synthetic, s.schema, holdout=holdout, random_state=7)
    assert a.to_dict() == b.to_dict()
    assert a.key == metric.key and a.key.startswith("privacy.")
    assert a.min_value <= a.score <= a.max_value
    assert a.ci is not None and a.ci[0] <= a.score <= a.ci[1]
    text = json.dumps(a.to_dict())
    # aggregates only: no cell value of the real data in the output
    for value in ("Bachelors", "Never-married", "Exec-managerial", "United-States"):
        assert value not in text


def test_profiled_schema_with_identifier_is_skipped() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"id": [f"ID{i:06d}" for i in range(300)], "v": rng.normal(size=300), "g": rng.choice(list("abc"), 300)}
    )
    schema = profile(df)
    r = DCRShare().compute(df.iloc[:200], df.iloc[:200], schema, holdout=df.iloc[200:])
    if schema["id"].kind is ColumnKind.IDENTIFIER:
        assert "id" in r.not_evaluated
    assert r.score > 0.9
