import json
from pathlib import Path

import numpy as np
import pytest

from simulacra.errors import ModelFileError
from simulacra.persistence import MODEL_FORMAT_VERSION, pack_state, read_model, unpack_state, write_model


def test_pack_unpack_round_trip() -> None:
    state = {"a": np.arange(3), "b": [{"c": np.ones((2, 2))}, 4, "x"], "d": np.float64(1.5)}
    arrays: dict[str, np.ndarray] = {}
    packed = pack_state(state, arrays)
    json.dumps(packed)
    back = unpack_state(json.loads(json.dumps(packed)), arrays)
    np.testing.assert_array_equal(back["a"], state["a"])
    np.testing.assert_array_equal(back["b"][0]["c"], np.ones((2, 2)))
    assert back["b"][1:] == [4, "x"] and back["d"] == 1.5


def test_object_arrays_are_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        pack_state({"x": np.array(["a", None], dtype=object)}, {})


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    path = tmp_path / "model"
    write_model(path, {"generator": "gaussian_copula"}, {"w": np.arange(4.0)})
    return path


def test_write_read(model_dir: Path) -> None:
    manifest, state = read_model(model_dir)
    assert manifest["format_version"] == MODEL_FORMAT_VERSION
    np.testing.assert_array_equal(state["w"], np.arange(4.0))


def test_missing_and_foreign(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        read_model(tmp_path / "none")
    (tmp_path / "foreign").mkdir()
    with pytest.raises(ModelFileError, match="no manifest"):
        read_model(tmp_path / "foreign")
    (tmp_path / "foreign" / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(ModelFileError, match="not a simulacra model"):
        read_model(tmp_path / "foreign")


def test_damaged_manifest(model_dir: Path) -> None:
    (model_dir / "manifest.json").write_text("{ not json")
    with pytest.raises(ModelFileError, match="damaged"):
        read_model(model_dir)


def test_newer_format_refused(model_dir: Path) -> None:
    m = json.loads((model_dir / "manifest.json").read_text())
    m["format_version"] = MODEL_FORMAT_VERSION + 1
    (model_dir / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelFileError, match="newer"):
        read_model(model_dir)


def test_tampered_arrays(model_dir: Path) -> None:
    blob = bytearray((model_dir / "arrays.npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (model_dir / "arrays.npz").write_bytes(bytes(blob))
    with pytest.raises(ModelFileError, match=r"hash|damaged"):
        read_model(model_dir)
    (model_dir / "arrays.npz").unlink()
    with pytest.raises(ModelFileError, match="lacks"):
        read_model(model_dir)
