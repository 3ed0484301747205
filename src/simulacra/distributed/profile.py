"""Profile a dataset larger than memory: kinds from a uniform sample, statistics from every row.

The column kinds, formats and evidence come from :func:`simulacra.profile` run on a uniform sample
(``sample_rows`` rows, drawn in one pass, see :func:`~simulacra.distributed.copula.draw_sample`); a second
pass then recomputes over all rows the fields that are statistics: ``n_rows``, every ``null_rate``,
numeric ``minimum``/``maximum``/``decimals``, and categorical ``categories``/``rare_categories`` (so a
category too rare to be sampled is still listed). Datetime bounds and the missing-value description
stay those of the sample (documented in docs/scale.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import ColumnKind, ColumnSpec, TableSchema
from ..schema._detect_common import to_native
from ..schema.profile import _decimals, profile
from ..transformers._common import missing_mask
from ..transformers.numeric import parse_numbers
from ._engine import Engine
from ._source import Dataset, read_partition
from .copula import draw_sample

__all__ = ["profile_partitions"]


@dataclass
class _Stats:
    """Exact statistics of one column over some rows."""

    n: int = 0
    missing: int = 0
    minimum: float = np.inf
    maximum: float = -np.inf
    decimals: int = 0
    counts: Counter[Any] = field(default_factory=Counter)

    def merge(self, other: _Stats) -> _Stats:
        return _Stats(
            self.n + other.n,
            self.missing + other.missing,
            min(self.minimum, other.minimum),
            max(self.maximum, other.maximum),
            max(self.decimals, other.decimals),
            self.counts + other.counts,
        )


def _is_numeric(spec: ColumnSpec) -> bool:
    return spec.kind is ColumnKind.NUMERIC or (spec.kind is ColumnKind.GEO and spec.geo_partner is not None)


def _stats_task(dataset: Dataset, schema: TableSchema, i: int) -> dict[str, _Stats]:
    frame = read_partition(dataset, i)
    out: dict[str, _Stats] = {}
    for spec in schema:
        col = frame[spec.name]
        st = _Stats(n=len(col))
        if _is_numeric(spec):
            values, missing, _ = parse_numbers(col, spec.null_token, f"column {spec.name!r}")
            st.missing = int(missing.sum())
            observed = values[~missing]
            if len(observed):
                st.minimum, st.maximum = float(observed.min()), float(observed.max())
                if not spec.is_integer:
                    st.decimals = _decimals(np.unique(observed))
        elif spec.kind is ColumnKind.CATEGORICAL:
            nonnull = col[col.notna()]
            st.missing = len(col) - len(nonnull)
            vc = nonnull.astype(object).value_counts(sort=False)
            st.counts = Counter({to_native(v): int(c) for v, c in vc.items() if c > 0})
        else:
            st.missing = int(missing_mask(col, spec.null_token).sum())
        out[spec.name] = st
    return out


def _merge(a: dict[str, _Stats], b: dict[str, _Stats]) -> dict[str, _Stats]:
    return {k: a[k].merge(b[k]) for k in a}


def _exact(spec: ColumnSpec, st: _Stats, rare: int, note: str) -> ColumnSpec:
    changes: dict[str, Any] = {"null_rate": round(st.missing / max(st.n, 1), 6)}
    evidence = [*spec.evidence]
    if _is_numeric(spec) and np.isfinite(st.minimum):
        if spec.is_integer:
            changes.update(minimum=int(st.minimum), maximum=int(st.maximum))
        else:
            changes.update(minimum=st.minimum, maximum=st.maximum, decimals=st.decimals)
    if spec.kind is ColumnKind.CATEGORICAL:
        pairs = sorted(((c, v) for v, c in st.counts.items()), key=lambda p: (-p[0], p[1]))
        changes["categories"] = tuple(v for _, v in pairs)
        changes["rare_categories"] = tuple(v for c, v in pairs if c < rare)
        evidence = [e for e in evidence if "seen fewer than" not in e]
        evidence.append(f"{len(pairs)} categories, {len(changes['rare_categories'])} seen fewer than {rare} times")
    evidence.append(note)
    text_like = spec.kind in (ColumnKind.CATEGORICAL, ColumnKind.TEXT, ColumnKind.PII)
    if text_like and (spec.null_rate > 0 or changes["null_rate"] > 0):
        changes["missing_as_category"] = True
    return spec.with_(evidence=tuple(evidence), **changes)


def profile_partitions(
    dataset: Dataset,
    engine: Engine,
    *,
    sample_rows: int = 50_000,
    rare_threshold: int = 10,
    locale: str | None = None,
    random_state: int = 0,
    progress: ProgressCallback | None = None,
) -> TableSchema:
    """The :class:`TableSchema` of ``dataset`` (two passes: a sample, then exact statistics)."""
    progress = progress or NO_PROGRESS
    drawn = draw_sample(dataset, engine, sample_rows, random_state, progress=progress)
    rows: pd.DataFrame = drawn.sample.rows
    base = profile(
        rows, rare_threshold=rare_threshold, locale=locale, sample_rows=max(2, len(rows)), random_state=random_state
    )
    stats = engine.map_fold(partial(_stats_task, dataset, base), len(dataset), _merge, progress, "pass: statistics")
    note = (
        f"distributed profile: kind from a uniform sample of {len(rows)} of {drawn.n_rows} rows; "
        "null rate, bounds and categories over all rows"
    )
    specs = [_exact(spec, stats[spec.name], rare_threshold, note) for spec in base]
    return TableSchema(columns=tuple(specs), n_rows=drawn.n_rows)
