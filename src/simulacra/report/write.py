"""Write ``report.html`` and ``report.json`` into a folder, never leaving it half-written."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError

if TYPE_CHECKING:
    from ..evaluation.suite import Evaluation

__all__ = ["REPORT_FILES", "write_report"]

REPORT_FILES = ("report.html", "report.json")


def write_report(evaluation: Evaluation, folder: str | Path) -> list[Path]:
    """Render both files into a temporary folder beside ``folder``, then move them into place.

    A new ``folder`` appears whole (one rename); into an existing folder each file is renamed over its old
    version. On any error nothing is left behind. Returns the written paths.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"report folder '{folder}' is a file; give a folder")
    html = evaluation.to_html()
    text = evaluation.to_json() + "\n"
    parent = folder.parent if str(folder.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write the report to '{folder}': {exc.strerror}") from None
    try:
        (tmp / "report.html").write_text(html, encoding="utf-8")
        (tmp / "report.json").write_text(text, encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        for name in REPORT_FILES:
            os.chmod(tmp / name, 0o666 & ~umask)
        if not folder.exists():
            os.replace(tmp, folder)
        else:
            for name in REPORT_FILES:
                os.replace(tmp / name, folder / name)
    except OSError as exc:
        raise OutputError(f"cannot write the report to '{folder}': {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return [folder / name for name in REPORT_FILES]
