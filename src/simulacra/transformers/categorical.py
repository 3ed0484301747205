"""Labels: one discrete model column with codes in the order of the schema's category list.

Missing cells get one extra code (the last) when the column has missing values, so a generator learns
when a label is missing together with everything else. The inverse writes back the exact spelling and
dtype of the input (``str``/``object``, ``bool``/``boolean``, ``int64``/``Int64``, ``float64``,
``category``).

The spec's ``null_token`` has no special meaning here: a token such as ``"?"`` is a label like any other
and keeps its spelling.

>>> spec = ColumnSpec(name="sex", kind=ColumnKind.CATEGORICAL, dtype="str", categories=("Male", "Female"))
>>> t = CategoricalTransformer([spec]).fit(df, rng)
>>> t.transform(df, rng)["sex"][:3]
array([0, 1, 0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ._common import BaseTransformer, object_na, read_codes, series_from_objects
from .base import ModelColumn, ModelColumnType

__all__ = ["CategoricalTransformer", "to_json_scalar"]

_NA_DTYPES = ("bool", "int64", "int32", "int16", "int8", "uint8", "uint16", "uint32", "uint64")


def to_json_scalar(value: Any) -> Any:
    """A Python ``str``/``int``/``float``/``bool`` for a numpy or pandas scalar; ``None`` if not a JSON scalar."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float) and np.isfinite(value):
        return value
    return None


def _key(value: Any) -> tuple[str, Any]:
    """A dict key that keeps ``True`` and ``1`` apart (they hash alike in Python)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", value)
    return ("s", value)


def _codes(values: Sequence[Any], lookup: Mapping[tuple[str, Any], int]) -> np.ndarray:
    """Codes of ``values`` through ``lookup`` (-1 when absent), computed once per distinct value."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    idx, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    lut = np.array([lookup.get(_key(to_json_scalar(u)), -1) for u in uniques], dtype=np.int64)
    return lut[idx]


class CategoricalTransformer(BaseTransformer):
    """A label column <-> discrete ``<name>`` with ``len(categories)`` codes (+1 for missing).

    Categories come from ``spec.categories`` (their order gives the codes) or, when that is ``None``,
    from the data, most frequent first. A value seen at fit or transform that is not a category raises
    :class:`~simulacra.errors.SchemaError`.
    """

    name = "categorical"

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> CategoricalTransformer:
        self._check_data(data)
        col = data[self.col]
        dtype = str(col.dtype)
        missing = col.isna().to_numpy(dtype=bool).copy()
        observed = col[~missing]
        raw = observed.astype(object).tolist() if dtype == "category" else observed.tolist()
        values = [to_json_scalar(v) for v in raw]
        bad_types = sorted({type(v).__name__ for v, j in zip(raw, values, strict=True) if j is None})
        if bad_types:
            raise SchemaError(
                f"column {self.col!r}: categories must be text, integers, reals or booleans, found {bad_types}; "
                "convert the column or give it another kind in the schema"
            )
        if self.spec.categories is not None:
            categories = [to_json_scalar(c) for c in self.spec.categories]
        else:
            idx, uniques = pd.factorize(pd.Series(values, dtype=object))
            counts = np.bincount(idx, minlength=len(uniques)) if len(idx) else np.zeros(0, dtype=int)
            order = np.argsort(-counts, kind="stable")
            categories = [to_json_scalar(uniques[i]) for i in order]
        self.categories_ = categories
        self.lookup_ = {_key(c): i for i, c in enumerate(categories)}
        codes = _codes(values, self.lookup_)
        self._check_codes(codes, "fit")
        self.has_missing_ = bool(missing.any()) or (self.spec.null_rate > 0 and dtype not in _NA_DTYPES)
        self.dtype_ = dtype
        self.na_ = object_na(col)
        self.dtype_categories_: list[Any] | None = None
        self.cat_dtype_ = ""
        self.ordered_ = False
        if dtype == "category":
            self.dtype_categories_ = [to_json_scalar(c) for c in col.cat.categories.tolist()]
            self.cat_dtype_ = str(col.cat.categories.dtype)
            self.ordered_ = bool(col.cat.ordered)
        self.fitted_ = True
        return self

    def _check_codes(self, codes: np.ndarray, when: str) -> None:
        unknown = int((codes < 0).sum())
        if unknown:
            raise SchemaError(
                f"column {self.col!r}: {unknown} value(s) at {when} are not in the schema's category list; "
                "add them to the column's `categories` in the schema (or set `categories` to null so they are "
                "learned), or re-run `simulacra profile`"
            )

    @property
    def n_codes(self) -> int:
        return len(self.categories_) + int(self.has_missing_)

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        return [
            ModelColumn(
                self.col, ModelColumnType.DISCRETE, source=self.col, role="value", n_categories=max(self.n_codes, 1)
            )
        ]

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        col = data[self.col]
        missing = col.isna().to_numpy(dtype=bool).copy()
        if missing.any() and not self.has_missing_:
            raise SchemaError(
                f"column {self.col!r} has {int(missing.sum())} missing value(s) but had none at fit; "
                "fit the transformer on data with missing cells or set the column's null_rate in the schema"
            )
        observed = col[~missing]
        raw = observed.astype(object).tolist() if self.dtype_ == "category" else observed.tolist()
        codes = np.full(len(col), len(self.categories_), dtype=np.int64)
        codes[~missing] = _codes(raw, self.lookup_)
        self._check_codes(codes, "transform")
        return {self.col: codes}

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        k = len(self.categories_)
        codes = read_codes(model, self.col, n, self.n_codes) if self.n_codes else np.zeros(n, dtype=np.int64)
        lut = np.empty(k + 1, dtype=object)
        lut[:k] = self.categories_
        lut[k] = None
        missing = codes >= k
        out = lut[np.minimum(codes, k)]
        if self.dtype_ == "category":
            cats = pd.Index(self.dtype_categories_ or [], dtype=self.cat_dtype_ or None)
            out[missing] = np.nan
            series = pd.Series(pd.Categorical(out, categories=cats, ordered=self.ordered_))
        else:
            series = series_from_objects(out, missing, self.dtype_, self.na_)
        return pd.DataFrame({self.col: series})

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "categories": list(self.categories_),
            "has_missing": self.has_missing_,
            "dtype": self.dtype_,
            "na": self.na_,
            "dtype_categories": self.dtype_categories_,
            "cat_dtype": self.cat_dtype_,
            "ordered": self.ordered_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.categories_ = list(state["categories"])
        self.lookup_ = {_key(c): i for i, c in enumerate(self.categories_)}
        self.has_missing_ = bool(state["has_missing"])
        self.dtype_ = str(state["dtype"])
        self.na_ = str(state.get("na", "nan"))
        cats = state.get("dtype_categories")
        self.dtype_categories_ = list(cats) if cats is not None else None
        self.cat_dtype_ = str(state.get("cat_dtype", ""))
        self.ordered_ = bool(state.get("ordered", False))
        self.fitted_ = True
