"""Fidelity at scale from distributed aggregates; distance-based privacy on a documented sample.

Two passes over the real and the synthetic datasets compute what the in-memory metrics compute, from
statistics that merge across partitions:

* **column shapes** (SDMetrics' KSComplement / TVComplement) from merged value counts: the exact
  figures of :class:`~simulacra.evaluation.fidelity.shapes.ColumnShapes` while a column has at most
  100,000 distinct values (then a bucketed sketch, KS off by at most ~2e-5);
* **missing values** (MissingValueSimilarity) from null counts: exact;
* **column pairs** (CorrelationSimilarity / ContingencySimilarity): Pearson from centred moment sums,
  contingency tables on each table's own 10 equal-width bins (edges from the exact minimum and maximum)
  summed over partitions. The in-memory metric subsamples 50,000 rows for the contingency tables; here
  every row counts, so the figures agree up to that subsampling;
* **k-marginal** (NIST, 3-way, 20 percentile bins of the real data): sparse joint counts summed over
  partitions; exact.

Privacy metrics that need nearest-neighbour distances (NNDR, and the DCR share when a holdout is given)
run in memory on a uniform sample of ``privacy_rows`` synthetic rows against ``privacy_real_rows`` real
rows (drawn in one pass each); their ``details`` say so.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..evaluation._encode import as_labels, as_numbers, is_continuous
from ..evaluation.fidelity._common import BINS_PAIRS
from ..evaluation.fidelity.kmarginal import choose_marginals
from ..evaluation.fidelity.pairs import cramers_v
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import ColumnSpec, TableSchema
from ._engine import Engine
from ._sketch import ValueCounts
from ._source import Dataset, read_partition
from .copula import draw_sample

__all__ = ["ScaleEvaluation", "evaluate_partitions"]


@dataclass
class _Col:
    n: int = 0
    missing: int = 0
    total: float = 0.0
    lo: float = np.inf
    hi: float = -np.inf
    values: ValueCounts = field(default_factory=ValueCounts.empty)
    labels: Counter[str] = field(default_factory=Counter)

    def merge(self, o: _Col) -> _Col:
        return _Col(
            self.n + o.n,
            self.missing + o.missing,
            self.total + o.total,
            min(self.lo, o.lo),
            max(self.hi, o.hi),
            self.values.merge(o.values),
            self.labels + o.labels,
        )


def _column_task(dataset: Dataset, specs: list[ColumnSpec], i: int) -> dict[str, _Col]:
    frame = read_partition(dataset, i, columns=[s.name for s in specs])
    out = {}
    for s in specs:
        col = _Col(n=len(frame))
        if is_continuous(s):
            v = as_numbers(frame[s.name], s).to_numpy(dtype=float)
            ok = v[~np.isnan(v)]
            col.missing = len(v) - len(ok)
            col.total = float(ok.sum())
            if len(ok):
                col.lo, col.hi = float(ok.min()), float(ok.max())
            col.values = ValueCounts.of(np.round(ok, 14))
        else:
            missing = _missing_labels(frame[s.name], s)
            col.missing = int(missing.sum())
            col.labels = Counter(as_labels(frame[s.name][~missing]).value_counts(sort=False).to_dict())
        out[s.name] = col
    return out


def _missing_labels(series: pd.Series, spec: ColumnSpec) -> np.ndarray:
    mask = series.isna().to_numpy()
    if spec.null_token is not None:
        mask = mask | (series.astype("string") == spec.null_token).fillna(False).to_numpy()
    return np.asarray(mask, dtype=bool)


def _merge_columns(a: dict[str, _Col], b: dict[str, _Col]) -> dict[str, _Col]:
    return {k: a[k].merge(b[k]) for k in a}


def _ks(a: ValueCounts, b: ValueCounts) -> float:
    if a.n == 0 or b.n == 0:
        return float("nan")
    points = np.union1d(a.values, b.values)
    return float(1.0 - np.max(np.abs(a.cdf(points) - b.cdf(points))))


def _tv(a: Counter[str], b: Counter[str]) -> float:
    na, nb = sum(a.values()), sum(b.values())
    if na == 0 or nb == 0:
        return float("nan")
    keys = set(a) | set(b)
    return float(1.0 - 0.5 * sum(abs(a[k] / na - b[k] / nb) for k in keys))


def _percentile_uppers(vc: ValueCounts, bins: int = 20) -> np.ndarray:
    """:func:`~simulacra.evaluation.fidelity._common.percentile_bins` from value counts (average ranks of ties)."""
    if vc.n == 0:
        return np.array([0.0])
    before = np.cumsum(vc.counts) - vc.counts
    pct = (before + (vc.counts + 1) / 2.0) / vc.n
    which = np.minimum((bins * pct).astype(int), bins - 1)
    last = np.flatnonzero(np.concatenate([which[1:] != which[:-1], [True]]))
    return np.sort(vc.values[last])


# -- codes of a partition (shared code books) ----------------------------------------------------------
@dataclass
class _Book:
    """How to code each column in one table: histogram edges / percentile uppers / label book; column means."""

    specs: list[ColumnSpec]
    hist_edges: dict[str, np.ndarray]
    uppers: dict[str, np.ndarray]
    labels: dict[str, pd.Index]
    means: dict[str, float]
    marginals: list[tuple[int, ...]]


def _codes(book: _Book, frame: pd.DataFrame, binning: str) -> tuple[list[np.ndarray], list[int]]:
    out, sizes = [], []
    for s in book.specs:
        if is_continuous(s):
            v = as_numbers(frame[s.name], s).to_numpy(dtype=float)
            if binning == "percentile":
                up = book.uppers[s.name]
                c = np.minimum(np.searchsorted(up, v, side="left"), len(up) - 1)
                n_bins = len(up)
            else:
                c = np.digitize(v, book.hist_edges[s.name])
                n_bins = BINS_PAIRS + 2
            out.append(np.where(np.isnan(v), n_bins, c).astype(np.int64))
            sizes.append(n_bins + 1)
        else:
            series = frame[s.name]
            missing = _missing_labels(series, s)
            idx = book.labels[s.name]
            c = idx.get_indexer(as_labels(series).to_numpy(dtype=object)).astype(np.int64)
            c[missing] = len(idx)
            out.append(c)
            sizes.append(len(idx) + 1)
    return out, sizes


@dataclass
class _Joint:
    pair_tables: dict[tuple[int, int], np.ndarray]
    moments: dict[tuple[int, int], np.ndarray]  # n, sx, sy, sxx, syy, sxy of centred values, both present
    kmarg: list[tuple[np.ndarray, np.ndarray]]
    n: int

    def merge(self, o: _Joint) -> _Joint:
        return _Joint(
            {k: v + o.pair_tables[k] for k, v in self.pair_tables.items()},
            {k: v + o.moments[k] for k, v in self.moments.items()},
            [_add_sparse(a, b) for a, b in zip(self.kmarg, o.kmarg, strict=True)],
            self.n + o.n,
        )


def _add_sparse(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    cells = np.concatenate([a[0], b[0]])
    counts = np.concatenate([a[1], b[1]])
    order = np.argsort(cells, kind="stable")
    cells, counts = cells[order], counts[order]
    uniq, first = np.unique(cells, return_index=True)
    return uniq, np.add.reduceat(counts, first)


def _joint_task(dataset: Dataset, book: _Book, i: int) -> _Joint:
    frame = read_partition(dataset, i, columns=[s.name for s in book.specs])
    hist, hsizes = _codes(book, frame, "histogram")
    pct, psizes = _codes(book, frame, "percentile")
    k = len(book.specs)
    tables, moments = {}, {}
    nums = {
        j: as_numbers(frame[s.name], s).to_numpy(dtype=float) - book.means[s.name]
        for j, s in enumerate(book.specs)
        if is_continuous(s)
    }
    for a, b in itertools.combinations(range(k), 2):
        if a in nums and b in nums:
            x, y = nums[a], nums[b]
            ok = ~(np.isnan(x) | np.isnan(y))
            x, y = x[ok], y[ok]
            moments[(a, b)] = np.array([len(x), x.sum(), y.sum(), (x * x).sum(), (y * y).sum(), (x * y).sum()])
        else:
            tables[(a, b)] = np.bincount(hist[a] * hsizes[b] + hist[b], minlength=hsizes[a] * hsizes[b])
    kmarg = []
    for m in book.marginals:
        key = np.zeros(len(frame), dtype=np.int64)
        for j in m:
            key = key * psizes[j] + pct[j]
        cells, counts = np.unique(key, return_counts=True)
        kmarg.append((cells, counts.astype(np.int64)))
    return _Joint(tables, moments, kmarg, len(frame))


def _pearson(m: np.ndarray) -> float:
    n, sx, sy, sxx, syy, sxy = m
    if n < 2:
        return float("nan")
    cov = sxy - sx * sy / n
    den = math.sqrt(max(sxx - sx * sx / n, 0.0) * max(syy - sy * sy / n, 0.0))
    if den == 0 or not math.isfinite(den):
        return float("nan")
    return float(np.clip(cov / den, -1.0, 1.0))


@dataclass
class ScaleEvaluation:
    """Scores of a distributed evaluation (JSON-ready through :meth:`to_dict`)."""

    scores: dict[str, float | None]
    columns: dict[str, dict[str, float | None]]
    pairs: list[dict[str, Any]]
    privacy: dict[str, Any]
    rows: dict[str, int]
    method: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "simulacra.scale_evaluation",
            "rows": self.rows,
            "scores": self.scores,
            "columns": self.columns,
            "pairs": self.pairs,
            "privacy": self.privacy,
            "method": self.method,
        }


def _num(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def evaluate_partitions(
    real: Dataset,
    synthetic: Dataset,
    schema: TableSchema,
    engine: Engine,
    *,
    k: int = 3,
    max_marginals: int = 1000,
    privacy_rows: int = 5_000,
    privacy_real_rows: int = 50_000,
    holdout: Dataset | None = None,
    random_state: int = 0,
    progress: ProgressCallback | None = None,
) -> ScaleEvaluation:
    """Fidelity of ``synthetic`` against ``real`` (see the module doc), and NNDR / DCR on samples."""
    from ..evaluation._encode import judged_columns

    progress = progress or NO_PROGRESS
    judged, skipped = judged_columns(schema)
    for ds in (real, synthetic):
        lacking = [s.name for s in judged if s.name not in ds.columns]
        if lacking:
            from ..errors import InputError

            raise InputError(
                f"cannot evaluate: dataset '{ds.name}' lacks column(s) {lacking}; give tables with the same columns"
            )
    cols = [
        engine.map_fold(partial(_column_task, ds, judged), len(ds), _merge_columns, progress, f"pass: columns ({side})")
        for ds, side in ((real, "real"), (synthetic, "synthetic"))
    ]
    specs = [
        s for s in judged if cols[0][s.name].n > cols[0][s.name].missing and cols[1][s.name].n > cols[1][s.name].missing
    ]
    for s in judged:
        if s not in specs:
            skipped[s.name] = "no values in the real or the synthetic table"
    per_column: dict[str, dict[str, float | None]] = {}
    shapes = []
    missing_scores = []
    for s in judged:
        r, y = cols[0][s.name], cols[1][s.name]
        miss = 1.0 - abs(r.missing / max(r.n, 1) - y.missing / max(y.n, 1))
        missing_scores.append(miss)
        entry: dict[str, float | None] = {"missing_values": _num(miss)}
        if s in specs:
            shape = _ks(r.values, y.values) if is_continuous(s) else _tv(r.labels, y.labels)
            shapes.append(shape)
            entry["shape"] = _num(shape)
        per_column[s.name] = entry
    rng = np.random.default_rng(random_state)
    marginals = choose_marginals(len(specs), min(k, len(specs)), max_marginals, rng)
    books = []
    for c in cols:
        labels = {
            s.name: pd.Index(sorted(set(cols[0][s.name].labels) | set(cols[1][s.name].labels)))
            for s in specs
            if not is_continuous(s)
        }
        hist = {}
        for s in specs:
            if is_continuous(s):
                lo, hi = c[s.name].lo, c[s.name].hi
                if not np.isfinite(lo):  # no values in this table: the real one's edges, as in memory
                    lo, hi = cols[0][s.name].lo, cols[0][s.name].hi
                if lo == hi:  # np.histogram_bin_edges widens a single value by 0.5 on each side
                    lo, hi = lo - 0.5, hi + 0.5
                hist[s.name] = np.linspace(lo, hi, BINS_PAIRS + 1)
        uppers = {s.name: _percentile_uppers(cols[0][s.name].values) for s in specs if is_continuous(s)}
        means = {s.name: cols[0][s.name].total / max(cols[0][s.name].values.n, 1) for s in specs if is_continuous(s)}
        books.append(_Book(specs, hist, uppers, labels, means, marginals))
    joint = [
        engine.map_fold(partial(_joint_task, ds, book), len(ds), _Joint.merge, progress, f"pass: pairs ({side})")
        for ds, book, side in zip((real, synthetic), books, ("real", "synthetic"), strict=True)
    ]
    pairs = []
    for a, b in itertools.combinations(range(len(specs)), 2):
        row: dict[str, Any] = {"column_1": specs[a].name, "column_2": specs[b].name}
        if (a, b) in joint[0].moments:
            rho = [_pearson(j.moments[(a, b)]) for j in joint]
            row.update(
                metric="CorrelationSimilarity", real_association=_num(rho[0]), synthetic_association=_num(rho[1])
            )
            row["score"] = _num(1.0 - abs(rho[0] - rho[1]) / 2.0)
        else:
            t = [j.pair_tables[(a, b)].astype(float) for j in joint]
            p = [x / x.sum() for x in t]
            size_b = len(t[0]) // _size(books[0], specs[a])
            v = [cramers_v(x.reshape(-1, size_b)) for x in t]
            row.update(metric="ContingencySimilarity", real_association=_num(v[0]), synthetic_association=_num(v[1]))
            row["score"] = _num(1.0 - 0.5 * float(np.abs(p[0] - p[1]).sum()))
        pairs.append(row)
    l1 = []
    for (cr, nr), (cs, ns) in zip(joint[0].kmarg, joint[1].kmarg, strict=True):
        pr = pd.Series(nr / joint[0].n, index=cr)
        ps = pd.Series(ns / joint[1].n, index=cs)
        l1.append(float(pr.subtract(ps, fill_value=0.0).abs().sum()))
    pair_scores = [r["score"] for r in pairs if r["score"] is not None]
    scores = {
        "fidelity.column_shapes": _num(float(np.mean(shapes))) if shapes else None,
        "fidelity.missing_values": _num(float(np.mean(missing_scores))) if missing_scores else None,
        "fidelity.column_pairs": _num(float(np.mean(pair_scores))) if pair_scores else None,
        "fidelity.k_marginal": _num((2.0 - float(np.mean(l1))) * 500.0) if l1 else None,
    }
    privacy = _privacy(
        real, synthetic, holdout, schema, engine, privacy_rows, privacy_real_rows, random_state, progress
    )
    return ScaleEvaluation(
        scores=scores,
        columns=per_column,
        pairs=pairs,
        privacy=privacy,
        rows={"real": joint[0].n, "synthetic": joint[1].n},
        method={
            "column_shapes": "exact, from merged value counts (bucketed beyond 100,000 distinct values)",
            "missing_values": "exact",
            "column_pairs": "every row (the in-memory metric subsamples 50,000 rows for contingency tables)",
            "k_marginal": f"exact, {len(marginals)} marginals of {min(k, len(specs))} columns",
            "privacy": f"on uniform samples: {privacy_rows} synthetic rows against {privacy_real_rows} real rows",
            "not_evaluated": "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "none",
        },
    )


def _size(book: _Book, spec: ColumnSpec) -> int:
    if is_continuous(spec):
        return BINS_PAIRS + 3
    return len(book.labels[spec.name]) + 1


def _privacy(
    real: Dataset,
    synthetic: Dataset,
    holdout: Dataset | None,
    schema: TableSchema,
    engine: Engine,
    n_syn: int,
    n_real: int,
    seed: int,
    progress: ProgressCallback,
) -> dict[str, Any]:
    from ..evaluation.privacy.dcr import NNDR, DCRShare

    if holdout is None:
        return {"not_evaluated": "distance-based privacy metrics need a holdout: real rows the generator did not see"}
    progress.start("pass: privacy samples", None)
    real_rows = draw_sample(real, engine, n_real, seed).sample.rows
    syn_rows = draw_sample(synthetic, engine, n_syn, seed + 1).sample.rows
    hold_rows = draw_sample(holdout, engine, n_real, seed + 2).sample.rows
    progress.end("pass: privacy samples")
    out: dict[str, Any] = {}
    for metric in (DCRShare(), NNDR()):
        result = metric.compute(real_rows, syn_rows, schema, holdout=hold_rows, random_state=seed)
        out[metric.key] = {"score": _num(result.score), "reference": _num(result.reference)}
    out["sample"] = {"real_rows": len(real_rows), "synthetic_rows": len(syn_rows), "holdout_rows": len(hold_rows)}
    return out
