"""The report's privacy-utility frontier: drawn for a DP model from the measured frontier shipped with the
package (``benchmarks/dp_frontier.py``), with the model's epsilon marked; absent for a non-private model."""

from __future__ import annotations

import json
import re
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest

import simulacra
from simulacra.evaluation.suite import describe_generator
from simulacra.privacy import PrivacyLedger
from simulacra.report import render_html
from simulacra.schema import ColumnKind, ColumnSpec, TableSchema

PUBLIC = TableSchema(
    (
        ColumnSpec("colour", ColumnKind.CATEGORICAL, "object", categories=("red", "green", "blue")),
        ColumnSpec("size", ColumnKind.CATEGORICAL, "object", categories=("S", "M", "L")),
    )
)


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], 400)
    size = np.where(colour == "red", "L", rng.choice(["S", "M"], 400))
    frame = pd.DataFrame({"colour": colour, "size": size}).astype(object)
    return frame.iloc[:300].reset_index(drop=True), frame.iloc[300:].reset_index(drop=True)


def _report(gen: simulacra.Generator, real: pd.DataFrame) -> str:
    synthetic = gen.sample(len(real), random_state=0)
    ev = simulacra.evaluate(real, synthetic, PUBLIC, metrics=["fidelity.column_shapes"])
    ev.generator = describe_generator(gen)
    return render_html(ev, PUBLIC)


def _section(html: str) -> str:
    start = html.index('id="frontier"')
    return html[start : html.index("</main>", start)]


def test_a_dp_report_draws_the_measured_frontier_with_its_epsilon(tables) -> None:
    real, _ = tables
    gen = simulacra.create_generator("privbayes", epsilon=0.3, delta=1e-9, random_state=0).fit(real, PUBLIC)
    html = _report(gen, real)
    assert "Differential privacy" in html and "Privacy-utility frontier" in html
    section = _section(html)
    assert section.count("<svg") == 1 and "ε = 0.3" in section  # this model's epsilon is marked
    assert "adult" in section and "national2019" in section  # one line per benchmark data set
    for title in ("k-marginal", "shape error", "trend error", "TSTR ROC AUC"):
        assert title in section
    # the non-private references of each data set, as a table beside the plot
    assert section.count("Gaussian copula (no privacy)") == 2 and section.count("real holdout (ceiling)") == 2


def test_a_non_private_report_has_no_frontier(tables) -> None:
    real, _ = tables
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(real, PUBLIC)
    html = _report(gen, real)
    assert "Privacy-utility frontier" not in html and 'id="frontier"' not in html
    assert "Differential privacy" not in html


def test_a_dp_generator_without_a_measured_frontier_says_so(tables) -> None:
    real, _ = tables
    ev = simulacra.evaluate(real, real.copy(), PUBLIC, metrics=["fidelity.column_shapes"])
    ledger = PrivacyLedger(2.0, 1e-9)
    ev.generator = {"name": "dp_unmeasured", "params": {}, "privacy": ledger.to_dict()}
    section = _section(render_html(ev, PUBLIC))
    assert "No measured privacy-utility frontier for dp_unmeasured" in section and "<svg" not in section


def test_the_shipped_frontier_covers_every_dp_generator_and_epsilon() -> None:
    payload = json.loads(files("simulacra.data").joinpath("dp_frontier.json").read_text(encoding="utf-8"))
    cells = payload["cells"]
    for dataset in ("adult", "national2019"):
        for gen in ("mst", "aim", "privbayes"):
            measured = {c["epsilon"] for c in cells if c["dataset"] == dataset and c["generator"] == gen}
            assert measured == {0.1, 0.3, 1.0, 3.0, 10.0}, (dataset, gen)
        refs = {c["generator"] for c in cells if c["dataset"] == dataset and c["epsilon"] is None}
        assert refs == {"holdout", "gaussian_copula"}
    # aggregates only: figures and timings, never rows
    assert all(
        set(c) <= {"dataset", "generator", "epsilon", "epsilon_spent", "fit_s", "params", *payload["metrics"]}
        for c in cells
    )
    assert not re.search(r"\b(Private|Self-emp)\b", json.dumps(payload))
