"""Memorisation guard: no generated text may repeat a long word span that only one training record has.

A span of ``span`` (default 8) consecutive words (lower-cased, punctuation dropped) that occurs in at most
``max_records`` training records is personal to those records: a generated text that contains one is
rejected, and the caller samples it again. The guard keeps salted 8-byte digests of those spans, never the
words, so saving it with the model stores no training text.

>>> g = SpanGuard.build(["the quick brown fox jumps over the lazy dog today"], span=8, rng=np.random.default_rng(0))
>>> g.replays(["so the quick brown fox jumps over the lazy dog", "a new text"]).tolist()
[True, False]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ..transformers._common import HashSet

__all__ = ["SpanGuard", "ngrams", "words"]

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, underscore), the unit of the guard and the replay metric."""
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> set[str]:
    """The distinct ``n``-word spans of ``text``, each joined by single spaces."""
    w = words(text)
    return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}


class SpanGuard:
    """Digests of the long spans that at most ``max_records`` training records contain."""

    def __init__(self, hashes: HashSet, span: int, max_records: int) -> None:
        self.hashes = hashes
        self.span = span
        self.max_records = max_records

    @classmethod
    def build(cls, texts: Iterable[str], *, span: int = 8, max_records: int = 1, rng: np.random.Generator) -> SpanGuard:
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(ngrams(t, span))
        rare = [g for g, c in counts.items() if c <= max_records]
        return cls(HashSet.build(rare, rng), span, max_records)

    def replays(self, texts: Sequence[str]) -> np.ndarray:
        """One flag per text: does it contain a guarded span?"""
        out = np.zeros(len(texts), dtype=bool)
        if len(self.hashes) == 0:
            return out
        for i, t in enumerate(texts):
            grams = sorted(ngrams(t, self.span))
            if grams and bool(self.hashes.contains(grams).any()):
                out[i] = True
        return out

    def trim(self, text: str) -> str:
        """``text`` cut before the first word that completes a guarded span (the last resort)."""
        w = list(_WORD.finditer(text))
        for end in range(self.span, len(w) + 1):
            gram = " ".join(m.group().lower() for m in w[end - self.span : end])
            if self.hashes.contains([gram])[0]:
                return text[: w[end - 1].start()].rstrip()
        return text

    def to_state(self) -> dict[str, Any]:
        return {"span": self.span, "max_records": self.max_records, "hashes": self.hashes.to_state()}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> SpanGuard:
        return cls(HashSet.from_state(state["hashes"]), int(state["span"]), int(state["max_records"]))
