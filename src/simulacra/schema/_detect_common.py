"""Small helpers shared by the profiler's detectors: name hints, value shapes, native JSON values."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "is_text_dtype",
    "name_tokens",
    "shape_of",
    "to_native",
]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def name_tokens(name: str) -> list[str]:
    """Lower-case word tokens of a column name: ``"host_id"`` and ``"HostId"`` give ``["host", "id"]``."""
    spaced = _CAMEL.sub(" ", name)
    return [t.lower() for t in _SPLIT.split(spaced) if t]


def is_text_dtype(series: pd.Series) -> bool:
    """True for object and string dtypes (the values may still be numbers in an object column)."""
    dtype = series.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)


def shape_of(value: str) -> str:
    """``A`` for each letter, ``9`` for each digit, other characters literal."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            out.append("A")
        else:
            out.append(ch)
    return "".join(out)


def to_native(value: Any) -> str | int | float | bool:
    """A numpy/pandas scalar as the plain Python JSON value (``np.int64(3)`` -> ``3``)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f
    return str(value)
