"""The CLI with --engine stream|dask: the same commands over partitioned data, one-line errors."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulacra.cli.main import app
from simulacra.distributed import read_dataset
from tests.conftest import make_mixed

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "mixed.csv"
    make_mixed(3000).to_csv(path, index=False)
    return path


def test_stream_engine_end_to_end(csv_path: Path, tmp_path: Path) -> None:
    code, out = invoke("profile", csv_path, "--engine", "stream", "-o", tmp_path / "schema.json", "-q")
    assert code == 0, out
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert schema["n_rows"] == 3000
    code, out = invoke(
        "fit", csv_path, "--engine", "stream", "-s", tmp_path / "schema.json", "-o", tmp_path / "m", "--seed", "2"
    )
    assert code == 0, out
    assert "3,000 rows" in out
    code, out = invoke(
        "sample", tmp_path / "m", "-n", "4000", "--engine", "stream", "--seed", "3", "-o", tmp_path / "s"
    )
    assert code == 0, out
    synthetic = read_dataset(tmp_path / "s")
    assert len(synthetic) == 4000 and list(synthetic.columns) == list(pd.read_csv(csv_path, nrows=1).columns)
    code, out = invoke(
        "evaluate", "--real", csv_path, "--synthetic", tmp_path / "s", "-s", tmp_path / "schema.json",
        "--engine", "stream", "-o", tmp_path / "report", "-q",
    )  # fmt: skip
    assert code == 0, out
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert 0.8 < report["scores"]["fidelity.column_shapes"] <= 1.0


def test_run_with_a_holdout(csv_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, text = invoke("run", csv_path, "--engine", "stream", "-o", out, "--seed", "1", "-q")
    assert code == 0, text
    assert {p.name for p in out.iterdir()} == {"schema.json", "model", "synthetic", "report"}
    report = json.loads((out / "report" / "report.json").read_text())
    trained = json.loads((out / "schema.json").read_text())["n_rows"]
    assert 2200 < trained < 2600  # 20% held out, row by row
    assert report["rows"]["synthetic"] == trained
    assert 0.0 <= report["privacy"]["privacy.dcr_share"]["score"] <= 1.0
    code, text = invoke("run", csv_path, "--engine", "stream", "-o", out, "--format", "tsv")
    assert code == 2 and "Parquet dataset folder" in text
    code, text = invoke("run", csv_path, "--engine", "stream", "-o", tmp_path / "o2", "--target", "group")
    assert code == 2 and "--engine memory" in text and not (tmp_path / "o2").exists()


def test_dask_engine_gives_the_stream_output(csv_path: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    code, out = invoke("fit", csv_path, "--engine", "stream", "-o", tmp_path / "m", "--seed", "4", "-q")
    assert code == 0, out
    for engine in ("stream", "dask"):
        args = ["sample", tmp_path / "m", "-n", "3000", "--seed", "5", "--engine", engine, "-o", tmp_path / engine]
        code, out = invoke(*args, "--workers", "1", "-q") if engine == "dask" else invoke(*args, "-q")
        assert code == 0, out
    pd.testing.assert_frame_equal(read_dataset(tmp_path / "stream"), read_dataset(tmp_path / "dask"))


def test_engine_errors_are_one_line(csv_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = invoke("profile", csv_path, "--engine", "spark", "-o", tmp_path / "s.json")
    assert code == 2 and "choose one of memory, stream, dask" in out and not (tmp_path / "s.json").exists()
    code, out = invoke("profile", csv_path, "--scheduler", "tcp://127.0.0.1:8786", "-o", tmp_path / "s.json")
    assert code == 2 and "--scheduler needs --engine dask" in out
    code, out = invoke("fit", csv_path, "--engine", "stream", "-o", tmp_path / "m", "-q")
    assert code == 0, out
    code, out = invoke("sample", tmp_path / "m", "--engine", "stream", "-o", tmp_path / "x.csv")
    assert code == 2 and "Parquet dataset folder" in out and not (tmp_path / "x.csv").exists()
    code, out = invoke("fit", tmp_path / "absent.parquet", "--engine", "stream", "-o", tmp_path / "m2")
    assert code == 2 and "does not exist" in out and not (tmp_path / "m2").exists()

    real_import = importlib.import_module

    def no_dask(name: str, *args: object) -> object:
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(name)
        return real_import(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr("simulacra._optional.importlib.import_module", no_dask)
    code, out = invoke("profile", csv_path, "--engine", "dask", "-o", tmp_path / "s.json")
    assert code == 2 and "pip install 'simulacra[dask]'" in out
    assert len(out.strip().splitlines()) <= 2  # one line (Rich may wrap it)
