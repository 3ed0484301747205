"""Saving and loading fitted models without pickle.

A model is a folder with two files::

    manifest.json   format, format version, package version, generator name and class, parameters,
                    schema, data fingerprint, and the model state with arrays replaced by references
    arrays.npz      the state's numeric arrays (loaded with allow_pickle=False), checked by SHA-256

Loading checks the format name, refuses newer format versions and unknown generators, and verifies the
arrays' hash, so a damaged, foreign or newer model fails with a clear :class:`ModelFileError` and never
runs code.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__
from .errors import ModelFileError, OutputError
from .io import atomic_path

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "pack_state", "read_model", "unpack_state", "write_model"]

MODEL_FORMAT = "simulacra.model"
MODEL_FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
_REF = "__array__"


def pack_state(tree: Any, arrays: dict[str, np.ndarray], prefix: str = "") -> Any:
    """Replace every numpy array in ``tree`` by ``{"__array__": key}``, storing it in ``arrays``."""
    if isinstance(tree, np.ndarray):
        if tree.dtype == object:
            raise TypeError(f"state array at '{prefix}' has dtype object; store it as a JSON list instead")
        key = prefix or f"a{len(arrays)}"
        arrays[key] = tree
        return {_REF: key}
    if isinstance(tree, Mapping):
        return {str(k): pack_state(v, arrays, f"{prefix}/{k}" if prefix else str(k)) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [pack_state(v, arrays, f"{prefix}/{i}") for i, v in enumerate(tree)]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree


def unpack_state(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """Inverse of :func:`pack_state`."""
    if isinstance(tree, Mapping):
        if set(tree) == {_REF}:
            key = tree[_REF]
            if key not in arrays:
                raise ModelFileError(f"model arrays lack '{key}'; the model folder is damaged, save it again")
            return arrays[key]
        return {k: unpack_state(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [unpack_state(v, arrays) for v in tree]
    return tree


def write_model(path: str | Path, manifest: dict[str, Any], state: Any) -> None:
    """Write ``manifest`` (extended with the packed state) and the arrays into folder ``path``."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"model output '{folder}' is a file; give a folder path")
    arrays: dict[str, np.ndarray] = {}
    packed = pack_state(state, arrays)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    blob = buffer.getvalue()
    full = {
        "format": MODEL_FORMAT,
        "format_version": MODEL_FORMAT_VERSION,
        "simulacra_version": __version__,
        **manifest,
        "arrays_sha256": hashlib.sha256(blob).hexdigest(),
        "state": packed,
    }
    text = json.dumps(full, indent=1, ensure_ascii=False, allow_nan=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create model folder '{folder}': {exc.strerror}") from None
    # arrays first, manifest last: a folder with a manifest is always complete
    with atomic_path(folder / ARRAYS) as tmp:
        tmp.write_bytes(blob)
    with atomic_path(folder / MANIFEST) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")


def read_model(path: str | Path) -> tuple[dict[str, Any], Any]:
    """Read and check a model folder; return (manifest without state, unpacked state)."""
    folder = Path(path)
    if not folder.exists():
        raise ModelFileError(f"model '{folder}' does not exist; give the folder written by `simulacra fit`")
    if not folder.is_dir():
        raise ModelFileError(f"model '{folder}' is a file; give the folder written by `simulacra fit`")
    mpath = folder / MANIFEST
    if not mpath.exists():
        raise ModelFileError(f"'{folder}' is not a simulacra model: it has no {MANIFEST}")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{mpath} is damaged (not valid JSON); fit and save the model again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"'{folder}' is not a simulacra model (its manifest has no format '{MODEL_FORMAT}')")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{mpath} has no valid format_version; the model is damaged")
    if version > MODEL_FORMAT_VERSION:
        raise ModelFileError(
            f"model '{folder}' has format version {version}, newer than this simulacra reads "
            f"({MODEL_FORMAT_VERSION}; written by simulacra {manifest.get('simulacra_version', '?')}); "
            "upgrade simulacra"
        )
    apath = folder / ARRAYS
    try:
        blob = apath.read_bytes()
    except OSError:
        raise ModelFileError(f"model '{folder}' lacks {ARRAYS}; the folder is incomplete, save it again") from None
    if hashlib.sha256(blob).hexdigest() != manifest.get("arrays_sha256"):
        raise ModelFileError(f"{apath} does not match its manifest (hash differs); the model is damaged")
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile):
        raise ModelFileError(f"{apath} cannot be read; the model is damaged") from None
    state = unpack_state(manifest.pop("state", None), arrays)
    return manifest, state
