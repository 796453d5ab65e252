"""Step Functions errors in AWS's shape: the error a user raised, AWS's names and words, never Python's.

Why: LocalStack 2026.3.0's interpreter turned three ordinary situations into ``States.Runtime`` with a
Python exception as the cause, so a workflow's failure read differently locally than on AWS:

- An error named ``States.*`` passed on at run time: LocalStack wraps every such name in a
  ``CustomErrorName``, which refuses the prefix with ``ValueError(Custom Error Names MUST NOT begin with
  the prefix 'States.' ...)``, so the error *and* its cause were replaced. It happens in a Fail state
  whose ``Error``/``ErrorPath`` is a ``States.*`` name (the common "Catch States.ALL into ``$.error``,
  then Fail with ``ErrorPath: $.error.Error``" pattern, our own workflow's, whenever the caught error is
  ``States.Timeout``, ``States.TaskFailed``, ``States.DataLimitExceeded`` ...), and when a Parallel branch,
  a Map iteration or a nested execution fails with a ``States.*`` error. AWS's Fail state takes any error
  name (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html puts no prefix rule on
  ``Error``/``ErrorPath``; the spec's "MUST NOT begin with States." is about the names a state reports
  of its own, and a Fail state re-raising one reports what it was given). The name now passes through
  unchanged (a known one as that ``States.*`` error, so a Catch above matches it); a definition that
  declares an unknown ``States.*`` name in ``ErrorEquals`` is still refused when parsed; a Fail state's
  cause is not decorated a second time.
- A ``ResultPath`` (a state's or a Catch's) that cannot be applied because the state input is not a JSON
  object (an execution started with an array, string, number, boolean or null, which AWS accepts as
  input): LocalStack raised ``TypeError(list indices must be integers or slices, not str)`` and the like.
  AWS fails with ``States.ReferencePathConflict`` and the cause ``Unable to apply ReferencePath $.error
  to input [1,2]`` (as AWS reports it, e.g. "Unable to apply ReferencePath $.someTaskResult to input
  \\"input1\\"", https://qiita.com/tsubasaogawa/items/4fe341bdb6ae7d2fd8ee).
- A JSONPath that finds nothing: LocalStack's cause rendered the input with Python's spaced
  ``json.dumps`` (``'[1, 2]'``); AWS renders it compact (``... could not be found in the input
  '{"Error":"States.DataLimitExceeded","Cause":"..."}'``, https://github.com/cdklabs/construct-hub/pull/1651).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Final

REFERENCE_PATH_CONFLICT: Final[str] = "States.ReferencePathConflict"
_MARK = "_scones_errors"
_PATCH_ERRORS: Final[tuple[type[Exception], ...]] = (TypeError, AttributeError, KeyError, IndexError)


def compact_json(obj: Any, separators: tuple[str, str] | None = None) -> str:
    """``to_json_str`` with AWS's compact rendering unless the caller asks for another."""
    return json.dumps(obj, separators=separators or (",", ":"), ensure_ascii=False, default=_plain)


