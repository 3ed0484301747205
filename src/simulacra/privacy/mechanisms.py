"""Noise mechanisms: each computes its noise scale from the budget and the sensitivity, charges the
ledger, and only then looks at the private values. Randomness comes from a numpy Generator passed in.

Mechanism                 noise scale from budget                         zCDP cost
Gaussian                  ``sigma = Delta_2 / sqrt(2 * rho)``             ``rho = Delta_2**2 / (2 sigma**2)``
                                                                          (Bun & Steinke 2016, Prop. 1.6)
Laplace                   ``b = Delta_1 / epsilon``                       ``epsilon``-DP, so ``rho = epsilon**2 / 2``
                                                                          (Bun & Steinke 2016, Prop. 1.4)
Exponential / noisy max   ``P(i) ~ exp(epsilon * q_i / (2 Delta_q))``     ``rho = epsilon**2 / 8``: the exponential
                          with ``epsilon = sqrt(8 * rho)``                mechanism is ``epsilon``-bounded range
                                                                          (Cesar & Rogers 2021, Lemma 3.2)

``Delta_2`` / ``Delta_1`` are the L2 / L1 sensitivities of the released vector (how much one person's record
can move it; 1 for a histogram under add/remove-one neighbours); ``Delta_q`` bounds how much one record can
change any single score ``q_i``. With ``monotonic=True`` (every score moves in the same direction when a
record is added) the exponential mechanism may use ``epsilon * q / Delta_q``; we never do so silently.

API: :func:`gaussian_sigma`, :func:`laplace_scale`, :func:`exponential_epsilon` (pure scale maths) and
:func:`gaussian_mechanism`, :func:`laplace_mechanism`, :func:`exponential_mechanism` (charge, then release).

>>> from simulacra.privacy import PrivacyLedger
>>> ledger = PrivacyLedger(epsilon=1.0, delta=1e-6)
>>> rng = np.random.default_rng(0)
>>> noisy = gaussian_mechanism(np.array([10.0, 5.0]), sensitivity=1.0, rho=ledger.rho_total / 2,
...                            ledger=ledger, label="counts", rng=rng)
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from .accountant import PrivacyLedger

__all__ = [
    "exponential_epsilon",
    "exponential_mechanism",
    "gaussian_mechanism",
    "gaussian_rho",
    "gaussian_sigma",
    "laplace_mechanism",
    "laplace_scale",
]


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < math.inf:
        raise ParameterError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def gaussian_sigma(rho: float, sensitivity: float) -> float:
    """Standard deviation of Gaussian noise that makes a release of L2 sensitivity ``sensitivity`` ``rho``-zCDP."""
    return _positive("sensitivity", sensitivity) / math.sqrt(2.0 * _positive("rho", rho))


def gaussian_rho(sigma: float, sensitivity: float) -> float:
    """zCDP cost of Gaussian noise ``sigma`` on a release of L2 sensitivity ``sensitivity``."""
    return _positive("sensitivity", sensitivity) ** 2 / (2.0 * _positive("sigma", sigma) ** 2)


def laplace_scale(epsilon: float, sensitivity: float) -> float:
    """Laplace scale ``b`` that makes a release of L1 sensitivity ``sensitivity`` ``epsilon``-DP."""
    return _positive("sensitivity", sensitivity) / _positive("epsilon", epsilon)


def exponential_epsilon(rho: float) -> float:
    """Epsilon of the exponential mechanism that costs ``rho`` in zCDP (``rho = epsilon**2 / 8``)."""
    return math.sqrt(8.0 * _positive("rho", rho))


def gaussian_mechanism(
    values: np.ndarray,
    *,
    sensitivity: float,
    rho: float,
    ledger: PrivacyLedger,
    label: str,
    rng: np.random.Generator,
    stage: str = "",
) -> np.ndarray:
    """``values`` plus Gaussian noise calibrated to ``rho``; charges ``ledger`` first."""
    sigma = gaussian_sigma(rho, sensitivity)
    ledger.charge(label, mechanism="gaussian", rho=rho, sensitivity=sensitivity, noise_scale=sigma, stage=stage)
    arr = np.asarray(values, dtype=float)
    return arr + rng.normal(0.0, sigma, size=arr.shape)


def laplace_mechanism(
    values: np.ndarray,
    *,
    sensitivity: float,
    epsilon: float,
    ledger: PrivacyLedger,
    label: str,
    rng: np.random.Generator,
    stage: str = "",
) -> np.ndarray:
    """``values`` plus Laplace noise for pure ``epsilon``-DP (charged as ``rho = epsilon**2 / 2``)."""
    scale = laplace_scale(epsilon, sensitivity)
    ledger.charge(
        label, mechanism="laplace", rho=epsilon**2 / 2.0, sensitivity=sensitivity, noise_scale=scale, stage=stage
    )
    arr = np.asarray(values, dtype=float)
    return arr + rng.laplace(0.0, scale, size=arr.shape)


def exponential_mechanism(
    scores: np.ndarray,
    *,
    sensitivity: float,
    rho: float,
    ledger: PrivacyLedger,
    label: str,
    rng: np.random.Generator,
    monotonic: bool = False,
    stage: str = "",
) -> int:
    """Index of a candidate chosen with probability ``~ exp(epsilon * score / (2 sensitivity))``.

    ``epsilon = sqrt(8 rho)``; drawn by the Gumbel-max trick, so no probability underflows.
    """
    eps = exponential_epsilon(rho)
    _positive("sensitivity", sensitivity)
    ledger.charge(label, mechanism="exponential", rho=rho, sensitivity=sensitivity, noise_scale=eps, stage=stage)
    q = np.asarray(scores, dtype=float)
    if q.ndim != 1 or q.size == 0 or not np.all(np.isfinite(q)):
        raise ParameterError(f"exponential mechanism '{label}': scores must be a non-empty 1-D finite array")
    factor = eps / (sensitivity if monotonic else 2.0 * sensitivity)
    logits = factor * (q - q.max())
    return int(np.argmax(logits + rng.gumbel(size=q.size)))
