"""simulacra's ``argn`` against mostlyai-engine's TabularARGN on Adult and TabSyn datasets, with the real-data floor.

Run from the repository root. TabularARGN runs in ``benchmarks/.venv-mostlyai`` (``setup_mostlyai_env.sh``),
SDMetrics in ``benchmarks/.venv-sdv`` (``setup_sdv_env.sh``); neither is a dependency of simulacra::

    .venv/bin/python benchmarks/argn_vs_tabularargn.py [--datasets adult,credit_default,online_shoppers]
        [--who argn,tabularargn] [--minutes 15] [--threads 1] [--params '{"random_order": 0.5}']
        [--work benchmarks/results/argn_vs_tabularargn]

Per dataset: a seeded 80/20 split (seed 0, stratified on the target; Adult exactly as ``adult_copula.py``
splits it), each model fitted on the train part in its own process (``--threads`` torch threads, fit
seconds include preprocessing), ``len(train)`` rows sampled, and every table scored against the holdout:

- shape / trend error: 100 * (1 - score) of SDMetrics 0.32's Column Shapes and Column Pair Trends (strong
  pairs, SDMetrics' default thresholds; and all pairs) against the holdout, as in peer-baseline.md; and the
  all-pairs error with both tables' numeric columns binned at the holdout's edges (``trend_err_all_shared``:
  the report bins each table over its own range, see ``_sdmetrics_score.py``);
- TSTR ROC AUC: HistGradientBoostingClassifier (native categoricals, random_state 0) trained on the table,
  tested on the holdout's target;
- detection AUC: simulacra's Detection metric (5-fold C2ST) of the table against the train part;
- DCR share: share of (at most 5,000) rows whose nearest real row (numerics min-max scaled, categoricals
  one-hot / sqrt 2) is in train rather than the holdout (ideal: train / (train + holdout) = 0.80);
- exact copies: share of rows equal to a train row on every column (for the floor row: the holdout's own
  share, the bar a generator must stay under).

The ``real`` row is the train part itself scored the same way: sampling noise, the floor. Results of
finished runs are kept in ``--work`` and reused unless ``--refit``; ``--who`` picks which models to (re)run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "datasets"
sys.path.insert(0, str(HERE))
SDV_VENV = HERE / ".venv-sdv"
MOSTLYAI_VENV = HERE / ".venv-mostlyai"
SEED = 0
DCR_ROWS = 5000


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str
    target: str
    positive: str
    categorical: tuple[str, ...]
    drop: tuple[str, ...] = ()


DATASETS = {
    "adult": Dataset(
        "adult",
        "adult/adult.csv",
        "income",
        ">50K",
        (
            "workclass",
            "education",
            "marital-status",
            "occupation",
            "relationship",
            "race",
            "sex",
            "native-country",
            "income",
        ),
    ),
    # TabSyn's "default": sex, education, marriage and the six repayment statuses are categorical
    "credit_default": Dataset(
        "credit_default",
        "credit_default/UCI_Credit_Card.csv",
        "Y",
        "1",
        ("X2", "X3", "X4", "X6", "X7", "X8", "X9", "X10", "X11", "Y"),
        drop=("ID",),
    ),
    "online_shoppers": Dataset(
        "online_shoppers",
        "online_shoppers/online_shoppers_intention.csv",
        "Revenue",
        "True",
        ("Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend", "Revenue"),
    ),
    "magic_gamma": Dataset("magic_gamma", "magic_gamma/magic04.csv", "class", "g", ("class",)),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- data ---------------------------------------------------------------------------------------------
def load_split(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    if ds.name == "adult":
        from adult_copula import load_split as adult_split

        return adult_split(DATA / ds.path)
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(DATA / ds.path, keep_default_na=False, na_values=[""]).drop(columns=list(ds.drop))
    train, holdout = train_test_split(frame, test_size=0.2, random_state=SEED, stratify=frame[ds.target].astype(str))
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def read_table(path: Path, ds: Dataset, columns: list[str]) -> pd.DataFrame:
    """A CSV with numerics as numbers and categoricals as strings (so both models' outputs compare alike)."""
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)[columns]
    for c in columns:
        if c in ds.categorical:
            frame[c] = frame[c].astype(object)
        else:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


# -- workers ------------------------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> int:
    """Fit simulacra's argn in this process on --train; sample --rows rows; write CSV and timings."""
    import simulacra

    train = pd.read_csv(args.train, keep_default_na=False, na_values=[""])
    params: dict[str, Any] = {"random_state": SEED, "threads": args.threads, "max_minutes": args.minutes}
    params.update(json.loads(args.params))
    gen = simulacra.create_generator("argn", **params)
    t0 = time.perf_counter()
    gen.fit(train)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    synthetic = gen.sample(args.rows, random_state=SEED + 1)
    sample_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    gen.sample(100_000, random_state=SEED + 2)
    sample_100k_s = time.perf_counter() - t2
    synthetic.to_csv(args.out_csv, index=False)
    info = gen.training_
    out = {
        "fit_s": fit_s,
        "sample_s": sample_s,
        "sample_100k_s": sample_100k_s,
        "epochs": info["epochs_run"],
        "best_epoch": info["best_epoch"],
        "stopped_by": info["stopped_by"],
        "epoch_s_median": float(np.median(info["epoch_seconds"])),
        "threads": args.threads,
        "params": params,
    }
    Path(args.out_json).write_text(json.dumps(out, indent=2))
    return 0


