"""Linkability (Article 29 Working Party, Opinion 05/2014): can the synthetic table link two pieces of
information about the same training record?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..._random import check_random_state
from ...errors import InputError, ParameterError
from ...progress import ProgressCallback
from ...schema import ColumnSpec, TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import attack_risk, check_inputs, encode, neighbour_sets, risk_details

__all__ = ["Linkability"]


def default_split(specs: Sequence[ColumnSpec], real: pd.DataFrame) -> tuple[list[ColumnSpec], list[ColumnSpec]]:
    """Two disjoint halves of the columns, balanced in how identifying they are.

    Columns are ranked by their number of distinct training values and dealt alternately to the two
    halves (most distinct to the first), so that neither half gets all the near-unique columns.
    """
    ranked = sorted(specs, key=lambda s: (-int(real[s.name].nunique(dropna=False)), s.name))
    first = {s.name for s in ranked[0::2]}
    return [s for s in specs if s.name in first], [s for s in specs if s.name not in first]


class Linkability(Metric):
    """Linkability risk: linking two halves of a record through nearest synthetic neighbours.

    Follows the linkability attack of Giomi et al. (PoPETs 2023; written anew here). The attacker holds
    two disjoint sets of attributes of the same person (``aux_cols``; default: the judged columns dealt
    alternately into two halves by their number of distinct values, see :func:`default_split`). For each
    target record it looks up, in the synthetic table, the ``n_neighbors`` nearest rows on the first
    set and on the second set (Euclidean on the mixed encoding fitted on the training table; rows tied
    with the ``n_neighbors``-th nearest are included). The attack succeeds when one synthetic row is in
    both sets, i.e. the synthetic data tie the two halves together.

    Targets: up to ``max_targets`` training records (attack) and as many holdout records (control),
    drawn with ``random_state``. Risk = ``(a - c) / (1 - c)`` clipped to [0, 1], 95% interval from the
    two Wilson intervals by the delta method (see ``_common.attack_risk``); reference 0.

    Parameters
    ----------
    aux_cols : the two attribute sets, as lists of column names; ``None`` for the default split.
    n_neighbors : neighbours looked up on each side.
    max_targets : cap on the training (and holdout) targets.
    """

    key = "privacy.linkability"
    name = "Linkability risk"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = (
        "How much more often the synthetic data link two disjoint halves of a training record (same "
        "nearest synthetic row) than of a holdout record; 0 = no added risk."
    )

    def __init__(
        self,
        *,
        aux_cols: tuple[Sequence[str], Sequence[str]] | None = None,
        n_neighbors: int = 1,
        max_targets: int | None = 2_000,
    ) -> None:
        self.aux_cols = aux_cols
        self.n_neighbors = n_neighbors
        self.max_targets = max_targets

    def compute(
        self,
        real: pd.DataFrame,
        synthetic: pd.DataFrame,
        schema: TableSchema,
        *,
        holdout: pd.DataFrame | None = None,
        target: str | None = None,
        random_state: int = 0,
        progress: ProgressCallback | None = None,
    ) -> MetricResult:
        specs, skipped, holdout = check_inputs(self.key, real, synthetic, schema, holdout)
        side_a, side_b = self._sides(specs, real)
        rng = check_random_state(random_state)
        n = min(len(real), len(holdout))
        if self.max_targets is not None:
            n = min(n, self.max_targets)
        t_train = real.iloc[np.sort(rng.choice(len(real), size=n, replace=False))]
        t_hold = holdout.iloc[np.sort(rng.choice(len(holdout), size=n, replace=False))]
        enc_a = encode([real, t_train, t_hold, synthetic], side_a)
        enc_b = encode([real, t_train, t_hold, synthetic], side_b)
        linked = [self._linked(enc_a[i], enc_a[3], enc_b[i], enc_b[3]) for i in (1, 2)]
        r = attack_risk(float(linked[0].sum()), n, float(linked[1].sum()), n)
        details = risk_details(r) | {
            "aux_cols": [[s.name for s in side_a], [s.name for s in side_b]],
            "n_neighbors": self.n_neighbors,
        }
        return self.result(r["risk"], reference=0.0, ci=r["ci"], details=details, not_evaluated=skipped)

    def _sides(self, specs: list[ColumnSpec], real: pd.DataFrame) -> tuple[list[ColumnSpec], list[ColumnSpec]]:
        if self.aux_cols is None:
            if len(specs) < 2:
                raise InputError(f"{self.key} needs at least 2 judged columns to split into two attribute sets")
            return default_split(specs, real)
        by_name = {s.name: s for s in specs}
        a, b = (list(side) for side in self.aux_cols)
        unknown = sorted((set(a) | set(b)) - set(by_name))
        if unknown or not a or not b or set(a) & set(b):
            raise ParameterError(
                f"{self.key}: aux_cols must be two non-empty, disjoint lists of judged columns; "
                f"unknown or excluded: {unknown}, shared: {sorted(set(a) & set(b))}; judged: {sorted(by_name)}"
            )
        return [by_name[c] for c in a], [by_name[c] for c in b]

    def _linked(self, qa: np.ndarray, sa: np.ndarray, qb: np.ndarray, sb: np.ndarray) -> np.ndarray:
        out = np.zeros(len(qa), dtype=bool)
        near_b = neighbour_sets(qb, sb, self.n_neighbors)
        for (rows, mask_a), (_, mask_b) in zip(neighbour_sets(qa, sa, self.n_neighbors), near_b, strict=True):
            out[rows] = (mask_a & mask_b).any(axis=1)
        return out
