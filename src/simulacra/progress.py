"""Progress reporting. The library never prints; long work calls a :class:`ProgressCallback`.

The CLI renders the calls with Rich (see ``simulacra.cli``); ``--quiet`` passes :data:`NO_PROGRESS`.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NO_PROGRESS", "ProgressCallback", "Silent"]


class ProgressCallback(Protocol):
    """Receives progress of one named task.

    ``start(task, total)`` opens a task (``total`` may be None when unknown), ``advance(task, n)`` moves
    it on, ``end(task)`` closes it. ``message`` reports a one-line status.
    """

    def start(self, task: str, total: float | None = None) -> None: ...

    def advance(self, task: str, amount: float = 1.0) -> None: ...

    def end(self, task: str) -> None: ...

    def message(self, text: str) -> None: ...


class Silent:
    """A progress callback that does nothing."""

    def start(self, task: str, total: float | None = None) -> None:
        pass

    def advance(self, task: str, amount: float = 1.0) -> None:
        pass

    def end(self, task: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass


NO_PROGRESS = Silent()
