"""Shared helpers for the transformer tests: round trips and state rebuilds."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from simulacra.persistence import pack_state, unpack_state
from simulacra.schema import ColumnSpec
from simulacra.transformers import transformer_for
from simulacra.transformers.base import ColumnTransformer


def fit_transform(specs: list[ColumnSpec], df: pd.DataFrame, seed: int = 0, locale: str | None = None):
    t = transformer_for(specs, locale=locale)
    t.fit(df, np.random.default_rng(seed))
    model = t.transform(df, np.random.default_rng(seed + 1))
    return t, model


def check_model(t: ColumnTransformer, model: dict[str, np.ndarray], n: int) -> None:
    """Model columns are as announced: float64 finite / int64 codes in range, one entry per row."""
    names = [c.name for c in t.output_columns]
    assert sorted(names) == sorted(model)
    for c in t.output_columns:
        arr = model[c.name]
        assert len(arr) == n
        if c.is_discrete:
            assert arr.dtype == np.int64
            assert ((arr >= 0) & (arr < c.n_categories)).all()
        else:
            assert arr.dtype == np.float64
            assert np.isfinite(arr).all()


def rebuild(t: ColumnTransformer) -> ColumnTransformer:
    """A transformer restored from its state through pack_state, JSON and an npz file."""
    arrays: dict[str, np.ndarray] = {}
    packed = pack_state(t.get_state(), arrays)
    text = json.dumps(packed, allow_nan=False)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    buf.seek(0)
    with np.load(buf, allow_pickle=False) as npz:
        loaded = {k: npz[k] for k in npz.files}
    new = transformer_for(list(t.specs), locale=getattr(t, "locale", None))
    new.set_state(unpack_state(json.loads(text), loaded))
    return new


def assert_roundtrip(specs: list[ColumnSpec], df: pd.DataFrame) -> ColumnTransformer:
    """inverse(transform(df)) == df exactly (values, dtype, missing pattern), also after a state rebuild."""
    t, model = fit_transform(specs, df)
    check_model(t, model, len(df))
    back = t.inverse_transform(model, len(df), np.random.default_rng(7))
    assert list(back.columns) == list(df.columns)
    for name in df.columns:
        pd.testing.assert_series_equal(
            back[name].reset_index(drop=True), df[name].reset_index(drop=True), check_exact=True
        )
    again = rebuild(t).inverse_transform(model, len(df), np.random.default_rng(7))
    pd.testing.assert_frame_equal(again, back)
    return t
