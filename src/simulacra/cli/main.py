"""The ``simulacra`` command line: a thin layer over the Python API.

Every user error ends in one ``error: ...`` line on stderr and exit code 2; no traceback is shown
unless ``SIMULACRA_DEBUG=1`` is set.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import typing
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import ParameterError, SchemaError, SimulacraError
from ..progress import NO_PROGRESS, ProgressCallback
from . import _scale
from ._render import RichProgress, console, err_console, schema_table

app = typer.Typer(
    name="simulacra",
    help="Synthetic data that keeps the value of real data and leaks no one.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_USER_ERROR = 2
EXIT_INTERNAL = 1
EXIT_GATE_FAILED = 3
"""A rule of the --gate file failed (the outputs are written; the report names the rule)."""
DEFAULT_TIME_BUDGET = "10m"

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary.")]
Region = Annotated[
    Path | None,
    typer.Option("--region", help="GeoJSON file: synthetic points of geo columns stay inside its polygons."),
]
Bbox = Annotated[
    str | None, typer.Option("--bbox", help="minlon,minlat,maxlon,maxlat: synthetic points stay inside this box.")
]
GeoMinDistance = Annotated[
    float | None,
    typer.Option(
        "--geo-min-distance", help="Metres kept between synthetic points and real points alone in their cell."
    ),
]
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed; the same seed gives the same output.")]
Target = Annotated[
    str | None, typer.Option("--target", "-t", help="Column to predict, for the utility metrics (TSTR).")
]
TimeBudget = Annotated[
    str | None, typer.Option("--time-budget", help="Wall-time budget of --auto (15m, 90s, 1h); default 10m.")
]
GateFile = Annotated[
    Path | None,
    typer.Option("--gate", help="YAML/JSON acceptance rules over the report's figures; exit 3 if one fails."),
]
Epsilon = Annotated[float | None, typer.Option("--epsilon", help="Differential-privacy budget to honour.")]
GeneratorName = Annotated[str, typer.Option("--generator", "-g", help="Generator name (see `simulacra generators`).")]
TextModelOpt = Annotated[
    str | None,
    typer.Option(
        "--text-model",
        help="Free-text columns: lm (a small causal transformer language model conditioned on the row; the "
        "default; transformer is the same), gru (a recurrent model instead, the default before; see "
        "docs/text.md), placeholder "
        "(common words, the table model's word count), or the path of a local pre-trained model folder in the "
        "Hugging Face format to fine-tune (needs `pip install transformers`; nothing is downloaded). "
        "Differentially private generators use placeholder.",
    ),
]
TextMinutes = Annotated[
    float | None, typer.Option("--text-minutes", help="Training time budget of each free-text language model.")
]
TextEpsilon = Annotated[
    float | None,
    typer.Option("--text-epsilon", help="Train the free-text language model by DP-SGD within this privacy budget."),
]
_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}
EngineOpt = Annotated[str, typer.Option("--engine", help=_scale.ENGINE_HELP)]
SchedulerOpt = Annotated[str | None, typer.Option("--scheduler", help=_scale.SCHEDULER_HELP)]
WorkersOpt = Annotated[int, typer.Option("--workers", help=_scale.WORKERS_HELP)]


def _fail(message: str, code: int = EXIT_USER_ERROR) -> typing.NoReturn:
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # "[dask]" is text, not markup
    raise typer.Exit(code)


def _guard(fn: Callable[[], None]) -> None:
    """Run a command body, turning errors into one clear line and an exit code."""
    try:
        fn()
    except SimulacraError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; no output was written", 130)
    except typer.Exit:
        raise
    except Exception as exc:
        if os.environ.get("SIMULACRA_DEBUG"):
            raise
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in simulacra. "
            "Re-run with SIMULACRA_DEBUG=1 for the traceback and report it.",
            EXIT_INTERNAL,
        )


def _progress(quiet: bool) -> Any:
    return nullcontext(NO_PROGRESS) if quiet else RichProgress()


def _parse_params(generator: str, args: list[str]) -> dict[str, Any]:
    """Turn ``--name value`` / ``--flag`` extras into typed generator parameters."""
    from ..registry import generator_class, generator_params

    cls = generator_class(generator)
    allowed = generator_params(cls)
    hints = typing.get_type_hints(cls.__init__)
    params: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--"):
            raise ParameterError(f"unexpected argument {arg!r}; generator options look like --name value")
        key, _, value = arg[2:].partition("=")
        name = key.replace("-", "_")
        if name not in allowed and name in ("epsilon", "delta", "domain_share"):
            raise ParameterError(
                f"generator {generator!r} is not differentially private, so it takes no --{key}; "
                "choose one that is: --generator mst or --generator aim"
            )
        if name not in allowed:
            opts = ", ".join("--" + n.replace("_", "-") for n in sorted(allowed) if n not in ("random_state",))
            raise ParameterError(f"generator {generator!r} has no option --{key}; its options are: {opts}")
        if not value:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value = args[i + 1]
                i += 1
            elif _base_type(hints.get(name)) is bool:
                value = "true"
            else:
                raise ParameterError(f"option --{key} needs a value")
        params[name] = _convert(name, value, hints.get(name))
        i += 1
    return params


def _generator_param_names(generator: str) -> set[str]:
    from ..registry import generator_class, generator_params

    return set(generator_params(generator_class(generator)))


def _base_type(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def _convert(name: str, value: str, hint: Any) -> Any:
    base = _base_type(hint)
    if value.lower() in ("none", "null") and type(None) in typing.get_args(hint):
        return None
    try:
        if base is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base is int:
            return int(value)
        if base is float:
            return float(value)
    except ValueError:
        raise ParameterError(f"option --{name.replace('_', '-')} expects a {base.__name__}, got {value!r}") from None
    return value


def _read(path: Path) -> Any:
    from ..io import read_table

    return read_table(path)


def _seed(seed: int | None) -> int:
    return seed if seed is not None else secrets.randbelow(2**31 - 1)


# -- commands ---------------------------------------------------------------------------------
@app.command()
def profile(
    data: Annotated[Path, typer.Argument(help="Input table (.csv, .tsv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the schema JSON.")] = Path(
        "schema.json"
    ),
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Write no value read from the data (for differential privacy): names, kinds and formats, "
            "with placeholders for the bounds and category lists to fill in from public knowledge.",
        ),
    ] = False,
    quiet: Quiet = False,
    engine: EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
) -> None:
    """Detect each column's kind and write an editable schema (JSON)."""

    def body() -> None:
        from ..schema.profile import profile as run_profile

        if _scale.check_engine(engine, scheduler):
            with _progress(quiet) as progress:
                return _scale.profile(data, output, engine, scheduler, workers, quiet, progress)

        frame = _read(data)
        schema = run_profile(frame)
        if public:
            import json

            from ..io import atomic_write_text
            from ..privacy.domain import public_schema_dict

            atomic_write_text(output, json.dumps(public_schema_dict(schema), indent=2, ensure_ascii=False) + "\n")
            if not quiet:
                console.print(
                    f"public schema written to {output}: {len(schema)} columns, names and kinds only; replace "
                    "every '<fill in ...>' with public knowledge (bounds, category lists) before a DP fit"
                )
            return
        schema.save(output)
        if not quiet:
            console.print(schema_table(schema, title=f"{data.name}: {len(frame):,} rows"))
            console.print(f"schema written to {output}")

    _guard(body)


