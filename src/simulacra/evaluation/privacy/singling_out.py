"""Singling out (Article 29 Working Party, Opinion 05/2014): can the synthetic table help an attacker
write a predicate that matches exactly one training record?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from ..._random import check_random_state
from ...progress import ProgressCallback
from ...schema import ColumnSpec, TableSchema
from .._encode import as_numbers, is_continuous
from ..base import Goal, Metric, MetricResult
from ._common import attack_risk, check_inputs, column_codes, risk_details

__all__ = ["SinglingOut"]

FEW_VALUES = 20
"""A numeric column with at most this many distinct training values is matched by equality, not range."""

Predicate = tuple[tuple[int, str, float], ...]
"""Conditions ``(column, op, value)``, all of which must hold; ``op`` is ``"eq"`` (on value codes),
``"le"`` or ``"ge"`` (on numbers)."""


@dataclass
class _Column:
    codes: list[np.ndarray]  # per frame: synthetic, train, control
    numbers: list[np.ndarray] | None  # per frame, floats (NaN = missing); None for categories
    ranged: bool  # matched by a range rather than equality


def _columns(frames: list[pd.DataFrame], specs: list[ColumnSpec]) -> list[_Column]:
    out = []
    for spec in specs:
        codes = column_codes(frames, spec)
        if is_continuous(spec):
            numbers = [as_numbers(f[spec.name], spec).to_numpy(dtype=float) for f in frames]
            ranged = len(np.unique(codes[1])) > FEW_VALUES
            out.append(_Column(codes, numbers, ranged))
        else:
            out.append(_Column(codes, None, False))
    return out


def _mask(cols: list[_Column], pred: Predicate, frame: int) -> np.ndarray:
    mask: np.ndarray | None = None
    for j, op, value in pred:
        col = cols[j]
        if op == "eq":
            cond = col.codes[frame] == int(value)
        else:
            assert col.numbers is not None
            x = col.numbers[frame]
            cond = x <= value if op == "le" else x >= value
        mask = cond if mask is None else (mask & cond)
    assert mask is not None
    return mask


def _univariate(cols: list[_Column], n: int, rng: np.random.Generator) -> list[Predicate]:
    """Values seen once in the synthetic table, and numeric extremes that only one synthetic row reaches;
    drawn round-robin over columns so that no single column dominates."""
    per_col: list[list[Predicate]] = []
    for j, col in enumerate(cols):
        preds: list[Predicate] = []
        values, counts = np.unique(col.codes[0], return_counts=True)
        preds += [((j, "eq", float(v)),) for v in values[counts == 1]]
        if col.ranged and col.numbers is not None:
            x = col.numbers[0]
            finite = x[np.isfinite(x)]
            if len(finite):
                lo, hi = float(finite.min()), float(finite.max())
                if (finite <= lo).sum() == 1:
                    preds.append(((j, "le", lo),))
                if (finite >= hi).sum() == 1:
                    preds.append(((j, "ge", hi),))
        per_col.append([preds[i] for i in rng.permutation(len(preds))])
    out: list[Predicate] = []
    depth = 0
    while len(out) < n and any(depth < len(p) for p in per_col):
        for preds in per_col:
            if depth < len(preds) and len(out) < n:
                out.append(preds[depth])
        depth += 1
    return out


def _multivariate(cols: list[_Column], n: int, rng: np.random.Generator, sizes: tuple[int, ...]) -> list[Predicate]:
    """Conjunctions of 3-4 attributes of a random synthetic row that match only that synthetic row."""
    n_syn = len(cols[0].codes[0])
    medians = [
        float(np.nanmedian(c.numbers[0])) if c.numbers is not None and np.isfinite(c.numbers[0]).any() else 0.0
        for c in cols
    ]
    found: dict[Predicate, None] = {}
    for _ in range(30 * n):
        if len(found) >= n:
            break
        i = int(rng.integers(n_syn))
        size = min(int(rng.choice(sizes)), len(cols))
        chosen = np.sort(rng.choice(len(cols), size=size, replace=False))
        conds = []
        for j in chosen:
            col = cols[j]
            value = col.numbers[0][i] if col.numbers is not None else np.nan
            if col.ranged and np.isfinite(value):
                conds.append((int(j), "le" if value <= medians[j] else "ge", float(value)))
            else:
                conds.append((int(j), "eq", float(col.codes[0][i])))
        pred = tuple(conds)
        if pred not in found and _mask(cols, pred, 0).sum() == 1:
            found[pred] = None
    return list(found)


def _null_singles(k_train: np.ndarray, k_control: np.ndarray, n_train: int, n_control: int) -> np.ndarray:
    """P(a query matches exactly one training record) if training membership were random, per query.

    Given that a query matches ``K = k_train + k_control`` of the ``n_train + n_control`` real records,
    and that the training table were a random ``n_train`` of them (which is what "the synthetic data
    say nothing about who was trained on" means), the training matches are hypergeometric.
    """
    total = k_train + k_control
    return np.asarray(hypergeom.pmf(1, n_train + n_control, total, n_train), dtype=float)


class SinglingOut(Metric):
    """Singling-out risk of training records, from predicates mined in the synthetic table.

    Follows the singling-out attack of Giomi et al. ("A Unified Framework for Quantifying Privacy Risk
    in Synthetic Data", PoPETs 2023; written anew here). The attacker writes up to ``n_queries``
    predicates in each of two modes: *univariate* (a value that occurs once in the synthetic table, or a
    numeric extreme only one synthetic row reaches) and *multivariate* (3-4 attributes of a random
    synthetic row — equality on categories and small-domain numbers, ``<=``/``>=`` toward the nearer
    tail on other numbers — kept when only that synthetic row matches). A query *succeeds* when exactly
    one training record matches it.

    Control: the same queries are also run on the holdout. Whether a query singles someone out depends
    on the population's size, and the holdout is usually smaller than the training table, so the
    control rate is not the holdout's own rate but the rate the queries would reach if the training
    table were a random ``|train|`` of the ``|train| + |holdout|`` real records: given that a query
    matches ``K`` real records in all, its training matches are then hypergeometric, and the control
    success of the query is ``P(exactly one)``. If the synthetic data carry no trace of who was trained
    on, the attack's expected rate equals this control rate exactly, whatever the sizes; a copy of the
    training table makes every query succeed. (Anonymeter instead fits a model of query weights to
    rescale the control set's rate; the hypergeometric control needs no model.)

    Risk per mode = ``(a - c) / (1 - c)`` clipped to [0, 1] (``a``: attack rate, ``c``: control rate),
    95% interval from both Wilson intervals by the delta method (see ``_common.attack_risk``). The score is
    the larger of the two modes' risks, with that mode's interval; reference 0.

    Parameters
    ----------
    n_queries : predicates per mode.
    n_cols : sizes of the multivariate predicates, drawn at random.
    """

    key = "privacy.singling_out"
    name = "Singling-out risk"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How much more often predicates mined from the synthetic data isolate exactly one training record "
        "than one record of an equally large fresh sample; 0 = no added risk."
    )

    def __init__(self, *, n_queries: int = 500, n_cols: tuple[int, ...] = (3, 4)) -> None:
        self.n_queries = n_queries
        self.n_cols = n_cols

    def compute(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        schema: TableSchema,
        *,
        holdout: pd.DataFrame | None = None,
        target: str | None = None,
        random_state: int = 0,
        progress: ProgressCallback | None = None,
    ) -> MetricResult:
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        rng = check_random_state(random_state)
        cols = _columns([synthetic, real, holdout], specs)
        modes: dict[str, Any] = {}
        best: dict[str, Any] | None = None
        queries = {
            "univariate": _univariate(cols, self.n_queries, rng),
            "multivariate": _multivariate(cols, self.n_queries, rng, self.n_cols),
        }
        for mode, preds in queries.items():
            k_train = np.array([_mask(cols, p, 1).sum() for p in preds], dtype=int)
            k_ctrl = np.array([_mask(cols, p, 2).sum() for p in preds], dtype=int)
            ctrl_success = float(_null_singles(k_train, k_ctrl, len(real), len(holdout)).sum())
            r = attack_risk(float((k_train == 1).sum()), len(preds), ctrl_success, len(preds))
            modes[mode] = risk_details(r) | {"control_observed_singles": int((k_ctrl == 1).sum())}
            if best is None or r["risk"] > best["risk"]:
                best = r | {"mode": mode}
        assert best is not None
        details = {
            "mode": best["mode"],
            "modes": modes,
            "n_train": len(real),
            "n_holdout": len(holdout),
        }
        return self.result(best["risk"], reference=0.0, ci=best["ci"], details=details, not_evaluated=skipped)
