"""The privacy ledger: one per fit; every look at private data is charged to it.

A user states a target ``(epsilon, delta)``. The ledger turns it into a budget in zero-concentrated DP
(zCDP, Bun & Steinke 2016), a parameter ``rho``; each mechanism that touches the private data (domain
discovery, noisy marginals, selection steps, training steps) charges its own ``rho`` and composition is a
plain sum. Mechanisms with a Renyi-DP curve but no tight zCDP bound (the subsampled Gaussian of DP-SGD)
charge that curve instead; the ledger then composes in Renyi DP (zCDP is the curve ``rho * alpha``).

Conversions (both directions use the same bound)
    zCDP/RDP -> (epsilon, delta): the conversion of Canonne, Kamath & Steinke (2020, Prop. 12 / Cor. 13):
    a mechanism that is ``(alpha, tau)``-RDP is ``(epsilon, delta)``-DP for

        delta = exp((alpha - 1) * (tau - epsilon)) / (alpha - 1) * (1 - 1/alpha) ** alpha,

    equivalently ``epsilon = tau + (log(1/delta) + alpha*log(1 - 1/alpha) - log(alpha - 1)) / (alpha - 1)``,
    minimised over ``alpha > 1``. For zCDP, ``tau = rho * alpha``. Any ``alpha`` gives a valid bound, so
    an imprecise minimisation only costs budget, never privacy. It is never looser than the classic bound
    ``epsilon = rho + 2 * sqrt(rho * log(1/delta))`` (Bun & Steinke 2016, Prop. 1.3), whose inverse is
    ``rho = (sqrt(epsilon + log(1/delta)) - sqrt(log(1/delta))) ** 2`` (:func:`rho_classic`).

    (epsilon, delta) -> rho: the largest ``rho`` whose conversion gives at most ``epsilon`` at ``delta``
    (bisection on the monotone map; the lower end is returned, so the answer is always safe).

API
    ``ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)``; ``ledger.rho_total``
    ``ledger.charge(label, mechanism=..., rho=..., sensitivity=..., noise_scale=...)`` -> :class:`Charge`;
        refuses (:class:`~simulacra.errors.PrivacyBudgetError`) a charge that would overspend.
    ``ledger.charge_rdp(label, mechanism=..., orders=..., rdp=..., ...)`` for an RDP curve.
    ``ledger.spent_rho`` / ``ledger.remaining_rho`` / ``ledger.spent_epsilon()`` / ``ledger.to_dict()``
    Module functions: :func:`rho_from_epsilon`, :func:`epsilon_from_rho`, :func:`delta_from_rho`,
    :func:`epsilon_from_rdp`, :func:`rho_classic`, :func:`epsilon_classic`.

>>> ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
>>> half = ledger.rho_total / 2
>>> _ = ledger.charge("age", mechanism="gaussian", rho=half, sensitivity=1.0, noise_scale=(2 * half) ** -0.5)
>>> round(ledger.remaining_rho / ledger.rho_total, 3)
0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError, PrivacyBudgetError

__all__ = [
    "RDP_ORDERS",
    "Charge",
    "PrivacyLedger",
    "delta_from_rho",
    "epsilon_classic",
    "epsilon_from_rdp",
    "epsilon_from_rho",
    "rho_classic",
    "rho_from_epsilon",
]

LEDGER_FORMAT = "simulacra.privacy_ledger"
#: Renyi orders on which RDP curves are given to :meth:`PrivacyLedger.charge_rdp` (Opacus' default grid
#: extended to large orders, which small epsilons need).
RDP_ORDERS: tuple[float, ...] = tuple(
    [1.0 + x / 10.0 for x in range(1, 100)] + [float(a) for a in range(11, 64)] + [float(2**k) for k in range(6, 15)]
)
# relative slack for float round-off when comparing spending with the budget (1e-9 of the budget)
_SLACK = 1e-9


def _check_eps_delta(epsilon: Any, delta: Any) -> tuple[float, float]:
    problems = []
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < float(epsilon) < math.inf:
        problems.append(f"epsilon must be a positive finite number, got {epsilon!r} (typical: 0.1 to 10)")
    if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < float(delta) < 1:
        problems.append(
            f"delta must be a number strictly between 0 and 1, got {delta!r} "
            "(typical: 1e-9, well below one over the number of rows)"
        )
    if problems:
        raise ParameterError("; ".join(problems))
    return float(epsilon), float(delta)


def _eps_at_order(alpha: float, tau: float, delta: float) -> float:
    """Epsilon of an ``(alpha, tau)``-RDP mechanism at ``delta`` (Canonne, Kamath & Steinke 2020)."""
    return tau + (math.log(1.0 / delta) + alpha * math.log1p(-1.0 / alpha) - math.log(alpha - 1.0)) / (alpha - 1.0)


def epsilon_from_rho(rho: float, delta: float) -> float:
    """The smallest epsilon such that ``rho``-zCDP implies ``(epsilon, delta)``-DP (tight conversion)."""
    if rho <= 0:
        return 0.0
    # eps(alpha) is convex in alpha on (1, inf); golden-section search on log(alpha - 1)
    lo, hi = math.log(1e-6), math.log(max(10.0, 10.0 * (1.0 + math.log(1.0 / delta)) / rho))

    def f(t: float) -> float:
        return _eps_at_order(1.0 + math.exp(t), rho * (1.0 + math.exp(t)), delta)

    g = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(200):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)
    return max(0.0, min(fc, fd, f(lo), f(hi)))


def delta_from_rho(rho: float, epsilon: float) -> float:
    """The delta at which ``rho``-zCDP gives ``epsilon`` (smallest over Renyi orders; at most 1)."""
    if rho <= 0:
        return 0.0
    best = 1.0
    for alpha in 1.0 + np.logspace(-4, 5, 4000):
        a = float(alpha)
        log_delta = (a - 1.0) * (a * rho - epsilon) + a * math.log1p(-1.0 / a) - math.log(a - 1.0)
        best = min(best, math.exp(min(log_delta, 0.0)))
    return best


def rho_from_epsilon(epsilon: float, delta: float) -> float:
    """The largest ``rho`` such that ``rho``-zCDP implies ``(epsilon, delta)``-DP (tight conversion)."""
    epsilon, delta = _check_eps_delta(epsilon, delta)
    lo, hi = 0.0, max(1.0, rho_classic(epsilon, delta) * 4.0)
    while epsilon_from_rho(hi, delta) <= epsilon:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if epsilon_from_rho(mid, delta) <= epsilon:
            lo = mid
        else:
            hi = mid
    return lo


def rho_classic(epsilon: float, delta: float) -> float:
    """``rho = (sqrt(eps + log(1/delta)) - sqrt(log(1/delta)))**2``: inverse of the classic bound."""
    epsilon, delta = _check_eps_delta(epsilon, delta)
    ld = math.log(1.0 / delta)
    return (math.sqrt(epsilon + ld) - math.sqrt(ld)) ** 2


def epsilon_classic(rho: float, delta: float) -> float:
    """``epsilon = rho + 2 sqrt(rho log(1/delta))`` (Bun & Steinke 2016, Prop. 1.3)."""
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))


def epsilon_from_rdp(orders: Sequence[float], rdp: Sequence[float], delta: float) -> float:
    """Smallest epsilon at ``delta`` over the given Renyi orders of an RDP curve."""
    best = math.inf
    for a, tau in zip(orders, rdp, strict=True):
        if a > 1 and math.isfinite(tau):
            best = min(best, _eps_at_order(float(a), float(tau), delta))
    return max(0.0, best)


@dataclass(frozen=True)
class Charge:
    """One spending of privacy budget.

    ``rho`` is the zCDP cost (``None`` for a charge given as an RDP curve, whose ``epsilon_alone`` is
    then its own epsilon at the ledger's delta); ``sensitivity`` is the L2 (Gaussian), L1 (Laplace) or
    score (exponential mechanism) sensitivity; ``noise_scale`` the Gaussian sigma, the Laplace scale or
    the exponential mechanism's epsilon; ``count`` how many identical releases the charge covers.
    """

    label: str
    mechanism: str
    rho: float | None
    sensitivity: float
    noise_scale: float
    count: int = 1
    stage: str = ""
    epsilon_alone: float | None = None
    rdp: tuple[float, ...] | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None and k != "rdp"}
        return out


class PrivacyLedger:
    """The privacy budget of one fit and every charge made against it.

    Parameters
    ----------
    epsilon, delta : the user's target; ``delta`` should be far below ``1 / n_rows``.

    Raises :class:`~simulacra.errors.ParameterError` for a bad target and
    :class:`~simulacra.errors.PrivacyBudgetError` when a charge would overspend.
    """

    def __init__(self, epsilon: float, delta: float) -> None:
        self.epsilon, self.delta = _check_eps_delta(epsilon, delta)
        self.rho_total = rho_from_epsilon(self.epsilon, self.delta)
        self.charges: list[Charge] = []

    # -- charging ------------------------------------------------------------------------------
    def charge(
        self,
        label: str,
        *,
        mechanism: str,
        rho: float,
        sensitivity: float,
        noise_scale: float,
        count: int = 1,
        stage: str = "",
    ) -> Charge:
        """Record a zCDP charge of ``rho`` (the total over ``count`` releases); refuse to overspend."""
        if not (isinstance(rho, (int, float)) and math.isfinite(rho) and rho > 0):
            raise ParameterError(f"privacy charge '{label}': rho must be a positive finite number, got {rho!r}")
        if self._rdp_charges():
            after = self._epsilon_of(self.spent_rho + rho, self._rdp_sum())
            over = after > self.epsilon * (1 + _SLACK)
        else:
            over = self.spent_rho + rho > self.rho_total * (1 + _SLACK)
        if over:
            raise PrivacyBudgetError(
                f"privacy charge '{label}' ({mechanism}, rho={rho:.4g}) would overspend the budget: "
                f"remaining rho={self.remaining_rho:.4g} of {self.rho_total:.4g} "
                f"(epsilon={self.epsilon:g}, delta={self.delta:g}); give a larger epsilon or spend less per step"
            )
        c = Charge(label, mechanism, float(rho), float(sensitivity), float(noise_scale), int(count), stage)
        self.charges.append(c)
        return c

    def charge_rdp(
        self,
        label: str,
        *,
        mechanism: str,
        rdp: Sequence[float],
        sensitivity: float,
        noise_scale: float,
        count: int = 1,
        stage: str = "",
    ) -> Charge:
        """Record a charge given as an RDP curve over :data:`RDP_ORDERS`; refuse to overspend."""
        curve = tuple(float(x) for x in rdp)
        if len(curve) != len(RDP_ORDERS):
            raise ParameterError(
                f"privacy charge '{label}': the RDP curve has {len(curve)} values; give one per order in RDP_ORDERS "
                f"({len(RDP_ORDERS)})"
            )
        total = self._rdp_sum() + np.asarray(curve)
        if self._epsilon_of(self.spent_rho, total) > self.epsilon * (1 + _SLACK):
            raise PrivacyBudgetError(
                f"privacy charge '{label}' ({mechanism}) would overspend the budget "
                f"(epsilon={self.epsilon:g}, delta={self.delta:g}); give a larger epsilon or train fewer steps"
            )
        alone = epsilon_from_rdp(RDP_ORDERS, curve, self.delta)
        c = Charge(label, mechanism, None, float(sensitivity), float(noise_scale), int(count), stage, alone, curve)
        self.charges.append(c)
        return c

    # -- state ---------------------------------------------------------------------------------
    def _rdp_charges(self) -> list[Charge]:
        return [c for c in self.charges if c.rdp is not None]

    def _rdp_sum(self) -> np.ndarray:
        total = np.zeros(len(RDP_ORDERS))
        for c in self._rdp_charges():
            total += np.asarray(c.rdp)
        return total

    def _epsilon_of(self, rho: float, rdp: np.ndarray) -> float:
        if not np.any(rdp):
            return epsilon_from_rho(rho, self.delta)
        orders = np.asarray(RDP_ORDERS)
        return epsilon_from_rdp(RDP_ORDERS, list(rdp + rho * orders), self.delta)

    @property
    def spent_rho(self) -> float:
        """zCDP spent by the zCDP charges (RDP-curve charges are not included)."""
        return float(sum(c.rho for c in self.charges if c.rho is not None))

    @property
    def remaining_rho(self) -> float:
        """The largest zCDP charge the ledger would still accept."""
        if not self._rdp_charges():
            return max(0.0, self.rho_total - self.spent_rho)
        rdp = self._rdp_sum()
        if self._epsilon_of(self.spent_rho, rdp) >= self.epsilon:
            return 0.0
        lo, hi = 0.0, self.rho_total
        for _ in range(100):
            mid = (lo + hi) / 2
            if self._epsilon_of(self.spent_rho + mid, rdp) <= self.epsilon:
                lo = mid
            else:
                hi = mid
        return lo

    def spent_epsilon(self) -> float:
        """Epsilon spent so far, at the ledger's delta."""
        return self._epsilon_of(self.spent_rho, self._rdp_sum())

    def split(self) -> dict[str, float]:
        """Share of the zCDP budget spent per stage (or per label where no stage was given)."""
        out: dict[str, float] = {}
        for c in self.charges:
            if c.rho is None:
                continue
            key = c.stage or c.label
            out[key] = out.get(key, 0.0) + c.rho / self.rho_total
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for the model manifest and the report."""
        return {
            "format": LEDGER_FORMAT,
            "accounting": "zCDP" if not self._rdp_charges() else "zCDP + RDP",
            "conversion": "Canonne, Kamath & Steinke 2020",
            "epsilon": self.epsilon,
            "delta": self.delta,
            "rho_total": self.rho_total,
            "rho_spent": self.spent_rho,
            "epsilon_spent": self.spent_epsilon(),
            "split": self.split(),
            "charges": [c.to_dict() for c in self.charges],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrivacyLedger:
        """Rebuild a ledger saved by :meth:`to_dict` (RDP-curve charges keep only their summary)."""
        ledger = cls(data["epsilon"], data["delta"])
        for c in data.get("charges", []):
            ledger.charges.append(
                Charge(
                    str(c["label"]),
                    str(c["mechanism"]),
                    None if c.get("rho") is None else float(c["rho"]),
                    float(c["sensitivity"]),
                    float(c["noise_scale"]),
                    int(c.get("count", 1)),
                    str(c.get("stage", "")),
                    c.get("epsilon_alone"),
                )
            )
        return ledger
