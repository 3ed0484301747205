"""`simulacra run` on a table with a free-text column: the language model by default, the text metrics and
the report's text section; `sample` from the saved model; the text options' error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulacra.cli.main import app
from simulacra.io import read_table
from tests.unit.text.test_model import corpus

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "reviews.csv"
    frame = corpus(200)
    for i in range(10):
        frame.loc[i, "review"] = f"call me at 555-867-53{i:02d} " + frame.loc[i, "review"]
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def run_out(csv_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("run") / "out"
    code, text = invoke("run", csv_path, "--target", "label", "--text-minutes", "0.05", "--seed", "0", "-o", out)
    assert code == 0, text
    return out, " ".join(text.split())


def test_run_writes_texts_with_the_language_model_and_reports_them(run_out) -> None:
    out, text = run_out
    assert "text column review: transformer language model" in text and "on 160 texts" in text
    assert "PII replaced: phone " in text
    manifest = json.loads((out / "model" / "manifest.json").read_text())
    assert manifest["text_models"]["review"]["status"] == "language model"
    assert manifest["text_models"]["review"]["model"] == "transformer"  # the default text model
    report = json.loads((out / "report" / "report.json").read_text())
    for name in ("length", "ngrams", "consistency", "replay_rate", "embedding_detection", "embedding_mmd"):
        assert report["text"][name]["status"] == "ok", (name, report["text"][name]["reason"])
    assert report["text"]["replay_rate"]["details"]["columns"]["review"]["contact_leaks"] == 0
    assert report["generator"]["text"]["review"]["guard"]["drawn"] >= 160
    assert "text.replay_rate" in text  # the terminal summary lists the text metrics
    html = (out / "report" / "report.html").read_text()
    assert "Text column: review" in html and "Synthetic examples" in html and "top real bigrams" in html
    synthetic = read_table(out / "synthetic.csv")
    assert synthetic["review"].notna().all()  # no empty text: the column has none
    assert "555-867-53" not in " ".join(synthetic["review"])


def test_sample_from_the_saved_model_uses_the_language_model(run_out, tmp_path: Path) -> None:
    out, _ = run_out
    code, text = invoke("sample", out / "model", "-n", "30", "-o", tmp_path / "s.csv", "--seed", "2", "-q")
    assert code == 0, text
    again = tmp_path / "t.csv"
    assert invoke("sample", out / "model", "-n", "30", "-o", again, "--seed", "2", "-q")[0] == 0
    assert (tmp_path / "s.csv").read_text() == again.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--text-model", "gpt"), "--text-model 'gpt'; choose lm, transformer, gru, placeholder or the path"),
        (("--text-model", "transformer", "--text-epsilon", "1"), "cannot go with --text-model transformer"),
        (("--text-model", "./no-such-model"), "no-such-model' does not exist; give a local folder"),
        (("--text-minutes", "0"), "--text-minutes 0.0; give a positive number"),
        (("--generator", "mst", "--text-model", "lm"), "not differentially private"),
        (("--text-epsilon", "-1"), "--text-epsilon -1.0; give a positive privacy budget"),
        (("--text-model", "placeholder", "--text-epsilon", "1"), "cannot go with --text-model placeholder"),
        (("--auto", "--text-minutes", "1"), "--auto compares its candidates with the placeholder"),
    ],
)
def test_text_option_errors_are_one_line(csv_path: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, text = invoke("run", csv_path, *args, "-o", tmp_path / "o")
    assert code == 2 and message in " ".join(text.split()) and "Traceback" not in text
    assert not (tmp_path / "o").exists()


def test_placeholder_stays_available(csv_path: Path, tmp_path: Path) -> None:
    code, text = invoke("fit", csv_path, "--text-model", "placeholder", "-o", tmp_path / "m", "-q")
    assert code == 0, text
    assert "text_models" not in json.loads((tmp_path / "m" / "manifest.json").read_text())


def test_run_with_a_local_pretrained_model_folder(csv_path: Path, tmp_path: Path) -> None:
    from tests.unit.text.test_pretrained import tiny_gpt2

    folder = tiny_gpt2(tmp_path / "tiny-gpt2")
    out = tmp_path / "out"
    code, text = invoke(
        "run", csv_path, "--text-model", folder, "--text-minutes", "0.05", "--no-evaluate", "--seed", "0", "-o", out
    )
    assert code == 0, text
    assert "fine-tuned from gpt2" in " ".join(text.split())
    assert (out / "model" / "text-model-0" / "model.safetensors").is_file()
    assert invoke("sample", out / "model", "-n", "20", "-o", tmp_path / "s.csv", "--seed", "2", "-q")[0] == 0
    assert read_table(tmp_path / "s.csv")["review"].notna().all()
    code, text = invoke("run", csv_path, "--generator", "mst", "--text-model", folder, "-o", tmp_path / "o")
    assert code == 2 and "a fine-tuned pre-trained model is not differentially private" in " ".join(text.split())
