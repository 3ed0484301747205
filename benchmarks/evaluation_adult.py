"""Time the full evaluation suite on UCI Adult (26k train, 6.5k holdout, 26k synthetic rows).

Adult is split 80/20 (seed 0, stratified on ``income``) as in ``shared/research/peer-baseline.md``; the
Gaussian copula is fitted on the training part and samples as many rows. Then ``simulacra.evaluate`` runs
every registered metric with ``target="income"`` and the time of each is printed, with its score and
reference, and the size of the HTML report. Target: the whole evaluation under 90 s on two cores.

    .venv/bin/python benchmarks/evaluation_adult.py [--data PATH] [--out DIR] [--metrics KEY ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "adult" / "adult.csv"
BUDGET_S = 90.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Adult CSV")
    parser.add_argument("--out", type=Path, default=None, help="also write report.html / report.json here")
    parser.add_argument("--metrics", nargs="*", default=None, help="keys or families to run (default: all)")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"Adult not found at {args.data}; give --data", file=sys.stderr)
        return 2

    from sklearn.model_selection import train_test_split

    import simulacra
    from simulacra.report import write_report

    frame = simulacra.read_table(args.data)
    train, holdout = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame["income"])
    start = time.perf_counter()
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(train)
    synthetic = gen.sample(len(train), random_state=0)
    fit_s = time.perf_counter() - start

    evaluation = simulacra.evaluate(train, synthetic, holdout=holdout, target="income", metrics=args.metrics)
    html = evaluation.to_html()
    if args.out is not None:
        evaluation.generator = {"name": "gaussian_copula", "params": {"random_state": 0}}
        write_report(evaluation, args.out)

    print(
        f"Adult: {len(train):,} train, {len(holdout):,} holdout, {len(synthetic):,} synthetic rows "
        f"(gaussian_copula fit + sample {fit_s:.1f} s)\n"
    )
    print(f"| {'metric':<30} | {'seconds':>7} | {'score':>8} | {'reference':>9} | status |")
    print(f"|{'-' * 32}|{'-' * 9}|{'-' * 10}|{'-' * 11}|--------|")
    for key, seconds in evaluation.timings.items():
        if key == "total":
            continue
        result = evaluation.results.get(key)
        if result is not None:
            ref = "–" if result.reference is None else f"{result.reference:.4f}"
            print(f"| {key:<30} | {seconds:7.2f} | {result.score:8.4f} | {ref:>9} | ok |")
        else:
            skip = evaluation.skipped[key]
            print(f"| {key:<30} | {seconds:7.2f} | {'–':>8} | {'–':>9} | {skip.status}: {skip.reason[:60]} |")
    total = evaluation.timings["total"]
    print(f"| {'total':<30} | {total:7.2f} | | | {'within' if total < BUDGET_S else 'OVER'} {BUDGET_S:.0f} s |")
    print()
    for family, head in evaluation.headline().items():
        score = "–" if head.score is None else f"{head.score:.4f}"
        ref = "–" if head.reference is None else f"{head.reference:.4f}"
        print(f"{family:<9} {score} (reference {ref}): {head.verdict}")
    print(f"\nHTML report: {len(html.encode()) / 1e6:.2f} MB, {html.count('<svg')} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