def _load_schema(schema_path: Path | None) -> Any:
    if schema_path is None:
        return None
    from ..schema import TableSchema

    return TableSchema.load(schema_path)


def _geo_schema(schema: Any, frame: Any, region: Path | None, bbox: str | None, min_distance: float | None) -> Any:
    """The schema with the geo options of the command line written into its geo columns (profiled if needed)."""
    if region is None and bbox is None and min_distance is None:
        return schema
    import json

    from ..schema import ColumnKind
    from ..schema.profile import profile as run_profile

    if region is not None and bbox is not None:
        raise ParameterError("give --region or --bbox, not both")
    changes: dict[str, Any] = {}
    if region is not None:
        from ..io import read_text

        try:
            changes["region"] = json.loads(read_text(region, what="region file"))
        except json.JSONDecodeError as exc:
            raise ParameterError(f"--region '{region}' is not valid JSON ({exc.msg}); give a GeoJSON file") from None
    if bbox is not None:
        try:
            values = [float(v) for v in bbox.split(",")]
        except ValueError:
            values = []
        if len(values) != 4:
            raise ParameterError(f"--bbox {bbox!r}; give minlon,minlat,maxlon,maxlat, e.g. -10,35,5,44")
        changes["region"] = {"bbox": values}
    if min_distance is not None:
        if min_distance < 0:
            raise ParameterError(f"--geo-min-distance {min_distance}; give metres >= 0")
        changes["geo_min_distance_m"] = float(min_distance)
    schema = schema if schema is not None else run_profile(frame)
    geo = schema.of_kind(ColumnKind.GEO)
    if not geo:
        raise ParameterError("--region, --bbox and --geo-min-distance apply to geo columns; the table has none")
    if "region" in changes:
        from ..transformers._geo_cells import parse_region

        parse_region(changes["region"], where="--region/--bbox")
    for spec in geo:
        schema = schema.replace_column(spec.with_(**changes))
    return schema


