"""One seeding helper for every stochastic object."""

from __future__ import annotations

import numpy as np

__all__ = ["RandomState", "check_random_state", "child_seed"]

RandomState = int | np.random.Generator | None


def check_random_state(random_state: RandomState) -> np.random.Generator:
    """A numpy Generator from an int seed, an existing Generator (returned as is) or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(None if random_state is None else int(random_state))
    raise TypeError(f"random_state must be an int, a numpy Generator or None, not {type(random_state).__name__}")


def child_seed(rng: np.random.Generator) -> int:
    """Draw an int seed from ``rng`` (for libraries that take ints, e.g. Faker)."""
    return int(rng.integers(0, 2**31 - 1))
