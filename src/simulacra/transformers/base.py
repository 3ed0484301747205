"""The transformer interface: reversible maps between user columns and model columns.

A :class:`ColumnTransformer` owns one or more input columns (a geo pair owns two) and turns them into
*model columns* that every generator understands:

* ``continuous``: float64, finite, no missing values;
* ``discrete``: int64 codes in ``0 .. n_categories - 1``.

Missing values are never NaN in model columns: a column with missing cells gets a discrete
``"<name>.null"`` indicator (or, for categoricals, a category of its own), so a generator learns
*when* values are missing together with everything else. The inverse restores the user's dtype,
bounds, decimal places, formats, spellings and missing-value pattern.

Transformer state is JSON values plus numpy arrays (never objects), so it saves without pickle.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..schema import ColumnSpec

__all__ = ["ColumnTransformer", "ModelColumn", "ModelColumnType"]


class ModelColumnType(StrEnum):
    CONTINUOUS = "continuous"
    DISCRETE = "discrete"


@dataclass(frozen=True)
class ModelColumn:
    """One column of the model matrix.

    ``source`` names the user column it came from; ``role`` says what it encodes (``"value"``,
    ``"null"``, ``"length"``, ``"lat"``, ``"lon"`` ...).
    """

    name: str
    type: ModelColumnType
    source: str
    role: str = "value"
    n_categories: int = 0

    @property
    def is_discrete(self) -> bool:
        return self.type is ModelColumnType.DISCRETE

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.value,
            "source": self.source,
            "role": self.role,
            "n_categories": self.n_categories,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelColumn:
        return cls(
            name=d["name"],
            type=ModelColumnType(d["type"]),
            source=d["source"],
            role=d.get("role", "value"),
            n_categories=int(d.get("n_categories", 0)),
        )


class ColumnTransformer(ABC):
    """Base of every column transformer.

    Subclasses set ``name`` (used in saved models), keep ``__init__`` to storing the specs, learn in
    :meth:`fit` and expose learned state through :meth:`get_state` / :meth:`set_state`.
    """

    name: ClassVar[str]

    def __init__(self, specs: list[ColumnSpec]) -> None:
        self.specs = specs

    @property
    def input_columns(self) -> list[str]:
        return [s.name for s in self.specs]

    @abstractmethod
    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> ColumnTransformer:
        """Learn from ``data[self.input_columns]``; return self."""

    @property
    @abstractmethod
    def output_columns(self) -> list[ModelColumn]:
        """The model columns produced, in order (known after fit)."""

    @abstractmethod
    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Model column name -> array (float64 for continuous, int64 for discrete), one entry per row."""

    @abstractmethod
    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Rebuild ``n`` rows of the input columns (user dtypes and formats) from model columns."""

    @abstractmethod
    def get_state(self) -> dict[str, Any]:
        """Learned state: JSON values and numpy arrays (no object arrays)."""

    @abstractmethod
    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore learned state produced by :meth:`get_state`."""
