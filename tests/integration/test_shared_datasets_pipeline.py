"""Profile -> fit -> sample on real shared tables: dtypes, missing rates, bounds, formats, no leaks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.schema import ColumnKind, GeoFormat
from tests.conftest import SHARED

DATASETS = [
    "california_housing/housing.csv",
    "airline_tweets/Tweets.csv",
    "amazon_alexa_reviews/amazon_alexa.tsv",
    "nist_crc_excerpts/tx2019.csv",
    "adult_census_extended/census_extended.parquet",
    "airbnb_barcelona/listings.csv",
]


def _shape(value: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", value))


@pytest.mark.parametrize("name", DATASETS)
def test_pipeline_keeps_types_and_leaks_nothing(name: str) -> None:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    real = simulacra.read_table(path)
    schema = simulacra.profile(real)
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(real, schema)
    syn = gen.sample(len(real), random_state=0)
    assert list(syn.columns) == list(real.columns)
    for spec in schema:
        r, s = real[spec.name], syn[spec.name]
        assert str(s.dtype) == str(r.dtype), spec.name
        # a real table's missing rate; the synthetic one is a fresh draw of the same size: 1pp + noise
        tol = 0.01 + 3 * np.sqrt(max(r.isna().mean() * (1 - r.isna().mean()), 1e-4) / len(real))
        assert abs(s.isna().mean() - r.isna().mean()) <= tol, spec.name
        if spec.kind in (ColumnKind.IDENTIFIER, ColumnKind.PII):
            leaked = set(r.dropna().astype(str)) & set(s.dropna().astype(str))
            assert not leaked, f"{spec.name}: {len(leaked)} real values in the output"
        if spec.kind is ColumnKind.NUMERIC and pd.api.types.is_numeric_dtype(r.dtype):
            assert s.min() >= r.min() and s.max() <= r.max(), spec.name
        if spec.kind is ColumnKind.GEO and spec.geo_format in (GeoFormat.LATITUDE, GeoFormat.LONGITUDE):
            assert s.min() >= r.min() and s.max() <= r.max(), spec.name
        if spec.kind is ColumnKind.DATETIME and spec.datetime_format and not spec.datetime_format.startswith("epoch"):
            real_shapes = set(r.dropna().astype(str).map(_shape))
            syn_shapes = set(s.dropna().astype(str).map(_shape))
            assert syn_shapes <= real_shapes | {_shape(x) for x in real_shapes}, spec.name
        if spec.kind is ColumnKind.CATEGORICAL:
            assert set(s.dropna()) <= set(r.dropna()), spec.name
