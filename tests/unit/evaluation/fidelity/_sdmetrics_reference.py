"""SDMetrics reference figures for the agreement tests in ``test_sdmetrics_agreement.py``.

Not a test module. Run it once, from the repository root, with simulacra's venv::

    .venv/bin/python tests/unit/evaluation/fidelity/_sdmetrics_reference.py [--copula]

It splits UCI Adult 80/20 (seed 0, stratified on income), builds the deterministic comparison tables
below, writes them as CSV to a temporary folder, and scores each against the train table with
SDMetrics' ``QualityReport`` by re-running this file under ``benchmarks/.venv-sdv/bin/python`` (made by
``benchmarks/setup_sdv_env.sh``; SDMetrics is no dependency of simulacra). It prints SDMetrics' Column
Shapes, Column Pair Trends with the default thresholds, and Column Pair Trends with both thresholds 0,
next to simulacra's ColumnShapes / ColumnPairsStrong / ColumnPairs. ``--copula`` adds simulacra's
Gaussian copula output (for information only: the test must not depend on a generator).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve()
REPO = HERE.parents[4]
ADULT = REPO.parent / "shared" / "datasets" / "adult" / "adult.csv"
SDV_PYTHON = REPO / "benchmarks" / ".venv-sdv" / "bin" / "python"
NUMERICAL = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
SHUFFLED_FRACTION = 0.3


def adult_split(path: Path = ADULT) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adult read with simulacra, split 80/20 with seed 0, stratified on income; indexes reset."""
    from sklearn.model_selection import train_test_split

    import simulacra

    frame = simulacra.read_table(path)
    train, holdout = train_test_split(frame, test_size=0.2, random_state=0, stratify=frame["income"])
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def independent_columns(train: pd.DataFrame) -> pd.DataFrame:
    """Every column resampled independently (with replacement) from train: shapes kept, pairs broken."""
    rng = np.random.default_rng(0)
    n = len(train)
    return pd.DataFrame({c: train[c].to_numpy()[rng.integers(0, n, n)] for c in train.columns})


def partly_shuffled(train: pd.DataFrame, fraction: float = SHUFFLED_FRACTION) -> pd.DataFrame:
    """Train rows with, per column, a random ``fraction`` of the cells permuted among themselves."""
    rng = np.random.default_rng(0)
    out = train.copy()
    n = len(train)
    for c in train.columns:
        rows = rng.choice(n, size=int(fraction * n), replace=False)
        values = out[c].to_numpy().copy()
        values[rows] = values[rng.permutation(rows)]
        out[c] = values
    return out


def _metadata(columns: list[str]) -> dict:
    cols = {c: {"sdtype": "numerical" if c in NUMERICAL else "categorical"} for c in columns}
    return {"tables": {"adult": {"columns": cols}}}


def _score_with_sdmetrics(folder: Path) -> dict:
    """Runs under the SDV venv: QualityReport of every CSV in ``folder`` against ``train.csv``."""
    from importlib.metadata import version

    from sdmetrics.reports import QualityReport

    warnings.filterwarnings("ignore")

    def read(path: Path) -> pd.DataFrame:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
        for c in frame.columns:
            frame[c] = pd.to_numeric(frame[c]) if c in NUMERICAL else frame[c].astype(object)
        return frame

    real = read(folder / "train.csv")
    metadata = _metadata(list(real.columns))
    out: dict = {"sdmetrics": version("sdmetrics"), "pandas": pd.__version__, "numpy": np.__version__}
    for path in sorted(folder.glob("*.csv")):
        if path.stem == "train":
            continue
        synthetic = read(path)
        figures = {}
        for label, threshold in (("default", True), ("all_pairs", False)):
            report = QualityReport()
            if not threshold:
                report.real_correlation_threshold = 0
                report.real_association_threshold = 0
            report.generate({"adult": real}, {"adult": synthetic}, metadata, verbose=False)
            props = report.get_properties()
            scores = {row["Property"]: float(row["Score"]) for _, row in props.iterrows()}
            figures[label] = scores
        out[path.stem] = {
            "column_shapes": figures["default"]["Column Shapes"],
            "pairs_strong": figures["default"]["Column Pair Trends"],
            "pairs_all": figures["all_pairs"]["Column Pair Trends"],
        }
    return out


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--score":
        print(json.dumps(_score_with_sdmetrics(Path(sys.argv[2]))))
        return 0
    import simulacra
    from simulacra.evaluation.fidelity import ColumnPairs, ColumnPairsStrong, ColumnShapes

    train, holdout = adult_split()
    tables = {
        "independent": independent_columns(train),
        "shuffled": partly_shuffled(train),
        "holdout": holdout,
    }
    if "--copula" in sys.argv:
        model = simulacra.create_generator("gaussian_copula", random_state=0).fit(train)
        tables["copula"] = model.sample(len(train), random_state=0)
    schema = simulacra.profile(train)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        train.to_csv(folder / "train.csv", index=False)
        for name, table in tables.items():
            table.to_csv(folder / f"{name}.csv", index=False)
        done = subprocess.run([str(SDV_PYTHON), str(HERE), "--score", tmp], check=True, capture_output=True, text=True)
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"sdmetrics {theirs['sdmetrics']}, pandas {theirs['pandas']}, numpy {theirs['numpy']}")
    for name, table in tables.items():
        ours = {
            "column_shapes": ColumnShapes().compute(train, table, schema).score,
            "pairs_strong": ColumnPairsStrong().compute(train, table, schema).score,
            "pairs_all": ColumnPairs().compute(train, table, schema).score,
        }
        for key, value in ours.items():
            ref = theirs[name][key]
            print(f"{name:12s} {key:14s} sdmetrics {ref:.6f}  simulacra {value:.6f}  diff {value - ref:+.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
