"""Release gate: acceptance rules over named figures of an evaluation, and the audit manifest.

A gate file (YAML or JSON) lists rules; each compares one figure with a bound::

    rules:
      - utility.tstr.gap <= 0.02                 # TRTR - TSTR (AUC points lost by training on synthetic)
      - privacy.dcr_share.excess <= 0.02         # DCR share above its ideal
      - privacy.exact_copies.score <= 0
      - privacy.singling_out.ci_high <= 0.05     # upper end of the 95% interval
      - epsilon <= 1                             # DP budget spent (only DP generators have one)
      - {figure: fidelity.column_shapes.score, min: 0.9, name: shapes}

**Figures** (:func:`figures` lists every one an evaluation has):

- ``<family>.<metric>.score``, ``.reference``, ``.ci_low``, ``.ci_high`` for every metric of
  ``report.json`` (``fidelity.column_shapes``, ``utility.tstr``, ``privacy.dcr_share`` ...);
- ``<family>.<metric>.gap`` = reference - score (how far below the real data; for ``utility.tstr`` the
  AUC, or R², gap between TRTR and TSTR) and ``.excess`` = score - reference (how far above it; for
  ``privacy.dcr_share`` the excess over the ideal share);
- ``headline.<fidelity|utility|privacy>.score`` / ``.reference``;
- ``epsilon``: the generator's ``epsilon`` parameter, present only for DP generators.

A rule whose figure is missing (the metric did not run, the generator has no ``epsilon``, text metrics do
not exist yet) **fails**, naming the reason: a gate never passes on a figure it could not check.
The CLI exits with :data:`EXIT_GATE_FAILED` (3) when a rule fails.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import ParameterError

__all__ = [
    "EXIT_GATE_FAILED",
    "Gate",
    "GateResult",
    "Rule",
    "RuleResult",
    "audit_manifest",
    "figures",
    "file_sha256",
    "load_gate",
]

EXIT_GATE_FAILED = 3
"""Exit code of ``run``/``evaluate`` when a gate rule fails (2 is a user error, 1 an internal one)."""
AUDIT_FORMAT = "simulacra.audit"
AUDIT_VERSION = 1
_PACKAGES = ("simulacra", "numpy", "pandas", "scipy", "scikit-learn", "pyarrow", "torch", "pyyaml")
_RULE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(<=|>=|<|>|==)\s*([-+0-9.eE]+)\s*$")
_FIELDS = ("score", "reference", "ci_low", "ci_high", "gap", "excess")


@dataclass(frozen=True)
class Rule:
    """``figure op bound``; ``name`` is what PASS/FAIL lines show."""

    figure: str
    op: str
    bound: float
    name: str

    def holds(self, value: float) -> bool:
        return {
            "<=": value <= self.bound,
            ">=": value >= self.bound,
            "<": value < self.bound,
            ">": value > self.bound,
            "==": value == self.bound,
        }[self.op]

    def text(self) -> str:
        return f"{self.figure} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    value: float | None
    passed: bool
    note: str = ""

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        got = "missing" if self.value is None else f"{self.value:.6g}"
        extra = f" ({self.note})" if self.note else ""
        return f"{verdict} {self.rule.name}: {self.rule.text()}, got {got}{extra}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.name,
            "figure": self.rule.figure,
            "op": self.rule.op,
            "bound": self.rule.bound,
            "value": self.value,
            "passed": self.passed,
            "note": self.note,
        }


@dataclass(frozen=True)
class GateResult:
    results: list[RuleResult]
    source: str

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "passed": self.passed, "rules": [r.to_dict() for r in self.results]}


@dataclass(frozen=True)
class Gate:
    rules: list[Rule]
    source: str = "<gate>"

    def check(self, figs: dict[str, float | None], reasons: dict[str, str] | None = None) -> GateResult:
        """Each rule against ``figs`` (from :func:`figures`); a missing figure fails its rule."""
        reasons = reasons or {}
        out = []
        for rule in self.rules:
            value = figs.get(rule.figure)
            if value is None or not math.isfinite(value):
                key = ".".join(rule.figure.split(".")[:2])
                why = reasons.get(key) or reasons.get(rule.figure) or "no such figure in this evaluation"
                out.append(RuleResult(rule, None, False, f"figure missing: {why}"))
            else:
                out.append(RuleResult(rule, float(value), rule.holds(float(value))))
        return GateResult(out, self.source)


def _parse_rule(item: Any, i: int, where: str) -> Rule:
    if isinstance(item, str):
        m = _RULE.match(item)
        if not m:
            raise ParameterError(
                f"{where}: rule {i + 1} {item!r} is not 'figure <= number' (or >=, <, >, ==); "
                "e.g. 'privacy.exact_copies.score <= 0'"
            )
        return Rule(m.group(1), m.group(2), float(m.group(3)), m.group(1))
    if isinstance(item, dict):
        unknown = sorted(set(item) - {"figure", "max", "min", "name"})
        fig = item.get("figure")
        bounds = [k for k in ("max", "min") if k in item]
        if unknown or not isinstance(fig, str) or len(bounds) != 1:
            raise ParameterError(
                f"{where}: rule {i + 1} needs 'figure' and exactly one of 'max' or 'min' (and optionally 'name')"
                + (f"; unknown key(s) {unknown}" if unknown else "")
            )
        bound = item[bounds[0]]
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise ParameterError(f"{where}: rule {i + 1} has {bounds[0]}: {bound!r}; give a number")
        return Rule(fig, "<=" if bounds[0] == "max" else ">=", float(bound), str(item.get("name") or fig))
    raise ParameterError(f"{where}: rule {i + 1} is a {type(item).__name__}; give a string or a mapping")


def parse_gate(data: Any, where: str = "gate") -> Gate:
    """A :class:`Gate` from parsed YAML/JSON: ``{"rules": [...]}`` or a bare list of rules."""
    rules = data.get("rules") if isinstance(data, dict) else data
    if isinstance(data, dict) and set(data) - {"rules"}:
        raise ParameterError(f"{where}: unknown top-level key(s) {sorted(set(data) - {'rules'})}; only 'rules'")
    if not isinstance(rules, list) or not rules:
        raise ParameterError(f"{where}: no rules; write 'rules:' followed by a list such as '- epsilon <= 1'")
    parsed = [_parse_rule(item, i, where) for i, item in enumerate(rules)]
    bad = [r.figure for r in parsed if not _plausible(r.figure)]
    if bad:
        raise ParameterError(
            f"{where}: unknown figure name(s) {bad}; use <family>.<metric>.<{'|'.join(_FIELDS)}>, "
            "headline.<fidelity|utility|privacy>.<score|reference> or epsilon (see docs/choosing.md)"
        )
    return Gate(parsed, where)


def _plausible(name: str) -> bool:
    if name == "epsilon":
        return True
    parts = name.split(".")
    if parts[0] == "headline":
        return len(parts) == 3 and parts[2] in ("score", "reference")
    return len(parts) == 3 and parts[0] in ("fidelity", "utility", "privacy", "text", "geo") and parts[2] in _FIELDS


def load_gate(path: str | Path) -> Gate:
    """Read a gate file (``.yaml``/``.yml`` or ``.json``)."""
    from .io import read_text

    path = Path(path)
    text = read_text(path, what="gate file")
    where = f"gate file '{path}'"
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParameterError(f"{where} is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1})" if mark is not None else ""
            raise ParameterError(f"{where} is not valid YAML{at}; check its indentation and quoting") from None
    return parse_gate(data, where)


def figures(report: dict[str, Any]) -> tuple[dict[str, float | None], dict[str, str]]:
    """Every named figure of a ``report.json`` dict, and the reasons of the metrics that gave none."""
    figs: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for family in ("fidelity", "utility", "privacy", "text", "geo"):
        for name, entry in (report.get(family) or {}).items():
            key = f"{family}.{name}"
            if entry.get("status") != "ok":
                reasons[key] = f"{entry.get('status')}: {entry.get('reason')}"
                continue
            score, ref, ci = entry.get("score"), entry.get("reference"), entry.get("ci")
            figs[f"{key}.score"] = score
            figs[f"{key}.reference"] = ref
            figs[f"{key}.ci_low"] = ci[0] if ci else None
            figs[f"{key}.ci_high"] = ci[1] if ci else None
            both = score is not None and ref is not None
            figs[f"{key}.gap"] = ref - score if both else None
            figs[f"{key}.excess"] = score - ref if both else None
    for family, head in (report.get("headline") or {}).items():
        figs[f"headline.{family}.score"] = head.get("score")
        figs[f"headline.{family}.reference"] = head.get("reference")
    params = (report.get("generator") or {}).get("params") or {}
    eps = params.get("epsilon")
    if isinstance(eps, (int, float)) and not isinstance(eps, bool):
        figs["epsilon"] = float(eps)
    else:
        reasons["epsilon"] = "the generator has no epsilon: it is not differentially private"
    return {k: v for k, v in figs.items() if v is not None}, reasons


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def audit_manifest(
    *,
    inputs: dict[str, str | Path],
    seeds: dict[str, int],
    config: dict[str, Any],
    report: dict[str, Any],
    gate: GateResult | None,
) -> dict[str, Any]:
    """The audit record of a run: SHA-256 of every input file, seeds, package versions, configuration,
    every figure, the gate's verdicts, and ``manifest_sha256`` (SHA-256 of the canonical JSON of all the
    other fields: ``json.dumps(..., sort_keys=True, separators=(",", ":"))``)."""
    figs, _ = figures(report)
    body: dict[str, Any] = {
        "format": AUDIT_FORMAT,
        "version": AUDIT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {k: {"file": Path(v).name, "sha256": file_sha256(v)} for k, v in inputs.items()},
        "rows": (report.get("data") or {}).get("n_rows"),
        "seeds": dict(seeds),
        "packages": package_versions(),
        "config": config,
        "generator": report.get("generator"),
        "figures": {k: round(float(v), 6) for k, v in sorted(figs.items()) if v is not None},
        "gate": None if gate is None else gate.to_dict(),
    }
    body["manifest_sha256"] = manifest_hash(body)
    return body


def manifest_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest without its own ``manifest_sha256`` field (canonical JSON)."""
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
