"""Numbers: one continuous model column, plus a missing indicator when the column has gaps.

Handles ``int*``/``float*`` columns, nullable ``Int64``/``Float64``, and text columns that hold numbers
with a token for missing cells (NIST's ``N``). The inverse clips to the bounds, rounds to the decimal
places and writes the input's dtype back (text numbers with the input's decimals and null token).

>>> spec = ColumnSpec(name="age", kind=ColumnKind.NUMERIC, dtype="int64")
>>> t = NumericTransformer([spec]).fit(df, rng)
>>> model = t.transform(df, rng)           # {"age": float64 array}
>>> t.inverse_transform(model, len(df), rng)["age"].dtype
dtype('int64')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, SchemaError
from ..schema import ColumnSpec
from ._common import (
    BaseTransformer,
    is_text_dtype,
    missing_mask,
    null_column,
    object_na,
    read_continuous,
    read_null,
)
from .base import ModelColumn, ModelColumnType

__all__ = ["NumberFormat", "NumericTransformer", "learn_decimals", "parse_numbers"]

_MAX_DECIMALS = 12


def learn_decimals(values: np.ndarray) -> int | None:
    """The fewest decimal places (<= 12) that represent every value exactly; ``None`` if none does."""
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return 0
    if len(v) > 20000:
        v = v[:: max(1, len(v) // 20000)]
    for d in range(_MAX_DECIMALS + 1):
        if np.array_equal(np.round(v, d), v):
            return d
    return None


@dataclass(frozen=True)
class NumberFormat:
    """How a column stores its numbers (learned at fit, JSON-ready through :func:`dataclasses.asdict`).

    ``style`` is ``"fixed"`` when every text value has exactly ``decimals`` digits after the point and
    ``"minimal"`` when trailing zeros are dropped (down to ``min_decimals``); ``token`` is written for
    missing text cells.
    """

    dtype: str
    decimals: int | None = None
    style: str = "fixed"
    token: str | None = None
    na: str = "nan"
    min_decimals: int = 0

    @property
    def is_integer(self) -> bool:
        return self.dtype.lower().startswith(("int", "uint")) or self.decimals == 0

    def format(self, values: np.ndarray, missing: np.ndarray) -> pd.Series:
        """Write rounded ``values`` in this format; ``missing`` cells become the dtype's missing value."""
        dtype = self.dtype
        v = values if self.decimals is None else np.round(values, self.decimals)
        v = v + 0.0  # no negative zero
        low = dtype.lower()
        if low.startswith(("int", "uint")):
            ints = np.round(v).astype(np.int64)
            if dtype[0] == "I" or dtype[0] == "U":  # nullable
                return pd.Series(ints).astype(dtype).mask(missing)
            return pd.Series(ints.astype(dtype))
        if low.startswith("float"):
            out = pd.Series(np.where(missing, np.nan, v)).astype(dtype)
            return out.mask(missing) if dtype[0] == "F" else out
        if low in ("bool", "boolean"):
            flags = pd.Series(v >= 0.5)
            return flags.astype("boolean").mask(missing) if low == "boolean" else flags
        d = 0 if self.decimals is None else self.decimals
        text = np.char.mod(f"%.{d}f", v).astype(object) if self.decimals is not None else v.astype(str).astype(object)
        if self.style == "minimal" and d > self.min_decimals:
            text = np.array([_strip_zeros(t, self.min_decimals) for t in text], dtype=object)
        if self.token is not None:
            text[missing] = self.token
            missing = np.zeros(len(text), dtype=bool)
        text[missing] = None if (dtype == "object" and self.na == "none") else np.nan
        return pd.Series(text, dtype=object) if dtype == "object" else pd.Series(text).astype(dtype)


def _strip_zeros(text: str, keep: int) -> str:
    """Drop trailing zeros after the point, keeping at least ``keep`` decimals."""
    head, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(keep, "0")
    return f"{head}.{frac}" if frac else head


