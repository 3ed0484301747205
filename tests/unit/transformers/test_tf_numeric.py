"""NumericTransformer: exact round trips, robust inverse, parsing errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _tf_helpers import assert_roundtrip, fit_transform, rebuild
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.errors import SchemaError
from simulacra.schema import ColumnKind, ColumnSpec
from simulacra.transformers import NumericTransformer

FAST = settings(max_examples=40, deadline=None)


def spec(dtype: str, **kw) -> ColumnSpec:
    return ColumnSpec(name="x", kind=ColumnKind.NUMERIC, dtype=dtype, **kw)


@FAST
@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=30))
def test_int64_roundtrip(values):
    assert_roundtrip([spec("int64")], pd.DataFrame({"x": np.array(values, dtype=np.int64)}))


@FAST
@given(
    st.integers(0, 6),
    st.lists(st.tuples(st.integers(-(10**9), 10**9), st.booleans()), min_size=1, max_size=30),
)
def test_float_decimals_with_nulls_roundtrip(decimals, items):
    values = [np.nan if null else k / 10**decimals for k, null in items]
    assert_roundtrip([spec("float64")], pd.DataFrame({"x": np.array(values, dtype=np.float64)}))


@FAST
@given(st.lists(st.one_of(st.none(), st.integers(-(10**9), 10**9)), min_size=1, max_size=30))
def test_nullable_int_roundtrip(values):
    assert_roundtrip([spec("Int64")], pd.DataFrame({"x": pd.array(values, dtype="Int64")}))


@FAST
@given(st.integers(0, 3), st.lists(st.one_of(st.none(), st.integers(-(10**7), 10**7)), min_size=1, max_size=30))
def test_text_numbers_with_token_roundtrip(decimals, values):
    text = ["N" if v is None else f"{v / 10**decimals:.{decimals}f}" for v in values]
    df = pd.DataFrame({"x": pd.Series(text, dtype="str")})
    t = assert_roundtrip([spec("str", null_token="N")], df)
    assert t.output_columns[0].name == "x"


def test_text_numbers_minimal_style_and_nan():
    df = pd.DataFrame({"x": pd.Series(["1.5", None, "2", "0.25", "-3"], dtype="str")})
    assert_roundtrip([spec("str")], df)


def test_float32_and_object_text():
    assert_roundtrip([spec("float32")], pd.DataFrame({"x": np.array([1.5, 2.25, -1.0], dtype=np.float32)}))
    assert_roundtrip([spec("object")], pd.DataFrame({"x": pd.Series(["1", None, "30"], dtype=object)}))


def test_model_columns_and_fill_keep_marginal():
    df = pd.DataFrame({"x": pd.array([1, None, 3, None, 5] * 20, dtype="Int64")})
    t, model = fit_transform([spec("Int64")], df)
    assert [c.name for c in t.output_columns] == ["x", "x.null"]
    assert set(np.unique(model["x"])) <= {1.0, 3.0, 5.0}
    assert model["x.null"].tolist() == df["x"].isna().astype(int).tolist()


@FAST
@given(st.integers(0, 2**32 - 1))
def test_inverse_respects_bounds_decimals_dtype_and_indicator(seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": pd.Series(["0.5", "N", "10.25", "3.75"] * 5, dtype="str")})
    t, _ = fit_transform([spec("str", null_token="N", minimum=0, maximum=20)], df)
    n = 400
    cont = rng.normal(0, 1e6, n)
    cont[:5] = [np.inf, -np.inf, np.nan, 1e300, -1e300]
    null = rng.integers(0, 2, n)
    out = t.inverse_transform({"x": cont, "x.null": null}, n, rng)["x"]
    assert str(out.dtype) == "str"
    assert (out[null == 1] == "N").all()
    nums = out[null == 0].astype(float)
    assert nums.between(0, 20).all()
    assert out[null == 0].str.fullmatch(r"-?\d+\.\d{1,2}").all()


def test_inverse_int_dtype_and_learned_bounds():
    df = pd.DataFrame({"x": np.array([17, 90, 40], dtype=np.int64)})
    t, _ = fit_transform([spec("int64")], df)
    out = t.inverse_transform({"x": np.array([-5.0, 1000.0, 33.6])}, 3, np.random.default_rng(0))["x"]
    assert out.dtype == np.int64
    assert out.tolist() == [17, 90, 34]


def test_state_rebuild_and_determinism():
    df = pd.DataFrame({"x": [1.25, np.nan, 7.5, 3.0]})
    t, model = fit_transform([spec("float64")], df)
    again = rebuild(t)
    a = t.inverse_transform(model, 4, np.random.default_rng(3))
    b = again.inverse_transform(model, 4, np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
    _, m1 = fit_transform([spec("float64")], df, seed=5)
    _, m2 = fit_transform([spec("float64")], df, seed=5)
    np.testing.assert_array_equal(m1["x"], m2["x"])


def test_non_numbers_raise_without_values():
    df = pd.DataFrame({"x": pd.Series(["1", "secret-value", "3"], dtype="str")})
    with pytest.raises(SchemaError) as err:
        NumericTransformer([spec("str")]).fit(df, np.random.default_rng(0))
    assert "secret" not in str(err.value) and "1 value(s)" in str(err.value)


def test_unfitted_raises():
    from simulacra.errors import NotFittedError

    with pytest.raises(NotFittedError):
        _ = NumericTransformer([spec("int64")]).output_columns
