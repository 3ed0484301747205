"""The CLI end to end: every command, and every bad input ending in one line and exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from simulacra.cli.main import app
from simulacra.io import read_table
from tests.conftest import make_mixed

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "mixed.csv"
    make_mixed(300).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_path(csv_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m") / "model"
    code, output = invoke("fit", csv_path, "-o", out, "--seed", "1", "-q")
    assert code == 0, output
    return out


def test_profile_fit_sample(csv_path: Path, tmp_path: Path) -> None:
    code, out = invoke("profile", csv_path, "-o", tmp_path / "schema.json")
    assert code == 0, out
    schema = json.loads((tmp_path / "schema.json").read_text())
    assert [c["name"] for c in schema["columns"]] == list(pd.read_csv(csv_path, nrows=1).columns)
    code, out = invoke("fit", csv_path, "--schema", tmp_path / "schema.json", "-o", tmp_path / "model", "-q")
    assert code == 0, out
    code, out = invoke("sample", tmp_path / "model", "-n", "250", "-o", tmp_path / "s.parquet", "--seed", "7")
    assert code == 0, out
    assert len(pd.read_parquet(tmp_path / "s.parquet")) == 250


def test_generator_options_are_cli_options(csv_path: Path, tmp_path: Path) -> None:
    code, out = invoke("fit", csv_path, "-o", tmp_path / "m", "--marginals", "empirical", "--stratify=none", "-q")
    assert code == 0, out
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["params"]["marginals"] == "empirical"
    assert manifest["params"]["stratify"] == "none"
    code, out = invoke("fit", csv_path, "-o", tmp_path / "m2", "--margnals", "empirical")
    assert code == 2 and "--marginals" in out and not (tmp_path / "m2").exists()
    code, out = invoke("fit", csv_path, "-o", tmp_path / "m3", "--min-stratum-rows", "many")
    assert code == 2 and "expects a int" in out


def test_run_writes_everything_and_is_reproducible(csv_path: Path, tmp_path: Path) -> None:
    for name in ("a", "b"):
        code, out = invoke("run", csv_path, "-o", tmp_path / name, "--seed", "3")
        assert code == 0, out
    for name in ("synthetic.csv", "schema.json", "model/manifest.json", "model/arrays.npz"):
        assert (tmp_path / "a" / name).exists(), name
    assert (tmp_path / "a" / "synthetic.csv").read_bytes() == (tmp_path / "b" / "synthetic.csv").read_bytes()
    assert len(read_table(tmp_path / "a" / "synthetic.csv")) == 240  # as many rows as the 80% training part


def test_sample_same_seed_same_bytes(model_path: Path, tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        assert invoke("sample", model_path, "-n", "500", "-o", tmp_path / name, "--seed", "9", "-q")[0] == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def _bad_inputs(tmp: Path) -> dict[str, Path]:
    files = {
        "empty.csv": b"",
        "header_only.csv": b"a,b\n",
        "one_row.csv": b"a,b\n1,x\n",
        "dupes.csv": b"a,a\n1,2\n3,4\n",
        "latin1.csv": "a,b\n1,caf\u00e9\n2,x\n".encode("latin-1"),
        "empty_col.csv": b"a,b\n1,\n2,\n3,\n",
        "inf.csv": b"a,b\n1.5,x\ninf,y\n2.5,z\n",
        "mixed.csv": ("a\n" + "\n".join([str(i) for i in range(50)] + ["foo", "bar", "baz"]) + "\n").encode(),
    }
    out = {}
    for name, content in files.items():
        (tmp / name).write_bytes(content)
        out[name] = tmp / name
    return out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty"),
        ("header_only.csv", "no rows"),
        ("one_row.csv", "1 row"),
        ("dupes.csv", "duplicate column"),
        ("latin1.csv", "UTF-8"),
        ("empty_col.csv", "entirely empty"),
        ("inf.csv", "infinite"),
        ("mixed.csv", "mix"),
        ("missing.csv", "does not exist"),
    ],
)
@pytest.mark.parametrize("command", ["profile", "fit", "run"])
def test_bad_input_files(tmp_path: Path, name: str, message: str, command: str) -> None:
    paths = _bad_inputs(tmp_path)
    target = paths.get(name, tmp_path / name)
    out_path = tmp_path / "out"
    code, out = invoke(command, target, "-o", out_path)
    assert code == 2, out
    assert out.startswith("error:") and message in out, out
    assert "Traceback" not in out
    assert not out_path.exists() or not any(out_path.iterdir())


def test_schema_naming_absent_columns(csv_path: Path, tmp_path: Path) -> None:
    invoke("profile", csv_path, "-o", tmp_path / "schema.json")
    schema = json.loads((tmp_path / "schema.json").read_text())
    schema["columns"].append({"name": "ghost", "kind": "numeric", "dtype": "float64"})
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    code, out = invoke("fit", csv_path, "--schema", tmp_path / "schema.json", "-o", tmp_path / "m")
    assert code == 2 and "ghost" in out and not (tmp_path / "m").exists()
    (tmp_path / "bad.json").write_text("{nope")
    code, out = invoke("fit", csv_path, "--schema", tmp_path / "bad.json", "-o", tmp_path / "m")
    assert code == 2 and "not valid JSON" in out


def test_sample_bad_n_and_bad_outputs(model_path: Path, tmp_path: Path) -> None:
    for n in ("0", "-5"):
        code, out = invoke("sample", model_path, "-n", n, "-o", tmp_path / "s.csv")
        assert code == 2 and "positive integer" in out
    code, out = invoke("sample", model_path, "-n", "5", "-o", tmp_path / "s.xlsx")
    assert code == 2 and ".parquet" in out
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, out = invoke("sample", model_path, "-n", "5", "-o", blocker / "s.csv")
    assert code == 2 and "cannot write" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


def test_damaged_or_foreign_model(model_path: Path, tmp_path: Path) -> None:
    code, out = invoke("sample", tmp_path, "-n", "5", "-o", tmp_path / "s.csv")
    assert code == 2 and "not a simulacra model" in out
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in model_path.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["format_version"] = 99
    (broken / "manifest.json").write_text(json.dumps(manifest))
    code, out = invoke("sample", broken, "-n", "5", "-o", tmp_path / "s.csv")
    assert code == 2 and "newer" in out
    manifest["format_version"] = 1
    manifest["generator"] = "who_knows"
    (broken / "manifest.json").write_text(json.dumps(manifest))
    code, out = invoke("sample", broken, "-n", "5", "-o", tmp_path / "s.csv")
    assert code == 2 and "who_knows" in out
    assert not (tmp_path / "s.csv").exists()


def test_console_script_and_quiet(csv_path: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("simulacra")
    result = subprocess.run(
        [str(exe), "run", str(csv_path), "-o", str(tmp_path / "o"), "-q", "--seed", "1"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    result = subprocess.run([str(exe), "profile", str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_generators_listing() -> None:
    code, out = invoke("generators")
    assert code == 0 and "gaussian_copula" in out and "--marginals" in out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--bbox", "1,2,3"], "minlon,minlat,maxlon,maxlat"),
        (["--bbox", "a,b,c,d"], "minlon,minlat,maxlon,maxlat"),
        (["--region", "nope.geojson"], "does not exist"),
        (["--region", "mixed.csv"], "not valid JSON"),
    ],
)
def test_bad_geo_region_options(csv_path: Path, tmp_path: Path, option: list[str], message: str) -> None:
    if option[0] == "--region":
        option = [option[0], str(csv_path if option[1] == "mixed.csv" else tmp_path / option[1])]
    code, out = invoke("run", csv_path, "-o", tmp_path / "out", *option)
    assert code == 2 and message in out and "Traceback" not in out, out
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
