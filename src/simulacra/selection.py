"""Automatic choice of the generator by measured scores, within a time budget (``simulacra run --auto``).

>>> from simulacra.selection import select
>>> sel = select(train, validation, schema, target="income", time_budget=900, workdir=Path("out/candidates"))
>>> sel.chosen, sel.leaderboard()

The **objective** is declared here, once (:data:`OBJECTIVES`; ``--objective`` on the command line):

- **score** (``balanced``, the default) = mean of the fidelity headline (column shapes and pair trends, see
  :mod:`simulacra.evaluation._headline`) and the utility headline (TSTR ROC AUC, or R² for a numeric
  target, on the validation split). Without a target the score is the fidelity headline alone.
  ``fidelity`` and ``utility`` rank by one headline alone.
- **privacy limits** (constraints, not traded against the score): the share of synthetic rows that copy a
  training row (``privacy.exact_copies``) may exceed the holdout's own share by at most
  :data:`EXACT_COPIES_MARGIN`; the DCR share may exceed its ideal (what a fresh real sample scores) by at
  most :data:`DCR_MARGIN`. A candidate that breaks a limit is ranked below every candidate that keeps them.

**Procedure**: candidates (from :func:`simulacra.recommend.candidates`) are calibrated by
:func:`simulacra.estimate.estimate`; each is then fitted on the training split in a fresh process, samples
as many rows as the training split, and is judged by the evaluation suite against the validation split.
The statistical candidates go first (seconds), then the deep ones in the order given (preference). Before each fit the
remaining budget is split: a reserve for the final sample, evaluation and report (measured on the first
candidate), the predicted evaluation time, and for deep models ``max_minutes`` = their share of what is
left. A candidate whose predicted fit does not fit is skipped with that reason; a fit that overruns its
share by more than :data:`OVERRUN_GRACE_S` seconds is stopped.
"""

from __future__ import annotations

import logging
import math
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ParameterError, SimulacraError
from .progress import NO_PROGRESS, ProgressCallback
from .schema import TableSchema

__all__ = [
    "DCR_MARGIN",
    "EXACT_COPIES_MARGIN",
    "OBJECTIVE",
    "OBJECTIVES",
    "CandidateResult",
    "Selection",
    "combined_score",
    "parse_duration",
    "privacy_violations",
    "select",
    "split_three",
]

logger = logging.getLogger(__name__)

DCR_MARGIN = 0.03
"""The DCR share may exceed its ideal by this much."""
EXACT_COPIES_MARGIN = 0.001
"""The exact-copy share may exceed the holdout's own share by this much (0.1% of the rows)."""
OVERRUN_GRACE_S = 60.0
"""A fit is stopped when it runs this long past its predicted time (deep: past its ``max_minutes``)."""
MIN_DEEP_SECONDS = 60.0
"""A deep candidate is tried only when at least this much fit time is left for it."""
RESERVE_FACTOR = 1.5
"""The final evaluation and report are reserved this multiple of the first candidate's evaluation time."""

_LIMITS = (
    f"privacy limits: exact-copy share <= the holdout's + {EXACT_COPIES_MARGIN}, DCR share <= its ideal + {DCR_MARGIN}"
)
OBJECTIVES: dict[str, tuple[float, float, str]] = {
    "balanced": (
        0.5,
        0.5,
        "score = mean of the fidelity headline (column shapes, pair trends) and the utility headline (TSTR on the "
        f"validation split; fidelity alone without a target); {_LIMITS}",
    ),
    "fidelity": (1.0, 0.0, f"score = the fidelity headline (column shapes, pair trends); {_LIMITS}"),
    "utility": (0.0, 1.0, f"score = the utility headline (TSTR on the validation split); {_LIMITS}"),
}
"""Objective name -> (weight of fidelity, weight of utility, description)."""
OBJECTIVE = OBJECTIVES["balanced"][2]


def parse_duration(text: str) -> float:
    """Seconds in ``"15m"``, ``"90s"``, ``"1h"``, ``"1h30m"`` or a plain number of seconds."""
    import re

    raw = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        value = float(raw)
    else:
        parts = re.findall(r"(\d+(?:\.\d+)?)\s*(h|m|min|s)", raw)
        if not parts or "".join(f"{a}{b}" for a, b in parts) != raw.replace(" ", ""):
            raise ParameterError(f"--time-budget {text!r} is not a duration; write e.g. 15m, 90s, 1h or 1h30m")
        value = sum(float(a) * {"h": 3600, "m": 60, "min": 60, "s": 1}[b] for a, b in parts)
    if value <= 0:
        raise ParameterError(f"--time-budget {text!r} must be positive, e.g. 15m")
    return value


