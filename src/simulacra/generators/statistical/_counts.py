"""How the DP generators that count (``mst``, ``aim``, ``privbayes``) reach the private data: exact
histograms of marginals, asked for in batches.

MST, AIM and PrivBayes read the data only through counts of a few marginals, to which they add calibrated
noise (or which they score under the exponential mechanism). Counts add up across partitions, so the same
algorithm runs in memory (:class:`CodeCounts` over a code matrix) or over a dataset larger than memory
(:class:`simulacra.distributed.marginals.PartitionCounts`, one pass per request). An :class:`Encoder` turns
a frame of private rows into the generator's integer codes using public values only (bins and categories
from the public schema), so every partition is encoded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from ._pgm import count_marginal

if TYPE_CHECKING:
    from ...progress import ProgressCallback
    from ...schema import TableSchema

__all__ = ["Clique", "CodeCounts", "CountsFactory", "Encoder", "FitsFromCounts", "MarginalCounts", "remap"]

Clique = tuple[int, ...]


class MarginalCounts(Protocol):
    """The only access MST, AIM and PrivBayes have to the private data: exact histograms of marginals.

    ``counts(cliques, sizes, mappings)`` returns one flattened (C order) histogram per clique, of the codes
    after ``mappings`` (per column: original code -> compressed code; ``None``: the codes as they are).
    Each call may be one pass over a dataset, so callers ask for every marginal they need at once.
    In memory: :class:`CodeCounts`; over partitions: :class:`simulacra.distributed.marginals.PartitionCounts`.
    ``counts([], ...)`` costs nothing.
    """

    def __call__(
        self, cliques: Sequence[Clique], sizes: Sequence[int], mappings: Sequence[np.ndarray] | None = None
    ) -> list[np.ndarray]: ...


def remap(codes: np.ndarray, mappings: Sequence[np.ndarray] | None) -> np.ndarray:
    """``codes`` with each column passed through its mapping (unchanged without mappings)."""
    if mappings is None or codes.shape[1] == 0:
        return codes
    return np.column_stack([np.asarray(mappings[j])[codes[:, j]] for j in range(codes.shape[1])])


@dataclass
class CodeCounts:
    """:class:`MarginalCounts` over an in-memory code matrix."""

    codes: np.ndarray

    def __call__(
        self, cliques: Sequence[Clique], sizes: Sequence[int], mappings: Sequence[np.ndarray] | None = None
    ) -> list[np.ndarray]:
        codes = remap(self.codes, mappings)
        return [count_marginal(codes, sizes, c) for c in cliques]


class Encoder(Protocol):
    """Private rows -> integer codes (rows x model columns), from public values only. ``rng`` serves the
    transformers that draw (e.g. a fill for a missing number); a partition gets its own seeded stream."""

    def __call__(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray: ...


CountsFactory = Callable[[Encoder, int], MarginalCounts]
"""``factory(encoder, seed)``: the counts of a dataset encoded by ``encoder`` (partition ``i`` drawing from
the stream keyed by (``seed``, ``i``))."""


@runtime_checkable
class FitsFromCounts(Protocol):
    """A generator that can fit from counts alone (``mst``, ``aim``, ``privbayes``)."""

    def fit_counts(
        self,
        counts: CountsFactory,
        schema: TableSchema,
        fingerprint: dict[str, Any],
        *,
        progress: ProgressCallback | None = None,
    ) -> Self: ...
