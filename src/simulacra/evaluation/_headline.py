"""The three headline figures of an evaluation (fidelity, utility, privacy) and their verdicts.

- **fidelity**: the mean of ``fidelity.column_shapes`` and ``fidelity.column_pairs_strong`` (SDMetrics'
  Quality Score); when no pair is strongly related in the real data, ``fidelity.column_pairs`` (all pairs)
  stands in for the strong pairs. Reference: the same mean of the holdout's scores.
- **utility**: ``utility.tstr`` (ROC AUC, or R² for a numeric target, of a boosted model trained on the
  synthetic rows), reference: TRTR (the model trained on the real rows).
- **privacy**: ``privacy.dcr_share`` beside its ideal (what a fresh real sample scores), and every privacy
  figure checked against its reference: a figure counts as a concern when its 95% interval lies wholly on
  the bad side of the reference by more than :data:`PRIVACY_TOLERANCE` (``geo.proximity``, the share of
  synthetic points within 50 m of a training point, included).

Verdicts: "close to real data" when the score is within one point (0.01) of its reference, else
"N points below real data" (points = 100 × the difference); for privacy "no sign of memorisation" or the
list of concerns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .base import Goal, MetricResult

__all__ = ["CLOSE_POINTS", "PRIVACY_TOLERANCE", "Headline", "headlines"]

CLOSE_POINTS = 1.0
"""A score within this many points (hundredths) of its reference is "close to real data"."""
PRIVACY_TOLERANCE = 0.01
"""A privacy figure is a concern when its interval lies more than this beyond its reference."""


@dataclass(frozen=True)
class Headline:
    """One headline figure: score, reference, a plain-language verdict and how it was computed."""

    family: str
    score: float | None
    reference: float | None
    verdict: str
    basis: str
    ci: tuple[float, float] | None = None
    evaluated: bool = True
    concerns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": _num(self.score),
            "reference": _num(self.reference),
            "ci": None if self.ci is None else [_num(self.ci[0]), _num(self.ci[1])],
            "verdict": self.verdict,
            "basis": self.basis,
            "evaluated": self.evaluated,
            "concerns": list(self.concerns),
        }


def _num(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), 6)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _gap_verdict(score: float, reference: float | None) -> str:
    if not _finite(reference):
        return "no reference to compare with (give a holdout)"
    assert reference is not None
    points = 100.0 * (reference - score)
    if points < CLOSE_POINTS:
        return "close to real data"
    return f"{points:.0f} points below real data"


def _missing(family: str, reason: str, basis: str) -> Headline:
    return Headline(family, None, None, f"not evaluated: {reason}", basis, evaluated=False)


def fidelity_headline(results: dict[str, MetricResult], reasons: dict[str, str]) -> Headline:
    shapes = results.get("fidelity.column_shapes")
    pairs = results.get("fidelity.column_pairs_strong")
    pairs_name = "column pair trends (strong pairs)"
    if pairs is None or not _finite(pairs.score):
        alt = results.get("fidelity.column_pairs")
        if alt is not None and _finite(alt.score):
            pairs, pairs_name = alt, "column pair trends (all pairs; no strongly related pair in the real data)"
    parts = [(n, r) for n, r in (("column shapes", shapes), (pairs_name, pairs)) if r is not None and _finite(r.score)]
    basis = "mean of " + " and ".join(n for n, _ in parts) if parts else "mean of column shapes and pair trends"
    if not parts:
        why = reasons.get("fidelity.column_shapes", "no fidelity metric ran")
        return _missing("fidelity", why, basis)
    score = sum(r.score for _, r in parts) / len(parts)
    refs = [r.reference for _, r in parts if r.reference is not None and math.isfinite(r.reference)]
    reference = sum(refs) / len(refs) if len(refs) == len(parts) else None
    return Headline("fidelity", score, reference, _gap_verdict(score, reference), basis)


def utility_headline(results: dict[str, MetricResult], reasons: dict[str, str]) -> Headline:
    tstr = results.get("utility.tstr")
    basis = "ROC AUC on the real holdout, model trained on synthetic (TSTR) vs on real (TRTR)"
    if tstr is None or not _finite(tstr.score):
        why = reasons.get("utility.tstr") or (
            next(iter(tstr.not_evaluated.values()), "the score is undefined") if tstr else "not run"
        )
        return _missing("utility", why, basis)
    if tstr.details.get("task") == "regression":
        basis = "R² on the real holdout, model trained on synthetic (TSTR) vs on real (TRTR)"
    return Headline("utility", tstr.score, tstr.reference, _gap_verdict(tstr.score, tstr.reference), basis, tstr.ci)


def is_concern(result: MetricResult) -> bool:
    """The figure's 95% interval (or the score) lies beyond its reference, on the bad side, by > tolerance."""
    if not _finite(result.score) or not _finite(result.reference):
        return False
    assert result.reference is not None
    low, high = result.ci if result.ci is not None else (result.score, result.score)
    if result.goal is Goal.MINIMIZE:
        return low > result.reference + PRIVACY_TOLERANCE
    return high < result.reference - PRIVACY_TOLERANCE


def privacy_headline(results: dict[str, MetricResult], reasons: dict[str, str]) -> Headline:
    dcr = results.get("privacy.dcr_share")
    basis = (
        "share of synthetic rows closer to a training row than to a holdout row (DCR share) vs the share a "
        "fresh real sample shows; every privacy figure checked against its reference"
    )
    privacy = {k: r for k, r in results.items() if k.startswith("privacy.") or k == "geo.proximity"}
    if not privacy:
        why = reasons.get("privacy.dcr_share", "no privacy metric ran")
        return _missing("privacy", why, basis)
    concerns = [r.name for r in privacy.values() if is_concern(r)]
    verdict = "no sign of memorisation" if not concerns else "possible memorisation: " + ", ".join(concerns)
    if dcr is None or not _finite(dcr.score):
        return Headline("privacy", None, None, verdict, basis, concerns=concerns)
    return Headline("privacy", dcr.score, dcr.reference, verdict, basis, dcr.ci, concerns=concerns)


def headlines(results: dict[str, MetricResult], reasons: dict[str, str]) -> dict[str, Headline]:
    """The three headline figures from the metric results (and the reasons of the metrics that did not run)."""
    return {
        "fidelity": fidelity_headline(results, reasons),
        "utility": utility_headline(results, reasons),
        "privacy": privacy_headline(results, reasons),
    }
