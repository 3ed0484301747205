from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulacra.errors import InputError, InputFileError, OutputError
from simulacra.io import TableWriter, infer_storage_dtypes, read_table, write_table


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(content)
    return p


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="does not exist"):
        read_table(tmp_path / "nope.csv")


def test_folder_is_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="folder"):
        read_table(tmp_path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"a,b\n", "header but no rows"),
        (b"a,a\n1,2\n", "duplicate column names"),
        (b"a,b\n1,\xff\xfe\n", "not UTF-8"),
        (b'a,b\n1,"2\n', "not well-formed|header but no rows"),
    ],
)
def test_bad_csv(tmp_path: Path, content: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match):
        read_table(_write(tmp_path, "x.csv", content))


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="extension"):
        read_table(_write(tmp_path, "x.xlsx", b"a\n1\n"))


def test_garbage_parquet(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="Parquet"):
        read_table(_write(tmp_path, "x.parquet", b"not parquet at all"))


def test_dtype_inference_keeps_spellings() -> None:
    raw = pd.DataFrame(
        {
            "int": ["1", "2", "3"],
            "gaps": ["1", None, "3"],
            "float": ["1.5", "2", "-3.25"],
            "zip": ["02134", "10001", "94105"],
            "spaced": [" a", " b", " a"],
            "na_word": ["NA", "x", "NA"],
            "flag": ["True", "False", "True"],
        },
        dtype=object,
    )
    out = infer_storage_dtypes(raw)
    assert str(out["int"].dtype) == "int64"
    assert str(out["gaps"].dtype) == "Int64"
    assert str(out["float"].dtype) == "float64"
    assert out["zip"].tolist() == ["02134", "10001", "94105"]
    assert out["spaced"].tolist() == [" a", " b", " a"]
    assert out["na_word"].tolist() == ["NA", "x", "NA"]
    assert out["flag"].dtype == bool


def test_write_is_atomic_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"

    class Boom(pd.DataFrame):
        def to_csv(self, *a: object, **k: object) -> None:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    with pytest.raises(OutputError):
        write_table(Boom({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        write_table(pd.DataFrame({"a": [1]}), blocker / "sub" / "out.csv")
    with pytest.raises(OutputError, match=r"extension|must end"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.xlsx")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_writer_streams_chunks(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"out{suffix}"
    writer = TableWriter(path)
    for i in range(3):
        writer.write(pd.DataFrame({"a": np.arange(i * 5, i * 5 + 5), "b": ["x"] * 5}))
    assert not path.exists()
    writer.close()
    back = read_table(path)
    assert back["a"].tolist() == list(range(15))


def test_table_writer_abort_leaves_nothing(tmp_path: Path) -> None:
    writer = TableWriter(tmp_path / "out.csv")
    writer.write(pd.DataFrame({"a": [1, 2]}))
    writer.abort()
    assert list(tmp_path.iterdir()) == []
