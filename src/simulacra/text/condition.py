"""The row a text is conditioned on, as small integer codes (one per conditioning column).

* categorical columns: their ``max_categories`` most frequent values (seen in at least ``min_count``
  rows), one code for any other value and one for missing;
* numeric, datetime and numeric geo columns: ``n_bins`` quantile bins and a missing code;
* the text's own length in words (``length``): quantile bins. In two-stage generation the table generator
  writes a placeholder text whose word count follows the rest of the row; the language model reads that
  count, so the generated text keeps the length distribution and its link to the other columns.

Identifier, PII and other free-text columns are not used (a surrogate or another text says nothing of
this text). Nothing here needs torch.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..evaluation._encode import as_numbers
from ..schema import ColumnKind, GeoFormat, TableSchema

__all__ = ["ConditionEncoder", "word_counts"]

_USED = (ColumnKind.CATEGORICAL, ColumnKind.NUMERIC, ColumnKind.DATETIME, ColumnKind.GEO)
LENGTH = "<length>"


def word_counts(texts: pd.Series) -> np.ndarray:
    """Words per text (whitespace-separated); NaN for a missing text."""
    out = texts.astype("string").str.split().str.len()
    return out.to_numpy(dtype=np.float64, na_value=np.nan)


class ConditionEncoder:
    """Fitted on the training table; ``codes(frame, texts)`` gives an ``(n, n_columns)`` int64 matrix."""

    def __init__(self, *, max_columns: int = 24, max_categories: int = 40, min_count: int = 5, n_bins: int = 8):
        self.max_columns = max_columns
        self.max_categories = max_categories
        self.min_count = min_count
        self.n_bins = n_bins

    def fit(self, frame: pd.DataFrame, schema: TableSchema, text_column: str) -> ConditionEncoder:
        self.columns_: list[dict[str, Any]] = []
        for spec in schema:
            if spec.name == text_column or spec.kind not in _USED or len(self.columns_) >= self.max_columns:
                continue
            if spec.kind is ColumnKind.GEO and spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT):
                continue
            col = frame[spec.name]
            if spec.kind is ColumnKind.CATEGORICAL:
                counts = col.dropna().astype(str).value_counts()
                cats = [str(v) for v, c in counts.items() if c >= self.min_count][: self.max_categories]
                if cats:
                    self.columns_.append({"name": spec.name, "type": "categorical", "categories": cats})
            else:
                values = as_numbers(col, spec).to_numpy(dtype=np.float64)
                edges = _edges(values, self.n_bins)
                if len(edges):
                    self.columns_.append(
                        {"name": spec.name, "type": "numeric", "kind": spec.kind.value, "edges": edges}
                    )
        lengths = word_counts(frame[text_column])
        self.length_edges_ = _edges(lengths, 10)
        self.schema_ = schema
        return self

    def fit_public(self, schema: TableSchema, text_column: str, length_edges: list[float]) -> ConditionEncoder:
        """The conditions from the public schema only: category lists and bounds (columns without them are
        not used), and the given word-count bins. Reads no data (the private text model's)."""
        self.columns_ = []
        for spec in schema:
            if spec.name == text_column or spec.kind not in _USED or len(self.columns_) >= self.max_columns:
                continue
            if spec.kind is ColumnKind.CATEGORICAL:
                if spec.categories:
                    cats = [str(c) for c in spec.categories][: self.max_categories]
                    self.columns_.append({"name": spec.name, "type": "categorical", "categories": cats})
                continue
            if (
                spec.minimum is None
                or spec.maximum is None
                or spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT)
            ):
                continue
            bounds = as_numbers(pd.Series([spec.minimum, spec.maximum]), spec).to_numpy(dtype=np.float64)
            if np.isfinite(bounds).all() and bounds[1] > bounds[0]:
                edges = np.linspace(bounds[0], bounds[1], self.n_bins + 1)[1:-1]
                self.columns_.append(
                    {"name": spec.name, "type": "numeric", "kind": spec.kind.value, "edges": [float(e) for e in edges]}
                )
        self.length_edges_ = [float(e) for e in length_edges]
        self.schema_ = schema
        return self

    @property
    def cardinalities(self) -> list[int]:
        """Codes per conditioning column (the last one is the text's length)."""
        sizes = [len(c["categories"]) + 2 if c["type"] == "categorical" else len(c["edges"]) + 2 for c in self.columns_]
        return [*sizes, len(self.length_edges_) + 2]

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.columns_] + [LENGTH]

    def codes(self, frame: pd.DataFrame, lengths: np.ndarray) -> np.ndarray:
        n = len(frame)
        out = np.zeros((n, len(self.columns_) + 1), dtype=np.int64)
        for j, c in enumerate(self.columns_):
            col = frame[c["name"]]
            if c["type"] == "categorical":
                lookup = {v: i for i, v in enumerate(c["categories"])}
                other = len(c["categories"])
                missing = col.isna().to_numpy()
                vals = np.array([lookup.get(v, other) for v in col.astype(str).tolist()], dtype=np.int64)
                vals[missing] = other + 1
                out[:, j] = vals
            else:
                spec = self.schema_[c["name"]]
                values = as_numbers(col, spec).to_numpy(dtype=np.float64)
                out[:, j] = _bin(values, np.asarray(c["edges"], dtype=np.float64))
        out[:, -1] = _bin(np.asarray(lengths, dtype=np.float64), np.asarray(self.length_edges_, dtype=np.float64))
        return out

    def describe(self, codes: np.ndarray) -> list[str]:
        """Each row's conditions as one line of text, e.g. ``"rating: 5 | date: 2018-07-01 to 2018-07-20 |
        words: 12 to 17"``: the prefix a pre-trained language model is fine-tuned and sampled on."""
        labels = [_labels(c) for c in self.columns_]
        words = _range_labels([float(e) for e in self.length_edges_], lambda x: str(round(x)))
        out = []
        for row in np.asarray(codes, dtype=np.int64):
            parts = [f"{c['name']}: {lab[int(k)]}" for c, lab, k in zip(self.columns_, labels, row[:-1], strict=True)]
            out.append(" | ".join([*parts, f"words: {words[int(row[-1])]}"]))
        return out

    def get_state(self) -> dict[str, Any]:
        return {
            "columns": [
                {**c, "edges": [float(e) for e in c["edges"]]} if c["type"] == "numeric" else dict(c)
                for c in self.columns_
            ],
            "length_edges": [float(e) for e in self.length_edges_],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], schema: TableSchema) -> ConditionEncoder:
        self = cls()
        self.columns_ = [dict(c) for c in state["columns"]]
        self.length_edges_ = [float(e) for e in state["length_edges"]]
        self.schema_ = schema
        return self


