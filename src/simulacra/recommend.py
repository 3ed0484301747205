"""What simulacra will use for a table, and why: generator, transformer per column kind, metrics.

>>> from simulacra.recommend import recommend
>>> rec = recommend(schema, n_rows=len(df), target="income")
>>> rec.generator.choice, rec.generator.reason
>>> rec.to_dict()                       # the same as JSON (``simulacra recommend --json``)

Every rule lives in this module, in order, with its reason in plain language and, where a measurement
backs it, the benchmark that measured it (:class:`Evidence`). The first table rule whose condition holds
chooses the generator; :func:`candidates` lists what ``run --auto`` measures. To add a rule (a new
generator family, a DP generator), add a :class:`TableRule` to :data:`TABLE_RULES`; to add a differentially
private generator, register it and name it in :data:`DP_GENERATORS`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .schema import ColumnKind, TableSchema

__all__ = [
    "DP_GENERATORS",
    "KIND_RULES",
    "TABLE_RULES",
    "Choice",
    "Evidence",
    "KindRule",
    "Recommendation",
    "TableRule",
    "candidates",
    "recommend",
]

DP_GENERATORS = ("aim", "mst", "privbayes")
"""Registered names that count as differentially private generators, in order of preference."""
DEEP_MIN_ROWS = 1000
"""Below this many rows the deep generators train without a validation split (no early stopping)."""
DEEP_MIN_SECONDS = 180.0
"""A time budget under this leaves a deep generator too few epochs to beat the copula."""


@dataclass(frozen=True)
class Evidence:
    """A measurement that backs a rule: where it was measured and what it showed."""

    source: str
    figures: str

    def __str__(self) -> str:
        return f"backed by {self.source}: {self.figures}"


COPULA_ADULT = Evidence(
    "benchmarks/adult_copula.py (benchmarks/README.md)",
    "on Adult, column shapes 0.990, strong pair trends 0.959, fit 0.8 s, 289 MB; SDV's GaussianCopula "
    "0.917 / 0.757 in 5 s",
)
DEEP_ADULT = Evidence(
    "benchmarks/deep_adult.py (docs/deep.md)",
    "on Adult (10-minute budget), vae shape error 2.1, strong-pair trend error 6.5, TSTR AUC 0.892 in 117 s; "
    "gan 4.7 / 13.5 / 0.881 in 600 s",
)
ARGN_ADULT = Evidence(
    "benchmarks/argn_vs_tabularargn.py (docs/argn.md)",
    "on Adult, argn shape error 1.09, strong-pair trend error 2.06, TSTR AUC 0.913 in 56 s on one thread (the real "
    "data's floor: 0.98 / 1.77 / 0.926); ahead of mostlyai-engine's TabularARGN on Adult, credit_default and "
    "online_shoppers, in less time (Adult: 0.79x)",
)
AUTO_SELECT = Evidence(
    "benchmarks/auto_select.py (docs/choosing.md)",
    "run --auto with 15 minutes on adult, credit_default, online_shoppers, california_housing and amazon_alexa: "
    "among the copula, vae and gan, the copula had the best fidelity everywhere and the best balanced test score "
    "on all five; with argn among the candidates (adult, online_shoppers), argn won both by about 2.5 points on "
    "the test split, fitting in under a minute",
)
DP_NIST = Evidence(
    "benchmarks/dp_nist.py (docs/privacy.md)",
    "on NIST CRC national2019 (24 columns) at epsilon 1, 3-way k-marginal score mst 871-885 and aim 863-887 over "
    "three seeds, against smartnoise-synth's MST 753 in the same run and 810 for independent marginals without "
    "privacy",
)
EVAL_ADULT = Evidence(
    "benchmarks/evaluation_adult.py (docs/evaluation.md)",
    "the whole suite on Adult (26,048 training rows) runs in about 20 s on two cores",
)


@dataclass(frozen=True)
class Context:
    """What the rules look at."""

    schema: TableSchema
    n_rows: int
    target: str | None
    epsilon: float | None
    time_budget: float | None
    available: frozenset[str]
    """Generators registered and importable here."""

    def kinds(self) -> set[ColumnKind]:
        return {spec.kind for spec in self.schema}


@dataclass(frozen=True)
class TableRule:
    """If ``when(ctx)`` holds, use ``generator(ctx)`` for the table, because ``reason(ctx)``."""

    name: str
    when: Callable[[Context], bool]
    generator: Callable[[Context], str | None]
    reason: Callable[[Context], str]
    evidence: Evidence | None = None


@dataclass(frozen=True)
class KindRule:
    """How one column kind is handled and judged."""

    kind: ColumnKind
    transformer: str
    metrics: tuple[str, ...]
    reason: str
    evidence: Evidence | None = None
    caveat: str | None = None


@dataclass(frozen=True)
class Choice:
    """The chosen generator (``None`` when no available generator can honour the request) and why."""

    choice: str | None
    reason: str
    rule: str
    evidence: Evidence | None = None
    alternatives: list[tuple[str, str]] = field(default_factory=list)
    """(generator, when to prefer it) pairs, measured by ``run --auto``."""


def _dp_available(ctx: Context) -> list[str]:
    return [g for g in DP_GENERATORS if g in ctx.available]


def _deep_ok(ctx: Context) -> bool:
    return "vae" in ctx.available and ctx.n_rows >= DEEP_MIN_ROWS


TABLE_RULES: list[TableRule] = [
    TableRule(
        "privacy budget given, DP generator available",
        when=lambda c: c.epsilon is not None and bool(_dp_available(c)),
        generator=lambda c: _dp_available(c)[0],
        reason=lambda c: (
            f"--epsilon {c.epsilon} asks for differential privacy; {_dp_available(c)[0]} is a DP generator, so "
            "every statistic it learns from the data is paid for from that budget (aim picks the marginals that "
            "carry the correlations; mst is faster; privbayes needs no JAX). A DP fit takes bounds and category "
            "lists from a public schema: write one with `simulacra profile DATA --public`, fill it from public "
            "knowledge, and pass it with --schema (or spend a share of the budget with --domain-share)"
        ),
        evidence=DP_NIST,
    ),
    TableRule(
        "privacy budget given, no DP generator",
        when=lambda c: c.epsilon is not None,
        generator=lambda c: None,
        reason=lambda c: (
            f"--epsilon {c.epsilon} asks for differential privacy, but no differentially private generator is "
            f"registered in this installation (available: {', '.join(sorted(c.available)) or 'none'}); none of "
            "them gives a DP guarantee, so none is recommended. Install the DP generators (mst, aim, privbayes) "
            "with pip install 'simulacra[dp]', or drop --epsilon and rely on the measured privacy checks"
        ),
    ),
    TableRule(
        "small table",
        when=lambda c: c.n_rows < DEEP_MIN_ROWS,
        generator=lambda c: "gaussian_copula",
        reason=lambda c: (
            f"{c.n_rows:,} rows are too few for a neural network to learn from (below {DEEP_MIN_ROWS:,} the deep "
            "generators cannot even keep a validation split for early stopping); the copula needs only marginals "
            "and one correlation matrix"
        ),
        evidence=COPULA_ADULT,
    ),
    TableRule(
        "default",
        when=lambda c: True,
        generator=lambda c: "gaussian_copula",
        reason=lambda c: (
            "the Gaussian copula fits in seconds, keeps every column's distribution almost exactly and the "
            "pairwise dependence well (on Adult: column shapes 0.990, strong pair trends 0.959 in 0.8 s, "
            "benchmarks/adult_copula.py). Deep models can learn non-linear dependence the copula cannot and often "
            "give the better utility: `run --auto` measures them on your data"
        ),
        evidence=AUTO_SELECT,
    ),
]
"""Table rules, first match wins."""


KIND_RULES: dict[ColumnKind, KindRule] = {
    ColumnKind.NUMERIC: KindRule(
        ColumnKind.NUMERIC,
        "numeric (bounds and decimals kept; empirical marginal in the copula, rank-Gauss in the deep models)",
        ("fidelity.column_shapes (KS complement)", "fidelity.column_pairs (correlation)", "fidelity.k_marginal"),
        "each value is mapped through the column's own empirical distribution, so skew, spikes (zeros of "
        "capital-gain) and bounds survive; values are rounded to the column's precision",
        evidence=DEEP_ADULT,
    ),
    ColumnKind.CATEGORICAL: KindRule(
        ColumnKind.CATEGORICAL,
        "categorical (frequency-ordered codes; one-hot in the deep models)",
        ("fidelity.column_shapes (TV complement)", "fidelity.column_pairs (contingency)", "fidelity.k_marginal"),
        "only categories seen in training are produced, at their learned rates; rare categories are kept",
    ),
    ColumnKind.DATETIME: KindRule(
        ColumnKind.DATETIME,
        "datetime (seconds since the epoch, written back in the input's format)",
        ("fidelity.column_shapes (KS complement)", "fidelity.column_pairs (correlation)"),
        "time points are modelled as numbers and written back in the detected format and precision",
    ),
    ColumnKind.IDENTIFIER: KindRule(
        ColumnKind.IDENTIFIER,
        "identifier (regenerated in the same format, never copied)",
        (),
        "keys carry no statistical content and would link a synthetic row to a person; they are regenerated "
        "unique, in the same format, and left out of every metric",
    ),
    ColumnKind.PII: KindRule(
        ColumnKind.PII,
        "pii (surrogates of the same type: e-mails, names, phones ...)",
        ("privacy.exact_copies (no real value replayed)",),
        "personal data is replaced by surrogates of the same type and format; no real value is kept, so the "
        "column is not modelled and not scored for fidelity",
    ),
    ColumnKind.TEXT: KindRule(
        ColumnKind.TEXT,
        "text (a language model conditioned on the row, after PII scrubbing; --text-model placeholder: common words)",
        (
            "text.embedding_detection (can sentence embeddings tell synthetic texts from real ones?)",
            "text.consistency (does a text agree with its row's label as real texts do?)",
            "text.replay_rate (long spans of training texts repeated, vs the holdout's rate)",
        ),
        "free text is written in a second stage by a small language model trained on the column (e-mails, "
        "phones, URLs, card numbers, IBANs and names replaced by surrogates first) and conditioned on the row's "
        "other columns; texts that repeat an 8-word span of a single training text are drawn again",
        caveat="the language model is small and trained from scratch on this column: texts keep its topics, "
        "length and tone but are less fluent than real ones; training takes minutes (--text-minutes), and "
        "differentially private generators keep the placeholder (the language model is not private)",
    ),
    ColumnKind.GEO: KindRule(
        ColumnKind.GEO,
        "geo point (adaptive H3 cells plus offsets; region and minimum distance honoured)",
        ("geo.spatial_density", "geo.nearest_distance", "geo.morans_i", "geo.proximity"),
        "latitude and longitude are modelled together as a place, not as two unrelated numbers; points stay "
        "inside the region you give and away from isolated real points",
    ),
}


@dataclass(frozen=True)
class Recommendation:
    """The plan for a table: generator with reasons, per-kind handling, table metrics, and notes."""

    n_rows: int
    target: str | None
    epsilon: float | None
    time_budget: float | None
    generator: Choice
    kinds: dict[ColumnKind, tuple[list[str], KindRule]]
    metrics: list[tuple[str, str]]
    notes: list[str]
    auto_candidates: list[str]

    def to_dict(self) -> dict[str, Any]:
        ev = self.generator.evidence
        return {
            "rows": self.n_rows,
            "target": self.target,
            "epsilon": self.epsilon,
            "time_budget_seconds": self.time_budget,
            "generator": {
                "choice": self.generator.choice,
                "rule": self.generator.rule,
                "reason": self.generator.reason,
                "evidence": None if ev is None else {"source": ev.source, "figures": ev.figures},
                "alternatives": [{"generator": g, "when": w} for g, w in self.generator.alternatives],
            },
            "auto_candidates": list(self.auto_candidates),
            "kinds": {
                kind.value: {
                    "columns": cols,
                    "transformer": rule.transformer,
                    "metrics": list(rule.metrics),
                    "reason": rule.reason,
                    "evidence": None if rule.evidence is None else str(rule.evidence),
                    "caveat": rule.caveat,
                }
                for kind, (cols, rule) in self.kinds.items()
            },
            "metrics": [{"metric": m, "why": w} for m, w in self.metrics],
            "notes": list(self.notes),
        }


def available_generators() -> frozenset[str]:
    """Registered generators whose modules (and extras) can be imported here, without importing them."""
    from .registry import _REGISTRY

    out = set()
    for name, info in _REGISTRY.items():
        if info.extra == "deep" and importlib.util.find_spec("torch") is None:
            continue
        out.add(name)
    return frozenset(out)


def candidates(
    schema: TableSchema,
    *,
    n_rows: int,
    epsilon: float | None = None,
    available: frozenset[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """The generators ``run --auto`` measures, with their parameters.

    With ``epsilon``: only the DP generators (each given ``epsilon``); none when none is registered. Otherwise
    the copula, and the deep ``argn``, ``vae`` and ``gan`` (in that order of preference) when the deep extra
    is installed and the table has 1,000+ rows. The deep ones get one torch thread (on a shared two-core
    machine a second thread made epochs 5-10x slower, docs/deep.md). The ``vae`` and ``gan`` run without
    early stopping: their epochs are then known before the fit starts, so the budget can be planned from
    :mod:`simulacra.estimate` (early stopping could end a fit anywhere from epoch 100 on); on Adult, 600
    epochs without early stopping scored as well as the early-stopped default (docs/deep.md). ``argn`` keeps
    its early stopping: it needs it (its fits end after 20-40 epochs, docs/argn.md), and its ``max_minutes``
    (set by the selection to its share of the budget) bounds the fit, so the plan uses that bound.
    """
    avail = available_generators() if available is None else available
    if epsilon is not None:
        return {g: {"epsilon": epsilon} for g in DP_GENERATORS if g in avail}
    out: dict[str, dict[str, Any]] = {}
    if "gaussian_copula" in avail:
        out["gaussian_copula"] = {}
    if n_rows >= DEEP_MIN_ROWS:
        if "argn" in avail:
            out["argn"] = {"threads": 1}
        for name in ("vae", "gan"):
            if name in avail:
                out[name] = {"threads": 1, "early_stopping": False}
    return out


def recommend(
    schema: TableSchema,
    *,
    n_rows: int,
    target: str | None = None,
    epsilon: float | None = None,
    time_budget: float | None = None,
    available: frozenset[str] | None = None,
) -> Recommendation:
    """The plan for a table of ``n_rows`` rows described by ``schema`` (see the module docstring)."""
    avail = available_generators() if available is None else available
    ctx = Context(schema, n_rows, target, epsilon, time_budget, avail)
    rule = next(r for r in TABLE_RULES if r.when(ctx))
    alternatives: list[tuple[str, str]] = []
    if epsilon is None and _deep_ok(ctx):
        if time_budget is not None and time_budget < DEEP_MIN_SECONDS:
            alternatives.append(("vae", f"not tried: a budget under {DEEP_MIN_SECONDS:.0f} s leaves it too few epochs"))
        else:
            if "argn" in avail:
                alternatives.append(
                    (
                        "argn",
                        f"the autoregressive model, the best quality we measured on mixed tables; {ARGN_ADULT}. "
                        "--auto tries it first of the deep models; or fit it alone with `run --generator argn`",
                    )
                )
            alternatives.append(("vae", f"{DEEP_ADULT}. Measure it with `run --auto`"))
            if "gan" in avail:
                alternatives.append(
                    ("gan", "slower per epoch than the vae and behind it on Adult; tried by --auto last")
                )
    elif epsilon is None and "vae" not in avail:
        alternatives.append(("vae", "not installed: pip install 'simulacra[deep]' to add the deep generators"))
    choice = Choice(rule.generator(ctx), rule.reason(ctx), rule.name, rule.evidence, alternatives)
    kinds: dict[ColumnKind, tuple[list[str], KindRule]] = {}
    for spec in schema:
        cols, _ = kinds.setdefault(spec.kind, ([], KIND_RULES[spec.kind]))
        cols.append(spec.name)
    metrics = [
        ("fidelity headline", "mean of column shapes and pair trends (SDMetrics' Quality Score), beside the holdout's"),
        ("fidelity.detection", "can a classifier tell synthetic rows from real ones (0.5 AUC is ideal)"),
        ("privacy.dcr_share, privacy.exact_copies", "memorisation: synthetic rows too close to training rows"),
        ("privacy.singling_out, linkability, attribute_inference", "re-identification attacks with 95% intervals"),
    ]
    if target is not None:
        numeric = target in schema and schema[target].kind in (ColumnKind.NUMERIC, ColumnKind.DATETIME)
        task = "R²" if numeric else "ROC AUC"
        metrics.insert(1, ("utility.tstr", f"{task} of a model trained on synthetic rows, tested on real ones"))
    notes = []
    if target is None:
        notes.append("no --target: utility (TSTR) is not measured, and --auto ranks by fidelity alone")
    elif target not in schema:
        notes.append(f"--target {target!r} is not a column of the table")
    if ColumnKind.TEXT in kinds:
        notes.append("text columns: " + (KIND_RULES[ColumnKind.TEXT].caveat or ""))
    notes.append(f"evaluation cost: {EVAL_ADULT}")
    auto = list(candidates(schema, n_rows=n_rows, epsilon=epsilon, available=avail))
    return Recommendation(n_rows, target, epsilon, time_budget, choice, kinds, metrics, notes, auto)


def kind_counts(schema: TableSchema) -> Mapping[str, int]:
    out: dict[str, int] = {}
    for spec in schema:
        out[spec.kind.value] = out.get(spec.kind.value, 0) + 1
    return out
