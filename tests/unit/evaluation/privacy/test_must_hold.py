"""The issue's must-holds on Adult: a copy of the training table is flagged by every metric; an
independent real sample is not."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from simulacra.evaluation.privacy import (
    NNDR,
    AttributeInference,
    DCRShare,
    ExactCopies,
    Linkability,
    MembershipInference,
    SinglingOut,
)

from .conftest import Split

RISKS = [SinglingOut, Linkability, AttributeInference]


# -- synthetic = a copy of the training table ------------------------------------------------------


def test_copy_is_all_exact_copies(adult_small: Split) -> None:
    s = adult_small
    r = ExactCopies().compute(s.train, s.train, s.schema, holdout=s.holdout)
    assert r.score == 1.0
    assert r.reference is not None and r.reference < 0.01


def test_copy_dcr_share_is_one(adult_small: Split) -> None:
    s = adult_small
    r = DCRShare().compute(s.train, s.train, s.schema, holdout=s.holdout)
    # Every synthetic row is at distance 0 from train; only a row with an exact twin in the holdout ties
    # (and counts 1/2), so the share is 1.0 up to half the holdout's exact-match rate.
    assert r.score >= 0.995
    assert r.reference == pytest.approx(6_000 / 7_500)


def test_copy_nndr_is_zero(adult_small: Split) -> None:
    s = adult_small
    r = NNDR().compute(s.train, s.train, s.schema, holdout=s.holdout)
    assert r.score == 0.0
    assert r.reference is not None and r.reference > 0.05


def test_copy_membership_auc_near_one(adult_small: Split) -> None:
    s = adult_small
    r = MembershipInference().compute(s.train, s.train, s.schema, holdout=s.holdout)
    assert r.score > 0.9
    assert r.ci is not None and r.ci[0] > 0.9


@pytest.mark.parametrize("metric", RISKS, ids=lambda m: m.__name__)
def test_copy_risks_high(adult_small: Split, metric: type) -> None:
    # On a copy every attack succeeds on the training targets (attack rate 1.0), so
    # risk = (1 - c) / (1 - c) = 1 whatever the control rate c; 0.9 leaves room for the rare training
    # row with an exact twin among the other rows (ties are split) while staying far from the ~0 of a
    # fresh sample.
    s = adult_small
    r = metric().compute(s.train, s.train, s.schema, holdout=s.holdout)
    assert r.score > 0.9
    assert r.ci is not None and r.ci[0] > 0.5


# -- synthetic = an independent real sample --------------------------------------------------------


@pytest.fixture(scope="module")
def independent(adult_full: Split) -> tuple[Split, pd.DataFrame]:
    """Train as train; one half of the holdout acts as the synthetic table, the other as the holdout."""
    fake, rest = train_test_split(adult_full.holdout, test_size=0.5, random_state=0)
    return Split(adult_full.train, rest, adult_full.schema), fake


def test_independent_dcr_share_at_ideal(independent: tuple[Split, pd.DataFrame]) -> None:
    s, fake = independent
    r = DCRShare().compute(s.train, fake, s.schema, holdout=s.holdout)
    ideal = len(s.train) / (len(s.train) + len(s.holdout))
    assert r.reference == pytest.approx(ideal)
    assert abs(r.score - ideal) <= 0.03


def test_independent_exact_copies_at_reference(independent: tuple[Split, pd.DataFrame]) -> None:
    s, fake = independent
    r = ExactCopies().compute(s.train, fake, s.schema, holdout=s.holdout)
    assert r.reference is not None and r.ci is not None
    assert r.ci[0] <= r.reference <= r.ci[1] or abs(r.score - r.reference) < 0.005


def test_independent_nndr_near_reference(independent: tuple[Split, pd.DataFrame]) -> None:
    s, fake = independent
    r = NNDR().compute(s.train, fake, s.schema, holdout=s.holdout)
    assert r.reference is not None
    assert abs(r.score - r.reference) < 0.05


def test_independent_membership_auc_half(independent: tuple[Split, pd.DataFrame]) -> None:
    s, fake = independent
    r = MembershipInference().compute(s.train, fake, s.schema, holdout=s.holdout)
    assert abs(r.score - 0.5) <= 0.05


@pytest.mark.parametrize("metric", RISKS, ids=lambda m: m.__name__)
def test_independent_risk_interval_includes_zero(independent: tuple[Split, pd.DataFrame], metric: type) -> None:
    s, fake = independent
    r = metric().compute(s.train, fake, s.schema, holdout=s.holdout)
    assert r.ci is not None and r.ci[0] == 0.0
    assert r.score < 0.1
