"""Text-to-row consistency: does a synthetic text agree with its own row's label as real texts do?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from ...errors import ParameterError
from ...progress import ProgressCallback
from ...schema import ColumnKind, TableSchema
from ..base import Goal, Metric, MetricResult
from ._common import no_text, text_columns

__all__ = ["MAX_CLASSES", "TextConsistency"]

MAX_CLASSES = 20
MAX_TRAIN = 20_000


def _pairs(frame: pd.DataFrame, text: str, label: str) -> tuple[list[str], np.ndarray]:
    ok = frame[text].notna() & frame[label].notna()
    return frame.loc[ok, text].astype(str).tolist(), frame.loc[ok, label].astype(str).to_numpy()


class TextConsistency(Metric):
    """A TF-IDF (word 1-2-grams) logistic regression is trained on the real texts to predict the label
    column (``target``). Score: its accuracy on the synthetic texts against their own synthetic labels,
    divided by its accuracy on the holdout's texts against theirs (reference 1.0: synthetic text agrees
    with its row as well as fresh real text does). Needs a categorical target, or a numeric one with at
    most 20 values, and a holdout."""

    key = "text.consistency"
    name = "Text-to-row consistency"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 2.0
    description = "accuracy of a text->label classifier (trained on real) on synthetic rows / on holdout rows"

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
        if not cols:
            return no_text(self)
        if target is None:
            raise ParameterError("needs a label column to check the texts against (--target)")
        if holdout is None:
            raise ParameterError("needs a holdout: real rows the generator did not see (--holdout)")
        spec = schema[target]
        n_values = real[target].nunique(dropna=True)
        if spec.kind is ColumnKind.TEXT or (spec.kind is not ColumnKind.CATEGORICAL and n_values > MAX_CLASSES):
            raise ParameterError(
                f"the target '{target}' is not a label (categorical, or at most {MAX_CLASSES} values) to check texts"
            )
        scores, details = [], {}
        for col in cols:
            x, y = _pairs(real, col.name, target)
            if len(set(y.tolist())) < 2 or len(x) < 20:
                continue
            if len(x) > MAX_TRAIN:
                keep = np.random.default_rng(random_state).choice(len(x), MAX_TRAIN, replace=False)
                x, y = [x[i] for i in keep], y[keep]
            clf = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50_000),
                LogisticRegression(C=4.0, max_iter=2000),
            ).fit(x, y)
            xh, yh = _pairs(holdout, col.name, target)
            xs, ys = _pairs(synthetic, col.name, target)
            if not xh or not xs:
                continue
            acc_h = float(np.mean(clf.predict(xh) == yh))
            acc_s = float(np.mean(clf.predict(xs) == ys))
            majority = float(pd.Series(ys).value_counts(normalize=True).iloc[0])
            score = acc_s / acc_h if acc_h > 0 else float("nan")
            scores.append(score)
            details[col.name] = {
                "score": round(score, 6),
                "accuracy_synthetic": round(acc_s, 6),
                "accuracy_holdout": round(acc_h, 6),
                "majority_share_synthetic": round(majority, 6),
                "label": target,
            }
        if not scores:
            raise ParameterError(f"no text column has enough labelled texts to train on (label '{target}')")
        return self.result(float(np.mean(scores)), reference=1.0, details={"columns": details})
