"""N-gram distribution similarity: 1 - Jensen-Shannon distance between word uni- and bigram frequencies."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ...text.guard import ngrams, words
from ..base import Goal, Metric, MetricResult
from ._common import no_text, subsample, text_columns, texts_of

__all__ = ["NgramSimilarity", "ngram_counts", "top_ngrams"]

MAX_TEXTS = 5000
MIN_RECORDS = 5
"""An n-gram shown in the report's real top list occurs in at least this many real texts."""


def ngram_counts(texts: list[str], n_max: int = 2) -> Counter[str]:
    counts: Counter[str] = Counter()
    for t in texts:
        w = words(t)
        for n in range(1, n_max + 1):
            counts.update(" ".join(w[i : i + n]) for i in range(len(w) - n + 1))
    return counts


def _records(texts: list[str], n: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(ngrams(t, n))
    return counts


def top_ngrams(texts: list[str], n: int, k: int = 10, min_records: int = 1) -> list[tuple[str, int]]:
    """The ``k`` most frequent ``n``-grams found in at least ``min_records`` texts, with their counts."""
    rec = _records(texts, n)
    return [(g, c) for g, c in rec.most_common() if c >= min_records][:k]


def _js(p: Counter[str], q: Counter[str], vocab: list[str]) -> float:
    a = np.array([p.get(v, 0) for v in vocab], dtype=np.float64) + 0.0
    b = np.array([q.get(v, 0) for v in vocab], dtype=np.float64) + 0.0
    a = np.append(a, max(sum(p.values()) - a.sum(), 0.0))
    b = np.append(b, max(sum(q.values()) - b.sum(), 0.0))
    a, b = a / max(a.sum(), 1e-12), b / max(b.sum(), 1e-12)
    m = 0.5 * (a + b)

    def kl(x: np.ndarray) -> float:
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / m[nz])))

    return float(np.sqrt(max(0.5 * kl(a) + 0.5 * kl(b), 0.0)))


class NgramSimilarity(Metric):
    """1 - Jensen-Shannon distance (base 2) between the uni- and bigram frequencies of real and synthetic
    texts, over the 5,000 most frequent real n-grams plus one "other" bin; texts subsampled to equal sizes
    (at most 5,000). The reference is the holdout scored the same way. Details list the top bigrams of each
    side (real ones only when at least 5 real texts have them)."""

    key = "text.ngrams"
    name = "Text n-grams"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "1 - Jensen-Shannon distance between word uni/bigram frequencies of real and synthetic texts"

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
        scores, refs, details = [], [], {}
        for col in text_columns(schema):
            rng = np.random.default_rng(random_state)
            r, s = texts_of(real, col.name), texts_of(synthetic, col.name)
            h = texts_of(holdout, col.name) if holdout is not None else []
            if not r or not s:
                continue
            n = min(len(s), MAX_TEXTS, len(h) if h else MAX_TEXTS)
            r_c = ngram_counts(subsample(r, MAX_TEXTS, rng))
            s_c = ngram_counts(subsample(s, n, rng))
            vocab = [g for g, _ in r_c.most_common(5000)]
            score = 1.0 - _js(r_c, s_c, vocab)
            entry: dict[str, object] = {
                "score": round(score, 6),
                "top_bigrams": {
                    "real": top_ngrams(r, 2, 10, MIN_RECORDS),
                    "synthetic": top_ngrams(s, 2, 10, 1),
                },
            }
            if h:
                ref = 1.0 - _js(r_c, ngram_counts(subsample(h, n, rng)), vocab)
                refs.append(ref)
                entry["reference"] = round(ref, 6)
            scores.append(score)
            details[col.name] = entry
        if not scores:
            return no_text(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})
