"""Adult splits for the privacy metrics' must-hold tests (skipped when the shared dataset is absent)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import simulacra
from simulacra.schema import TableSchema

ADULT = Path(__file__).resolve().parents[4].parent / "shared" / "datasets" / "adult" / "adult.csv"


@dataclass
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame
    schema: TableSchema


@pytest.fixture(scope="session")
def adult_full() -> Split:
    """UCI Adult, 80/20 split stratified on income (26,048 train / 6,513 holdout)."""
    if not ADULT.exists():
        pytest.skip(f"shared dataset not found at {ADULT}")
    df = simulacra.read_table(ADULT)
    train, holdout = train_test_split(df, test_size=0.2, random_state=0, stratify=df["income"])
    return Split(train, holdout, simulacra.profile(train))


@pytest.fixture(scope="session")
def adult_small(adult_full: Split) -> Split:
    """A seeded 6,000 / 1,500 subsample of the split, for the cases whose synthetic side is large."""
    return Split(
        adult_full.train.sample(6_000, random_state=1),
        adult_full.holdout.sample(1_500, random_state=1),
        adult_full.schema,
    )


@pytest.fixture(scope="session")
def adult_tiny(adult_full: Split) -> Split:
    """A 1,000 / 400 subsample for determinism and output-shape checks."""
    return Split(
        adult_full.train.sample(1_000, random_state=2),
        adult_full.holdout.sample(400, random_state=2),
        adult_full.schema,
    )
