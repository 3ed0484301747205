"""The HTML report: one self-contained file (inline CSS and SVG, no script, no network).

>>> from simulacra.report import render_html
>>> html = render_html(evaluation, evaluation.schema)

Sections: the three headline figures with their references and verdicts; every metric by family (score,
95% interval, reference, or why it was not evaluated); one plot per column (real vs synthetic frequencies,
from ``fidelity.column_shapes``); the difference of pairwise associations (from ``fidelity.column_pairs``);
the utility table (TSTR vs TRTR) with feature importances; the privacy figures with their intervals and
the distance-to-closest-record distributions; the columns each metric could not judge; timings.
Only aggregates are shown: no real row is ever printed.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..schema import TableSchema
from . import _plots

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..evaluation.suite import Evaluation

__all__ = ["render_html", "render_summary"]

TITLES = {
    "fidelity": "Fidelity: does the synthetic table look like the real one?",
    "utility": "Utility: is it as useful for prediction?",
    "privacy": "Privacy: does it give away the people in the training data?",
    "text": "Text columns",
    "geo": "Geographic columns",
}
MODEL_NAMES = {"boosting": "gradient boosting", "linear": "linear model"}
METRIC_NAMES = {"roc_auc": "ROC AUC", "f1_macro": "F1 (macro)", "accuracy": "accuracy", "r2": "R²", "rmse": "RMSE"}


@lru_cache(maxsize=1)
def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("simulacra.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    return env


def fmt(x: Any, digits: int = 3) -> str:
    """A number for display ("–" for missing)."""
    if x is None:
        return "–"
    if isinstance(x, (list, tuple)) and len(x) == 2:
        if x[0] is None or x[1] is None:
            return "–"
        return f"[{fmt(x[0], digits)}, {fmt(x[1], digits)}]"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "–"
    if v != 0 and (abs(v) >= 10**6 or abs(v) < 10 ** (-digits)):
        return f"{v:.{digits}g}"
    return f"{v:,.{digits}f}"


def render_html(evaluation: Evaluation, schema: TableSchema | None = None) -> str:
    """The full report as one HTML string."""
    context = _context(evaluation, schema or evaluation.schema, plots=True)
    return _env().get_template("report.html.j2").render(**context)


def render_summary(evaluation: Evaluation) -> str:
    """The headline and the metric tables only (for Jupyter's ``_repr_html_``)."""
    context = _context(evaluation, evaluation.schema, plots=False)
    return _env().get_template("summary.html.j2").render(**context)


def _context(evaluation: Evaluation, schema: TableSchema, plots: bool) -> dict[str, Any]:
    data = evaluation.to_dict()
    heads = []
    for family, head in data["headline"].items():
        tone = "neutral"
        if head["evaluated"]:
            tone = "good" if head["verdict"] in ("close to real data", "no sign of memorisation") else "warn"
        heads.append({"family": family, **head, "tone": tone})
    families = []
    for family in ("fidelity", "utility", "privacy", "text", "geo"):
        rows = []
        for name, entry in data.get(family, {}).items():
            rows.append({"key": f"{family}.{name}", **entry})
        families.append({"family": family, "title": TITLES[family], "rows": rows})
    context: dict[str, Any] = {
        "data": data,
        "headlines": heads,
        "families": families,
        "reserved": [
            {
                "family": f,
                "title": TITLES[f],
                "reason": data["reserved"][f],
                "columns": [c.name for c in schema if c.kind.value == f],
            }
            for f in data["reserved"]
        ],
        "plots": plots,
    }
    if not plots:
        return context
    context["columns"] = _columns(data, schema)
    context["heatmap"] = _heatmap(data)
    context["utility"] = _utility(data)
    context["privacy"] = _privacy(evaluation, data)
    context["geo"] = _geo(data)
    context["text"] = _text(data, schema)
    context["frontier"] = _frontier(data.get("generator"))
    return context


FRONTIER_DATA = "dp_frontier.json"


@lru_cache(maxsize=1)
def _frontier_cells() -> tuple[dict[str, Any], ...]:
    """The measured privacy-utility frontier shipped with the package (``benchmarks/dp_frontier.py``)."""
    import json
    from importlib.resources import files

    try:
        payload = json.loads(files("simulacra.data").joinpath(FRONTIER_DATA).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a damaged install: the report goes on without the figure
        return ()
    return tuple(payload.get("cells", ()))


def _frontier(generator: dict[str, Any] | None) -> dict[str, Any] | None:
    """For a differentially private generator: its measured frontier with this model's epsilon marked."""
    if not isinstance(generator, dict) or not isinstance(generator.get("privacy"), dict):
        return None
    name = str(generator.get("name", ""))
    epsilon = generator["privacy"].get("epsilon")
    epsilon = float(epsilon) if isinstance(epsilon, (int, float)) else None
    cells = _frontier_cells()
    series: dict[str, list[dict[str, Any]]] = {}
    for c in cells:
        if c.get("generator") == name and c.get("epsilon") is not None:
            series.setdefault(str(c["dataset"]), []).append(c)
    references = {
        (str(c["dataset"]), str(c["generator"])): c
        for c in cells
        if c.get("generator") in ("holdout", "gaussian_copula") and c.get("dataset") in series
    }
    rows = [
        {"dataset": d, "label": label, **references[(d, g)]}
        for d in series
        for g, label in (("gaussian_copula", "Gaussian copula (no privacy)"), ("holdout", "real holdout (ceiling)"))
        if (d, g) in references
    ]
    return {
        "name": name,
        "epsilon": epsilon,
        "datasets": sorted(series),
        "svg": _plots.frontier_plot(series, epsilon) if series else None,
        "references": rows,
    }


def _text(data: dict[str, Any], schema: TableSchema) -> list[dict[str, Any]]:
    """One panel per free-text column: length histogram, top bigrams real vs synthetic, synthetic examples
    (texts that repeat no training span; never a real text), and what the text model did (PII, guard)."""
    fam = data.get("text", {})

    def per_column(metric: str) -> dict[str, Any]:
        entry = fam.get(metric, {})
        return ((entry.get("details") or {}).get("columns") or {}) if entry.get("status") == "ok" else {}

    lengths, grams, replay = per_column("length"), per_column("ngrams"), per_column("replay_rate")
    models = (data.get("generator") or {}).get("text") or {}
    out = []
    for spec in schema:
        if spec.kind.value != "text":
            continue
        hist = (lengths.get(spec.name) or {}).get("histogram") or {}
        svg = None
        if hist:
            dist = {"kind": "numeric", "bin_edges": hist["edges"], "real": hist["real"], "synthetic": hist["synthetic"]}
            svg = _plots.column_plot(f"{spec.name}: words per text", dist)
        top = (grams.get(spec.name) or {}).get("top_bigrams") or {}
        real_top, syn_top = top.get("real") or [], top.get("synthetic") or []
        rows = [
            {
                "real": real_top[i] if i < len(real_top) else None,
                "synthetic": syn_top[i] if i < len(syn_top) else None,
            }
            for i in range(max(len(real_top), len(syn_top)))
        ]
        out.append(
            {
                "name": spec.name,
                "svg": svg,
                "lengths": lengths.get(spec.name),
                "bigrams": rows,
                "examples": (replay.get(spec.name) or {}).get("examples") or [],
                "replay": replay.get(spec.name),
                "model": models.get(spec.name),
            }
        )
    return out


def _geo(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One set of maps per geo column, from ``geo.spatial_density``'s per-cell shares (aggregates only)."""
    entry = data.get("geo", {}).get("spatial_density", {})
    if entry.get("status") != "ok":
        return []
    out = []
    for name, col in ((entry.get("details") or {}).get("columns") or {}).items():
        m = col.get("map") or {}
        svg = _plots.geo_maps(
            m.get("cells", []), m.get("real", []), m.get("synthetic", []), int(m.get("resolution", 0))
        )
        out.append(
            {
                "name": name,
                "svg": svg,
                "resolutions": col.get("resolutions"),
                "tv_synthetic": col.get("tv_synthetic"),
                "tv_holdout": col.get("tv_holdout"),
            }
        )
    return out


def _columns(data: dict[str, Any], schema: TableSchema) -> list[dict[str, Any]]:
    shapes = data.get("fidelity", {}).get("column_shapes", {})
    per_column = (shapes.get("details") or {}).get("columns", {}) if shapes.get("status") == "ok" else {}
    names = {f"{fam}.{n}": e.get("name", n) for fam in ("fidelity", "utility", "privacy") for n, e in data[fam].items()}
    out = []
    for spec in schema:
        entry = per_column.get(spec.name) or {}
        not_eval = data["not_evaluated_columns"].get(spec.name, {})
        out.append(
            {
                "name": spec.name,
                "kind": spec.kind.value,
                "score": entry.get("score"),
                "reference": entry.get("reference"),
                "metric": entry.get("metric"),
                "svg": _plots.column_plot(spec.name, entry.get("distribution") or {}),
                "not_evaluated": [{"by": names.get(k, k), "reason": why} for k, why in sorted(not_eval.items())],
            }
        )
    return out


def _heatmap(data: dict[str, Any]) -> str | None:
    for name in ("column_pairs", "column_pairs_strong"):
        entry = data.get("fidelity", {}).get(name, {})
        assoc = (entry.get("details") or {}).get("association") if entry.get("status") == "ok" else None
        if assoc and "real" in assoc and "synthetic" in assoc:
            return _plots.heatmap_plot(assoc["columns"], assoc["real"], assoc["synthetic"])
    return None


def _utility(data: dict[str, Any]) -> dict[str, Any]:
    tstr = data.get("utility", {}).get("tstr", {})
    rows = []
    details = tstr.get("details") or {}
    for model, figures in (details.get("models") or {}).items():
        for metric in figures.get("synthetic", {}):
            rows.append(
                {
                    "model": MODEL_NAMES.get(model, model),
                    "metric": METRIC_NAMES.get(metric, metric),
                    "synthetic": figures["synthetic"].get(metric),
                    "real": figures.get("real", {}).get(metric),
                    "ci": figures.get("ci", {}).get("synthetic") if metric in ("roc_auc", "r2") else None,
                    "gap_ci": figures.get("ci", {}).get("gap") if metric in ("roc_auc", "r2") else None,
                }
            )
    fi = data.get("utility", {}).get("feature_importance", {})
    importances = (fi.get("details") or {}).get("importances") if fi.get("status") == "ok" else None
    return {
        "rows": rows,
        "details": details,
        "importance_svg": _plots.importance_plot(importances) if importances else None,
    }


def _privacy(evaluation: Evaluation, data: dict[str, Any]) -> dict[str, Any]:
    from ..evaluation._headline import is_concern

    rows = []
    for key, result in evaluation.results.items():
        if key.startswith("privacy."):
            rows.append(
                {
                    "name": result.name,
                    "score": result.score,
                    "ci": result.ci,
                    "reference": result.reference,
                    "concern": is_concern(result),
                }
            )
    dcr = data.get("privacy", {}).get("dcr_share", {})
    distances = (dcr.get("details") or {}).get("distances") if dcr.get("status") == "ok" else None
    return {
        "risk_svg": _plots.risk_plot(rows),
        "dcr_svg": _plots.dcr_plot(distances) if distances else None,
    }
