"""Empirical lower bounds on epsilon from a membership test (Jagielski, Ullman & Oprea 2020; Nasr et al. 2021).

An ``(epsilon, delta)``-DP mechanism bounds every test that tells "the canary was in the data" from "it was
not": with true-positive rate TPR and false-positive rate FPR,

    TPR <= exp(epsilon) * FPR + delta      and      1 - FPR <= exp(epsilon) * (1 - TPR) + delta.

So a test observed on many fits with and without the canary gives

    epsilon >= max( log((TPR - delta) / FPR), log((1 - FPR - delta) / (1 - TPR)) ).

With finitely many fits the rates are estimates: we use the Clopper-Pearson lower bound of TPR and the upper
bound of FPR, each at level ``alpha / 2``, so the returned bound holds with confidence ``1 - alpha``. It is a
*lower* bound: a correct implementation never shows one above its claimed epsilon; a bound above the claim
proves a bug (or too little noise), a bound far below says nothing more than "not caught".

>>> round(epsilon_lower_bound(tp=90, n_pos=100, fp=2, n_neg=100, delta=1e-5), 2)
2.46
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["AuditResult", "best_threshold", "clopper_pearson", "epsilon_lower_bound", "epsilon_point"]


def clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """One-sided Clopper-Pearson bounds ``(lower, upper)`` of a binomial rate, each at level ``alpha``."""
    if n <= 0:
        return 0.0, 1.0
    lo = 0.0 if k <= 0 else float(stats.beta.ppf(alpha, k, n - k + 1))
    hi = 1.0 if k >= n else float(stats.beta.ppf(1 - alpha, k + 1, n - k))
    return lo, hi


def _bound(tpr: float, fpr: float, delta: float) -> float:
    best = 0.0
    if fpr > 0 and tpr - delta > 0:
        best = max(best, math.log((tpr - delta) / fpr))
    if 1 - tpr > 0 and 1 - fpr - delta > 0:
        best = max(best, math.log((1 - fpr - delta) / (1 - tpr)))
    return best


def epsilon_lower_bound(*, tp: int, n_pos: int, fp: int, n_neg: int, delta: float, alpha: float = 0.05) -> float:
    """Epsilon that the observed test proves with confidence ``1 - alpha`` (0 when it proves nothing)."""
    tpr_lo, _ = clopper_pearson(tp, n_pos, alpha / 2)
    _, fpr_hi = clopper_pearson(fp, n_neg, alpha / 2)
    return _bound(tpr_lo, fpr_hi, delta)


def epsilon_point(*, tp: int, n_pos: int, fp: int, n_neg: int, delta: float) -> float:
    """The same bound from the raw rates (no confidence; infinite when a rate is 0 or 1): for choosing thresholds."""
    tpr, fpr = tp / n_pos, fp / n_neg
    if (fpr == 0 and tpr > delta) or (tpr == 1 and fpr < 1 - delta):
        return math.inf
    return _bound(tpr, fpr, delta)


def best_threshold(
    with_canary: Sequence[float] | np.ndarray[Any, Any], without: Sequence[float] | np.ndarray[Any, Any], delta: float
) -> float:
    """The threshold ``t`` (test: statistic >= t) with the largest smoothed point estimate of epsilon.

    Rates are smoothed by one pseudo-count each way, so that a threshold no fit reaches is not "infinitely"
    good; choose it on fits that are not then used to compute the bound.
    """
    pos, neg = np.asarray(with_canary, dtype=float), np.asarray(without, dtype=float)
    best_t, best_e = math.inf, -1.0
    for t in np.unique(np.concatenate([pos, neg])):
        tp, fp = int((pos >= t).sum()), int((neg >= t).sum())
        e = _bound((tp + 0.5) / (len(pos) + 1), (fp + 0.5) / (len(neg) + 1), delta)
        if e > best_e:
            best_t, best_e = float(t), e
    return best_t


@dataclass(frozen=True)
class AuditResult:
    """One audit: the threshold chosen on calibration fits, the rates and the bound on the other fits."""

    threshold: float
    tp: int
    n_pos: int
    fp: int
    n_neg: int
    epsilon_lb: float
    alpha: float

    @classmethod
    def run(
        cls,
        with_canary: Sequence[float] | np.ndarray[Any, Any],
        without: Sequence[float] | np.ndarray[Any, Any],
        *,
        delta: float,
        alpha: float = 0.05,
        calibration_share: float = 0.5,
    ) -> AuditResult:
        """Pick the threshold on the first ``calibration_share`` of each list, bound epsilon on the rest."""
        pos, neg = np.asarray(with_canary, dtype=float), np.asarray(without, dtype=float)
        kp, kn = int(len(pos) * calibration_share), int(len(neg) * calibration_share)
        t = best_threshold(pos[:kp], neg[:kn], delta)
        test_pos, test_neg = pos[kp:], neg[kn:]
        tp, fp = int((test_pos >= t).sum()), int((test_neg >= t).sum())
        eps = epsilon_lower_bound(tp=tp, n_pos=len(test_pos), fp=fp, n_neg=len(test_neg), delta=delta, alpha=alpha)
        return cls(t, tp, len(test_pos), fp, len(test_neg), eps, alpha)
