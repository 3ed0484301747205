"""Empirical epsilon lower bounds: Clopper-Pearson rates and the DP hypothesis-testing inequalities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulacra.privacy.audit import AuditResult, clopper_pearson, epsilon_lower_bound, epsilon_point


def test_clopper_pearson_matches_the_beta_quantiles_and_the_rule_of_three() -> None:
    lo, hi = clopper_pearson(30, 100, 0.025)
    assert lo == pytest.approx(stats.beta.ppf(0.025, 30, 71))
    assert hi == pytest.approx(stats.beta.ppf(0.975, 31, 70))
    assert clopper_pearson(0, 100, 0.05) == (0.0, pytest.approx(1 - 0.05 ** (1 / 100)))
    assert clopper_pearson(100, 100, 0.05)[1] == 1.0


def test_bound_is_the_log_ratio_of_the_confidence_limits() -> None:
    tpr_lo = stats.beta.ppf(0.025, 90, 11)
    fpr_hi = stats.beta.ppf(0.975, 3, 98)
    expected = max(math.log(tpr_lo / fpr_hi), math.log((1 - fpr_hi) / (1 - tpr_lo)))
    assert epsilon_lower_bound(tp=90, n_pos=100, fp=2, n_neg=100, delta=0.0) == pytest.approx(expected)
    # the point estimate is larger, and delta only lowers the bound
    assert epsilon_point(tp=90, n_pos=100, fp=2, n_neg=100, delta=0.0) == pytest.approx(math.log(0.9 / 0.02))
    assert epsilon_lower_bound(tp=90, n_pos=100, fp=2, n_neg=100, delta=0.05) < expected


def test_no_signal_proves_nothing_and_perfect_separation_is_capped_by_the_number_of_fits() -> None:
    assert epsilon_lower_bound(tp=50, n_pos=100, fp=50, n_neg=100, delta=0.0) == 0.0
    cap = epsilon_lower_bound(tp=100, n_pos=100, fp=0, n_neg=100, delta=0.0)
    edge = 0.025 ** (1 / 100)  # Clopper-Pearson limit of 100 out of 100 (and 1 - it for 0 out of 100)
    assert cap == pytest.approx(math.log(edge / (1 - edge)))
    assert 3.2 < cap < 3.4


def test_a_randomised_response_mechanism_is_never_over_claimed() -> None:
    # randomised response with epsilon = 1 answers "in" truthfully with probability e / (1 + e): the audit's
    # bound exceeds 1 in at most 5% of audits (95% confidence; the mechanism is exactly at its claim, the worst case)
    rng = np.random.default_rng(0)
    p = math.e / (1 + math.e)
    bounds = []
    for _ in range(200):
        pos = (rng.random(400) < p).astype(float)
        neg = (rng.random(400) < 1 - p).astype(float)
        bounds.append(AuditResult.run(pos, neg, delta=0.0).epsilon_lb)
    assert np.mean(np.asarray(bounds) > 1.0) <= 0.05
    assert max(bounds) < 1.3
    assert np.mean(bounds) > 0.4  # and the audit is not vacuous: it sees most of the leak
