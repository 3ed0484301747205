"""Benchmark simulacra's Gaussian copula against SDV's on UCI Adult: speed, memory and SDMetrics quality.

Run from the repository root (about a minute; SDV and SDMetrics run in their own venv, made once by
``bash benchmarks/setup_sdv_env.sh``)::

    .venv/bin/python benchmarks/adult_copula.py [--data ../shared/datasets/adult/adult.csv] [--skip-sdv] [--rows-1m]

What it does (definitions as in shared/research/peer-baseline.md):

1. reads Adult with ``simulacra.read_table`` and splits it 80/20, seed 0, stratified on ``income``
   (26,048 train / 6,513 holdout);
2. simulacra (in a subprocess, so that its peak RSS is its own): ``profile`` the train split, time
   ``fit`` and ``sample(32_561)``, and separately ``sample(100_000)``; with ``--rows-1m`` another
   subprocess streams 1,000,000 rows to Parquet through ``sample_chunks`` and ``io.TableWriter``;
3. SDV ``GaussianCopulaSynthesizer`` on the same train split (``_sdv_copula.py`` in the SDV venv);
4. scores every synthetic table, a seeded 26,048-row subsample of its 32,561 rows, against the holdout
   with SDMetrics' ``QualityReport`` (``_sdmetrics_score.py`` in the SDV venv): Column Shapes, Column
   Pair Trends with SDMetrics' default thresholds (the "strong" pairs) and over all 105 pairs; the real
   train split (ceiling) and an independent per-column resample of it (baseline) are scored alike;
5. prints a table and PASS/FAIL per target, and writes ``benchmarks/results/adult_copula.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "adult" / "adult.csv"
DEFAULT_OUT = HERE / "results" / "adult_copula.json"
SDV_VENV = HERE / ".venv-sdv"

NUMERICAL = ("age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week")
TARGET = "income"
SEED = 0
TEST_SIZE = 0.2
SAMPLE_ROWS = 32_561  # as many rows as Adult has; the timed sample
LARGE_ROWS = 100_000
STREAM_ROWS = 1_000_000
MB = 1e6  # memory is reported in MB of 10^6 bytes; the 1M-row limit of 2 GB is 2000 MB

TARGETS = {  # name: (description, minimum or maximum)
    "column_shapes": ("Column Shapes >= 0.97", 0.97),
    "pair_trends_strong": ("Column Pair Trends, strong pairs >= 0.85", 0.85),
    "pair_trends_all": ("Column Pair Trends, all pairs >= 0.93", 0.93),
    "time_ratio": ("(fit + sample) time <= 1/3 of SDV's", 1 / 3),
    "stream_rss": ("1M-row stream peak RSS < 2000 MB", 2000.0),
}


# -- helpers shared with the workers -----------------------------------------------------------------
def peak_rss_mb() -> dict[str, float | None]:
    """This process's RSS high-water mark, from getrusage (ru_maxrss, KiB on Linux) and /proc (VmHWM).

    Both are kernel counters: no tracing (tracemalloc) overhead, and they include memory that numpy,
    pandas and pyarrow allocate outside Python's allocator. ``current_mb`` is VmRSS now.
    """
    out: dict[str, float | None] = {
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB,
        "vmhwm_mb": None,
        "current_mb": None,
    }
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["vmhwm_mb"] = int(line.split()[1]) * 1024 / MB
            elif line.startswith("VmRSS:"):
                out["current_mb"] = int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    return out


def load_split(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adult as ``simulacra.read_table`` reads it (cells keep their leading spaces), split as the peers were."""
    from sklearn.model_selection import train_test_split

    import simulacra

    frame = simulacra.read_table(data)
    train, holdout = train_test_split(frame, test_size=TEST_SIZE, random_state=SEED, stratify=frame[TARGET])
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def sdtypes(columns: list[str]) -> dict[str, dict[str, str]]:
    """The fixed Adult metadata both generators and the scorer use."""
    return {c: {"sdtype": "numerical" if c in NUMERICAL else "categorical"} for c in columns}


