"""Fit the Gaussian copula from distributed sufficient statistics.

The result is an ordinary :class:`~simulacra.generators.statistical.gaussian_copula.GaussianCopulaGenerator`
(``save``/``load``/``sample`` as usual), built by the same code as the in-memory fit from statistics
that merge across partitions:

====================  ==========================================  ======================================
what                  in memory                                   distributed
====================  ==========================================  ======================================
transformers          fitted on all rows                          fitted on a uniform sample (plus one row
                                                                  per column with missing cells); category
                                                                  lists from exact counts over all rows
stratum column        Cramér's V of decile-binned columns         same, contingency tables summed over
                                                                  partitions (decile edges from the sample)
stratum sizes         counts                                      counts (exact)
category frequencies  counts                                      counts (exact)
numeric quantiles     ``np.quantile`` of the column               merged value counts (exact up to 100,000
                                                                  distinct values, then a bucketed sketch)
parametric family     KS on a 2,000-row subsample                 KS on 2,000 rows of the uniform sample
category orders,      learned iteratively on all rows             learned the same way on the uniform
partners                                                          sample (per stratum)
correlation           Pearson of the normal scores                Pearson from summed moments of the normal
                                                                  scores of every row, placed by the same
                                                                  rules under global CDFs
====================  ==========================================  ======================================

Passes over the data: the sample (1), the stratum choice (1, only with ``stratify="auto"``), marginals (1),
correlation (1).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from .._random import check_random_state
from ..generators.statistical._copula_math import Step, correlation_from_moments, fit_orders, place_scores
from ..generators.statistical._marginals import FIT_ROWS, choose_marginal, empirical_marginal
from ..generators.statistical.gaussian_copula import (
    _MAX_STRATUM_LEVELS,
    GaussianCopulaGenerator,
    add_tables,
    choose_stratum,
    contingency,
    decile_edges,
    stratum_candidates,
    stratum_levels,
)
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import ColumnKind, TableSchema
from ..transformers.base import ModelColumn
from ..transformers.categorical import to_json_scalar
from ..transformers.table import TableTransformer
from ._engine import Engine, partition_rng
from ._sketch import RowSample, ValueCounts, bottom_k, merge_samples
from ._source import Dataset, read_partition

__all__ = ["DatasetSample", "complete_taken", "draw_sample", "fit_copula", "fit_transformer"]

logger = logging.getLogger(__name__)

STAGE_SAMPLE, STAGE_TRANSFORM, STAGE_SCORES = 1, 2, 3


# -- the uniform sample (one pass) ---------------------------------------------------------------------
@dataclass
class DatasetSample:
    """A uniform sample of rows, the row count, exact category counts of the asked columns, and one
    row per column that has missing cells (so a transformer fitted on the sample knows about them)."""

    sample: RowSample
    counts: dict[str, Counter[Any]]
    null_rows: dict[str, pd.DataFrame]

    @property
    def n_rows(self) -> int:
        return self.sample.seen


def _sample_task(dataset: Dataset, k: int, seed: int, count_columns: list[str], i: int) -> DatasetSample:
    frame = read_partition(dataset, i)
    counts: dict[str, Counter[Any]] = {}
    for c in count_columns:
        col = frame[c]
        vc = col[col.notna()].astype(object).value_counts(sort=False)
        counts[c] = Counter({to_json_scalar(v): int(n) for v, n in vc.items()})
    null_rows = {}
    for c in frame.columns:
        missing = np.flatnonzero(frame[c].isna().to_numpy())
        if len(missing):
            null_rows[str(c)] = frame.iloc[missing[:1]]
    return DatasetSample(bottom_k(frame, k, partition_rng(seed, STAGE_SAMPLE, i)), counts, null_rows)


def _merge_sample(k: int, a: DatasetSample, b: DatasetSample) -> DatasetSample:
    counts = {c: a.counts[c] + b.counts[c] for c in a.counts}
    nulls = {**b.null_rows, **a.null_rows}
    return DatasetSample(merge_samples(a.sample, b.sample, k), counts, nulls)


def draw_sample(
    dataset: Dataset,
    engine: Engine,
    k: int,
    seed: int,
    count_columns: list[str] | None = None,
    progress: ProgressCallback | None = None,
) -> DatasetSample:
    """One pass: a uniform sample of ``k`` rows (without replacement) plus exact category counts."""
    task = partial(_sample_task, dataset, k, seed, list(count_columns or []))
    return engine.map_fold(task, len(dataset), partial(_merge_sample, k), progress, "pass: sample")


def _complete_categories(schema: TableSchema, drawn: DatasetSample) -> TableSchema:
    """Categorical columns without a category list get one from the exact counts, most frequent first."""
    specs = []
    for spec in schema:
        if spec.kind is ColumnKind.CATEGORICAL and spec.categories is None and spec.name in drawn.counts:
            ordered = sorted(drawn.counts[spec.name].items(), key=lambda kv: -kv[1])  # stable: first seen first
            spec = spec.with_(categories=tuple(v for v, _ in ordered))
        specs.append(spec)
    return replace(schema, columns=tuple(specs))


def fit_transformer(
    schema: TableSchema, drawn: DatasetSample, locale: str | None, rng: np.random.Generator
) -> TableTransformer:
    """The table transformer fitted on the sample plus the rows that show each column's missing cells."""
    extra = [r for c, r in sorted(drawn.null_rows.items()) if not drawn.sample.rows[c].isna().any()]
    frame = pd.concat([drawn.sample.rows, *extra], ignore_index=True) if extra else drawn.sample.rows
    return TableTransformer(schema, locale=locale).fit(frame[list(schema.names)], rng)


