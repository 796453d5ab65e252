"""Step Functions' payload quota (256 KiB), enforced where AWS enforces it.

Why: AWS caps "input or output size for a task, state, or execution" at 262,144 bytes of UTF-8 JSON
(https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). LocalStack 2026.3.0 gets
this wrong in two places, so a workflow could pass locally and fail on AWS (or the reverse):

- ``StartExecution`` / ``StartSyncExecution`` accept any input size. AWS refuses input above the quota
  at the API (botocore ``stepfunctions`` model: ``StartExecutionInput.input`` and
  ``StartSyncExecutionInput.input`` are ``SensitiveData``, ``max: 262144``) with
  ``ValidationException: 1 validation error detected: Value at 'input' failed to satisfy constraint:
  Member must have size less than or equal to 262144 bytes in UTF-8 encoding`` (the value itself is not
  echoed: the member is sensitive). Checked before anything else, as AWS validates the request's shape
  before it looks the state machine up.
- A state payload fails with ``States.DataLimitExceeded`` (LocalStack already does this), but
  LocalStack measured ``len < 262144`` on Python's spaced ``json.dumps`` (``{"a": 1}``) and a string
  value without its quotes. AWS counts the compact JSON text it records in the history and allows the
  quota itself, so a payload of exactly 256 KiB failed locally only.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Final

MAX_PAYLOAD_BYTES: Final[int] = 262_144
INPUT_TOO_LARGE: Final[str] = (
    "1 validation error detected: Value at 'input' failed to satisfy constraint: "
    f"Member must have size less than or equal to {MAX_PAYLOAD_BYTES} bytes in UTF-8 encoding"
)
_MARK = "_scones_limits"
# Modules that imported LocalStack's quota check by name (see rebind).
_QUOTA_USERS: Final[tuple[str, ...]] = (
    "localstack.services.stepfunctions.asl.component.state.state",
    "localstack.services.stepfunctions.asl.component.state.state_execution.state_task.state_task_lambda",
    "localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service",
)


def payload_bytes(value: Any) -> int:
    """Size of a state payload as AWS counts it: its compact JSON text in UTF-8."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def is_within_size_quota(value: Any) -> bool:
    """Drop-in for ``localstack.services.stepfunctions.quotas.is_within_size_quota`` (every caller passes
    the payload as a Python value)."""
    return payload_bytes(value) <= MAX_PAYLOAD_BYTES


def input_too_large(text: str | None) -> bool:
    """Whether a StartExecution input (the JSON text as sent) exceeds the quota."""
    return text is not None and len(text.encode("utf-8")) > MAX_PAYLOAD_BYTES


def refuse_large_input(start: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a provider's StartExecution-like method: above the quota, AWS's ValidationException."""
    from localstack.aws.api.stepfunctions import ValidationException

    @functools.wraps(start)
    def checked(self: Any, context: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        text = kwargs.get("input") if "input" in kwargs else (args[1] if len(args) > 1 else None)
        if input_too_large(text):
            raise ValidationException(INPUT_TOO_LARGE)
        return start(self, context, state_machine_arn, *args, **kwargs)

    setattr(checked, _MARK, True)
    return checked


def install() -> None:
    """Refuse oversized execution input at the API and measure state payloads as AWS does; idempotent."""
    import importlib

    from localstack.services.stepfunctions import quotas
    from localstack.services.stepfunctions.provider import StepFunctionsProvider

    for name in ("start_execution", "start_sync_execution"):
        method = getattr(StepFunctionsProvider, name)
        if not getattr(method, _MARK, False):
            setattr(StepFunctionsProvider, name, refuse_large_input(method))

    if quotas.is_within_size_quota is not is_within_size_quota:
        quotas.is_within_size_quota = is_within_size_quota
        for module_name in _QUOTA_USERS:
            module = importlib.import_module(module_name)
            module.is_within_size_quota = is_within_size_quota  # type: ignore[attr-defined]
