"""The privacy ledger: conversions both ways, composition, refusal to overspend, serialisation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from simulacra.errors import ParameterError, PrivacyBudgetError
from simulacra.privacy import (
    RDP_ORDERS,
    PrivacyLedger,
    delta_from_rho,
    epsilon_classic,
    epsilon_from_rdp,
    epsilon_from_rho,
    rho_classic,
    rho_from_epsilon,
)

CASES = [(0.1, 1e-9), (1.0, 1e-9), (4.0, 1e-5), (10.0, 1e-6)]


@pytest.mark.parametrize(("eps", "delta"), CASES)
def test_classic_bound_round_trips(eps: float, delta: float) -> None:
    rho = rho_classic(eps, delta)
    assert epsilon_classic(rho, delta) == pytest.approx(eps, rel=1e-12)
    # the formula itself, written out once more
    ld = math.log(1 / delta)
    assert rho == pytest.approx((math.sqrt(eps + ld) - math.sqrt(ld)) ** 2, rel=1e-12)


@pytest.mark.parametrize(("eps", "delta"), CASES)
def test_tight_conversion_round_trips_and_beats_classic(eps: float, delta: float) -> None:
    rho = rho_from_epsilon(eps, delta)
    assert epsilon_from_rho(rho, delta) == pytest.approx(eps, rel=1e-9)
    assert epsilon_from_rho(rho, delta) <= eps  # the returned rho is on the safe side
    # the CKS bound is never looser than the classic one, so it allows more rho at the same target
    assert rho > rho_classic(eps, delta)
    assert epsilon_from_rho(rho_classic(eps, delta), delta) < eps
    # and the delta at which rho gives eps is the target delta (grid search: within 0.1 %, never below)
    assert delta <= delta_from_rho(rho, eps) <= delta * 1.001


def test_tight_conversion_matches_published_value() -> None:
    # MST/AIM at epsilon 1, delta 1e-9 (private-pgm's cdp_rho, the same CKS conversion): rho ~ 0.01497
    assert rho_from_epsilon(1.0, 1e-9) == pytest.approx(0.014973, abs=2e-6)


def test_rdp_conversion_agrees_with_zcdp_on_a_zcdp_curve() -> None:
    rho = 0.05
    curve = [rho * a for a in RDP_ORDERS]
    # a grid of orders can only be looser than the continuous optimum, and only a little
    assert (
        epsilon_from_rho(rho, 1e-6) <= epsilon_from_rdp(RDP_ORDERS, curve, 1e-6) <= epsilon_from_rho(rho, 1e-6) * 1.01
    )


def test_ledger_composes_by_summing_rho_and_reports() -> None:
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
    third = ledger.rho_total / 3
    ledger.charge("domain", mechanism="exponential", rho=third, sensitivity=1.0, noise_scale=1.0, stage="domain")
    ledger.charge("m1", mechanism="gaussian", rho=third, sensitivity=1.0, noise_scale=2.0, stage="marginals")
    assert ledger.spent_rho == pytest.approx(2 * third)
    assert ledger.remaining_rho == pytest.approx(third)
    assert 0 < ledger.spent_epsilon() < 1.0
    ledger.charge(
        "m2", mechanism="gaussian", rho=ledger.remaining_rho, sensitivity=1.0, noise_scale=2.0, stage="marginals"
    )
    assert ledger.spent_epsilon() == pytest.approx(1.0, rel=1e-9)
    assert ledger.remaining_rho == pytest.approx(0.0, abs=1e-15)
    d = ledger.to_dict()
    json.dumps(d)  # JSON-able
    assert d["epsilon"] == 1.0 and d["delta"] == 1e-9
    assert d["split"] == pytest.approx({"domain": 1 / 3, "marginals": 2 / 3})
    assert [c["label"] for c in d["charges"]] == ["domain", "m1", "m2"]
    again = PrivacyLedger.from_dict(json.loads(json.dumps(d)))
    assert again.spent_rho == pytest.approx(ledger.spent_rho)
    assert again.to_dict()["charges"] == d["charges"]


def test_ledger_refuses_to_overspend_with_a_clear_message() -> None:
    ledger = PrivacyLedger(epsilon=0.5, delta=1e-9)
    ledger.charge("a", mechanism="gaussian", rho=ledger.rho_total * 0.9, sensitivity=1.0, noise_scale=1.0)
    with pytest.raises(PrivacyBudgetError, match=r"'b'.*overspend.*remaining rho"):
        ledger.charge("b", mechanism="gaussian", rho=ledger.rho_total * 0.2, sensitivity=1.0, noise_scale=1.0)
    assert len(ledger.charges) == 1  # a refused charge is not recorded


@pytest.mark.parametrize(("eps", "delta"), [(0, 1e-9), (-1, 1e-9), (math.inf, 1e-9), (1, 0), (1, 1), ("1", 1e-9)])
def test_bad_targets_are_refused(eps: object, delta: object) -> None:
    with pytest.raises(ParameterError, match=r"epsilon|delta"):
        PrivacyLedger(epsilon=eps, delta=delta)  # type: ignore[arg-type]


def test_bad_charge_is_refused() -> None:
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-9)
    with pytest.raises(ParameterError, match="rho must be a positive"):
        ledger.charge("x", mechanism="gaussian", rho=-1.0, sensitivity=1.0, noise_scale=1.0)


def test_rdp_charges_compose_with_zcdp_charges() -> None:
    ledger = PrivacyLedger(epsilon=2.0, delta=1e-6)
    rho = ledger.rho_total / 2
    ledger.charge_rdp(
        "sgd", mechanism="subsampled gaussian", rdp=[rho * a for a in RDP_ORDERS], sensitivity=1.0, noise_scale=1.0
    )
    # what is left is about half the budget (a little less, because of the grid of orders)
    assert 0.45 * ledger.rho_total < ledger.remaining_rho < 0.5 * ledger.rho_total + 1e-12
    assert ledger.to_dict()["accounting"] == "zCDP + RDP"
    with pytest.raises(PrivacyBudgetError):
        ledger.charge_rdp(
            "more", mechanism="x", rdp=list(np.full(len(RDP_ORDERS), 10.0)), sensitivity=1.0, noise_scale=1.0
        )
    with pytest.raises(ParameterError, match="RDP_ORDERS"):
        ledger.charge_rdp("short", mechanism="x", rdp=[0.1], sensitivity=1.0, noise_scale=1.0)