@app.command(context_settings=_EXTRA)
def fit(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Training table (.csv, .tsv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write.")] = Path("model"),
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON from `profile`.")] = None,
    generator: GeneratorName = "gaussian_copula",
    region: Region = None,
    bbox: Bbox = None,
    geo_min_distance: GeoMinDistance = None,
    seed: Seed = None,
    quiet: Quiet = False,
    engine: EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    text_model: TextModelOpt = None,
    text_minutes: TextMinutes = None,
    text_epsilon: TextEpsilon = None,
) -> None:
    """Fit a generator and save it as a model folder. Generator options follow as --name value."""

    def body() -> None:
        from ..registry import create_generator

        params = _parse_params(generator, list(ctx.args))
        gen = create_generator(generator, random_state=_seed(seed), **params)
        text = _text_choice(gen, text_model, text_minutes, text_epsilon)
        if _scale.check_engine(engine, scheduler):
            if text_model is not None or text_minutes is not None or text_epsilon is not None:
                raise ParameterError("the free-text options (--text-model, ...) need --engine memory")
            schema = _load_schema(schema_path)
            if region is not None or bbox is not None or geo_min_distance is not None:
                from ..distributed import profile_dataset

                base = schema or profile_dataset(data, engine=engine, scheduler=scheduler, n_workers=workers)
                schema = _geo_schema(base, None, region, bbox, geo_min_distance)
            with _progress(quiet) as progress:
                return _scale.fit(data, gen, schema, output, engine, scheduler, workers, quiet, progress)
        frame = _read(data)
        schema = _geo_schema(_load_schema(schema_path), frame, region, bbox, geo_min_distance)
        start = time.perf_counter()
        with _progress(quiet) as progress:
            gen.fit(frame, schema, progress=progress, text=text)
        gen.save(output)
        if not quiet:
            console.print(
                f"fitted {generator} on {len(frame):,} rows x {frame.shape[1]} columns "
                f"in {time.perf_counter() - start:.1f} s; model written to {output}/"
            )
            _print_privacy(gen)
            _print_text(gen)

    _guard(body)


def _text_choice(gen: Any, text_model: str | None, minutes: float | None, epsilon: float | None = None) -> Any:
    """The ``text`` argument of ``fit``: a TextConfig for the language model, or "placeholder"."""
    generator = gen.name
    dp = getattr(gen, "epsilon", None) is not None
    choice = text_model or ("placeholder" if dp and epsilon is None else "lm")
    folder = None
    if choice not in ("lm", "transformer", "gru", "placeholder"):
        if not Path(choice).expanduser().exists() and not any(sep in choice for sep in ("/", "\\", ".")):
            raise ParameterError(
                f"--text-model {choice!r}; choose lm, transformer, gru, placeholder or the path of a local pre-trained "
                "model folder "
                "(Hugging Face format: config.json, weights, tokenizer files); models are never downloaded"
            )
        folder, choice = choice, "lm"
    if folder is not None and dp:
        raise ParameterError(
            f"--text-model {folder} with the differentially private generator {generator!r}: a fine-tuned "
            "pre-trained model is not differentially private and would void the privacy guarantee; use "
            "--text-model placeholder, or lm with --text-epsilon"
        )
    if choice == "transformer" and epsilon is not None:
        raise ParameterError("--text-epsilon trains the GRU by DP-SGD; it cannot go with --text-model transformer")
    if choice in ("lm", "transformer", "gru") and dp and epsilon is None:
        raise ParameterError(
            f"--text-model {choice} with the differentially private generator {generator!r}: the language model is not "
            "differentially private and would void the privacy guarantee; give it a budget of its own "
            "(--text-epsilon) or use --text-model placeholder"
        )
    if minutes is not None and not minutes > 0:
        raise ParameterError(f"--text-minutes {minutes}; give a positive number of minutes, e.g. 10")
    if epsilon is not None and not epsilon > 0:
        raise ParameterError(f"--text-epsilon {epsilon}; give a positive privacy budget, e.g. 4.0")
    if choice == "placeholder":
        if epsilon is not None:
            raise ParameterError("--text-epsilon trains the language model; it cannot go with --text-model placeholder")
        return "placeholder"
    if folder is not None and epsilon is not None:
        raise ParameterError(
            "--text-epsilon trains the built-in language model by DP-SGD; a pre-trained model folder is fine-tuned "
            "without DP: drop one of --text-model PATH and --text-epsilon"
        )
    from ..text.config import TextConfig

    settings: dict[str, Any] = {}
    if minutes is not None:
        settings["max_minutes"] = float(minutes)
    if epsilon is not None:
        settings["epsilon"] = float(epsilon)
    if folder is not None:
        settings["pretrained"] = str(Path(folder).expanduser().resolve())
    if choice == "transformer":
        config = TextConfig.transformer(**settings)
    elif choice == "gru":
        config = TextConfig.gru(**settings)
    else:  # lm: the default (the transformer; the GRU under --text-epsilon; a folder: fine-tuned)
        config = TextConfig(**settings)
    config.check()  # a missing or foreign folder, or transformers not installed: one error before any fitting
    return config


def _print_text(gen: Any) -> None:
    """One line per free-text column written by a language model."""
    for name, info in gen.text_summary().items():
        if info.get("status") != "language model":
            console.print(f"text column {name}: {info.get('status')}")
            continue
        pii = ", ".join(f"{k} {v}" for k, v in info.get("pii_replaced", {}).items() if v) or "none found"
        train = info.get("training", {})
        guard = info.get("guard", {})
        rate = guard.get("rejection_rate")
        if "privacy" in info:
            pv = info["privacy"]
            console.print(
                f"text column {name}: language model trained by DP-SGD on {info['n_texts']:,} texts, "
                f"{train.get('epochs_run')} epochs in {info.get('fit_seconds')} s; differential privacy: epsilon "
                f"{pv.get('epsilon_spent', 0):.3g} of {pv.get('epsilon'):g} at delta {pv.get('delta'):g} "
                "(a budget of its own, added to the table generator's by composition)"
            )
            continue
        what = {"transformer": "transformer language model", "gru": "GRU language model"}.get(
            str(info.get("model")), "language model"
        )
        if train.get("bfloat16"):
            what += " (bfloat16 products)"
        if "pretrained" in info:
            pre = info["pretrained"]
            what = f"language model fine-tuned from {pre.get('model_type')} '{pre.get('folder')}'"
        console.print(
            f"text column {name}: {what} on {info['n_texts']:,} texts, {train.get('epochs_run')} epochs in "
            f"{info.get('fit_seconds')} s; PII replaced: {pii}; memorisation guard rejected "
            f"{guard.get('rejected', 0)} of {guard.get('drawn', 0)} drawn texts"
            + (f" ({100 * rate:.1f}%)" if rate is not None else "")
        )


def _print_privacy(gen: Any) -> None:
    """One line on the privacy spent, for differentially private generators."""
    ledger = getattr(gen, "privacy_", None)
    if ledger is None:
        return
    if isinstance(ledger, dict):  # privbayes and DP-SGD keep the ledger's summary
        from ..privacy import PrivacyLedger

        ledger = PrivacyLedger.from_dict(ledger)
    split = ", ".join(f"{k} {100 * v:.0f}%" for k, v in ledger.split().items())
    console.print(
        f"differential privacy: epsilon {ledger.spent_epsilon():.3g} of {ledger.epsilon:g} at delta {ledger.delta:g} "
        f"(zCDP rho {ledger.spent_rho:.3g}); budget split: {split}"
    )


def _stream_sample(gen: Any, n: int, out: Path, seed: int, progress: ProgressCallback) -> None:
    import numpy as np

    from ..io import TableWriter

    writer = TableWriter(out)
    try:
        for chunk in gen.sample_chunks(n, rng=np.random.default_rng(seed), progress=progress):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.close()


@app.command()
def sample(
    model: Annotated[Path, typer.Argument(help="Model folder written by `fit`.")],
    rows: Annotated[int, typer.Option("--rows", "-n", help="Number of rows to generate.")] = 1000,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output file (.csv, .tsv, .parquet).")] = Path(
        "synthetic.csv"
    ),
    seed: Seed = None,
    quiet: Quiet = False,
    engine: EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
) -> None:
    """Generate synthetic rows from a saved model, streamed to a file (a Parquet dataset folder with --engine)."""

    def body() -> None:
        from ..generators.base import _check_n, load
        from ..io import output_format

        _check_n(rows)
        if _scale.check_engine(engine, scheduler):
            folder = Path("synthetic") if output == Path("synthetic.csv") else output  # the default, as a folder
            with _progress(quiet) as progress:
                return _scale.sample(model, rows, folder, _seed(seed), engine, scheduler, workers, quiet, progress)
        output_format(output)
        gen = load(model)
        used = _seed(seed)
        start = time.perf_counter()
        with _progress(quiet) as progress:
            _stream_sample(gen, rows, output, used, progress)
        if not quiet:
            console.print(f"{rows:,} rows written to {output} in {time.perf_counter() - start:.1f} s (seed {used})")

    _guard(body)


