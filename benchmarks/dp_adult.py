"""privbayes and DP-SGD (vae, gan) on UCI Adult: NIST k-marginal score and fit time at a few epsilons.

Run from the repository root::

    .venv/bin/python benchmarks/dp_adult.py [--epsilon 1 4] [--deep-epochs 20] [--skip-deep]

Adult is split 80/20 (seed 0). The public schema is the profile of the whole file with ``n_rows`` removed:
Adult's bounds and category lists are published with the data set, so they stand for public knowledge here
(with private data, write them from a data dictionary). Every synthetic table has as many rows as the train
split and is scored against it with simulacra's NIST k-marginal metric (3-way marginals, 0..1000); the
holdout's own score against the train split is the noise ceiling, and "independent" (each column resampled
on its own from the train split, no privacy at all) the floor a DP generator must beat to show that it keeps
correlations.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra
from simulacra.evaluation.fidelity.kmarginal import KMarginal

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "datasets" / "adult" / "adult.csv"


def load_adult(path: Path = DATA) -> tuple[pd.DataFrame, pd.DataFrame, simulacra.TableSchema]:
    """Adult's 80/20 split (seed 0) and its public schema (the whole file's profile without ``n_rows``)."""
    full = simulacra.read_table(path)
    public = simulacra.profile(full)
    public = simulacra.TableSchema(public.columns, n_rows=None)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(full))
    n_train = int(0.8 * len(full))
    train = full.iloc[perm[:n_train]].reset_index(drop=True)
    holdout = full.iloc[perm[n_train:]].reset_index(drop=True)
    return train, holdout, public


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--epsilon", type=float, nargs="*", default=[1.0, 4.0])
    ap.add_argument("--delta", type=float, default=1e-9)
    ap.add_argument("--deep-epochs", type=int, default=20)
    ap.add_argument(
        "--deep-rows", type=int, default=None, help="train the DP deep models on this many train rows (CPU time)"
    )
    ap.add_argument("--skip-deep", action="store_true")
    args = ap.parse_args(argv)
    train, holdout, public = load_adult(args.data)
    metric = KMarginal()

    def score(synth: pd.DataFrame) -> float:
        return float(metric.compute(train, synth, public).score)

    rows: list[tuple[str, str, float, float]] = []
    rows.append(("holdout (ceiling)", "-", score(holdout), 0.0))
    indep = pd.DataFrame(
        {c: train[c].sample(len(train), replace=True, random_state=i).to_numpy() for i, c in enumerate(train.columns)}
    )
    rows.append(("independent columns (no privacy)", "-", score(indep), 0.0))
    plans = [("privbayes", {})]
    if not args.skip_deep:
        plans += [
            ("vae", {"epochs": args.deep_epochs, "batch_size": 500, "max_minutes": None}),
            ("gan", {"epochs": args.deep_epochs, "batch_size": 500, "max_minutes": None}),
        ]
    for name, extra in plans:
        for eps in args.epsilon:
            t0 = time.perf_counter()
            gen = simulacra.create_generator(name, epsilon=eps, delta=args.delta, random_state=0, **extra)
            rows_used = train if name == "privbayes" or args.deep_rows is None else train.iloc[: args.deep_rows]
            gen.fit(rows_used, public)
            seconds = time.perf_counter() - t0
            s = score(gen.sample(len(train), random_state=1))
            spent = gen.privacy_["epsilon_spent"]  # type: ignore[attr-defined]
            label = name if name == "privbayes" else f"{name} ({extra['epochs']} epochs, {len(rows_used)} rows)"
            rows.append((label, f"{eps:g} (spent {spent:.3f})", s, seconds))
            print(f"{rows[-1][0]:<34} eps={rows[-1][1]:<18} k-marginal={s:6.1f}  fit {seconds:6.1f} s", flush=True)
    print()
    print(f"Adult, {len(train)} train rows, delta={args.delta:g}, k-marginal over 3-way marginals (0..1000)")
    print(f"{'model':<34} {'epsilon':<18} {'k-marginal':>10} {'fit s':>8}")
    for name, eps_text, s, sec in rows:
        print(f"{name:<34} {eps_text:<18} {s:10.1f} {sec:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
