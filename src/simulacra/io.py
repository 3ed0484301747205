"""Reading and writing tables, with clear errors and atomic writes.

CSV files are read as text first and then given dtypes by :func:`infer_storage_dtypes`, which keeps
what pandas' own inference would lose: leading zeros (``"02134"`` stays text), ``"NA"`` as a real
category, and integer columns with gaps (nullable ``Int64`` rather than floats), so that the synthetic
file is written in the input's format.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, InputFileError, OutputError

__all__ = [
    "atomic_path",
    "atomic_write_text",
    "infer_storage_dtypes",
    "output_format",
    "read_table",
    "read_text",
    "write_table",
]

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": ","}
_PARQUET_SUFFIXES = {".parquet", ".pq"}


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def read_text(path: Path, what: str = "file") -> str:
    """Read a small UTF-8 text file (a schema, a manifest) with clear errors."""
    if not path.exists():
        raise InputFileError(f"{what} '{path}' does not exist; check the path")
    if path.is_dir():
        raise InputFileError(f"{what} '{path}' is a folder, not a file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{what} '{path}' is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise InputFileError(f"{what} '{path}' cannot be read: {exc.strerror}") from None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV or Parquet file into a DataFrame, or raise :class:`InputFileError`/`InputError`."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"input file '{path}' does not exist; check the path")
    if path.is_dir():
        raise InputFileError(f"input '{path}' is a folder; give a .csv, .tsv or .parquet file")
    suffix = _suffix(path)
    if suffix in _PARQUET_SUFFIXES:
        frame = _read_parquet(path)
    elif suffix in _CSV_SUFFIXES or suffix == "":
        frame = _read_csv(path, _CSV_SUFFIXES.get(suffix, ","))
    else:
        raise InputFileError(
            f"input file '{path}' has the extension '{suffix}'; simulacra reads .csv, .tsv and .parquet"
        )
    if frame.shape[1] == 0:
        raise InputError(f"input file '{path}' has no columns")
    if len(frame) == 0:
        raise InputError(f"input file '{path}' has a header but no rows; give a file with data rows")
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
    except OSError as exc:
        raise InputFileError(f"input file '{path}' cannot be read as Parquet: {exc}") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid (a ValueError) on garbage
        raise InputFileError(f"input file '{path}' is not a valid Parquet file ({type(exc).__name__})") from None
    names = table.column_names
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"input file '{path}' has duplicate column names {dupes}; rename them")
    return table.to_pandas()


def _read_csv(path: Path, sep: str) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"input file '{path}' cannot be read: {exc.strerror}") from None
    if not raw.strip():
        raise InputError(f"input file '{path}' is empty; give a file with a header row and data rows")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"input file '{path}' is not UTF-8 text (invalid byte at line {line}); "
            "re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`"
        ) from None
    header = next(csv.reader(io.StringIO(text), delimiter=sep), [])
    header = [h.strip() for h in header]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"input file '{path}' has duplicate column names {dupes}; rename them")
    if any(h == "" for h in header):
        where = [i + 1 for i, h in enumerate(header) if h == ""]
        raise InputError(f"input file '{path}' has column(s) without a name at position(s) {where}")
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=False,
        )
    except pd.errors.ParserError as exc:
        raise InputError(f"input file '{path}' is not well-formed CSV: {exc}") from None
    frame.columns = header
    return infer_storage_dtypes(frame)


def infer_storage_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Give text columns the numeric or boolean dtype their every value has.

    Integers without leading zeros become ``int64`` (``Int64`` when some cells are empty), other
    numbers ``float64``, ``True``/``False`` become ``bool``; everything else stays text.
    """
    out = {}
    for name in frame.columns:
        out[name] = _infer_one(frame[name])
    return pd.DataFrame(out, index=frame.index)


def _infer_one(col: pd.Series) -> pd.Series:
    values = col.dropna()
    if len(values) == 0:
        return col
    text = values.astype(str)
    if text.isin(["True", "False"]).all():
        res = col.map({"True": True, "False": False})
        return res.astype("boolean") if col.isna().any() else res.astype(bool)
    stripped = text.str.strip()
    if (stripped != text).any():
        return col  # surrounding spaces are part of the spelling: keep text
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.isna().any():
        return col
    is_int_text = text.str.fullmatch(r"[-+]?(0|[1-9][0-9]*)")
    if is_int_text.all() and text.str.len().max() <= 18:
        ints = pd.to_numeric(col, errors="coerce")
        return ints.astype("Int64") if col.isna().any() else ints.astype("int64")
    if text.str.fullmatch(r"[-+]?0[0-9]+").any():
        return col  # leading zeros: a code, not a number
    return pd.to_numeric(col, errors="coerce").astype("float64")


def output_format(path: Path) -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"`` from the extension, else :class:`OutputError`."""
    suffix = _suffix(path)
    if suffix in _PARQUET_SUFFIXES:
        return "parquet"
    if suffix == ".tsv":
        return "tsv"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise OutputError(f"output '{path}' must end in .csv, .tsv or .parquet (the extension picks the format)")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"output '{path}' is a folder; give a file name")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write to '{path}': {exc.strerror}; choose a writable location") from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():  # mkstemp makes 0600 files; give the result the usual umask-based mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write to '{path}': {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as CSV/TSV/Parquet by the extension of ``path``, atomically."""
    path = Path(path)
    fmt = output_format(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False, sep="\t" if fmt == "tsv" else ",")


class TableWriter:
    """Append chunks to a CSV/TSV/Parquet file, then rename it into place on :meth:`close`.

    Used to stream large samples without holding them in memory. On error call :meth:`abort`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._writer: Any = None
        self._first = True

    def write(self, frame: pd.DataFrame) -> None:
        if self.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._writer is None:
                self._writer = pq.ParquetWriter(self._tmp, table.schema)
            self._writer.write_table(table.cast(self._writer.schema))
        else:
            sep = "\t" if self.format == "tsv" else ","
            with open(self._tmp, "a" if not self._first else "w", encoding="utf-8", newline="") as fh:
                frame.to_csv(fh, index=False, header=self._first, sep=sep)
        self._first = False

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._ctx.__exit__(None, None, None)

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        with contextlib.suppress(Exception):
            self._ctx.__exit__(RuntimeError, RuntimeError("aborted"), None)


def finite_check(frame: pd.DataFrame) -> list[str]:
    """Names of numeric columns that hold +/-inf."""
    bad = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_float_dtype(col.dtype) and np.isinf(col.to_numpy(dtype=float, na_value=np.nan)).any():
            bad.append(str(name))
    return bad
