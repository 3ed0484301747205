"""Datasets too large for memory: Parquet datasets (a file, a folder, a glob) and large CSV files, cut
into partitions that any worker can read on its own.

A partition is a run of Parquet row groups of one file (about ``partition_rows`` rows), or a byte range
of a CSV file cut at line ends. CSV columns get one dtype for the whole file, decided by a pass over
every partition with the rules of :func:`simulacra.io.infer_storage_dtypes`, so partitions agree.

Limits: CSV cells must not hold line breaks inside quotes (the cut would split a row); a Parquet row
group is never split, so write datasets with row groups of at most a few hundred thousand rows.
"""

from __future__ import annotations

import glob
import io
import itertools
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError, InputFileError

if TYPE_CHECKING:
    from ._engine import Engine

__all__ = ["Dataset", "Partition", "open_dataset", "read_partition"]

DEFAULT_PARTITION_ROWS = 250_000
_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": ","}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_CSV_BYTES_PER_ROW = 120
_STAGE_SPLIT = 9  # a first guess to size CSV byte ranges; only partition size depends on it


@dataclass(frozen=True)
class Partition:
    """One readable piece: ``row_groups`` of a Parquet file, or bytes ``start:end`` of a CSV file."""

    path: str
    row_groups: tuple[int, ...] = ()
    start: int = 0
    end: int = 0
    rows: int | None = None  # known for Parquet from the footer


@dataclass(frozen=True)
class Dataset:
    """A partitioned table. ``dtypes`` fixes CSV column dtypes (empty for Parquet)."""

    name: str
    format: str  # "parquet" or "csv"
    columns: tuple[str, ...]
    partitions: tuple[Partition, ...]
    sep: str = ","
    header: str = ""
    dtypes: dict[str, str] = field(default_factory=dict)
    split: tuple[int, float, bool] | None = None
    """(seed, fraction, holdout side): keep only the rows on one side of a seeded row split."""

    def holdout_split(self, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
        """(train, holdout): each row goes to the holdout with probability ``fraction``, decided by the
        partition's own seeded stream, so the split is the same on every engine and worker count."""
        return replace(self, split=(seed, fraction, False)), replace(self, split=(seed, fraction, True))

    def __len__(self) -> int:
        return len(self.partitions)

    @property
    def n_rows(self) -> int | None:
        """Row count from Parquet footers; ``None`` for CSV and split datasets until counted."""
        if self.split is not None:
            return None
        rows = [p.rows for p in self.partitions]
        return None if any(r is None for r in rows) else int(sum(r for r in rows if r is not None))


def _files(source: str | Path) -> list[Path]:
    text = str(source)
    path = Path(text)
    if any(ch in text for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        if not found:
            raise InputFileError(f"no file matches '{text}'; check the pattern")
        return found
    if not path.exists():
        raise InputFileError(f"input '{path}' does not exist; check the path")
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _PARQUET_SUFFIXES)
        found = [p for p in found if not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)]
        if not found:
            raise InputFileError(f"folder '{path}' holds no .parquet files; give a Parquet dataset folder or a file")
        return found
    return [path]


def open_dataset(source: str | Path, *, partition_rows: int = DEFAULT_PARTITION_ROWS) -> Dataset:
    """Describe ``source`` (Parquet file / folder / glob, or a CSV/TSV file) as partitions; reads no rows.

    CSV dtypes are settled by :func:`settle_csv_dtypes` (a pass over the data) before reading.
    """
    files = _files(source)
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= _PARQUET_SUFFIXES:
        return _open_parquet(str(source), files, partition_rows)
    if len(files) == 1 and suffixes <= set(_CSV_SUFFIXES):
        return _open_csv(files[0], partition_rows)
    raise InputFileError(
        f"input '{source}' must be Parquet (a file, a folder or a glob of .parquet files) or one .csv/.tsv file"
    )


def _open_parquet(name: str, files: list[Path], partition_rows: int) -> Dataset:
    import pyarrow.parquet as pq

    parts: list[Partition] = []
    columns: tuple[str, ...] | None = None
    for f in files:
        try:
            meta = pq.ParquetFile(f).metadata
            names = tuple(pq.read_schema(f).names)
        except Exception as exc:  # pyarrow raises ArrowInvalid (a ValueError) or OSError on garbage
            raise InputFileError(f"input file '{f}' is not a valid Parquet file ({type(exc).__name__})") from None
        names = tuple(n for n in names if not n.startswith("__index_level_"))
        if columns is None:
            columns = names
        elif names != columns:
            raise InputError(
                f"Parquet file '{f}' has columns {list(names)} but '{files[0]}' has {list(columns)}; "
                "every file of a dataset needs the same columns"
            )
        group: list[int] = []
        rows = 0
        for g in range(meta.num_row_groups):
            group.append(g)
            rows += meta.row_group(g).num_rows
            if rows >= partition_rows:
                parts.append(Partition(str(f), tuple(group), rows=rows))
                group, rows = [], 0
        if group:
            parts.append(Partition(str(f), tuple(group), rows=rows))
    parts = [p for p in parts if p.rows]
    if not parts or columns is None:
        raise InputError(f"input '{name}' has no rows; give a dataset with data rows")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"input '{name}' has duplicate column names {dupes}; rename them")
    return Dataset(name=name, format="parquet", columns=columns, partitions=tuple(parts))


