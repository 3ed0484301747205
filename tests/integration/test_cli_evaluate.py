"""`simulacra evaluate` and the evaluation step of `simulacra run`, end to end, and every bad input:
exit code 2, one `error:` line, no report files left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra
from simulacra.cli.main import _split, app
from tests.conftest import make_mixed

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("eval")
    frame = make_mixed(300, seed=3)
    real, holdout = frame.iloc[:240], frame.iloc[240:]
    synthetic = simulacra.create_generator("gaussian_copula", random_state=0).fit(real).sample(240, random_state=0)
    paths = {name: folder / f"{name}.csv" for name in ("real", "holdout", "synthetic")}
    real.to_csv(paths["real"], index=False)
    holdout.to_csv(paths["holdout"], index=False)
    synthetic.to_csv(paths["synthetic"], index=False)
    synthetic.rename(columns={"email": "mail"}).to_csv(folder / "renamed.csv", index=False)
    holdout.assign(extra=1).to_csv(folder / "wider.csv", index=False)
    (folder / "empty.csv").write_text("")
    (folder / "header_only.csv").write_text(",".join(frame.columns) + "\n")
    paths.update(renamed=folder / "renamed.csv", wider=folder / "wider.csv", empty=folder / "empty.csv")
    paths["header_only"] = folder / "header_only.csv"
    return paths


def test_evaluate_writes_html_json_and_a_summary(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "report"
    code, text = invoke(
        "evaluate", "--real", files["real"], "--synthetic", files["synthetic"], "--holdout", files["holdout"],
        "--target", "group", "-o", out,
    )  # fmt: skip
    assert code == 0, text
    assert sorted(p.name for p in out.iterdir()) == ["audit.json", "report.html", "report.json"]
    data = json.loads((out / "report.json").read_text())
    assert data["format"] == "simulacra.report"
    assert data["utility"]["tstr"]["status"] == "ok" and data["privacy"]["dcr_share"]["status"] == "ok"
    assert "<svg" in (out / "report.html").read_text()
    joined = "".join(text.split())  # Rich folds long temporary paths across lines
    for word in ("fidelity", "utility", "privacy", "utility.tstr", "report.html"):
        assert word in joined
    # a second run replaces the files in place, and --quiet prints nothing
    code, text = invoke("evaluate", "--real", files["real"], "--synthetic", files["synthetic"], "-o", out, "-q")
    assert code == 0 and text == ""
    data = json.loads((out / "report.json").read_text())
    assert data["privacy"]["dcr_share"]["status"] == "not_evaluated"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_evaluate_with_schema(files: dict[str, Path], tmp_path: Path) -> None:
    assert invoke("profile", files["real"], "-o", tmp_path / "schema.json")[0] == 0
    code, text = invoke(
        "evaluate", "--real", files["real"], "--synthetic", files["synthetic"], "--schema", tmp_path / "schema.json",
        "-o", tmp_path / "r", "-q", "--seed", "4",
    )  # fmt: skip
    assert code == 0, text
    assert (tmp_path / "r" / "report.html").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--synthetic", "{renamed}"], "['email']"),
        (["--holdout", "{wider}"], "['extra']"),
        (["--target", "salary"], "salary"),
        (["--synthetic", "{empty}"], "empty"),
        (["--synthetic", "{header_only}"], "no rows"),
        (["--holdout", "{real}.missing.csv"], "does not exist"),
        (["--schema", "{real}"], "not valid JSON"),
    ],
)
def test_bad_inputs_end_in_one_line_and_no_report(
    files: dict[str, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    base = {"--real": str(files["real"]), "--synthetic": str(files["synthetic"])}
    given = [a.format(**{k: str(v) for k, v in files.items()}) for a in args]
    for flag, value in zip(given[::2], given[1::2], strict=True):
        base[flag] = value
    out = tmp_path / "report"
    code, text = invoke("evaluate", *[x for kv in base.items() for x in kv], "-o", out)
    assert code == 2, text
    assert text.startswith("error:") and message in text, text
    assert text.strip().count("\n") == 0 or "problems" in text, text
    assert "Traceback" not in text
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_file(files: dict[str, Path], tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, text = invoke("evaluate", "--real", files["real"], "--synthetic", files["synthetic"], "-o", blocker)
    assert code == 2 and text.startswith("error:") and "is a file" in text
    assert blocker.read_text() == "x"


def test_run_holds_out_fits_on_the_rest_and_reports(files: dict[str, Path], tmp_path: Path) -> None:
    whole = pd.concat([pd.read_csv(files["real"]), pd.read_csv(files["holdout"])])
    data = tmp_path / "whole.csv"
    whole.to_csv(data, index=False)
    out = tmp_path / "out"
    code, text = invoke("run", data, "-o", out, "--seed", "3", "--target", "group")
    assert code == 0, text
    for name in ("synthetic.csv", "schema.json", "model/manifest.json", "report/report.html", "report/report.json"):
        assert (out / name).exists(), name
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["data"]["n_rows"] == {"real": 240, "synthetic": 240, "holdout": 60}
    assert report["data"]["target"] == "group" and report["generator"]["name"] == "gaussian_copula"
    assert report["utility"]["tstr"]["status"] == "ok"
    assert len(pd.read_csv(out / "synthetic.csv")) == 240
    assert "no sign of memorisation" in text or "possible memorisation" in text


def test_the_holdout_split_is_seeded_and_stratified() -> None:
    frame = make_mixed(300, seed=3)
    train, holdout = _split(frame, 0.2, "group", 3)
    again, _ = _split(frame, 0.2, "group", 3)
    other, _ = _split(frame, 0.2, "group", 4)
    assert len(train) == 240 and len(holdout) == 60
    assert train.equals(again) and not train.equals(other)
    assert sorted(pd.concat([train, holdout])["customer_id"]) == sorted(frame["customer_id"])
    shares = frame["group"].value_counts(normalize=True)
    assert (holdout["group"].value_counts(normalize=True) - shares).abs().max() < 0.02
    with pytest.raises(simulacra.ParameterError, match="too few"):
        _split(frame.iloc[:2], 0.2, None, 0)


def test_run_without_evaluation_and_with_bad_options(files: dict[str, Path], tmp_path: Path) -> None:
    code, text = invoke("run", files["real"], "-o", tmp_path / "plain", "--no-evaluate", "-q", "--seed", "1")
    assert code == 0, text
    assert not (tmp_path / "plain" / "report").exists()
    assert len(pd.read_csv(tmp_path / "plain" / "synthetic.csv")) == 240
    code, text = invoke("run", files["real"], "-o", tmp_path / "zero", "--holdout-fraction", "0", "-q", "--seed", "1")
    assert code == 0, text
    report = json.loads((tmp_path / "zero" / "report" / "report.json").read_text())
    assert report["privacy"]["dcr_share"]["status"] == "not_evaluated"
    for args, message in (
        (["--holdout-fraction", "1.5"], "--holdout-fraction"),
        (["--target", "salary"], "salary"),
    ):
        code, text = invoke("run", files["real"], "-o", tmp_path / "bad", *args)
        assert code == 2 and text.startswith("error:") and message in text, text
        assert not (tmp_path / "bad").exists()
