"""Helpers shared by the privacy metrics: input checks, Wilson intervals, the attack-risk formula,
chunked nearest neighbours on the mixed encoding, and JSON-ready summaries of distance distributions.

Nothing here returns real rows or cell values; summaries are counts, rates, quantiles and histograms.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...errors import InputError, collect
from ...schema import ColumnSpec, TableSchema
from .._encode import as_labels, as_numbers, encode_mixed, is_continuous, judged_columns

__all__ = [
    "SQ_TIE_TOL",
    "TIE_TOL",
    "Z95",
    "attack_risk",
    "check_inputs",
    "column_codes",
    "distance_summary",
    "encode",
    "nearest",
    "neighbour_sets",
    "risk_details",
    "sub_schema",
    "subsample",
    "wilson",
]

Z95 = 1.959963984540054
TIE_TOL = 1e-9
"""Two distances closer than this (in encoded units, where a full-range difference is 1) are a tie."""
SQ_TIE_TOL = 1e-12
"""Two squared distances closer than this are a tie (well above the rounding error of the expansion
``|r|^2 - 2 q.r`` on encoded rows, well below the gaps between distinct rows)."""


def check_inputs(
    key: str,
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    holdout: pd.DataFrame | None,
) -> tuple[list[ColumnSpec], dict[str, str], pd.DataFrame]:
    """The judged columns, the skipped ones with reasons, and the holdout; raise once on bad input."""
    if holdout is None:
        raise InputError(
            f"{key} needs a holdout: real rows the generator did not see (e.g. 20% of the real table set "
            "aside before fitting); pass holdout=... Without one the metric cannot tell memorisation from "
            "ordinary similarity"
        )
    specs, skipped = judged_columns(schema)
    problems: list[str] = []
    if not specs:
        problems.append("the schema has no column these metrics can judge (all are identifiers, PII or text)")
    for label, frame in (("real", real), ("synthetic", synthetic), ("holdout", holdout)):
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"{label} is a {type(frame).__name__}, not a pandas DataFrame")
            continue
        if len(frame) == 0:
            problems.append(f"the {label} table has no rows")
        missing = [s.name for s in specs if s.name not in frame.columns]
        if missing:
            problems.append(f"the {label} table lacks column(s) {missing} named in the schema")
    collect(problems, InputError, f"{key}: the tables cannot be judged")
    return specs, skipped, holdout


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial rate (``successes`` may be fractional, e.g. ties counted 1/2)."""
    if n <= 0:
        return (0.0, 1.0)
    p = min(max(successes / n, 0.0), 1.0)
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if p <= 0.0 else max(0.0, centre - half)
    high = 1.0 if p >= 1.0 else min(1.0, centre + half)
    return (low, high)


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def attack_risk(successes: float, n: int, control_successes: float, n_control: int) -> dict[str, Any]:
    """Risk of an attack beyond what the control (holdout targets) achieves, with a 95% interval.

    ``risk = (a - c) / (1 - c)`` clipped to [0, 1], where ``a`` is the attack's success rate on training
    targets and ``c`` the same attack's rate on holdout targets (Giomi et al., PoPETs 2023). The interval
    propagates both Wilson intervals by the delta method: each half-width gives a standard error
    ``(high - low) / (2 z)``, and ``se(risk)^2 = (se_a / (1 - c))^2 + (se_c (1 - a) / (1 - c)^2)^2``;
    the interval is ``risk ± z se`` around the unclipped risk, then clipped to [0, 1].
    """
    a = successes / n if n else 0.0
    c = control_successes / n_control if n_control else 0.0
    a_ci = wilson(successes, n)
    c_ci = wilson(control_successes, n_control)
    if c >= 1.0:
        raw, se = 0.0, 0.0
    else:
        raw = (a - c) / (1.0 - c)
        se_a = (a_ci[1] - a_ci[0]) / (2 * Z95)
        se_c = (c_ci[1] - c_ci[0]) / (2 * Z95)
        se = math.hypot(se_a / (1.0 - c), se_c * (1.0 - a) / (1.0 - c) ** 2)
    return {
        "risk": _clip01(raw),
        "ci": (_clip01(raw - Z95 * se), _clip01(raw + Z95 * se)),
        "attack_rate": a,
        "attack_ci": a_ci,
        "control_rate": c,
        "control_ci": c_ci,
        "n_attacks": int(n),
        "n_control": int(n_control),
    }


