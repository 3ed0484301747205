"""simulacra: synthetic data that keeps the value of real data and leaks no one.

>>> import simulacra
>>> schema = simulacra.profile(df)
>>> gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(df, schema)
>>> synthetic = gen.sample(1000)
>>> gen.save("model/"); same = simulacra.load("model/")

Importing simulacra loads no deep-learning framework.
"""

from ._version import __version__
from .errors import (
    InputError,
    InputFileError,
    MissingDependencyError,
    ModelFileError,
    NotFittedError,
    OutputError,
    ParameterError,
    PrivacyBudgetError,
    SchemaError,
    SimulacraError,
)
from .evaluation.suite import Evaluation, evaluate
from .generators.base import Generator, load
from .io import read_table, write_table
from .privacy import PrivacyLedger
from .registry import create_generator, describe_generators, list_generators
from .schema import ColumnKind, ColumnSpec, GeoFormat, PiiType, TableSchema
from .schema.profile import profile

__all__ = [
    "ColumnKind",
    "ColumnSpec",
    "Evaluation",
    "Generator",
    "GeoFormat",
    "InputError",
    "InputFileError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "OutputError",
    "ParameterError",
    "PiiType",
    "PrivacyBudgetError",
    "PrivacyLedger",
    "SchemaError",
    "SimulacraError",
    "TableSchema",
    "__version__",
    "create_generator",
    "describe_generators",
    "evaluate",
    "list_generators",
    "load",
    "profile",
    "read_table",
    "write_table",
]
