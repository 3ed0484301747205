"""Geo transformers: pairs and one-column points round-trip; the inverse stays in the bounding box."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _tf_helpers import assert_roundtrip, fit_transform
from hypothesis import given, settings
from hypothesis import strategies as st

from simulacra.schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema
from simulacra.transformers import GeoPairTransformer, GeoTextTransformer, TableTransformer, transformer_for

FAST = settings(max_examples=40, deadline=None)
LAT = st.integers(-90_000, 90_000)
LON = st.integers(-180_000, 180_000)


def pair_specs(dtype: str = "float64") -> list[ColumnSpec]:
    return [
        ColumnSpec("lat", ColumnKind.GEO, dtype, geo_format=GeoFormat.LATITUDE, geo_partner="lon"),
        ColumnSpec("lon", ColumnKind.GEO, dtype, geo_format=GeoFormat.LONGITUDE, geo_partner="lat"),
    ]


@FAST
@given(st.lists(st.tuples(LAT, LON, st.booleans()), min_size=1, max_size=25), st.integers(0, 3))
def test_pair_roundtrip(points, decimals):
    lat = [np.nan if miss else round(a / 1000, decimals) for a, _, miss in points]
    lon = [np.nan if miss else round(b / 1000, decimals) for _, b, miss in points]
    t = assert_roundtrip(pair_specs(), pd.DataFrame({"lat": lat, "lon": lon}))
    assert isinstance(t, GeoPairTransformer)
    names = [c.name for c in t.output_columns]
    assert names[:2] == ["lat", "lon"]
    assert ("lat.null" in names) == any(m for *_, m in points)


def fixed(thousandths: int, decimals: int) -> str:
    """A coordinate with exactly ``decimals`` digits (never ``-0.0``)."""
    units = thousandths * 10**decimals // 1000
    return f"{units / 10**decimals:.{decimals}f}"


TEMPLATES = {
    "plain": (GeoFormat.LATLON_TEXT, "{a},{b}"),
    "bracket": (GeoFormat.LATLON_TEXT, "[{a}, {b}]"),
    "paren": (GeoFormat.LATLON_TEXT, "({a} ; {b})"),
    "wkt": (GeoFormat.WKT_POINT, "POINT ({b} {a})"),
}


@FAST
@given(
    st.lists(st.tuples(LAT, LON, st.booleans()), min_size=1, max_size=25),
    st.sampled_from(sorted(TEMPLATES)),
    st.integers(1, 3),
)
def test_text_point_roundtrip(points, template, decimals):
    geo_format, pattern = TEMPLATES[template]
    text = [None if miss else pattern.format(a=fixed(a, decimals), b=fixed(b, decimals)) for a, b, miss in points]
    spec = ColumnSpec("p", ColumnKind.GEO, "str", geo_format=geo_format)
    t = assert_roundtrip([spec], pd.DataFrame({"p": pd.Series(text, dtype="str")}))
    assert isinstance(t, GeoTextTransformer)
    assert [c.name for c in t.output_columns][:2] == ["p.lat", "p.lon"]


@FAST
@given(st.integers(0, 2**32 - 1))
def test_inverse_stays_in_box_with_precision(seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"lat": [41.4042, 41.41291, np.nan], "lon": [2.17306, 2.22063, np.nan]})
    t, _ = fit_transform(pair_specs(), df)
    n = 300
    model = {"lat": rng.normal(0, 100, n), "lon": rng.normal(0, 1e9, n), "lat.null": rng.integers(0, 2, n)}
    out = t.inverse_transform(model, n, rng)
    assert out["lat"].isna().tolist() == (model["lat.null"] == 1).tolist()
    assert out["lon"].isna().tolist() == (model["lat.null"] == 1).tolist()
    kept = out.dropna()
    assert kept["lat"].between(41.4042, 41.41291).all() and kept["lon"].between(2.17306, 2.22063).all()
    assert np.allclose(kept["lat"], kept["lat"].round(5)) and out["lat"].dtype == np.float64

    spec = ColumnSpec("p", ColumnKind.GEO, "str", geo_format=GeoFormat.WKT_POINT)
    df2 = pd.DataFrame({"p": ["POINT (2.17306 41.40420)", "POINT (2.22063 41.41291)"]})
    t2, _ = fit_transform([spec], df2)
    out2 = t2.inverse_transform({"p.lat": model["lat"], "p.lon": model["lon"]}, n, rng)["p"]
    assert out2.str.fullmatch(r"POINT \(2\.\d{5} 41\.\d{5}\)").all()


def test_table_transformer_groups_the_pair():
    specs = [*pair_specs(), ColumnSpec("n", ColumnKind.NUMERIC, "int64")]
    schema = TableSchema(tuple(specs))
    df = pd.DataFrame({"lat": [1.5, 2.5], "lon": [3.25, 4.5], "n": [1, 2]})
    tt = TableTransformer(schema).fit(df, np.random.default_rng(0))
    model = tt.transform(df, np.random.default_rng(1))
    assert list(model.columns) == ["lat", "lon", "n"]
    pd.testing.assert_frame_equal(tt.inverse_transform(model, np.random.default_rng(2)), df)
    lone = ColumnSpec("lat", ColumnKind.GEO, "float64", geo_format=GeoFormat.LATITUDE)
    assert transformer_for([lone]).name == "numeric"
