"""The schema: one :class:`ColumnSpec` per column, collected in a :class:`TableSchema`.

The schema travels through every stage (profile -> transform -> fit -> sample -> evaluate); no stage
re-guesses types. It is plain JSON that round-trips and that a person can edit::

    {"format": "simulacra.schema", "version": 1, "n_rows": 32561,
     "columns": [{"name": "age", "kind": "numeric", "dtype": "int64", "is_integer": true,
                  "minimum": 17, "maximum": 90, "decimals": 0, "evidence": ["..."]}, ...]}

Fields that do not apply to a column's kind are left out of the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SchemaError, collect
from .kinds import ColumnKind, GeoFormat, PiiType

__all__ = ["SCHEMA_FORMAT", "SCHEMA_VERSION", "ColumnSpec", "TableSchema"]

SCHEMA_FORMAT = "simulacra.schema"
SCHEMA_VERSION = 1

JSONScalar = str | int | float | bool


@dataclass(frozen=True)
class ColumnSpec:
    """What simulacra knows about one column.

    Parameters
    ----------
    name : column name, as in the input.
    kind : the column's :class:`ColumnKind`.
    dtype : the storage dtype of the input column (``"int64"``, ``"float64"``, ``"bool"``, ``"object"``,
        ``"str"``, ``"datetime64[ns]"``, ``"Int64"`` ...); the output column gets the same dtype.
    null_rate : share of missing cells in the input.
    null_token : the text that stands for a missing value in a text-typed column (``"N"``, ``"?"``);
        restored on output.
    missing_as_category : missingness carries meaning of its own and is modelled like a category.
    is_integer, minimum, maximum, decimals : numeric facts (datetime bounds are ISO-8601 strings).
    categories : the category list, in the input's spelling, most frequent first.
    rare_categories : categories seen fewer times than the rarity threshold (a subset of ``categories``).
    datetime_format : ``strftime`` format of date strings or date-like integers (e.g. ``"%Y%m%d"``), or
        ``"epoch_s"`` / ``"epoch_ms"`` for epoch integers; ``None`` for native datetimes.
    timezone : the time zone of timezone-aware datetimes.
    pii_type : for PII columns, what kind of personal data.
    locale : Faker locale used for PII surrogates.
    pattern : for identifiers, the shape of a value (``A`` letter, ``9`` digit, others literal).
    geo_format : for geo columns, how the point is stored; ``geo_partner`` names the other column of a pair.
    geo_model : for geo columns, ``"cells"`` (default: hierarchical H3 cells + within-cell offsets, see
        :mod:`simulacra.transformers.geo`) or ``"numeric"`` (latitude and longitude as two numbers).
    region : for geo columns, where synthetic points may fall: ``{"bbox": [minlon, minlat, maxlon, maxlat]}``
        or a GeoJSON geometry / Feature / FeatureCollection; by default, where the real data lies.
    geo_min_distance_m : for geo columns, keep synthetic points at least this many metres from any real
        point that is alone in its cell (0 or absent: off).
    evidence : human-readable reasons for the kind (what the profiler saw).
    """

    name: str
    kind: ColumnKind
    dtype: str
    null_rate: float = 0.0
    null_token: str | None = None
    missing_as_category: bool = False
    is_integer: bool | None = None
    minimum: float | int | str | None = None
    maximum: float | int | str | None = None
    decimals: int | None = None
    categories: tuple[JSONScalar, ...] | None = None
    rare_categories: tuple[JSONScalar, ...] | None = None
    datetime_format: str | None = None
    timezone: str | None = None
    pii_type: PiiType | None = None
    locale: str | None = None
    pattern: str | None = None
    geo_format: GeoFormat | None = None
    geo_partner: str | None = None
    geo_model: str | None = None
    region: Mapping[str, Any] | None = None
    geo_min_distance_m: float | None = None
    evidence: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; fields left at ``None`` (or empty evidence) are omitted."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "missing_as_category" and value is False):
                continue
            if f.name == "null_rate" and value == 0.0:
                continue
            if isinstance(value, (ColumnKind, PiiType, GeoFormat)):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "schema") -> ColumnSpec:
        """Build a spec from its JSON dict, naming every problem found."""
        problems: list[str] = []
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            problems.append(f"unknown field(s) {unknown}; allowed: {sorted(known)}")
        for required in ("name", "kind", "dtype"):
            if required not in data:
                problems.append(f"field '{required}' is missing")
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        for key, enum in (("kind", ColumnKind), ("pii_type", PiiType), ("geo_format", GeoFormat)):
            if values.get(key) is not None:
                try:
                    values[key] = enum(values[key])
                except ValueError:
                    allowed = [e.value for e in enum]  # type: ignore[attr-defined]
                    problems.append(f"'{key}' is {values[key]!r}; allowed: {allowed}")
        if values.get("geo_model") not in (None, "cells", "numeric"):
            problems.append(f"'geo_model' is {values['geo_model']!r}; allowed: ['cells', 'numeric']")
        region = values.get("region")
        if region is not None and not (
            isinstance(region, Mapping) and ("type" in region or isinstance(region.get("bbox"), list))
        ):
            problems.append("'region' must be a GeoJSON object or {\"bbox\": [minlon, minlat, maxlon, maxlat]}")
        distance = values.get("geo_min_distance_m")
        if distance is not None and (
            isinstance(distance, bool) or not isinstance(distance, (int, float)) or not distance >= 0
        ):
            problems.append(f"'geo_min_distance_m' is {distance!r}; give a distance in metres >= 0")
        for key in ("categories", "rare_categories", "evidence"):
            if values.get(key) is not None:
                if not isinstance(values[key], list):
                    problems.append(f"'{key}' must be a list")
                else:
                    values[key] = tuple(values[key])
        name = data.get("name", "?")
        collect(problems, SchemaError, f"{where}, column {name!r}")
        return cls(**values)

    def with_(self, **changes: Any) -> ColumnSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)


@dataclass(frozen=True)
class TableSchema:
    """The ordered column specs of one table."""

    columns: tuple[ColumnSpec, ...]
    n_rows: int | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SchemaError(f"schema lists column(s) {dupes} more than once; keep one entry per column")

    # -- access -------------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def __iter__(self) -> Iterator[ColumnSpec]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def of_kind(self, *kinds: ColumnKind) -> list[ColumnSpec]:
        return [c for c in self.columns if c.kind in kinds]

    def replace_column(self, spec: ColumnSpec) -> TableSchema:
        """A copy with the column of the same name replaced."""
        if spec.name not in self:
            raise SchemaError(f"schema has no column {spec.name!r}")
        cols = tuple(spec if c.name == spec.name else c for c in self.columns)
        return TableSchema(columns=cols, n_rows=self.n_rows)

    # -- JSON ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": SCHEMA_FORMAT, "version": SCHEMA_VERSION}
        if self.n_rows is not None:
            out["n_rows"] = self.n_rows
        out["columns"] = [c.to_dict() for c in self.columns]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "schema") -> TableSchema:
        if not isinstance(data, Mapping) or data.get("format") != SCHEMA_FORMAT:
            raise SchemaError(
                f'{where} is not a simulacra schema (no "format": "{SCHEMA_FORMAT}"); '
                "create one with `simulacra profile DATA -o schema.json`"
            )
        version = data.get("version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise SchemaError(
                f"{where} has schema version {version!r}; this simulacra reads up to {SCHEMA_VERSION}: "
                "upgrade simulacra or re-create the schema with `simulacra profile`"
            )
        cols = data.get("columns")
        if not isinstance(cols, list) or not cols:
            raise SchemaError(f"{where} has no 'columns' list; re-create it with `simulacra profile`")
        specs = []
        problems = []
        for i, c in enumerate(cols):
            if not isinstance(c, Mapping):
                problems.append(f"columns[{i}] is not an object")
                continue
            try:
                specs.append(ColumnSpec.from_dict(c, where=where))
            except SchemaError as exc:
                problems.append(str(exc))
        collect(problems, SchemaError, f"{where} is invalid")
        n_rows = data.get("n_rows")
        return cls(columns=tuple(specs), n_rows=n_rows if isinstance(n_rows, int) else None)

    @classmethod
    def from_json(cls, text: str, where: str = "schema") -> TableSchema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
        return cls.from_dict(data, where=where)

    def save(self, path: str | Path) -> None:
        from ..io import atomic_write_text

        atomic_write_text(Path(path), self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TableSchema:
        from ..io import read_text

        return cls.from_json(read_text(Path(path), what="schema file"), where=f"schema file '{path}'")

    # -- checks -------------------------------------------------------------------------------
    def check_columns(self, data: pd.DataFrame, where: str = "the data") -> None:
        """Raise :class:`SchemaError` unless ``data`` has exactly the schema's columns."""
        have = [str(c) for c in data.columns]
        missing = [n for n in self.names if n not in have]
        extra = [n for n in have if n not in self]
        problems = []
        if missing:
            problems.append(
                f"the schema names column(s) {missing} that {where} lacks; "
                "remove them from the schema or re-run `simulacra profile`"
            )
        if extra:
            problems.append(
                f"{where} has column(s) {extra} that the schema does not describe; "
                "add them to the schema or re-run `simulacra profile`"
            )
        collect(problems, SchemaError, "schema and data disagree")

    def summary_rows(self) -> list[tuple[str, str, str]]:
        """(name, kind, short detail) per column, for display. Never shows cell values except
        the category count and bounds."""
        rows = []
        for c in self.columns:
            detail = c.dtype
            if c.kind is ColumnKind.CATEGORICAL and c.categories is not None:
                detail += f", {len(c.categories)} categories"
            elif c.kind is ColumnKind.PII and c.pii_type is not None:
                detail += f", {c.pii_type.value}"
            elif c.kind is ColumnKind.GEO and c.geo_format is not None:
                detail += f", {c.geo_format.value}"
            elif c.kind is ColumnKind.DATETIME and c.datetime_format:
                detail += f", {c.datetime_format}"
            if c.null_rate:
                detail += f", {100 * c.null_rate:.1f}% missing"
            rows.append((c.name, c.kind.value, detail))
        return rows


def schema_from_specs(specs: Sequence[ColumnSpec], n_rows: int | None = None) -> TableSchema:
    return TableSchema(columns=tuple(specs), n_rows=n_rows)
