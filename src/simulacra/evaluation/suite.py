"""Run every metric on a real / synthetic (/ holdout) triple and collect the results.

>>> import simulacra
>>> ev = simulacra.evaluate(train, synthetic, holdout=holdout, target="income")
>>> ev.headline()["utility"].verdict          # e.g. "4 points below real data"
>>> ev.results["fidelity.column_shapes"].score
>>> ev.to_html("report.html"); ev.to_json()

Metrics are registered by key (their place in ``report.json``) as ``"module:Class"`` and imported only
when run, so that a metric whose module is missing shows as "not available" instead of breaking the rest.
Metrics that need a holdout (privacy, utility) or a target (utility) are listed as not evaluated, with
the reason, when those are not given. The ``geo`` metrics judge the geographic columns and the ``text``
metrics the free-text columns (each lists itself as not evaluated when the table has none).
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..errors import InputError, ParameterError, SchemaError, SimulacraError, collect
from ..progress import NO_PROGRESS, ProgressCallback
from ..schema import TableSchema
from ._headline import Headline, headlines
from .base import Metric, MetricResult

__all__ = ["FAMILIES", "METRICS", "REPORT_FORMAT", "REPORT_VERSION", "Evaluation", "evaluate", "list_metrics"]

logger = logging.getLogger(__name__)

REPORT_FORMAT = "simulacra.report"
REPORT_VERSION = 1
FAMILIES = ("fidelity", "utility", "privacy", "text", "geo")
_F = "simulacra.evaluation.fidelity"
_P = "simulacra.evaluation.privacy"
_U = "simulacra.evaluation.utility"
_G = "simulacra.evaluation.geo"
_T = "simulacra.evaluation.text"
METRICS: dict[str, str] = {
    "fidelity.column_shapes": f"{_F}.shapes:ColumnShapes",
    "fidelity.missing_values": f"{_F}.shapes:MissingValues",
    "fidelity.column_pairs": f"{_F}.pairs:ColumnPairs",
    "fidelity.column_pairs_strong": f"{_F}.pairs:ColumnPairsStrong",
    "fidelity.k_marginal": f"{_F}.kmarginal:KMarginal",
    "fidelity.detection": f"{_F}.detection:Detection",
    "fidelity.alpha_precision": f"{_F}.precision_recall:AlphaPrecision",
    "fidelity.beta_recall": f"{_F}.precision_recall:BetaRecall",
    "utility.tstr": f"{_U}.tstr:TSTR",
    "utility.feature_importance": f"{_U}.feature_importance:FeatureImportance",
    "privacy.exact_copies": f"{_P}.exact:ExactCopies",
    "privacy.dcr_share": f"{_P}.dcr:DCRShare",
    "privacy.nndr": f"{_P}.dcr:NNDR",
    "privacy.membership_inference": f"{_P}.membership:MembershipInference",
    "privacy.singling_out": f"{_P}.singling_out:SinglingOut",
    "privacy.linkability": f"{_P}.linkability:Linkability",
    "privacy.attribute_inference": f"{_P}.inference:AttributeInference",
    "text.length": f"{_T}.length:TextLength",
    "text.ngrams": f"{_T}.ngrams:NgramSimilarity",
    "text.embedding_detection": f"{_T}.embedding:EmbeddingDetection",
    "text.embedding_mmd": f"{_T}.embedding:EmbeddingMMD",
    "text.consistency": f"{_T}.consistency:TextConsistency",
    "text.replay_rate": f"{_T}.replay:ReplayRate",
    "geo.spatial_density": f"{_G}.density:SpatialDensity",
    "geo.nearest_distance": f"{_G}.distance:NearestDistance",
    "geo.morans_i": f"{_G}.autocorr:MoransI",
    "geo.proximity": f"{_G}.distance:Proximity",
}
"""Every metric: key -> ``"module:Class"``. The key is the metric's place in ``report.json``."""

NEEDS_HOLDOUT = ("privacy.", "utility.")
NEEDS_TARGET = ("utility.",)
RESERVED: dict[str, str] = {}
"""Families whose metrics do not exist yet, with the reason (none left)."""


def list_metrics() -> list[str]:
    """The registered metric keys, in report order."""
    return list(METRICS)


@dataclass(frozen=True)
class Skipped:
    """A metric that gave no result: ``status`` is ``not_evaluated`` (missing input), ``not_available``
    (its module cannot be imported) or ``failed`` (it raised; a bug to report)."""

    status: str
    reason: str