# -- identifiers and PII: never emit a value of *any* row, not only of the sample ------------------------
def _taken_task(dataset: Dataset, salts: dict[str, bytes], i: int) -> dict[str, np.ndarray]:
    from ..transformers._common import HashSet
    from ..transformers.identifier import hash_keys

    frame = read_partition(dataset, i, columns=list(salts))
    out = {}
    for name, salt in salts.items():
        col = frame[name]
        out[name] = np.unique(HashSet.hash(hash_keys(col[col.notna()]), salt))
    return out


def _merge_taken(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.union1d(a[k], b[k]) for k in a}


def complete_taken(
    transformer: TableTransformer, dataset: Dataset, engine: Engine, progress: ProgressCallback | None = None
) -> None:
    """Give identifier and PII transformers (fitted on a sample) the digests of every row's value.

    They refuse to emit a training value by checking a salted digest set; fitted on a sample, that set
    would miss the values outside it. One pass hashes every row with the same salt.
    """
    from ..transformers._common import HashSet

    holders = {
        t.input_columns[0]: t for t in transformer.transformers_ if isinstance(getattr(t, "taken_", None), HashSet)
    }
    if not holders:
        return
    salts = {name: t.taken_.salt for name, t in holders.items()}  # type: ignore[attr-defined]
    digests = engine.map_fold(partial(_taken_task, dataset, salts), len(dataset), _merge_taken, progress, "pass: ids")
    for name, t in holders.items():
        t.taken_ = HashSet(salts[name], digests[name].astype(np.uint64))  # type: ignore[attr-defined]


# -- model columns of a partition --------------------------------------------------------------------
@dataclass
class _Context:
    dataset: Dataset
    names: list[str]
    transformer: TableTransformer
    columns: list[ModelColumn]
    seed: int

    def model(self, i: int) -> list[np.ndarray]:
        frame = read_partition(self.dataset, i, columns=self.names)
        model = self.transformer.transform(frame, partition_rng(self.seed, STAGE_TRANSFORM, i))
        return [model[c.name].to_numpy() for c in self.columns]


