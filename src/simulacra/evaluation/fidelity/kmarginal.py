"""NIST's k-marginal score: how well the 3-way marginal distributions are kept, on a 0..1000 scale.

Definition (NIST CRC / SDNist ``KMarginal``): for each marginal (a set of k columns), the densities of
the real and the synthetic table (counts / rows) are compared cell by cell; the sum of absolute
differences runs from 0 (identical) to 2 (disjoint). The score is ``(2 - mean over marginals) * 500``:
1000 for identical marginals, 0 for disjoint ones. Continuous columns are cut into SDNist's 20
percentile bins of the real values (``rank(pct=True)``, ties sharing a bin); synthetic values go to the
real bin whose range holds them, values beyond the real maximum to the last bin. Missing cells are a
value of their own. SDNist uses every 2-way marginal of its fixed feature set; the CRC challenge used
3-way marginals; here k = 3 (fewer when the table has fewer columns) over all 3-column sets, or a seeded
random subset of ``max_marginals`` of them.

Example
-------
>>> import pandas as pd
>>> from simulacra.schema import ColumnKind, ColumnSpec, TableSchema
>>> schema = TableSchema(tuple(ColumnSpec(c, ColumnKind.CATEGORICAL, "str") for c in "abc"))
>>> real = pd.DataFrame({"a": list("xxyy"), "b": list("xyxy"), "c": list("xxxy")})
>>> KMarginal().compute(real, real, schema).score
1000.0
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import check_tables, codes, l1_distance, usable_columns

__all__ = ["KMarginal"]


def choose_marginals(n_columns: int, k: int, limit: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """Every k-subset of the columns when there are at most ``limit``, else ``limit`` distinct random ones."""
    if n_columns < k or k == 0:
        return []
    if math.comb(n_columns, k) <= limit:
        return list(itertools.combinations(range(n_columns), k))
    seen: set[tuple[int, ...]] = set()
    while len(seen) < limit:
        seen.add(tuple(sorted(int(i) for i in rng.choice(n_columns, size=k, replace=False))))
    return sorted(seen)


class KMarginal(Metric):
    """NIST CRC k-marginal score over 3-way marginals, 0 (disjoint) to 1000 (identical)."""

    key = "fidelity.k_marginal"
    name = "k-marginal (NIST)"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1000.0
    description = (
        "NIST's k-marginal score: for 3-column combinations, the sum of absolute differences between the real "
        "and synthetic densities (numbers in 20 percentile bins of the real data), mapped as (2 - mean) * 500 "
        "so identical tables score 1000 and disjoint ones 0."
    )

    def __init__(self, *, k: int = 3, max_marginals: int = 1000) -> None:
        self.k = k
        self.max_marginals = max_marginals

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
        check_tables(real, synthetic, schema, holdout)
        specs, skipped = usable_columns(schema, [real, synthetic])
        frames: list[pd.DataFrame] = [real, synthetic] + ([] if holdout is None else [holdout])
        k = min(self.k, len(specs))
        rng = np.random.default_rng(random_state)
        marginals = choose_marginals(len(specs), k, self.max_marginals, rng)
        coded = [codes(s, frames, binning="percentile") for s in specs]
        if progress is not None:
            progress.start(self.name, total=len(marginals))
        l1_syn: list[float] = []
        l1_hold: list[float] = []
        for marginal in marginals:
            sizes = [coded[i][1] for i in marginal]
            real_cols = [coded[i][0][0] for i in marginal]
            l1_syn.append(l1_distance(real_cols, [coded[i][0][1] for i in marginal], sizes))
            if holdout is not None:
                l1_hold.append(l1_distance(real_cols, [coded[i][0][2] for i in marginal], sizes))
            if progress is not None:
                progress.advance(self.name)
        if progress is not None:
            progress.end(self.name)
        if not marginals:
            return self.result(float("nan"), details={"k": k, "n_marginals": 0}, not_evaluated=skipped)
        names = [s.name for s in specs]
        score = (2.0 - float(np.mean(l1_syn))) * 500.0
        reference = (2.0 - float(np.mean(l1_hold))) * 500.0 if l1_hold else None
        details: dict[str, Any] = {
            "k": k,
            "n_marginals": len(marginals),
            "n_possible_marginals": math.comb(len(specs), k),
            "bins": "20 percentile bins of the real data for continuous columns",
            "columns": _column_scores(names, marginals, l1_syn, l1_hold),
            "worst_marginals": [
                {"columns": [names[i] for i in marginals[m]], "score": round((2.0 - l1_syn[m]) * 500.0, 3)}
                for m in np.argsort(l1_syn)[::-1][:10]
            ],
        }
        return self.result(score, reference=reference, details=details, not_evaluated=skipped)


def _column_scores(
    names: list[str], marginals: list[tuple[int, ...]], l1_syn: list[float], l1_hold: list[float]
) -> dict[str, dict[str, float | None]]:
    """Per column, the mean score of the marginals it takes part in (SDNist's column scores)."""
    out: dict[str, dict[str, float | None]] = {}
    for c, name in enumerate(names):
        which = [m for m, marginal in enumerate(marginals) if c in marginal]
        if not which:
            continue
        syn = (2.0 - float(np.mean([l1_syn[m] for m in which]))) * 500.0
        hold = (2.0 - float(np.mean([l1_hold[m] for m in which]))) * 500.0 if l1_hold else None
        out[name] = {"score": round(syn, 3), "reference": None if hold is None else round(hold, 3)}
    return out
