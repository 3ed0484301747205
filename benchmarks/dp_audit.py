"""Empirical privacy audit: canary membership inference over many fits gives a lower bound on epsilon.

Run from the repository root::

    .venv/bin/python benchmarks/dp_audit.py privbayes --epsilon 1 4 [--trials 200] [--rows 100]
    .venv/bin/python benchmarks/dp_audit.py mst --epsilon 1 4
    .venv/bin/python benchmarks/dp_audit.py gaussian_copula          # non-private: the audit must catch it

What it does (Jagielski, Ullman & Oprea 2020; Nasr et al. 2021):

1. a small fixed table ``D`` (``--rows`` rows of the Adult excerpt shipped with simulacra, 8 columns), its
   public schema (the domain of the whole excerpt: bounds and category lists), and one *canary* record whose
   categorical values are in the public domain but absent from ``D`` (a distinctive outlier);
2. ``--trials`` fits on ``D`` and as many on ``D + canary``, each with its own seed; each fitted model samples
   ``--synth`` rows;
3. the attack's statistics on a synthetic table: ``s_k`` = the number of synthetic rows that agree with the
   canary on its first ``k`` rare columns (``k = 1 .. 5``);
4. on the first half of the fits of each world, choose the statistic ``k`` and a threshold ``t`` (test "the
   canary was in": ``s_k >= t``) with the largest point estimate; on the *other* half, count true and false
   positives and turn them into an epsilon lower bound with Clopper-Pearson bounds at 95% confidence
   (:mod:`simulacra.privacy.audit`);
5. print one line per (generator, epsilon): the bound must stay at or below the claimed epsilon.

With ``n`` test fits per world the largest bound any test can show is about ``log(n / 3.7)`` (3.3 for
``n = 100``, 4.0 for ``n = 200``), so auditing epsilon = 4 needs ``--trials 400`` or more to be able to fail.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import simulacra
from simulacra.privacy.audit import AuditResult, best_threshold, epsilon_lower_bound
from simulacra.registry import generator_class, generator_params

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO / "src" / "simulacra" / "data" / "adult_sample.csv"
COLUMNS = ["age", "workclass", "education", "marital-status", "race", "sex", "hours-per-week", "income"]
RARE = ["workclass", "education", "marital-status", "race", "sex"]


def load_table(rows: int, seed: int) -> tuple[pd.DataFrame, simulacra.TableSchema, dict]:
    """The fixed table ``D``, the public schema and the canary record."""
    full = simulacra.read_table(DATA)[COLUMNS]
    public = simulacra.profile(full)  # the whole excerpt's domain stands in for public knowledge
    public = simulacra.TableSchema(tuple(c.with_(null_rate=0.0) for c in public), n_rows=None)
    rng = np.random.default_rng(seed)
    base = full.iloc[rng.choice(len(full), size=rows, replace=False)].reset_index(drop=True)
    canary: dict = {"age": int(public["age"].maximum), "hours-per-week": int(public["hours-per-week"].maximum)}
    for col in [*RARE, "income"]:
        seen = set(base[col])
        unseen = [c for c in public[col].categories or () if c not in seen]
        canary[col] = unseen[-1] if unseen else base[col].value_counts().index[-1]
    return base, public, canary


def statistics(synth: pd.DataFrame, canary: dict) -> list[int]:
    """``s_k``: synthetic rows that agree with the canary on its first ``k`` rare columns."""
    match = np.ones(len(synth), dtype=bool)
    out = []
    for col in RARE:
        match &= synth[col].to_numpy() == canary[col]
        out.append(int(match.sum()))
    return out


def run_world(
    name: str, params: dict, data: pd.DataFrame, schema: simulacra.TableSchema, canary: dict, n: int, seeds: list[int]
) -> np.ndarray:
    """The attack's statistics on one synthetic table per seed."""
    stats = []
    for seed in seeds:
        gen = simulacra.create_generator(name, random_state=seed, **params).fit(data, schema)
        stats.append(statistics(gen.sample(n, random_state=seed), canary))
        if "jax" in sys.modules:  # mst / aim: JAX keeps every compiled program; hundreds of fits exhaust memory
            sys.modules["jax"].clear_caches()
    return np.asarray(stats, dtype=float)