def _open_csv(path: Path, partition_rows: int) -> Dataset:
    sep = _CSV_SUFFIXES.get(path.suffix.lower(), ",")
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header_bytes = fh.readline()
        body_start = fh.tell()
        try:
            header = header_bytes.decode("utf-8-sig").rstrip("\r\n")
        except UnicodeDecodeError:
            raise InputError(f"input file '{path}' is not UTF-8 text; re-save it as UTF-8") from None
        if not header.strip():
            raise InputError(f"input file '{path}' is empty; give a file with a header row and data rows")
        block = max(1 << 16, partition_rows * _CSV_BYTES_PER_ROW)
        cuts = [body_start]
        while cuts[-1] + block < size:
            fh.seek(cuts[-1] + block)
            fh.readline()  # to the next line end: a cut never splits a row
            if fh.tell() >= size:
                break
            cuts.append(fh.tell())
    cuts.append(size)
    parts = tuple(Partition(str(path), start=a, end=b) for a, b in itertools.pairwise(cuts) if b > a)
    if not parts:
        raise InputError(f"input file '{path}' has a header but no rows; give a file with data rows")
    cols = list(pd.read_csv(io.StringIO(header + "\n"), sep=sep, dtype=str).columns)
    columns = tuple(str(c).strip() for c in cols)
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"input file '{path}' has duplicate column names {dupes}; rename them")
    return Dataset(name=str(path), format="csv", columns=columns, partitions=parts, sep=sep, header=header)


def _read_csv_text(dataset: Dataset, part: Partition) -> pd.DataFrame:
    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        raw = fh.read(part.end - part.start)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"input file '{part.path}' is not UTF-8 text (near byte {part.start}); re-save it") from None
    try:
        frame = pd.read_csv(
            io.StringIO(dataset.header + "\n" + text),
            sep=dataset.sep,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=False,
        )
    except pd.errors.ParserError as exc:
        raise InputError(f"input file '{part.path}' is not well-formed CSV: {exc}") from None
    frame.columns = list(dataset.columns)
    return frame


def read_partition(dataset: Dataset, index: int, columns: list[str] | None = None) -> pd.DataFrame:
    """Partition ``index`` as a DataFrame with the dataset's dtypes (all columns unless ``columns``)."""
    part = dataset.partitions[index]
    if dataset.format == "parquet":
        import pyarrow.parquet as pq

        table = pq.ParquetFile(part.path).read_row_groups(list(part.row_groups), columns=columns)
        frame = table.to_pandas().reset_index(drop=True)
    else:
        frame = _read_csv_text(dataset, part)
        if columns is not None:
            frame = frame[columns]
        frame = _apply_dtypes(frame, dataset.dtypes)
    if dataset.split is not None:
        from ._engine import partition_rng

        seed, fraction, holdout = dataset.split
        side = partition_rng(seed, _STAGE_SPLIT, index).random(len(frame)) < fraction
        frame = frame[side == holdout].reset_index(drop=True)
    return frame


# -- CSV dtypes: the rules of io.infer_storage_dtypes, decided over every partition -----------------------
def _flags(dataset: Dataset, index: int) -> dict[str, np.ndarray]:
    frame = _read_csv_text(dataset, dataset.partitions[index])
    out: dict[str, np.ndarray] = {}
    for name in frame.columns:
        col = frame[name]
        values = col.dropna().astype(str)
        has_null = bool(col.isna().any())
        if len(values) == 0:
            out[str(name)] = np.array([0, 1, 1, 0, 1, 1, 0, int(has_null)], dtype=np.int64)
            continue
        is_bool = bool(values.isin(["True", "False"]).all())
        spaced = bool((values.str.strip() != values).any())
        numeric = bool(pd.to_numeric(values, errors="coerce").notna().all())
        is_int = bool(values.str.fullmatch(r"[-+]?(0|[1-9][0-9]*)").all()) and int(values.str.len().max()) <= 18
        zeros = bool(values.str.fullmatch(r"[-+]?0[0-9]+").any())
        out[str(name)] = np.array(
            [len(values), int(is_bool), int(numeric), int(spaced), int(is_int), 1, int(zeros), int(has_null)],
            dtype=np.int64,
        )
    return out


def _merge_flags(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for k in a:
        x, y = a[k], b[k]
        # count; all-bool; all-numeric; any spaced; all-int; (unused); any leading zero; any null
        out[k] = np.array(
            [x[0] + y[0], x[1] & y[1], x[2] & y[2], x[3] | y[3], x[4] & y[4], 1, x[6] | y[6], x[7] | y[7]],
            dtype=np.int64,
        )
    return out


def _decide(f: np.ndarray) -> str:
    count, is_bool, numeric, spaced, is_int, _, zeros, has_null = (int(v) for v in f)
    if count == 0:
        return "str"
    if is_bool:
        return "boolean" if has_null else "bool"
    if spaced or not numeric:
        return "str"
    if is_int:
        return "Int64" if has_null else "int64"
    if zeros:
        return "str"
    return "float64"


def settle_csv_dtypes(dataset: Dataset, engine: Engine) -> Dataset:
    """The dataset with every CSV column's dtype decided over all partitions (Parquet: unchanged)."""
    if dataset.format != "csv" or dataset.dtypes:
        return dataset
    flags = engine.map_fold(partial(_flags, dataset), len(dataset), _merge_flags)
    return replace(dataset, dtypes={k: _decide(v) for k, v in flags.items()})


def _apply_dtypes(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for name in frame.columns:
        col = frame[name]
        dtype = dtypes.get(str(name), "str")
        if dtype in ("bool", "boolean"):
            col = col.map({"True": True, "False": False}).astype(dtype)
        elif dtype in ("int64", "Int64"):
            col = pd.to_numeric(col, errors="coerce").astype(dtype)
        elif dtype == "float64":
            col = pd.to_numeric(col, errors="coerce").astype("float64")
        out[str(name)] = col
    return pd.DataFrame(out, index=frame.index)
