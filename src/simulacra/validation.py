"""Checks on input data that every entry point runs before profiling or fitting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError, collect

__all__ = ["check_frame"]

MIN_ROWS = 2


def check_frame(data: object, where: str = "the input") -> None:
    """Raise :class:`InputError` listing every problem that makes ``data`` unusable.

    Problems: not a DataFrame, fewer than two rows, no columns, duplicate or non-string column names,
    a column with no values at all, infinities, and object columns that mix value types. Messages name
    columns and row positions, never cell values.
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{where} must be a pandas DataFrame, not {type(data).__name__}")
    if data.shape[1] == 0:
        raise InputError(f"{where} has no columns")
    if len(data) < MIN_ROWS:
        raise InputError(
            f"{where} has {len(data)} row(s); at least {MIN_ROWS} are needed to learn anything (more is better)"
        )
    problems: list[str] = []
    names = [str(c) for c in data.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        problems.append(f"duplicate column names {dupes}: rename them")
        collect(problems, InputError, f"{where} cannot be used")
    if any(not isinstance(c, str) for c in data.columns):
        problems.append("column names must be strings: use df.columns = df.columns.astype(str)")
    for name in data.columns:
        col = data[name]
        if col.isna().all():
            problems.append(f"column '{name}' is entirely empty: drop it or fill it")
            continue
        if pd.api.types.is_float_dtype(col.dtype):
            values = col.to_numpy(dtype=float, na_value=np.nan)
            inf = np.isinf(values)
            if inf.any():
                first = int(np.argmax(inf))
                problems.append(
                    f"column '{name}' holds {int(inf.sum())} infinite value(s) (first at row {first + 1}): "
                    "replace them with a number or leave the cells empty"
                )
        elif col.dtype == object:
            kinds = col.dropna().map(_type_family)
            families = kinds.unique()
            if len(families) > 1:
                counts = kinds.value_counts()
                minority = counts.index[-1]
                first = int(np.argmax((kinds == minority).to_numpy()))
                summary = ", ".join(f"{k} ({v})" for k, v in counts.items())
                problems.append(
                    f"column '{name}' mixes value types: {summary}; first {minority} value at row "
                    f"{kinds.index.get_loc(kinds.index[first]) + 1}: convert the column to one type"
                )
    collect(problems, InputError, f"{where} cannot be used")


def _type_family(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return "datetime"
    import datetime as _dt

    if isinstance(value, (_dt.date, _dt.datetime)):
        return "datetime"
    return type(value).__name__