def _group_of(codes: np.ndarray, level_group: np.ndarray | None) -> np.ndarray:
    if level_group is None:
        return np.zeros(len(codes), dtype=np.int64)
    return level_group[np.minimum(codes.astype(np.int64), len(level_group) - 1)]


# -- pass: stratum choice -------------------------------------------------------------------------------
def _structure_task(
    ctx: _Context, edges: dict[int, np.ndarray], candidates: list[int], i: int
) -> tuple[list[np.ndarray | None], dict[tuple[int, int], np.ndarray]]:
    data = ctx.model(i)
    binned = [
        x.astype(np.int64) if c.is_discrete else np.searchsorted(edges[j], x, side="right").astype(np.int64)
        for j, (x, c) in enumerate(zip(data, ctx.columns, strict=True))
    ]
    counts: list[np.ndarray | None] = [
        np.bincount(b, minlength=c.n_categories) if c.is_discrete else None
        for b, c in zip(binned, ctx.columns, strict=True)
    ]
    tables = {(a, j): contingency(binned[a], binned[j]) for a in candidates for j in range(len(data)) if j != a}
    return counts, tables


def _merge_structure(
    a: tuple[list[np.ndarray | None], dict[tuple[int, int], np.ndarray]],
    b: tuple[list[np.ndarray | None], dict[tuple[int, int], np.ndarray]],
) -> tuple[list[np.ndarray | None], dict[tuple[int, int], np.ndarray]]:
    counts = [None if x is None or y is None else x + y for x, y in zip(a[0], b[0], strict=True)]
    return counts, {key: add_tables(a[1][key], b[1][key]) for key in a[1]}


# -- pass: marginals per stratum -------------------------------------------------------------------------
_GroupStats = list[tuple[int, list[Any]]]


def _marginal_task(
    ctx: _Context, stratum: int | None, level_group: np.ndarray | None, groups: int, i: int
) -> _GroupStats:
    data = ctx.model(i)
    g = _group_of(data[stratum], level_group) if stratum is not None else _group_of(data[0], None)
    out: _GroupStats = []
    for grp in range(groups):
        rows = g == grp
        stats: list[Any] = [
            np.bincount(x[rows].astype(np.int64), minlength=c.n_categories)
            if c.is_discrete
            else ValueCounts.of(x[rows])
            for x, c in zip(data, ctx.columns, strict=True)
        ]
        out.append((int(rows.sum()), stats))
    return out


def _merge_marginals(a: _GroupStats, b: _GroupStats) -> _GroupStats:
    out: _GroupStats = []
    for (na, sa), (nb, sb) in zip(a, b, strict=True):
        out.append((na + nb, [x + y if isinstance(x, np.ndarray) else x.merge(y) for x, y in zip(sa, sb, strict=True)]))
    return out


# -- pass: correlation of normal scores -------------------------------------------------------------------
@dataclass
class _Placement:
    freqs: dict[int, np.ndarray]
    sketches: dict[int, ValueCounts]
    steps: list[Step]


_Moments = list[tuple[float, np.ndarray, np.ndarray]]


def _moment_task(
    ctx: _Context, stratum: int | None, level_group: np.ndarray | None, placements: list[_Placement], i: int
) -> _Moments:
    data = ctx.model(i)
    rng = partition_rng(ctx.seed, STAGE_SCORES, i)
    g = _group_of(data[stratum], level_group) if stratum is not None else _group_of(data[0], None)
    d = len(data)
    out: _Moments = []
    for grp, pl in enumerate(placements):
        rows = np.flatnonzero(g == grp)
        z = np.zeros((len(rows), d))
        if len(rows):
            discrete = {j: (data[j][rows].astype(np.int64), f) for j, f in pl.freqs.items()}
            continuous = {j: (data[j][rows].astype(float), s.values, s.counts) for j, s in pl.sketches.items()}
            place_scores(z, discrete, continuous, pl.steps, rng)
        out.append((float(len(rows)), z.sum(axis=0), z.T @ z))
    return out


