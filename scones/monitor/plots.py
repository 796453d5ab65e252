"""The report's charts, drawn with matplotlib's object API (Figure + Agg, no pyplot global state).

Each function returns a Figure so tests can inspect what was drawn (e.g. the threshold line); `save_png`
writes it. Every chart has one panel per time segment (see summary.py) sharing the y axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from local_endpoint.artifact import class_name
from scones.monitor.records import CaptureRecord
from scones.monitor.summary import Segment, TimeBin, is_below

THRESHOLD_LABEL = "threshold"
THRESHOLD_COLOR = "#d62728"
BELOW_COLOR = "#ff7f0e"
PASS_COLOR = "#2ca02c"
_PALETTE = ("#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def class_color(index: int) -> str:
    return _PALETTE[index % len(_PALETTE)]


def _figure(segments: Sequence[Segment], title: str) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(max(8.0, 2.6 * len(segments) + 3.0), 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(1, len(segments)), sharey=True, squeeze=False)[0]
    fig.suptitle(title, fontsize=12)
    fig.supxlabel("inference time (UTC)", fontsize=9)
    for ax in axes:
        locator = AutoDateLocator(minticks=2, maxticks=5)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.tick_params(labelsize=8)
        ax.grid(True, axis="y", alpha=0.3)
    return fig, list(axes)


def _set_span(ax: Axes, segment: Segment, width: timedelta, index: int, count: int) -> None:
    """Frame one segment (padded so a single request still shows) and say which burst it is."""
    pad = max(width, (segment.end - segment.start) * 0.05)
    ax.set_xlim(_x(segment.start - pad), _x(segment.end + pad))
    if count > 1:
        ax.set_title(f"{segment.start:%Y-%m-%d %H:%M} to {segment.end:%H:%M}", fontsize=8)


def confidence_figure(
    records: Sequence[CaptureRecord],
    segments: Sequence[Segment],
    *,
    threshold: float,
    classes: Sequence[str],
    bin_width: timedelta = timedelta(minutes=1),
) -> Figure:
    """Max probability per request against time, by predicted class, with the threshold line."""
    scored = [r for r in records if r.confidence is not None]
    below = sum(1 for r in scored if is_below(r, threshold))
    fig, axes = _figure(segments, f"Confidence per request — {below} of {len(scored)} below {threshold:g}")
    n_classes = max([len(classes)] + [len(r.probabilities or ()) for r in scored])
    floor = 1.0 / n_classes if n_classes else 0.0
    for i, (ax, segment) in enumerate(zip(axes, segments, strict=False)):
        _set_span(ax, segment, bin_width, i, len(segments))
        ax.axhspan(floor - 0.02, threshold, color=THRESHOLD_COLOR, alpha=0.05, lw=0)
        label = f"{THRESHOLD_LABEL} {threshold:g}"
        ax.axhline(threshold, color=THRESHOLD_COLOR, ls="--", lw=1.3, label=label)
        for index in range(n_classes):
            mine = [r for r in scored if r.predicted == index and segment.contains(r.inference_time)]
            for hollow in (False, True):
                points = [r for r in mine if is_below(r, threshold) == hollow]
                if points:
                    ax.scatter(
                        [_x(r.inference_time) for r in points],
                        [r.confidence or 0.0 for r in points],
                        s=24,
                        facecolors="none" if hollow else class_color(index),
                        edgecolors=class_color(index),
                        linewidths=1.3,
                        label="_point",  # the legend uses one proxy per class, in class order
                        zorder=3,
                    )
    axes[0].set_ylim(floor - 0.02, 1.01)
    axes[0].set_ylabel("max probability")
    present = sorted({r.predicted for r in scored if r.predicted is not None})
    keys = [_marker(class_color(i), class_color(i), class_name(i, classes)) for i in present]
    if below:
        keys.append(_marker("none", "#555555", "hollow: below (review)"))
    _legend(fig, axes, extra=keys)
    return fig


def class_mix_figure(
    bins: Sequence[TimeBin], segments: Sequence[Segment], *, classes: Sequence[str], width: timedelta
) -> Figure:
    """Predicted classes per time bin, stacked."""
    fig, axes = _figure(segments, f"Predicted class mix (requests per {_human(width)})")
    names = list(classes) + sorted({n for b in bins for n in b.by_class} - set(classes))
    for i, (ax, segment) in enumerate(zip(axes, segments, strict=False)):
        _set_span(ax, segment, width, i, len(segments))
        mine = [b for b in bins if b.segment == i]
        bottoms = [0] * len(mine)
        for index, name in enumerate(names):
            heights = [b.by_class.get(name, 0) for b in mine]
            if any(heights):
                _bars(ax, mine, heights, bottoms, class_color(index), name)
                bottoms = [a + h for a, h in zip(bottoms, heights, strict=True)]
    axes[0].set_ylabel("requests")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(fig, axes)
    return fig


def volume_figure(
    bins: Sequence[TimeBin], segments: Sequence[Segment], *, threshold: float, width: timedelta
) -> Figure:
    """Requests per time bin, split into those that pass the threshold and those sent to review."""
    total = sum(b.total for b in bins)
    below = sum(b.below for b in bins)
    share = f"{below / total:.0%}" if total else "n/a"
    fig, axes = _figure(segments, f"Requests per {_human(width)} — {share} below threshold {threshold:g}")
    for i, (ax, segment) in enumerate(zip(axes, segments, strict=False)):
        _set_span(ax, segment, width, i, len(segments))
        mine = [b for b in bins if b.segment == i]
        passed = [b.total - b.below for b in mine]
        _bars(ax, mine, passed, [0] * len(mine), PASS_COLOR, f"≥ {threshold:g} (passes)")
        _bars(ax, mine, [b.below for b in mine], passed, BELOW_COLOR, f"< {threshold:g} (review)")
    axes[0].set_ylabel("requests")
    axes[0].yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(fig, axes)
    return fig


def latency_figure(
    records: Sequence[CaptureRecord], segments: Sequence[Segment], *, bin_width: timedelta
) -> Figure | None:
    """Latency per request, or None when no record carries one (real SageMaker captures do not)."""
    timed = [r for r in records if r.latency_ms is not None]
    if not timed:
        return None
    fig, axes = _figure(segments, "Latency per request")
    for i, (ax, segment) in enumerate(zip(axes, segments, strict=False)):
        _set_span(ax, segment, bin_width, i, len(segments))
        mine = [r for r in timed if segment.contains(r.inference_time)]
        ax.scatter(
            [_x(r.inference_time) for r in mine],
            [r.latency_ms or 0.0 for r in mine],
            s=14,
            color=_PALETTE[0],
        )
    axes[0].set_ylabel("ms")
    axes[0].set_ylim(bottom=0)
    return fig


def save_png(fig: Figure, path: Path) -> Path:
    fig.savefig(path, format="png", dpi=110)
    return path


def _bars(
    ax: Axes, bins: Sequence[TimeBin], heights: Sequence[int], bottoms: Sequence[int], color: str, label: str
) -> None:
    if not bins:
        return
    ax.bar(
        [_x(b.start) for b in bins],
        heights,
        width=[b.width.total_seconds() / 86400 * 0.9 for b in bins],
        bottom=bottoms,
        align="edge",
        color=color,
        label=label,
    )


def _legend(fig: Figure, axes: Sequence[Axes], extra: Sequence[Artist] = ()) -> None:
    """One legend for the figure, without duplicates from the panels."""
    seen: dict[str, Artist] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    for artist in extra:
        seen[str(artist.get_label())] = artist
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="outside right upper", fontsize=8, frameon=False)


def _marker(face: str, edge: str, label: str) -> Line2D:
    return Line2D([], [], ls="", marker="o", mfc=face, mec=edge, label=label)


def _x(when: datetime) -> float:
    """Matplotlib's date number (days since its epoch): plain floats keep the axis code typed."""
    return float(date2num(when))  # type: ignore[no-untyped-call]


def _human(width: timedelta) -> str:
    seconds = int(width.total_seconds())
    for unit, plural, size in (("day", "days", 86400), ("hour", "h", 3600), ("minute", "min", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {plural}" if n > 1 else unit
    return f"{seconds} s"
