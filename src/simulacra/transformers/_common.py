"""Helpers shared by the column transformers (private; nothing here is public API).

* :class:`BaseTransformer`: stores the specs and the locale (constructors only store), checks inputs;
* reading model columns robustly (any value a generator may produce becomes a valid one);
* restoring the user's dtype from a Python object array;
* :class:`HashSet`: a salted set of 8-byte digests, used to make sure no training value is ever emitted
  without storing the values themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotFittedError, ParameterError, SchemaError
from ..schema import ColumnSpec
from .base import ColumnTransformer, ModelColumn, ModelColumnType

__all__ = [
    "TEXT_DTYPES",
    "BaseTransformer",
    "HashSet",
    "is_text_dtype",
    "null_column",
    "object_na",
    "read_codes",
    "read_continuous",
    "read_null",
    "series_from_objects",
]

TEXT_DTYPES = ("str", "string", "object")


def is_text_dtype(dtype: Any) -> bool:
    """True for text storage (``str``, ``string``, ``object``)."""
    return str(dtype) in TEXT_DTYPES or str(dtype).startswith("string")


def null_column(name: str) -> ModelColumn:
    """The 2-category missing indicator ``<name>.null`` (1 = missing)."""
    return ModelColumn(f"{name}.null", ModelColumnType.DISCRETE, source=name, role="null", n_categories=2)


def missing_mask(col: pd.Series, null_token: str | None) -> np.ndarray:
    """Missing cells: NaN/None/NA, and the null token in text columns."""
    mask = col.isna().to_numpy(dtype=bool).copy()
    if null_token is not None and is_text_dtype(col.dtype):
        mask |= (col == null_token).fillna(False).to_numpy(dtype=bool)
    return mask


def object_na(col: pd.Series) -> str:
    """How an ``object`` column spells a missing cell: ``"none"`` or ``"nan"``."""
    if str(col.dtype) == "object":
        for v in col[col.isna()].head(50).tolist():
            if v is None:
                return "none"
    return "nan"


def _get(model: Mapping[str, np.ndarray], name: str, n: int) -> np.ndarray:
    if name not in model:
        raise ParameterError(f"model data lacks the column '{name}'; pass every column the transformer produced")
    arr = np.asarray(model[name]).reshape(-1)
    if len(arr) != n:
        raise ParameterError(f"model column '{name}' has {len(arr)} rows, expected {n}")
    return arr


def read_continuous(model: Mapping[str, np.ndarray], name: str, n: int, fill: float) -> np.ndarray:
    """A finite float64 copy of a continuous model column (NaN -> ``fill``; +/-inf kept for clipping)."""
    arr = _get(model, name, n).astype(np.float64, copy=True)
    arr[np.isnan(arr)] = fill
    return arr


def read_codes(model: Mapping[str, np.ndarray], name: str, n: int, k: int) -> np.ndarray:
    """Int64 codes clipped to ``0 .. k-1`` (floats are rounded, NaN becomes 0)."""
    arr = _get(model, name, n)
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(np.round(arr), nan=0.0, posinf=k - 1, neginf=0.0)
    elif arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    return np.clip(arr.astype(np.int64), 0, max(k - 1, 0))


def read_null(model: Mapping[str, np.ndarray], name: str, n: int, has_null: bool) -> np.ndarray:
    """Missing mask from ``<name>.null`` (all False when the column had no missing values)."""
    if not has_null:
        return np.zeros(n, dtype=bool)
    return read_codes(model, f"{name}.null", n, 2) == 1


def series_from_objects(values: np.ndarray, missing: np.ndarray, dtype: str, na: str = "nan") -> pd.Series:
    """A Series of ``dtype`` from a Python-object array; ``missing`` cells become the dtype's missing value.

    ``na`` chooses ``None`` or ``NaN`` for ``object`` columns.
    """
    obj = np.asarray(values, dtype=object).copy()
    if dtype == "object":
        obj[missing] = None if na == "none" else np.nan
        return pd.Series(obj, dtype=object)
    obj[missing] = None
    if dtype in ("int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool") and missing.any():
        raise SchemaError(f"dtype {dtype} cannot hold missing values")  # pragma: no cover - guarded by callers
    if dtype in ("float64", "float32"):
        return pd.Series(np.array([np.nan if v is None else v for v in obj], dtype=dtype))
    return pd.Series(pd.array(obj.tolist(), dtype=dtype))


def _key(salt: bytes) -> bytes:
    return salt[:64]


class HashSet:
    """Salted 8-byte BLAKE2b digests of strings, sorted in a uint64 array (the values are not kept).

    >>> hs = HashSet.build(["a", "b"], np.random.default_rng(0))
    >>> hs.contains(["a", "c"]).tolist()
    [True, False]
    """

    def __init__(self, salt: bytes, digests: np.ndarray) -> None:
        self.salt = salt
        self.digests = digests

    @staticmethod
    def hash(values: Iterable[str], salt: bytes) -> np.ndarray:
        key = _key(salt)
        blob = b"".join(hashlib.blake2b(v.encode("utf-8"), digest_size=8, key=key).digest() for v in values)
        return np.frombuffer(blob, dtype="<u8").astype(np.uint64)

    @classmethod
    def build(cls, values: Iterable[str], rng: np.random.Generator) -> HashSet:
        salt = rng.bytes(16)
        return cls(salt, np.unique(cls.hash(values, salt)))

    def contains(self, values: Sequence[str] | np.ndarray) -> np.ndarray:
        if len(values) == 0 or len(self.digests) == 0:
            return np.zeros(len(values), dtype=bool)
        h = self.hash((str(v) for v in values), self.salt)
        pos = np.searchsorted(self.digests, h)
        pos[pos >= len(self.digests)] = 0
        return np.asarray(self.digests[pos] == h)

    def __len__(self) -> int:
        return len(self.digests)

    def to_state(self) -> dict[str, Any]:
        return {"salt": self.salt.hex(), "digests": self.digests}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> HashSet:
        return cls(bytes.fromhex(state["salt"]), np.asarray(state["digests"], dtype=np.uint64))


class BaseTransformer(ColumnTransformer):
    """Stores ``specs`` and ``locale``; shared checks for the concrete transformers."""

    n_specs = 1

    def __init__(self, specs: list[ColumnSpec], *, locale: str | None = None) -> None:
        self.specs = specs
        self.locale = locale

    @property
    def spec(self) -> ColumnSpec:
        return self.specs[0]

    @property
    def col(self) -> str:
        return self.specs[0].name

    def _check_data(self, data: pd.DataFrame) -> None:
        if len(self.specs) != self.n_specs:
            raise SchemaError(
                f"{type(self).__name__} takes {self.n_specs} column spec(s), got {len(self.specs)}; "
                "check the schema's geo_partner fields"
            )
        lacking = [c for c in self.input_columns if c not in data.columns]
        if lacking:
            raise SchemaError(f"the data lacks column(s) {lacking} named in the schema; re-run `simulacra profile`")

    def _check_fitted(self) -> None:
        if not hasattr(self, "fitted_"):
            raise NotFittedError(
                f"{type(self).__name__} for {self.input_columns} is not fitted; call fit() or set_state() first"
            )
