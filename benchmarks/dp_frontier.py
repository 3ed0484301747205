"""Privacy-utility frontier: every DP generator at epsilon 0.1 .. 10 on Adult and NIST's national2019.

Run from the repository root (resumable: cells already in the results JSON are skipped; ``--redo`` runs
them again)::

    .venv/bin/python benchmarks/dp_frontier.py [--datasets adult,national2019] [--generators mst,aim,privbayes]
        [--epsilons 0.1,0.3,1,3,10] [--aim-rounds 1.0] [--aim-per-round 6] [--aim-final-iters 500] [--deep]
    .venv/bin/python benchmarks/dp_frontier.py --plot-only     # table + PNG from the results JSON

Data (the loading and public domains of ``dp_adult.py`` and ``dp_nist.py``, imported, not copied):

* ``adult``: UCI Adult, 80/20 split (seed 0), public schema = the whole file's profile without ``n_rows``
  (``dp_adult.load_adult``); TSTR target ``income`` (binary).
* ``national2019``: NIST CRC excerpt as a categorical table over NIST's data dictionary (``nist_domain``,
  numeric columns cut into 10 bins over the dictionary's ranges), 80/20 split (seed 0); TSTR target
  ``OWN_RENT`` (group quarters / own / rent: a household outcome the dictionary defines for every row;
  ROC AUC is the macro one-vs-rest mean over the three classes).

Each cell: fit at (epsilon, delta=1e-9) on the train split with the public schema, sample as many rows as
the train split, then judge against the train split and the holdout:

* ``kmarginal``: NIST CRC k-marginal over every 3-way marginal, 0..1000 (as in ``dp_nist.py``);
* ``shape_err`` / ``trend_err``: 100 x (1 - score) of ``fidelity.column_shapes`` and
  ``fidelity.column_pairs_strong`` (the suite's headline fidelity figures; lower is better);
* ``tstr_auc``: ``utility.tstr`` (boosted model trained on the synthetic rows, ROC AUC on the holdout);
* ``fit_s``: fit wall time in this process (the machine's load inflates it).

References per dataset: the holdout itself (its k-marginal and shape/trend figures against the train split,
and TRTR for TSTR: the ceiling) and simulacra's non-private Gaussian copula. AIM's time knobs: the sweep
plans ``--aim-rounds`` x n_columns rounds (AIM's own default is two per column) with ``--aim-per-round``
selections per model re-estimation and ``--aim-final-iters`` final mirror-descent iterations, which keeps
one AIM fit on national2019 at about 1-2 minutes on the shared 2-core machine (4 at AIM's defaults).
DP-SGD ``gan``/``vae`` are optional (``--deep``, ``--deep-epochs``, ``--deep-rows``): slow on CPU.

Writes ``benchmarks/results/dp_frontier.json`` (``--out``), ``docs/dp_frontier.png`` (``--png``) and, with
``--package``, the copy shipped in ``src/simulacra/data/dp_frontier.json`` that the HTML report draws.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import simulacra  # noqa: E402
from dp_adult import load_adult  # noqa: E402
from dp_nist import SHARED as NIST_DIR  # noqa: E402
from nist_domain import categorical_table  # noqa: E402
from simulacra.evaluation.fidelity.kmarginal import KMarginal  # noqa: E402

EPSILONS = (0.1, 0.3, 1.0, 3.0, 10.0)
ORDER = (1.0, 0.1, 10.0, 0.3, 3.0)  # run order: partial results already span the range
TARGETS = {"adult": "income", "national2019": "OWN_RENT"}
METRICS = ["fidelity.column_shapes", "fidelity.column_pairs_strong", "utility.tstr"]
PACKAGE_COPY = REPO / "src" / "simulacra" / "data" / "dp_frontier.json"


def load(name: str) -> tuple[pd.DataFrame, pd.DataFrame, simulacra.TableSchema]:
    if name == "adult":
        return load_adult()
    frame, schema, _ = categorical_table(NIST_DIR, name, bins=10)
    perm = np.random.default_rng(0).permutation(len(frame))
    n_train = int(0.8 * len(frame))
    train = frame.iloc[perm[:n_train]].reset_index(drop=True)
    holdout = frame.iloc[perm[n_train:]].reset_index(drop=True)
    return train, holdout, schema


def judge(
    train: pd.DataFrame, synth: pd.DataFrame, holdout: pd.DataFrame, schema: simulacra.TableSchema, target: str
) -> dict[str, Any]:
    synth = synth[list(train.columns)]
    k = KMarginal(max_marginals=10**6).compute(train, synth, schema).score
    ev = simulacra.evaluate(train, synth, schema, holdout=holdout, target=target, metrics=METRICS, random_state=0)
    r = ev.results
    shapes, pairs, tstr = (r.get(m) for m in METRICS)
    return {
        "kmarginal": _num(k),
        "shape_err": _num(100 * (1 - shapes.score)) if shapes else None,
        "trend_err": _num(100 * (1 - pairs.score)) if pairs else None,
        "tstr_auc": _num(tstr.score) if tstr else None,
        # the references (holdout vs train, TRTR) come with every evaluation; kept once per dataset
        "_ref": {
            "shape_err": _num(100 * (1 - shapes.reference)) if shapes and shapes.reference is not None else None,
            "trend_err": _num(100 * (1 - pairs.reference)) if pairs and pairs.reference is not None else None,
            "tstr_auc": _num(tstr.reference) if tstr and tstr.reference is not None else None,
        },
    }


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else round(float(x), 4)


def _spent(gen: Any) -> float:
    ledger = gen.privacy_
    return float(ledger["epsilon_spent"] if isinstance(ledger, dict) else ledger.spent_epsilon())


def make(name: str, eps: float | None, args: argparse.Namespace, n_cols: int) -> Any:
    if name == "gaussian_copula":
        return simulacra.create_generator(name, random_state=0)
    extra: dict[str, Any] = {}
    if name == "aim":
        extra = {
            "rounds": max(1, round(args.aim_rounds * n_cols)),
            "per_round": args.aim_per_round,
            "final_iters": args.aim_final_iters,
        }
    elif name in ("gan", "vae"):
        extra = {"epochs": args.deep_epochs, "batch_size": 500, "max_minutes": None}
    return simulacra.create_generator(name, epsilon=eps, delta=args.delta, random_state=0, **extra)


def run_cell(dataset: str, name: str, eps: float | None, data: tuple, args: argparse.Namespace) -> dict[str, Any]:
    train, holdout, schema = data
    gen = make(name, eps, args, train.shape[1])
    rows = train.iloc[: args.deep_rows] if name in ("gan", "vae") and args.deep_rows else train
    t0 = time.perf_counter()
    gen.fit(rows, schema)
    fit_s = time.perf_counter() - t0
    synth = gen.sample(len(train), random_state=1)
    cell = {"dataset": dataset, "generator": name, "epsilon": eps, "fit_s": round(fit_s, 1)}
    if eps is not None:
        cell["epsilon_spent"] = round(_spent(gen), 4)
    if name == "aim":
        cell["params"] = {k: gen.get_params()[k] for k in ("rounds", "per_round", "final_iters", "iters")}
    cell.update(judge(train, synth, holdout, schema, TARGETS[dataset]))
    return cell


def holdout_cell(dataset: str, data: tuple) -> dict[str, Any]:
    train, holdout, schema = data
    k = KMarginal(max_marginals=10**6).compute(train, holdout[list(train.columns)], schema).score
    return {"dataset": dataset, "generator": "holdout", "epsilon": None, "kmarginal": _num(k)}


def _key(c: dict[str, Any]) -> tuple:
    return (c["dataset"], c["generator"], c["epsilon"])


def save(cells: list[dict[str, Any]], path: Path, args: argparse.Namespace) -> None:
    payload = {
        "description": "simulacra DP generators: epsilon vs utility (benchmarks/dp_frontier.py)",
        "delta": args.delta,
        "targets": TARGETS,
        "metrics": {
            "kmarginal": "NIST CRC k-marginal, all 3-way marginals, 0..1000 (higher is better)",
            "shape_err": "100 x (1 - fidelity.column_shapes) (lower is better)",
            "trend_err": "100 x (1 - fidelity.column_pairs_strong) (lower is better)",
            "tstr_auc": "utility.tstr ROC AUC on the holdout (higher is better)",
        },
        "cells": sorted(cells, key=lambda c: (c["dataset"], c["generator"], c["epsilon"] or 0.0)),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1) + "\n")
    tmp.replace(path)


def merge_refs(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move the references each evaluation carries into the dataset's ``holdout`` cell."""
    out = []
    refs: dict[str, dict[str, Any]] = {}
    for c in cells:
        c = dict(c)
        ref = c.pop("_ref", None)
        if ref:
            refs.setdefault(c["dataset"], {}).update({k: v for k, v in ref.items() if v is not None})
        out.append(c)
    for c in out:
        if c["generator"] == "holdout":
            for k, v in refs.get(c["dataset"], {}).items():
                c.setdefault(k, v)
    return out


