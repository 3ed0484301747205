"""DP-SGD for the deep generators (Abadi et al. 2016) through ``opacus``.

With ``epsilon`` set, a deep generator trains the modules that read real rows (the VAE's encoder and
decoder; the GAN's discriminator only) with DP-SGD:

* **batches by Poisson sampling**: each training row joins a step's batch independently with probability
  ``q = batch_size / n``, the sampling the privacy analysis assumes (an empty batch still takes a noisy step);
* **per-example clipping and noise**: Opacus' ``GradSampleModule`` computes per-example gradients, its
  ``DPOptimizer`` clips each to L2 norm ``max_grad_norm`` (``C``) and adds Gaussian noise of standard deviation
  ``noise_multiplier * C`` to their sum (L2 sensitivity ``C`` under add/remove-one neighbours);
* **accounting**: the subsampled Gaussian's Renyi-DP curve (Opacus' RDP analysis of Mironov, Talwar &
  Zhang 2019) over ``steps = epochs * round(1 / q)`` steps is charged to the privacy ledger before training;
  the noise multiplier is the smallest (to 1e-3 relative) whose curve converts to at most the target
  ``(epsilon, delta)`` with the ledger's conversion (Canonne, Kamath & Steinke 2020). Training runs exactly
  those steps (fewer if ``max_minutes`` ends it first), so it stops at the budget.

The sampling rate uses the number of training rows, which DP-SGD (like Opacus) treats as public.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..._optional import require
from ...errors import ParameterError
from ...privacy import RDP_ORDERS, PrivacyLedger, epsilon_from_rdp
from ._torch import nn, torch

__all__ = ["DPSGDPlan", "noise_multiplier_for", "poisson_batches", "rdp_curve", "wrap_private"]


def _opacus() -> Any:
    return require("opacus", extra="dp", purpose="differentially private training of 'gan' and 'vae'")


# the search for the noise multiplier uses the orders up to 256 (the large ones cost a sum of ``alpha`` terms
# each and only matter for tiny budgets); a bound from fewer orders is never smaller, so the result stays safe
_SEARCH_ORDERS = tuple(a for a in RDP_ORDERS if a <= 256)


def rdp_curve(
    sample_rate: float, noise_multiplier: float, steps: int, orders: tuple[float, ...] = RDP_ORDERS
) -> list[float]:
    """RDP of ``steps`` Poisson-subsampled Gaussian steps at ``orders`` (Opacus' analysis)."""
    _opacus()
    from opacus.accountants.analysis.rdp import compute_rdp

    curve = compute_rdp(q=sample_rate, noise_multiplier=noise_multiplier, steps=steps, orders=list(orders))
    return [float(x) for x in np.asarray(curve, dtype=float)]


def noise_multiplier_for(
    epsilon: float, delta: float, sample_rate: float, steps: int, *, spent_rho: float = 0.0
) -> float:
    """The smallest noise multiplier (to 0.1%) whose ``steps`` steps at ``sample_rate``, composed with
    ``spent_rho`` of zCDP already spent, stay within ``(epsilon, delta)``."""
    orders = np.asarray(_SEARCH_ORDERS)

    def eps_of(sigma: float) -> float:
        curve = np.asarray(rdp_curve(sample_rate, sigma, steps, _SEARCH_ORDERS)) + spent_rho * orders
        return epsilon_from_rdp(_SEARCH_ORDERS, [float(x) for x in curve], delta)

    lo, hi = 0.1, 1.0
    while eps_of(hi) > epsilon:
        lo, hi = hi, hi * 2.0
        if hi > 1e5:
            raise ParameterError(
                f"DP-SGD cannot reach epsilon={epsilon:g} at delta={delta:g} with {steps} steps at sampling rate "
                f"{sample_rate:.3g}; train fewer epochs, use a smaller batch_size or a larger epsilon"
            )
    while hi / lo > 1.001:
        mid = math.sqrt(lo * hi)
        if eps_of(mid) <= epsilon:
            hi = mid
        else:
            lo = mid
    return hi  # the upper end: always within the budget


class DPSGDPlan:
    """Sampling rate, steps, noise multiplier and clipping norm of one DP-SGD fit, charged to ``ledger``."""

    def __init__(self, *, n_rows: int, batch_size: int, epochs: int, max_grad_norm: float, ledger: PrivacyLedger):
        self.n_rows = n_rows
        self.sample_rate = min(1.0, batch_size / max(1, n_rows))
        self.steps_per_epoch = max(1, round(1.0 / self.sample_rate))
        self.steps = epochs * self.steps_per_epoch
        self.expected_batch = max(1, round(self.sample_rate * n_rows))
        self.max_grad_norm = float(max_grad_norm)
        self.noise_multiplier = noise_multiplier_for(
            ledger.epsilon, ledger.delta, self.sample_rate, self.steps, spent_rho=ledger.spent_rho
        )
        ledger.charge_rdp(
            "DP-SGD",
            mechanism="subsampled gaussian (opacus RDP)",
            rdp=rdp_curve(self.sample_rate, self.noise_multiplier, self.steps),
            sensitivity=self.max_grad_norm,
            noise_scale=self.noise_multiplier * self.max_grad_norm,
            count=self.steps,
            stage="training",
        )
        self.steps_run = 0

    def summary(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "steps_planned": self.steps,
            "steps_run": self.steps_run,
            "noise_multiplier": self.noise_multiplier,
            "max_grad_norm": self.max_grad_norm,
            "expected_batch": self.expected_batch,
        }


def poisson_batches(plan: DPSGDPlan, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """One epoch of Poisson-sampled row indices (``plan.steps_per_epoch`` batches, possibly empty)."""
    for _ in range(plan.steps_per_epoch):
        if plan.steps_run >= plan.steps:
            return
        plan.steps_run += 1
        yield np.flatnonzero(rng.random(plan.n_rows) < plan.sample_rate)


def wrap_private(
    module: nn.Module, optimizer: torch.optim.Optimizer, plan: DPSGDPlan, loss_reduction: str
) -> tuple[Any, Any]:
    """Hook ``module`` for per-example gradients and wrap ``optimizer`` to clip and add noise."""
    _opacus()
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wrapped = GradSampleModule(module, loss_reduction=loss_reduction)
    dp_opt = DPOptimizer(
        optimizer,
        noise_multiplier=plan.noise_multiplier,
        max_grad_norm=plan.max_grad_norm,
        expected_batch_size=plan.expected_batch,
        loss_reduction=loss_reduction,
    )
    return wrapped, dp_opt
