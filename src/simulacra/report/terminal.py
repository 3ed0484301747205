"""The terminal summary of an evaluation: Rich tables of the headline and of every metric."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from .html import fmt

if TYPE_CHECKING:
    from ..evaluation.suite import Evaluation

__all__ = ["summary_tables"]

GOOD = ("close to real data", "no sign of memorisation")


def summary_tables(evaluation: Evaluation) -> Group:
    """Headline (score, reference, verdict) and one row per metric (score, 95% interval, reference, status)."""
    head = Table(title="evaluation", title_justify="left")
    head.add_column("")
    head.add_column("score", justify="right")
    head.add_column("reference", justify="right")
    head.add_column("verdict")
    for family, h in evaluation.headline().items():
        style = "green" if h.verdict in GOOD else ("yellow" if h.evaluated else "dim")
        head.add_row(family, fmt(h.score), fmt(h.reference), Text(h.verdict, style=style))
    table = Table(title="metrics", title_justify="left")
    table.add_column("key")
    table.add_column("score", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column("reference", justify="right")
    table.add_column("status")
    data = evaluation.to_dict()
    for family in ("fidelity", "utility", "privacy", "text"):
        for name, entry in data[family].items():
            status = (
                Text("ok")
                if entry["status"] == "ok"
                else Text(f"{entry['status'].replace('_', ' ')}: {entry['reason']}", style="dim")
            )
            table.add_row(f"{family}.{name}", fmt(entry["score"]), fmt(entry["ci"]), fmt(entry["reference"]), status)
    return Group(head, table)
