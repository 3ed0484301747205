"""Score synthetic tables against a real one with SDMetrics' QualityReport; writes a JSON of scores.

Runs inside ``benchmarks/.venv-sdv`` (made by ``setup_sdv_env.sh``): SDMetrics is no dependency of
simulacra. Each synthetic table is scored twice with ``sdmetrics.reports.QualityReport``:

- with SDMetrics' default thresholds: Column Pair Trends then averages only the pairs whose *real* data
  show |Pearson correlation| > 0.5 (numerical pairs) or Cramér's V > 0.3 (other pairs): the "strong"
  pairs. The report's overall score is the mean of Column Shapes and this.
- with both thresholds 0: every pair counts ("all pairs", as in TabSyn's trend error).

The report bins each table's numeric columns over that table's own range (10 equal-width bins), so a pair
with a numeric column compares bin i of the real table with bin i of the synthetic one even when the two
ranges differ: one value beyond the real maximum shifts every bin. ``pair_trends_all_shared_bins`` is the
same all-pairs mean with SDMetrics' own ``ContingencySimilarity`` metric, which bins both tables at the
real table's edges (numeric-numeric pairs keep the report's correlation score).

Usage (one or more ``--synthetic NAME=PATH``)::

    benchmarks/.venv-sdv/bin/python benchmarks/_sdmetrics_score.py --real holdout.csv --metadata metadata.json \
        --synthetic sdv=sdv.csv --subsample 26048 --out scores.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from importlib.metadata import version
from pathlib import Path

import pandas as pd

TABLE = "adult"


def read_csv(path: str, columns: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Read a CSV with the metadata's columns: numerical ones as numbers, the rest as strings, as written."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SystemExit(f"{path}: columns {missing} are missing")
    frame = frame[list(columns)].copy()
    for name, spec in columns.items():
        if spec["sdtype"] == "numerical":
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
        else:
            frame[name] = frame[name].astype(object)
    return frame


def _num(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def run_report(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict, thresholds: bool) -> tuple[dict, list]:
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    if not thresholds:
        report.real_correlation_threshold = 0
        report.real_association_threshold = 0
    report.generate({TABLE: real}, {TABLE: synthetic}, metadata, verbose=False)
    props = report.get_properties()
    scores = {row["Property"]: float(row["Score"]) for _, row in props.iterrows()}
    details = report.get_details("Column Pair Trends", table_name=TABLE)
    pairs = []
    for _, row in details.iterrows():
        pairs.append(
            {
                "column_1": row["Column 1"],
                "column_2": row["Column 2"],
                "metric": row["Metric"],
                "score": _num(row["Score"]),
                "real_correlation": _num(row.get("Real Correlation")),
                "synthetic_correlation": _num(row.get("Synthetic Correlation")),
                "real_association": _num(row.get("Real Association")),
                "meets_threshold": bool(row["Meets Threshold?"]) if not pd.isna(row["Meets Threshold?"]) else False,
            }
        )
    return {"overall": float(report.get_score()), **scores}, pairs


def shared_bins_scores(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict, details: list) -> list[float]:
    """Every pair's score with numeric columns binned at the real table's edges for both tables."""
    from sdmetrics.column_pairs import ContingencySimilarity

    columns = metadata["tables"][TABLE]["columns"]
    out = []
    for p in details:
        if p["score"] is None:
            continue
        a, b = p["column_1"], p["column_2"]
        if p["metric"] != "ContingencySimilarity":
            out.append(p["score"])
            continue
        numeric = [c for c in (a, b) if columns[c]["sdtype"] == "numerical"]
        score = ContingencySimilarity.compute(
            real[[a, b]], synthetic[[a, b]], continuous_column_names=numeric or None, num_discrete_bins=10
        )
        out.append(float(score))
    return out


def score_one(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict) -> dict:
    t0 = time.perf_counter()
    default, strong_details = run_report(real, synthetic, metadata, thresholds=True)
    _, all_details = run_report(real, synthetic, metadata, thresholds=False)
    shapes = default["Column Shapes"]
    strong = [p for p in strong_details if p["meets_threshold"]]
    all_scores = [p["score"] for p in all_details if p["score"] is not None]
    all_pairs = sum(all_scores) / len(all_scores)
    shared = shared_bins_scores(real, synthetic, metadata, all_details)
    return {
        "column_shapes": shapes,
        "pair_trends_strong": default["Column Pair Trends"],
        "pair_trends_all": all_pairs,
        "pair_trends_all_shared_bins": sum(shared) / len(shared) if shared else None,
        "quality_score": default["overall"],
        "quality_score_all_pairs": (shapes + all_pairs) / 2,
        "shape_err": 100 * (1 - shapes),
        "trend_err_all_pairs": 100 * (1 - all_pairs),
        "n_pairs": len(all_details),
        "n_pairs_scored_all": len(all_scores),
        "n_strong_pairs": len(strong),
        "strong_pairs": strong,
        "all_pairs": all_details,
        "score_s": time.perf_counter() - t0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", required=True, help="real CSV to judge against (the holdout)")
    parser.add_argument("--metadata", required=True, help='JSON {"columns": {name: {"sdtype": ...}}}')
    parser.add_argument("--synthetic", action="append", required=True, metavar="NAME=PATH", help="table to score")
    parser.add_argument("--subsample", type=int, default=None, help="score a seeded random subsample of N rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the subsample")
    parser.add_argument("--out", required=True, help="JSON output")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)

    columns = json.loads(Path(args.metadata).read_text())["columns"]
    metadata = {"tables": {TABLE: {"columns": columns}}}
    real = read_csv(args.real, columns)
    results: dict[str, dict] = {}
    for item in args.synthetic:
        name, _, path = item.partition("=")
        synthetic = read_csv(path, columns)
        rows_given = len(synthetic)
        if args.subsample is not None and rows_given > args.subsample:
            synthetic = synthetic.sample(n=args.subsample, random_state=args.seed).reset_index(drop=True)
        result = score_one(real, synthetic, metadata)
        result["rows_given"] = rows_given
        result["rows_scored"] = len(synthetic)
        results[name] = result
        print(
            f"scored {name}: shapes {result['column_shapes']:.3f}, strong pairs {result['pair_trends_strong']:.3f} "
            f"({result['n_strong_pairs']} pairs), all pairs {result['pair_trends_all']:.3f} "
            f"[{result['score_s']:.1f} s]",
            file=sys.stderr,
        )
    out = {
        "real": args.real,
        "rows_real": len(real),
        "subsample": args.subsample,
        "seed": args.seed,
        "sdmetrics": version("sdmetrics"),
        "report": "sdmetrics.reports.QualityReport",
        "results": results,
    }
    Path(args.out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