def risk_details(r: dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready copy of :func:`attack_risk`'s output."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()}


def subsample(n: int, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a seeded random subset of ``range(n)`` of at most ``cap`` rows (all if no cap)."""
    if cap is None or n <= cap:
        return np.arange(n)
    return np.sort(rng.choice(n, size=cap, replace=False))


def sub_schema(specs: Sequence[ColumnSpec]) -> TableSchema:
    return TableSchema(columns=tuple(specs))


def encode(frames: Sequence[pd.DataFrame], specs: Sequence[ColumnSpec]) -> list[np.ndarray]:
    """The documented mixed-type encoding (:func:`encode_mixed`) of ``specs``, scaled on ``frames[0]``.

    The matrices are centred on the first frame's mean (distances are unchanged; the squared-norm
    expansion used by :func:`nearest` loses less precision).
    """
    mats = encode_mixed(list(frames), sub_schema(specs), fit_on=0)
    centre = mats[0].mean(axis=0) if len(mats[0]) else 0.0
    return [np.ascontiguousarray(m - centre, dtype=np.float64) for m in mats]


def nearest(query: np.ndarray, ref: np.ndarray, k: int = 1, budget: int = 8_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances and indices of the ``k`` nearest rows of ``ref`` for each row of ``query``.

    Brute force in chunks of ``budget`` distance cells (64 MB of float64); the chosen neighbours'
    distances are recomputed exactly from the row differences, so identical rows are at distance 0.
    """
    n, m = len(query), len(ref)
    k = min(k, m)
    dist = np.empty((n, k))
    idx = np.empty((n, k), dtype=np.int64)
    if n == 0 or k == 0:
        return dist, idx
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    ref_m2t = np.ascontiguousarray(-2.0 * ref.T)
    step = max(16, budget // max(m, 1))
    for start in range(0, n, step):
        q = query[start : start + step]
        rows = np.arange(len(q))
        # |q - r|^2 = |q|^2 + |r|^2 - 2 q.r; |q|^2 is the same along a row, so the search leaves it out
        g = q @ ref_m2t
        g += ref_sq[None, :]
        part = np.empty((len(q), k), dtype=np.int64)
        for j in range(k):
            part[:, j] = g.argmin(axis=1)
            if j + 1 < k:
                g[rows, part[:, j]] = np.inf
        exact = np.sqrt(((q[:, None, :] - ref[part]) ** 2).sum(axis=2))
        order = np.argsort(exact, axis=1, kind="stable")
        dist[start : start + len(q)] = np.take_along_axis(exact, order, axis=1)
        idx[start : start + len(q)] = np.take_along_axis(part, order, axis=1)
    return dist, idx


def neighbour_sets(
    query: np.ndarray, ref: np.ndarray, k: int = 1, budget: int = 8_000_000
) -> Iterator[tuple[slice, np.ndarray]]:
    """For chunks of ``query`` rows, a boolean matrix marking each row's ``k`` nearest ``ref`` rows.

    Ties are kept: every ``ref`` row as near as the ``k``-th nearest (within :data:`SQ_TIE_TOL` on the
    squared distance) is marked, so the result never depends on the order of the rows.
    """
    m = len(ref)
    k = max(1, min(k, m))
    ref_sq = np.einsum("ij,ij->i", ref, ref)
    ref_m2t = np.ascontiguousarray(-2.0 * ref.T)
    step = max(16, budget // max(m, 1))
    for start in range(0, len(query), step):
        q = query[start : start + step]
        g = q @ ref_m2t
        g += ref_sq[None, :]
        kth = g.min(axis=1) if k == 1 else np.partition(g, k - 1, axis=1)[:, k - 1]
        yield slice(start, start + len(q)), g <= (kth + SQ_TIE_TOL)[:, None]


def distance_summary(named: dict[str, np.ndarray], bins: int = 30) -> dict[str, Any]:
    """Quantiles (1/5/25/50/75/95%) and a shared-edge histogram (as shares) of each distance sample.

    Histogram edges run from 0 to the largest 99th percentile of the samples; the last bin also holds
    everything above it.
    """
    finite = {k: v[np.isfinite(v)] for k, v in named.items()}
    top = max((float(np.quantile(v, 0.99)) for v in finite.values() if len(v)), default=1.0) or 1.0
    edges = np.linspace(0.0, top, bins + 1)
    out: dict[str, Any] = {"histogram_edges": [round(float(e), 6) for e in edges]}
    for name, v in finite.items():
        if not len(v):
            out[name] = {"n": 0}
            continue
        counts, _ = np.histogram(np.clip(v, 0.0, top), bins=edges)
        qs = np.quantile(v, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95])
        out[name] = {
            "n": len(v),
            "quantiles": {
                p: round(float(x), 6) for p, x in zip(("1%", "5%", "25%", "50%", "75%", "95%"), qs, strict=True)
            },
            "mean": round(float(v.mean()), 6),
            "share_zero": round(float((v <= TIE_TOL).mean()), 6),
            "histogram": [round(float(c) / len(v), 6) for c in counts],
        }
    return out


def column_codes(frames: Sequence[pd.DataFrame], spec: ColumnSpec) -> list[np.ndarray]:
    """Integer codes of one column, shared across frames: equal codes = equal normalised values.

    Numbers are compared as floats (``1`` equals ``1.0``), categories as strings, and missing values
    form one code of their own.
    """
    if is_continuous(spec):
        values = [as_numbers(f[spec.name], spec) for f in frames]
    else:
        values = [as_labels(f[spec.name]) for f in frames]
    joined = pd.concat(values, ignore_index=True)
    codes, _ = pd.factorize(joined, use_na_sentinel=False)
    out, start = [], 0
    for v in values:
        out.append(np.asarray(codes[start : start + len(v)], dtype=np.int64))
        start += len(v)
    return out
