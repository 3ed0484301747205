"""Lazy imports of optional dependencies with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, extra: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        why = f" for {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"'{module}' is needed{why} but is not installed; install it with: pip install 'simulacra[{extra}]'"
        ) from None
