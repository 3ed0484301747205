"""Identifiers: regenerated in the input's format, unique, and never equal to a training value.

No model column carries an identifier's value (a key has no distribution worth learning); only
``<name>.null`` when the column has missing cells. The inverse draws fresh values:

* integers: from the digit-count range of the input (e.g. ``1 .. 32561`` -> ``1 .. 99999``), widened by one
  digit when too few unused values remain;
* UUIDs: random version-4 UUIDs in the input's case;
* other text: from the input's *shapes* (``spec.pattern`` when given; ``A`` letter, ``9`` digit, anything
  else literal; letter case learned from the data), weighted by frequency; widened by one digit when the
  shape space is too small.

To guarantee that no real value is emitted without storing the values, the state holds a set of salted
8-byte BLAKE2b digests of the training values (:class:`~simulacra.transformers._common.HashSet`); every
candidate whose digest is in the set is rejected and redrawn. A digest collision only ever rejects an
extra candidate, never lets a real value through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._common import BaseTransformer, HashSet, is_text_dtype, null_column, object_na, read_null
from .base import ModelColumn

__all__ = ["IdSpace", "IdentifierTransformer", "shape_of"]

UPPER, LOWER, DIGIT = "\x01", "\x02", "\x03"
_ALPHABET = {
    UPPER: np.frombuffer("ABCDEFGHIJKLMNOPQRSTUVWXYZ".encode("utf-32-le"), dtype=np.uint32),
    LOWER: np.frombuffer("abcdefghijklmnopqrstuvwxyz".encode("utf-32-le"), dtype=np.uint32),
    DIGIT: np.frombuffer("0123456789".encode("utf-32-le"), dtype=np.uint32),
}
_UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_MAX_SHAPES = 50
_ENUMERATE_LIMIT = 200_000
_INT64_MAX = np.iinfo(np.int64).max


def shape_of(values: pd.Series) -> pd.Series:
    """Each value's shape: letters -> upper/lower class, digits -> digit class, others kept."""
    s = values.astype(str)
    s = s.str.replace(r"[A-Z]", UPPER, regex=True).str.replace(r"[a-z]", LOWER, regex=True)
    s = s.str.replace(r"[0-9]", DIGIT, regex=True)
    return s.str.replace(r"[^\W\d_]", LOWER, regex=True)  # other letters


def _pattern_shape(pattern: str, upper: bool) -> str:
    letter = UPPER if upper else LOWER
    return "".join(letter if ch == "A" else DIGIT if ch == "9" else ch for ch in pattern)


def _size(shape: str) -> int:
    size = 1
    for ch in shape:
        if ch in _ALPHABET:
            size *= len(_ALPHABET[ch])
    return size


def _widen(shape: str) -> str:
    """One more digit: after the last digit, else at the end."""
    last = shape.rfind(DIGIT)
    return shape + DIGIT if last < 0 else shape[: last + 1] + DIGIT + shape[last + 1 :]


def _render(shape: str, picks: np.ndarray) -> np.ndarray:
    """Strings of ``shape`` from per-class indices ``picks`` (n x len(shape))."""
    n = picks.shape[0]
    if not shape:
        return np.array([""] * n, dtype=object)
    codes = np.empty((n, len(shape)), dtype=np.uint32)
    for j, ch in enumerate(shape):
        alpha = _ALPHABET.get(ch)
        codes[:, j] = alpha[picks[:, j] % len(alpha)] if alpha is not None else ord(ch)
    return np.ascontiguousarray(codes).view(f"<U{len(shape)}").reshape(n).astype(object)


def _random_shape(shape: str, m: int, rng: np.random.Generator) -> np.ndarray:
    picks = rng.integers(0, 26, size=(m, len(shape)))
    return _render(shape, picks)


def _all_of_shape(shape: str) -> np.ndarray:
    radices = [len(_ALPHABET[ch]) if ch in _ALPHABET else 1 for ch in shape]
    idx = np.arange(_size(shape), dtype=np.int64)
    picks = np.zeros((len(idx), len(shape)), dtype=np.int64)
    for j in range(len(shape) - 1, -1, -1):
        picks[:, j] = idx % radices[j]
        idx = idx // radices[j]
    return _render(shape, picks)


