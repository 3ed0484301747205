"""Shared fixtures: small deterministic tables and paths to the shared datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DEMO = ROOT / "src" / "simulacra" / "data" / "adult_sample.csv"


@pytest.fixture(scope="session")
def demo_path() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def adult_path() -> Path:
    path = SHARED / "adult" / "adult.csv"
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    return path


def make_mixed(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A small table with one column of each common kind, correlated, with gaps."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    group = np.where(age > 45, "senior", np.where(age > 30, "mid", "junior"))
    income = np.round(1000 + 50 * age + rng.normal(0, 300, n), 2)
    income_missing = rng.random(n) < 0.1
    days = rng.integers(0, 3000, n)
    joined = (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    emails = [f"person{i}.{rng.integers(1000, 9999)}@example.org" for i in range(n)]
    return pd.DataFrame(
        {
            "customer_id": np.arange(100001, 100001 + n),
            "age": age.astype("int64"),
            "group": pd.Series(group, dtype=object),
            "income": pd.Series(np.where(income_missing, np.nan, income), dtype="float64"),
            "joined": pd.Series(joined, dtype=object),
            "email": pd.Series(emails, dtype=object),
            "active": rng.random(n) < 0.7,
        }
    )


@pytest.fixture()
def mixed() -> pd.DataFrame:
    return make_mixed()
