"""Assemble per-kind transformers into one reversible table transformer, driven by the schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ModelFileError
from ..schema import ColumnKind, ColumnSpec, GeoFormat, TableSchema
from .base import ColumnTransformer, ModelColumn

__all__ = ["TableTransformer", "group_specs"]


def group_specs(schema: TableSchema) -> list[list[ColumnSpec]]:
    """Columns that are transformed together: a latitude/longitude pair is one group, others alone."""
    groups: list[list[ColumnSpec]] = []
    taken: set[str] = set()
    for spec in schema:
        if spec.name in taken:
            continue
        if (
            spec.kind is ColumnKind.GEO
            and spec.geo_format in (GeoFormat.LATITUDE, GeoFormat.LONGITUDE)
            and spec.geo_partner in schema
        ):
            partner = schema[spec.geo_partner]  # type: ignore[index]
            lat, lon = (spec, partner) if spec.geo_format is GeoFormat.LATITUDE else (partner, spec)
            groups.append([lat, lon])
            taken.update({spec.name, partner.name})
        else:
            groups.append([spec])
            taken.add(spec.name)
    return groups


class TableTransformer:
    """Transforms a whole table to model columns and back.

    >>> tt = TableTransformer(schema).fit(df, np.random.default_rng(0))
    >>> model = tt.transform(df, np.random.default_rng(0))
    >>> back = tt.inverse_transform(model, np.random.default_rng(0))
    """

    def __init__(self, schema: TableSchema, *, locale: str | None = None) -> None:
        self.schema = schema
        self.locale = locale

    def _build(self) -> list[ColumnTransformer]:
        from . import transformer_for

        return [transformer_for(group, locale=self.locale) for group in group_specs(self.schema)]

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> TableTransformer:
        self.transformers_ = self._build()
        for t in self.transformers_:
            t.fit(data[t.input_columns], rng)
        wanting = [t for t in self.transformers_ if getattr(t, "wants_table", False)]
        if wanting:  # transformers that learn from the other columns' model values (the geo cell model)
            model = self.transform(data, np.random.default_rng(rng.integers(2**63)))
            arrays = {str(c): model[c].to_numpy() for c in model.columns}
            for t in wanting:
                t.fit_table(arrays, self.model_columns)  # type: ignore[attr-defined]
        return self

    @property
    def model_columns(self) -> list[ModelColumn]:
        return [c for t in self.transformers_ for c in t.output_columns]

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        parts: dict[str, np.ndarray] = {}
        for t in self.transformers_:
            parts.update(t.transform(data[t.input_columns], rng))
        names = [c.name for c in self.model_columns]
        return pd.DataFrame({n: parts[n] for n in names}, index=pd.RangeIndex(len(data)))

    def inverse_transform(self, model: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        n = len(model)
        arrays = {str(c): model[c].to_numpy() for c in model.columns}
        pieces: dict[str, pd.Series] = {}
        for t in self.transformers_:
            frame = t.inverse_transform(arrays, n, rng)
            for name in frame.columns:
                pieces[str(name)] = frame[name].reset_index(drop=True)
        return pd.DataFrame({name: pieces[name] for name in self.schema.names})

    def get_state(self) -> dict[str, Any]:
        return {
            "locale": self.locale,
            "transformers": [
                {"name": t.name, "columns": t.input_columns, "state": t.get_state()} for t in self.transformers_
            ],
        }

    @classmethod
    def from_state(cls, schema: TableSchema, state: Mapping[str, Any]) -> TableTransformer:
        self = cls(schema, locale=state.get("locale"))
        built = self._build()
        saved = state.get("transformers", [])
        if len(saved) != len(built):
            raise ModelFileError("saved transformers do not match the saved schema; the model is damaged")
        for t, s in zip(built, saved, strict=True):
            if s.get("name") != t.name or list(s.get("columns", [])) != t.input_columns:
                raise ModelFileError(
                    f"saved transformer for {s.get('columns')} does not match the schema; the model is damaged"
                )
            t.set_state(s["state"])
        self.transformers_ = built
        return self