class IdSpace:
    """The value space of an identifier-like column, learned from its observed values (no values kept).

    ``mode`` is ``"int"`` (``lo``..``hi``), ``"uuid"`` or ``"shape"`` (``shapes`` with ``weights``).
    """

    def __init__(self, state: Mapping[str, Any]) -> None:
        self.mode = str(state["mode"])
        self.lo = int(state.get("lo", 0))
        self.hi = int(state.get("hi", 0))
        self.upper = bool(state.get("upper", False))
        self.shapes = [str(s) for s in state.get("shapes", [])]
        self.weights = np.asarray(state.get("weights", []), dtype=np.float64)

    @classmethod
    def learn(cls, observed: pd.Series, pattern: str | None = None) -> IdSpace:
        dtype = str(observed.dtype)
        if not is_text_dtype(dtype) and len(observed):
            ints = observed.to_numpy(dtype=np.float64)
            digits = np.char.str_len(np.abs(ints).astype(np.int64).astype(str))
            lo = 0 if ints.min() <= 0 else int(10 ** (int(digits.min()) - 1))
            lo = min(lo, int(ints.min()))
            hi = int(min(10 ** int(digits.max()) - 1, _INT64_MAX))
            return cls({"mode": "int", "lo": lo, "hi": hi})
        text = observed.astype(str)
        letters = "".join(text.head(2000).tolist())
        upper = sum(c.isupper() for c in letters) > sum(c.islower() for c in letters)
        if len(text) and text.str.fullmatch(_UUID_RE).all():
            return cls({"mode": "uuid", "upper": upper})
        if pattern:
            return cls({"mode": "shape", "shapes": [_pattern_shape(pattern, upper)], "weights": [1.0]})
        if len(text) == 0:
            return cls({"mode": "shape", "shapes": [DIGIT * 8], "weights": [1.0]})
        counts = shape_of(text).value_counts().head(_MAX_SHAPES)
        return cls({"mode": "shape", "shapes": list(counts.index), "weights": (counts / counts.sum()).tolist()})

    def to_state(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "lo": self.lo,
            "hi": self.hi,
            "upper": self.upper,
            "shapes": list(self.shapes),
            "weights": self.weights.tolist(),
        }

    # -- drawing ------------------------------------------------------------------------------
    def draw(self, n: int, taken: HashSet, rng: np.random.Generator, unique: bool = True) -> np.ndarray:
        """``n`` values (ints for mode int, else str objects) none of which is in ``taken``."""
        if n == 0:
            return np.zeros(0, dtype=np.int64 if self.mode == "int" else object)
        if self.mode == "uuid":
            uuids = self._fill(lambda m: self._uuids(m, rng), n, taken, unique)
            if uuids is None:  # pragma: no cover - 122 random bits do not run out
                raise ParameterError(f"cannot draw {n} unused UUIDs")
            return uuids
        if self.mode == "int":
            lo, hi = self.lo, self.hi
            while True:
                size = hi - lo + 1
                if size <= _ENUMERATE_LIMIT and (not unique or size - len(taken) < 4 * n):
                    pool = np.arange(lo, hi + 1, dtype=np.int64)
                    pool = pool[~taken.contains(pool.astype(str))]
                    if len(pool) >= n or (not unique and len(pool)):
                        return rng.choice(pool, size=n, replace=not unique)
                else:

                    def ints(m: int, lo: int = lo, hi: int = hi) -> np.ndarray:
                        return rng.integers(lo, hi, size=m, endpoint=True)

                    got = self._fill(ints, n, taken, unique)
                    if got is not None:
                        return got
                if hi >= _INT64_MAX // 10:
                    raise ParameterError(f"cannot draw {n} unused integer identifiers; sample fewer rows")
                hi = hi * 10 + 9
        shapes, weights = list(self.shapes), self.weights
        for _ in range(12):
            sizes = np.array([_size(s) for s in shapes], dtype=np.float64)
            if sizes.sum() <= _ENUMERATE_LIMIT:
                pools = [_all_of_shape(s) for s in shapes]
                probs = np.concatenate([np.full(len(p), w / len(p)) for p, w in zip(pools, weights, strict=True)])
                pool = np.concatenate(pools)
                keep = ~taken.contains(pool)
                pool, probs = pool[keep], probs[keep]
                if len(pool) >= n or (not unique and len(pool)):
                    return rng.choice(pool, size=n, replace=not unique, p=probs / probs.sum())
            else:

                def make(m: int, shapes: list[str] = shapes) -> np.ndarray:
                    counts = rng.multinomial(m, weights)
                    parts = [_random_shape(s, int(c), rng) for s, c in zip(shapes, counts, strict=True) if c]
                    out = np.concatenate(parts)
                    return out[rng.permutation(len(out))]

                got = self._fill(make, n, taken, unique)
                if got is not None:
                    return got
            shapes = [_widen(s) for s in shapes]
        raise ParameterError(f"cannot draw {n} unused identifiers of the learned format; sample fewer rows")

    def _uuids(self, m: int, rng: np.random.Generator) -> np.ndarray:
        raw = np.frombuffer(rng.bytes(16 * m), dtype=np.uint8).reshape(m, 16).copy()
        raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
        raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
        hexes = [r.tobytes().hex() for r in raw]
        out = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in hexes]
        return np.array([o.upper() for o in out] if self.upper else out, dtype=object)

    @staticmethod
    def _fill(make: Any, n: int, taken: HashSet, unique: bool, rounds: int = 60) -> np.ndarray | None:
        """Draw batches from ``make(m)`` until ``n`` acceptable values are found (``None`` if stuck)."""
        chosen: list[np.ndarray] = []
        seen: set[Any] = set()
        have = 0
        for _ in range(rounds):
            need = n - have
            cand = make(int(need * 1.25) + 16)
            if unique:
                cand = pd.unique(cand)
                cand = np.asarray([c for c in cand if c not in seen], dtype=cand.dtype)
            key = cand.astype(str) if cand.dtype != object else cand
            cand = cand[~taken.contains(key)][:need]
            if unique:
                seen.update(cand.tolist())
            chosen.append(cand)
            have += len(cand)
            if have >= n:
                return np.concatenate(chosen)[:n]
        return None


