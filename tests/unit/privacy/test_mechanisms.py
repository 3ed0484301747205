"""Each mechanism's noise scale is pinned to the value derived from the budget and the sensitivity."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulacra.errors import ParameterError, PrivacyBudgetError
from simulacra.privacy import (
    PrivacyLedger,
    exponential_epsilon,
    exponential_mechanism,
    gaussian_mechanism,
    gaussian_rho,
    gaussian_sigma,
    laplace_mechanism,
    laplace_scale,
    rho_from_epsilon,
)


def test_gaussian_sigma_from_rho_and_sensitivity() -> None:
    # rho = Delta^2 / (2 sigma^2): rho 0.5, Delta 1 -> sigma 1; Delta 3 -> sigma 3; rho 0.02, Delta 1 -> sigma 5
    assert gaussian_sigma(0.5, 1.0) == pytest.approx(1.0)
    assert gaussian_sigma(0.5, 3.0) == pytest.approx(3.0)
    assert gaussian_sigma(0.02, 1.0) == pytest.approx(5.0)
    assert gaussian_rho(gaussian_sigma(0.123, 2.5), 2.5) == pytest.approx(0.123)
    # from (epsilon, delta) = (1, 1e-9) spent whole on one count: sigma = 1 / sqrt(2 * 0.014973) = 5.7787
    assert gaussian_sigma(rho_from_epsilon(1.0, 1e-9), 1.0) == pytest.approx(5.7787, abs=2e-3)


def test_laplace_and_exponential_scales() -> None:
    assert laplace_scale(0.5, 1.0) == pytest.approx(2.0)
    assert laplace_scale(2.0, 4.0) == pytest.approx(2.0)
    # rho = eps^2 / 8  <=>  eps = sqrt(8 rho)
    assert exponential_epsilon(0.125) == pytest.approx(1.0)
    assert exponential_epsilon(2.0) == pytest.approx(4.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_scales_are_refused(bad: float) -> None:
    with pytest.raises(ParameterError):
        gaussian_sigma(bad, 1.0)
    with pytest.raises(ParameterError):
        laplace_scale(1.0, bad)


def test_gaussian_mechanism_charges_and_has_the_right_spread() -> None:
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
    rng = np.random.default_rng(0)
    rho = ledger.rho_total / 4
    noisy = gaussian_mechanism(np.zeros(20_000), sensitivity=2.0, rho=rho, ledger=ledger, label="h", rng=rng)
    sigma = 2.0 / math.sqrt(2 * rho)
    assert np.std(noisy) == pytest.approx(sigma, rel=0.03)
    (charge,) = ledger.charges
    assert charge.mechanism == "gaussian" and charge.rho == rho and charge.noise_scale == pytest.approx(sigma)


def test_laplace_mechanism_charges_eps_squared_over_two() -> None:
    ledger = PrivacyLedger(epsilon=5.0, delta=1e-6)
    rng = np.random.default_rng(1)
    noisy = laplace_mechanism(np.zeros(20_000), sensitivity=1.0, epsilon=0.5, ledger=ledger, label="l", rng=rng)
    # Laplace(b) has standard deviation b * sqrt(2), b = 1 / 0.5 = 2
    assert np.std(noisy) == pytest.approx(2.0 * math.sqrt(2), rel=0.03)
    assert ledger.charges[0].rho == pytest.approx(0.125)


def test_exponential_mechanism_frequencies_follow_the_derived_epsilon() -> None:
    ledger = PrivacyLedger(epsilon=5000.0, delta=1e-6)  # room for 4000 draws
    rng = np.random.default_rng(2)
    rho = 0.5  # eps = 2; two scores 1 apart with sensitivity 1: odds exp(eps * 1 / 2) = e
    picks = [
        exponential_mechanism(np.array([1.0, 0.0]), sensitivity=1.0, rho=rho, ledger=ledger, label="s", rng=rng)
        for _ in range(4000)
    ]
    share = 1 - np.mean(picks)
    assert share == pytest.approx(math.e / (1 + math.e), abs=0.025)
    assert ledger.charges[0].noise_scale == pytest.approx(2.0)
    assert ledger.spent_rho == pytest.approx(4000 * rho)


def test_mechanisms_refuse_before_releasing_when_the_budget_is_spent() -> None:
    ledger = PrivacyLedger(epsilon=0.1, delta=1e-9)
    rng = np.random.default_rng(3)
    with pytest.raises(PrivacyBudgetError):
        gaussian_mechanism(np.zeros(3), sensitivity=1.0, rho=1.0, ledger=ledger, label="too much", rng=rng)
    assert ledger.charges == []


def test_same_seed_same_noise() -> None:
    out = []
    for _ in range(2):
        ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
        rng = np.random.default_rng(7)
        out.append(gaussian_mechanism(np.arange(5.0), sensitivity=1.0, rho=0.001, ledger=ledger, label="x", rng=rng))
    np.testing.assert_array_equal(out[0], out[1])
