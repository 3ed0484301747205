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
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import ParameterError, SimulacraError
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
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed; the same seed gives the same output.")]
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
    quiet: Quiet = False,
) -> None:
    """Detect each column's kind and write an editable schema (JSON)."""

    def body() -> None:
        from ..schema.profile import profile as run_profile

        frame = _read(data)
        schema = run_profile(frame)
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


@app.command(context_settings=_EXTRA)
def fit(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Training table (.csv, .tsv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write.")] = Path("model"),
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON from `profile`.")] = None,
    generator: GeneratorName = "gaussian_copula",
    seed: Seed = None,
    quiet: Quiet = False,
) -> None:
    """Fit a generator and save it as a model folder. Generator options follow as --name value."""

    def body() -> None:
        from ..registry import create_generator

        params = _parse_params(generator, list(ctx.args))
        gen = create_generator(generator, random_state=_seed(seed), **params)
        frame = _read(data)
        schema = _load_schema(schema_path)
        start = time.perf_counter()
        with _progress(quiet) as progress:
            gen.fit(frame, schema, progress=progress)
        gen.save(output)
        if not quiet:
            console.print(
                f"fitted {generator} on {len(frame):,} rows x {frame.shape[1]} columns "
                f"in {time.perf_counter() - start:.1f} s; model written to {output}/"
            )

    _guard(body)


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
            console.print(
                f"{rows:,} rows written to {output} in {time.perf_counter() - start:.1f} s (seed {used})"
            )

    _guard(body)


@app.command(context_settings=_EXTRA)
def run(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(help="Input table (.csv, .tsv, .parquet).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("simulacra-output"),
    rows: Annotated[int | None, typer.Option("--rows", "-n", help="Rows to generate (default: as many as the input).")] = None,
    schema_path: Annotated[Path | None, typer.Option("--schema", "-s", help="Schema JSON to use instead of profiling.")] = None,
    generator: GeneratorName = "gaussian_copula",
    fmt: Annotated[str, typer.Option("--format", help="Synthetic file format: csv, tsv or parquet.")] = "csv",
    seed: Seed = None,
    quiet: Quiet = False,
) -> None:
    """Profile, fit and sample in one go: OUTPUT/schema.json, OUTPUT/model/, OUTPUT/synthetic.<format>."""
    _guard(lambda: _run(data, output, rows, schema_path, generator, fmt, seed, quiet, list(ctx.args)))


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
) -> None:
    from ..generators.base import _check_n
    from ..registry import create_generator
    from ..schema.profile import profile as run_profile

    if fmt not in ("csv", "tsv", "parquet"):
        raise ParameterError(f"--format {fmt!r}; choose csv, tsv or parquet")
    if output.exists() and not output.is_dir():
        raise ParameterError(f"output '{output}' is a file; give a folder")
    params = _parse_params(generator, extra)
    used = _seed(seed)
    gen = create_generator(generator, random_state=used, **params)
    frame = _read(data)
    n = rows if rows is not None else len(frame)
    _check_n(n)
    timings = {}
    with _progress(quiet) as progress:
        start = time.perf_counter()
        schema = _load_schema(schema_path) or run_profile(frame)
        timings["profile"] = time.perf_counter() - start
        start = time.perf_counter()
        gen.fit(frame, schema, progress=progress)
        timings["fit"] = time.perf_counter() - start
        output.mkdir(parents=True, exist_ok=True)
        schema.save(output / "schema.json")
        gen.save(output / "model")
        start = time.perf_counter()
        synth_path = output / f"synthetic.{fmt}"
        _stream_sample(gen, n, synth_path, used, progress)
        timings["sample"] = time.perf_counter() - start
    if not quiet:
        console.print(schema_table(schema, title=f"{data.name}: {len(frame):,} rows x {frame.shape[1]} columns"))
        console.print(
            f"profile {timings['profile']:.1f} s, fit {timings['fit']:.1f} s ({generator}), "
            f"sample {timings['sample']:.1f} s; seed {used}"
        )
        console.print(f"wrote {synth_path} ({n:,} rows), {output / 'schema.json'}, {output / 'model'}/")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Output folder.")] = Path("demo-output"),
    quiet: Quiet = False,
) -> None:
    """Run the whole pipeline on the bundled demo table (an excerpt of UCI Adult)."""
    from importlib import resources

    def body() -> None:
        path = Path(str(resources.files("simulacra") / "data" / "adult_sample.csv"))
        if not quiet:
            console.print(f"demo data: {path} (UCI Adult excerpt, CC BY 4.0)")
        _run(path, output, None, None, "gaussian_copula", "csv", 0, quiet, [])

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
