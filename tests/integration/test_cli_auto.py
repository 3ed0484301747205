"""`recommend`, `estimate`, `run --auto` and `--gate` from the command line, and their bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import simulacra
from simulacra.cli.main import EXIT_GATE_FAILED, app
from simulacra.gate import manifest_hash
from tests.conftest import DEMO, SHARED, make_mixed

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


# -- recommend on the shared datasets ------------------------------------------------------------
SHARED_CASES = {
    # dataset: (file, target, number of columns of each kind that must be found)
    "adult": ("adult/adult.csv", "income", {"numeric": 6, "categorical": 9}),
    "credit_default": ("credit_default/UCI_Credit_Card.csv", "Y", {"identifier": 1, "numeric": 18}),
    "online_shoppers": ("online_shoppers/online_shoppers_intention.csv", "Revenue", {"numeric": 11}),
    "california_housing": ("california_housing/housing.csv", "median_house_value", {"geo": 2, "categorical": 1}),
    "amazon_alexa": ("amazon_alexa_reviews/amazon_alexa.tsv", "feedback", {"text": 1, "datetime": 1}),
}


@pytest.mark.parametrize("name", list(SHARED_CASES))
def test_recommend_on_the_shared_datasets(name: str) -> None:
    rel, target, kinds = SHARED_CASES[name]
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"shared dataset not found at {path}")
    code, out = invoke("recommend", path, "--target", target, "--json")
    assert code == 0, out
    rec = json.loads(out)
    assert rec["generator"]["choice"] == "gaussian_copula"
    assert len(rec["generator"]["reason"]) > 80 and rec["generator"]["evidence"]["source"].startswith("benchmarks/")
    for kind, count in kinds.items():
        assert len(rec["kinds"][kind]["columns"]) == count, (kind, rec["kinds"][kind]["columns"])
    for kind, plan in rec["kinds"].items():
        assert plan["transformer"] and len(plan["reason"]) > 40, kind
    assert {m["metric"] for m in rec["metrics"]} >= {"utility.tstr", "fidelity.detection"}
    assert rec["auto_candidates"][0] == "gaussian_copula"
    if "text" in kinds:
        assert "language model" in rec["kinds"]["text"]["caveat"]
        assert any(n.startswith("text columns:") for n in rec["notes"])
        assert any(m.startswith("text.embedding_detection") for m in rec["kinds"]["text"]["metrics"])
    if "geo" in kinds:
        assert "geo.spatial_density" in rec["kinds"]["geo"]["metrics"]
    if "identifier" in kinds:
        assert (
            rec["kinds"]["identifier"]["metrics"] == [] and "never copied" in rec["kinds"]["identifier"]["transformer"]
        )


def test_recommend_prints_reasons_and_is_plain_about_epsilon() -> None:
    code, out = invoke("recommend", DEMO, "--target", "income", "--epsilon", "1")
    assert code == 0, out
    flat = " ".join(out.split())
    # the dp extra is installed here: a DP generator is chosen, and the public-schema step is named
    assert "generator: aim" in flat and "profile DATA --public" in flat
    assert "run --auto measures: aim, mst, privbayes" in flat
    code, out = invoke("recommend", DEMO, "--target", "income")
    assert code == 0 and "why:" in out and "numeric" in out and "backed by" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--target", "nope"), "--target 'nope' is not a column"),
        (("--epsilon", "-1"), "--epsilon"),
        (("--time-budget", "soon"), "--time-budget 'soon' is not a duration"),
    ],
)
def test_recommend_bad_input_is_one_line(args: tuple[str, ...], needle: str) -> None:
    code, out = invoke("recommend", DEMO, *args)
    assert code == 2 and out.count("error:") == 1 and needle in " ".join(out.split())


def test_estimate_prints_a_prediction_per_candidate() -> None:
    code, out = invoke("estimate", DEMO, "--generators", "gaussian_copula", "--rows", "30000", "--json")
    assert code == 0, out
    est = json.loads(out)["gaussian_copula"]
    assert est["rows"] == 30000 and est["fit_seconds"] > 0 and est["peak_rss_mb"] > 50
    assert [c["rows"] for c in est["calibration"]] == [2000, 3000]
    code, out = invoke("estimate", DEMO, "--generators", "nope")
    assert code == 2 and "unknown generator 'nope'" in out


# -- the gate on `evaluate`: a copy fails, a model passes --------------------------------------
GATE = """rules:
  - privacy.exact_copies.score <= 0
  - privacy.dcr_share.excess <= 0.05
  - {figure: utility.tstr.gap, max: 0.1, name: tstr-gap}
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gate")
    frame = pd.read_csv(DEMO)
    real, holdout = frame.iloc[:2400], frame.iloc[2400:]
    model = simulacra.create_generator("gaussian_copula", random_state=0).fit(real)
    paths = {n: folder / f"{n}.csv" for n in ("real", "holdout", "synthetic")}
    real.to_csv(paths["real"], index=False)
    holdout.to_csv(paths["holdout"], index=False)
    model.sample(2400, random_state=0).to_csv(paths["synthetic"], index=False)
    (folder / "gate.yaml").write_text(GATE)
    paths["gate"] = folder / "gate.yaml"
    return paths


def _evaluate(tables: dict[str, Path], synthetic: Path, out: Path) -> tuple[int, str]:
    return invoke(
        "evaluate", "--real", tables["real"], "--synthetic", synthetic, "--holdout", tables["holdout"],
        "--target", "income", "--gate", tables["gate"], "-o", out,
    )  # fmt: skip


