"""Automatic selection and the estimates it relies on: durations, splits, objective, budget, workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.errors import ParameterError
from simulacra.estimate import Estimate, _linear, calibration_sizes, estimate, predict
from simulacra.evaluation.suite import evaluate
from simulacra.selection import combined_score, parse_duration, privacy_violations, select, split_three
from tests.conftest import make_mixed


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("90s", 90), ("1h30m", 5400), ("2.5m", 150), ("45", 45)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "15x", "0", "-5m", "m"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ParameterError, match="--time-budget"):
        parse_duration(text)


def test_split_three_is_disjoint_seeded_and_sized() -> None:
    frame = make_mixed(500).reset_index(drop=True)
    train, val, test = split_three(frame, 0.2, 0.2, "group", 0)
    assert (len(train), len(val), len(test)) == (300, 100, 100)
    ids = [set(p["customer_id"]) for p in (train, val, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    again = split_three(frame, 0.2, 0.2, "group", 0)
    assert again[2]["customer_id"].tolist() == test["customer_id"].tolist()
    with pytest.raises(ParameterError):
        split_three(frame, 0.5, 0.45, None, 0)


def test_objective_flags_a_copy_and_scores_a_model() -> None:
    frame = make_mixed(600, seed=1)
    train, holdout = frame.iloc[:450].reset_index(drop=True), frame.iloc[450:].reset_index(drop=True)
    keys = ["fidelity", "utility.tstr", "privacy.exact_copies", "privacy.dcr_share"]
    copy = evaluate(train, train.copy(), holdout=holdout, target="group", metrics=keys)
    assert any("exact-copy share" in v for v in privacy_violations(copy))
    assert any("DCR share" in v for v in privacy_violations(copy))
    synthetic = simulacra.create_generator("gaussian_copula", random_state=0).fit(train).sample(450, random_state=0)
    model = evaluate(train, synthetic, holdout=holdout, target="group", metrics=keys)
    score, parts = combined_score(model)
    assert privacy_violations(model) == []
    assert score == pytest.approx((parts["fidelity"] + parts["utility"]) / 2)  # type: ignore[operator]
    assert 0.5 < score <= 1.0
    assert combined_score(model, "fidelity")[0] == pytest.approx(parts["fidelity"])
    assert combined_score(model, "utility")[0] == pytest.approx(parts["utility"])
    with pytest.raises(ParameterError, match="--objective"):
        combined_score(model, "speed")


def test_calibration_sizes_and_linear_extrapolation() -> None:
    assert calibration_sizes(500) == [500]
    assert calibration_sizes(30_000) == [2000, 10_000]
    assert _linear([1000.0, 3000.0], [1.0, 2.0], 5000.0) == pytest.approx(3.0)
    assert _linear([1000.0, 3000.0], [2.0, 1.0], 5000.0) == pytest.approx(1.0)  # slope never negative


def test_deep_prediction_respects_max_minutes() -> None:
    runs = [
        {"rows": 2000, "fit_seconds": 1.0, "peak_rss_mb": 500.0, "probe_sample_seconds": 0.05, "epoch_seconds": 0.02},
        {"rows": 6000, "fit_seconds": 1.5, "peak_rss_mb": 510.0, "probe_sample_seconds": 0.05, "epoch_seconds": 0.06},
    ]
    est = Estimate("vae", {}, 20_000, float("nan"), 540.0, "", calibration=runs)
    free = predict(est, {"epochs": 300})
    assert free.epochs == 300
    capped = predict(est, {"epochs": 300, "max_minutes": 0.5})
    assert capped.epochs is not None and capped.epochs < 300
    assert capped.fit_seconds < free.fit_seconds and capped.fit_seconds <= 30.0 + 5.0


def test_deep_prediction_of_an_early_stopping_generator_uses_its_typical_epochs() -> None:
    """argn keeps early stopping under --auto: the plan takes the epochs its fits usually run, capped by
    max_minutes, instead of its 200-epoch ceiling."""
    runs = [
        {"rows": 2000, "fit_seconds": 1.0, "peak_rss_mb": 500.0, "probe_sample_seconds": 0.05, "epoch_seconds": 0.02},
        {"rows": 6000, "fit_seconds": 1.5, "peak_rss_mb": 510.0, "probe_sample_seconds": 0.05, "epoch_seconds": 0.06},
    ]
    est = Estimate("argn", {}, 20_000, float("nan"), 540.0, "", calibration=runs)
    planned = predict(est, {"threads": 1, "max_minutes": 4.0})
    assert planned.epochs == 30 and "usually ends" in planned.basis
    assert predict(est, {"threads": 1, "max_minutes": 0.05}).epochs < 30  # the budget still caps it
    assert predict(est, {"threads": 1, "early_stopping": False, "max_minutes": 4.0}).epochs > 30


def test_estimate_calibrates_in_workers_and_reports_failures() -> None:
    frame = make_mixed(3000, seed=2)
    schema = simulacra.profile(frame)
    est = estimate(frame, schema, {"gaussian_copula": {}, "vae": {"batch_size": 1, "threads": 1}}, rows=30_000)
    cop = est["gaussian_copula"]
    assert cop.error is None and [c["rows"] for c in cop.calibration] == [2000, 3000]
    assert 0 < cop.fit_seconds < 60 and 50 < cop.peak_rss_mb < 4000
    assert est["vae"].error is not None and "batch_size" in est["vae"].error
    assert not np.isfinite(est["vae"].fit_seconds)


def test_short_statistical_calibration_fits_are_repeated_and_the_fastest_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import simulacra.estimate as est_mod

    seconds = iter([0.9, 0.3, 0.5, 0.6, 2.0, 0.4])  # a load spike on the first small fit
    calls: list[int] = []

    def fake_worker(job: dict, workdir: Path, timeout: float | None) -> dict:
        calls.append(1)
        return {"fit_seconds": next(seconds), "peak_rss_mb": 100.0}

    monkeypatch.setattr(est_mod, "run_worker", fake_worker)
    frame = make_mixed(6000, seed=3)
    out = estimate(frame, simulacra.profile(frame), {"gaussian_copula": {}}, rows=12_000)["gaussian_copula"]
    # small size: 0.9, 0.3, 0.5 -> 0.3 kept; large size: 0.6, then 2.0 and 0.4 -> 0.4 kept
    assert len(calls) == 2 * est_mod.REPEATS
    assert [c["fit_seconds"] for c in out.calibration] == [0.3, 0.4]


def test_select_keeps_the_only_fitting_candidate_and_explains_the_rest(tmp_path: Path) -> None:
    frame = make_mixed(500, seed=4)
    train, val, _ = split_three(frame, 0.2, 0.2, "group", 0)
    schema = simulacra.profile(train)
    sel = select(
        train,
        val,
        schema,
        target="group",
        time_budget=300,
        workdir=tmp_path / "cand",
        candidates={"gaussian_copula": {}, "vae": {"batch_size": 1, "threads": 1}},
    )
    assert sel.chosen == "gaussian_copula"
    board = {c.generator: c for c in sel.candidates}
    assert board["vae"].status == "failed" and "calibration failed" in board["vae"].reason
    win = board["gaussian_copula"]
    assert win.chosen and win.score is not None and win.fit_seconds is not None and win.peak_rss_mb
    assert pd.read_parquet(win.synthetic_path).shape == (len(train), frame.shape[1])  # type: ignore[arg-type]
    data = sel.to_dict()
    assert data["leaderboard"][0]["generator"] == "gaussian_copula" and "only candidate" in data["reason"]


def test_select_with_no_time_left_chooses_nothing_and_says_why(tmp_path: Path) -> None:
    frame = make_mixed(300, seed=5)
    train, val, _ = split_three(frame, 0.2, 0.2, None, 0)
    sel = select(
        train, val, simulacra.profile(train), time_budget=0.5, workdir=tmp_path, candidates={"gaussian_copula": {}}
    )
    assert sel.chosen is None
    assert "gaussian_copula" in sel.reason and "left" in sel.reason