@app.command(context_settings=_EXTRA)
def run(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Input table (.csv, .tsv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("simulacra-output"),
    rows: Annotated[
        int | None, typer.Option("--rows", "-n", help="Rows to generate (default: as many as the rows fitted on).")
    ] = None,
    schema_path: Annotated[
        Path | None, typer.Option("--schema", "-s", help="Schema JSON to use instead of profiling.")
    ] = None,
    generator: GeneratorName = "gaussian_copula",
    fmt: Annotated[str, typer.Option("--format", help="Synthetic file format: csv, tsv or parquet.")] = "csv",
    target: Target = None,
    holdout_fraction: Annotated[
        float,
        typer.Option("--holdout-fraction", help="Share of rows set aside (not fitted on) to evaluate against."),
    ] = 0.2,
    no_evaluate: Annotated[bool, typer.Option("--no-evaluate", help="Fit on every row and write no report.")] = False,
    region: Region = None,
    bbox: Bbox = None,
    geo_min_distance: GeoMinDistance = None,
    seed: Seed = None,
    quiet: Quiet = False,
    auto: Annotated[
        bool, typer.Option("--auto", help="Measure the candidate generators and keep the best (see docs/choosing.md).")
    ] = False,
    time_budget: TimeBudget = None,
    objective: Annotated[
        str | None,
        typer.Option("--objective", help="--auto ranks by: balanced (fidelity and utility), fidelity or utility."),
    ] = None,
    gate: GateFile = None,
    engine: EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
    text_model: TextModelOpt = None,
    text_minutes: TextMinutes = None,
    text_epsilon: TextEpsilon = None,
) -> None:
    """Profile, fit, sample and evaluate in one go.

    Sets aside a holdout (--holdout-fraction, stratified on --target), fits on the rest, samples as many rows
    and writes OUTPUT/schema.json, OUTPUT/model/, OUTPUT/synthetic.<format> and OUTPUT/report/ (report.html,
    report.json). With --no-evaluate it fits on every row and writes no report. With --engine stream|dask the
    synthetic rows are a Parquet dataset OUTPUT/synthetic/ and the report is OUTPUT/report/report.json.

    With --auto it sets aside a test share (--holdout-fraction) and a 20% validation share, fits every
    candidate generator that the --time-budget allows on the rest, keeps the best on the validation split,
    and reports it on the test split with the leaderboard. With --gate the report's figures are checked
    against the gate's rules; a failing rule ends the command with exit code 3.
    """
    started = time.perf_counter()
    if _scale.check_engine(engine, scheduler):

        def scale() -> None:
            from ..registry import create_generator

            if auto or gate is not None:
                raise ParameterError("--auto and --gate need --engine memory")
            if text_model is not None or text_minutes is not None or text_epsilon is not None:
                raise ParameterError("the free-text options (--text-model, ...) need --engine memory")
            if target is not None or region is not None or bbox is not None or geo_min_distance is not None:
                raise ParameterError("--target and the geo options of `run` need --engine memory")
            source = ctx.get_parameter_source("fmt")
            if source is not None and source.name != "DEFAULT" and fmt != "parquet":
                raise ParameterError(f"--format {fmt}: with --engine the synthetic rows are a Parquet dataset folder")
            used = _seed(seed)
            gen = create_generator(generator, random_state=used, **_parse_params(generator, list(ctx.args)))
            with _progress(quiet) as progress:
                _scale.run(
                    data, output, gen, _load_schema(schema_path), rows, holdout_fraction, not no_evaluate,
                    used, engine, scheduler, workers, quiet, progress,
                )  # fmt: skip

        return _guard(scale)
    options = RunOptions(
        target=target,
        holdout_fraction=holdout_fraction,
        evaluate=not no_evaluate,
        geo=(region, bbox, geo_min_distance),
        text=(text_model, text_minutes, text_epsilon),
    )

    def body() -> None:
        if gate is not None and no_evaluate:
            raise ParameterError("--gate checks the evaluation's figures; it cannot be combined with --no-evaluate")
        gate_rules = _load_gate(gate)
        if auto:
            from ..selection import parse_duration
            from ._auto import run_auto

            if any(a.split("=")[0] in ("--epsilon", "--delta") for a in ctx.args):
                raise ParameterError(
                    "--auto does not run under a privacy budget: every candidate fit and the comparison on the "
                    "private data would each spend budget; see `simulacra recommend DATA --epsilon E` and fit the "
                    "recommended DP generator with `run --generator aim --epsilon E --schema public.json`"
                )
            if list(ctx.args) or generator != "gaussian_copula":
                raise ParameterError("--auto chooses the generator itself; drop --generator and generator options")
            if text_model is not None or text_minutes is not None or text_epsilon is not None:
                raise ParameterError(
                    "--auto compares its candidates with the placeholder text model; the free-text options "
                    "(--text-model, --text-minutes, --text-epsilon) go with `run --generator NAME`"
                )
            budget = parse_duration(time_budget or DEFAULT_TIME_BUDGET)
            goal = objective or "balanced"
            passed = run_auto(
                data, output, rows, schema_path, fmt, _seed(seed), quiet, options, budget, gate_rules, started, goal
            )
        else:
            if time_budget is not None or objective is not None:
                raise ParameterError("--time-budget and --objective apply to --auto; add --auto or drop them")
            options_g = RunOptions(
                options.target, options.holdout_fraction, options.evaluate, options.geo, gate_rules, options.text
            )
            passed = _run(data, output, rows, schema_path, generator, fmt, seed, quiet, list(ctx.args), options_g)
        if not passed:
            raise typer.Exit(EXIT_GATE_FAILED)

    _guard(body)


def _load_gate(path: Path | None) -> Any:
    if path is None:
        return None
    from ..gate import load_gate

    return load_gate(path)


@dataclass(frozen=True)
class RunOptions:
    """The holdout and evaluation step of `run`."""

    target: str | None = None
    holdout_fraction: float = 0.2
    evaluate: bool = True
    geo: tuple[Path | None, str | None, float | None] = (None, None, None)
    """--region, --bbox, --geo-min-distance."""
    gate: Any = None
    """The release gate (:class:`simulacra.gate.Gate`) of --gate."""
    text: tuple[str | None, float | None, float | None] = (None, None, None)
    """--text-model, --text-minutes, --text-epsilon."""


def _run(
    data: Path,
    output: Path,
    rows: int | None,
    schema_path: Path | None,
    generator: str,
    fmt: str,
    seed: int | None,
    quiet: bool,
    extra: list[str],
    options: RunOptions = RunOptions(),
) -> bool:
    from ..generators.base import _check_n
    from ..registry import create_generator
    from ..schema.profile import profile as run_profile
    from ..validation import check_frame

    if fmt not in ("csv", "tsv", "parquet"):
        raise ParameterError(f"--format {fmt!r}; choose csv, tsv or parquet")
    if output.exists() and not output.is_dir():
        raise ParameterError(f"output '{output}' is a file; give a folder")
    if not 0.0 <= options.holdout_fraction < 1.0:
        raise ParameterError(
            f"--holdout-fraction is {options.holdout_fraction}; give a share in [0, 1), e.g. 0.2 (0: no holdout)"
        )
    params = _parse_params(generator, extra)
    used = _seed(seed)
    gen = create_generator(generator, random_state=used, **params)
    text = _text_choice(gen, *options.text)
    frame = _read(data)
    check_frame(frame)
    if options.target is not None and options.target not in frame.columns:
        raise SchemaError(
            f"--target '{options.target}' is not a column of '{data}'; its columns are {list(frame.columns)}"
        )
    train, holdout = frame, None
    if options.evaluate and options.holdout_fraction > 0:
        train, holdout = _split(frame, options.holdout_fraction, options.target, used)
    n = rows if rows is not None else len(train)
    _check_n(n)
    timings = {}
    evaluation = None
    with _progress(quiet) as progress:
        start = time.perf_counter()
        schema = _load_schema(schema_path)
        if schema is None and "epsilon" in _generator_param_names(generator):
            # a differentially private generator must not get a schema read from the data: it fits with
            # what it may learn privately (or stops naming the columns that need a public domain)
            gen.fit(train, None, progress=progress)
            schema = gen.schema_
        if schema is None:
            # the whole input is profiled first so that its problems (mixed types ...) are found whichever
            # side of the split they fall on; the model then gets the schema of its training rows only,
            # so that nothing of the holdout (a category, a bound) reaches it
            schema = run_profile(frame)
            if holdout is not None:
                schema = run_profile(train)
        schema = _geo_schema(schema, train, *options.geo)
        timings["profile"] = time.perf_counter() - start
        start = time.perf_counter()
        if not gen.is_fitted:
            gen.fit(train, schema, progress=progress, text=text)
        timings["fit"] = time.perf_counter() - start
        output.mkdir(parents=True, exist_ok=True)
        schema.save(output / "schema.json")
        gen.save(output / "model")
        start = time.perf_counter()
        synth_path = output / f"synthetic.{fmt}"
        _stream_sample(gen, n, synth_path, used, progress)
        timings["sample"] = time.perf_counter() - start
        if options.evaluate:
            from ..evaluation.suite import describe_generator, evaluate
            from ..report import write_report

            start = time.perf_counter()
            evaluation = evaluate(
                train,
                _read(synth_path),
                schema,
                holdout=holdout,
                target=options.target,
                random_state=used,
                progress=progress,
            )
            evaluation.generator = describe_generator(gen)
            write_report(evaluation, output / "report")
            timings["evaluate"] = time.perf_counter() - start
    if not quiet:
        console.print(schema_table(schema, title=f"{data.name}: {len(frame):,} rows x {frame.shape[1]} columns"))
        line = (
            f"profile {timings['profile']:.1f} s, fit {timings['fit']:.1f} s ({generator}), "
            f"sample {timings['sample']:.1f} s"
        )
        if "evaluate" in timings:
            line += f", evaluate {timings['evaluate']:.1f} s"
        console.print(line + f"; seed {used}")
        _print_privacy(gen)
        _print_text(gen)
        if holdout is not None:
            console.print(f"fitted on {len(train):,} rows; {len(holdout):,} rows held out to evaluate against")
        if evaluation is not None:
            from ..report.terminal import summary_tables

            console.print(summary_tables(evaluation))
        written = f"wrote {synth_path} ({n:,} rows), {output / 'schema.json'}, {output / 'model'}/"
        if evaluation is not None:
            written += f", {output / 'report'}/ (report.html, report.json, audit.json)"
        console.print(written, soft_wrap=True)
    passed = True
    if evaluation is not None:
        from ._auto import finish_report

        config: dict[str, Any] = {"command": "run", "generator": generator, "params": params}
        config.update(target=options.target, holdout_fraction=options.holdout_fraction, rows=n, format=fmt)
        passed = finish_report(
            output / "report",
            inputs={"input": data},
            seeds={"seed": used},
            config=config,
            gate=options.gate,
            selection=None,
            quiet=quiet,
        )
    return passed


def _split(frame: Any, fraction: float, target: str | None, seed: int) -> tuple[Any, Any]:
    """Training and holdout parts, seeded, stratified on ``target`` where every class has 2+ rows."""
    import math

    n_holdout = math.ceil(fraction * len(frame))
    if len(frame) - n_holdout < 2 or n_holdout < 1:
        raise ParameterError(
            f"the input has {len(frame)} rows: too few to set aside a holdout of {fraction:.0%} and fit on the rest; "
            "use more rows, another --holdout-fraction, or --no-evaluate"
        )
    from ..selection import split_off

    return split_off(frame, n_holdout, target, seed)


@app.command()
def evaluate(
    real: Annotated[Path, typer.Option("--real", help="The real table the generator was fitted on.")],
    synthetic: Annotated[Path, typer.Option("--synthetic", help="The synthetic table.")],
    holdout: Annotated[
        Path | None, typer.Option("--holdout", help="Real rows the generator did not see (privacy, utility).")
    ] = None,
    target: Target = None,
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON of the real table.")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Report folder to write.")] = Path("report"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of subsamples, bootstraps and models.")] = 0,
    quiet: Quiet = False,
    gate: GateFile = None,
    engine: EngineOpt = "memory",
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = 2,
) -> None:
    """Judge a synthetic table against the real one: OUTPUT/report.html and OUTPUT/report.json.

    With --gate the figures are checked against the gate's rules; a failing rule gives exit code 3."""

    def body() -> None:
        from ..evaluation.suite import evaluate as run_evaluate
        from ..report import write_report
        from ._auto import finish_report

        if _scale.check_engine(engine, scheduler) and gate is not None:
            raise ParameterError("--gate needs --engine memory (the gate reads the full report's figures)")
        gate_rules = _load_gate(gate)
        if _scale.check_engine(engine, scheduler):
            if target is not None:
                raise ParameterError("--target (utility metrics) needs --engine memory; at scale, evaluate a sample")
            schema = _load_schema(schema_path)
            with _progress(quiet) as progress:
                return _scale.evaluate(
                    real, synthetic, holdout, schema, output, seed, engine, scheduler, workers, quiet, progress
                )

        if output.exists() and not output.is_dir():
            raise ParameterError(f"output '{output}' is a file; give a folder")
        frames = {"real": _read(real), "synthetic": _read(synthetic)}
        hold = _read(holdout) if holdout is not None else None
        schema = _load_schema(schema_path)
        start = time.perf_counter()
        with _progress(quiet) as progress:
            evaluation = run_evaluate(
                frames["real"],
                frames["synthetic"],
                schema,
                holdout=hold,
                target=target,
                random_state=seed,
                progress=progress,
            )
        write_report(evaluation, output)
        if not quiet:
            from ..report.terminal import summary_tables

            console.print(summary_tables(evaluation))
            console.print(
                f"evaluated in {time.perf_counter() - start:.1f} s; report written to "
                f"{output / 'report.html'}, {output / 'report.json'} and {output / 'audit.json'}",
                soft_wrap=True,
            )
        inputs = {"real": real, "synthetic": synthetic} | ({"holdout": holdout} if holdout is not None else {})
        passed = finish_report(
            output,
            inputs=inputs,
            seeds={"seed": seed},
            config={"command": "evaluate", "target": target},
            gate=gate_rules,
            selection=None,
            quiet=quiet,
        )
        if not passed:
            raise typer.Exit(EXIT_GATE_FAILED)

    _guard(body)