def test_gate_fails_on_a_generator_that_copies_the_training_rows(tables: dict[str, Path], tmp_path: Path) -> None:
    code, out = _evaluate(tables, tables["real"], tmp_path / "copy")
    flat = " ".join(out.split())
    assert code == EXIT_GATE_FAILED, out
    assert "FAIL privacy.exact_copies.score" in flat and "FAIL privacy.dcr_share.excess" in flat
    assert "gate failed: privacy.exact_copies.score, privacy.dcr_share.excess" in flat
    report = json.loads((tmp_path / "copy" / "report.json").read_text())
    assert report["gate"]["passed"] is False
    assert "Release gate: FAILED" in (tmp_path / "copy" / "report.html").read_text()


def test_gate_passes_on_a_good_model_with_an_audit_manifest(tables: dict[str, Path], tmp_path: Path) -> None:
    code, out = _evaluate(tables, tables["synthetic"], tmp_path / "good")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "PASS privacy.exact_copies.score" in flat and "PASS tstr-gap" in flat and "gate passed: 3 rule(s)" in flat
    audit = json.loads((tmp_path / "good" / "audit.json").read_text())
    assert audit == json.loads((tmp_path / "good" / "report.json").read_text())["audit"]
    assert audit["manifest_sha256"] == manifest_hash(audit)
    assert set(audit["data"]) == {"real", "synthetic", "holdout"} and audit["gate"]["passed"] is True
    assert audit["figures"]["utility.tstr.score"] > 0.5 and audit["packages"]["pandas"]


def test_a_bad_gate_file_stops_before_any_work(tables: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - privacy.exact_copies <= 0\n")
    code, out = invoke(
        "evaluate", "--real", tables["real"], "--synthetic", tables["synthetic"], "--gate", bad, "-o", tmp_path / "r"
    )
    assert code == 2 and out.count("error:") == 1 and "unknown figure name" in out
    assert not (tmp_path / "r").exists()


# -- run --auto -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auto") / "small.csv"
    make_mixed(700, seed=8).to_csv(path, index=False)
    return path


def test_run_auto_chooses_reports_and_gates(small_csv: Path, tmp_path: Path) -> None:
    gate = tmp_path / "gate.yaml"
    gate.write_text("rules:\n  - privacy.exact_copies.score <= 0\n  - epsilon <= 1\n")
    out = tmp_path / "out"
    code, text = invoke("run", small_csv, "--auto", "--time-budget", "5m", "--target", "group", "--seed", "1",
                        "--gate", gate, "-o", out)  # fmt: skip
    flat = " ".join(text.split())
    assert code == EXIT_GATE_FAILED, text  # the copula is not differentially private: the epsilon rule fails
    assert "FAIL epsilon" in flat and "not differentially private" in flat and "PASS privacy.exact_copies" in flat
    assert "chosen: gaussian_copula" in flat and "leaderboard" in flat
    report = json.loads((out / "report" / "report.json").read_text())
    sel = report["selection"]
    assert sel["chosen"] == "gaussian_copula" and sel["rows"] == {"train": 420, "validation": 140, "test": 140}
    assert sel["leaderboard"][0]["score"] > 0.5 and sel["leaderboard"][0]["predicted_fit_seconds"] > 0
    assert report["data"]["n_rows"]["holdout"] == 140 and report["generator"]["name"] == "gaussian_copula"
    assert report["audit"]["config"]["command"] == "run --auto" and report["audit"]["seeds"] == {"seed": 1}
    html = (out / "report" / "report.html").read_text()
    assert "Automatic choice of the generator" in html and "Audit manifest" in html
    assert len(pd.read_csv(out / "synthetic.csv")) == 420 and (out / "model" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--time-budget", "5m"), "--time-budget and --objective apply to --auto"),
        (("--objective", "utility"), "apply to --auto"),
        (("--auto", "--objective", "speed"), "--objective 'speed'; choose one of balanced, fidelity, utility"),
        (("--auto", "--objective", "utility"), "needs a --target"),
        (("--auto", "--generator", "gan"), "--auto chooses the generator itself"),
        (("--auto", "--epsilon", "1"), "--auto does not run under a privacy budget"),
        (("--auto", "--no-evaluate"), "cannot be combined with --no-evaluate"),
        (("--auto", "--time-budget", "fast"), "is not a duration"),
        (("--no-evaluate", "--gate", DEMO), "--gate"),
    ],
)
def test_run_auto_bad_options_are_one_line(small_csv: Path, tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    code, out = invoke("run", small_csv, "-o", tmp_path / "o", *args)
    assert code == 2 and out.count("error:") == 1 and needle in " ".join(out.split()), out
    assert not (tmp_path / "o").exists()


def test_plain_run_writes_an_audit_and_honours_the_gate(small_csv: Path, tmp_path: Path) -> None:
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps({"rules": [{"figure": "fidelity.column_shapes.score", "min": 0.5, "name": "shapes"}]}))
    out = tmp_path / "out"
    code, text = invoke("run", small_csv, "--target", "group", "--seed", "3", "--gate", gate, "-o", out)
    assert code == 0, text
    assert "PASS shapes" in " ".join(text.split())
    audit = json.loads((out / "report" / "audit.json").read_text())
    assert audit["config"]["command"] == "run" and audit["config"]["generator"] == "gaussian_copula"
    assert audit["data"]["input"]["file"] == "small.csv" and audit["gate"]["passed"] is True
    gate.write_text(json.dumps({"rules": [{"figure": "fidelity.column_shapes.score", "min": 1.5, "name": "shapes"}]}))
    code, text = invoke("run", small_csv, "--target", "group", "--seed", "3", "--gate", gate, "-o", out, "-q")
    assert code == EXIT_GATE_FAILED and "FAIL shapes" in text and (out / "synthetic.csv").exists()
