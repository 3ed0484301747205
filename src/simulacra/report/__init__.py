"""Reports for people (self-contained HTML) and machines (``report.json``)."""

from .html import render_html, render_summary
from .write import write_report

__all__ = ["render_html", "render_summary", "write_report"]
