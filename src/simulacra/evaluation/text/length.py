"""Length distribution similarity: 1 - Kolmogorov-Smirnov distance between the texts' word counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import no_text, text_columns, texts_of

__all__ = ["TextLength", "histogram"]


def _words(texts: list[str]) -> np.ndarray:
    return np.array([len(t.split()) for t in texts], dtype=np.float64)


def histogram(real: np.ndarray, synthetic: np.ndarray, bins: int = 20) -> dict[str, list[float]]:
    """Shares per word-count bin (shared edges from the real counts' range), for the report's plot."""
    top = max(float(np.quantile(real, 0.99)) if len(real) else 1.0, 1.0)
    edges = np.linspace(0, top, bins + 1)
    r = np.histogram(np.clip(real, 0, top), edges)[0]
    s = np.histogram(np.clip(synthetic, 0, top), edges)[0]
    return {
        "edges": [round(float(e), 3) for e in edges],
        "real": [round(float(x), 6) for x in r / max(r.sum(), 1)],
        "synthetic": [round(float(x), 6) for x in s / max(s.sum(), 1)],
    }


class TextLength(Metric):
    """1 - KS distance between real and synthetic word counts per text column (mean over columns).

    The reference is the holdout's texts scored the same way. Details keep each column's histogram shares
    and mean/median lengths (aggregates only).
    """

    key = "text.length"
    name = "Text length"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "1 - KS distance between the word-count distributions of real and synthetic texts"

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
        cols = text_columns(schema)
        scores, refs, details = [], [], {}
        for col in cols:
            r, s = _words(texts_of(real, col.name)), _words(texts_of(synthetic, col.name))
            if len(r) == 0 or len(s) == 0:
                continue
            score = 1.0 - float(ks_2samp(r, s).statistic)
            entry: dict[str, object] = {
                "score": round(score, 6),
                "mean_words": {"real": round(float(r.mean()), 3), "synthetic": round(float(s.mean()), 3)},
                "median_words": {"real": float(np.median(r)), "synthetic": float(np.median(s))},
                "histogram": histogram(r, s),
            }
            if holdout is not None:
                h = _words(texts_of(holdout, col.name))
                if len(h):
                    ref = 1.0 - float(ks_2samp(r, h).statistic)
                    refs.append(ref)
                    entry["reference"] = round(ref, 6)
            scores.append(score)
            details[col.name] = entry
        if not scores:
            return no_text(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})
