"""The recommendation rules: generator with reasons and evidence, per-kind plans, the DP path, candidates."""

from __future__ import annotations

import json

import simulacra
from simulacra.recommend import DP_GENERATORS, KIND_RULES, candidates, recommend
from simulacra.schema import ColumnKind
from tests.conftest import make_mixed

ALL = frozenset({"gaussian_copula", "vae", "gan"})


def schema_of(n: int = 400):  # type: ignore[no-untyped-def]
    return simulacra.profile(make_mixed(n))


def test_every_kind_has_a_rule_with_a_reason() -> None:
    assert set(KIND_RULES) == set(ColumnKind)
    for rule in KIND_RULES.values():
        assert rule.reason and rule.transformer


def test_default_is_the_copula_with_evidence_and_deep_alternatives() -> None:
    rec = recommend(schema_of(), n_rows=5000, target="group", available=ALL)
    assert rec.generator.choice == "gaussian_copula"
    assert rec.generator.evidence is not None and "auto_select.py" in rec.generator.evidence.source
    assert "adult_copula.py" in rec.generator.reason
    assert [g for g, _ in rec.generator.alternatives] == ["vae", "gan"]
    assert rec.auto_candidates == ["gaussian_copula", "vae", "gan"]
    kinds = rec.kinds
    assert set(kinds) >= {ColumnKind.NUMERIC, ColumnKind.CATEGORICAL, ColumnKind.IDENTIFIER, ColumnKind.PII}
    assert kinds[ColumnKind.PII][0] == ["email"]
    assert any(m == "utility.tstr" for m, _ in rec.metrics)


def test_argn_is_the_first_deep_candidate_and_keeps_its_early_stopping() -> None:
    rec = recommend(schema_of(), n_rows=5000, target="group", available=ALL | {"argn"})
    assert [g for g, _ in rec.generator.alternatives] == ["argn", "vae", "gan"]
    assert "--auto tries it first" in rec.generator.alternatives[0][1]
    assert rec.auto_candidates == ["gaussian_copula", "argn", "vae", "gan"]
    cands = candidates(schema_of(), n_rows=5000, available=ALL | {"argn"})
    assert cands["argn"] == {"threads": 1}  # early stopping on; max_minutes comes from the selection
    assert cands["vae"] == {"threads": 1, "early_stopping": False}
    assert "argn" not in candidates(schema_of(), n_rows=400, available=ALL | {"argn"})


def test_small_tables_get_the_copula_and_no_deep_candidates() -> None:
    rec = recommend(schema_of(), n_rows=400, available=ALL)
    assert rec.generator.rule == "small table" and rec.generator.choice == "gaussian_copula"
    assert "400 rows" in rec.generator.reason
    assert candidates(schema_of(), n_rows=400, available=ALL) == {"gaussian_copula": {}}
    assert any("no --target" in n for n in rec.notes)


def test_epsilon_without_a_dp_generator_says_so_and_chooses_nothing() -> None:
    rec = recommend(schema_of(), n_rows=5000, epsilon=1.0, available=ALL)
    assert rec.generator.choice is None
    assert "no differentially private generator is registered" in rec.generator.reason
    assert rec.auto_candidates == []


def test_epsilon_with_a_dp_generator_chooses_it() -> None:
    dp = DP_GENERATORS[0]
    rec = recommend(schema_of(), n_rows=5000, epsilon=0.5, available=ALL | {dp})
    assert rec.generator.choice == dp and "0.5" in rec.generator.reason
    assert candidates(schema_of(), n_rows=5000, epsilon=0.5, available=ALL | {dp}) == {dp: {"epsilon": 0.5}}


def test_short_budget_and_missing_deep_extra_are_explained() -> None:
    rec = recommend(schema_of(), n_rows=5000, time_budget=60, available=ALL)
    assert "too few epochs" in rec.generator.alternatives[0][1]
    rec = recommend(schema_of(), n_rows=5000, available=frozenset({"gaussian_copula"}))
    assert "pip install 'simulacra[deep]'" in rec.generator.alternatives[0][1]


def test_text_columns_get_the_language_model_and_text_metrics() -> None:
    schema = schema_of()
    schema = schema.replace_column(schema["group"].with_(kind=ColumnKind.TEXT))
    rec = recommend(schema, n_rows=400, available=ALL)
    text = rec.to_dict()["kinds"]["text"]
    assert text["columns"] == ["group"]
    assert "language model conditioned on the row" in text["transformer"] and "placeholder" in text["caveat"]
    assert any(m.startswith("text.replay_rate") for m in text["metrics"])
    assert any(n.startswith("text columns:") and "not private" in n for n in rec.notes)


def test_to_dict_is_json() -> None:
    rec = recommend(schema_of(), n_rows=5000, target="group", available=ALL)
    data = json.loads(json.dumps(rec.to_dict()))
    assert data["generator"]["choice"] == "gaussian_copula"
    assert data["kinds"]["pii"]["columns"] == ["email"]
    assert data["generator"]["evidence"]["figures"]


def test_argn_is_named_as_an_alternative_with_its_evidence() -> None:
    rec = recommend(schema_of(), n_rows=5000, available=ALL | {"argn"})
    alternatives = dict(rec.generator.alternatives)
    assert "argn_vs_tabularargn.py" in alternatives["argn"] and "--generator argn" in alternatives["argn"]
    assert "argn" in rec.auto_candidates
