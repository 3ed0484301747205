"""Free text, the table model's part: the word count, and a placeholder text (the baseline text model).

In two-stage generation (``fit(..., text="lm")``, the CLI's default; :mod:`simulacra.text`) a language
model conditioned on the row, and on this word count, rewrites every placeholder text. Alone, this is the
placeholder of the foundation issue:

Model columns: ``<name>.length`` (continuous, number of words), so text length follows the rest of the
row, and ``<name>.null`` when the column has missing cells. The inverse writes texts of that many words
(rounded, clipped to the learned minimum and maximum) drawn, weighted by frequency, from a vocabulary made
only of words that occur in at least ``MIN_RECORDS`` distinct training records: no rare word (a name, an
address) and no real sentence is ever replayed. Words are lower-cased and stripped of surrounding
punctuation; the output takes a simple style from the input: sentence case when most texts start with a
capital, and the most common final punctuation mark when most texts end with one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._common import BaseTransformer, null_column, object_na, read_continuous, read_null
from .base import ModelColumn, ModelColumnType
from .numeric import fill_missing

__all__ = ["MIN_RECORDS", "TextTransformer"]

MIN_RECORDS = 5
_MAX_VOCAB = 5000
_FALLBACK = ("lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit")
_PUNCT = "\"'()[]{}.,;:!?*-_/\\«»“”‘’"


class TextTransformer(BaseTransformer):
    """Free-text column <-> continuous ``<name>.length`` (+ ``<name>.null``); see the module docstring."""

    name = "text"

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> TextTransformer:
        self._check_data(data)
        col = data[self.col]
        missing = col.isna().to_numpy(dtype=bool)
        texts = col[~missing].astype(str)
        self.dtype_ = str(col.dtype)
        self.na_ = object_na(col)
        self.has_null_ = bool(missing.any())
        lengths = texts.str.split().str.len().to_numpy(dtype=np.float64) if len(texts) else np.zeros(0)
        self.min_len_ = float(lengths.min()) if len(lengths) else 0.0
        self.max_len_ = float(lengths.max()) if len(lengths) else 0.0
        self.fill_ = float(np.median(lengths)) if len(lengths) else 0.0
        words = texts.reset_index(drop=True).str.lower().str.split().explode().dropna().str.strip(_PUNCT)
        pairs = words[words != ""].rename("word").reset_index()
        counts = pairs["word"].value_counts()
        records = pairs.drop_duplicates()["word"].value_counts()
        common = counts[records.reindex(counts.index).to_numpy() >= MIN_RECORDS].head(_MAX_VOCAB)
        self.vocab_ = [str(w) for w in common.index]
        self.weights_ = common.to_numpy(dtype=np.float64)
        stripped = texts.str.strip()
        stripped = stripped[stripped != ""]
        self.capitalize_ = bool(len(stripped)) and float(stripped.str[0].str.isupper().mean()) > 0.5
        last = stripped.str[-1]
        ends = last[last.isin(list(".!?"))]
        self.final_ = str(ends.value_counts().index[0]) if len(stripped) and len(ends) > len(stripped) / 2 else ""
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        cols = [ModelColumn(f"{self.col}.length", ModelColumnType.CONTINUOUS, source=self.col, role="length")]
        if self.has_null_:
            cols.append(null_column(self.col))
        return cols

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        col = data[self.col]
        missing = col.isna().to_numpy(dtype=bool)
        lengths = np.zeros(len(col))
        if (~missing).any():
            lengths[~missing] = col[~missing].astype(str).str.split().str.len().to_numpy(dtype=np.float64)
        out = {f"{self.col}.length": fill_missing(lengths, missing, rng, self.fill_)}
        if self.has_null_:
            out[f"{self.col}.null"] = missing.astype(np.int64)
        return out

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        raw = read_continuous(model, f"{self.col}.length", n, self.fill_)
        lengths = np.round(np.clip(raw, self.min_len_, self.max_len_)).astype(np.int64)
        missing = read_null(model, self.col, n, self.has_null_)
        vocab = np.array(self.vocab_ or list(_FALLBACK), dtype=object)
        weights = self.weights_ if len(self.vocab_) else np.ones(len(vocab))
        words = rng.choice(vocab, size=int(lengths.sum()), p=weights / weights.sum())
        ends = np.cumsum(lengths)
        texts = np.empty(n, dtype=object)
        start = 0
        for i, end in enumerate(ends.tolist()):
            text = " ".join(words[start:end])
            start = end
            if text:
                if self.capitalize_:
                    text = text[0].upper() + text[1:]
                text += self.final_
            texts[i] = text
        texts[missing] = None if (self.dtype_ == "object" and self.na_ == "none") else np.nan
        series = pd.Series(texts, dtype=object) if self.dtype_ == "object" else pd.Series(texts).astype(self.dtype_)
        return pd.DataFrame({self.col: series})

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "dtype": self.dtype_,
            "na": self.na_,
            "has_null": self.has_null_,
            "min_len": self.min_len_,
            "max_len": self.max_len_,
            "fill": self.fill_,
            "vocab": list(self.vocab_),
            "weights": self.weights_,
            "capitalize": self.capitalize_,
            "final": self.final_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.dtype_ = str(state["dtype"])
        self.na_ = str(state.get("na", "nan"))
        self.has_null_ = bool(state["has_null"])
        self.min_len_ = float(state["min_len"])
        self.max_len_ = float(state["max_len"])
        self.fill_ = float(state["fill"])
        self.vocab_ = [str(w) for w in state["vocab"]]
        self.weights_ = np.asarray(state["weights"], dtype=np.float64)
        self.capitalize_ = bool(state["capitalize"])
        self.final_ = str(state["final"])
        self.fitted_ = True
