"""Enumerations shared by the schema, the profiler and the transformers."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ColumnKind", "GeoFormat", "PiiType"]


class ColumnKind(StrEnum):
    """What a column holds, as far as generation and evaluation are concerned."""

    NUMERIC = "numeric"
    """Integers or reals with an order and a scale."""
    CATEGORICAL = "categorical"
    """A finite set of labels, booleans and low-cardinality codes included."""
    DATETIME = "datetime"
    """Points in time: native datetimes, date strings or date-like integers."""
    IDENTIFIER = "identifier"
    """Unique keys. Regenerated in the same format, never copied."""
    PII = "pii"
    """Personal data (e-mails, phones, names, addresses, national ids, IBANs): replaced by surrogates."""
    TEXT = "text"
    """Free text: long, mostly unique strings."""
    GEO = "geo"
    """A geographic point: a latitude/longitude pair or one column holding both."""


class PiiType(StrEnum):
    """Kinds of personal data the profiler recognises by their values."""

    EMAIL = "email"
    PHONE = "phone"
    PERSON_NAME = "person_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    STREET_ADDRESS = "street_address"
    NATIONAL_ID = "national_id"
    IBAN = "iban"
    USERNAME = "username"


class GeoFormat(StrEnum):
    """How a geographic point is stored in the input."""

    LATITUDE = "latitude"
    """This column is the latitude of a pair; ``geo_partner`` names the longitude column."""
    LONGITUDE = "longitude"
    """This column is the longitude of a pair; ``geo_partner`` names the latitude column."""
    LATLON_TEXT = "latlon_text"
    """One text column holding ``"lat,lon"`` (an optional space or brackets allowed)."""
    WKT_POINT = "wkt_point"
    """One text column holding ``POINT (lon lat)``."""
