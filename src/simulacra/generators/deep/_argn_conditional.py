"""Conditional sampling, imputation and rebalancing for the autoregressive generator (``argn``).

All three are one operation: some cells of each row are given, the rest are drawn column by column, each
seeing the given cells and the ones drawn before it (the network was trained on random column orders, so
any set of given columns is a valid start). Given cells go through the fitted table transformer, so they
take the same checks as training data (an unknown category is a :class:`SchemaError` naming the column).
Given model values are kept as they are, not re-drawn from their token, so the output holds them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..._random import child_seed
from ...errors import ParameterError

if TYPE_CHECKING:
    from .argn import ARGNGenerator

__all__ = ["conditional_sample", "impute"]

_IMPUTE_ROUNDS = 5  # redraws of cells that came back missing (a categorical's null category)


def _columns(gen: ARGNGenerator) -> list[str]:
    return [c.name for c in gen.schema_]


def _check_known(gen: ARGNGenerator, names: list[str], what: str) -> None:
    unknown = [str(c) for c in names if c not in set(_columns(gen))]
    if unknown:
        raise ParameterError(
            f"{what} name(s) {unknown} that the model does not have; its columns are: {', '.join(_columns(gen))}"
        )


def _conditions_frame(gen: ARGNGenerator, n: int, conditions: Mapping[str, Any] | pd.DataFrame | None) -> pd.DataFrame:
    if conditions is None:
        return pd.DataFrame(index=range(n))
    if isinstance(conditions, pd.DataFrame):
        if len(conditions) != n:
            raise ParameterError(
                f"conditions has {len(conditions)} row(s) but n={n}; give one row of conditions per row to "
                "sample (missing cells are generated), or a dict of values for every row"
            )
        _check_known(gen, list(conditions.columns), "conditions has column")
        return conditions.reset_index(drop=True)
    if not isinstance(conditions, Mapping):
        raise ParameterError(
            f"conditions must be a dict of column values or a DataFrame, not {type(conditions).__name__}"
        )
    _check_known(gen, list(conditions), "conditions has column")
    bad = [k for k, v in conditions.items() if not np.isscalar(v) and v is not None]
    if bad:
        raise ParameterError(
            f"conditions for {bad} are not single values; pass a DataFrame of n rows to give per-row values"
        )
    return pd.DataFrame({k: [v] * n for k, v in conditions.items()}, index=range(n))


def _rebalanced(
    gen: ARGNGenerator, n: int, rebalance: Mapping[str, Mapping[Any, float]], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    if not isinstance(rebalance, Mapping):
        raise ParameterError(
            f"rebalance must be a dict {{column: {{category: share}}}}, not {type(rebalance).__name__}"
        )
    _check_known(gen, list(rebalance), "rebalance has column")
    out: dict[str, np.ndarray] = {}
    pilot: pd.DataFrame | None = None
    for col, shares in rebalance.items():
        spec = gen.schema_[col]
        if spec.kind.value != "categorical":
            raise ParameterError(
                f"rebalance column {col!r} is {spec.kind.value}; only categorical columns can be rebalanced"
            )
        if not isinstance(shares, Mapping) or not shares:
            raise ParameterError(f"rebalance[{col!r}] must be a non-empty dict {{category: share}}")
        values = list(shares)
        p = np.array([shares[v] for v in values], dtype=float)
        if not np.all(np.isfinite(p)) or (p < 0).any() or p.sum() > 1 + 1e-9:
            raise ParameterError(
                f"rebalance[{col!r}] shares {dict(shares)} must be numbers >= 0 that add up to at most 1"
            )
        counts = rng.multinomial(n, np.append(p, max(0.0, 1 - p.sum())))
        labels = np.empty(n, dtype=object)
        labels[: counts[:-1].sum()] = np.repeat(np.array(values, dtype=object), counts[:-1])
        rest = int(counts[-1])
        if rest:
            # the other categories keep the model's own proportions: drawn from an unconditional pilot
            if pilot is None:
                pilot = gen.sample(max(1000, min(n, 20_000)), random_state=child_seed(rng))
            others = pilot[col][~pilot[col].isin(values)].to_numpy(dtype=object)
            if len(others) == 0:
                labels[-rest:] = rng.choice(np.array(values, dtype=object), size=rest, p=p / p.sum())
            else:
                labels[-rest:] = others[rng.integers(0, len(others), size=rest)]
        out[col] = labels[rng.permutation(n)]
    return out


def _draw_given(gen: ARGNGenerator, given: pd.DataFrame, rng: np.random.Generator, impute: bool) -> pd.DataFrame:
    """Rows with ``given``'s non-missing cells kept and the rest drawn from the model (user columns)."""
    n = len(given)
    columns = _columns(gen)
    known = given.notna()
    placeholder = gen.sample(1, random_state=0)
    full = pd.concat([placeholder] * n, ignore_index=True)
    for col in given.columns:
        mask = known[col].to_numpy()
        if mask.any():
            full[col] = full[col].astype(object)
            full.loc[mask, col] = given.loc[mask, col].to_numpy(dtype=object)
    full = full.astype({c: placeholder[c].dtype for c in columns}, errors="ignore")
    model = gen.transformer_.transform(full, rng)
    mcols = gen.columns_
    fixed = np.zeros((n, len(mcols)), dtype=bool)
    values = {c.name: model[c.name].to_numpy().copy() for c in mcols}
    for j, c in enumerate(mcols):
        if c.source in given.columns:
            fixed[:, j] = known[c.source].to_numpy()
        if impute and c.role == "null":  # a cell to impute is present: its null indicator says so
            fixed[:, j] = True
            values[c.name] = np.where(
                known[c.source].to_numpy() if c.source in given.columns else True, values[c.name], 0
            )
    tokens = gen.tokenizer_.encode(values)
    tokens = gen._draw(tokens, fixed, rng)
    decoded = gen.tokenizer_.decode(tokens, rng)
    for j, c in enumerate(mcols):
        decoded[c.name] = np.where(fixed[:, j], values[c.name], decoded[c.name]).astype(decoded[c.name].dtype)
    frame = pd.DataFrame({c.name: decoded[c.name] for c in mcols})
    out = gen.transformer_.inverse_transform(frame, rng)
    modelled = {c.source for c in mcols}
    for col in given.columns:  # columns the model does not generate (identifiers, PII) keep the given cells
        mask = known[col].to_numpy()
        if col not in modelled and mask.any():
            out[col] = out[col].astype(object)
            out.loc[mask, col] = given.loc[mask, col].to_numpy(dtype=object)
    return out[columns]


