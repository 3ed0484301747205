"""Infer a :class:`TableSchema` from a DataFrame by looking at its values.

Type detection runs on a seeded sample of ``sample_rows`` rows; every statistic written into the schema
(bounds, categories, null rates) is computed over all rows. Evidence strings explain each decision with
counts and rules, never with cell values.

Precedence, when several kinds fit a column (first match wins):

1. **geo**: a float latitude/longitude pair found by name and range, or a text column of points;
2. **datetime**: native datetimes, date strings in a known format, ``yyyymmdd`` integers, epoch integers
   when the name hints at time;
3. **pii**: e-mails, IBANs, national ids, phones, street addresses, person names, user handles;
4. **identifier**: unique (or repeated, when the name says id/key) integer keys and code-like strings;
5. **text**: long or mostly unique strings;
6. **categorical**: booleans, other strings, integer codes (see below);
7. **numeric**: everything else that is a number.

Integers: numeric or categorical? (values after removing a null token)

* two distinct values: categorical (a flag);
* count-like: at least 6 distinct values, starting at 0, 1 or 2, dense over their range, and frequencies
  that (nearly) fall as the value grows: numeric (NIST's NOC/NPF, retweet counts);
* at most 10 distinct values: categorical (codes, ratings, small ordinals);
* at most 30 distinct values and the column name says code/type/category/class/group/kind/status:
  categorical;
* integers stored as text beside a null token (``N``): at most 30 distinct values, or codes that are
  sparse over their range (under 10% of it used) and repeated (median count >= 5): categorical (NIST's
  INDP, INDP_CAT, EDU);
* otherwise numeric (Adult's education-num, ages, amounts).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError
from ..validation import check_frame
from ._detect_common import is_text_dtype, name_tokens, shape_of, to_native
from ._detect_datetime import (
    DatetimeFinding,
    detect_datetime_ints,
    detect_datetime_native,
    detect_datetime_text,
)
from ._detect_geo import detect_geo_text, find_latlon_pairs
from ._detect_missing import describe_missingness
from ._detect_pii import detect_pii
from .kinds import ColumnKind, GeoFormat
from .table import ColumnSpec, TableSchema

__all__ = ["profile"]

logger = logging.getLogger(__name__)

PII_SAMPLE = 1000
GEO_SAMPLE = 2000
MAX_DECIMALS = 10
_ID_STRONG = {"id", "key", "uuid", "guid", "pk", "no", "nr", "idx"}
_ID_WEAK = {"number", "num", "code", "ref", "reference"}
_CODE_HINTS = {"code", "codes", "type", "cat", "category", "class", "group", "kind", "status", "flag"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_LEADING_ZERO = re.compile(r"[-+]?0\d")
_TEXT_LIKE = {ColumnKind.CATEGORICAL, ColumnKind.TEXT, ColumnKind.PII}


def profile(
    data: pd.DataFrame,
    *,
    rare_threshold: int = 10,
    locale: str | None = None,
    sample_rows: int = 50_000,
    random_state: int = 0,
) -> TableSchema:
    """Infer one :class:`ColumnSpec` per column of ``data``.

    Parameters
    ----------
    data : the table to describe; checked with :func:`simulacra.validation.check_frame`.
    rare_threshold : categories seen fewer times than this are listed in ``rare_categories``.
    locale : Faker locale recorded on PII columns (``None``: left for the surrogate generator to choose).
    sample_rows : rows sampled (seeded) for type detection; statistics always use every row.
    random_state : seed of that sample.

    Examples
    --------
    >>> import pandas as pd
    >>> schema = profile(pd.DataFrame({"age": [31, 45, 27, 60], "sex": ["F", "M", "F", "F"]}))
    >>> [c.kind.value for c in schema]
    ['numeric', 'categorical']
    """
    check_frame(data)
    if isinstance(rare_threshold, bool) or not isinstance(rare_threshold, int) or rare_threshold < 1:
        raise ParameterError(f"rare_threshold must be a positive integer, not {rare_threshold!r}")
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, int) or sample_rows < 2:
        raise ParameterError(f"sample_rows must be an integer of at least 2, not {sample_rows!r}")
    n = len(data)
    rows: np.ndarray | None = None
    if n > sample_rows:
        rows = np.sort(np.random.default_rng(random_state).choice(n, size=sample_rows, replace=False))
    pairs = find_latlon_pairs(data)
    specs = []
    for name in data.columns:
        col = data[name]
        spec = _Column(str(name), col, rows, rare_threshold, locale).profile(pairs.get(str(name)))
        specs.append(spec)
    specs = describe_missingness(data, specs, rows)
    logger.debug("profiled %d columns over %d rows", len(specs), n)
    return TableSchema(columns=tuple(specs), n_rows=n)


class _Column:
    """One column under inspection: its values, sample and the spec fields found so far."""

    def __init__(self, name: str, col: pd.Series, rows: np.ndarray | None, rare: int, locale: str | None) -> None:
        self.name = name
        self.col = col
        self.rows = rows
        self.rare = rare
        self.locale = locale
        self.tokens = name_tokens(name)
        self.n = len(col)
        self.nonnull = col.dropna()
        self.null_rate = 1.0 - len(self.nonnull) / self.n
        self.dtype = str(col.dtype)

    def sample(self, series: pd.Series | None = None) -> pd.Series:
        """Non-missing values of the seeded row sample (of ``series`` if given, aligned to the column)."""
        base = self.col if series is None else series
        picked = base if self.rows is None else base.iloc[self.rows]
        return picked.dropna()

    def spec(self, kind: ColumnKind, evidence: list[str], **fields: Any) -> ColumnSpec:
        fields.setdefault("null_rate", round(self.null_rate, 6))
        if fields["null_rate"] > 0 and kind in _TEXT_LIKE:
            fields.setdefault("missing_as_category", True)
        if fields.get("geo_format") in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT) and fields["null_rate"] > 0:
            fields.setdefault("missing_as_category", True)
        return ColumnSpec(name=self.name, kind=kind, dtype=self.dtype, evidence=tuple(evidence), **fields)

    # -- dispatch ----------------------------------------------------------------------------------
    def profile(self, pair: tuple[GeoFormat, str] | None) -> ColumnSpec:
        dtype = self.col.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return self.categorical(self.nonnull, ["boolean values: categorical"])
        if isinstance(dtype, pd.CategoricalDtype):
            return self.categorical(self.nonnull, ["pandas categorical dtype: categorical"])
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return self.datetime(detect_datetime_native(self.col))
        if pd.api.types.is_numeric_dtype(dtype):
            return self.numbers(self.nonnull, pair=pair)
        if is_text_dtype(self.col):
            first = self.nonnull.iloc[0]
            if isinstance(first, (bool, np.bool_)):
                return self.categorical(self.nonnull, ["boolean values: categorical"])
            if isinstance(first, (int, float, np.integer, np.floating)):
                return self.numbers(pd.to_numeric(self.nonnull), pair=None, note="numbers in an object column")
            if not isinstance(first, str):
                try:
                    parsed = pd.to_datetime(self.nonnull)
                except (ValueError, TypeError):
                    parsed = None
                if parsed is not None:
                    return self.datetime(detect_datetime_native(parsed), note="date/time objects")
                return self.categorical(self.nonnull, [f"values of type {type(first).__name__}: categorical"])
            return self.strings()
        return self.categorical(self.nonnull, [f"dtype {self.dtype}: categorical"])

    # -- kinds ---------------------------------------------------------------------------------------
    def datetime(self, found: DatetimeFinding, note: str | None = None) -> ColumnSpec:
        evidence = [note, found.evidence] if note else [found.evidence]
        return self.spec(
            ColumnKind.DATETIME,
            evidence,
            datetime_format=found.datetime_format,
            minimum=found.minimum,
            maximum=found.maximum,
            timezone=found.timezone,
        )

    def categorical(self, values: pd.Series, evidence: list[str], **fields: Any) -> ColumnSpec:
        counts = values.value_counts(sort=False)
        counts = counts[counts > 0]  # a pandas categorical lists unused categories with count 0
        pairs = sorted(((int(c), to_native(v)) for v, c in counts.items()), key=lambda p: (-p[0], p[1]))
        categories = tuple(v for _, v in pairs)
        rare = tuple(v for c, v in pairs if c < self.rare)
        evidence = [*evidence, f"{len(categories)} categories, {len(rare)} seen fewer than {self.rare} times"]
        return self.spec(ColumnKind.CATEGORICAL, evidence, categories=categories, rare_categories=rare, **fields)

    def numeric(self, values: np.ndarray, integer: bool, evidence: list[str], **fields: Any) -> ColumnSpec:
        lo, hi = values.min(), values.max()
        if integer:
            minimum: int | float = int(lo)
            maximum: int | float = int(hi)
            decimals = 0
        else:
            minimum, maximum = float(lo), float(hi)
            decimals = _decimals(values)
        return self.spec(
            ColumnKind.NUMERIC,
            evidence,
            is_integer=integer,
            minimum=minimum,
            maximum=maximum,
            decimals=decimals,
            **fields,
        )

    def numbers(
        self,
        values: pd.Series,
        *,
        pair: tuple[GeoFormat, str] | None,
        token: str | None = None,
        spelled: pd.Series | None = None,
        note: str | None = None,
    ) -> ColumnSpec:
        """A column of numbers (possibly parsed from text beside a null ``token``)."""
        evidence = [note] if note else []
        fields: dict[str, Any] = {}
        if token is not None:
            fields = {"null_token": token, "null_rate": round(1.0 - len(values) / self.n, 6)}
        if pd.api.types.is_integer_dtype(values.dtype):
            ints: np.ndarray | None = values.to_numpy(dtype="int64")
            floats = None
        else:
            floats = values.to_numpy(dtype="float64")
            whole = bool(np.all(floats == np.round(floats))) and bool(np.all(np.abs(floats) < 2**53))
            ints = floats.astype("int64") if whole else None
        if pair is not None and floats is not None:
            fmt, partner = pair
            evidence.append(f"float values within the {fmt.value} range, paired by name with column '{partner}': geo")
            spec = self.numeric(floats, False, evidence, geo_format=fmt, geo_partner=partner)
            return spec.with_(kind=ColumnKind.GEO, is_integer=None)
        if ints is None:
            assert floats is not None
            k = len(np.unique(floats))
            evidence.append(f"{k} distinct non-integer numbers: numeric")
            return self.numeric(floats, False, evidence, **fields)
        if pd.api.types.is_integer_dtype(values.dtype):
            found = detect_datetime_ints(ints, self.tokens)
            if found is not None:
                return self.datetime(found)
            ident = self.integer_identifier(ints)
            if ident is not None:
                return self.spec(ColumnKind.IDENTIFIER, [ident], pattern=_int_pattern(ints), **fields)
        kind, why = _integer_kind(ints, self.tokens, stored_as_text=spelled is not None)
        evidence.append(why)
        if kind is ColumnKind.CATEGORICAL:
            source = spelled if spelled is not None else values
            fields.pop("null_token", None)
            fields.pop("null_rate", None)
            return self.categorical(source, evidence, **fields)
        return self.numeric(ints, True, evidence, **fields)

    def integer_identifier(self, ints: np.ndarray) -> str | None:
        k = len(np.unique(ints))
        n = len(ints)
        ratio = k / n
        last = self.tokens[-1] if self.tokens else ""
        strong = last in _ID_STRONG
        weak = last in _ID_WEAK
        if strong and ratio >= 0.3 and k > 10:
            repeated = "" if ratio >= 0.99 else " (a repeated key: entity or foreign key)"
            return f"integers, {100 * ratio:.1f}% distinct, and the column name says id/key: identifier{repeated}"
        if weak and ratio >= 0.99:
            return f"integers, {100 * ratio:.1f}% distinct, and the column name says number/code: identifier"
        span = int(ints.max()) - int(ints.min()) + 1
        if k == n and k >= 20 and k / span >= 0.9:
            return "all values distinct integers, consecutive or nearly so (a row number): identifier"
        return None

    def strings(self) -> ColumnSpec:
        nonnull = self.nonnull.astype(str)
        counts = nonnull.value_counts(sort=False)
        distinct = pd.Series(counts.index.astype(str), index=counts.index)
        if bool((distinct.str.strip() != distinct).any()):
            return self.text_like(nonnull, len(distinct))  # surrounding spaces: part of the spelling
        parsed = pd.to_numeric(distinct, errors="coerce")
        is_num_u = parsed.notna().to_numpy()
        if not is_num_u.any():
            return self.text_like(nonnull, len(distinct))
        share = float(counts.to_numpy()[is_num_u].sum()) / len(nonnull)
        zeros = bool(distinct[is_num_u].str.match(_LEADING_ZERO).any())
        others = distinct[~is_num_u].tolist()
        if zeros:
            return self.text_like(nonnull, len(distinct))  # leading zeros: codes, not numbers
        if not others:
            values = pd.to_numeric(nonnull)
            return self.numbers(values, pair=None, spelled=nonnull, note="numbers stored as text")
        if len(others) == 1 and share >= 0.5:
            token = str(others[0])
            numbers = pd.to_numeric(nonnull[nonnull != token])
            whole = bool(np.all(numbers == np.round(numbers)))
            values = numbers.astype("int64") if whole else numbers
            n_token = len(nonnull) - len(numbers)
            note = (
                f"numbers stored as text; {n_token} cells ({100 * n_token / self.n:.1f}%) hold one "
                "non-numeric token taken as a null token"
            )
            return self.numbers(values, pair=None, token=token, spelled=nonnull, note=note)
        if share >= 0.8 and len(others) >= 2:
            return self.mixed(nonnull, ~nonnull.isin(others).to_numpy(), share, len(others))
        return self.text_like(nonnull, len(distinct))

    def mixed(self, nonnull: pd.Series, is_num: np.ndarray, share: float, n_other: int) -> ColumnSpec:
        k = nonnull.nunique()
        if k <= 50 or (self.tokens and self.tokens[-1] in _ID_STRONG):
            return self.text_like(nonnull, k)
        bad = self.col.notna().to_numpy().copy()
        bad[bad] = ~is_num
        first = int(np.argmax(bad)) + 1
        n_bad = int((~is_num).sum())
        raise InputError(
            f"column '{self.name}' mixes numbers and text: {int(is_num.sum())} of {len(nonnull)} non-empty "
            f"values ({100 * share:.1f}%) are numbers but {n_bad} ({100 * (1 - share):.1f}%) are text in "
            f"{n_other} different spellings (first at row {first}); make the column "
            "consistent, or set its kind in the schema"
        )

    def text_like(self, nonnull: pd.Series, k: int) -> ColumnSpec:
        sample = self.sample(self.col).astype(str)
        geo = detect_geo_text(sample.iloc[:GEO_SAMPLE])
        if geo is not None:
            return self.spec(ColumnKind.GEO, [geo[1]], geo_format=geo[0])
        found = detect_datetime_text(nonnull, sample)
        if found is not None:
            return self.datetime(found)
        pii = detect_pii(sample.iloc[:PII_SAMPLE], self.tokens)
        if pii is not None:
            return self.spec(ColumnKind.PII, [pii[1]], pii_type=pii[0], locale=self.locale)
        ratio = k / len(nonnull)
        ident = self.text_identifier(sample, k, ratio)
        if ident is not None:
            return self.spec(ColumnKind.IDENTIFIER, [ident[1]], pattern=ident[0])
        probe = sample.iloc[:GEO_SAMPLE]
        lengths = probe.str.len()
        words = probe.str.count(r"\S+")
        med_len, med_words = float(lengths.median()), float(words.median())
        long = med_len > 30 or med_words > 5
        if ratio >= 0.2 and (long or k > 50):
            return self.spec(
                ColumnKind.TEXT,
                [
                    f"{k} distinct strings ({100 * ratio:.0f}% of non-empty cells), median length "
                    f"{med_len:.0f} characters / {med_words:.0f} words: free text"
                ],
            )
        return self.categorical(self.nonnull, [f"{k} distinct strings ({100 * ratio:.1f}% of non-empty cells)"])

    def text_identifier(self, sample: pd.Series, k: int, ratio: float) -> tuple[str, str] | None:
        if len(sample) == 0:
            return None
        probe = sample.iloc[:GEO_SAMPLE]
        uuid = float(probe.str.fullmatch(_UUID).mean())
        if uuid >= 0.95 and ratio >= 0.9:
            why = f"{100 * uuid:.0f}% of sampled values are UUIDs, {100 * ratio:.1f}% distinct: identifier"
            return _text_pattern(probe), why
        no_space = float((~probe.str.contains(r"\s", regex=True)).mean())
        digits = float(probe.str.contains(r"\d", regex=True).mean())
        short = float(probe.str.len().median()) <= 40
        hinted = bool(self.tokens) and self.tokens[-1] in _ID_STRONG
        if not (no_space >= 0.95 and short and (digits >= 0.5 or hinted)):
            return None
        if ratio >= 0.99 or (ratio >= 0.3 and (k > 50 or hinted)):
            repeated = "" if ratio >= 0.99 else " (codes repeat: several rows share one)"
            return _text_pattern(probe), (
                f"short code-like strings without spaces, {100 * digits:.0f}% with digits, "
                f"{100 * ratio:.1f}% distinct: identifier{repeated}"
            )
        return None


def _decimals(values: np.ndarray) -> int:
    uniq = np.unique(values)
    for d in range(MAX_DECIMALS + 1):
        if np.allclose(uniq, np.round(uniq, d), rtol=1e-9, atol=0.0):
            return d
    return MAX_DECIMALS


def _text_pattern(values: pd.Series) -> str:
    return str(values.map(shape_of).value_counts().index[0])


def _int_pattern(ints: np.ndarray) -> str:
    sample = ints[: min(len(ints), 2000)]
    shapes = pd.Series([shape_of(str(int(v))) for v in sample])
    return str(shapes.value_counts().index[0])


def _integer_kind(ints: np.ndarray, tokens: list[str], stored_as_text: bool) -> tuple[ColumnKind, str]:
    values, counts = np.unique(ints, return_counts=True)
    k = len(values)
    lo, hi = int(values[0]), int(values[-1])
    density = k / (hi - lo + 1)
    steps = k - 1
    falls = int((np.diff(counts) < 0).sum())
    text = " stored as text" if stored_as_text else ""
    if k <= 2:
        return ColumnKind.CATEGORICAL, f"{k} distinct integers{text}: a flag, categorical"
    if k >= 6 and 0 <= lo <= 2 and density >= 0.7 and falls >= steps - max(1, steps // 4):
        return ColumnKind.NUMERIC, (
            f"{k} distinct integers{text}, dense from a small start and becoming rarer as they grow: a count, numeric"
        )
    if k <= 10:
        return ColumnKind.CATEGORICAL, f"{k} distinct integers{text}: codes, categorical"
    if k <= 30 and any(t in _CODE_HINTS for t in tokens):
        return ColumnKind.CATEGORICAL, f"{k} distinct integers and the column name says code/type: categorical"
    if stored_as_text:
        if k <= 30:
            return ColumnKind.CATEGORICAL, f"{k} distinct integer codes stored as text with a token: categorical"
        if density < 0.1 and float(np.median(counts)) >= 5:
            return ColumnKind.CATEGORICAL, (
                f"{k} distinct integers stored as text, using {100 * density:.1f}% of their range and "
                f"repeated (median {float(np.median(counts)):.0f} times each): codes, categorical"
            )
    return ColumnKind.NUMERIC, f"{k} distinct integers{text}, {100 * density:.0f}% dense over their range: numeric"
