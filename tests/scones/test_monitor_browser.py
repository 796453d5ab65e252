"""The report page opened in real headless Chromium (Debian's `chromium`, installed by tools/setup.py).

A copy of the page gets a tiny probe script that, on load, writes each chart's decoded `naturalWidth` into
the DOM; `--dump-dom` then shows whether every embedded chart really decoded. A deliberately corrupted copy
proves the probe can report a broken chart. The browser runs with networking features off, so an external
asset could not load either.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from scones.monitor import build_report, open_source, read_capture
from tests.helpers.capture_files import generate_capture, write_tree

CHROMIUM = Path("/usr/bin/chromium")
PROBE = (
    "<script>window.addEventListener('load', () => {"
    "for (const img of document.querySelectorAll('img.chart'))"
    " img.setAttribute('data-natural-width', String(img.naturalWidth));"
    "document.body.setAttribute('data-probed', 'yes');});</script>"
)


def _chromium_or_skip() -> Path:
    if not (CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(
            f"{CHROMIUM} is not installed: run `python3 tools/setup.py chromium` as root (Debian), "
            "or install Debian's `chromium` package"
        )
    return CHROMIUM


def _dump_dom(page: Path, profile: Path) -> str:
    cmd = [
        str(_chromium_or_skip()),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-probed="yes"' in result.stdout, "the probe script did not run after load"
    return result.stdout


def _chart_widths(dom: str) -> dict[str, int]:
    return {
        m.group(1): int(m.group(2))
        for m in re.finditer(r'<img id="chart-([a-z_]+)"[^>]*?data-natural-width="(\d+)"', dom)
    }


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    write_tree(generate_capture(seed=21, files=6), root / "capture")
    report = build_report(read_capture(open_source(str(root / "capture"))), root / "out", source="fixture")
    return report.html


def test_report_html__every_chart_renders_in_headless_chromium(report_page: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(report_page.read_text().replace("</body>", PROBE + "</body>"))
    dom = _dump_dom(probed, tmp_path / "profile")
    widths = _chart_widths(dom)
    assert sorted(widths) == ["class_mix", "confidence", "volume"]
    assert all(width > 0 for width in widths.values()), widths
    assert '<table id="summary">' in dom and "share below threshold" in dom


def test_report_html__probe_reports_a_broken_chart(report_page: Path, tmp_path: Path) -> None:
    """Control: the same check on a page whose confidence chart bytes are corrupted sees width 0."""
    page = report_page.read_text()
    start = page.index('id="chart-confidence"')
    data = page.index("base64,", start) + len("base64,")
    broken = page[:data] + "AAAA" + page[data + 4 :]
    probed = tmp_path / "broken.html"
    probed.write_text(broken.replace("</body>", PROBE + "</body>"))
    widths = _chart_widths(_dump_dom(probed, tmp_path / "profile"))
    assert widths["confidence"] == 0
    assert widths["volume"] > 0
