"""The free-text language model: learns a condition on a tiny corpus, two-stage sampling, persistence,
seeding, the placeholder fallback and the parameter errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("tokenizers")

from simulacra import create_generator, load
from simulacra.errors import ParameterError
from simulacra.text import TextConfig

GOOD = (["i love it", "love the sound", "great value", "works great", "so happy"], ["really", "today", "again"])
BAD = (["terrible support", "it broke", "awful sound", "waste of money", "so sad"], ["really", "today", "again"])
SMALL = TextConfig.gru(epochs=25, max_minutes=1.0, vocab_size=300, embed=16, hidden=48, batch_size=32, lr=1e-2)


def corpus(n: int = 240, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.choice(["good", "bad"], n)
    texts = []
    for y in label:
        phrases, tails = GOOD if y == "good" else BAD
        picked = rng.choice(phrases, 3, replace=False)
        texts.append(f"{picked[0]} , {picked[1]} and {picked[2]} {rng.choice(tails)}")
    return pd.DataFrame({"label": label, "score": rng.integers(1, 6, n), "review": texts})


def share(texts: pd.Series, words: tuple[str, ...]) -> float:
    return float(texts.str.contains("|".join(words)).mean())


@pytest.fixture(scope="module")
def fitted() -> object:
    return create_generator("gaussian_copula", random_state=0).fit(corpus(), text=SMALL)


def test_texts_follow_their_row_and_pii_is_reported(fitted) -> None:
    out = fitted.sample(300, random_state=1)
    good, bad = out[out["label"] == "good"]["review"], out[out["label"] == "bad"]["review"]
    assert fitted.schema_["review"].kind.value == "text"
    assert share(good, ("love", "great", "happy")) > 0.8 and share(good, ("awful", "terrible", "broke")) < 0.2
    assert share(bad, ("awful", "terrible", "broke")) > 0.8 and share(bad, ("love", "great", "happy")) < 0.2
    info = fitted.text_summary()["review"]
    assert info["status"] == "language model" and set(info["pii_replaced"]) >= {"email", "phone", "name"}
    assert info["guard"]["drawn"] >= 300


def test_same_seed_same_texts_and_save_load_round_trip(fitted, tmp_path) -> None:
    a = fitted.sample(50, random_state=7)
    pd.testing.assert_frame_equal(a, fitted.sample(50, random_state=7))
    fitted.save(tmp_path / "m")
    manifest = (tmp_path / "m" / "manifest.json").read_text()
    assert '"text_models"' in manifest and "pickle" not in manifest
    back = load(tmp_path / "m")
    pd.testing.assert_frame_equal(back.sample(50, random_state=7), a)


def test_too_few_texts_keep_the_placeholder() -> None:
    gen = create_generator("gaussian_copula", random_state=0).fit(corpus(12), text=SMALL)
    assert gen.text_summary()["review"]["status"].startswith("placeholder")
    assert gen.sample(5)["review"].notna().all()


def test_bad_text_settings_are_one_clear_error() -> None:
    gen = create_generator("gaussian_copula", random_state=0)
    with pytest.raises(ParameterError, match="text="):
        gen.fit(corpus(), text="gpt")
    with pytest.raises(ParameterError, match="top_p must be in"):
        gen.fit(corpus(), text=TextConfig(top_p=0.0))
    with pytest.raises(ParameterError, match="have no"):
        TextConfig.from_dict({"epochz": 3})


def test_private_text_model_spends_its_budget_and_learns_nothing_outside_dp_sgd(tmp_path) -> None:
    pytest.importorskip("opacus")
    cfg = TextConfig(epsilon=4.0, epochs=2, max_minutes=1.0, embed=8, hidden=16, batch_size=64)
    df = corpus(200)
    df.loc[0, "review"] = "mail ann@example.org , " + df.loc[0, "review"]
    gen = create_generator("gaussian_copula", random_state=0).fit(df, text=cfg)
    info = gen.text_summary()["review"]
    assert info["privacy"]["epsilon"] == 4.0 and 0 < info["privacy"]["epsilon_spent"] <= 4.0
    assert info["vocab_size"] == 259 and "pii_replaced" not in info  # bytes only; no column statistic kept
    assert info["training"]["dp_sgd"]["steps_run"] == info["training"]["dp_sgd"]["steps_planned"]
    tm = gen.text_models_["review"]
    assert len(tm.guard_.hashes) == 0 and tm.encoder_.length_edges_[0] == 2.0  # public bins, no index
    a = gen.sample(20, random_state=3)
    gen.save(tmp_path / "m")
    pd.testing.assert_frame_equal(load(tmp_path / "m").sample(20, random_state=3), a)
    with pytest.raises(ParameterError, match="epsilon must be a positive"):
        gen.fit(df, text=TextConfig(epsilon=-1.0))


def test_two_layer_tied_model_with_lr_decay_learns_and_round_trips(tmp_path) -> None:
    from dataclasses import replace

    cfg = replace(SMALL, layers=2, tie=True, lr_decay=0.5, patience=3, epochs=15, hidden=32)
    gen = create_generator("gaussian_copula", random_state=0).fit(corpus(160), text=cfg)
    model = gen.text_models_["review"].model_
    assert model.out.weight is model.tok.weight and model.gru.num_layers == 2
    out = gen.sample(100, random_state=1)
    good, bad = out[out["label"] == "good"]["review"], out[out["label"] == "bad"]["review"]
    assert share(good, ("love", "great", "happy")) > 0.7 and share(bad, ("awful", "terrible", "broke")) > 0.7
    gen.save(tmp_path / "m")
    pd.testing.assert_frame_equal(load(tmp_path / "m").sample(30, random_state=2), gen.sample(30, random_state=2))
    last = create_generator("gaussian_copula", random_state=0).fit(corpus(160), text=replace(cfg, early_stopping=False))
    assert last.text_summary()["review"]["training"]["epochs_run"] == 15  # no early stop: every epoch, last weights
    with pytest.raises(ParameterError, match="lr_decay must be in"):
        gen.fit(corpus(), text=TextConfig(lr_decay=0.0))


def test_transformer_learns_the_condition_and_round_trips(tmp_path) -> None:
    from dataclasses import replace

    cfg = replace(SMALL, arch="transformer", width=32, blocks=1, heads=2, warmup=10, schedule="cosine", rerank=2)
    gen = create_generator("gaussian_copula", random_state=0).fit(corpus(), text=cfg)
    assert type(gen.text_models_["review"].model_).__name__ == "CondTransformer"
    out = gen.sample(200, random_state=1)
    good, bad = out[out["label"] == "good"]["review"], out[out["label"] == "bad"]["review"]
    assert share(good, ("love", "great", "happy")) > 0.8 and share(bad, ("awful", "terrible", "broke")) > 0.8
    a = gen.sample(30, random_state=2)
    pd.testing.assert_frame_equal(a, gen.sample(30, random_state=2))
    gen.save(tmp_path / "m")
    pd.testing.assert_frame_equal(load(tmp_path / "m").sample(30, random_state=2), a)
    with pytest.raises(ParameterError, match="width \\(30\\) must be a multiple of heads \\(4\\)"):
        gen.fit(corpus(), text=TextConfig(arch="transformer", width=30, heads=4))
    with pytest.raises(ParameterError, match="arch must be 'auto', 'gru' or 'transformer'"):
        gen.fit(corpus(), text=TextConfig(arch="lstm"))
    with pytest.raises(ParameterError, match="schedule must be 'constant' or 'cosine'"):
        gen.fit(corpus(), text=TextConfig(schedule="linear"))
    with pytest.raises(ParameterError, match="precision must be 'auto', 'float32' or 'bfloat16'"):
        gen.fit(corpus(), text=TextConfig(precision="fp16"))


def test_the_default_is_the_transformer_and_each_architecture_has_its_own_defaults() -> None:
    from simulacra.text.lm import use_bfloat16

    default = TextConfig()
    resolved = (default.model_arch, default.width, default.dropout, default.learning_rate, default.warmup_steps)
    assert resolved == ("transformer", 256, 0.1, 1e-3, 200)
    assert (default.lr_schedule, default.keep_best) == ("cosine", False)
    assert TextConfig.transformer(max_minutes=2.0) == TextConfig(arch="transformer", max_minutes=2.0)
    gru = TextConfig.gru()
    assert (gru.model_arch, gru.learning_rate, gru.warmup_steps, gru.lr_schedule, gru.keep_best) == (
        "gru",
        3e-3,
        0,
        "constant",
        True,
    )
    private = TextConfig(epsilon=4.0)  # DP-SGD trains the GRU
    assert (private.model_arch, private.learning_rate) == ("gru", 3e-3)
    explicit = TextConfig(warmup=0, schedule="constant", early_stopping=True)
    assert (explicit.warmup_steps, explicit.lr_schedule, explicit.keep_best) == (0, "constant", True)
    assert use_bfloat16("bfloat16") and not use_bfloat16("float32")
    assert isinstance(use_bfloat16("auto"), bool)


def test_transformer_trains_in_float32_and_bfloat16() -> None:
    from dataclasses import replace

    cfg = replace(SMALL, arch="transformer", width=32, blocks=1, heads=2, warmup=10)
    for precision in ("float32", "bfloat16"):
        gen = create_generator("gaussian_copula", random_state=0).fit(corpus(), text=replace(cfg, precision=precision))
        info = gen.text_summary()["review"]
        assert info["model"] == "transformer" and info["training"]["bfloat16"] is (precision == "bfloat16")
        out = gen.sample(100, random_state=1)
        good, bad = out[out["label"] == "good"]["review"], out[out["label"] == "bad"]["review"]
        assert share(good, ("love", "great", "happy")) > 0.7 and share(bad, ("awful", "terrible", "broke")) > 0.7


def test_the_cosine_rate_comes_down_by_the_epoch_limit_or_the_time_budget() -> None:
    from simulacra.text.lm import lr_factor

    def cosine(step: int, elapsed: float | None) -> float:
        return lr_factor(step, warmup=10, schedule="cosine", total_steps=100, elapsed=elapsed)

    assert cosine(0, None) == pytest.approx(0.1, abs=0.01)  # warm-up: a tenth of the rate at the first step
    assert cosine(50, None) == pytest.approx(0.55)  # half the epochs, no time budget: half way down
    assert cosine(100, None) == pytest.approx(0.1)  # the epoch limit ends training at a tenth of the rate
    assert cosine(20, 1.0) == pytest.approx(0.1)  # the time budget spent first: down all the same
    assert cosine(50, 0.25) == pytest.approx(0.55)  # the larger share of the two counts
    assert lr_factor(100, warmup=0, schedule="constant", total_steps=100, elapsed=1.0) == 1.0


def test_threads_default_to_every_core_and_bad_threads_are_one_clear_error() -> None:
    from dataclasses import replace

    from simulacra.generators.deep._torch import cpu_count

    assert TextConfig().threads is None
    gen = create_generator("gaussian_copula", random_state=0).fit(corpus(), text=replace(SMALL, epochs=2))
    assert gen.text_summary()["review"]["training"]["threads"] == cpu_count()
    for bad in (0, True, 1.5):
        with pytest.raises(ParameterError, match="threads must be a positive integer or None"):
            create_generator("gaussian_copula", random_state=0).fit(corpus(), text=TextConfig(threads=bad))