def split_three(
    frame: pd.DataFrame, test_fraction: float, validation_fraction: float, target: str | None, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Training, validation and test parts (shares of the whole table), seeded and stratified like ``run``."""
    if not 0 < validation_fraction < 1 or not 0 < test_fraction < 1 or test_fraction + validation_fraction >= 0.9:
        raise ParameterError(
            f"validation {validation_fraction} and test {test_fraction} shares must be in (0, 1) and leave at "
            "least 10% of the rows for training"
        )
    rest, test = _holdout(frame, math.ceil(test_fraction * len(frame)), target, seed)
    train, validation = _holdout(rest, math.ceil(validation_fraction * len(frame)), target, seed + 1)
    return train, validation, test


def _holdout(frame: pd.DataFrame, n_out: int, target: str | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if n_out < 1 or len(frame) - n_out < 2:
        raise ParameterError(
            f"the input has too few rows ({len(frame)}) to set aside {n_out} for validation and test and fit on "
            "the rest; give more rows"
        )
    return split_off(frame, n_out, target, seed)


def split_off(frame: pd.DataFrame, n_out: int, target: str | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` less ``n_out`` rows, and those rows; seeded, stratified on ``target`` where every class has 2+ rows.

    The one split of ``run`` (training / holdout) and ``run --auto`` (training / validation / test); the
    callers check that enough rows are left and say so in their own words.
    """
    from sklearn.model_selection import train_test_split

    stratify = None
    if target is not None:
        labels = frame[target].astype("object").where(frame[target].notna(), "<missing>").astype(str)
        counts = labels.value_counts()
        if counts.min() >= 2 and len(counts) <= min(n_out, len(frame) - n_out):
            stratify = labels.to_numpy()
    keep, out = train_test_split(list(range(len(frame))), test_size=n_out, random_state=seed % 2**32, stratify=stratify)
    return frame.iloc[sorted(keep)].reset_index(drop=True), frame.iloc[sorted(out)].reset_index(drop=True)


def combined_score(evaluation: Any, objective: str = "balanced") -> tuple[float, dict[str, float | None]]:
    """The objective's score of an :class:`~simulacra.evaluation.suite.Evaluation` and its parts."""
    if objective not in OBJECTIVES:
        raise ParameterError(f"--objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    w_fid, w_util, _ = OBJECTIVES[objective]
    heads = evaluation.headline()
    fid, util = heads["fidelity"].score, heads["utility"].score
    parts = {"fidelity": fid, "utility": util}
    if evaluation.target is None:
        if objective == "utility":
            raise ParameterError("--objective utility needs a --target to measure utility on")
        w_fid, w_util = 1.0, 0.0
    pairs = [(w, x) for w, x in ((w_fid, fid), (w_util, util)) if w > 0]
    if any(x is None or not math.isfinite(x) for _, x in pairs):
        return float("nan"), parts
    return sum(w * float(x) for w, x in pairs) / sum(w for w, _ in pairs), parts  # type: ignore[arg-type]


def privacy_violations(evaluation: Any) -> list[str]:
    """The privacy limits of the objective that ``evaluation`` breaks, each as a sentence."""
    out = []
    copies = evaluation.results.get("privacy.exact_copies")
    if copies is not None and math.isfinite(copies.score):
        limit = (copies.reference or 0.0) + EXACT_COPIES_MARGIN
        if copies.score > limit:
            out.append(f"exact-copy share {copies.score:.4f} > limit {limit:.4f}")
    dcr = evaluation.results.get("privacy.dcr_share")
    if dcr is not None and math.isfinite(dcr.score) and dcr.reference is not None and math.isfinite(dcr.reference):
        limit = dcr.reference + DCR_MARGIN
        if dcr.score > limit:
            out.append(f"DCR share {dcr.score:.3f} > limit {limit:.3f} (ideal + {DCR_MARGIN})")
    return out


@dataclass
class CandidateResult:
    """One candidate's line of the leaderboard."""

    generator: str
    params: dict[str, Any]
    status: str = "pending"
    """``evaluated``, ``skipped`` or ``failed``."""
    reason: str = ""
    predicted_fit_seconds: float | None = None
    predicted_peak_rss_mb: float | None = None
    fit_seconds: float | None = None
    peak_rss_mb: float | None = None
    sample_seconds: float | None = None
    evaluate_seconds: float | None = None
    score: float | None = None
    parts: dict[str, float | None] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    training: dict[str, Any] | None = None
    chosen: bool = False
    model_dir: str | None = None
    synthetic_path: str | None = None

    def rank_key(self) -> tuple[int, float]:
        ok = self.status == "evaluated" and self.score is not None and math.isfinite(self.score)
        return (0 if ok and not self.violations else 1 if ok else 2, -(self.score if ok and self.score else 0.0))

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None, nd: int = 4) -> float | None:
            return None if x is None or not math.isfinite(x) else round(float(x), nd)

        return {
            "generator": self.generator,
            "params": {k: v for k, v in self.params.items() if isinstance(v, (str, int, float, bool, type(None)))},
            "status": self.status,
            "reason": self.reason,
            "chosen": self.chosen,
            "score": r(self.score),
            "fidelity": r(self.parts.get("fidelity")),
            "utility": r(self.parts.get("utility")),
            "privacy_violations": list(self.violations),
            "predicted_fit_seconds": r(self.predicted_fit_seconds, 2),
            "fit_seconds": r(self.fit_seconds, 2),
            "predicted_peak_rss_mb": r(self.predicted_peak_rss_mb, 1),
            "peak_rss_mb": r(self.peak_rss_mb, 1),
            "sample_seconds": r(self.sample_seconds, 2),
            "evaluate_seconds": r(self.evaluate_seconds, 2),
            "training": self.training,
        }


@dataclass
class Selection:
    """The outcome of :func:`select`: the leaderboard, the choice and why."""

    candidates: list[CandidateResult]
    chosen: str | None
    reason: str
    time_budget: float
    objective: str = OBJECTIVE
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, Any] = field(default_factory=dict)

    def leaderboard(self) -> list[CandidateResult]:
        """Candidates best first (limits kept, then score)."""
        return sorted(self.candidates, key=lambda c: c.rank_key())

    def winner(self) -> CandidateResult | None:
        return next((c for c in self.candidates if c.chosen), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "time_budget_seconds": round(self.time_budget, 1),
            "chosen": self.chosen,
            "reason": self.reason,
            "rows": dict(self.rows),
            "leaderboard": [c.to_dict() for c in self.leaderboard()],
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
            "estimates": self.estimates,
        }


