"""A local pre-trained model folder (Hugging Face format) fine-tuned as the text model: a tiny random GPT-2
built here (no download, no real checkpoint), fit / sample / seeding / save / load, and the error paths."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

from simulacra import create_generator, load
from simulacra.errors import MissingDependencyError, ModelFileError, ParameterError
from simulacra.text import TextConfig
from tests.unit.text.test_model import corpus, share


def tiny_gpt2(folder: Path) -> Path:
    """A 1-layer, 32-wide GPT-2 with random weights and a byte-level BPE tokenizer trained on the corpus."""
    transformers = pytest.importorskip("transformers")
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator([*corpus().review, "label: good bad | score: words: under to or more"], trainer=trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(fast), n_layer=1, n_embd=32, n_head=2, n_positions=256)
    transformers.GPT2LMHeadModel(config).save_pretrained(str(folder))
    fast.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_gpt2(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture(scope="module")
def fitted(folder: Path) -> object:
    cfg = TextConfig(pretrained=str(folder), epochs=30, max_minutes=1.0, finetune_lr=1e-2)
    return create_generator("gaussian_copula", random_state=0).fit(corpus(), text=cfg)


def test_fine_tuned_texts_follow_their_row(fitted) -> None:
    out = fitted.sample(200, random_state=1)
    good, bad = out[out["label"] == "good"]["review"], out[out["label"] == "bad"]["review"]
    assert share(good, ("love", "great", "happy")) > 0.8 and share(bad, ("awful", "terrible", "broke")) > 0.8
    info = fitted.text_summary()["review"]
    assert info["status"] == "language model" and info["pretrained"]["model_type"] == "gpt2"
    assert info["guard"]["drawn"] >= 200 and "pii_replaced" in info


def test_same_seed_same_texts_and_the_saved_model_is_safetensors(fitted, tmp_path: Path, monkeypatch) -> None:
    a = fitted.sample(40, random_state=7)
    pd.testing.assert_frame_equal(a, fitted.sample(40, random_state=7))
    fitted.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m" / "text-model-0").iterdir())
    assert "model.safetensors" in files and "config.json" in files
    assert not [f for f in files if f.endswith((".bin", ".pt", ".pkl"))]
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["state"]["text"]["review"]["pretrained"]["files"]["model.safetensors"]
    pd.testing.assert_frame_equal(load(tmp_path / "m").sample(40, random_state=7), a)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "transformers", None)  # loading where transformers is not installed
        with pytest.raises(MissingDependencyError, match="pip install transformers"):
            load(tmp_path / "m")
    with (tmp_path / "m" / "text-model-0" / "model.safetensors").open("ab") as f:
        f.write(b"x")  # a damaged weights file is refused before it is read
    with pytest.raises(ModelFileError, match="hash differs"):
        load(tmp_path / "m")


def test_folder_errors_are_one_clear_error(folder: Path, tmp_path: Path) -> None:
    gen = create_generator("gaussian_copula", random_state=0)
    with pytest.raises(ParameterError, match="does not exist; give a local folder"):
        gen.fit(corpus(), text=TextConfig(pretrained=str(tmp_path / "nowhere")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ParameterError, match=r"not a pre-trained model folder.*no config\.json"):
        gen.fit(corpus(), text=TextConfig(pretrained=str(tmp_path / "empty")))
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (broken / name).write_text((folder / name).read_text())
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ParameterError, match="cannot be loaded by transformers"):
        gen.fit(corpus(), text=TextConfig(pretrained=str(broken)))
    with pytest.raises(ParameterError, match="cannot go with epsilon"):
        gen.fit(corpus(), text=TextConfig(pretrained=str(folder), epsilon=1.0))


def test_without_transformers_the_error_says_how_to_install_it(tmp_path: Path, monkeypatch) -> None:
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (tmp_path / name).write_text("{}")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "transformers" else real(n, *a))
    with pytest.raises(MissingDependencyError, match="pip install transformers"):
        create_generator("gaussian_copula", random_state=0).fit(corpus(), text=TextConfig(pretrained=str(tmp_path)))