def parse_numbers(col: pd.Series, null_token: str | None, where: str) -> tuple[np.ndarray, np.ndarray, NumberFormat]:
    """Float values (NaN where missing), the missing mask and the column's :class:`NumberFormat`."""
    dtype = str(col.dtype)
    missing = missing_mask(col, null_token)
    if is_text_dtype(dtype):
        text = col[~missing].astype(str)
        nums = pd.to_numeric(text, errors="coerce")
        bad = int(nums.isna().sum())
        if bad:
            raise SchemaError(
                f"{where}: {bad} value(s) are not numbers; set the column's null_token to the text that marks "
                "missing cells, or give the column another kind in the schema"
            )
        values = np.full(len(col), np.nan)
        values[~missing] = nums.to_numpy(dtype=np.float64)
        frac = text.str.partition(".")[2].str.len().to_numpy() if len(text) else np.zeros(0, dtype=int)
        dec = int(frac.max()) if len(frac) else 0
        style = "fixed" if len(frac) == 0 or (frac == dec).all() else "minimal"
        low = int(frac.min()) if len(frac) else 0
        token = null_token if null_token is not None and bool((col == null_token).fillna(False).any()) else None
        return values, missing, NumberFormat(dtype, dec, style, token, object_na(col), low)
    if dtype.lower() in ("bool", "boolean"):
        values = np.array(col.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
        return values, missing, NumberFormat(dtype, 0)
    try:
        values = np.array(col.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
    except (TypeError, ValueError):
        raise SchemaError(f"{where}: dtype {dtype} is not numeric; give the column another kind") from None
    if np.isinf(values).any():
        raise InputError(f"{where}: holds infinite values; replace them with missing cells or finite bounds")
    learned = 0 if dtype.lower().startswith(("int", "uint")) else learn_decimals(values)
    return values, missing, NumberFormat(dtype, learned)


def _bound(value: Any, learned: float) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value):
        return float(value)
    return learned


class NumericTransformer(BaseTransformer):
    """A number column <-> continuous ``<name>`` (+ discrete ``<name>.null`` when it has missing cells).

    Missing cells are filled with random observed values at transform so the marginal is kept; the
    indicator restores them on the way back. Bounds and decimals come from the spec, else from the data.
    """

    name = "numeric"

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> NumericTransformer:
        self._check_data(data)
        spec: ColumnSpec = self.spec
        values, missing, fmt = parse_numbers(data[self.col], spec.null_token, f"column {self.col!r}")
        if spec.decimals is not None and not fmt.dtype.lower().startswith(("int", "uint")):
            fmt = NumberFormat(fmt.dtype, int(spec.decimals), fmt.style, fmt.token, fmt.na, fmt.min_decimals)
        observed = values[~missing]
        has_obs = len(observed) > 0
        self.format_ = fmt
        self.minimum_ = _bound(spec.minimum, float(observed.min()) if has_obs else 0.0)
        self.maximum_ = max(self.minimum_, _bound(spec.maximum, float(observed.max()) if has_obs else 0.0))
        self.fill_ = float(np.median(observed)) if has_obs else self.minimum_
        self.has_null_ = bool(missing.any())
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        cols = [ModelColumn(self.col, ModelColumnType.CONTINUOUS, source=self.col)]
        if self.has_null_:
            cols.append(null_column(self.col))
        return cols

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        values, missing, _ = parse_numbers(data[self.col], self.spec.null_token, f"column {self.col!r}")
        values = fill_missing(values, missing, rng, self.fill_)
        out = {self.col: values}
        if self.has_null_:
            out[f"{self.col}.null"] = missing.astype(np.int64)
        return out

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        values = np.clip(read_continuous(model, self.col, n, self.fill_), self.minimum_, self.maximum_)
        missing = read_null(model, self.col, n, self.has_null_)
        return pd.DataFrame({self.col: self.format_.format(values, missing)})

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "format": asdict(self.format_),
            "minimum": self.minimum_,
            "maximum": self.maximum_,
            "fill": self.fill_,
            "has_null": self.has_null_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.format_ = NumberFormat(**state["format"])
        self.minimum_ = float(state["minimum"])
        self.maximum_ = float(state["maximum"])
        self.fill_ = float(state["fill"])
        self.has_null_ = bool(state["has_null"])
        self.fitted_ = True


def fill_missing(values: np.ndarray, missing: np.ndarray, rng: np.random.Generator, default: float) -> np.ndarray:
    """Replace missing entries by random observed values (``default`` when nothing is observed)."""
    out = np.array(values, dtype=np.float64, copy=True)
    if missing.any():
        observed = out[~missing]
        out[missing] = rng.choice(observed, size=int(missing.sum())) if len(observed) else default
    return out