def _labels(column: Mapping[str, Any]) -> list[str]:
    """The text of each code of one conditioning column (categories or bin ranges, then other/missing)."""
    if column["type"] == "categorical":
        return [*column["categories"], "other", "missing"]
    if column.get("kind") == ColumnKind.DATETIME.value:

        def fmt(x: float) -> str:
            return str(pd.Timestamp(x, unit="s").date())

    else:

        def fmt(x: float) -> str:
            return f"{x:.4g}"

    return _range_labels([float(e) for e in column["edges"]], fmt)


def _range_labels(edges: list[float], fmt: Any) -> list[str]:
    """Labels of the bins of :func:`_bin`: below the first edge, between edges, from the last, missing."""
    if not edges:
        return ["any", "missing"]
    inner = [f"{fmt(a)} to {fmt(b)}" for a, b in itertools.pairwise(edges)]
    return [f"under {fmt(edges[0])}", *inner, f"{fmt(edges[-1])} or more", "missing"]


def _edges(values: np.ndarray, n_bins: int) -> list[float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return []
    qs = np.quantile(finite, np.linspace(0, 1, n_bins + 1)[1:-1])
    return [float(q) for q in np.unique(qs)]


def _bin(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index ``0 .. len(edges)``; ``len(edges) + 1`` for missing."""
    out = np.searchsorted(edges, np.nan_to_num(values, nan=0.0), side="right").astype(np.int64)
    out[~np.isfinite(values)] = len(edges) + 1
    return out
