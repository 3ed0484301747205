"""The public domain of a table for the DP generators that discretise (``privbayes``): no data-derived values.

With differential privacy on, everything the model keeps about a column's range must be public knowledge:
the bounds of numeric and datetime columns, the category list of categorical columns, and whether a column
may be missing. These come from the schema the user gives (``simulacra profile --public`` writes one to
fill in), never from the data. The rules here:

* numeric: ``minimum`` and ``maximum`` must be given; values outside are clipped to them (clipping is a
  data-independent map, so it costs no privacy);
* datetime: ``minimum`` and ``maximum`` (ISO-8601 strings) must be given; values outside are clipped;
* categorical: ``categories`` must be given; a value outside the list is an error (it names the column and
  the count of such cells, never the values);
* missing values: a column may be missing only if the schema says so (``null_rate > 0`` or
  ``missing_as_category``); the rate itself is not used. Missing cells in a column declared complete are an
  error naming the column.

The reversible :class:`~simulacra.transformers.table.TableTransformer` is fitted on a small *public frame*
built from the schema alone (the bounds, the categories, one missing cell where declared), so every value it
learns (formats, category order, fill values) is public. :class:`BinnedDomain` then turns the model columns
into discrete attributes: the public minimum and maximum each get a code of their own (zero amounts and caps
stay sharp), the range between them ``bins`` equal-width bins (sampling draws uniformly within a bin), and
integer columns with at most ``max(bins, 128)`` values one code per value.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import SchemaError
from ...privacy import PrivacyLedger
from ...schema import ColumnKind, ColumnSpec, TableSchema
from ...transformers.base import ModelColumn
from ...transformers.table import TableTransformer

__all__ = [
    "BinnedDomain",
    "PublicFit",
    "check_domain_share",
    "check_public_domain",
    "fit_public",
    "fit_public_transformer",
    "is_nullable",
]


def is_nullable(spec: ColumnSpec) -> bool:
    """Whether the public schema declares that the column may be missing."""
    return bool(spec.null_rate and spec.null_rate > 0) or spec.missing_as_category


def check_public_domain(
    schema: TableSchema | None,
    generator: str,
    data: pd.DataFrame,
    *,
    ledger: PrivacyLedger | None = None,
    domain_share: float | None = None,
    rng: np.random.Generator | None = None,
) -> TableSchema:
    """The schema, checked to give a public domain for every column; one :class:`SchemaError` otherwise.

    Uses the rules and the message of the marginal-based generators (``mst``, ``aim``), placeholders of
    ``simulacra profile --public`` included. With ``domain_share``, missing numeric and datetime bounds are
    first estimated privately with that share of ``ledger``'s budget (:func:`simulacra.privacy.domain.estimate_bounds`).
    """
    from ...privacy.domain import estimate_bounds
    from ._discretize import domain_problems
    from .marginal import missing_domain_message

    if schema is None:
        names = [repr(str(c)) for c in data.columns]
        raise SchemaError(f"{generator}: " + missing_domain_message(names, [], profiled=True))
    missing, unsupported = domain_problems(schema, geo=False)
    if missing and not unsupported and domain_share is not None and ledger is not None and rng is not None:
        schema.check_columns(data)
        schema = estimate_bounds(data, schema, ledger, rng, share=float(domain_share))
        missing, unsupported = domain_problems(schema, geo=False)
    if missing or unsupported:
        raise SchemaError(f"{generator}: " + missing_domain_message(missing, unsupported, profiled=False))
    return schema


def check_domain_share(generator: str, share: Any) -> list[str]:
    """The problem with a ``domain_share`` parameter, if any."""
    if share is not None and (isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1):
        return [f"domain_share={share!r}; use None or a share strictly between 0 and 1 (typical 0.1)"]
    return []


def _public_values(spec: ColumnSpec) -> list[Any]:
    """Values that span the column's public domain, in the column's storage type."""
    if spec.kind is ColumnKind.CATEGORICAL:
        return list(spec.categories or ())
    if spec.kind is ColumnKind.NUMERIC:
        lo, hi = float(spec.minimum), float(spec.maximum)  # type: ignore[arg-type]
        return [int(lo), int(hi)] if spec.is_integer or spec.dtype.lower().startswith(("int", "uint")) else [lo, hi]
    lo_t, hi_t = pd.Timestamp(str(spec.minimum)), pd.Timestamp(str(spec.maximum))
    fmt = spec.datetime_format
    if spec.dtype.startswith("datetime64"):
        return [lo_t, hi_t]
    if fmt in ("epoch_s", "epoch_ms"):
        div = 10**9 if fmt == "epoch_s" else 10**6
        return [int(lo_t.value // div), int(hi_t.value // div)]
    if fmt is not None:
        out = [lo_t.strftime(fmt), hi_t.strftime(fmt)]
        return [int(v) for v in out] if spec.dtype.lower().startswith("int") else out
    return [lo_t.isoformat(), hi_t.isoformat()]


def public_frame(schema: TableSchema) -> pd.DataFrame:
    """A small frame holding only public values: each column's bounds or categories, plus one missing cell
    where the schema declares the column nullable."""
    columns = {s.name: _public_values(s) + ([None] if is_nullable(s) else []) for s in schema}
    length = max((len(v) for v in columns.values()), default=1)
    out = {}
    for spec in schema:
        values = columns[spec.name]
        values = values + [values[0]] * (length - len(values))
        series = pd.Series(values, dtype=object)
        if spec.kind is ColumnKind.DATETIME and spec.dtype.startswith("datetime64"):
            series = pd.to_datetime(series)
        elif spec.kind is ColumnKind.NUMERIC:
            nullable_int = spec.dtype.lower().startswith(("int", "uint")) and is_nullable(spec)
            series = series.astype("float64" if nullable_int else spec.dtype)
        elif spec.dtype != "object" and (spec.dtype in ("str", "string", "category") or not is_nullable(spec)):
            with contextlib.suppress(TypeError, ValueError):  # else keep object: the spelling comes back anyway
                series = series.astype(spec.dtype)
        out[spec.name] = series
    return pd.DataFrame(out)


def check_missing(data: pd.DataFrame, schema: TableSchema, generator: str) -> None:
    """Missing cells only where the public schema allows them (names columns, never values)."""
    bad = [s.name for s in schema if not is_nullable(s) and bool(data[s.name].isna().any())]
    if bad:
        raise SchemaError(
            f"{generator}: column(s) {bad} have missing cells but the public schema declares them complete; set "
            "`null_rate` to a positive value in the schema for each (the rate itself is not used), or fill the "
            "cells before fitting"
        )


def fit_public_transformer(schema: TableSchema, rng: np.random.Generator, locale: str | None) -> TableTransformer:
    """A table transformer fitted on the public frame only."""
    return TableTransformer(schema, locale=locale).fit(public_frame(schema), rng)


@dataclass
class PublicFit:
    """What :func:`fit_public` returns: the checked schema, the transformer fitted on public values only,
    the private data's model columns and the public frame's model columns (the bounds in model units)."""

    schema: TableSchema
    transformer: TableTransformer
    model: pd.DataFrame
    public_model: pd.DataFrame


def fit_public(
    generator: str,
    data: pd.DataFrame,
    schema: TableSchema | None,
    rng: np.random.Generator,
    locale: str | None,
    *,
    ledger: PrivacyLedger | None = None,
    domain_share: float | None = None,
) -> PublicFit:
    """The DP replacement of the data-fitted transformer: check the public domain (estimating missing bounds
    privately when ``domain_share`` is given), fit on public values, then transform the private data (values
    outside the bounds are clipped later, unknown categories refused)."""
    checked = check_public_domain(schema, generator, data, ledger=ledger, domain_share=domain_share, rng=rng)
    checked.check_columns(data)
    check_missing(data, checked, generator)
    transformer = fit_public_transformer(checked, rng, locale)
    model = transformer.transform(data[checked.names], rng)
    public_model = transformer.transform(public_frame(checked), rng)
    return PublicFit(checked, transformer, model, public_model)


#: integer columns whose public range holds at most this many values (or ``bins``, if larger) keep one
#: code per value
EXACT_INTEGERS = 128


@dataclass
class BinnedDomain:
    """Model columns as discrete attributes.

    Discrete columns keep their codes. A continuous column gets ``bins + 2`` codes: code 0 is exactly the
    public minimum, the last code exactly the public maximum (amounts are often 0 or capped: a bin of its own
    keeps such spikes sharp instead of smearing them over the first or last bin), and the codes between are
    ``bins`` equal-width bins of the open range; sampling draws uniformly within a bin. Integer columns whose
    range holds at most ``max(bins, 128)`` values get one code per value instead (``kind`` 2).
    ``kind``: 0 discrete, 1 binned with atoms at the bounds, 2 exact integers.
    """

    sizes: list[int]
    lows: list[float]
    highs: list[float]
    kinds: list[int]

    @classmethod
    def build(cls, public: PublicFit, bins: int) -> BinnedDomain:
        columns, bounds, schema = public.transformer.model_columns, public.public_model, public.schema
        out = cls([], [], [], [])
        for c in columns:
            if c.is_discrete:
                out._add(int(c.n_categories), 0.0, 0.0, 0)
                continue
            vals = bounds[c.name].to_numpy(dtype=float)
            lo, hi = float(np.min(vals)), float(np.max(vals))
            spec = schema[c.source] if c.source in schema.names else None
            integer = spec is not None and spec.kind is ColumnKind.NUMERIC and bool(spec.is_integer)
            if integer and hi - lo + 1 <= max(bins, EXACT_INTEGERS):
                out._add(round(hi - lo) + 1, lo, hi, 2)
            elif hi > lo:
                out._add(int(bins) + 2, lo, hi, 1)
            else:
                out._add(1, lo, hi, 2)
        return out

    def _add(self, size: int, lo: float, hi: float, kind: int) -> None:
        self.sizes.append(size)
        self.lows.append(lo)
        self.highs.append(hi)
        self.kinds.append(kind)

    def encode(self, model: pd.DataFrame, columns: list[ModelColumn]) -> np.ndarray:
        """Integer codes (n x d); continuous values outside the public bounds are clipped to them."""
        out = np.empty((len(model), len(columns)), dtype=np.int64)
        for j, c in enumerate(columns):
            x = model[c.name].to_numpy()
            lo, hi, size = self.lows[j], self.highs[j], self.sizes[j]
            if self.kinds[j] == 0:
                out[:, j] = np.clip(x.astype(np.int64), 0, size - 1)
                continue
            v = np.nan_to_num(x.astype(float), nan=lo)
            if self.kinds[j] == 2:
                codes = np.rint(v - lo)
            else:
                inner = 1.0 + np.floor((v - lo) / ((hi - lo) / (size - 2)))
                codes = np.where(v <= lo, 0.0, np.where(v >= hi, size - 1.0, np.clip(inner, 1, size - 2)))
            out[:, j] = np.clip(codes, 0, size - 1).astype(np.int64)
        return out

    def decode(self, codes: np.ndarray, columns: list[ModelColumn], rng: np.random.Generator) -> pd.DataFrame:
        """Model columns from codes: bounds and integers exactly, a binned value uniformly within its bin."""
        out: dict[str, np.ndarray] = {}
        for j, c in enumerate(columns):
            k = codes[:, j]
            lo, hi, size = self.lows[j], self.highs[j], self.sizes[j]
            if self.kinds[j] == 0:
                out[c.name] = k.astype(np.int64)
            elif self.kinds[j] == 2:
                out[c.name] = lo + k.astype(float)
            else:
                width = (hi - lo) / (size - 2)
                inside = lo + (k - 1 + rng.random(len(k))) * width
                out[c.name] = np.where(k == 0, lo, np.where(k == size - 1, hi, inside))
        return pd.DataFrame(out)

    def to_state(self) -> dict[str, Any]:
        return {
            "sizes": np.asarray(self.sizes, dtype=np.int64),
            "lows": np.asarray(self.lows, dtype=np.float64),
            "highs": np.asarray(self.highs, dtype=np.float64),
            "kinds": np.asarray(self.kinds, dtype=np.int64),
        }

    @classmethod
    def from_state(cls, state: Any) -> BinnedDomain:
        return cls(
            [int(x) for x in np.asarray(state["sizes"])],
            [float(x) for x in np.asarray(state["lows"])],
            [float(x) for x in np.asarray(state["highs"])],
            [int(x) for x in np.asarray(state["kinds"])],
        )