def table(cells: list[dict[str, Any]]) -> str:
    lines = [
        f"{'dataset':<13} {'generator':<16} {'epsilon':>7} {'k-marg':>7} {'shape%':>7} {'trend%':>7} "
        f"{'TSTR':>6} {'fit s':>7}",
    ]

    def f(v: Any, spec: str) -> str:
        return "-" if v is None else format(v, spec)

    for c in sorted(cells, key=lambda c: (c["dataset"], c["generator"], c["epsilon"] or 0.0)):
        eps = "-" if c["epsilon"] is None else f"{c['epsilon']:g}"
        lines.append(
            f"{c['dataset']:<13} {c['generator']:<16} {eps:>7} {f(c.get('kmarginal'), '.1f'):>7} "
            f"{f(c.get('shape_err'), '.2f'):>7} {f(c.get('trend_err'), '.2f'):>7} "
            f"{f(c.get('tstr_auc'), '.3f'):>6} {f(c.get('fit_s'), '.1f'):>7}"
        )
    return "\n".join(lines)


def markdown(cells: list[dict[str, Any]]) -> str:
    """The table as Markdown (for docs/privacy.md)."""
    lines = [
        "| data set | generator | epsilon | k-marginal | shape error % | trend error % | TSTR ROC AUC | fit s |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def f(v: Any, spec: str) -> str:
        return "–" if v is None else format(v, spec)

    names = {"holdout": "holdout (real; TSTR: TRTR)", "gaussian_copula": "`gaussian_copula` (no DP)"}
    for c in sorted(cells, key=lambda c: (c["dataset"], c["epsilon"] is not None, c["generator"], c["epsilon"] or 0)):
        eps = "–" if c["epsilon"] is None else f"{c['epsilon']:g}"
        lines.append(
            f"| {c['dataset']} | {names.get(c['generator'], '`' + c['generator'] + '`')} | {eps} | "
            f"{f(c.get('kmarginal'), '.1f')} | {f(c.get('shape_err'), '.2f')} | {f(c.get('trend_err'), '.2f')} | "
            f"{f(c.get('tstr_auc'), '.3f')} | {f(c.get('fit_s'), '.1f')} |"
        )
    return "\n".join(lines)


def plot(cells: list[dict[str, Any]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = [d for d in TARGETS if any(c["dataset"] == d for c in cells)]
    cols = [
        ("kmarginal", "k-marginal (0-1000, higher better)"),
        ("shape_err", "shape error % (lower better)"),
        ("trend_err", "strong-pair trend error % (lower better)"),
        ("tstr_auc", "TSTR ROC AUC (higher better)"),
    ]
    fig, axes = plt.subplots(len(datasets), 4, figsize=(17, 3.6 * len(datasets)), squeeze=False)
    for i, ds in enumerate(datasets):
        here = [c for c in cells if c["dataset"] == ds]
        gens = sorted({c["generator"] for c in here if c["epsilon"] is not None})
        for j, (key, title) in enumerate(cols):
            ax = axes[i][j]
            for g in gens:
                pts = sorted((c["epsilon"], c[key]) for c in here if c["generator"] == g and c["epsilon"] is not None)
                pts = [(e, v) for e, v in pts if v is not None]
                if pts:
                    ax.plot(*zip(*pts, strict=True), marker="o", label=g)
            for ref, style in (("gaussian_copula", ":"), ("holdout", "--")):
                v = next((c.get(key) for c in here if c["generator"] == ref), None)
                if v is not None:
                    label = "Gaussian copula (no DP)" if ref == "gaussian_copula" else "holdout; TSTR: TRTR (real data)"
                    ax.axhline(v, color="grey" if ref == "holdout" else "black", linestyle=style, label=label)
            ax.set_xscale("log")
            ax.set_xticks(list(EPSILONS), [f"{e:g}" for e in EPSILONS])
            ax.set_xlabel("epsilon (delta 1e-9)")
            ax.set_title(f"{ds}: {title}", fontsize=9)
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="adult,national2019")
    ap.add_argument("--generators", default="mst,privbayes,aim")
    ap.add_argument("--epsilons", default=",".join(f"{e:g}" for e in ORDER), help="run in this order")
    ap.add_argument("--delta", type=float, default=1e-9)
    ap.add_argument("--aim-rounds", type=float, default=1.0, help="planned rounds per column (AIM's default: 2)")
    ap.add_argument("--aim-per-round", type=int, default=6, help="selections per model re-estimation (default 4)")
    ap.add_argument("--aim-final-iters", type=int, default=500, help="final mirror-descent iterations (1000)")
    ap.add_argument("--deep", action="store_true", help="also DP-SGD gan and vae (slow on CPU)")
    ap.add_argument("--deep-epochs", type=int, default=10)
    ap.add_argument("--deep-rows", type=int, default=None)
    ap.add_argument("--no-references", action="store_true", help="skip the holdout and Gaussian copula rows")
    ap.add_argument("--redo", action="store_true", help="run cells already in the results again")
    ap.add_argument("--plot-only", action="store_true")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "dp_frontier.json")
    ap.add_argument("--png", type=Path, default=REPO / "docs" / "dp_frontier.png")
    ap.add_argument("--package", action="store_true", help=f"also write {PACKAGE_COPY.relative_to(REPO)}")
    args = ap.parse_args(argv)
    cells: list[dict[str, Any]] = json.loads(args.out.read_text())["cells"] if args.out.exists() else []
    done = {_key(c): c for c in cells}
    datasets = [d for d in args.datasets.split(",") if d]
    gens = [g for g in args.generators.split(",") if g] + (["gan", "vae"] if args.deep else [])
    epsilons = [float(e) for e in args.epsilons.split(",") if e]

    def record(cell_fn: Callable[[], dict[str, Any]], key: tuple) -> None:
        if key in done and not args.redo:
            return
        t0 = time.perf_counter()
        cell = cell_fn()
        done[key] = cell
        save(merge_refs(list(done.values())), args.out, args)
        shown = {k: v for k, v in cell.items() if k not in ("_ref", "dataset")}
        print(f"[{time.strftime('%H:%M:%S')}] {key[0]} {shown} ({time.perf_counter() - t0:.0f} s)", flush=True)

    if not args.plot_only:
        loaded = {d: load(d) for d in datasets}
        if not args.no_references:
            for d in datasets:
                record(lambda d=d: holdout_cell(d, loaded[d]), (d, "holdout", None))
                record(lambda d=d: run_cell(d, "gaussian_copula", None, loaded[d], args), (d, "gaussian_copula", None))
        for eps in epsilons:
            for d in datasets:
                for g in gens:
                    record(lambda d=d, g=g, eps=eps: run_cell(d, g, eps, loaded[d], args), (d, g, eps))
    cells = merge_refs(list(done.values()))
    save(cells, args.out, args)
    print(markdown(cells) if args.markdown else table(cells))
    plot(cells, args.png)
    print(f"wrote {args.out} and {args.png}")
    if args.package:
        save(cells, PACKAGE_COPY, args)
        print(f"wrote {PACKAGE_COPY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