def audit(name: str, epsilon: float | None, args: argparse.Namespace) -> dict:
    base, schema, canary = load_table(args.rows, args.seed)
    with_canary = pd.concat([base, pd.DataFrame([canary])[COLUMNS].astype(base.dtypes.to_dict())], ignore_index=True)
    accepts = generator_params(generator_class(name))
    params = {"epsilon": epsilon, "delta": args.delta} if epsilon is not None and "epsilon" in accepts else {}
    t0 = time.perf_counter()
    seeds_in = [1_000_003 * (i + 1) for i in range(args.trials)]
    seeds_out = [2_000_003 * (i + 1) for i in range(args.trials)]
    pos = run_world(name, params, with_canary, schema, canary, args.synth, seeds_in)
    neg = run_world(name, params, base, schema, canary, args.synth, seeds_out)
    seconds = time.perf_counter() - t0
    delta = args.delta if params else 0.0
    half_p, half_n = len(pos) // 2, len(neg) // 2
    # choose the statistic and threshold on the calibration halves
    best_k, best_t, best_e = 0, math.inf, -1.0
    for k in range(pos.shape[1]):
        t = best_threshold(pos[:half_p, k], neg[:half_n, k], delta)
        tp, fp = int((pos[:half_p, k] >= t).sum()), int((neg[:half_n, k] >= t).sum())
        e = epsilon_lower_bound(tp=tp, n_pos=half_p, fp=fp, n_neg=half_n, delta=delta, alpha=0.5)
        if e > best_e:
            best_k, best_t, best_e = k, t, e
    test_p, test_n = pos[half_p:, best_k], neg[half_n:, best_k]
    tp, fp = int((test_p >= best_t).sum()), int((test_n >= best_t).sum())
    eps_lb = epsilon_lower_bound(tp=tp, n_pos=len(test_p), fp=fp, n_neg=len(test_n), delta=delta, alpha=0.05)
    result = AuditResult(best_t, tp, len(test_p), fp, len(test_n), eps_lb, 0.05)
    return {
        "generator": name,
        "epsilon": epsilon if params else None,
        "delta": delta,
        "rows": args.rows,
        "trials_per_world": args.trials,
        "statistic": f"s_{best_k + 1}",
        "threshold": result.threshold,
        "tpr": tp / len(test_p),
        "fpr": fp / len(test_n),
        "epsilon_lb": result.epsilon_lb,
        "mean_stat_in": float(pos[:, best_k].mean()),
        "mean_stat_out": float(neg[:, best_k].mean()),
        "seconds": seconds,
        "holds": (result.epsilon_lb <= epsilon) if params and epsilon is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("generator", help="registered generator name (privbayes, mst, aim, gaussian_copula ...)")
    ap.add_argument("--epsilon", type=float, nargs="*", default=[1.0, 4.0], help="claimed epsilons to audit")
    ap.add_argument("--delta", type=float, default=1e-5)
    ap.add_argument("--trials", type=int, default=200, help="fits per world (with and without the canary)")
    ap.add_argument("--rows", type=int, default=100, help="rows of the fixed table D")
    ap.add_argument("--synth", type=int, default=2000, help="synthetic rows per fit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "dp_audit.json", help="JSON lines appended here")
    args = ap.parse_args(argv)
    accepts = generator_params(generator_class(args.generator))
    epsilons: list[float | None] = list(args.epsilon) if "epsilon" in accepts else [None]
    rows = []
    for eps in epsilons:
        rows.append(audit(args.generator, eps, args))
        r = rows[-1]
        print(
            f"{r['generator']:<16} eps={'-' if r['epsilon'] is None else r['epsilon']:<5} delta={r['delta']:<7g} "
            f"trials={r['trials_per_world']}/world  test {r['statistic']}>={r['threshold']:g}: "
            f"TPR={r['tpr']:.2f} FPR={r['fpr']:.2f}  eps_lb(95%)={r['epsilon_lb']:.2f}  "
            f"holds={r['holds']}  {r['seconds']:.0f}s",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return 0 if all(r["holds"] in (None, True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
