"""CategoricalTransformer: exact spellings and dtypes, codes in the schema's order, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _tf_helpers import assert_roundtrip, fit_transform
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.errors import SchemaError
from simulacra.schema import ColumnKind, ColumnSpec

FAST = settings(max_examples=40, deadline=None)


def spec(dtype: str, **kw) -> ColumnSpec:
    return ColumnSpec(name="c", kind=ColumnKind.CATEGORICAL, dtype=dtype, **kw)


@FAST
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab NA", max_size=4)), min_size=1, max_size=30))
def test_text_with_spaces_and_nulls_roundtrip(values):
    df = pd.DataFrame({"c": pd.Series(values, dtype="str")})
    assert_roundtrip([spec("str")], df)


@FAST
@given(st.lists(st.one_of(st.none(), st.text(alphabet="xy ", max_size=3)), min_size=1, max_size=20))
def test_object_roundtrip(values):
    assert_roundtrip([spec("object")], pd.DataFrame({"c": pd.Series(values, dtype=object)}))


@FAST
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=30))
def test_int_roundtrip(values):
    assert_roundtrip([spec("int64")], pd.DataFrame({"c": np.array(values, dtype=np.int64)}))


@FAST
@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=1, max_size=30))
def test_nullable_int_roundtrip(values):
    assert_roundtrip([spec("Int64")], pd.DataFrame({"c": pd.array(values, dtype="Int64")}))


@FAST
@given(st.lists(st.booleans(), min_size=1, max_size=30))
def test_bool_roundtrip(values):
    assert_roundtrip([spec("bool")], pd.DataFrame({"c": np.array(values, dtype=bool)}))


@FAST
@given(st.lists(st.one_of(st.none(), st.booleans()), min_size=1, max_size=30))
def test_boolean_roundtrip(values):
    assert_roundtrip([spec("boolean")], pd.DataFrame({"c": pd.array(values, dtype="boolean")}))


@FAST
@given(st.lists(st.one_of(st.none(), st.sampled_from(["lo", "mid", "hi"])), min_size=1, max_size=30), st.booleans())
def test_category_roundtrip(values, ordered):
    dtype = pd.CategoricalDtype(["lo", "mid", "hi", "unused"], ordered=ordered)
    assert_roundtrip([spec("category")], pd.DataFrame({"c": pd.Series(values, dtype=dtype)}))


def test_float_labels_roundtrip():
    assert_roundtrip([spec("float64")], pd.DataFrame({"c": [1.5, np.nan, 2.0, 1.5]}))


def test_codes_follow_spec_order_and_learned_order():
    df = pd.DataFrame({"c": pd.Series(["b", "a", "b", None, "c", "b", "a"], dtype="str")})
    t, model = fit_transform([spec("str", categories=("c", "b", "a"))], df)
    assert model["c"].tolist() == [1, 2, 1, 3, 0, 1, 2]
    assert t.output_columns[0].n_categories == 4
    _, model2 = fit_transform([spec("str")], df)
    assert model2["c"].tolist() == [0, 1, 0, 3, 2, 0, 1]  # b (3), a (2), c (1), missing


def test_unknown_values_raise_with_count_not_values():
    df = pd.DataFrame({"c": pd.Series(["x", "secret1", "secret2"], dtype="str")})
    with pytest.raises(SchemaError) as err:
        fit_transform([spec("str", categories=("x",))], df)
    msg = str(err.value)
    assert "'c'" in msg and "2 value(s)" in msg and "secret" not in msg and "categories" in msg


def test_bool_and_int_labels_stay_apart():
    df = pd.DataFrame({"c": pd.Series([True, 1, "1", False, 0], dtype=object)})
    assert_roundtrip([spec("object")], df)


@FAST
@given(st.integers(0, 2**32 - 1))
def test_any_code_gives_valid_labels_and_missing_rate(seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"c": pd.array([True, None, False, True], dtype="boolean")})
    t, _ = fit_transform([spec("boolean")], df)
    n = 500
    codes = rng.integers(0, 3, n)
    out = t.inverse_transform({"c": codes}, n, rng)["c"]
    assert str(out.dtype) == "boolean"
    assert out.isna().to_numpy().tolist() == (codes == 2).tolist()
    assert set(out.dropna().tolist()) <= {True, False}
    # out-of-range and float codes are clipped, never crash
    wild = t.inverse_transform({"c": np.array([-3.0, 99.0, np.nan, 1.4])}, 4, rng)["c"]
    assert len(wild) == 4
