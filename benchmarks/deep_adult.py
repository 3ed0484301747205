"""Benchmark simulacra's deep generators (``gan``, ``vae``) against SDV's CTGAN and TVAE on UCI Adult.

Run from the repository root (SDV and SDMetrics run in ``benchmarks/.venv-sdv``, see README.md)::

    .venv/bin/python benchmarks/deep_adult.py speed   [--epochs 5] [--rounds 2] [--threads 1]
    .venv/bin/python benchmarks/deep_adult.py quality [--minutes 10] [--epochs 300] [--threads 1]
        [--models gan,vae] [--sdv ctgan,tvae --sdv-epochs 300]

``speed`` trains each model for ``--epochs`` epochs at batch size 500, our model and SDV's one after the
other, ``--rounds`` times (interleaved, because other work on the machine makes timing noisy), each in
its own process, and prints the median seconds per epoch and the ratio ours / SDV's.

``quality`` fits our models on the train split with a ``--minutes`` budget (and at most ``--epochs``),
samples 32,561 rows and scores them against the holdout: shape error and strong-pair trend error
(100 * (1 - score) of SDMetrics' Column Shapes / Column Pair Trends, as ``adult_copula.py`` scores),
TSTR ROC AUC (HistGradientBoostingClassifier trained on synthetic rows, tested on the holdout,
income '>50K'), DCR share (full train vs holdout, ideal 0.80), exact copies of training rows and how
rare categories (< 1% of rows) survive. With ``--sdv``, SDV's models are trained for ``--sdv-epochs``
and scored alike.

Split: 80/20, seed 0, stratified on income (26,048 / 6,513 rows), as in peer-baseline.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from adult_copula import DEFAULT_DATA, NUMERICAL, SDV_VENV, load_split, sdtypes  # noqa: E402

TARGET = "income"
SAMPLE_ROWS = 32_561
SEED = 0
DCR_ROWS = 5000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- workers ------------------------------------------------------------------------------------------
def worker(args: argparse.Namespace) -> int:
    """Fit one of our models in this process; write timings (and optionally the sample) as JSON/CSV."""
    import simulacra

    train, _ = load_split(args.data)
    schema = simulacra.profile(train)
    params: dict[str, Any] = {"epochs": args.epochs, "random_state": SEED, "threads": args.threads}
    params["max_minutes"] = args.minutes
    params["early_stopping"] = args.early_stopping
    params.update(json.loads(args.params))
    gen = simulacra.create_generator(args.worker, **params)
    t0 = time.perf_counter()
    gen.fit(train, schema)
    fit_s = time.perf_counter() - t0
    info = gen.training_  # type: ignore[attr-defined]
    out: dict[str, Any] = {"generator": f"simulacra {args.worker}", "fit_s": fit_s, **info}
    out["epoch_s_median"] = float(np.median(info["epoch_seconds"]))
    out["params"] = json.loads(args.params)
    if args.out_csv:
        t0 = time.perf_counter()
        synthetic = gen.sample(SAMPLE_ROWS, random_state=SEED)
        out["sample_s"] = time.perf_counter() - t0
        synthetic.to_csv(args.out_csv, index=False)
    Path(args.out_json).write_text(json.dumps(out, indent=2))
    return 0


def run(cmd: list[str], what: str) -> bool:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    status = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    log(f"{what}: {status} in {time.perf_counter() - t0:.1f} s")
    if proc.returncode != 0:
        print("\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:]), file=sys.stderr)
    return proc.returncode == 0


def ours_cmd(args: argparse.Namespace, model: str, epochs: int, out_json: Path, out_csv: Path | None) -> list[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "worker", "--worker", model, "--data", str(args.data)]
    cmd += ["--epochs", str(epochs), "--threads", str(args.threads), "--out-json", str(out_json)]
    if getattr(args, "minutes", None):
        cmd += ["--minutes", str(args.minutes)]
    cmd += ["--early-stopping"] if args.early_stopping else ["--no-early-stopping"]
    cmd += ["--params", json.dumps(args.params_by_model.get(model, {}))]
    if out_csv is not None:
        cmd += ["--out-csv", str(out_csv)]
    return cmd


def sdv_cmd(
    args: argparse.Namespace, model: str, epochs: int, work: Path, out_json: Path, out_csv: Path | None
) -> list[str]:
    cmd = [str(args.sdv_venv / "bin" / "python"), str(HERE / "_sdv_deep.py"), "--model", model]
    cmd += ["--train", str(work / "train.csv"), "--metadata", str(work / "metadata.json"), "--epochs", str(epochs)]
    cmd += ["--threads", str(args.threads), "--out-json", str(out_json)]
    if out_csv is not None:
        cmd += ["--out-csv", str(out_csv), "--rows", str(SAMPLE_ROWS)]
    return cmd


def prepare(args: argparse.Namespace, work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    train, holdout = load_split(args.data)
    train.to_csv(work / "train.csv", index=False)
    holdout.to_csv(work / "holdout.csv", index=False)
    (work / "metadata.json").write_text(json.dumps({"columns": sdtypes(list(train.columns))}, indent=2))
    return train, holdout


# -- speed --------------------------------------------------------------------------------------------
def speed(args: argparse.Namespace, work: Path) -> int:
    prepare(args, work)
    models = [m for m in args.models.split(",") if m]
    pairs = [(ours, theirs) for ours, theirs in (("gan", "ctgan"), ("vae", "tvae")) if ours in models]
    times: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for r in range(args.rounds):
        for ours, theirs in pairs:
            for who, cmd in (
                (ours, ours_cmd(args, ours, args.epochs, work / f"{ours}.json", None)),
                (theirs, sdv_cmd(args, theirs, args.epochs, work, work / f"{theirs}.json", None)),
            ):
                if run(cmd, f"round {r + 1}: {who}, {args.epochs} epochs, {args.threads} thread(s)"):
                    res = json.loads((work / f"{who}.json").read_text())
                    times.setdefault(who, []).extend(res["epoch_seconds"][1:] or res["epoch_seconds"])
                    cpu_s = res.get("epoch_cpu_seconds") or []
                    cpu.setdefault(who, []).extend(cpu_s[1:] or cpu_s)
    rows = "the same rows" if not args.early_stopping else "ours on 90% of the rows (early-stopping split)"
    print(f"\nper epoch (batch 500, {args.threads} torch thread(s), {rows}, median over {args.rounds} rounds)")
    print("wall seconds; process CPU seconds (all threads), steadier when other work shares the machine")
    for ours, theirs in pairs:
        for label, table in (("wall", times), ("CPU", cpu)):
            a, b = table.get(ours), table.get(theirs)
            if a and b:
                ma, mb = float(np.median(a)), float(np.median(b))
                line = f"  {label:4s} simulacra {ours}: {ma:.3f} s   SDV {theirs.upper()}: {mb:.3f} s"
                print(f"{line}   ratio {ma / mb:.2f} (target <= 0.50)")
    return 0


# -- quality ------------------------------------------------------------------------------------------
def quality(args: argparse.Namespace, work: Path) -> int:
    train, holdout = prepare(args, work)
    runs: dict[str, dict[str, Any]] = {}
    csvs: dict[str, Path] = {}
    for model in [m for m in args.models.split(",") if m]:
        out_json, out_csv = work / f"{model}.json", work / f"{model}.csv"
        if run(ours_cmd(args, model, args.epochs, out_json, out_csv), f"simulacra {model} ({args.minutes} min budget)"):
            runs[model] = json.loads(out_json.read_text())
            csvs[model] = out_csv
    for model in [m for m in args.sdv.split(",") if m]:
        out_json, out_csv = work / f"sdv_{model}.json", work / f"sdv_{model}.csv"
        if run(sdv_cmd(args, model, args.sdv_epochs, work, out_json, out_csv), f"SDV {model} ({args.sdv_epochs} ep)"):
            runs[f"sdv_{model}"] = json.loads(out_json.read_text())
            csvs[f"sdv_{model}"] = out_csv
    if not csvs:
        return 1
    cmd = [
        str(args.sdv_venv / "bin" / "python"),
        str(HERE / "_sdmetrics_score.py"),
        "--real",
        str(work / "holdout.csv"),
    ]
    cmd += ["--metadata", str(work / "metadata.json"), "--subsample", str(len(train)), "--seed", str(SEED)]
    cmd += ["--out", str(work / "scores.json")]
    for name, path in csvs.items():
        cmd += ["--synthetic", f"{name}={path}"]
    scores = json.loads((work / "scores.json").read_text())["results"] if run(cmd, "SDMetrics scoring") else {}
    rows = []
    for name, path in csvs.items():
        synthetic = pd.read_csv(path, keep_default_na=False, na_values=[""])
        synthetic = synthetic.astype({c: train[c].dtype for c in train.columns if c in NUMERICAL}, errors="ignore")
        r = runs[name]
        s = scores.get(name, {})
        row = {
            "model": name,
            "epochs": r.get("epochs_run", r.get("epochs")),
            "stopped_by": r.get("stopped_by", "epochs"),
            "epoch_s": r.get("epoch_s_median"),
            "fit_s": r.get("fit_s"),
            "sample_s": r.get("sample_s"),
            "shape_err": 100 * (1 - s["column_shapes"]) if s else None,
            "trend_err_strong": 100 * (1 - s["pair_trends_strong"]) if s else None,
            "tstr_auc": tstr_auc(synthetic, holdout),
            "dcr_share": dcr_share(synthetic, train, holdout),
            "exact_copies": exact_copies(synthetic, train),
            **rare_categories(synthetic, train),
        }
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(table)
    print("targets: shape_err <= 8, trend_err_strong <= 10, tstr_auc >= 0.89, dcr_share <= 0.82, exact_copies 0,")
    print("         rare categories (< 1% of rows) within a factor of two of the real rate")
    if args.out:
        Path(args.out).write_text(table.reset_index().to_json(orient="records", indent=2))
    return 0


def _features(frame: pd.DataFrame, categories: dict[str, list[str]]) -> pd.DataFrame:
    out = frame.drop(columns=[TARGET]).copy()
    for c, cats in categories.items():
        out[c] = pd.Categorical(out[c].astype(str), categories=cats)
    return out


def tstr_auc(synthetic: pd.DataFrame, holdout: pd.DataFrame) -> float:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    cats = [c for c in holdout.columns if c not in NUMERICAL and c != TARGET]
    categories = {c: sorted(set(holdout[c].astype(str)) | set(synthetic[c].astype(str))) for c in cats}
    y_syn = synthetic[TARGET].astype(str).str.strip().str.rstrip(".") == ">50K"
    y_real = holdout[TARGET].astype(str).str.strip().str.rstrip(".") == ">50K"
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(_features(synthetic, categories), y_syn)
    return float(roc_auc_score(y_real, model.predict_proba(_features(holdout, categories))[:, 1]))


def _encode(frame: pd.DataFrame, train: pd.DataFrame) -> np.ndarray:
    parts = []
    for c in train.columns:
        if c in NUMERICAL:
            lo, hi = float(train[c].min()), float(train[c].max())
            parts.append(((frame[c].astype(float) - lo) / ((hi - lo) or 1.0)).to_numpy()[:, None])
        else:
            cats = sorted(set(train[c].astype(str)))
            codes = pd.Categorical(frame[c].astype(str), categories=cats).codes
            onehot = np.zeros((len(frame), len(cats)))
            ok = codes >= 0
            onehot[np.flatnonzero(ok), codes[ok]] = 1.0 / np.sqrt(2.0)
            parts.append(onehot)
    return np.hstack(parts)


def dcr_share(synthetic: pd.DataFrame, train: pd.DataFrame, holdout: pd.DataFrame) -> float:
    """Share of synthetic rows (a seeded 5,000) whose nearest real row is in train (ties count 1/2)."""
    from sklearn.neighbors import NearestNeighbors

    syn = synthetic.sample(n=min(DCR_ROWS, len(synthetic)), random_state=SEED)
    s = _encode(syn, train)
    d_train = NearestNeighbors(n_neighbors=1).fit(_encode(train, train)).kneighbors(s)[0][:, 0]
    d_hold = NearestNeighbors(n_neighbors=1).fit(_encode(holdout, train)).kneighbors(s)[0][:, 0]
    return float(np.mean(d_train < d_hold) + 0.5 * np.mean(np.isclose(d_train, d_hold)))


def exact_copies(synthetic: pd.DataFrame, train: pd.DataFrame) -> float:
    key = list(train.columns)
    real = set(map(tuple, train[key].astype(str).to_numpy()))
    return float(np.mean([tuple(r) in real for r in synthetic[key].astype(str).to_numpy()]))


def rare_categories(synthetic: pd.DataFrame, train: pd.DataFrame) -> dict[str, Any]:
    """Categories under 1% of training rows: share whose synthetic rate is within [1/2, 2] x the real rate."""
    ratios, ratios_50 = [], []
    for c in train.columns:
        if c in NUMERICAL:
            continue
        real = train[c].astype(str).value_counts(normalize=True)
        syn = synthetic[c].astype(str).value_counts(normalize=True)
        counts = train[c].astype(str).value_counts()
        for cat, rate in real.items():
            if rate < 0.01:
                ratio = float(syn.get(cat, 0.0) / rate)
                ratios.append(ratio)
                if counts[cat] >= 50:
                    ratios_50.append(ratio)

    def within(values: list[float]) -> float | None:
        return float(np.mean([0.5 <= v <= 2.0 for v in values])) if values else None

    return {
        "rare_n": len(ratios),
        "rare_within_2x": within(ratios),
        "rare50_within_2x": within(ratios_50),
        "rare_min_ratio": min(ratios) if ratios else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("mode", choices=("speed", "quality", "worker"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sdv-venv", type=Path, default=SDV_VENV)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for every model (default 1)")
    parser.add_argument("--epochs", type=int, default=None, help="speed: 5; quality: 300 (at most)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=None, help="quality: time budget of our models (10)")
    parser.add_argument("--models", default="gan,vae")
    parser.add_argument("--sdv", default="", help="quality: SDV models to train and score too (ctgan,tvae)")
    parser.add_argument("--sdv-epochs", type=int, default=300)
    parser.add_argument("--no-early-stopping", dest="early_stopping", action="store_false")
    parser.add_argument("--early-stopping", dest="early_stopping", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--params",
        default="{}",
        help='extra parameters of our models as JSON, e.g. \'{"vae": {"numeric_encoding": "mode"}}\' (by model)',
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="quality: results JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--out-json", help=argparse.SUPPRESS)
    parser.add_argument("--out-csv", help=argparse.SUPPRESS)
    parser.set_defaults(early_stopping=True)
    args = parser.parse_args(argv)
    args.data = args.data.resolve()
    if args.mode != "worker":
        args.params_by_model = json.loads(args.params)
    if args.mode == "worker":
        return worker(args)
    if args.mode == "speed":
        args.epochs = args.epochs or 5
        args.early_stopping = False
        args.minutes = None
    else:
        args.epochs = args.epochs or 300
        args.minutes = args.minutes if args.minutes is not None else 10.0
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="simulacra-deep-") as tmp:
            return (speed if args.mode == "speed" else quality)(args, Path(tmp))
    args.workdir.mkdir(parents=True, exist_ok=True)
    return (speed if args.mode == "speed" else quality)(args, args.workdir.resolve())


if __name__ == "__main__":
    sys.exit(main())
