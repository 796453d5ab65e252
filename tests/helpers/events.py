"""Real-shaped Lambda events (tests/events/*.json), as the state machine passes them to each step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> Any:
    return json.loads((EVENTS / f"{name}.json").read_text())
