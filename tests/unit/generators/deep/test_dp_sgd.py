"""DP-SGD for the deep generators: noise multiplier from (epsilon, delta), noise scale of the optimiser,
the ledger charge, the public-domain rules and a tiny private fit of each generator."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import ParameterError, SchemaError
from simulacra.privacy import RDP_ORDERS, epsilon_from_rdp, rho_from_epsilon
from simulacra.schema import ColumnKind, ColumnSpec, TableSchema

pytest.importorskip("opacus")

from simulacra.generators.deep._dp import (
    DPSGDPlan,
    noise_multiplier_for,
    rdp_curve,
    wrap_private,
)

TINY = {"epochs": 2, "batch_size": 50, "threads": 1, "random_state": 0}


def _table(n: int = 200) -> tuple[pd.DataFrame, TableSchema]:
    rng = np.random.default_rng(0)
    group = rng.choice(["a", "b"], n)
    value = np.where(group == "a", 10.0, 30.0) + rng.normal(0, 2, n)
    data = pd.DataFrame({"group": group, "value": np.clip(value, 0, 50)})
    schema = TableSchema(
        (
            ColumnSpec("group", ColumnKind.CATEGORICAL, "object", categories=("a", "b")),
            ColumnSpec("value", ColumnKind.NUMERIC, "float64", minimum=0.0, maximum=50.0),
        )
    )
    return data, schema


# -- noise multiplier pinned to (epsilon, delta) ----------------------------------------------------
@pytest.mark.parametrize(("eps", "delta"), [(1.0, 1e-9), (4.0, 1e-6)])
def test_full_batch_single_step_is_the_gaussian_mechanism(eps: float, delta: float) -> None:
    # q = 1, one step: the Gaussian mechanism with L2 sensitivity 1, which is 1 / (2 sigma^2)-zCDP, so the
    # noise multiplier is 1 / sqrt(2 rho) with rho from (epsilon, delta) (up to the finite grid of orders)
    sigma = noise_multiplier_for(eps, delta, sample_rate=1.0, steps=1)
    analytic = 1.0 / math.sqrt(2.0 * rho_from_epsilon(eps, delta))
    assert analytic * 0.999 <= sigma <= analytic * 1.01


@pytest.mark.parametrize(("eps", "delta", "q", "steps"), [(1.0, 1e-6, 0.1, 30), (3.0, 1e-5, 0.02, 500)])
def test_noise_multiplier_is_the_smallest_within_budget_and_agrees_with_opacus(
    eps: float, delta: float, q: float, steps: int
) -> None:
    from opacus.accountants.utils import get_noise_multiplier

    sigma = noise_multiplier_for(eps, delta, q, steps)
    assert epsilon_from_rdp(RDP_ORDERS, rdp_curve(q, sigma, steps), delta) <= eps
    assert epsilon_from_rdp(RDP_ORDERS, rdp_curve(q, sigma / 1.01, steps), delta) > eps
    theirs = get_noise_multiplier(target_epsilon=eps, target_delta=delta, sample_rate=q, steps=steps, accountant="rdp")
    assert sigma == pytest.approx(theirs, rel=0.03)


def test_plan_charges_the_ledger_and_refuses_an_impossible_target() -> None:
    ledger = simulacra.privacy.PrivacyLedger(1.0, 1e-6)
    plan = DPSGDPlan(n_rows=1000, batch_size=100, epochs=3, max_grad_norm=0.5, ledger=ledger)
    assert plan.sample_rate == 0.1 and plan.steps == 30 and plan.expected_batch == 100
    (charge,) = ledger.charges
    assert charge.count == 30 and charge.sensitivity == 0.5
    assert charge.noise_scale == pytest.approx(plan.noise_multiplier * 0.5)
    assert ledger.spent_epsilon() == pytest.approx(1.0, rel=0.01) and ledger.spent_epsilon() <= 1.0
    with pytest.raises(ParameterError, match="fewer epochs"):
        noise_multiplier_for(1e-6, 1e-12, 1.0, 10_000_000)


def test_optimiser_adds_noise_of_multiplier_times_clipping_norm() -> None:
    import torch

    ledger = simulacra.privacy.PrivacyLedger(1.0, 1e-6)
    plan = DPSGDPlan(n_rows=1000, batch_size=100, epochs=1, max_grad_norm=2.0, ledger=ledger)
    torch.manual_seed(0)
    layer = torch.nn.Linear(200, 100, bias=False)
    start = layer.weight.detach().clone()
    module, opt = wrap_private(layer, torch.optim.SGD(layer.parameters(), lr=1.0), plan, loss_reduction="sum")
    x = torch.zeros(4, 200)  # zero inputs: every per-example gradient is 0, the update is pure noise
    opt.zero_grad()
    (module(x).sum() * 0.0).backward()
    opt.step()
    moved = (layer.weight.detach() - start).numpy().ravel()
    assert np.std(moved) == pytest.approx(plan.noise_multiplier * 2.0, rel=0.03)


# -- private fits ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["vae", "gan"])
def test_private_fit_spends_the_budget_and_round_trips(name: str, tmp_path: Path) -> None:
    data, schema = _table()
    params = {**TINY, "compress_dims": (16,), "decompress_dims": (16,), "embedding_dim": 8}
    if name == "gan":
        params = {**TINY, "generator_dims": (16,), "discriminator_dims": (16,), "embedding_dim": 8, "pac": 5}
    gen = simulacra.create_generator(name, epsilon=2.0, delta=1e-6, **params).fit(data, schema)
    dp = gen.training_["dp_sgd"]
    assert dp["sample_rate"] == 0.25 and dp["steps_planned"] == dp["steps_run"] == 8
    assert gen.training_["stopped_by"] == "epochs"
    (charge,) = gen.privacy_["charges"]
    assert charge["stage"] == "training" and charge["noise_scale"] == pytest.approx(dp["noise_multiplier"])
    assert dp["noise_multiplier"] == pytest.approx(noise_multiplier_for(2.0, 1e-6, 0.25, 8))
    assert gen.privacy_["epsilon_spent"] <= 2.0
    out = gen.sample(100, random_state=1)
    assert list(out.columns) == ["group", "value"] and out["value"].between(0, 50).all()
    assert set(out["group"]) <= {"a", "b"}
    gen.save(tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["state"]["generator"]["privacy"]["epsilon"] == 2.0
    loaded = simulacra.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.sample(30, random_state=2), gen.sample(30, random_state=2))


def test_private_fit_needs_a_public_domain_and_valid_privacy_parameters() -> None:
    data, schema = _table(60)
    with pytest.raises(SchemaError, match=r"'group', 'value'.*Two ways forward"):
        simulacra.create_generator("vae", epsilon=1.0, **TINY).fit(data)
    for bad in ({"epsilon": -1.0}, {"epsilon": 1.0, "delta": 2.0}, {"epsilon": 1.0, "max_grad_norm": 0}):
        with pytest.raises(ParameterError):
            simulacra.create_generator("gan", **bad, **TINY).fit(data, schema)


def test_plan_composes_with_budget_already_spent() -> None:
    # private bound estimation (domain_share) charges the ledger first; DP-SGD then gets only the rest
    fresh = simulacra.privacy.PrivacyLedger(1.0, 1e-6)
    alone = DPSGDPlan(n_rows=1000, batch_size=100, epochs=3, max_grad_norm=1.0, ledger=fresh)
    ledger = simulacra.privacy.PrivacyLedger(1.0, 1e-6)
    ledger.charge("bounds", mechanism="gaussian", rho=0.1 * ledger.rho_total, sensitivity=1.0, noise_scale=1.0)
    after = DPSGDPlan(n_rows=1000, batch_size=100, epochs=3, max_grad_norm=1.0, ledger=ledger)
    assert after.noise_multiplier > alone.noise_multiplier
    assert 0.99 <= ledger.spent_epsilon() <= 1.0
