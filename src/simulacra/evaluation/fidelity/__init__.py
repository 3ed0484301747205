"""Fidelity metrics: how closely the synthetic table follows the real one.

One small module per family: column shapes and missing values (:mod:`.shapes`), column pair trends
(:mod:`.pairs`), NIST's k-marginal score (:mod:`.kmarginal`), a real-vs-synthetic classifier
(:mod:`.detection`) and alpha-precision / beta-recall (:mod:`.precision_recall`). Each metric follows
:class:`simulacra.evaluation.base.Metric` and reports the holdout's score as its reference.
"""

from .detection import Detection
from .kmarginal import KMarginal
from .pairs import ColumnPairs, ColumnPairsStrong
from .precision_recall import AlphaPrecision, BetaRecall
from .shapes import ColumnShapes, MissingValues

__all__ = [
    "AlphaPrecision",
    "BetaRecall",
    "ColumnPairs",
    "ColumnPairsStrong",
    "ColumnShapes",
    "Detection",
    "KMarginal",
    "MissingValues",
]
