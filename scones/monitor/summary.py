"""Aggregate capture records into the numbers and time series the report shows. Pure functions.

Time is split into *segments* at long idle gaps before binning: captures often come in bursts days or
months apart (the real reference captures span 2023-03 to 2024-11 in four bursts), and one linear axis
would squash every burst into a dot. Each segment gets its own panel in the plots; bins never cross one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from local_endpoint.artifact import DEFAULT_CLASSES, DEFAULT_THRESHOLD, class_name
from scones.monitor.records import CaptureRecord, MalformedLine

MIN_GAP = timedelta(hours=1)  # idle time that starts a new segment
MAX_SEGMENTS = 6  # beyond this, only the longest gaps break the axis
MAX_BINS = 30  # per segment, for the longest segment
BIN_LADDER = tuple(
    timedelta(seconds=s)
    for s in (10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400, 30 * 86400)
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def is_below(record: CaptureRecord, threshold: float) -> bool:
    """Same rule as the filter Lambda: a request passes when max(probabilities) >= threshold."""
    confidence = record.confidence
    return confidence is not None and confidence < threshold


@dataclass(frozen=True)
class LatencyStats:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass(frozen=True)
class Summary:
    threshold: float
    classes: tuple[str, ...]
    files: int
    records: int
    with_output: int  # records whose response was captured (the rest: CaptureMode Input only)
    below_threshold: int
    class_counts: dict[str, int]
    first: datetime | None
    last: datetime | None
    malformed: tuple[MalformedLine, ...] = ()
    latency: LatencyStats | None = None

    @property
    def share_below(self) -> float | None:
        return self.below_threshold / self.with_output if self.with_output else None


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: a value that was really observed."""
    rank = max(1, min(len(sorted_values), round(q * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_stats(records: Iterable[CaptureRecord]) -> LatencyStats | None:
    values = sorted(r.latency_ms for r in records if r.latency_ms is not None)
    if not values:
        return None
    return LatencyStats(len(values), _percentile(values, 0.5), _percentile(values, 0.95), values[-1])


def summarize(
    records: Sequence[CaptureRecord],
    *,
    files: int,
    malformed: Sequence[MalformedLine] = (),
    threshold: float = DEFAULT_THRESHOLD,
    classes: Sequence[str] = DEFAULT_CLASSES,
) -> Summary:
    predicted = Counter(r.predicted for r in records if r.predicted is not None)
    counts = {name: 0 for name in classes}
    for index in sorted(predicted):
        counts[class_name(index, classes)] = predicted[index]
    times = [r.inference_time for r in records]
    return Summary(
        threshold=threshold,
        classes=tuple(classes),
        files=files,
        records=len(records),
        with_output=sum(1 for r in records if r.probabilities),
        below_threshold=sum(1 for r in records if is_below(r, threshold)),
        class_counts=counts,
        first=min(times, default=None),
        last=max(times, default=None),
        malformed=tuple(malformed),
        latency=latency_stats(records),
    )


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime

    def contains(self, when: datetime) -> bool:
        return self.start <= when <= self.end


def split_segments(
    times: Iterable[datetime], *, min_gap: timedelta = MIN_GAP, max_segments: int = MAX_SEGMENTS
) -> list[Segment]:
    """Break the timeline at the longest idle gaps (each at least `min_gap`), at most max_segments-1."""
    ordered = sorted(times)
    if not ordered:
        return []
    gaps = [(ordered[i + 1] - ordered[i], i) for i in range(len(ordered) - 1)]
    breaks = sorted(i for gap, i in sorted(gaps, reverse=True)[: max_segments - 1] if gap >= min_gap)
    segments, start = [], 0
    for i in breaks:
        segments.append(Segment(ordered[start], ordered[i]))
        start = i + 1
    segments.append(Segment(ordered[start], ordered[-1]))
    return segments


def choose_bin_width(segments: Sequence[Segment], *, max_bins: int = MAX_BINS) -> timedelta:
    """The smallest width on the ladder that keeps the longest segment within max_bins bins."""
    longest = max((s.end - s.start for s in segments), default=timedelta(0))
    for width in BIN_LADDER:
        if longest / width < max_bins:
            return width
    return BIN_LADDER[-1]


def floor_time(when: datetime, width: timedelta) -> datetime:
    return _EPOCH + ((when - _EPOCH) // width) * width


@dataclass
class TimeBin:
    segment: int
    start: datetime
    width: timedelta
    total: int = 0
    below: int = 0
    by_class: Counter[str] = field(default_factory=Counter)


def bin_records(
    records: Iterable[CaptureRecord],
    segments: Sequence[Segment],
    width: timedelta,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    classes: Sequence[str] = DEFAULT_CLASSES,
) -> list[TimeBin]:
    """Requests per (segment, time bin): total, below threshold, by predicted class; no empty bins."""
    bins: dict[tuple[int, datetime], TimeBin] = {}
    for record in records:
        segment = next(i for i, s in enumerate(segments) if s.contains(record.inference_time))
        start = floor_time(record.inference_time, width)
        time_bin = bins.setdefault((segment, start), TimeBin(segment, start, width))
        time_bin.total += 1
        time_bin.below += is_below(record, threshold)
        if record.predicted is not None:
            time_bin.by_class[class_name(record.predicted, classes)] += 1
    return [bins[key] for key in sorted(bins)]
