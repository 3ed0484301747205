"""Points in time: one continuous model column, seconds since the Unix epoch.

Inputs: native ``datetime64`` (naive or time-zone aware), text in a ``strftime`` format (``%z`` offsets
included), date-like integers (``datetime_format="%Y%m%d"`` on an integer column), and epoch integers
(``"epoch_s"``, ``"epoch_ms"``). Text without a format is read as ISO 8601 and written back as
``%Y-%m-%d`` (day resolution) or ``%Y-%m-%d %H:%M:%S[.%f]``.

Design choices:

* the model value is the *instant* (UTC seconds; for naive values the wall clock read as UTC);
* the *resolution* is learned on the wall clock: day when every value is at midnight, else the coarsest of
  hour, minute, second, millisecond, microsecond that fits; the inverse rounds to it and clips to the
  learned bounds, so generated values look like the input (dates stay dates);
* ``%z`` offsets: the exact offset spellings seen (``-0800``, ``+05:30``, ``Z``) are kept; with one offset
  it is constant, with several a discrete ``<name>.offset`` model column carries it (so DST or mixed-zone
  data round-trip exactly and a generator can learn which offset goes with which row);
* zero padding: when the input writes ``9-Jul-18`` for ``%d-%b-%y``, the writing format becomes
  ``%-d-%b-%y`` (chosen at fit as the variant that reproduces most input values; glibc ``strftime``);
* sub-microsecond digits are not kept (float seconds cannot hold them).

>>> spec = ColumnSpec(name="created", kind=ColumnKind.DATETIME, dtype="str",
...                   datetime_format="%Y-%m-%d %H:%M:%S %z")
>>> t = DatetimeTransformer([spec]).fit(df, rng)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime as _pydatetime
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SchemaError
from ._common import (
    BaseTransformer,
    is_text_dtype,
    missing_mask,
    null_column,
    object_na,
    read_codes,
    read_continuous,
    read_null,
)
from .base import ModelColumn, ModelColumnType

__all__ = ["RESOLUTIONS", "DatetimeTransformer"]

_US = 1_000_000
RESOLUTIONS: dict[str, int] = {
    "day": 86400 * _US,
    "hour": 3600 * _US,
    "minute": 60 * _US,
    "second": _US,
    "millisecond": 1000,
    "microsecond": 1,
}
_MAX_OFFSETS = 64
_PADDED = ("%d", "%m", "%H", "%I", "%M", "%S", "%j")
_OFFSET_RE = re.compile(r"(Z|[+-]\d\d:?\d\d(?::?\d\d)?)$")


def _offset_minutes(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + int(digits[2:4]))


def _learn_resolution(wall_us: np.ndarray) -> str:
    for name, res in RESOLUTIONS.items():
        if len(wall_us) == 0 or not (wall_us % res).any():
            return name
    return "microsecond"  # pragma: no cover


def _naive_us(s: pd.Series) -> np.ndarray:
    return np.asarray(s.astype("datetime64[us]")).view(np.int64)


class DatetimeTransformer(BaseTransformer):
    """A date/time column <-> continuous ``<name>`` (epoch seconds) (+ ``<name>.null``, ``<name>.offset``)."""

    name = "datetime"

    # -- reading ------------------------------------------------------------------------------
    def _source(self, dtype: str) -> str:
        fmt = self.spec.datetime_format
        if dtype.startswith("datetime64"):
            return "native"
        if fmt in ("epoch_s", "epoch_ms"):
            return fmt
        if is_text_dtype(dtype):
            return "text"
        if fmt is not None:
            return "int_text"
        raise SchemaError(
            f"column {self.col!r}: dtype {dtype} holds no dates; set datetime_format in the schema "
            "(a strftime format, 'epoch_s' or 'epoch_ms') or give the column another kind"
        )

    def _parse(self, col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], np.ndarray]:
        """(instant_us, wall_us, offset spellings per row, missing) for the observed rows."""
        where = f"column {self.col!r}"
        missing = missing_mask(col, self.spec.null_token)
        obs = col[~missing]
        n_obs = len(obs)
        offsets = np.array([""] * n_obs, dtype=object)
        source = self.source_
        if source == "native":
            if getattr(obs.dt, "tz", None) is not None:
                instant = _naive_us(obs.dt.tz_convert("UTC").dt.tz_localize(None))
                wall = _naive_us(obs.dt.tz_localize(None))
            else:
                instant = wall = _naive_us(obs)
            return instant, wall, offsets, [], missing
        if source in ("epoch_s", "epoch_ms"):
            vals = obs.to_numpy(dtype=np.float64)
            scale = _US if source == "epoch_s" else 1000
            instant = np.round(vals * scale).astype(np.int64)
            return instant, instant, offsets, [], missing
        text = obs.astype(str) if source == "text" else obs.astype("int64").astype(str)
        fmt = self.fmt_
        try:
            if fmt == "ISO8601":
                parsed = pd.to_datetime(text, format="ISO8601")
                if parsed.dt.tz is not None:
                    raise ValueError
            else:
                parsed = pd.to_datetime(text, format=fmt, utc="%z" in fmt)
        except (ValueError, TypeError):
            bad = int(pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt).isna().sum())
            raise SchemaError(
                f"{where}: {max(bad, 1)} value(s) do not match the datetime_format in the schema; "
                "correct the format (strftime codes) or re-run `simulacra profile`"
            ) from None
        if "%z" not in fmt:
            wall = _naive_us(parsed)
            return wall, wall, offsets, [], missing
        instant = _naive_us(parsed.dt.tz_localize(None))
        if fmt.endswith("%z"):
            spelled = text.str.extract(_OFFSET_RE, expand=False).fillna("+0000").to_numpy(dtype=object)
        else:
            spelled = np.array([_pydatetime.strptime(v, fmt).strftime("%z") for v in text.tolist()], dtype=object)
        minutes = np.array([_offset_minutes(s) for s in spelled], dtype=np.int64)
        return instant, instant + minutes * 60 * _US, spelled, list(spelled), missing

    def _pick_out_format(self, observed: pd.Series, instant: np.ndarray, wall: np.ndarray, spelled: list[str]) -> str:
        """The writing format that reproduces most input spellings: ``%d`` or ``%-d`` (no zero padding) ..."""
        k = min(len(observed), 2000)
        raw = observed.iloc[:k].astype(str).to_numpy(dtype=str)
        lookup = {o: i for i, o in enumerate(self.offsets_)}
        codes = np.array([lookup.get(o, 0) for o in spelled[:k]], dtype=np.int64) if spelled else np.zeros(k, int)
        present = [d for d in _PADDED if d in self.fmt_]
        candidates = [self.fmt_]
        if present:
            unpadded = self.fmt_
            for d in present:
                unpadded = unpadded.replace(d, "%-" + d[1])
            candidates += [unpadded] + [self.fmt_.replace(d, "%-" + d[1]) for d in present]
        best, best_hits = self.fmt_, -1
        for cand in candidates:
            self.fmt_out_ = cand
            try:
                out = self._write(instant[:k], wall[:k], codes, np.zeros(k, dtype=bool))
            except ValueError:  # pragma: no cover - a platform without %-d
                continue
            hits = int((out.astype(str).to_numpy(dtype=str) == raw).sum())
            if hits > best_hits:
                best, best_hits = cand, hits
            if hits == k:
                break
        return best

    # -- fit / transform ----------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, rng: np.random.Generator) -> DatetimeTransformer:
        self._check_data(data)
        col = data[self.col]
        self.dtype_ = str(col.dtype)
        self.source_ = self._source(self.dtype_)
        fmt = self.spec.datetime_format
        self.fmt_ = fmt if fmt is not None and self.source_ in ("text", "int_text") else "ISO8601"
        self.tz_ = str(col.dt.tz) if self.source_ == "native" and getattr(col.dt, "tz", None) is not None else ""
        instant, wall, _, spelled, missing = self._parse(col)
        self.resolution_ = _learn_resolution(wall)
        if self.fmt_ == "ISO8601" and self.source_ == "text":
            sub = RESOLUTIONS[self.resolution_] < _US
            self.fmt_out_ = "%Y-%m-%d" if self.resolution_ == "day" else "%Y-%m-%d %H:%M:%S" + (".%f" if sub else "")
        else:
            self.fmt_out_ = self.fmt_
        self.offsets_: list[str] = []
        if spelled:
            names, counts = np.unique(np.asarray(spelled, dtype=str), return_counts=True)
            order = np.argsort(-counts, kind="stable")[:_MAX_OFFSETS]
            self.offsets_ = [str(names[i]) for i in order]
        seconds = instant / _US
        self.min_ = float(seconds.min()) if len(seconds) else 0.0
        self.max_ = float(seconds.max()) if len(seconds) else 0.0
        self.fill_ = float(np.median(seconds)) if len(seconds) else 0.0
        self.has_null_ = bool(missing.any())
        self.token_ = (
            self.spec.null_token
            if self.spec.null_token is not None and bool((col == self.spec.null_token).fillna(False).any())
            else None
        )
        self.na_ = object_na(col)
        if self.source_ in ("text", "int_text") and self.fmt_ != "ISO8601":
            self.fmt_out_ = self._pick_out_format(col[~missing], instant, wall, spelled)
        self.fitted_ = True
        return self

    @property
    def output_columns(self) -> list[ModelColumn]:
        self._check_fitted()
        cols = [ModelColumn(self.col, ModelColumnType.CONTINUOUS, source=self.col)]
        if self.has_null_:
            cols.append(null_column(self.col))
        if len(self.offsets_) > 1:
            cols.append(
                ModelColumn(
                    f"{self.col}.offset",
                    ModelColumnType.DISCRETE,
                    source=self.col,
                    role="offset",
                    n_categories=len(self.offsets_),
                )
            )
        return cols

    def transform(self, data: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
        self._check_fitted()
        self._check_data(data)
        instant, _, _, spelled, missing = self._parse(data[self.col])
        n = len(missing)
        lookup = {s: i for i, s in enumerate(self.offsets_)}
        codes_obs = np.array([lookup.get(s, 0) for s in spelled], dtype=np.int64) if spelled else None
        seconds = np.full(n, self.fill_)
        codes = np.zeros(n, dtype=np.int64)
        seconds[~missing] = instant / _US
        if codes_obs is not None:
            codes[~missing] = codes_obs
        if missing.any() and len(instant):
            pick = rng.integers(0, len(instant), size=int(missing.sum()))
            seconds[missing] = instant[pick] / _US
            if codes_obs is not None:
                codes[missing] = codes_obs[pick]
        out = {self.col: seconds}
        if self.has_null_:
            out[f"{self.col}.null"] = missing.astype(np.int64)
        if len(self.offsets_) > 1:
            out[f"{self.col}.offset"] = codes
        return out

    # -- inverse ------------------------------------------------------------------------------
    def inverse_transform(self, model: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
        self._check_fitted()
        seconds = np.clip(read_continuous(model, self.col, n, self.fill_), self.min_, self.max_)
        instant = np.round(seconds * _US).astype(np.int64)
        missing = read_null(model, self.col, n, self.has_null_)
        codes = np.zeros(n, dtype=np.int64)
        if len(self.offsets_) > 1:
            codes = read_codes(model, f"{self.col}.offset", n, len(self.offsets_))
        if self.offsets_:
            minutes = np.array([_offset_minutes(s) for s in self.offsets_], dtype=np.int64)
            wall = instant + minutes[codes] * 60 * _US
        elif self.tz_:
            utc = pd.Series(instant.view("datetime64[us]")).dt.tz_localize("UTC")
            wall = _naive_us(utc.dt.tz_convert(self.tz_).dt.tz_localize(None))
        else:
            wall = instant
        res = RESOLUTIONS[self.resolution_]
        rounded = ((wall + res // 2) // res) * res
        instant = instant + (rounded - wall)
        wall = rounded
        return pd.DataFrame({self.col: self._write(instant, wall, codes, missing)})

    def _write(self, instant: np.ndarray, wall: np.ndarray, codes: np.ndarray, missing: np.ndarray) -> pd.Series:
        source, dtype = self.source_, self.dtype_
        if source == "native":
            stamps = pd.Series(instant.view("datetime64[us]"))
            if self.tz_:
                stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(self.tz_)
            return stamps.mask(missing).astype(dtype)
        if source in ("epoch_s", "epoch_ms"):
            scale = _US if source == "epoch_s" else 1000
            if dtype.lower().startswith("float"):
                return pd.Series(np.where(missing, np.nan, instant / scale)).astype(dtype)
            ints = pd.Series(instant // scale)
            return ints.astype(dtype).mask(missing) if dtype[0] in "IU" else ints.astype(dtype)
        naive = pd.Series(wall.view("datetime64[us]"))
        if self.offsets_:
            text = pd.Series(np.empty(len(wall), dtype=object))
            for i, spelled in enumerate(self.offsets_):
                rows = codes == i
                if rows.any():
                    fmt = self.fmt_out_.replace("%z", spelled.replace("%", "%%"))
                    text[rows] = naive[rows].dt.strftime(fmt).astype(object)
        else:
            text = naive.dt.strftime(self.fmt_out_).astype(object)
        if source == "int_text":
            ints = pd.Series(pd.to_numeric(text, errors="coerce").fillna(0).astype(np.int64)).astype(dtype)
            return ints.mask(missing) if dtype[0] in "IU" or dtype.startswith("float") else ints
        arr = text.to_numpy(dtype=object).copy()
        if self.token_ is not None:
            arr[missing] = self.token_
        else:
            arr[missing] = None if (dtype == "object" and self.na_ == "none") else np.nan
        return pd.Series(arr, dtype=object) if dtype == "object" else pd.Series(arr).astype(dtype)

    # -- state --------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "dtype": self.dtype_,
            "source": self.source_,
            "format": self.fmt_,
            "format_out": self.fmt_out_,
            "tz": self.tz_,
            "resolution": self.resolution_,
            "offsets": list(self.offsets_),
            "minimum": self.min_,
            "maximum": self.max_,
            "fill": self.fill_,
            "has_null": self.has_null_,
            "token": self.token_,
            "na": self.na_,
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        self.dtype_ = str(state["dtype"])
        self.source_ = str(state["source"])
        self.fmt_ = str(state["format"])
        self.fmt_out_ = str(state["format_out"])
        self.tz_ = str(state.get("tz", ""))
        self.resolution_ = str(state["resolution"])
        if self.resolution_ not in RESOLUTIONS:
            raise SchemaError(f"saved datetime resolution must be one of {list(RESOLUTIONS)}")
        self.offsets_ = [str(s) for s in state.get("offsets", [])]
        self.min_ = float(state["minimum"])
        self.max_ = float(state["maximum"])
        self.fill_ = float(state["fill"])
        self.has_null_ = bool(state["has_null"])
        self.token_ = state.get("token")
        self.na_ = str(state.get("na", "nan"))
        self.fitted_ = True
