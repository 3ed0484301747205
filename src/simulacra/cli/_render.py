"""Rich rendering for the CLI: a progress adapter and summary tables. The library never prints."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..schema import TableSchema

__all__ = ["RichProgress", "console", "err_console", "schema_table"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


class RichProgress:
    """:class:`simulacra.progress.ProgressCallback` drawn with Rich on stderr."""

    def __init__(self) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not sys.stderr.isatty(),
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, task: str, total: float | None = None) -> None:
        self._tasks[task] = self._progress.add_task(task, total=total)

    def advance(self, task: str, amount: float = 1.0) -> None:
        if task in self._tasks:
            self._progress.advance(self._tasks[task], amount)

    def end(self, task: str) -> None:
        if task in self._tasks:
            self._progress.remove_task(self._tasks.pop(task))

    def message(self, text: str) -> None:
        err_console.print(text)


def schema_table(schema: TableSchema, title: str = "columns") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("column")
    table.add_column("kind")
    table.add_column("detail")
    for name, kind, detail in schema.summary_rows():
        table.add_row(name, kind, detail)
    return table
