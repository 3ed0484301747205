"""Replay of long word spans: how many synthetic texts repeat 8 consecutive words of a training text, next
to the holdout's own rate (fresh real texts repeat common phrases too); and whether any e-mail address or
phone number of the training texts appears in the synthetic ones."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ...progress import ProgressCallback
from ...schema import TableSchema
from ...text.guard import ngrams
from ...text.pii import find_pii
from ..base import Goal, Metric, MetricResult
from ._common import no_text, text_columns, texts_of

__all__ = ["SPAN", "ReplayRate", "contact_values", "replay_share"]

SPAN = 8


def replay_share(texts: list[str], spans: set[str], span: int = SPAN) -> float:
    """Share of ``texts`` containing one of ``spans`` (``span``-word spans)."""
    if not texts:
        return float("nan")
    return float(np.mean([bool(ngrams(t, span) & spans) for t in texts]))


def contact_values(texts: list[str]) -> set[str]:
    """The e-mail addresses (lower-cased) and phone numbers (digits only) found in ``texts``."""
    out: set[str] = set()
    for t in texts:
        for start, end, kind in find_pii(t, rare_handles=set(), rare_names=set()):
            if kind == "email":
                out.add(t[start:end].lower())
            elif kind == "phone":
                out.add("tel:" + re.sub(r"\D", "", t[start:end]))
    return out


N_EXAMPLES = 5


def _examples(texts: list[str], spans: set[str], random_state: int) -> list[str]:
    """A few synthetic texts for the report: ones that repeat no training span (never a real text)."""
    rng = np.random.default_rng(random_state)
    out: list[str] = []
    for i in rng.permutation(len(texts)).tolist():
        t = texts[i].strip()
        if t and not (ngrams(t, SPAN) & spans) and len(t) <= 400:
            out.append(t)
        if len(out) == N_EXAMPLES:
            break
    return out


class ReplayRate(Metric):
    """Share of synthetic texts that contain an 8-word span (lower-cased words) of some training text. The
        reference is the holdout texts' share against the same training texts. Details add
        ``contact_leaks``: e-mail addresses and phone numbers of the training texts found in synthetic texts
        (a count; the values are never shown) and ``examples``: five synthetic texts that repeat no training span,
    for the report."""

    key = "text.replay_rate"
    name = "Text replay rate"
    goal = Goal.MINIMIZE
    min_value = 0.0
    max_value = 1.0
    description = "share of synthetic texts repeating an 8-word span of a training text, vs the holdout's share"

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
            r, s = texts_of(real, col.name), texts_of(synthetic, col.name)
            if not r or not s:
                continue
            spans: set[str] = set()
            for t in r:
                spans |= ngrams(t, SPAN)
            rate = replay_share(s, spans)
            contacts = contact_values(r)
            leaks = len(contacts & contact_values(s)) if contacts else 0
            entry: dict[str, object] = {"score": round(rate, 6), "contact_leaks": leaks, "span_words": SPAN}
            entry["examples"] = _examples(s, spans, random_state)
            if holdout is not None:
                h = texts_of(holdout, col.name)
                if h:
                    ref = replay_share(h, spans)
                    refs.append(ref)
                    entry["reference"] = round(ref, 6)
            scores.append(rate)
            details[col.name] = entry
        if not scores:
            return no_text(self)
        reference = float(np.mean(refs)) if len(refs) == len(scores) else None
        return self.result(float(np.mean(scores)), reference=reference, details={"columns": details})
