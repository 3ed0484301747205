"""Say, for each column with missing cells, whether its missingness looks informative.

Missingness is called informative when the same rows are missing in another column, or when the share
of missing cells differs sharply (by at least ``SPREAD``) between the categories of a low-cardinality
column. The result is only evidence: it never changes a column's kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .table import ColumnSpec

__all__ = ["describe_missingness"]

SPREAD = 0.5
MAX_GROUPS = 50
MIN_GROUP = 20
MAX_PARTNERS = 60


def describe_missingness(data: pd.DataFrame, specs: Sequence[ColumnSpec], rows: np.ndarray | None) -> list[ColumnSpec]:
    frame = data if rows is None else data.iloc[rows]
    masks = {str(c): frame[c].isna().to_numpy() for c in frame.columns}
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for c in list(frame.columns)[:MAX_PARTNERS]:
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=True)
        if 2 <= len(uniques) <= MAX_GROUPS:
            valid = codes >= 0
            sizes = np.bincount(codes[valid], minlength=len(uniques))
            groups[str(c)] = (codes, sizes)
    out = []
    for spec in specs:
        mask = masks[spec.name]
        if spec.null_rate == 0 or not mask.any() or mask.all():
            out.append(spec)
            continue
        note = _explain(spec.name, mask, masks, groups)
        out.append(spec.with_(evidence=(*spec.evidence, note)))
    return out


def _explain(
    name: str,
    mask: np.ndarray,
    masks: dict[str, np.ndarray],
    groups: dict[str, tuple[np.ndarray, np.ndarray]],
) -> str:
    share = f"{100 * mask.mean():.1f}% missing"
    same = [other for other, m in masks.items() if other != name and np.array_equal(m, mask)]
    if same:
        return f"{share}, in exactly the same rows as column(s) {same[:3]}: missingness looks informative"
    for other, (codes, sizes) in groups.items():
        if other == name:
            continue
        valid = codes >= 0
        missing = np.bincount(codes[valid], weights=mask[valid], minlength=len(sizes))
        big = sizes >= MIN_GROUP
        if big.sum() < 2:
            continue
        rates = missing[big] / sizes[big]
        if rates.max() - rates.min() >= SPREAD:
            return (
                f"{share}; the missing share ranges from {100 * rates.min():.0f}% to {100 * rates.max():.0f}% "
                f"across the categories of column '{other}': missingness looks informative"
            )
    return f"{share}, unrelated to the other columns as far as checked: missingness looks random"
