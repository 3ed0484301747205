"""The DP generators that count (``mst``, ``aim``, ``privbayes``) fitted from counts over every row.

They touch the private data only through exact histograms of a few marginals, to which they add calibrated
noise or which they score under the exponential mechanism. Histograms add up across partitions, so each
request of :class:`~simulacra.generators.statistical._counts.MarginalCounts` is one pass: every partition is
encoded with public values only (bins and categories of the public schema) and counted, and the partial
histograms are summed in partition order. MST needs two passes (the 1-way marginals; every pair after domain
compression), AIM two (the 1-way marginals; every candidate marginal), PrivBayes one per network step plus
two (row count; conditionals). The noise is added once, to the merged counts, by the same code as the
in-memory fit, so the same seed gives the same model whatever the engine or the number of workers (for
``mst``/``aim`` also the same as in memory; ``privbayes`` encodes each partition with its own seeded stream).

Nothing else is read: no sample of rows, no category list and no row count (the model's total is a noisy
estimate). The schema must therefore be the public one (``simulacra profile --public``, filled in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..generators.base import data_fingerprint
from ..generators.statistical._counts import Clique, CodeCounts, Encoder, FitsFromCounts, MarginalCounts
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import TableSchema
from ._engine import Engine, partition_rng
from ._source import Dataset, read_partition

__all__ = ["PartitionCounts", "fit_from_counts"]


STAGE_COUNTS = 5


def _count_task(
    dataset: Dataset,
    encoder: Encoder,
    seed: int,
    names: list[str],
    cliques: list[Clique],
    sizes: list[int],
    mappings: list[np.ndarray] | None,
    i: int,
) -> list[np.ndarray]:
    frame = read_partition(dataset, i, columns=names)
    return CodeCounts(encoder(frame, partition_rng(seed, STAGE_COUNTS, i)))(cliques, sizes, mappings)


def _add(a: list[np.ndarray], b: list[np.ndarray]) -> list[np.ndarray]:
    return [x + y for x, y in zip(a, b, strict=True)]


@dataclass
class PartitionCounts:
    """Exact marginal histograms of a partitioned dataset: one pass per request, summed in partition order.

    Partition ``i`` is encoded with the random stream keyed by (``seed``, ``i``), so the counts do not
    depend on the number of workers.
    """

    dataset: Dataset
    engine: Engine
    encoder: Encoder
    seed: int
    names: list[str]
    progress: ProgressCallback = NO_PROGRESS

    def __call__(
        self, cliques: Sequence[Clique], sizes: Sequence[int], mappings: Sequence[np.ndarray] | None = None
    ) -> list[np.ndarray]:
        cliques = [tuple(int(j) for j in c) for c in cliques]
        if not cliques:
            return []
        maps = None if mappings is None else [np.asarray(m, dtype=np.int64) for m in mappings]
        task = partial(
            _count_task, self.dataset, self.encoder, self.seed, self.names, cliques, [int(s) for s in sizes], maps
        )
        what = f"pass: {len(cliques)} marginal{'s' if len(cliques) > 1 else ''}"
        return self.engine.map_fold(task, len(self.dataset), _add, self.progress, what)


def fit_from_counts(
    gen: FitsFromCounts,
    dataset: Dataset,
    schema: TableSchema,
    engine: Engine,
    progress: ProgressCallback | None = None,
) -> FitsFromCounts:
    """Fit ``gen`` (``mst``, ``aim``, ``privbayes``) from counts over every row of ``dataset``."""
    progress = progress or NO_PROGRESS
    names = list(schema.names)
    head = read_partition(dataset, 0, columns=names).head(0)  # columns and dtypes, no rows

    def counts(encoder: Encoder, seed: int) -> MarginalCounts:
        return PartitionCounts(dataset, engine, encoder, seed, names, progress)

    return gen.fit_counts(counts, schema, data_fingerprint(head), progress=progress)
