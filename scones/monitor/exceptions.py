"""Errors of `scones monitor`, each named for what went wrong; the CLI turns them into one clear line.

MonitorError
├── CaptureSourceError        the capture source cannot be read (bad URI, missing folder or bucket, access)
└── ClassNamesError           class names cannot be determined (bad metadata.json, empty list)

A malformed capture *line* is not an exception: it is counted and reported (`records.MalformedLine`).
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class: a problem the user can fix, printed without a traceback."""


class CaptureSourceError(MonitorError):
    """The capture source (local folder or s3://bucket/prefix) cannot be listed or read."""


class ClassNamesError(MonitorError):
    """The class names given or found in the model metadata are unusable."""
