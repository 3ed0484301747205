"""Sections added to a written report: the ``--auto`` leaderboard, the release gate, the audit manifest.

They go into ``report.json`` under their own keys (``selection``, ``gate``, ``audit``) and into
``report.html`` as sections before its end; ``audit.json`` is written beside them. Each file is replaced
atomically.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from ..io import atomic_write_text

__all__ = ["add_sections", "audit_html", "gate_html", "selection_html"]


def add_sections(folder: Path, sections: dict[str, Any], fragments: list[str]) -> None:
    """Merge ``sections`` into ``folder/report.json`` and insert the HTML ``fragments`` into ``report.html``."""
    json_path, html_path = folder / "report.json", folder / "report.html"
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data.update(sections)
    atomic_write_text(json_path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    page = html_path.read_text(encoding="utf-8")
    block = "\n".join(fragments)
    at = page.rfind("</main>")
    at = at if at >= 0 else page.rfind("</body>")
    page = page[:at] + block + "\n" + page[at:] if at >= 0 else page + block
    atomic_write_text(html_path, page)


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _n(x: Any, nd: int = 4) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return _e(x)


def selection_html(sel: dict[str, Any]) -> str:
    rows = []
    for c in sel["leaderboard"]:
        mark = " <strong>(chosen)</strong>" if c["chosen"] else ""
        rows.append(
            "<tr>"
            f"<td>{_e(c['generator'])}{mark}</td><td>{_e(c['status'])}</td><td>{_n(c['score'])}</td>"
            f"<td>{_n(c['fidelity'])}</td><td>{_n(c['utility'])}</td>"
            f"<td>{_n(c['predicted_fit_seconds'], 1)}</td><td>{_n(c['fit_seconds'], 1)}</td>"
            f"<td>{_n(c['predicted_peak_rss_mb'], 0)}</td><td>{_n(c['peak_rss_mb'], 0)}</td>"
            f"<td>{_e(c['reason'])}</td></tr>"
        )
    return (
        '<section id="selection"><h2>Automatic choice of the generator</h2>'
        f"<p><strong>Choice:</strong> {_e(sel['chosen'])}. {_e(sel['reason'])}</p>"
        f"<p><strong>Objective:</strong> {_e(sel['objective'])}. Time budget {sel['time_budget_seconds']:.0f} s; "
        f"training rows {sel['rows'].get('train', '–')}, validation rows {sel['rows'].get('validation', '–')}.</p>"
        "<table><thead><tr><th>generator</th><th>status</th><th>score</th><th>fidelity</th><th>utility</th>"
        "<th>predicted fit s</th><th>fit s</th><th>predicted peak MB</th><th>peak MB</th><th>note</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def gate_html(gate: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{'PASS' if r['passed'] else '<strong>FAIL</strong>'}</td><td>{_e(r['rule'])}</td>"
        f"<td>{_e(r['figure'])} {_e(r['op'])} {r['bound']:g}</td><td>{_n(r['value'], 6)}</td>"
        f"<td>{_e(r['note'])}</td></tr>"
        for r in gate["rules"]
    )
    verdict = "passed" if gate["passed"] else "FAILED"
    return (
        f'<section id="gate"><h2>Release gate: {verdict}</h2><p>Rules from {_e(gate["source"])}.</p>'
        "<table><thead><tr><th></th><th>rule</th><th>condition</th><th>value</th><th>note</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def audit_html(audit: dict[str, Any]) -> str:
    data = "".join(
        f"<li>{_e(k)}: {_e(v['file'])}, SHA-256 <code>{_e(v['sha256'])}</code></li>" for k, v in audit["data"].items()
    )
    pkgs = ", ".join(f"{_e(k)} {_e(v)}" for k, v in audit["packages"].items() if v)
    return (
        '<section id="audit"><h2>Audit manifest</h2>'
        f"<ul>{data}<li>seeds: {_e(audit['seeds'])}</li><li>packages: {pkgs}</li>"
        f"<li>configuration: <code>{_e(json.dumps(audit['config'], sort_keys=True))}</code></li>"
        f"<li>{len(audit['figures'])} figures and the gate's verdicts are in audit.json</li>"
        f"<li>manifest SHA-256: <code>{_e(audit['manifest_sha256'])}</code></li></ul></section>"
    )
