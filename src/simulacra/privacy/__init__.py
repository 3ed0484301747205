"""Differential privacy: the per-fit privacy ledger and the noise mechanisms (see ``docs/privacy.md``)."""

from __future__ import annotations

from .accountant import (
    RDP_ORDERS,
    Charge,
    PrivacyLedger,
    delta_from_rho,
    epsilon_classic,
    epsilon_from_rdp,
    epsilon_from_rho,
    rho_classic,
    rho_from_epsilon,
)
from .mechanisms import (
    exponential_epsilon,
    exponential_mechanism,
    gaussian_mechanism,
    gaussian_rho,
    gaussian_sigma,
    laplace_mechanism,
    laplace_scale,
)

__all__ = [
    "RDP_ORDERS",
    "Charge",
    "PrivacyLedger",
    "delta_from_rho",
    "epsilon_classic",
    "epsilon_from_rdp",
    "epsilon_from_rho",
    "exponential_epsilon",
    "exponential_mechanism",
    "gaussian_mechanism",
    "gaussian_rho",
    "gaussian_sigma",
    "laplace_mechanism",
    "laplace_scale",
    "rho_classic",
    "rho_from_epsilon",
]