def select(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    schema: TableSchema,
    *,
    target: str | None = None,
    time_budget: float,
    workdir: Path,
    candidates: Mapping[str, Mapping[str, Any]] | None = None,
    random_state: int = 0,
    started: float | None = None,
    reserve: Callable[[float], float] | None = None,
    on_estimates: Callable[[dict[str, Any]], None] | None = None,
    objective: str = "balanced",
    progress: ProgressCallback | None = None,
) -> Selection:
    """Fit and judge the candidates within ``time_budget`` seconds counted from ``started``
    (a ``time.perf_counter()`` value; default: now); keep the best by ``objective`` (:data:`OBJECTIVES`).

    ``reserve(first_eval_seconds)`` returns the seconds to keep for what follows the selection (default:
    :data:`RESERVE_FACTOR` times the first candidate's evaluation). ``on_estimates`` receives the
    :class:`~simulacra.estimate.Estimate` of every candidate before the first fit starts. Each candidate's
    model and synthetic table are kept under ``workdir/<name>/``.
    """
    from .estimate import estimate, is_deep, predict, run_worker
    from .evaluation.suite import evaluate
    from .recommend import candidates as default_candidates

    if objective not in OBJECTIVES:
        raise ParameterError(f"--objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if objective == "utility" and target is None:
        raise ParameterError("--objective utility needs a --target to measure utility on")
    started = time.perf_counter() if started is None else started
    progress = progress or NO_PROGRESS
    if candidates is None:
        candidates = default_candidates(schema, n_rows=len(train))
    if not candidates:
        raise ParameterError("no candidate generator is available for --auto; see `simulacra generators`")
    workdir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def left() -> float:
        return time_budget - (time.perf_counter() - started)

    t0 = time.perf_counter()
    estimates = estimate(train, schema, candidates, random_state=random_state, progress=progress)
    timings["estimate"] = time.perf_counter() - t0
    if on_estimates is not None:
        on_estimates(dict(estimates))
    results = [
        CandidateResult(
            name,
            dict(params),
            predicted_fit_seconds=estimates[name].fit_seconds,
            predicted_peak_rss_mb=estimates[name].peak_rss_mb,
        )
        for name, params in candidates.items()
    ]
    # statistical first, cheapest first; deep ones in the order given (the order of preference)
    order = sorted(
        results, key=lambda c: (is_deep(c.generator), 0.0 if is_deep(c.generator) else c.predicted_fit_seconds or 0.0)
    )
    data_path = workdir / "train.parquet"
    train.to_parquet(data_path, index=False)
    schema.save(workdir / "schema.json")
    eval_s: float | None = None
    keep: float | None = None
    for i, cand in enumerate(order):
        est = estimates[cand.generator]
        if est.error:
            cand.status, cand.reason = "failed", f"calibration failed: {est.error}"
            continue
        deep = is_deep(cand.generator)
        eval_guess = (eval_s or 0.0) * 1.2
        keep_now = keep if keep is not None else 0.0
        available = left() - keep_now - eval_guess - (est.calibration[-1]["probe_sample_seconds"] if deep else 0.0)
        params = dict(cand.params, random_state=random_state)
        limit: float
        if deep:
            deep_after = sum(1 for c in order[i + 1 :] if is_deep(c.generator))
            share = available / (1 + deep_after) - 20.0  # start-up of the worker, sampling
            if share < MIN_DEEP_SECONDS <= available - 20.0:  # too little for all: this one (preferred) gets it
                share = available - 20.0
            if share < MIN_DEEP_SECONDS:
                cand.status, cand.reason = "skipped", f"does not fit the budget ({max(share, 0):.0f} s left for it)"
                continue
            cap = float(params.get("max_minutes") or math.inf) * 60.0
            params["max_minutes"] = round(min(share, cap) / 60.0, 2)
            planned = predict(est, params)
            cand.predicted_fit_seconds = planned.fit_seconds
            limit = params["max_minutes"] * 60.0 + OVERRUN_GRACE_S + 60.0
            logger.info("%s: max_minutes %.2f (%s)", cand.generator, params["max_minutes"], planned.basis)
        else:
            if est.fit_seconds > available:
                cand.status = "skipped"
                cand.reason = f"predicted fit {est.fit_seconds:.0f} s > {max(available, 0):.0f} s left"
                continue
            limit = max(est.fit_seconds * 3.0, est.fit_seconds + OVERRUN_GRACE_S) + 30.0
        cand.params = params
        folder = workdir / cand.generator
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        job = {
            "data": str(data_path),
            "schema": str(workdir / "schema.json"),
            "generator": cand.generator,
            "params": params,
            "sample_rows": len(train),
            "synthetic": str(folder / "synthetic.parquet"),
            "model": str(folder / "model"),
            "seed": random_state,
            "probe": False,
        }
        budget_text = f"max {params['max_minutes']:.1f} min" if deep else "seconds"
        progress.message(f"fitting {cand.generator} ({budget_text})")
        try:
            res = run_worker(job, workdir, min(limit, max(left(), 30.0) + OVERRUN_GRACE_S))
        except SimulacraError as exc:
            cand.status, cand.reason = "failed", str(exc)
            shutil.rmtree(folder, ignore_errors=True)
            continue
        cand.fit_seconds = res["fit_seconds"]
        cand.peak_rss_mb = res["peak_rss_mb"]
        cand.sample_seconds = res.get("sample_seconds")
        cand.training = res.get("training")
        cand.model_dir, cand.synthetic_path = str(folder / "model"), str(folder / "synthetic.parquet")
        t1 = time.perf_counter()
        synthetic = pd.read_parquet(cand.synthetic_path)
        ev = evaluate(train, synthetic, schema, holdout=validation, target=target, random_state=random_state)
        cand.evaluate_seconds = time.perf_counter() - t1
        if eval_s is None:
            eval_s = cand.evaluate_seconds
            keep = reserve(eval_s) if reserve is not None else RESERVE_FACTOR * eval_s
        cand.score, cand.parts = combined_score(ev, objective)
        cand.violations = privacy_violations(ev)
        cand.status = "evaluated"
        cand.reason = "violates a privacy limit: " + "; ".join(cand.violations) if cand.violations else ""
    board = sorted(results, key=lambda c: c.rank_key())
    best = board[0] if board and board[0].status == "evaluated" else None
    if best is None:
        reason = "no candidate could be fitted and evaluated: " + "; ".join(
            f"{c.generator}: {c.reason}" for c in results
        )
        return Selection(
            results, None, reason, time_budget, OBJECTIVES[objective][2], timings=timings, estimates=_est(estimates)
        )
    best.chosen = True
    others = [c for c in board if c is not best and c.status == "evaluated"]
    if best.violations:
        reason = (
            f"{best.generator} has the best score ({best.score:.4f}) but every candidate breaks a privacy limit "
            f"({'; '.join(best.violations)}); do not release without review"
        )
    elif others:
        nxt = others[0]
        reason = (
            f"{best.generator} has the best score on the validation split ({best.score:.4f} vs {nxt.score or 0:.4f} "
            f"for {nxt.generator}) and keeps the privacy limits"
        )
    else:
        reason = f"{best.generator} is the only candidate evaluated within the budget ({best.score:.4f})"
    sel = Selection(
        results,
        best.generator,
        reason,
        time_budget,
        OBJECTIVES[objective][2],
        timings=timings,
        estimates=_est(estimates),
    )
    sel.rows = {"train": len(train), "validation": len(validation)}
    return sel


def _est(estimates: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.to_dict() for k, v in estimates.items()}
