"""Errors raised by simulacra.

Every error derives from :class:`SimulacraError` and from the builtin that matches its meaning, so that
``except ValueError`` keeps working for callers who do not know this package::

    SimulacraError (Exception)
    ├── InputError (ValueError)              bad data: unreadable, empty, mixed types, infinities ...
    │   └── InputFileError (InputError, OSError)   a file that is missing or cannot be read
    ├── SchemaError (ValueError)             a schema that is invalid or does not match the data
    ├── ParameterError (ValueError)          a bad argument (unknown generator, n <= 0, typo in a parameter)
    ├── PrivacyBudgetError (ValueError)      a differentially private step would overspend the privacy budget
    ├── NotFittedError (ValueError, AttributeError)   sample/save before fit
    ├── ModelFileError (ValueError)          a saved model that is damaged, foreign or of a newer format
    ├── OutputError (OSError)                an output path that cannot be written
    └── MissingDependencyError (ImportError) an optional extra is not installed

Messages say what is wrong, where, and how to fix it. They never quote cell values of the user's data.
Code must never branch on message text; use the class.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "InputFileError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "OutputError",
    "ParameterError",
    "PrivacyBudgetError",
    "SchemaError",
    "SimulacraError",
]


class SimulacraError(Exception):
    """Root of every error raised on purpose by simulacra."""


class InputError(SimulacraError, ValueError):
    """The input data cannot be used as given."""


class InputFileError(InputError, OSError):
    """An input file is missing, unreadable or not in a supported format."""


class SchemaError(SimulacraError, ValueError):
    """A schema is invalid or does not match the data."""


class ParameterError(SimulacraError, ValueError):
    """An argument has a value that is not allowed."""


class PrivacyBudgetError(SimulacraError, ValueError):
    """A differentially private step would spend more than the privacy budget left."""


class NotFittedError(SimulacraError, ValueError, AttributeError):
    """A model was used before ``fit``."""


class ModelFileError(SimulacraError, ValueError):
    """A saved model folder is damaged, foreign, or written by a newer format."""


class OutputError(SimulacraError, OSError):
    """An output path cannot be written."""


class MissingDependencyError(SimulacraError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""


def collect(problems: list[str], error: type[SimulacraError], header: str) -> None:
    """Raise ``error`` once with every problem listed, if there are any."""
    if not problems:
        return
    if len(problems) == 1:
        raise error(f"{header}: {problems[0]}")
    body = "\n".join(f"  - {p}" for p in problems)
    raise error(f"{header} ({len(problems)} problems):\n{body}")
