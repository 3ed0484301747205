"""Identifiers and PII: unique, same format and dtype, never a training value, deterministic."""

from __future__ import annotations

import re
import time
import uuid

import numpy as np
import pandas as pd
import pytest
from _tf_helpers import fit_transform, rebuild
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.schema import ColumnKind, ColumnSpec, PiiType
from simulacra.transformers import IdentifierTransformer
from simulacra.transformers.pii import iban_check

FAST = settings(max_examples=25, deadline=None)


def ident(dtype: str, **kw) -> ColumnSpec:
    return ColumnSpec(name="id", kind=ColumnKind.IDENTIFIER, dtype=dtype, **kw)


def sample(t, n: int, seed: int = 0, null: np.ndarray | None = None) -> pd.Series:
    model = {} if null is None else {"id.null": null}
    return t.inverse_transform(model, n, np.random.default_rng(seed))["id"]


def test_integer_ids_same_digit_space_unique_unseen():
    df = pd.DataFrame({"id": np.arange(1, 32562, dtype=np.int64)})
    t, model = fit_transform([ident("int64")], df)
    assert model == {} and t.output_columns == []
    out = sample(t, 20000)
    assert out.dtype == np.int64 and out.is_unique
    assert not out.isin(df["id"]).any()
    assert out.between(1, 99999).all()


def test_integer_ids_widen_when_space_is_full():
    df = pd.DataFrame({"id": np.arange(10, 100, dtype=np.int64)})  # every 2-digit number
    t, _ = fit_transform([ident("int64")], df)
    out = sample(t, 50)
    assert out.is_unique and not out.isin(df["id"]).any()
    assert out.between(100, 999).all()


@FAST
@given(st.sets(st.integers(0, 99), min_size=1, max_size=100), st.integers(1, 60), st.integers(0, 1000))
def test_small_spaces_never_leak(train, n, seed):
    df = pd.DataFrame({"id": np.array(sorted(train), dtype=np.int64)})
    t, _ = fit_transform([ident("int64")], df, seed=seed)
    out = sample(t, n, seed)
    assert out.is_unique and not out.isin(df["id"]).any() and len(out) == n


@FAST
@given(st.sets(st.from_regex(r"[A-C][0-2]-[a-b]", fullmatch=True), min_size=1, max_size=18), st.integers(1, 40))
def test_text_shape_ids_never_leak(train, n):
    df = pd.DataFrame({"id": pd.Series(sorted(train), dtype="str")})
    t, _ = fit_transform([ident("str")], df)
    out = sample(t, n)
    assert str(out.dtype) == "str" and out.is_unique and not out.isin(df["id"]).any()
    assert out.str.fullmatch(r"[A-Z]\d+-[a-z]").all()


def test_pattern_nulls_and_dtype():
    values = [f"HUTB-{i:06d}" for i in range(500)] + [None] * 20
    df = pd.DataFrame({"id": pd.Series(values, dtype="str")})
    t, _ = fit_transform([ident("str", pattern="AAAA-999999")], df)
    assert [c.name for c in t.output_columns] == ["id.null"]
    null = np.r_[np.zeros(100, dtype=np.int64), np.ones(30, dtype=np.int64)]
    out = sample(t, 130, null=null)
    assert out.isna().tolist() == (null == 1).tolist()
    kept = out.dropna()
    assert kept.is_unique and kept.str.fullmatch(r"[A-Z]{4}-\d{6}").all() and not kept.isin(values).any()


def test_nullable_int_and_uuid_ids():
    df = pd.DataFrame({"id": pd.array([101, None, 205, 999], dtype="Int64")})
    t, _ = fit_transform([ident("Int64")], df)
    out = sample(t, 6, null=np.array([0, 1, 0, 0, 1, 0]))
    assert str(out.dtype) == "Int64" and out.isna().sum() == 2 and out.dropna().between(100, 999).all()
    ids = [str(uuid.uuid4()).upper() for _ in range(50)]
    t2, _ = fit_transform([ident("str")], pd.DataFrame({"id": pd.Series(ids, dtype="str")}))
    out2 = sample(t2, 200)
    assert all(uuid.UUID(v).version == 4 and v == v.upper() for v in out2)
    assert out2.is_unique and not out2.isin(ids).any()


