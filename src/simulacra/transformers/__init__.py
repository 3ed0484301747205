"""Reversible transformers between user columns and model columns, one per column kind.

=====================  ===================================  =============================================
kind / geo_format      transformer                          model columns
=====================  ===================================  =============================================
numeric                :class:`NumericTransformer`          ``<c>`` (+ ``<c>.null``)
categorical            :class:`CategoricalTransformer`      ``<c>`` (codes; the last one is missing)
datetime               :class:`DatetimeTransformer`         ``<c>`` (+ ``<c>.null``, ``<c>.offset``)
identifier             :class:`IdentifierTransformer`       (``<c>.null`` only)
pii                    :class:`PiiTransformer`              (``<c>.null`` only)
text                   :class:`TextTransformer`             ``<c>.length`` (+ ``<c>.null``)
geo latitude+longitude :class:`GeoPairTransformer`          ``<lat>``, ``<lon>`` (+ ``<lat>.null``)
geo latlon_text / wkt  :class:`GeoTextTransformer`          ``<c>.lat``, ``<c>.lon`` (+ ``<c>.null``)
=====================  ===================================  =============================================

>>> t = transformer_for([spec], locale="en_US").fit(df[[spec.name]], rng)
"""

from __future__ import annotations

from ..errors import SchemaError
from ..schema import ColumnKind, ColumnSpec, GeoFormat
from .base import ColumnTransformer, ModelColumn, ModelColumnType
from .categorical import CategoricalTransformer
from .datetime import DatetimeTransformer
from .geo import GeoPairTransformer, GeoTextTransformer
from .identifier import IdentifierTransformer
from .numeric import NumericTransformer
from .pii import PiiTransformer
from .table import TableTransformer, group_specs
from .text import TextTransformer

__all__ = [
    "TRANSFORMERS",
    "CategoricalTransformer",
    "ColumnTransformer",
    "DatetimeTransformer",
    "GeoPairTransformer",
    "GeoTextTransformer",
    "IdentifierTransformer",
    "ModelColumn",
    "ModelColumnType",
    "NumericTransformer",
    "PiiTransformer",
    "TableTransformer",
    "TextTransformer",
    "group_specs",
    "transformer_for",
]

TRANSFORMERS: dict[str, type[ColumnTransformer]] = {
    cls.name: cls
    for cls in (
        NumericTransformer,
        CategoricalTransformer,
        DatetimeTransformer,
        IdentifierTransformer,
        PiiTransformer,
        TextTransformer,
        GeoPairTransformer,
        GeoTextTransformer,
    )
}
"""Transformer class by its saved ``name``."""

_BY_KIND: dict[ColumnKind, type[ColumnTransformer]] = {
    ColumnKind.NUMERIC: NumericTransformer,
    ColumnKind.CATEGORICAL: CategoricalTransformer,
    ColumnKind.DATETIME: DatetimeTransformer,
    ColumnKind.IDENTIFIER: IdentifierTransformer,
    ColumnKind.PII: PiiTransformer,
    ColumnKind.TEXT: TextTransformer,
}


def transformer_for(group: list[ColumnSpec], locale: str | None = None) -> ColumnTransformer:
    """The (unfitted) transformer for one group of specs, as made by :func:`group_specs`.

    A group of two is a latitude/longitude pair (``[lat, lon]``); a geo column alone is a text point
    (``latlon_text``, ``wkt_point``) or, for a latitude/longitude whose partner is absent, a number.
    """
    if len(group) == 2:
        kinds = [s.geo_format for s in group]
        if kinds != [GeoFormat.LATITUDE, GeoFormat.LONGITUDE]:
            names = [s.name for s in group]
            raise SchemaError(
                f"columns {names} are grouped but are not a latitude/longitude pair; "
                "check their geo_format and geo_partner fields"
            )
        return GeoPairTransformer(list(group), locale=locale)
    if len(group) != 1:
        raise SchemaError(f"a transformer group holds one column or a latitude/longitude pair, not {len(group)}")
    spec = group[0]
    if spec.kind is ColumnKind.GEO:
        if spec.geo_format in (GeoFormat.LATLON_TEXT, GeoFormat.WKT_POINT):
            return GeoTextTransformer([spec], locale=locale)
        return NumericTransformer([spec], locale=locale)
    cls = _BY_KIND.get(spec.kind)
    if cls is None:  # pragma: no cover - every kind is mapped
        raise SchemaError(f"column {spec.name!r} has kind {spec.kind!r}, which no transformer handles")
    return cls([spec], locale=locale)  # type: ignore[call-arg]