def run(cmd: list[str], what: str) -> bool:
    log(f"{what}: {' '.join(cmd)}")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        log(f"{what} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return False
    log(f"{what} done in {time.perf_counter() - t0:.1f} s")
    return True


# -- scores -------------------------------------------------------------------------------------------
def _features(frame: pd.DataFrame, ds: Dataset, categories: dict[str, list[str]]) -> pd.DataFrame:
    out = frame.drop(columns=[ds.target]).copy()
    for c, cats in categories.items():
        out[c] = pd.Categorical(out[c].astype(str), categories=cats)
    return out


def _is_positive(values: pd.Series, ds: Dataset) -> np.ndarray:
    text = values.astype(str).str.strip().str.rstrip(".").str.lower()
    return np.asarray(text == ds.positive.lower())


def tstr_auc(table: pd.DataFrame, holdout: pd.DataFrame, ds: Dataset) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    cats = [c for c in ds.categorical if c != ds.target]
    categories = {c: sorted(set(holdout[c].astype(str)) | set(table[c].astype(str))) for c in cats}
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(_features(table, ds, categories), _is_positive(table[ds.target], ds))
    proba = model.predict_proba(_features(holdout, ds, categories))[:, 1]
    return float(roc_auc_score(_is_positive(holdout[ds.target], ds), proba))


def _encode(frame: pd.DataFrame, train: pd.DataFrame, ds: Dataset) -> np.ndarray:
    parts = []
    for c in train.columns:
        if c not in ds.categorical:
            lo, hi = float(train[c].min()), float(train[c].max())
            parts.append(((frame[c].astype(float).fillna(lo) - lo) / ((hi - lo) or 1.0)).to_numpy()[:, None])
        else:
            cats = sorted(set(train[c].astype(str)))
            codes = pd.Index(cats).get_indexer(frame[c].astype(str))
            onehot = np.zeros((len(frame), len(cats)))
            ok = codes >= 0
            onehot[np.flatnonzero(ok), codes[ok]] = 1.0 / np.sqrt(2.0)
            parts.append(onehot)
    return np.hstack(parts)


def dcr_share(table: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame, ds: Dataset) -> float:
    """Share of rows (a seeded 5,000) whose nearest real row is in train (ties count 1/2)."""
    from sklearn.neighbors import NearestNeighbors

    rows = table.sample(n=min(DCR_ROWS, len(table)), random_state=SEED)
    s = _encode(rows, train, ds)
    d_train = NearestNeighbors(n_neighbors=1).fit(_encode(train, train, ds)).kneighbors(s)[0][:, 0]
    d_hold = NearestNeighbors(n_neighbors=1).fit(_encode(holdout, train, ds)).kneighbors(s)[0][:, 0]
    return float(np.mean(d_train < d_hold) + 0.5 * np.mean(np.isclose(d_train, d_hold)))


def exact_copies(table: pd.DataFrame, train: pd.DataFrame) -> float:
    def keys(frame: pd.DataFrame) -> list[tuple[str, ...]]:
        text = frame[list(train.columns)].copy()
        for c in text.columns:
            if pd.api.types.is_numeric_dtype(text[c]):
                text[c] = text[c].round(6)
        return list(map(tuple, text.astype(str).to_numpy()))

    real = set(keys(train))
    return float(np.mean([k in real for k in keys(table)]))


def detection_auc(table: pd.DataFrame, train: pd.DataFrame) -> float:
    import simulacra
    from simulacra.evaluation.fidelity.detection import Detection

    schema = simulacra.profile(train)
    return float(Detection().compute(train, table, schema).score)


# -- main ---------------------------------------------------------------------------------------------
def bench(args: argparse.Namespace, ds: Dataset) -> pd.DataFrame:
    work = args.work / ds.name
    work.mkdir(parents=True, exist_ok=True)
    train, holdout = load_split(ds)
    train.to_csv(work / "train.csv", index=False)
    holdout.to_csv(work / "holdout.csv", index=False)
    columns = list(train.columns)
    meta = {c: {"sdtype": "categorical" if c in ds.categorical else "numerical"} for c in columns}
    (work / "metadata.json").write_text(json.dumps({"columns": meta}, indent=2))
    rows = str(len(train))
    who = [w for w in args.who.split(",") if w]
    if "argn" in who and (args.refit or not (work / "argn.json").exists()):
        cmd = [sys.executable, __file__, "worker", "--train", str(work / "train.csv"), "--rows", rows]
        cmd += ["--out-csv", str(work / "argn.csv"), "--out-json", str(work / "argn.json")]
        cmd += ["--threads", str(args.threads), "--minutes", str(args.minutes), "--params", args.params]
        run(cmd, f"{ds.name}: simulacra argn")
    if "tabularargn" in who and (args.refit or not (work / "tabularargn.json").exists()):
        cmd = [str(args.mostlyai_venv / "bin" / "python"), str(HERE / "_tabularargn.py")]
        cmd += ["--train", str(work / "train.csv"), "--rows", rows, "--threads", str(args.threads)]
        cmd += ["--out-csv", str(work / "tabularargn.csv"), "--out-json", str(work / "tabularargn.json")]
        cmd += ["--minutes", str(args.peer_minutes)]
        run(cmd, f"{ds.name}: mostlyai-engine TabularARGN")
    tables = {"real": work / "train.csv"}
    for name in ("argn", "tabularargn"):
        if (work / f"{name}.csv").exists():
            tables[name] = work / f"{name}.csv"
    cmd = [
        str(args.sdv_venv / "bin" / "python"),
        str(HERE / "_sdmetrics_score.py"),
        "--real",
        str(work / "holdout.csv"),
    ]
    cmd += ["--metadata", str(work / "metadata.json"), "--seed", str(SEED), "--out", str(work / "scores.json")]
    for name, path in tables.items():
        cmd += ["--synthetic", f"{name}={path}"]
    scores = json.loads((work / "scores.json").read_text())["results"] if run(cmd, f"{ds.name}: SDMetrics") else {}
    train_t = read_table(work / "train.csv", ds, columns)
    hold_t = read_table(work / "holdout.csv", ds, columns)
    out = []
    for name, path in tables.items():
        table = read_table(path, ds, columns)
        info = json.loads((work / f"{name}.json").read_text()) if name != "real" else {}
        s = scores.get(name, {})
        out.append(
            {
                "dataset": ds.name,
                "model": name,
                "fit_s": info.get("fit_s"),
                "epochs": info.get("epochs"),
                "shape_err": 100 * (1 - s["column_shapes"]) if s else None,
                "trend_err": 100 * (1 - s["pair_trends_strong"]) if s else None,
                "trend_err_all": 100 * (1 - s["pair_trends_all"]) if s else None,
                "trend_err_all_shared": 100 * (1 - s["pair_trends_all_shared_bins"])
                if s and s.get("pair_trends_all_shared_bins") is not None
                else None,
                "tstr_auc": tstr_auc(table, hold_t, ds),
                "detection_auc": detection_auc(table if name != "real" else hold_t, train_t),
                "dcr_share": dcr_share(table if name != "real" else hold_t, train_t, hold_t, ds)
                if name != "real"
                else len(train_t) / (len(train_t) + len(hold_t)),
                "exact_copies": exact_copies(table if name != "real" else hold_t, train_t),
                "sample_100k_s": info.get("sample_100k_s"),
            }
        )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("worker")
    w.add_argument("--train", required=True)
    w.add_argument("--rows", type=int, required=True)
    w.add_argument("--out-csv", required=True)
    w.add_argument("--out-json", required=True)
    w.add_argument("--threads", type=int, default=1)
    w.add_argument("--minutes", type=float, default=15.0)
    w.add_argument("--params", default="{}")
    parser.add_argument("--datasets", default="adult,credit_default,online_shoppers")
    parser.add_argument("--who", default="argn,tabularargn", help="models to fit (missing results are fitted)")
    parser.add_argument("--refit", action="store_true", help="fit again even when results exist")
    parser.add_argument("--minutes", type=float, default=15.0, help="argn's max_minutes")
    parser.add_argument("--peer-minutes", type=float, default=15.0, help="TabularARGN's max_training_time")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--params", default="{}", help="more argn parameters as JSON")
    parser.add_argument("--work", type=Path, default=HERE / "results" / "argn_vs_tabularargn")
    parser.add_argument("--sdv-venv", type=Path, default=SDV_VENV)
    parser.add_argument("--mostlyai-venv", type=Path, default=MOSTLYAI_VENV)
    args = parser.parse_args(argv)
    if args.command == "worker":
        return worker(args)
    frames = []
    for name in [d for d in args.datasets.split(",") if d]:
        frames.append(bench(args, DATASETS[name]))
        table = pd.concat(frames, ignore_index=True)
        table.to_json(args.work / "table.json", orient="records", indent=2)
    table = pd.concat(frames, ignore_index=True)
    with pd.option_context("display.width", 220, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    print("real = the train part itself against the holdout (the floor); its exact_copies is the holdout's share")
    print("of rows equal to a train row, its dcr_share the ideal. Errors in %, lower is better.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
