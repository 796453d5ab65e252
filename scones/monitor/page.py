"""The self-contained HTML report: charts inlined as base64 PNG data URIs, no external asset of any kind.

One file the user can mail, attach to a CI run, or open offline; nothing in it fetches anything.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from scones.monitor.summary import Summary

MALFORMED_SHOWN = 50  # list this many malformed lines; the count is always complete

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.35rem .7rem;text-align:left}
th{background:#f5f5f5;font-weight:600}figure{margin:1.5rem 0}img{max-width:100%;height:auto}
figcaption{color:#555;font-size:.9rem}.note{color:#777;font-style:italic}code{font-size:.9em}
"""


@dataclass(frozen=True)
class Chart:
    key: str  # used as the <img> id and the PNG file stem
    title: str
    png: Path
    caption: str


def _fmt_time(when: datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else "—"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def summary_rows(summary: Summary, source: str) -> list[tuple[str, str]]:
    """The summary table as (label, value) text pairs; also what the CLI prints."""
    scored = summary.with_output or 0
    mix = ", ".join(
        f"{name} {count} ({count / scored:.0%})" if scored else f"{name} {count}"
        for name, count in summary.class_counts.items()
    )
    latency = (
        f"p50 {summary.latency.p50_ms:.1f} ms, p95 {summary.latency.p95_ms:.1f} ms, "
        f"max {summary.latency.max_ms:.1f} ms ({summary.latency.count} records)"
        if summary.latency
        else "not recorded"
    )
    rows = [
        ("source", source),
        ("records", str(summary.records)),
        ("files", str(summary.files)),
        ("malformed lines", str(len(summary.malformed))),
        ("time range", f"{_fmt_time(summary.first)} → {_fmt_time(summary.last)}"),
        ("class mix (predicted)", mix or "—"),
        ("threshold", f"{summary.threshold:g}"),
        (
            "share below threshold",
            f"{_pct(summary.share_below)} ({summary.below_threshold} of {summary.with_output})",
        ),
        ("latency", latency),
    ]
    if summary.with_output != summary.records:
        rows.append(("records without captured output", str(summary.records - summary.with_output)))
    return rows


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def render_page(summary: Summary, charts: Sequence[Chart], *, source: str, generated: datetime) -> str:
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary_rows(summary, source))
    figures = "\n".join(
        f'<figure><img id="chart-{e(c.key)}" class="chart" alt="{e(c.title)}" src="{_data_uri(c.png)}">'
        f"<figcaption>{e(c.caption)}</figcaption></figure>"
        for c in charts
    )
    if not charts:
        figures = '<p class="note">No capture records were found, so there is nothing to chart.</p>'
    if summary.latency is None:
        figures += '<p class="note">Latency: not recorded in these capture records.</p>'
    malformed = ""
    if summary.malformed:
        items = "\n".join(
            f"<li><code>{e(m.source)}:{m.line}</code> — {e(m.reason)}</li>"
            for m in summary.malformed[:MALFORMED_SHOWN]
        )
        more = len(summary.malformed) - MALFORMED_SHOWN
        tail = f"<li>… and {more} more</li>" if more > 0 else ""
        malformed = f"<h2>Malformed lines ({len(summary.malformed)})</h2><ul>{items}{tail}</ul>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scones monitor report</title><style>{_STYLE}</style></head>
<body>
<h1>scones monitor report</h1>
<p class="sub">SageMaker data capture from {e(source)} · generated {e(_fmt_time(generated))}</p>
<table id="summary">
{rows}
</table>
{figures}
{malformed}
</body></html>
"""
