"""CLI: privbayes through `simulacra fit` with a public schema; without one, one error line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from simulacra.cli.main import app
from tests.conftest import DEMO

runner = CliRunner()


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_fit_privbayes_with_public_schema_and_refuse_without(tmp_path: Path) -> None:
    data = pd.read_csv(DEMO).iloc[:300][["age", "workclass", "sex", "income"]]
    csv = tmp_path / "d.csv"
    data.to_csv(csv, index=False)
    schema = tmp_path / "schema.json"
    assert _invoke("profile", csv, "-o", schema, "-q")[0] == 0
    code, out = _invoke("fit", csv, "-g", "privbayes", "--epsilon", "2", "-o", tmp_path / "none", "-q")
    assert code == 2 and out.startswith("error:") and out.count("\n") == 1
    assert "'age', 'workclass', 'sex', 'income'" in out and "--public" in out
    assert not (tmp_path / "none").exists()
    code, out = _invoke("fit", csv, "-g", "privbayes", "-s", schema, "--epsilon", "2", "-o", tmp_path / "m", "-q")
    assert code == 0, out
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["params"]["epsilon"] == 2.0
    assert manifest["state"]["generator"]["privacy"]["epsilon_spent"] <= 2.0
    code, out = _invoke("sample", tmp_path / "m", "-n", "50", "-o", tmp_path / "s.csv", "-q")
    assert code == 0, out
    assert list(pd.read_csv(tmp_path / "s.csv").columns) == list(data.columns)
