"""Fixtures for the Lambda tests: real-shaped events from tests/events and a tiny LambdaContext."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> Any:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    memory_limit_in_mb: int = 256

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()
