"""Filter low confidence: passes the body on, or raises ``LowConfidenceError``."""

from __future__ import annotations

import os
from typing import Any

from .logic import THRESHOLD_VARIABLE, filter_confidence, parse_body, parse_threshold

THRESHOLD = parse_threshold(os.environ.get(THRESHOLD_VARIABLE))


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    return {"statusCode": 200, "body": filter_confidence(parse_body(event), THRESHOLD)}
