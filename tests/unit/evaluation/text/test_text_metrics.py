"""Text metrics on toy tables: each separates a good synthetic text column from a bad one, and each says
"not evaluated" with the reason when it cannot run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulacra import evaluate
from simulacra.evaluation.text.consistency import TextConsistency
from simulacra.evaluation.text.embedding import detection_auc, mmd_rbf
from simulacra.evaluation.text.length import TextLength
from simulacra.evaluation.text.ngrams import NgramSimilarity
from simulacra.evaluation.text.replay import ReplayRate
from simulacra.schema import ColumnKind
from simulacra.schema.profile import profile

POS = ["love", "great", "happy", "perfect", "works", "fun", "easy", "best"]
NEG = ["broke", "awful", "refund", "slow", "bad", "noisy", "returned", "worst"]


def table(n: int, seed: int, swap: bool = False, short: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    label = rng.choice(["pos", "neg"], n)
    texts = []
    for y in label:
        words = POS if (y == "pos") != swap else NEG
        k = 2 if short else int(rng.integers(4, 12))
        texts.append(" ".join(rng.choice([*words, "the", "echo", "it", "is"], k)) + f" {rng.integers(0, 10**6)}")
    return pd.DataFrame({"label": label, "review": texts})


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return {
        "real": table(400, 0),
        "holdout": table(200, 1),
        "good": table(200, 2),
        "swapped": table(200, 3, swap=True),
        "short": table(200, 4, short=True),
    }


def run(metric, data, synthetic, **kw):  # type: ignore[no-untyped-def]
    schema = profile(data["real"])
    assert schema["review"].kind is ColumnKind.TEXT
    return metric.compute(data["real"], data[synthetic], schema, holdout=data["holdout"], **kw)


def test_length_and_ngrams_prefer_the_good_column(data) -> None:
    good, short = run(TextLength(), data, "good"), run(TextLength(), data, "short")
    assert good.score > 0.8 > short.score and good.reference > 0.8
    assert len(good.details["columns"]["review"]["histogram"]["real"]) == 20
    assert run(NgramSimilarity(), data, "good").score > run(NgramSimilarity(), data, "short").score


def test_consistency_sees_texts_that_contradict_their_label(data) -> None:
    good = run(TextConsistency(), data, "good", target="label")
    swapped = run(TextConsistency(), data, "swapped", target="label")
    assert good.score > 0.9 and swapped.score < 0.2 and good.reference == 1.0
    assert good.details["columns"]["review"]["accuracy_holdout"] > 0.9


def test_replay_counts_copied_spans_and_contact_leaks(data) -> None:
    real = data["real"].copy()
    real.loc[0, "review"] = "please call me at 555-867-5309 or write to ann@example.org about the order"
    copied = data["good"].copy()
    long_ones = real["review"][real["review"].str.split().str.len() >= 8].head(10).to_numpy()
    assert long_ones[0] == real.loc[0, "review"]
    copied.loc[:9, "review"] = long_ones
    schema = profile(real)
    res = ReplayRate().compute(real, copied, schema, holdout=data["holdout"])
    col = res.details["columns"]["review"]
    assert res.score == pytest.approx(10 / 200) and col["contact_leaks"] == 2
    assert res.reference == 0.0
    assert not set(col["examples"]) & set(real["review"])  # examples never show a real text
    fresh = ReplayRate().compute(real, data["good"], schema, holdout=data["holdout"])
    assert fresh.score == 0.0 and fresh.details["columns"]["review"]["contact_leaks"] == 0


def test_embedding_statistics_on_separable_and_identical_clouds() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    assert abs(detection_auc(a, b) - 0.5) < 0.1 and mmd_rbf(a, b) < 0.01
    far = b + 1.5
    assert detection_auc(a, far) > 0.95 and mmd_rbf(a, far) > 0.1


def test_not_evaluated_without_text_without_target_and_in_the_suite(data) -> None:
    plain = pd.DataFrame({"x": np.arange(50.0), "g": ["a", "b"] * 25})
    ev = evaluate(plain, plain, holdout=plain, metrics=["text"])
    assert {s.reason for s in ev.skipped.values()} == {"the table has no free-text column"}
    ev = evaluate(data["real"], data["good"], holdout=data["holdout"], metrics=["text.consistency", "text.length"])
    assert "--target" in ev.skipped["text.consistency"].reason and "text.length" in ev.results
    assert math.isfinite(ev.results["text.length"].score)
