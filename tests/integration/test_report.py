"""The HTML report: self-contained, renders in headless Chromium with its plots, no console errors,
no real row printed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import simulacra
from simulacra.report import render_html, write_report
from tests.conftest import make_mixed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    frame = make_mixed(300, seed=5)
    real, holdout = frame.iloc[:240].reset_index(drop=True), frame.iloc[240:].reset_index(drop=True)
    schema = simulacra.profile(real)
    gen = simulacra.create_generator("gaussian_copula", random_state=0).fit(real, schema)
    synthetic = gen.sample(240, random_state=0)
    ev = simulacra.evaluate(real, synthetic, schema, holdout=holdout, target="group")
    ev.generator = {"name": "gaussian_copula", "params": {"random_state": 0}}
    folder = tmp_path_factory.mktemp("rep") / "report"
    write_report(ev, folder)
    return {"ev": ev, "folder": folder, "html": (folder / "report.html").read_text(encoding="utf-8"), "real": real}


def test_self_contained_and_small(report) -> None:
    html = report["html"]
    assert html == render_html(report["ev"], report["ev"].schema)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    # the only URL is the SVG namespace, which is never fetched
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", html)  # only fragments and inline data
    assert len(html.encode()) < 1_500_000
    assert html.count("<svg") >= 5 + 4  # 5 judged columns, heat map, importances, risks, DCR


def test_no_real_row_is_printed(report) -> None:
    html, real = report["html"], report["real"]
    for value in list(real["email"]) + [str(v) for v in real["customer_id"]]:
        assert value not in html
    assert sum(str(v) in html for v in real["income"].dropna().head(50)) == 0


def test_every_section_and_headline_is_there(report) -> None:
    html = report["html"]
    for anchor in (
        "overview",
        "fidelity",
        "columns",
        "pairs",
        "utility",
        "tstr",
        "privacy",
        "risks",
        "dcr",
        "text",
        "geo",
    ):
        assert f'id="{anchor}"' in html, anchor
    for family, head in report["ev"].headline().items():
        assert f'id="headline-{family}"' in html and head.verdict in html
    assert "not evaluated by" in html  # identifier and PII columns say which metrics skipped them
    assert (report["folder"] / "report.json").exists()


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); .ci/run installs it"
)
def test_opens_in_headless_chromium_without_errors(report, tmp_path: Path) -> None:
    page = (report["folder"] / "report.html").resolve().as_uri()
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == report["html"].count("<svg")
    assert "Synthetic data evaluation" in dom.stdout
    for head in report["ev"].headline().values():
        assert head.verdict in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    blocked = [line for line in dom.stderr.splitlines() if "net::ERR" in line]
    assert not blocked, blocked
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,4000", page],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    assert shot.stat().st_size > 50_000  # a blank page is a few kB
