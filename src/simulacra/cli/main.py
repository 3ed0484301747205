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
GeneratorName = Annotated[str, typer.Option("--generator", "-g", help="Generator name (see `simulacra generators`).")]
_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}


def _fail(message: str, code: int = EXIT_USER_ERROR) -> typing.NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", soft_wrap=True)
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
) -> None:
    """Detect each column's kind and write an editable schema (JSON)."""

    def body() -> None:
        from ..schema.profile import profile as run_profile

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
) -> None:
    """Fit a generator and save it as a model folder. Generator options follow as --name value."""

    def body() -> None:
        from ..registry import create_generator

        params = _parse_params(generator, list(ctx.args))
        gen = create_generator(generator, random_state=_seed(seed), **params)
        frame = _read(data)
        schema = _geo_schema(_load_schema(schema_path), frame, region, bbox, geo_min_distance)
        start = time.perf_counter()
        with _progress(quiet) as progress:
            gen.fit(frame, schema, progress=progress)
        gen.save(output)
        if not quiet:
            console.print(
                f"fitted {generator} on {len(frame):,} rows x {frame.shape[1]} columns "
                f"in {time.perf_counter() - start:.1f} s; model written to {output}/"
            )
            _print_privacy(gen)

    _guard(body)


def _print_privacy(gen: Any) -> None:
    """One line on the privacy spent, for differentially private generators."""
    ledger = getattr(gen, "privacy_", None)
    if ledger is None:
        return
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
) -> None:
    """Generate synthetic rows from a saved model, streamed to a file."""

    def body() -> None:
        from ..generators.base import _check_n, load
        from ..io import output_format

        _check_n(rows)
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
) -> None:
    """Profile, fit, sample and evaluate in one go.

    Sets aside a holdout (--holdout-fraction, stratified on --target), fits on the rest, samples as many rows
    and writes OUTPUT/schema.json, OUTPUT/model/, OUTPUT/synthetic.<format> and OUTPUT/report/ (report.html,
    report.json). With --no-evaluate it fits on every row and writes no report.
    """
    options = RunOptions(
        target=target,
        holdout_fraction=holdout_fraction,
        evaluate=not no_evaluate,
        geo=(region, bbox, geo_min_distance),
    )
    _guard(lambda: _run(data, output, rows, schema_path, generator, fmt, seed, quiet, list(ctx.args), options))


@dataclass(frozen=True)
class RunOptions:
    """The holdout and evaluation step of `run`."""

    target: str | None = None
    holdout_fraction: float = 0.2
    evaluate: bool = True
    geo: tuple[Path | None, str | None, float | None] = (None, None, None)
    """--region, --bbox, --geo-min-distance."""


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
) -> None:
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
            gen.fit(train, schema, progress=progress)
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
        if holdout is not None:
            console.print(f"fitted on {len(train):,} rows; {len(holdout):,} rows held out to evaluate against")
        if evaluation is not None:
            from ..report.terminal import summary_tables

            console.print(summary_tables(evaluation))
        written = f"wrote {synth_path} ({n:,} rows), {output / 'schema.json'}, {output / 'model'}/"
        if evaluation is not None:
            written += f", {output / 'report'}/ (report.html, report.json)"
        console.print(written)


def _split(frame: Any, fraction: float, target: str | None, seed: int) -> tuple[Any, Any]:
    """Training and holdout parts, seeded, stratified on ``target`` where every class has 2+ rows."""
    import math

    from sklearn.model_selection import train_test_split

    n_holdout = math.ceil(fraction * len(frame))
    if len(frame) - n_holdout < 2 or n_holdout < 1:
        raise ParameterError(
            f"the input has {len(frame)} rows: too few to set aside a holdout of {fraction:.0%} and fit on the rest; "
            "use more rows, another --holdout-fraction, or --no-evaluate"
        )
    positions = list(range(len(frame)))
    stratify = None
    if target is not None:
        labels = frame[target].astype("object").where(frame[target].notna(), "<missing>").astype(str)
        counts = labels.value_counts()
        if counts.min() >= 2 and len(counts) <= min(n_holdout, len(frame) - n_holdout):
            stratify = labels.to_numpy()
    train_pos, hold_pos = train_test_split(positions, test_size=n_holdout, random_state=seed % 2**32, stratify=stratify)
    return frame.iloc[sorted(train_pos)].reset_index(drop=True), frame.iloc[sorted(hold_pos)].reset_index(drop=True)


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
) -> None:
    """Judge a synthetic table against the real one: OUTPUT/report.html and OUTPUT/report.json."""

    def body() -> None:
        from ..evaluation.suite import evaluate as run_evaluate
        from ..report import write_report

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
                f"{output / 'report.html'} and {output / 'report.json'}"
            )

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