def _merge_moments(a: _Moments, b: _Moments) -> _Moments:
    return [(na + nb, sa + sb, ca + cb) for (na, sa, ca), (nb, sb, cb) in zip(a, b, strict=True)]


# -- the fit -----------------------------------------------------------------------------------------------------
def fit_copula(
    gen: GaussianCopulaGenerator,
    dataset: Dataset,
    schema: TableSchema,
    drawn: DatasetSample,
    engine: Engine,
    seed: int,
    progress: ProgressCallback | None = None,
) -> GaussianCopulaGenerator:
    """Fit ``gen`` (validated parameters) on every row of ``dataset`` through ``engine``; see the module doc."""
    progress = progress or NO_PROGRESS
    rng = check_random_state(seed)
    schema = _complete_categories(schema, drawn)
    schema.check_columns(drawn.sample.rows)
    progress.start("transform", None)
    transformer = fit_transformer(schema, drawn, gen.locale, rng)
    columns = transformer.model_columns
    progress.end("transform")
    complete_taken(transformer, dataset, engine, progress)
    ctx = _Context(dataset, list(schema.names), transformer, columns, seed)
    n_total = drawn.n_rows
    sample_model = transformer.transform(drawn.sample.rows[list(schema.names)], rng)
    sample_data = [sample_model[c.name].to_numpy() for c in columns]

    stratum, level_counts = _choose(gen, ctx, engine, columns, sample_data, n_total, progress)
    if not columns:
        state: dict[str, Any] = {"stratum_column": None, "weights": np.ones(1), "strata": []}
        return _install(gen, schema, transformer, drawn, state, columns)

    if stratum is None:
        level_group: np.ndarray | None = None
        n_groups = 1
    else:
        if level_counts is None:
            levels_task = partial(_level_task, ctx, stratum, columns[stratum].n_categories)
            level_counts = engine.map_fold(levels_task, len(dataset), np.add, progress, "pass: strata")
        levels = stratum_levels(level_counts, gen.min_stratum_rows)
        level_group = np.full(columns[stratum].n_categories, -1, dtype=np.int64)
        for grp, lv in enumerate(levels):
            level_group[lv] = grp
        n_groups = len(levels)
    task = partial(_marginal_task, ctx, stratum, level_group, n_groups)
    stats = engine.map_fold(task, len(dataset), _merge_marginals, progress, "pass: marginals")

    sample_group = (
        _group_of(sample_data[stratum], level_group) if stratum is not None else np.zeros(len(sample_data[0]), int)
    )
    strata: list[dict[str, Any]] = []
    placements: list[_Placement] = []
    for grp, (n_g, col_stats) in enumerate(stats):
        rows = np.flatnonzero(sample_group == grp)
        stratum_state, placement = _build_stratum(gen, columns, col_stats, n_g, [x[rows] for x in sample_data], rng)
        strata.append(stratum_state)
        placements.append(placement)

    scores = partial(_moment_task, ctx, stratum, level_group, placements)
    moments = engine.map_fold(scores, len(dataset), _merge_moments, progress, "pass: correlation")
    for s, (rows_g, total, cross) in zip(strata, moments, strict=True):
        s["corr"] = correlation_from_moments(rows_g, total, cross) if rows_g > 0 else np.eye(len(columns))
    weights = np.array([n for n, _ in stats], dtype=float) / n_total
    state = {"stratum_column": stratum, "weights": weights, "strata": strata}
    return _install(gen, schema, transformer, drawn, state, columns)


def _level_task(ctx: _Context, stratum: int, k: int, i: int) -> np.ndarray:
    return np.bincount(ctx.model(i)[stratum].astype(np.int64), minlength=k)