def conditional_sample(
    gen: ARGNGenerator,
    n: int,
    conditions: Mapping[str, Any] | pd.DataFrame | None,
    rebalance: Mapping[str, Mapping[Any, float]] | None,
    rng: np.random.Generator,
) -> pd.DataFrame:
    given = _conditions_frame(gen, n, conditions)
    if rebalance is not None:
        clash = sorted(set(rebalance) & set(given.columns))
        if clash:
            raise ParameterError(f"column(s) {clash} are both in conditions and in rebalance; use one of them")
        for col, labels in _rebalanced(gen, n, rebalance, rng).items():
            given[col] = labels
    return _draw_given(gen, given, rng, impute=False)


def impute(gen: ARGNGenerator, data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"impute takes a DataFrame, not {type(data).__name__}")
    columns = _columns(gen)
    missing_cols = [c for c in columns if c not in data.columns]
    if missing_cols:
        raise ParameterError(
            f"impute: data lacks column(s) {missing_cols} of the model; give every column the model was fitted on "
            "(cells to impute as missing values)"
        )
    _check_known(gen, list(data.columns), "impute: data has column")
    out = data.copy()
    todo = data[columns].isna().to_numpy()
    rows = np.flatnonzero(todo.any(axis=1))
    given = data[columns].iloc[rows].reset_index(drop=True)
    for _ in range(_IMPUTE_ROUNDS):
        if len(rows) == 0:
            break
        drawn = _draw_given(gen, given, rng, impute=True)
        for j, col in enumerate(columns):
            cells = todo[rows, j]
            if cells.any():
                both_numeric = pd.api.types.is_numeric_dtype(out[col]) and pd.api.types.is_numeric_dtype(drawn[col])
                if out[col].dtype != drawn[col].dtype and not both_numeric:
                    out[col] = out[col].astype(object)
                out.iloc[rows[cells], out.columns.get_loc(col)] = drawn[col].to_numpy()[cells]
        todo = todo & out[columns].isna().to_numpy()
        keep = todo[rows].any(axis=1)
        rows, given = rows[keep], given[keep].reset_index(drop=True)
    return out
