"""Plots of the HTML report: matplotlib (Agg backend) drawn to inline SVG strings.

Every plot is drawn from a metric's ``details`` (aggregates: binned frequencies, association matrices,
distance histograms), never from rows. Text stays text in the SVG (``svg.fonttype = none``), which keeps
the report small; ids are salted with a fixed string so the same evaluation gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "column_plot",
    "dcr_plot",
    "frontier_plot",
    "geo_maps",
    "heatmap_plot",
    "importance_plot",
    "risk_plot",
]

REAL, SYNTH, HOLD = "#3b6ea5", "#e07b39", "#7f7f7f"
MAX_BARS = 15


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    plt = _pyplot()
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "simulacra"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and DOCTYPE: the SVG is inline
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)  # RDF boilerplate
    return re.sub(r"\n\s*", "\n", text)


def _figure(width: float, height: float) -> tuple[Any, Any]:
    plt = _pyplot()
    with plt.rc_context({"font.size": 8, "axes.spines.top": False, "axes.spines.right": False}):
        fig, ax = plt.subplots(figsize=(width, height), dpi=72)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)
    return fig, ax


def column_plot(name: str, dist: dict[str, Any]) -> str | None:
    """Real vs synthetic (and holdout) frequencies of one column: overlaid histograms or grouped bars."""
    if not isinstance(dist, dict) or "real" not in dist or "synthetic" not in dist:
        return None
    if dist.get("kind") == "numeric" and "bin_edges" in dist:
        return _histogram(name, dist)
    if dist.get("kind") == "categorical" and "categories" in dist:
        return _bars(name, dist)
    return None


def _histogram(name: str, dist: dict[str, Any]) -> str:
    edges = np.asarray(dist["bin_edges"], dtype=float)
    fig, ax = _figure(4.0, 2.3)
    for side, color, style in (("real", REAL, "fill"), ("synthetic", SYNTH, "line"), ("holdout", HOLD, "dash")):
        if side not in dist:
            continue
        values = np.asarray(dist[side], dtype=float)
        if style == "fill":
            ax.stairs(values, edges, fill=True, color=color, alpha=0.35, label=side)
        else:
            ax.stairs(
                values,
                edges,
                color=color,
                linewidth=1.4 if side == "synthetic" else 1.0,
                linestyle="--" if style == "dash" else "-",
                label=side,
            )
    if dist.get("unit") == "epoch_seconds":
        ticks = ax.get_xticks()
        ax.set_xticks(ticks, [_year(t) for t in ticks])
        ax.set_xlim(edges[0], edges[-1])
    ax.set_ylabel("share of rows", fontsize=7)
    ax.legend(fontsize=6, frameon=False)
    ax.set_title(name, fontsize=8, loc="left")
    return _svg(fig)


def _year(seconds: float) -> str:
    import datetime as dt

    try:
        return dt.datetime.fromtimestamp(float(seconds), tz=dt.UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return ""


def _bars(name: str, dist: dict[str, Any]) -> str:
    cats = [str(c) for c in dist["categories"]]
    sides = [s for s in ("real", "synthetic", "holdout") if s in dist]
    values = {s: list(map(float, dist[s])) for s in sides}
    if len(cats) > MAX_BARS:
        keep = MAX_BARS - 1
        cats = [*cats[:keep], "(other)"]
        values = {s: [*v[:keep], float(sum(v[keep:]))] for s, v in values.items()}
    labels = [c if len(c) <= 22 else c[:21] + "…" for c in cats]
    fig, ax = _figure(4.0, 0.5 + 0.19 * len(cats) * (1 + 0.3 * (len(sides) - 2)))
    y = np.arange(len(cats))
    height = 0.8 / len(sides)
    colors = {"real": REAL, "synthetic": SYNTH, "holdout": HOLD}
    for i, s in enumerate(sides):
        ax.barh(
            y - 0.4 + height * (i + 0.5),
            values[s],
            height=height,
            color=colors[s],
            label=s,
            alpha=0.85 if s != "holdout" else 0.5,
        )
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("share of rows", fontsize=7)
    ax.legend(fontsize=6, frameon=False, loc="lower right")
    ax.set_title(name, fontsize=8, loc="left")
    return _svg(fig)


def heatmap_plot(
    columns: Sequence[str], real: Sequence[Sequence[float | None]], synthetic: Sequence[Sequence[float | None]]
) -> str | None:
    """|association(real) - association(synthetic)| for every pair of columns."""
    k = len(columns)
    if k < 2:
        return None
    a = np.array([[np.nan if v is None else v for v in row] for row in real], dtype=float)
    b = np.array([[np.nan if v is None else v for v in row] for row in synthetic], dtype=float)
    diff = np.abs(a - b)
    size = min(9.0, 1.6 + 0.32 * k)
    fig, ax = _figure(size + 1.0, size)
    image = ax.imshow(
        np.ma.masked_invalid(diff),
        cmap="Reds",
        vmin=0.0,
        vmax=max(0.5, float(np.nanmax(diff) if np.isfinite(diff).any() else 0.5)),
    )
    labels = [c if len(c) <= 18 else c[:17] + "…" for c in columns]
    ax.set_xticks(range(k), labels, rotation=60, ha="right", fontsize=6)
    ax.set_yticks(range(k), labels, fontsize=6)
    ax.spines[["left", "bottom"]].set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.7)
    bar.set_label("|real − synthetic| association", fontsize=7)
    bar.ax.tick_params(labelsize=6)
    return _svg(fig)


def importance_plot(importances: dict[str, dict[str, float | None]]) -> str | None:
    """Permutation importances of the real-trained and the synthetic-trained model, side by side."""
    if not importances:
        return None
    names = sorted(importances, key=lambda n: -(importances[n].get("real") or 0.0))[:MAX_BARS]
    fig, ax = _figure(4.6, 0.6 + 0.22 * len(names))
    y = np.arange(len(names))
    for i, (side, color) in enumerate((("real", REAL), ("synthetic", SYNTH))):
        vals = [importances[n].get(side) or 0.0 for n in names]
        ax.barh(y - 0.2 + 0.4 * i, vals, height=0.4, color=color, label=f"trained on {side}")
    ax.set_yticks(y, [n if len(n) <= 22 else n[:21] + "…" for n in names])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("drop in score when the feature is shuffled", fontsize=7)
    ax.legend(fontsize=6, frameon=False, loc="lower right")
    return _svg(fig)


def dcr_plot(distances: dict[str, Any]) -> str | None:
    """Distance to the closest training record: synthetic rows vs holdout rows (and synthetic→holdout)."""
    edges = distances.get("histogram_edges") if isinstance(distances, dict) else None
    if not edges:
        return None
    edges_arr = np.asarray(edges, dtype=float)
    fig, ax = _figure(4.8, 2.4)
    styles = {
        "synthetic_train": ("synthetic → closest training row", SYNTH, "-", 1.5),
        "holdout_train": ("holdout → closest training row", REAL, "-", 1.2),
        "synthetic_holdout": ("synthetic → closest holdout row", HOLD, "--", 1.0),
    }
    drawn = False
    for key, (label, color, ls, lw) in styles.items():
        entry = distances.get(key)
        if isinstance(entry, dict) and entry.get("histogram"):
            ax.stairs(
                np.asarray(entry["histogram"], dtype=float),
                edges_arr,
                color=color,
                linestyle=ls,
                linewidth=lw,
                label=label,
            )
            drawn = True
    if not drawn:
        _pyplot().close(fig)
        return None
    ax.set_xlabel("distance (mixed encoding; a category mismatch adds 1)", fontsize=7)
    ax.set_ylabel("share of rows", fontsize=7)
    ax.legend(fontsize=6, frameon=False)
    return _svg(fig)


FRONTIER_PANELS = (
    ("kmarginal", "k-marginal (0–1000) ↑"),
    ("shape_err", "shape error % ↓"),
    ("trend_err", "trend error % (strong pairs) ↓"),
    ("tstr_auc", "TSTR ROC AUC ↑"),
)
DATASET_COLORS = (REAL, SYNTH, "#5a9e4b", "#8c5fb0")


def frontier_plot(series: dict[str, list[dict[str, Any]]], epsilon: float | None) -> str | None:
    """Measured figures against epsilon (log axis), one line per benchmark data set, ``epsilon`` marked.

    ``series`` maps a data set's name to its points (``{"epsilon", "kmarginal", "shape_err", ...}``), as
    measured by ``benchmarks/dp_frontier.py``.
    """
    if not any(series.values()):
        return None
    plt = _pyplot()
    with plt.rc_context({"font.size": 8}):
        fig, axes = plt.subplots(1, len(FRONTIER_PANELS), figsize=(10.0, 2.3), dpi=72)
    for ax, (key, title) in zip(axes, FRONTIER_PANELS, strict=True):
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=6)
        for i, (name, points) in enumerate(series.items()):
            color = DATASET_COLORS[i % len(DATASET_COLORS)]
            pts = sorted((p["epsilon"], p[key]) for p in points if p.get(key) is not None)
            if pts:
                xs, ys = zip(*pts, strict=True)
                ax.plot(xs, ys, marker="o", markersize=3, linewidth=1.2, color=color, label=name)
        if epsilon is not None and epsilon > 0 and math.isfinite(epsilon):
            ax.axvline(epsilon, color=HOLD, linestyle="--", linewidth=1.0, label=f"this model (ε = {epsilon:g})")
        ax.set_xscale("log")
        ticks = sorted({float(p["epsilon"]) for points in series.values() for p in points})
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("ε", fontsize=7)
        ax.set_title(title, fontsize=7)
    axes[0].legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return _svg(fig)


def risk_plot(rows: Sequence[dict[str, Any]]) -> str | None:
    """One line per privacy figure: the score with its 95% interval, and its reference as a tick."""
    rows = [r for r in rows if r.get("score") is not None and math.isfinite(r["score"])]
    if not rows:
        return None
    fig, ax = _figure(5.2, 0.7 + 0.35 * len(rows))
    y = np.arange(len(rows))
    for i, r in enumerate(rows):
        color = "#c0392b" if r.get("concern") else SYNTH
        ax.barh(i, r["score"], height=0.5, color=color, alpha=0.6)
        if r.get("ci"):
            lo, hi = r["ci"]
            ax.errorbar(
                r["score"],
                i,
                xerr=[[max(0.0, r["score"] - lo)], [max(0.0, hi - r["score"])]],
                fmt="none",
                ecolor="black",
                capsize=3,
                linewidth=1,
            )
        if r.get("reference") is not None:
            ax.plot([r["reference"]] * 2, [i - 0.35, i + 0.35], color=REAL, linewidth=2)
    ax.set_yticks(y, [r["name"] for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("score (bar), 95% interval (whiskers), reference (blue tick)", fontsize=7)
    return _svg(fig)


def geo_maps(cells: Sequence[str], real: Sequence[float], synthetic: Sequence[float], resolution: int) -> str | None:
    """Real and synthetic shares per H3 cell side by side, and their difference (synthetic - real)."""
    if not cells:
        return None
    import h3
    from matplotlib.collections import PolyCollection

    plt = _pyplot()
    polys = [[(lng, lat) for lat, lng in h3.cell_to_boundary(c)] for c in cells]
    r, s = np.asarray(real, dtype=float), np.asarray(synthetic, dtype=float)
    xs = np.array([p[0] for poly in polys for p in poly])
    ys = np.array([p[1] for poly in polys for p in poly])
    aspect = 1.0 / max(math.cos(math.radians(float(np.mean(ys)))), 0.1)
    with plt.rc_context({"font.size": 7}):
        fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6), dpi=72)
    top = float(max(r.max(), s.max(), 1e-12))
    diff = s - r
    lim = float(max(np.abs(diff).max(), 1e-12))
    panels = (
        ("real (training)", r, "Blues", 0.0, top),
        ("synthetic", s, "Blues", 0.0, top),
        ("synthetic − real", diff, "RdBu_r", -lim, lim),
    )
    for ax, (title, values, cmap, lo, hi) in zip(axes, panels, strict=True):
        coll = PolyCollection(polys, array=values, cmap=cmap, edgecolors="none")
        coll.set_clim(lo, hi)
        ax.add_collection(coll)
        ax.set_xlim(xs.min(), xs.max())
        ax.set_ylim(ys.min(), ys.max())
        ax.set_aspect(aspect)
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_xlabel("longitude", fontsize=7)
        fig.colorbar(coll, ax=ax, shrink=0.7).ax.tick_params(labelsize=6)
    axes[0].set_ylabel("latitude", fontsize=7)
    fig.suptitle(f"share of points per H3 cell (resolution {resolution})", fontsize=8)
    return _svg(fig)