@dataclass
class Evaluation:
    """The outcome of :func:`evaluate`: every metric's result, the skipped ones with reasons, timings."""

    results: dict[str, MetricResult]
    skipped: dict[str, Skipped]
    schema: TableSchema
    target: str | None = None
    n_rows: dict[str, int | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    generator: dict[str, Any] | None = None
    """Who made the synthetic table (name, parameters) where known; shown in the report."""
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def headline(self) -> dict[str, Headline]:
        """The fidelity, utility and privacy figures, each with its reference and a verdict."""
        return headlines(self.results, {k: s.reason for k, s in self.skipped.items()})

    def not_evaluated_columns(self) -> dict[str, dict[str, str]]:
        """Per column: the metrics that did not judge it, with the reason (``"not evaluated by X"``)."""
        out: dict[str, dict[str, str]] = {c.name: {} for c in self.schema}
        for key, result in self.results.items():
            for name, why in result.not_evaluated.items():
                if name in out:
                    out[name][key] = why
        return out

    def to_dict(self) -> dict[str, Any]:
        """``report.json``: a format header, the headline, every metric under ``family -> name``."""
        out: dict[str, Any] = {
            "format": REPORT_FORMAT,
            "schema_version": REPORT_VERSION,
            "simulacra_version": __version__,
            "created": self.created,
            "generator": self.generator,
            "data": {
                "n_rows": dict(self.n_rows),
                "target": self.target,
                "columns": [{"name": c.name, "kind": c.kind.value} for c in self.schema],
            },
            "headline": {k: h.to_dict() for k, h in self.headline().items()},
        }
        for family in FAMILIES:
            out[family] = {}
        for key in [k for k in METRICS if k in self.results or k in self.skipped] + [
            k for k in (*self.results, *self.skipped) if k not in METRICS
        ]:
            family, _, name = key.partition(".")
            if key in self.results:
                entry = {"status": "ok", "reason": None, **self.results[key].to_dict()}
            else:
                skip = self.skipped[key]
                entry = {
                    "status": skip.status,
                    "reason": skip.reason,
                    "name": name.replace("_", " ").capitalize(),
                    "score": None,
                    "reference": None,
                    "ci": None,
                    "description": "",
                }
            entry["seconds"] = _round(self.timings.get(key))
            out.setdefault(family, {})[name] = entry
        out["not_evaluated_columns"] = self.not_evaluated_columns()
        out["reserved"] = dict(RESERVED)
        out["timings"] = {k: _round(v) for k, v in self.timings.items()}
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON (NaN and infinities written as ``null``)."""
        return json.dumps(_json_ready(self.to_dict()), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_html(self, path: str | Path | None = None) -> str:
        """The self-contained HTML report; written atomically to ``path`` when given."""
        from ..report.html import render_html

        html = render_html(self, self.schema)
        if path is not None:
            from ..io import atomic_write_text

            atomic_write_text(Path(path), html)
        return html

    def _repr_html_(self) -> str:
        from ..report.html import render_summary

        return render_summary(self)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _json_ready(value.item())
    return value


# -- evaluate -----------------------------------------------------------------------------------
def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema | None = None,
    *,
    holdout: pd.DataFrame | None = None,
    target: str | None = None,
    metrics: Sequence[str] | None = None,
    random_state: int = 0,
    progress: ProgressCallback | None = None,
) -> Evaluation:
    """Judge ``synthetic`` against ``real`` (the training table) and, where given, the ``holdout``.

    Parameters
    ----------
    real : the table the generator was fitted on.
    synthetic : the generated table, with the same columns.
    schema : the real table's schema; profiled from ``real`` when omitted.
    holdout : real rows the generator did not see (same columns). Needed by the privacy and utility
        metrics and for the fidelity references.
    target : a column to predict, for the utility metrics (categorical: classification; numeric or
        datetime: regression).
    metrics : keys (``"fidelity.column_shapes"``) or families (``"privacy"``) to run; all by default.
    random_state : seed of every subsample, bootstrap and model.
    progress : receives one ``advance`` per metric of the task ``"evaluate"``.

    Raises
    ------
    InputError : a table is not a DataFrame or is empty.
    SchemaError : the tables have different columns, the schema does not fit, or ``target`` is no column.
    ParameterError : an unknown metric key.
    """
    selected = _select(metrics)
    _check_tables(real, synthetic, holdout)
    if schema is None:
        from ..schema.profile import profile

        schema = profile(real)
    else:
        schema.check_columns(real, where="the real table")
    if target is not None and target not in real.columns:
        raise SchemaError(
            f"the target '{target}' is not a column of the real table; its columns are {[str(c) for c in real.columns]}"
        )
    order = [str(c) for c in real.columns]
    synthetic = synthetic[order]
    holdout = None if holdout is None else holdout[order]
    progress = progress or NO_PROGRESS
    results: dict[str, MetricResult] = {}
    skipped: dict[str, Skipped] = {}
    timings: dict[str, float] = {}
    start_all = time.perf_counter()
    progress.start("evaluate", total=len(selected))
    try:
        for key in selected:
            start = time.perf_counter()
            outcome = _run_one(key, real, synthetic, schema, holdout, target, random_state, progress)
            timings[key] = time.perf_counter() - start
            if isinstance(outcome, Skipped):
                skipped[key] = outcome
            else:
                results[key] = outcome
            progress.advance("evaluate")
    finally:
        progress.end("evaluate")
        from .utility._models import clear_cache

        clear_cache()
    timings["total"] = time.perf_counter() - start_all
    return Evaluation(
        results=results,
        skipped=skipped,
        schema=schema,
        target=target,
        n_rows={"real": len(real), "synthetic": len(synthetic), "holdout": None if holdout is None else len(holdout)},
        timings=timings,
    )


def _select(metrics: Sequence[str] | None) -> list[str]:
    if metrics is None:
        return list(METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [m for m in metrics if m not in METRICS and m not in FAMILIES]
    if unknown:
        raise ParameterError(
            f"unknown metric(s) {unknown}; choose from the families {list(FAMILIES)} or {list(METRICS)}"
        )
    return [k for k in METRICS if k in metrics or k.partition(".")[0] in metrics]


def _check_tables(real: Any, synthetic: Any, holdout: Any) -> None:
    problems: list[str] = []
    tables = [("real", real), ("synthetic", synthetic)] + ([("holdout", holdout)] if holdout is not None else [])
    for side, frame in tables:
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"the {side} table is a {type(frame).__name__}, not a pandas DataFrame")
        elif frame.shape[1] == 0:
            problems.append(f"the {side} table has no columns")
        elif len(frame) == 0:
            problems.append(f"the {side} table has no rows")
    collect(problems, InputError, "cannot evaluate")
    names = [str(c) for c in real.columns]
    for side, frame in tables[1:]:
        have = [str(c) for c in frame.columns]
        lacking = [c for c in names if c not in have]
        extra = [c for c in have if c not in names]
        if lacking or extra:
            parts = ([f"lacks column(s) {lacking} of the real table"] if lacking else []) + (
                [f"has column(s) {extra} that the real table does not"] if extra else []
            )
            problems.append(f"the {side} table " + " and ".join(parts))
    collect(problems, SchemaError, "the tables have different columns; give tables with the same columns")


def _run_one(
    key: str,
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    schema: TableSchema,
    holdout: pd.DataFrame | None,
    target: str | None,
    random_state: int,
    progress: ProgressCallback,
) -> MetricResult | Skipped:
    if holdout is None and key.startswith(NEEDS_HOLDOUT):
        return Skipped("not_evaluated", "needs a holdout: real rows the generator did not see (--holdout)")
    if target is None and key.startswith(NEEDS_TARGET):
        return Skipped("not_evaluated", "no target given (--target)")
    try:
        metric = _load(key)
    except (ImportError, AttributeError) as exc:
        return Skipped("not_available", f"the metric's module cannot be loaded ({type(exc).__name__}: {exc})")
    try:
        with _one_thread():
            result = metric.compute(
                real, synthetic, schema, holdout=holdout, target=target, random_state=random_state, progress=progress
            )
    except SimulacraError as exc:
        return Skipped("not_evaluated", str(exc))
    except Exception as exc:  # one broken metric must not lose the others; shown in the report
        logger.exception("metric %s failed", key)
        return Skipped("failed", f"{type(exc).__name__}: {exc}")
    if not math.isfinite(result.score) and "*" in result.not_evaluated:
        return Skipped("not_evaluated", result.not_evaluated["*"])
    return result


def _one_thread() -> Any:
    """Metrics run with one OpenMP and one BLAS thread. Measured on the 2-core reference machine with other
    work running, HistGradientBoosting (detection) took 31 s with two threads and 6.5 s with one, the
    nearest-neighbour search 9.3 s vs 5.0 s: idle threads spin-wait for a busy core. Results are the same."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _load(key: str) -> Metric:
    module_name, _, cls_name = METRICS[key].partition(":")
    cls = getattr(importlib.import_module(module_name), cls_name)
    return cls()  # type: ignore[no-any-return]


def check_target(schema: TableSchema, target: str | None) -> None:
    """Raise :class:`SchemaError` if ``target`` is not a column of ``schema``."""
    if target is not None and target not in schema:
        raise SchemaError(f"the target '{target}' is not a column; the columns are {schema.names}")


def describe_generator(gen: Any) -> dict[str, Any] | None:
    """``{"name", "params"}`` of a fitted generator (or a mapping passed through), for the report."""
    if gen is None:
        return None
    if isinstance(gen, Mapping):
        return dict(gen)
    params = {k: v for k, v in gen.get_params().items() if isinstance(v, (str, int, float, bool, type(None)))}
    out: dict[str, Any] = {"name": getattr(gen, "name", type(gen).__name__), "params": params}
    texts = gen.text_summary() if hasattr(gen, "text_summary") and gen.is_fitted else {}
    if texts:  # free-text columns written by a language model: training summary and guard figures
        out["text"] = texts
    ledger = getattr(gen, "privacy_", None)
    if ledger is not None:  # differentially private generators: the privacy ledger's summary
        # mst/aim keep the PrivacyLedger itself; privbayes and DP-SGD keep its summary as a dict
        out["privacy"] = dict(ledger) if isinstance(ledger, Mapping) else ledger.to_dict()
    return out
