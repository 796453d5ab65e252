"""`scones monitor`: read every SageMaker data-capture record (local folder or S3) and report on it."""

from __future__ import annotations

from local_endpoint.artifact import DEFAULT_CLASSES, DEFAULT_THRESHOLD
from scones.monitor.exceptions import CaptureSourceError, ClassNamesError, MonitorError
from scones.monitor.records import CaptureRecord, MalformedLine, parse_file, parse_line
from scones.monitor.report import (
    Capture,
    Report,
    build_report,
    classes_from_metadata,
    default_classes,
    open_source,
    parse_classes,
    read_capture,
)
from scones.monitor.summary import Summary, summarize

__all__ = [
    "DEFAULT_CLASSES",
    "DEFAULT_THRESHOLD",
    "Capture",
    "CaptureRecord",
    "CaptureSourceError",
    "ClassNamesError",
    "MalformedLine",
    "MonitorError",
    "Report",
    "Summary",
    "build_report",
    "classes_from_metadata",
    "default_classes",
    "open_source",
    "parse_classes",
    "parse_file",
    "parse_line",
    "read_capture",
    "summarize",
]
