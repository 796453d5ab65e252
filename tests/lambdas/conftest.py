"""Fixtures for the Lambda tests: a tiny LambdaContext (events: tests/helpers/events.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


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
