"""Column kinds, column specs, table schemas and the profiler that infers them."""

from .kinds import ColumnKind, GeoFormat, PiiType
from .table import ColumnSpec, TableSchema

__all__ = ["ColumnKind", "ColumnSpec", "GeoFormat", "PiiType", "TableSchema"]
