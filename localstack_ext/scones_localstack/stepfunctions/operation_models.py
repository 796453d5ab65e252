"""Look up each Task's botocore operation model once per (service, action).

Why: LocalStack's interpreter finds a Task's operation model twice per Task (input and output shape)
by snake-casing every operation name of the service with a regular expression, about 80 of them for
Lambda: 4 % of LocalStack's CPU on our workflow. The answer depends only on the two names and on the
service model botocore loaded once, and botocore's operation models are read-only, so remembering it
changes nothing but the time. A name that does not resolve still raises, every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_MARK = "_scones_cached"


def cached(lookup: Callable[[str, str], Any], maxsize: int = 1024) -> Callable[[str, str], Any]:
    memo = functools.lru_cache(maxsize=maxsize)(lookup)  # exceptions are never cached
    setattr(memo, _MARK, True)
    return memo


def install() -> None:
    """Idempotent."""
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service import (
        state_task_service,
    )

    service = state_task_service.StateTaskService
    if not getattr(service._get_boto_operation_model, _MARK, False):
        service._get_boto_operation_model = staticmethod(cached(service._get_boto_operation_model))  # type: ignore[method-assign, assignment]