@app.command()
def recommend(
    data: Annotated[Path, typer.Argument(help="Input table (.csv, .tsv, .parquet).")],
    target: Target = None,
    epsilon: Epsilon = None,
    time_budget: TimeBudget = None,
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON from `profile`.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the recommendation as JSON.")] = False,
) -> None:
    """Which generator, transformers and metrics simulacra will use for this table, and why."""

    def body() -> None:
        import json

        from ..recommend import recommend as run_recommend
        from ..schema.profile import profile as run_profile
        from ..selection import parse_duration

        budget = parse_duration(time_budget) if time_budget is not None else None
        if epsilon is not None and not epsilon > 0:
            raise ParameterError(f"--epsilon {epsilon}; give a positive privacy budget, e.g. 1.0")
        frame = _read(data)
        schema = _load_schema(schema_path) or run_profile(frame)
        if target is not None and target not in schema:
            raise SchemaError(f"--target '{target}' is not a column of '{data}'; its columns are {schema.names}")
        rec = run_recommend(schema, n_rows=len(frame), target=target, epsilon=epsilon, time_budget=budget)
        if as_json:
            typer.echo(json.dumps(rec.to_dict(), indent=2, ensure_ascii=False))
        else:
            from ._auto import print_recommendation

            console.print(f"{data.name}: {len(frame):,} rows x {frame.shape[1]} columns")
            print_recommendation(rec)

    _guard(body)


