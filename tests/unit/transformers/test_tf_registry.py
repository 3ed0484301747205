"""transformer_for, the registry, and a whole table through TableTransformer and a saved model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.errors import SchemaError
from simulacra.persistence import read_model, write_model
from simulacra.schema import ColumnKind, ColumnSpec, GeoFormat, PiiType, TableSchema
from simulacra.transformers import TRANSFORMERS, TableTransformer, transformer_for

SPECS = (
    ColumnSpec("id", ColumnKind.IDENTIFIER, "int64"),
    ColumnSpec("age", ColumnKind.NUMERIC, "Int64"),
    ColumnSpec("sex", ColumnKind.CATEGORICAL, "str"),
    ColumnSpec("when", ColumnKind.DATETIME, "str", datetime_format="%Y-%m-%d"),
    ColumnSpec("email", ColumnKind.PII, "str", pii_type=PiiType.EMAIL),
    ColumnSpec("note", ColumnKind.TEXT, "str"),
    # the numeric geo model round-trips exactly; the cell model (default) is tested in test_tf_geo_cells.py
    ColumnSpec("coord", ColumnKind.GEO, "str", geo_format=GeoFormat.LATLON_TEXT, geo_model="numeric"),
    ColumnSpec("lat", ColumnKind.GEO, "float64", geo_format=GeoFormat.LATITUDE, geo_partner="lon", geo_model="numeric"),
    ColumnSpec("lon", ColumnKind.GEO, "float64", geo_format=GeoFormat.LONGITUDE, geo_partner="lat"),
)


def table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "age": pd.array([None if i % 7 == 0 else 20 + i % 50 for i in range(n)], dtype="Int64"),
            "sex": pd.Series(rng.choice([" Male", " Female"], n), dtype="str"),
            "when": pd.Series([f"2020-01-{1 + i % 28:02d}" for i in range(n)], dtype="str"),
            "email": pd.Series([f"person{i}@example.com" for i in range(n)], dtype="str"),
            "note": pd.Series(rng.choice(["good trip", "bad trip here", "ok"], n), dtype="str"),
            "coord": pd.Series([f"{40 + i / 100:.2f},{-73 - i / 100:.2f}" for i in range(n)], dtype="str"),
            "lat": np.round(rng.uniform(41, 42, n), 4),
            "lon": np.round(rng.uniform(2, 3, n), 4),
        }
    )


def test_transformer_for_by_kind():
    names = [transformer_for([s]).name for s in SPECS[:7]]
    assert names == ["identifier", "numeric", "categorical", "datetime", "pii", "text", "geo_text"]
    assert transformer_for([SPECS[7], SPECS[8]]).name == "geo_pair"
    assert set(TRANSFORMERS) == {*names, "geo_pair"}
    with pytest.raises(SchemaError):
        transformer_for([SPECS[8], SPECS[7]])
    with pytest.raises(SchemaError):
        transformer_for([])


def test_constructor_only_stores():
    t = transformer_for([SPECS[1]], locale="de_DE")
    assert t.specs == [SPECS[1]] and vars(t) == {"specs": [SPECS[1]], "locale": "de_DE"}


def test_table_roundtrip_through_saved_model(tmp_path):
    df = table()
    schema = TableSchema(SPECS)
    tt = TableTransformer(schema).fit(df, np.random.default_rng(0))
    model = tt.transform(df, np.random.default_rng(1))
    assert list(model.columns) == [
        "age", "age.null", "sex", "when", "note.length", "coord.lat", "coord.lon", "lat", "lon",
    ]  # fmt: skip
    out = tt.inverse_transform(model, np.random.default_rng(2))
    assert list(out.columns) == schema.names
    for name in ("age", "sex", "when", "coord", "lat", "lon"):
        pd.testing.assert_series_equal(out[name], df[name])
    assert out["id"].is_unique and not out["id"].isin(df["id"]).any()
    assert not out["email"].isin(df["email"]).any()
    write_model(tmp_path / "m", {"generator": "test"}, tt.get_state())
    _, state = read_model(tmp_path / "m")
    again = TableTransformer.from_state(schema, state)
    pd.testing.assert_frame_equal(again.inverse_transform(model, np.random.default_rng(2)), out)