# -- workers (each runs in its own process) -----------------------------------------------------------
def worker_simulacra(data: Path, workdir: Path) -> dict[str, Any]:
    """Profile, fit and sample simulacra's Gaussian copula; write the 32,561 rows and the model."""
    import simulacra

    train, _ = load_split(data)
    result: dict[str, Any] = {"generator": "simulacra gaussian_copula", "version": simulacra.__version__}
    result["rss_after_loading_data"] = peak_rss_mb()
    t0 = time.perf_counter()
    schema = simulacra.profile(train)
    result["profile_s"] = time.perf_counter() - t0
    gen = simulacra.create_generator("gaussian_copula", random_state=SEED)
    t0 = time.perf_counter()
    gen.fit(train, schema)
    result["fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    synthetic = gen.sample(SAMPLE_ROWS, random_state=SEED)
    result["sample_s"] = time.perf_counter() - t0
    result["rows"] = len(synthetic)
    result["peak_rss"] = peak_rss_mb()  # through profile + fit + the 32,561-row sample: compared with SDV
    result["peak_rss_mb"] = result["peak_rss"]["ru_maxrss_mb"]
    t0 = time.perf_counter()
    large = gen.sample(LARGE_ROWS, random_state=SEED + 1)
    result["sample_large_s"] = time.perf_counter() - t0
    result["sample_large_rows"] = len(large)
    del large
    result["peak_rss_after_large"] = peak_rss_mb()
    if list(synthetic.columns) != list(train.columns):
        raise RuntimeError(f"sampled columns {list(synthetic.columns)} differ from the input's {list(train.columns)}")
    synthetic.to_csv(workdir / "simulacra.csv", index=False)
    try:
        gen.save(workdir / "simulacra-model")
        result["saved_model"] = True
    except Exception as exc:  # the 1M-row worker then refits
        result["saved_model"] = False
        result["save_error"] = f"{type(exc).__name__}: {exc}"
    return result


def worker_stream(data: Path, workdir: Path) -> dict[str, Any]:
    """Stream 1,000,000 rows to a Parquet file chunk by chunk; this process's peak RSS is the measure."""
    import simulacra
    from simulacra.io import TableWriter

    result: dict[str, Any] = {"rows": STREAM_ROWS}
    try:
        gen = simulacra.load(workdir / "simulacra-model")
        result["model"] = "loaded"
    except Exception as exc:
        result["model"] = f"refit ({type(exc).__name__} on load)"
        train, _ = load_split(data)
        gen = simulacra.create_generator("gaussian_copula", random_state=SEED).fit(train, simulacra.profile(train))
        del train
    result["rss_before_stream"] = peak_rss_mb()
    path = workdir / "synthetic-1m.parquet"
    t0 = time.perf_counter()
    writer = TableWriter(path)
    try:
        for chunk in gen.sample_chunks(STREAM_ROWS, rng=np.random.default_rng(SEED)):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    result["stream_s"] = time.perf_counter() - t0
    result["peak_rss"] = peak_rss_mb()
    result["peak_rss_mb"] = result["peak_rss"]["ru_maxrss_mb"]
    import pyarrow.parquet as pq

    result["rows_written"] = pq.read_metadata(path).num_rows
    result["file_mb"] = path.stat().st_size / MB
    path.unlink()
    return result


WORKERS = {"simulacra": worker_simulacra, "stream": worker_stream}


def run_worker(name: str, data: Path, workdir: Path) -> int:
    out = workdir / f"{name}.json"
    try:
        result = WORKERS[name](data, workdir)
    except Exception as exc:
        tb = traceback.format_exc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        error = f"{type(exc).__name__}: {exc} (at {where.filename}:{where.lineno}, in {where.name})"
        out.write_text(json.dumps({"error": error, "traceback": tb}, indent=2))
        print(tb, file=sys.stderr)
        return 1
    out.write_text(json.dumps(result, indent=2))
    return 0


# -- the main process -----------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(cmd: list[str], what: str, timeout: float) -> tuple[bool, str]:
    """Run a step in a subprocess; return (ok, tail of its output)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return False, f"{what} took over {timeout:.0f} s and was stopped"
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
    status = "done" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    log(f"{what}: {status} in {time.perf_counter() - t0:.1f} s")
    return proc.returncode == 0, tail


def read_json(path: Path) -> dict[str, Any]:
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


def independent_resample(train: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Each column drawn with replacement from train on its own: right marginals, no dependence."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, len(train), n)] for c in train.columns})


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Adult CSV (default: %(default)s)")
    parser.add_argument("--skip-sdv", action="store_true", help="do not run SDV; reuse its figures from --out if there")
    parser.add_argument("--skip-simulacra", action="store_true", help="run only SDV and the reference baselines")
    parser.add_argument("--rows-1m", action="store_true", help="also stream 1,000,000 rows to Parquet (own process)")
    parser.add_argument("--sdv-venv", type=Path, default=SDV_VENV, help="venv with SDV and SDMetrics (%(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results JSON (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the CSVs here (default: a temp dir)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        return run_worker(args.worker, args.data.resolve(), args.workdir)
    if not args.data.exists():
        parser.error(f"data file {args.data} not found; give --data path/to/adult.csv")
    sdv_python = args.sdv_venv / "bin" / "python"
    if not sdv_python.exists():
        print(
            f"SDV venv {args.sdv_venv} is missing: SDMetrics (scoring) and SDV run there.\n"
            "Create it once with: bash benchmarks/setup_sdv_env.sh",
            file=sys.stderr,
        )
        return 2
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="simulacra-bench-") as tmp:
            return benchmark(args, Path(tmp), sdv_python)
    args.workdir.mkdir(parents=True, exist_ok=True)
    return benchmark(args, args.workdir.resolve(), sdv_python)


def benchmark(args: argparse.Namespace, workdir: Path, sdv_python: Path) -> int:
    t_start = time.perf_counter()
    data = args.data.resolve()
    train, holdout = load_split(data)
    log(f"Adult: {len(train):,} train / {len(holdout):,} holdout rows, {train.shape[1]} columns")
    for stale in ("simulacra.json", "simulacra.csv", "stream.json", "sdv.json", "sdv.csv", "scores.json"):
        (workdir / stale).unlink(missing_ok=True)  # a reused --workdir must not feed an old run's results
    shutil.rmtree(workdir / "simulacra-model", ignore_errors=True)
    metadata_path = workdir / "metadata.json"
    metadata_path.write_text(json.dumps({"columns": sdtypes(list(train.columns))}, indent=2))
    train.to_csv(workdir / "train.csv", index=False)
    holdout.to_csv(workdir / "holdout.csv", index=False)
    independent_resample(train, SAMPLE_ROWS, SEED).to_csv(workdir / "independent.csv", index=False)

    me = [sys.executable, str(Path(__file__).resolve())]
    gens: dict[str, dict[str, Any]] = {}
    to_score = {"real_train": workdir / "train.csv", "independent": workdir / "independent.csv"}
    notes: list[str] = []

    # simulacra
    stream: dict[str, Any] | None = None
    if not args.skip_simulacra:
        ok, tail = run(
            [*me, "--worker", "simulacra", "--data", str(data), "--workdir", str(workdir)], "simulacra", 1200
        )
        gens["simulacra"] = read_json(workdir / "simulacra.json")
        if ok:
            to_score["simulacra"] = workdir / "simulacra.csv"
            if args.rows_1m:
                ok, tail = run(
                    [*me, "--worker", "stream", "--data", str(data), "--workdir", str(workdir)], "1M rows", 1200
                )
                stream = read_json(workdir / "stream.json") or {"error": tail}
                if not ok:
                    notes.append(f"1M-row stream failed: {stream.get('error', tail)}")
        else:
            gens["simulacra"].setdefault("error", tail)
            notes.append(f"simulacra failed: {gens['simulacra']['error']}")

    # SDV
    previous = read_json(args.out)
    if args.skip_sdv:
        cached = previous.get("generators", {}).get("sdv")
        if cached and "fit_s" in cached:
            when = cached.get("cached_from") or previous.get("date")
            gens["sdv"] = {**cached, "cached_from": when}
            notes.append(f"SDV figures reused from the run of {when} ({args.out}); rerun without --skip-sdv")
    else:
        cmd = [str(sdv_python), str(HERE / "_sdv_copula.py"), "--train", str(workdir / "train.csv")]
        cmd += ["--metadata", str(metadata_path), "--rows", str(SAMPLE_ROWS), "--seed", str(SEED)]
        cmd += ["--large-rows", str(LARGE_ROWS)]
        cmd += ["--out-csv", str(workdir / "sdv.csv"), "--out-json", str(workdir / "sdv.json")]
        ok, tail = run(cmd, "SDV GaussianCopulaSynthesizer", 1200)
        gens["sdv"] = read_json(workdir / "sdv.json") if ok else {"error": tail}
        if ok:
            to_score["sdv"] = workdir / "sdv.csv"
        else:
            notes.append(f"SDV failed: {tail}")

    # scoring
    cmd = [str(sdv_python), str(HERE / "_sdmetrics_score.py"), "--real", str(workdir / "holdout.csv")]
    cmd += ["--metadata", str(metadata_path), "--subsample", str(len(train)), "--seed", str(SEED)]
    cmd += ["--out", str(workdir / "scores.json")]
    for name, path in to_score.items():
        cmd += ["--synthetic", f"{name}={path}"]
    ok, tail = run(cmd, f"SDMetrics scoring of {len(to_score)} tables", 1200)
    if not ok:
        print(tail, file=sys.stderr)
        return 1
    scoring = read_json(workdir / "scores.json")
    scores: dict[str, dict[str, Any]] = scoring["results"]
    for name, gen in gens.items():
        if name in scores:
            gen["scores"] = scores[name]

    results = assemble(args, train, holdout, gens, scores, scoring, stream, notes)
    results["total_s"] = time.perf_counter() - t_start
    print_report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str))
    log(f"results written to {args.out} (total {results['total_s']:.0f} s)")
    failed = any(t["ok"] is False for t in results["targets"].values())
    return 1 if args.strict and failed else 0


def assemble(
    args: argparse.Namespace,
    train: pd.DataFrame,
    holdout: pd.DataFrame,
    gens: dict[str, dict[str, Any]],
    scores: dict[str, dict[str, Any]],
    scoring: dict[str, Any],
    stream: dict[str, Any] | None,
    notes: list[str],
) -> dict[str, Any]:
    import sklearn

    sim = gens.get("simulacra", {})
    sdv = gens.get("sdv", {})
    sim_scores = sim.get("scores") or {}
    ratio = None
    if "fit_s" in sim and "fit_s" in sdv:
        ratio = (sim["fit_s"] + sim["sample_s"]) / (sdv["fit_s"] + sdv["sample_s"])
    stream_rss = stream.get("peak_rss_mb") if stream else None
    stream_ok = None
    if stream is not None:  # a failed or short stream fails the target
        stream_ok = stream_rss is not None and stream_rss < TARGETS["stream_rss"][1]
        stream_ok = stream_ok and stream.get("rows_written") == STREAM_ROWS

    def at_least(key: str) -> dict[str, Any]:
        value = sim_scores.get(key)
        return {"value": value, "ok": None if value is None else value >= TARGETS[key][1]}

    targets = {
        "column_shapes": at_least("column_shapes"),
        "pair_trends_strong": at_least("pair_trends_strong"),
        "pair_trends_all": at_least("pair_trends_all"),
        "time_ratio": {"value": ratio, "ok": None if ratio is None else ratio <= TARGETS["time_ratio"][1]},
        "stream_rss": {"value": stream_rss, "ok": stream_ok},
    }
    for key, t in targets.items():
        t["target"] = TARGETS[key][0]
        if t["ok"] is None and sim.get("error") and (key != "stream_rss" or args.rows_1m):
            t["ok"] = False  # simulacra was run and failed: its targets fail rather than being skipped
    versions: dict[str, Any] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scikit-learn": sklearn.__version__,
        "sdmetrics": scoring.get("sdmetrics"),
    }
    if sim.get("version"):
        versions["simulacra"] = sim["version"]
    if sdv.get("versions"):
        versions["sdv_venv"] = sdv["versions"]
    return {
        "benchmark": "adult_copula",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "data": str(args.data),
        "split": {
            "train_rows": len(train),
            "holdout_rows": len(holdout),
            "test_size": TEST_SIZE,
            "random_state": SEED,
            "stratify": TARGET,
        },
        "scoring": {
            "against": "holdout",
            "report": scoring.get("report"),
            "subsample_rows": scoring.get("subsample"),
            "subsample_seed": scoring.get("seed"),
            "metadata": sdtypes(list(train.columns)),
        },
        "generators": gens,
        "references": {k: scores[k] for k in ("real_train", "independent") if k in scores},
        "stream_1m": stream,
        "time_ratio": ratio,
        "targets": targets,
        "notes": notes,
        "versions": versions,
    }


def print_report(results: dict[str, Any]) -> None:
    gens = results["generators"]
    refs = results["references"]
    header = [
        "generator",
        "fit s",
        "sample s (32,561)",
        "sample s (100k)",
        "peak RSS MB",
        "column shapes",
        "pair trends (strong pairs)",
        "pair trends (all pairs)",
    ]
    rows = []
    labels = {
        "simulacra": "simulacra gaussian_copula",
        "sdv": "SDV GaussianCopulaSynthesizer",
        "real_train": "reference: real train split",
        "independent": "baseline: columns resampled independently",
    }
    for name in ("simulacra", "sdv", "real_train", "independent"):
        gen = gens.get(name, {})
        sc = gen.get("scores") or refs.get(name)
        if not gen and not sc:
            continue
        label = labels[name] + (" (cached)" if gen.get("cached_from") else "")
        if gen.get("error"):
            label += " (failed)"
        rss = gen.get("peak_rss_mb")
        rows.append(
            [
                label,
                fmt(gen.get("fit_s"), 2),
                fmt(gen.get("sample_s"), 2),
                fmt(gen.get("sample_large_s"), 2),
                fmt(rss, 0) if rss is not None else "–",
                fmt(sc.get("column_shapes") if sc else None),
                fmt(sc.get("pair_trends_strong") if sc else None),
                fmt(sc.get("pair_trends_all") if sc else None),
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(padded) + " |"

    print()
    split, scoring = results["split"], results["scoring"]
    print(
        f"Adult: {split['train_rows']:,} train / {split['holdout_rows']:,} holdout rows; scored against the holdout "
        f"({scoring['subsample_rows']:,}-row subsample of each table), sdmetrics {results['versions']['sdmetrics']}"
    )
    print()
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print()
    sim = gens.get("simulacra", {})
    if "profile_s" in sim:
        after_large = sim["peak_rss_after_large"]["ru_maxrss_mb"]
        print(
            f"simulacra: profile() {sim['profile_s']:.2f} s (not in 'fit s'); with the 100k sample, peak RSS ", end=""
        )
        print(f"{after_large:.0f} MB")
    stream = results.get("stream_1m")
    if stream and "stream_s" in stream:
        print(
            f"1M-row stream to Parquet: {stream['stream_s']:.1f} s, peak RSS {stream['peak_rss_mb']:.0f} MB "
            f"(before streaming {stream['rss_before_stream']['current_mb']:.0f} MB, model {stream['model']}), "
            f"{stream['rows_written']:,} rows, {stream['file_mb']:.0f} MB file"
        )
    ratio = results["time_ratio"]
    if ratio is not None:
        print(f"time ratio (simulacra fit+sample) / (SDV fit+sample): {ratio:.3f} (SDV is {1 / ratio:.1f}x slower)")
    print()
    print("Targets (simulacra):")
    for t in results["targets"].values():
        value = t["value"]
        shown = "–" if value is None else (f"{value:.0f} MB" if "RSS" in t["target"] else f"{value:.3f}")
        print(f"  {verdict(t['ok'])}  {t['target']:<42} {shown}")

    strong = (gens.get("simulacra", {}).get("scores") or {}).get("strong_pairs")
    if not strong:
        strong = refs.get("real_train", {}).get("strong_pairs")
    if strong:
        print()
        print(f"Strong pairs ({len(strong)}; real |corr| > 0.5 or Cramér's V > 0.3 on the holdout), score per table:")
        others = {
            k: {(p["column_1"], p["column_2"]): p["score"] for p in (sc or {}).get("all_pairs", [])}
            for k, sc in (
                ("simulacra", gens.get("simulacra", {}).get("scores")),
                ("SDV", gens.get("sdv", {}).get("scores")),
                ("real train", refs.get("real_train")),
                ("independent", refs.get("independent")),
            )
            if sc
        }
        name_w = max(len(f"{p['column_1']} × {p['column_2']}") for p in strong)
        print(f"  {'pair':<{name_w}}  {'real V/corr':>11}  " + "  ".join(f"{k:>11}" for k in others))
        for p in sorted(strong, key=lambda p: others[next(iter(others))].get((p["column_1"], p["column_2"])) or 0):
            key = (p["column_1"], p["column_2"])
            real = p["real_association"] if p["real_association"] is not None else p["real_correlation"]
            cells = "  ".join(f"{fmt(o.get(key)):>11}" for o in others.values())
            print(f"  {p['column_1'] + ' × ' + p['column_2']:<{name_w}}  {fmt(real):>11}  {cells}")
    for note in results["notes"]:
        print(f"note: {note}")


if __name__ == "__main__":
    sys.exit(main())