def test_identifier_determinism_and_state():
    df = pd.DataFrame({"id": np.arange(1000, 1500, dtype=np.int64)})
    t, _ = fit_transform([ident("int64")], df)
    a, b = sample(t, 300, seed=4), sample(t, 300, seed=4)
    pd.testing.assert_series_equal(a, b)
    pd.testing.assert_series_equal(sample(rebuild(t), 300, seed=4), a)
    assert isinstance(t, IdentifierTransformer)


# -- PII ----------------------------------------------------------------------------------------------
def pii(kind: PiiType, **kw) -> ColumnSpec:
    return ColumnSpec(name="id", kind=ColumnKind.PII, dtype="str", pii_type=kind, **kw)


FORMATS = {
    PiiType.EMAIL: r"[^@\s]+@[^@\s]+\.[a-z]+",
    PiiType.PERSON_NAME: r"\S+( [A-Z]\.)? \S+.*",
    PiiType.FIRST_NAME: r"\S.*",
    PiiType.LAST_NAME: r"\S.*",
    PiiType.STREET_ADDRESS: r"\d+ .+",
    PiiType.USERNAME: r"\S+",
    PiiType.IBAN: r"[A-Z]{2}\d{2}[A-Z0-9]+",
}


@pytest.mark.parametrize("kind", sorted(FORMATS, key=lambda k: k.value))
def test_pii_surrogates_format_unique_unseen(kind):
    t0, _ = fit_transform([pii(kind)], pd.DataFrame({"id": ["seed"]}))
    real = sample(t0, 300, seed=1).tolist()  # realistic training values of this kind
    df = pd.DataFrame({"id": pd.Series([*real, None], dtype="str")})
    t, _ = fit_transform([pii(kind)], df)
    null = np.r_[np.zeros(400, dtype=np.int64), np.ones(10, dtype=np.int64)]
    out = sample(t, 410, seed=2, null=null)
    kept = out.dropna()
    assert str(out.dtype) == "str" and len(kept) == 400
    assert not kept.isin(real).any()
    assert kept.str.fullmatch(FORMATS[kind]).all()
    if pd.Series(real).is_unique:
        assert kept.is_unique
    pd.testing.assert_series_equal(sample(rebuild(t), 410, seed=2, null=null), out)


def test_iban_check_digits_valid():
    t, _ = fit_transform([pii(PiiType.IBAN)], pd.DataFrame({"id": ["GB82WEST12345698765432"]}))
    for v in sample(t, 50):
        assert iban_check(v) == v


def test_phone_and_national_id_keep_input_shapes():
    phones = [f"({600 + i % 99}) 555-{i:04d}" for i in range(300)]
    t, _ = fit_transform([pii(PiiType.PHONE)], pd.DataFrame({"id": phones}))
    out = sample(t, 1000)
    assert out.str.fullmatch(r"\(\d{3}\) \d{3}-\d{4}").all() and not out.isin(phones).any()
    ssn = pd.Series(np.arange(100000000, 100000300, dtype=np.int64))
    spec = ColumnSpec(name="id", kind=ColumnKind.PII, dtype="int64", pii_type=PiiType.NATIONAL_ID)
    t2, _ = fit_transform([spec], pd.DataFrame({"id": ssn}))
    out2 = sample(t2, 500)
    assert out2.dtype == np.int64 and out2.between(10**8, 10**9 - 1).all() and not out2.isin(ssn).any()


def test_pii_locale_and_determinism():
    df = pd.DataFrame({"id": ["Jan Novák", "Petr Svoboda"]})
    t, _ = fit_transform([pii(PiiType.PERSON_NAME)], df, locale="cs_CZ")
    a = sample(t, 100, seed=9)
    pd.testing.assert_series_equal(a, sample(t, 100, seed=9))
    assert t.get_state()["locale"] == "cs_CZ"
    t2, _ = fit_transform([pii(PiiType.PERSON_NAME, locale="de_DE")], df, locale="cs_CZ")
    assert t2.get_state()["locale"] == "de_DE"


def test_pii_100k_is_fast():
    df = pd.DataFrame({"id": [f"user{i}@example.com" for i in range(1000)]})
    t, _ = fit_transform([pii(PiiType.EMAIL)], df)
    start = time.perf_counter()
    out = sample(t, 100_000)
    assert time.perf_counter() - start < 10
    assert out.is_unique and re.fullmatch(FORMATS[PiiType.EMAIL], out[0])
