"""The evaluation suite: every key present, JSON round trip, not-evaluated listings, input errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest

import simulacra
from simulacra.evaluation import suite
from simulacra.evaluation.base import Goal, Metric, MetricResult
from tests.conftest import make_mixed


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def start(self, task: str, total: float | None = None) -> None:
        self.calls.append(("start", task))

    def advance(self, task: str, amount: float = 1.0) -> None:
        self.calls.append(("advance", task))

    def end(self, task: str) -> None:
        self.calls.append(("end", task))

    def message(self, text: str) -> None:
        pass


@pytest.fixture(scope="module")
def tables() -> dict[str, Any]:
    frame = make_mixed(300, seed=2)
    real, holdout = frame.iloc[:240].reset_index(drop=True), frame.iloc[240:].reset_index(drop=True)
    schema = simulacra.profile(real)
    synthetic = (
        simulacra.create_generator("gaussian_copula", random_state=0).fit(real, schema).sample(240, random_state=0)
    )
    return {"real": real, "holdout": holdout, "synthetic": synthetic, "schema": schema}


@pytest.fixture(scope="module")
def full(tables: dict[str, Any]) -> tuple[simulacra.Evaluation, Recorder]:
    progress = Recorder()
    ev = simulacra.evaluate(
        tables["real"],
        tables["synthetic"],
        tables["schema"],
        holdout=tables["holdout"],
        target="group",
        progress=progress,
    )
    return ev, progress


def test_every_registered_key_has_an_entry_and_none_failed(full) -> None:
    ev, _ = full
    data = ev.to_dict()
    for key in suite.METRICS:
        family, _, name = key.partition(".")
        entry = data[family][name]
        assert {"status", "score", "reference", "ci", "seconds"} <= set(entry), key
        allowed = ("ok", "not_available", "not_evaluated") if family in ("geo", "text") else ("ok", "not_available")
        assert entry["status"] in allowed, (key, entry.get("reason"))
    assert not [k for k, s in ev.skipped.items() if s.status == "failed"]
    for key in ("fidelity.column_shapes", "utility.tstr", "utility.feature_importance"):
        assert key in ev.results
    assert data["format"] == "simulacra.report" and data["schema_version"] == 1
    assert data["data"]["n_rows"] == {"real": 240, "synthetic": 240, "holdout": 60}
    assert data["reserved"] == {}
    assert all(e["status"] == "not_evaluated" and "no free-text column" in e["reason"] for e in data["text"].values())
    assert all(e["status"] == "not_evaluated" for e in data["geo"].values())
    assert data["timings"]["total"] >= data["utility"]["tstr"]["seconds"] > 0


def test_json_round_trip_and_stable_key_paths(full) -> None:
    ev, _ = full
    data = json.loads(ev.to_json())
    shapes = data["fidelity"]["column_shapes"]
    assert 0 <= shapes["score"] <= 1 and 0 <= shapes["reference"] <= 1
    tstr = data["utility"]["tstr"]
    assert tstr["score"] == pytest.approx(ev.results["utility.tstr"].score, abs=1e-6)
    assert len(tstr["ci"]) == 2 and tstr["details"]["models"]["boosting"]["real"]["roc_auc"] == tstr["reference"]
    for family in ("fidelity", "utility", "privacy"):
        head = data["headline"][family]
        assert {"score", "reference", "verdict", "basis"} <= set(head)
    assert json.loads(json.dumps(data)) == data


def test_progress_advances_once_per_metric(full) -> None:
    _, progress = full
    mine = [c for c in progress.calls if c[1] == "evaluate"]
    assert mine[0] == ("start", "evaluate") and mine[-1] == ("end", "evaluate")
    assert sum(c[0] == "advance" for c in mine) == len(suite.METRICS)


def test_columns_not_judged_are_listed_never_dropped(full) -> None:
    ev, _ = full
    columns = ev.not_evaluated_columns()
    assert set(columns) == set(ev.schema.names)
    assert "fidelity.column_shapes" in columns["customer_id"] and "utility.tstr" in columns["email"]
    assert not columns["age"].get("fidelity.column_shapes")


def test_headline_verdicts(full, tables) -> None:
    ev, _ = full
    heads = ev.headline()
    assert set(heads) == {"fidelity", "utility", "privacy"}
    for h in heads.values():
        assert h.evaluated and h.score is not None and h.reference is not None and h.verdict
    copy = simulacra.evaluate(
        tables["real"],
        tables["real"].copy(),
        tables["schema"],
        holdout=tables["holdout"],
        target="group",
        metrics=["fidelity.column_shapes", "fidelity.column_pairs_strong", "utility.tstr", "privacy"],
    )
    heads = copy.headline()
    assert heads["utility"].verdict == "close to real data" and heads["utility"].score == heads["utility"].reference
    assert heads["fidelity"].score == pytest.approx(1.0)
    # a verbatim copy sits on its training rows: the privacy check must say so
    assert heads["privacy"].verdict.startswith("possible memorisation")
    assert heads["privacy"].score > 0.9 and heads["privacy"].reference == pytest.approx(0.8)


def test_without_holdout_or_target_the_metrics_say_why(tables) -> None:
    ev = simulacra.evaluate(
        tables["real"], tables["synthetic"], metrics=["fidelity.column_shapes", "utility", "privacy"]
    )
    assert ev.results["fidelity.column_shapes"].reference is None
    for key in ("utility.tstr", "privacy.dcr_share", "privacy.exact_copies"):
        assert ev.skipped[key].status == "not_evaluated" and "holdout" in ev.skipped[key].reason
    heads = ev.headline()
    assert not heads["privacy"].evaluated and "holdout" in heads["privacy"].verdict
    assert heads["fidelity"].verdict.startswith("no reference")
    ev = simulacra.evaluate(tables["real"], tables["synthetic"], holdout=tables["holdout"], metrics=["utility"])
    assert "no target" in ev.skipped["utility.tstr"].reason
    assert ev.headline()["utility"].verdict == "not evaluated: no target given (--target)"
    data = ev.to_dict()
    assert data["utility"]["tstr"]["status"] == "not_evaluated" and data["utility"]["tstr"]["score"] is None


class Broken(Metric):
    key = "fidelity.broken"
    name = "Broken"
    goal = Goal.MAXIMIZE
    min_value = 0.0
    max_value = 1.0

    def compute(self, real, synthetic, schema, **kw: Any) -> MetricResult:  # type: ignore[override]
        raise RuntimeError("boom")


def test_missing_module_is_not_available_and_a_crash_is_reported(tables, monkeypatch) -> None:
    registry = {
        "fidelity.column_shapes": suite.METRICS["fidelity.column_shapes"],
        "fidelity.ghost": "simulacra.evaluation.fidelity.no_such_module:Ghost",
        "fidelity.broken": f"{__name__}:Broken",
    }
    monkeypatch.setattr(suite, "METRICS", registry)
    ev = simulacra.evaluate(tables["real"], tables["synthetic"])
    assert ev.skipped["fidelity.ghost"].status == "not_available"
    assert ev.skipped["fidelity.broken"].status == "failed" and "boom" in ev.skipped["fidelity.broken"].reason
    assert "fidelity.column_shapes" in ev.results
    data = json.loads(ev.to_json())
    assert data["fidelity"]["ghost"]["status"] == "not_available" and data["fidelity"]["ghost"]["score"] is None


def test_selecting_metrics(tables) -> None:
    ev = simulacra.evaluate(tables["real"], tables["synthetic"], metrics=["fidelity.column_shapes"])
    assert list(ev.results) == ["fidelity.column_shapes"] and not ev.skipped
    with pytest.raises(simulacra.ParameterError, match=r"fidelity\.colum_shapes"):
        simulacra.evaluate(tables["real"], tables["synthetic"], metrics=["fidelity.colum_shapes"])


def test_input_errors_name_the_problem(tables) -> None:
    real, synthetic, holdout = tables["real"], tables["synthetic"], tables["holdout"]
    with pytest.raises(simulacra.SchemaError, match=r"lacks column\(s\) \['email'\].*has column\(s\) \['mail'\]"):
        simulacra.evaluate(real, synthetic.rename(columns={"email": "mail"}))
    with pytest.raises(simulacra.SchemaError, match=r"holdout table has column\(s\) \['extra'\]"):
        simulacra.evaluate(real, synthetic, holdout=holdout.assign(extra=1))
    with pytest.raises(simulacra.SchemaError, match="target 'salary' is not a column"):
        simulacra.evaluate(real, synthetic, target="salary")
    with pytest.raises(simulacra.InputError, match="synthetic table has no rows"):
        simulacra.evaluate(real, synthetic.iloc[:0])
    with pytest.raises(simulacra.InputError, match="holdout table is a list"):
        simulacra.evaluate(real, synthetic, holdout=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(simulacra.InputError, match="real table has no columns"):
        simulacra.evaluate(pd.DataFrame(index=range(3)), synthetic)
    with pytest.raises(simulacra.SchemaError, match="ghost"):
        extra = simulacra.ColumnSpec("ghost", simulacra.ColumnKind.NUMERIC, "float64")
        schema = simulacra.TableSchema((*tables["schema"].columns, extra))
        simulacra.evaluate(real, synthetic, schema)


def test_column_order_of_the_synthetic_table_does_not_matter(tables) -> None:
    real, synthetic = tables["real"], tables["synthetic"]
    a = simulacra.evaluate(real, synthetic, metrics=["fidelity.column_shapes"])
    b = simulacra.evaluate(real, synthetic[synthetic.columns[::-1]], metrics=["fidelity.column_shapes"])
    assert a.results["fidelity.column_shapes"].score == b.results["fidelity.column_shapes"].score


def test_notebook_summary_and_html(full, tmp_path) -> None:
    ev, _ = full
    summary = ev._repr_html_()
    assert "fidelity" in summary and "<svg" not in summary and "<table" in summary
    html = ev.to_html(tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html
    assert math.isfinite(ev.results["utility.tstr"].score)
