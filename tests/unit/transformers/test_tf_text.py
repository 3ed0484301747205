"""TextTransformer (placeholder): lengths follow the model, only common words, simple style."""

from __future__ import annotations

import numpy as np
import pandas as pd
from _tf_helpers import fit_transform, rebuild

from simulacra.schema import ColumnKind, ColumnSpec


def make_df() -> pd.DataFrame:
    common = ["The flight was late.", "Great crew on the flight.", "The seat was fine!", "Late again, the crew."]
    rare = ["Call John Smith at home.", "My id is XJ42."]
    texts = common * 5 + rare + [None, None]
    return pd.DataFrame({"x": pd.Series(texts, dtype="str")})


def test_model_columns_and_lengths():
    df = make_df()
    t, model = fit_transform([ColumnSpec("x", ColumnKind.TEXT, "str")], df)
    assert [c.name for c in t.output_columns] == ["x.length", "x.null"]
    assert model["x.length"][0] == 4 and model["x.null"].tolist() == df["x"].isna().astype(int).tolist()


def test_inverse_only_common_words_bounds_style_and_nulls():
    df = make_df()
    t, _ = fit_transform([ColumnSpec("x", ColumnKind.TEXT, "str")], df)
    rng = np.random.default_rng(0)
    n = 500
    lengths = rng.normal(4, 20, n)
    null = rng.integers(0, 2, n)
    out = t.inverse_transform({"x.length": lengths, "x.null": null}, n, rng)["x"]
    assert str(out.dtype) == "str" and out.isna().tolist() == (null == 1).tolist()
    kept = out.dropna()
    counts = kept.str.split().str.len()
    assert counts.between(4, 6).all()
    words = set(kept.str.lower().str.replace(r"[^\w\s]", "", regex=True).str.split().explode())
    assert words <= {"the", "flight", "was", "late", "crew", "great", "on", "seat", "fine", "again"}
    assert not {"john", "smith", "xj42", "home"} & words
    assert kept.str.match(r"[A-Z]").all() and kept.str.endswith(".").all()
    again = rebuild(t).inverse_transform({"x.length": lengths, "x.null": null}, n, np.random.default_rng(0))
    ref = t.inverse_transform({"x.length": lengths, "x.null": null}, n, np.random.default_rng(0))
    pd.testing.assert_frame_equal(again, ref)


def test_tiny_input_uses_fallback_vocabulary():
    df = pd.DataFrame({"x": pd.Series(["private words here"], dtype=object)})
    t, model = fit_transform([ColumnSpec("x", ColumnKind.TEXT, "object")], df)
    out = t.inverse_transform(model, 1, np.random.default_rng(0))["x"]
    assert out.dtype == object and len(out[0].split()) == 3 and "private" not in out[0]