@app.command()
def estimate(
    data: Annotated[Path, typer.Argument(help="Input table (.csv, .tsv, .parquet).")],
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON from `profile`.")] = None,
    generators: Annotated[
        str | None, typer.Option("--generators", help="Comma-separated names (default: what --auto would try).")
    ] = None,
    rows: Annotated[
        int | None, typer.Option("--rows", "-n", help="Rows to predict for (default: the table's).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the estimates as JSON.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration subsamples.")] = 0,
    quiet: Quiet = False,
) -> None:
    """Predicted fit time and peak memory of each candidate generator, from small calibration fits."""

    def body() -> None:
        import json

        from ..estimate import estimate as run_estimate
        from ..estimate import is_deep
        from ..recommend import candidates
        from ..registry import generator_class
        from ..schema.profile import profile as run_profile

        frame = _read(data)
        schema = _load_schema(schema_path) or run_profile(frame)
        n = rows if rows is not None else len(frame)
        if n < 1:
            raise ParameterError(f"--rows {n}; give a positive number of rows")
        if generators is not None:
            names = [g.strip() for g in generators.split(",") if g.strip()]
            for name in names:
                generator_class(name)
            cands = {g: ({"threads": 1, "early_stopping": False} if is_deep(g) else {}) for g in names}
        else:
            cands = candidates(schema, n_rows=len(frame))
        with _progress(quiet or as_json) as progress:
            est = run_estimate(frame, schema, cands, rows=n, random_state=seed, progress=progress)
        if as_json:
            typer.echo(json.dumps({k: v.to_dict() for k, v in est.items()}, indent=2))
        else:
            from ._auto import print_estimates

            print_estimates(est, n)

    _guard(body)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("demo-output"),
    quiet: Quiet = False,
) -> None:
    """Run the whole pipeline on the bundled demo table (an excerpt of UCI Adult), evaluated on income."""
    from importlib import resources

    def body() -> None:
        path = Path(str(resources.files("simulacra") / "data" / "adult_sample.csv"))
        if not quiet:
            console.print(f"demo data: {path} (UCI Adult excerpt, CC BY 4.0)")
        _run(path, output, None, None, "gaussian_copula", "csv", 0, quiet, [], RunOptions(target="income"))

    _guard(body)


@app.command("generators")
def generators_cmd() -> None:
    """List the available generators and their options."""
    from rich.table import Table

    from ..registry import describe_generators, generator_class, generator_params

    table = Table(title="generators", title_justify="left")
    table.add_column("name")
    table.add_column("summary")
    table.add_column("options")
    for info in describe_generators():
        try:
            params = generator_params(generator_class(info.name))
            opts = ", ".join(
                f"--{n.replace('_', '-')} ({p.default!r})" for n, p in params.items() if n != "random_state"
            )
        except SimulacraError as exc:
            opts = f"unavailable: {exc}"
        table.add_row(info.name, info.summary, opts)
    console.print(table)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"simulacra {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Synthetic data that keeps the value of real data and leaks no one."""


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SystemExit:
        raise
    sys.exit(0)


if __name__ == "__main__":
    main()