def _choose(
    gen: GaussianCopulaGenerator,
    ctx: _Context,
    engine: Engine,
    columns: list[ModelColumn],
    sample_data: list[np.ndarray],
    n_total: int,
    progress: ProgressCallback,
) -> tuple[int | None, np.ndarray | None]:
    """The stratifying column and, when a pass counted them, its level counts."""
    if not columns:
        return None, None
    if gen.stratify != "auto":  # "none" or a named column: the in-memory rules, no data needed
        probe = [x[:1] for x in sample_data]
        return (gen._choose_stratum(probe, columns) if gen.stratify != "none" else None), None
    if len(columns) < 2 or n_total < 2 * gen.min_stratum_rows:
        return None, None
    edges = {
        j: decile_edges(partial(np.quantile, x))
        for j, (x, c) in enumerate(zip(sample_data, columns, strict=True))
        if not c.is_discrete
    }
    pre = [j for j, c in enumerate(columns) if c.is_discrete and c.n_categories <= _MAX_STRATUM_LEVELS]
    structure = partial(_structure_task, ctx, edges, pre)
    counts, tables = engine.map_fold(structure, len(ctx.dataset), _merge_structure, progress, "pass: stratum choice")
    candidates = stratum_candidates(columns, counts, gen.min_stratum_rows)
    chosen = choose_stratum(candidates, {k: t for k, t in tables.items() if k[0] in candidates})
    return chosen, (None if chosen is None else counts[chosen])


def _build_stratum(
    gen: GaussianCopulaGenerator,
    columns: list[ModelColumn],
    col_stats: list[Any],
    n: int,
    sample: list[np.ndarray],
    rng: np.random.Generator,
) -> tuple[dict[str, Any], _Placement]:
    marginals: list[dict[str, Any]] = []
    freqs: dict[int, np.ndarray] = {}
    sketches: dict[int, ValueCounts] = {}
    discrete: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    continuous: dict[int, np.ndarray] = {}
    for j, (col, st) in enumerate(zip(columns, col_stats, strict=True)):
        if col.is_discrete:
            freq = st.astype(float) / max(n, 1)
            freqs[j] = freq
            discrete[j] = (sample[j].astype(np.int64), freq)
            marginals.append({"freq": freq})
            continue
        sketches[j] = st
        sub = sample[j].astype(float)
        continuous[j] = sub
        few = st.exact and len(st.values) < 3
        if n == 0:
            marginals.append({"kind": "empirical", "params": [], "grid": np.zeros(2)})
        elif gen.marginals == "empirical" or few or len(sub) < 3:
            marginals.append(empirical_marginal(n, gen.n_quantiles, st.quantile).get_state())
        else:
            sub = sub if len(sub) <= FIT_ROWS else rng.choice(sub, FIT_ROWS, replace=False)
            marginals.append(choose_marginal(sub, gen.marginals, n, gen.n_quantiles, st.quantile).get_state())
    steps: list[Step] = []
    m = len(sample[0]) if sample else 0
    if m >= 2:
        z = np.zeros((m, len(columns)))
        orders = fit_orders(z, discrete, continuous, rng, steps=steps)
    else:  # too few sampled rows to learn orders: most frequent first, placement by noise
        orders = {j: np.argsort(-f, kind="stable") for j, f in freqs.items()}
    for j, order in orders.items():
        marginals[j]["order"] = order
    return {"marginals": marginals}, _Placement(freqs, sketches, steps)


def _install(
    gen: GaussianCopulaGenerator,
    schema: TableSchema,
    transformer: TableTransformer,
    drawn: DatasetSample,
    state: dict[str, Any],
    columns: list[ModelColumn],
) -> GaussianCopulaGenerator:
    from ..generators.base import data_fingerprint

    gen.schema_ = schema
    gen.transformer_ = transformer
    fingerprint = data_fingerprint(drawn.sample.rows[list(schema.names)])
    fingerprint["n_rows"] = drawn.n_rows
    gen.fingerprint_ = fingerprint
    gen._set_state(state, columns)
    gen._sample_rng = check_random_state(gen.random_state)
    logger.debug("distributed copula fitted on %d rows, %d strata", drawn.n_rows, len(state["strata"]))
    return gen
