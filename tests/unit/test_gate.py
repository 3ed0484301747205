"""The release gate: rule syntax, figures of a report, verdicts, and the audit manifest's hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from simulacra.errors import InputFileError, ParameterError
from simulacra.gate import Gate, Rule, audit_manifest, figures, load_gate, manifest_hash, parse_gate

REPORT = {
    "data": {"n_rows": {"real": 100, "synthetic": 100, "holdout": 20}},
    "generator": {"name": "gaussian_copula", "params": {"random_state": 0}},
    "headline": {"fidelity": {"score": 0.95, "reference": 0.97}},
    "fidelity": {"column_shapes": {"status": "ok", "score": 0.95, "reference": 0.97, "ci": None}},
    "utility": {"tstr": {"status": "ok", "score": 0.85, "reference": 0.88, "ci": [0.84, 0.86]}},
    "privacy": {
        "dcr_share": {"status": "ok", "score": 0.52, "reference": 0.5, "ci": [0.5, 0.54]},
        "exact_copies": {"status": "ok", "score": 0.0, "reference": 0.0, "ci": [0.0, 0.01]},
        "singling_out": {"status": "not_evaluated", "reason": "needs a holdout", "score": None},
    },
}


def test_string_and_mapping_rules_parse() -> None:
    gate = parse_gate(
        {
            "rules": [
                "utility.tstr.gap <= 0.02",
                {"figure": "fidelity.column_shapes.score", "min": 0.9, "name": "shapes"},
            ]
        }
    )
    assert gate.rules[0] == Rule("utility.tstr.gap", "<=", 0.02, "utility.tstr.gap")
    assert gate.rules[1] == Rule("fidelity.column_shapes.score", ">=", 0.9, "shapes")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"rules": []}, "no rules"),
        ({"rules": ["tstr gap small"]}, "is not 'figure <= number'"),
        ({"rules": [{"figure": "utility.tstr.gap"}]}, "exactly one of 'max' or 'min'"),
        ({"rules": [{"figure": "utility.tstr.gap", "max": "low"}]}, "give a number"),
        ({"rules": ["utility.tstr.gapp <= 1"]}, "unknown figure name"),
        ({"rules": ["x <= 1"], "extra": 1}, "unknown top-level key"),
    ],
)
def test_bad_gates_say_what_is_wrong(data: object, needle: str) -> None:
    with pytest.raises(ParameterError, match=needle):
        parse_gate(data, "gate file 'g.yaml'")


def test_figures_derive_gap_and_excess_and_list_missing_reasons() -> None:
    figs, reasons = figures(REPORT)
    assert figs["utility.tstr.gap"] == pytest.approx(0.03)
    assert figs["privacy.dcr_share.excess"] == pytest.approx(0.02)
    assert figs["privacy.exact_copies.ci_high"] == 0.01
    assert figs["headline.fidelity.score"] == 0.95
    assert "privacy.singling_out.score" not in figs
    assert "needs a holdout" in reasons["privacy.singling_out"]
    assert "not differentially private" in reasons["epsilon"]


def test_rules_pass_fail_and_a_missing_figure_fails() -> None:
    gate = parse_gate(
        [
            "utility.tstr.gap <= 0.05",
            "privacy.dcr_share.excess <= 0.01",
            "privacy.singling_out.ci_high <= 0.05",
            "epsilon <= 1",
        ]
    )
    result = gate.check(*figures(REPORT))
    assert [r.passed for r in result.results] == [True, False, False, False]
    assert not result.passed
    assert "figure missing" in result.results[2].note and "needs a holdout" in result.results[2].note
    assert "not differentially private" in result.results[3].note
    assert result.results[1].line().startswith("FAIL privacy.dcr_share.excess")


def test_load_gate_yaml_json_and_errors(tmp_path: Path) -> None:
    y = tmp_path / "gate.yaml"
    y.write_text("rules:\n  - privacy.exact_copies.score <= 0\n  - {figure: utility.tstr.gap, max: 0.02}\n")
    assert len(load_gate(y).rules) == 2
    j = tmp_path / "gate.json"
    j.write_text(json.dumps({"rules": ["epsilon <= 1"]}))
    assert load_gate(j).rules[0].figure == "epsilon"
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [a, b\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_gate(bad)
    with pytest.raises(InputFileError, match="does not exist"):
        load_gate(tmp_path / "missing.yaml")


def test_audit_manifest_hashes_inputs_and_itself(tmp_path: Path) -> None:
    data = tmp_path / "in.csv"
    data.write_text("a,b\n1,2\n")
    gate = Gate([Rule("utility.tstr.gap", "<=", 0.05, "gap")]).check(*figures(REPORT))
    audit = audit_manifest(inputs={"input": data}, seeds={"seed": 7}, config={"k": 1}, report=REPORT, gate=gate)
    assert audit["data"]["input"]["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert audit["seeds"] == {"seed": 7} and audit["gate"]["passed"] is True
    assert audit["packages"]["numpy"]
    assert audit["manifest_sha256"] == manifest_hash(audit)
    tampered = dict(audit, figures={**audit["figures"], "utility.tstr.score": 0.99})
    assert manifest_hash(tampered) != audit["manifest_sha256"]
