"""The one metric interface.

Every metric is a small class with ``name``, ``key`` (its stable place in ``report.json``, e.g.
``"fidelity.column_shapes"``), ``goal``, ``min_value``, ``max_value`` and one method::

    compute(real, synthetic, schema, *, holdout=None, target=None, random_state=0, progress=None)
        -> MetricResult

``real`` is the training table the generator saw, ``holdout`` a fresh real sample it did not see.
Each result carries a **reference**: the score a fresh real sample earns (usually the holdout judged
against ``real`` exactly as the synthetic table is), or, for privacy figures, the ideal a generator
that copies no one would reach. Results with a sampling distribution carry a 95% confidence interval.
Columns a metric cannot judge are listed in ``not_evaluated`` with the reason; never dropped silently.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import pandas as pd

from ..progress import ProgressCallback
from ..schema import TableSchema

__all__ = ["Goal", "Metric", "MetricResult"]


class Goal(StrEnum):
    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


@dataclass
class MetricResult:
    """The outcome of one metric.

    ``score``: the headline number. ``reference``: what a fresh real sample scores (or the ideal).
    ``ci``: (low, high) 95% interval where the score has one. ``details``: per-column / per-pair
    figures and anything the report plots (JSON-ready values only; never real rows).
    """

    key: str
    name: str
    score: float
    goal: Goal
    min_value: float
    max_value: float
    reference: float | None = None
    ci: tuple[float, float] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    not_evaluated: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": _clean(self.score),
            "reference": _clean(self.reference),
            "ci": None if self.ci is None else [_clean(self.ci[0]), _clean(self.ci[1])],
            "goal": self.goal.value,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "description": self.description,
            "details": self.details,
            "not_evaluated": self.not_evaluated,
        }


def _clean(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else round(x, 6)


class Metric(ABC):
    """Base of every metric. Constructors only store parameters."""

    key: ClassVar[str]
    name: ClassVar[str]
    goal: ClassVar[Goal]
    min_value: ClassVar[float]
    max_value: ClassVar[float]
    description: ClassVar[str] = ""

    @abstractmethod
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
        """Judge ``synthetic`` against ``real`` (and ``holdout`` where the metric needs one)."""

    def result(self, score: float, **kw: Any) -> MetricResult:
        """A :class:`MetricResult` stamped with this metric's identity."""
        return MetricResult(
            key=self.key,
            name=self.name,
            score=score,
            goal=self.goal,
            min_value=self.min_value,
            max_value=self.max_value,
            description=self.description,
            **kw,
        )
