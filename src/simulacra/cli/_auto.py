"""The commands and steps of issue 9: ``recommend``, ``estimate``, ``run --auto``, the gate and the audit.

Kept apart from ``main.py``, which only declares the options and calls these functions.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from ..errors import ParameterError
from ._render import console, err_console

__all__ = ["finish_report", "print_estimates", "print_recommendation", "run_auto"]


# -- recommend --------------------------------------------------------------------------------
def print_recommendation(rec: Any) -> None:
    g = rec.generator
    console.print(f"[bold]generator:[/] {g.choice or 'none'}  ({g.rule})")
    console.print(f"  why: {g.reason}", soft_wrap=True)
    if g.evidence is not None:
        console.print(f"  {g.evidence}", soft_wrap=True)
    for name, when in g.alternatives:
        console.print(f"  also: {name}: {when}", soft_wrap=True)
    if rec.auto_candidates:
        console.print(f"  run --auto measures: {', '.join(rec.auto_candidates)}")
    for kind, (cols, rule) in rec.kinds.items():
        shown = ", ".join(cols[:8]) + (f" (+{len(cols) - 8} more)" if len(cols) > 8 else "")
        console.print(f"[bold]{kind.value}[/] ({shown})", soft_wrap=True)
        console.print(f"  transformer: {rule.transformer}", soft_wrap=True)
        console.print(f"  judged by: {', '.join(rule.metrics) or 'no metric'}", soft_wrap=True)
        console.print(f"  why: {rule.reason}", soft_wrap=True)
        if rule.evidence is not None:
            console.print(f"  {rule.evidence}", soft_wrap=True)
        if rule.caveat:
            console.print(f"  [yellow]caveat:[/] {rule.caveat}", soft_wrap=True)
    for metric, why in rec.metrics:
        console.print(f"  metric {metric}: {why}", soft_wrap=True)
    for note in rec.notes:
        console.print(f"[dim]note:[/] {note}", soft_wrap=True)


# -- estimate ---------------------------------------------------------------------------------
def print_estimates(estimates: dict[str, Any], rows: int) -> None:
    table = Table(title=f"predicted fit at {rows:,} rows", title_justify="left")
    for col, just in (("generator", "left"), ("fit s", "right"), ("peak MB", "right"), ("basis", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for name, est in estimates.items():
        if est.error:
            table.add_row(name, "–", "–", f"calibration failed: {est.error}")
        else:
            table.add_row(name, f"{est.fit_seconds:.1f}", f"{est.peak_rss_mb:.0f}", est.basis)
    console.print(table)


# -- gate and audit ---------------------------------------------------------------------------
def finish_report(
    folder: Path,
    *,
    inputs: dict[str, Any],
    seeds: dict[str, int],
    config: dict[str, Any],
    gate: Any | None,
    selection: dict[str, Any] | None,
    quiet: bool,
) -> bool:
    """Check the gate against the written report, add the selection, gate and audit sections and
    ``audit.json``; print PASS/FAIL per rule. Returns False when a gate rule failed."""
    from ..gate import audit_manifest, figures
    from ..io import atomic_write_text
    from ..report.extras import add_sections, audit_html, gate_html, selection_html

    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    result = None
    if gate is not None:
        figs, reasons = figures(report)
        result = gate.check(figs, reasons)
    audit = audit_manifest(inputs=inputs, seeds=seeds, config=config, report=report, gate=result)
    sections: dict[str, Any] = {"audit": audit}
    fragments = []
    if selection is not None:
        sections["selection"] = selection
        fragments.append(selection_html(selection))
    if result is not None:
        sections["gate"] = result.to_dict()
        fragments.append(gate_html(result.to_dict()))
    fragments.append(audit_html(audit))
    add_sections(folder, sections, fragments)
    atomic_write_text(folder / "audit.json", json.dumps(audit, indent=2, ensure_ascii=False) + "\n")
    if result is None:
        return True
    for r in result.results:
        if not r.passed:
            err_console.print(f"[bold red]{r.line()}[/]", soft_wrap=True)
        elif not quiet:
            console.print(f"[green]{r.line()}[/]", soft_wrap=True)
    if not result.passed:
        names = ", ".join(r.rule.name for r in result.failed())
        err_console.print(f"[bold red]gate failed:[/] {names} (rules from {result.source})", soft_wrap=True)
    elif not quiet:
        console.print(f"gate passed: {len(result.results)} rule(s) from {result.source}")
    return result.passed


# -- run --auto -------------------------------------------------------------------------------
def run_auto(
    data: Path,
    output: Path,
    rows: int | None,
    schema_path: Path | None,
    fmt: str,
    seed: int,
    quiet: bool,
    options: Any,
    time_budget: float,
    gate: Any | None,
    started: float,
    objective: str = "balanced",
) -> bool:
    """``run --auto``: split train/validation/test, select by measured scores within the budget, sample
    from the winner, evaluate it on the test split, report (with the leaderboard). Returns the gate's verdict."""
    from ..evaluation.suite import evaluate
    from ..generators.base import _check_n, load
    from ..report import write_report
    from ..report.terminal import summary_tables
    from ..schema.profile import profile as run_profile
    from ..selection import select, split_three
    from ..validation import check_frame
    from .main import _geo_schema, _load_schema, _progress, _read, _stream_sample

    if fmt not in ("csv", "tsv", "parquet"):
        raise ParameterError(f"--format {fmt!r}; choose csv, tsv or parquet")
    if output.exists() and not output.is_dir():
        raise ParameterError(f"output '{output}' is a file; give a folder")
    if not options.evaluate:
        raise ParameterError("--auto chooses by measured scores; it cannot be combined with --no-evaluate")
    from ..selection import OBJECTIVES

    if objective not in OBJECTIVES:
        raise ParameterError(f"--objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if objective == "utility" and options.target is None:
        raise ParameterError("--objective utility needs a --target to measure utility on")
    if not 0.0 < options.holdout_fraction < 1.0:
        raise ParameterError(
            f"--holdout-fraction is {options.holdout_fraction}; --auto needs a test share in (0, 1), e.g. 0.2"
        )
    frame = _read(data)
    check_frame(frame)
    if options.target is not None and options.target not in frame.columns:
        from ..errors import SchemaError

        raise SchemaError(
            f"--target '{options.target}' is not a column of '{data}'; its columns are {list(frame.columns)}"
        )
    train, validation, test = split_three(frame, options.holdout_fraction, 0.2, options.target, seed)
    n = rows if rows is not None else len(train)
    _check_n(n)
    schema = _load_schema(schema_path)
    if schema is None:
        run_profile(frame)  # problems anywhere in the input are reported, whichever split they fall in
        schema = run_profile(train)
    schema = _geo_schema(schema, train, *options.geo)
    output.mkdir(parents=True, exist_ok=True)
    work = output / "candidates"
    timings: dict[str, float] = {}
    with _progress(quiet) as progress:
        t = time.perf_counter()
        sel = select(
            train,
            validation,
            schema,
            target=options.target,
            time_budget=time_budget,
            workdir=work,
            random_state=seed,
            started=started,
            on_estimates=None if quiet else lambda est: print_estimates(est, len(train)),
            objective=objective,
            progress=progress,
        )
        timings["select"] = time.perf_counter() - t
        winner = sel.winner()
        if winner is None or winner.model_dir is None:
            raise ParameterError(f"--auto found no usable generator: {sel.reason}")
        gen = load(winner.model_dir)
        t = time.perf_counter()
        if (output / "model").exists():
            shutil.rmtree(output / "model")
        shutil.copytree(winner.model_dir, output / "model")
        schema.save(output / "schema.json")
        synth_path = output / f"synthetic.{fmt}"
        _stream_sample(gen, n, synth_path, seed, progress)
        timings["sample"] = time.perf_counter() - t
        t = time.perf_counter()
        from ..evaluation.suite import describe_generator

        evaluation = evaluate(
            train, _read(synth_path), schema, holdout=test, target=options.target, random_state=seed, progress=progress
        )
        evaluation.generator = describe_generator(gen)
        write_report(evaluation, output / "report")
        timings["evaluate"] = time.perf_counter() - t
    sel.timings.update(timings)
    sel.rows["test"] = len(test)
    selection = sel.to_dict()
    selection["wall_seconds"] = round(time.perf_counter() - started, 1)
    (work / "selection.json").write_text(json.dumps(selection, indent=2), encoding="utf-8")
    config = {
        "command": "run --auto",
        "time_budget_seconds": time_budget,
        "target": options.target,
        "test_fraction": options.holdout_fraction,
        "validation_fraction": 0.2,
        "rows": n,
        "format": fmt,
        "objective": objective,
        "chosen": sel.chosen,
        "params": winner.params,
    }
    if not quiet:
        table = Table(title="leaderboard (validation split)", title_justify="left")
        for col in ("generator", "status", "score", "fidelity", "utility", "fit s (pred.)", "peak MB (pred.)"):
            table.add_column(col)
        for c in selection["leaderboard"]:

            def f(x: Any, nd: int = 4) -> str:
                return "–" if x is None else f"{x:.{nd}f}"

            table.add_row(
                c["generator"] + (" *" if c["chosen"] else ""),
                c["status"],
                f(c["score"]),
                f(c["fidelity"]),
                f(c["utility"]),
                f"{f(c['fit_seconds'], 1)} ({f(c['predicted_fit_seconds'], 1)})",
                f"{f(c['peak_rss_mb'], 0)} ({f(c['predicted_peak_rss_mb'], 0)})",
            )
        console.print(table)
        for c in selection["leaderboard"]:
            if c["reason"]:
                console.print(f"  {c['generator']}: {c['reason']}", soft_wrap=True)
        console.print(f"chosen: {sel.chosen}: {sel.reason}", soft_wrap=True)
        console.print(summary_tables(evaluation))
        console.print(
            f"fitted on {len(train):,} rows, chose on {len(validation):,} validation rows, evaluated on "
            f"{len(test):,} test rows; {selection['wall_seconds']:.0f} s of a {time_budget:.0f} s budget; seed {seed}",
            soft_wrap=True,
        )
        console.print(
            f"wrote {synth_path} ({n:,} rows), {output / 'model'}/, {output / 'report'}/ (report.html, report.json, "
            f"audit.json), candidates in {work}/",
            soft_wrap=True,
        )
    passed = finish_report(
        output / "report",
        inputs={"input": data},
        seeds={"seed": seed},
        config=config,
        gate=gate,
        selection=selection,
        quiet=quiet,
    )
    return passed
