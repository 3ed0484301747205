"""`simulacra run --auto` on the shared datasets: wall time vs budget, the pick vs the best on a test split,
and `estimate`'s predictions vs the measured fits.

For each dataset this script

1. runs ``simulacra run DATA --auto --time-budget B --target T --seed 0 -q -o WORK/<name>`` as a subprocess
   and measures its wall time (the whole command, what "within the budget plus 10%" is about);
2. reads the leaderboard (``WORK/<name>/candidates/selection.json``): each candidate's validation score,
   predicted and measured fit seconds and peak RSS (predicted by the calibration of `simulacra.estimate`,
   measured in the fit's own worker process);
3. rebuilds the same train / validation / test split (``simulacra.selection.split_three``, seed 0) and
   scores every evaluated candidate's synthetic table (kept in ``candidates/<name>/``) against the **test**
   split with the same objective (``simulacra.selection.combined_score``), so that the pick can be compared
   with the best candidate on data neither the fit nor the choice saw.

Usage (from the repository root):

    .venv/bin/python benchmarks/auto_select.py --budget 15m --work /tmp/auto_bench/full \\
        --out /tmp/auto_bench/full.json
    .venv/bin/python benchmarks/auto_select.py --budget 3m --datasets amazon_alexa   # quick check

Targets: wall time <= budget x 1.1; pick within 2% of the best test score; predicted fit time within a
factor of 2 of the measured one, predicted peak memory within 50%.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
DATASETS = {
    "adult": ("adult/adult.csv", "income"),
    "credit_default": ("credit_default/UCI_Credit_Card.csv", "default.payment.next.month"),
    "online_shoppers": ("online_shoppers/online_shoppers_intention.csv", "Revenue"),
    "california_housing": ("california_housing/housing.csv", "median_house_value"),
    "amazon_alexa": ("amazon_alexa_reviews/amazon_alexa.tsv", "feedback"),
}


def _target(path: Path, wanted: str) -> str:
    """The credit file names its target ``Y`` in some copies; take the last column when the name is absent."""
    header = path.read_text(encoding="utf-8-sig").splitlines()[0]
    sep = "\t" if path.suffix == ".tsv" else ","
    cols = [c.strip() for c in header.split(sep)]
    return wanted if wanted in cols else cols[-1]


def run_one(name: str, budget: str, work: Path) -> dict:
    rel, want = DATASETS[name]
    path = SHARED / rel
    target = _target(path, want)
    out = work / name
    cmd = [sys.executable, "-m", "simulacra.cli.main", "run", str(path), "--auto", "--time-budget", budget]
    cmd += ["--target", target, "--seed", "0", "-q", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    row: dict = {"dataset": name, "target": target, "wall_seconds": wall, "rc": proc.returncode}
    if proc.returncode != 0:
        row["error"] = (proc.stderr or proc.stdout).strip()[-500:]
        return row
    sel = json.loads((out / "candidates" / "selection.json").read_text(encoding="utf-8"))
    row["budget_seconds"] = sel["time_budget_seconds"]
    row["rows"] = sel["rows"]
    row["chosen"] = sel["chosen"]
    row["leaderboard"] = sel["leaderboard"]
    row["test_scores"] = score_on_test(path, target, out, sel)
    return row


def score_on_test(path: Path, target: str, out: Path, sel: dict) -> dict:
    import pandas as pd

    from simulacra.evaluation.suite import evaluate
    from simulacra.io import read_table
    from simulacra.schema import TableSchema
    from simulacra.selection import combined_score, privacy_violations, split_three

    frame = read_table(path)
    train, _, test = split_three(frame, 0.2, 0.2, target, 0)
    schema = TableSchema.load(out / "schema.json")
    scores = {}
    for c in sel["leaderboard"]:
        if c["status"] != "evaluated":
            continue
        syn = pd.read_parquet(out / "candidates" / c["generator"] / "synthetic.parquet")
        ev = evaluate(train, syn, schema, holdout=test, target=target, random_state=0)
        score, parts = combined_score(ev)
        scores[c["generator"]] = {"score": score, **parts, "violations": privacy_violations(ev)}
    return scores


def _f(x: float | None, nd: int = 4) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.{nd}f}"


def print_tables(rows: list[dict]) -> None:
    print(
        "\n| dataset | rows (train/val/test) | wall s / budget s | candidates: validation score | "
        "candidates: test score | pick | best on test | gap % |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['dataset']} | – | {r['wall_seconds']:.0f} / – | failed: {r['error'][:80]} | | | | |")
            continue
        rs = r["rows"]
        val = ", ".join(f"{c['generator']} {_f(c['score'])}" for c in r["leaderboard"] if c["status"] == "evaluated")
        skipped = [f"{c['generator']} ({c['status']})" for c in r["leaderboard"] if c["status"] != "evaluated"]
        if skipped:
            val += "; " + ", ".join(skipped)
        tests = r["test_scores"]
        test = ", ".join(f"{g} {_f(s['score'])}" for g, s in tests.items())
        ok = {g: s for g, s in tests.items() if not s["violations"]} or tests
        best = max(ok, key=lambda g: ok[g]["score"]) if ok else None
        pick = r["chosen"]
        gap = 100.0 * (ok[best]["score"] - tests[pick]["score"]) / abs(ok[best]["score"]) if best and pick else None
        r["best_on_test"], r["gap_percent"] = best, gap
        ratio = r["wall_seconds"] / r["budget_seconds"]
        print(
            f"| {r['dataset']} | {rs.get('train')}/{rs.get('validation')}/{rs.get('test')} | "
            f"{r['wall_seconds']:.0f} / {r['budget_seconds']:.0f} ({ratio:.2f}x) | {val} | {test} | {pick} | {best} | "
            f"{_f(gap, 2)} |"
        )
    print(
        "\n| dataset | generator | predicted fit s | measured fit s | ratio | predicted peak MB | "
        "measured peak MB | error % | within targets |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for c in r.get("leaderboard", []):
            if c["fit_seconds"] is None:
                continue
            ratio = c["predicted_fit_seconds"] / max(c["fit_seconds"], 1e-9)
            err = 100.0 * (c["predicted_peak_rss_mb"] - c["peak_rss_mb"]) / c["peak_rss_mb"]
            ok = 0.5 <= ratio <= 2.0 and abs(err) <= 50.0
            epochs = (c.get("training") or {}).get("epochs_run")
            stop = (c.get("training") or {}).get("stopped_by")
            gen = c["generator"] + (f" ({epochs} epochs, {stop})" if epochs else "")
            print(
                f"| {r['dataset']} | {gen} | {c['predicted_fit_seconds']:.1f} | {c['fit_seconds']:.1f} | "
                f"{ratio:.2f} | {c['predicted_peak_rss_mb']:.0f} | {c['peak_rss_mb']:.0f} | {err:+.0f} | "
                f"{'yes' if ok else 'NO'} |"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget", default="15m")
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--work", type=Path, default=Path("/tmp/auto_bench/work"))
    ap.add_argument("--out", type=Path, default=None, help="results JSON (default: WORK/results.json)")
    ap.add_argument("--report-only", action="store_true", help="print the tables of an existing results JSON")
    args = ap.parse_args()
    out = args.out or args.work / "results.json"
    if args.report_only:
        print_tables(json.loads(out.read_text(encoding="utf-8")))
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        print(f"{time.strftime('%H:%M:%S')} {name}: run --auto --time-budget {args.budget}", flush=True)
        row = run_one(name, args.budget, args.work)
        rows.append(row)
        out.write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
        print(f"{time.strftime('%H:%M:%S')} {name}: {row['wall_seconds']:.0f} s, rc {row['rc']}", flush=True)
    print_tables(rows)
    out.write_text(json.dumps(rows, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