def _plain(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reference_path_cause(path: str, value: Any) -> str:
    return f"Unable to apply ReferencePath {path} to input {compact_json(value)}"


def runtime_error_names_any_prefix() -> None:
    """Let ``CustomErrorName`` carry any name at run time (a known ``States.*`` name becomes that
    ``StatesErrorName``, so catchers match it as AWS's own), while a definition that *declares* an unknown
    ``States.*`` name in ``ErrorEquals`` is still refused when it is parsed, as before."""
    from localstack.services.stepfunctions.asl.component.common.error_name.custom_error_name import (
        ILLEGAL_CUSTOM_ERROR_PREFIX,
        CustomErrorName,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.error_name import ErrorName
    from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from localstack.services.stepfunctions.asl.parse.preprocessor import Preprocessor

    def new(cls: type, error_name: str | None = None) -> Any:
        if isinstance(error_name, str) and error_name.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
            try:
                return StatesErrorName.from_name(error_name)  # not a CustomErrorName: __init__ is skipped
            except ValueError:
                pass
        return object.__new__(cls)

    def init(self: Any, error_name: str | None) -> None:
        ErrorName.__init__(self, error_name=error_name)

    visit_error_name = Preprocessor.visitError_name

    def visit_declared_error_name(self: Any, ctx: Any) -> Any:
        name = visit_error_name(self, ctx)
        declared = name.error_name or ""
        if not isinstance(name, StatesErrorName) and declared.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
            raise ValueError(
                f"Custom Error Names MUST NOT begin with the prefix 'States.', got '{declared}'."
            )
        return name

    CustomErrorName.__new__ = new  # type: ignore[method-assign]
    CustomErrorName.__init__ = init  # type: ignore[method-assign]
    Preprocessor.visitError_name = visit_declared_error_name  # type: ignore[method-assign]
    setattr(CustomErrorName, _MARK, True)


def _failure(env: Any, error: str, cause: str) -> Exception:
    from localstack.aws.api.stepfunctions import HistoryEventType, TaskFailedEventDetails
    from localstack.services.stepfunctions.asl.component.common.error_name.error_name import ErrorName
    from localstack.services.stepfunctions.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from localstack.services.stepfunctions.asl.eval.event.event_detail import EventDetails

    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=ErrorName(error_name=error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)
            ),
        )
    )


def fail_state_raises_as_given(eval_state: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``StateFail._eval_state``: the failure it raises keeps its error and cause verbatim."""
    from localstack.services.stepfunctions.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    class FailStateException(FailureEventException):
        """A Fail state's own failure: the execution fails with exactly its error and cause (LocalStack
        otherwise prefixes a ``States.Runtime`` cause with the state's name, which was already done
        when that error first happened)."""

        def get_execution_failed_event_details(self) -> Any:
            from localstack.aws.api.stepfunctions import ExecutionFailedEventDetails

            pair = self.extract_error_cause_pair()
            if pair is None:
                return None
            details = ExecutionFailedEventDetails()
            error, cause = pair
            if error:
                details["error"] = error
            if cause:
                details["cause"] = cause
            return details

    @functools.wraps(eval_state)
    def eval_fail_state(self: Any, env: Any) -> None:
        try:
            eval_state(self, env)
        except FailureEventException as failure:
            raise FailStateException(failure.failure_event) from None

    setattr(eval_fail_state, _MARK, True)
    return eval_fail_state


def result_path_conflicts_as_aws(eval_body: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``ResultPath._eval_body``: a path that cannot be applied to the input fails as on AWS."""

    @functools.wraps(eval_body)
    def eval_result_path(self: Any, env: Any) -> None:
        path = self.result_path_src
        if path is None or path == "$":
            eval_body(self, env)
            return
        state_input = env.states.get_input()
        if not isinstance(state_input, dict | list):
            raise _failure(env, REFERENCE_PATH_CONFLICT, reference_path_cause(path, state_input))
        try:
            eval_body(self, env)
        except _PATCH_ERRORS:
            raise _failure(env, REFERENCE_PATH_CONFLICT, reference_path_cause(path, state_input)) from None

    setattr(eval_result_path, _MARK, True)
    return eval_result_path


def install() -> None:
    """Idempotent."""
    from localstack.services.stepfunctions.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from localstack.services.stepfunctions.asl.component.common.path import result_path
    from localstack.services.stepfunctions.asl.component.state import state
    from localstack.services.stepfunctions.asl.component.state.state_fail import state_fail

    if not getattr(CustomErrorName, _MARK, False):
        runtime_error_names_any_prefix()

    fail = state_fail.StateFail
    if not getattr(fail._eval_state, _MARK, False):
        fail._eval_state = fail_state_raises_as_given(fail._eval_state)  # type: ignore[method-assign]

    path = result_path.ResultPath
    if not getattr(path._eval_body, _MARK, False):
        path._eval_body = result_path_conflicts_as_aws(path._eval_body)  # type: ignore[method-assign]

    # Only this module's JSONPath-not-found cause renders without explicit separators.
    state.to_json_str = compact_json  # type: ignore[attr-defined]