def hash_keys(observed: pd.Series) -> list[str]:
    """The strings hashed for a column's values (integers without a decimal point)."""
    if not is_text_dtype(observed.dtype):
        return [str(int(v)) for v in observed.to_numpy(dtype=np.float64)]
    return observed.astype(str).tolist()


def write_values(values: np.ndarray, missing: np.ndarray, dtype: str, na: str) -> pd.Series:
    """Place drawn ``values`` in the non-missing rows and restore ``dtype``."""
    n = len(missing)
    if not is_text_dtype(dtype):
        full = np.zeros(n, dtype=np.int64)
        full[~missing] = values
        out = pd.Series(full).astype(dtype)
        return out.mask(missing) if missing.any() else out
    obj = np.empty(n, dtype=object)
    obj[~missing] = values
    obj[missing] = None if (dtype == "object" and na == "none") else np.nan
    return pd.Series(obj, dtype=object) if dtype == "object" else pd.Series(obj).astype(dtype)


class IdentifierTransformer(BaseTransformer):
    """Identifier column -> only ``<name>.null`` (when it has missing cells); inverse draws fresh ids."""

    name = "identifier"

    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> IdentifierTransformer:
        self._check_data(data)
        col = data[self.col]
        missing = col.isna().to_numpy(dtype=bool)
        observed = col[~missing]
        self.dtype_ = str(col.dtype)
        self.na_ = object_na(col)
        self.has_null_ = bool(missing.any())
        self.space_ = IdSpace.learn(observed, self.spec.pattern)
        self.taken_ = HashSet.build(hash_keys(observed), rng)
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        return [null_column(self.col)] if self.has_null_ else []

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        if not self.has_null_:
            return {}
        return {f"{self.col}.null": data[self.col].isna().to_numpy(dtype=np.int64)}

    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        missing = read_null(model, self.col, n, self.has_null_)
        values = self.space_.draw(int((~missing).sum()), self.taken_, rng, unique=True)
        return pd.DataFrame({self.col: write_values(values, missing, self.dtype_, self.na_)})

    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "dtype": self.dtype_,
            "na": self.na_,
            "has_null": self.has_null_,
            "space": self.space_.to_state(),
            "taken": self.taken_.to_state(),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.dtype_ = str(state["dtype"])
        self.na_ = str(state.get("na", "nan"))
        self.has_null_ = bool(state["has_null"])
        self.space_ = IdSpace(state["space"])
        self.taken_ = HashSet.from_state(state["taken"])
        self.fitted_ = True
