"""TestState mocks as AWS documents them, answered in AWS's shapes only.

Why: LocalStack 2026.3.0 has the enhanced TestState API (``mock``, ``stateName``, ``context``,
``stateConfiguration``), but a user testing one state of a workflow met four defects:

- A mocked ``errorOutput`` without ``stateConfiguration`` on a state with a ``Retry`` failed with
  ``States.Runtime`` / ``AttributeError('NoneType' object has no attribute 'get')`` (the retrier read
  ``retrierRetryCount`` from an absent configuration). AWS: ``retrierRetryCount`` is "the number of retry
  attempts that have occurred for the state's Retry that applies to the mocked error"
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html), so
  absent means none: a matching retrier answers ``RETRIABLE`` with ``inspectionData.errorDetails``
  (``retryIndex``, ``retryBackoffIntervalSeconds`` = ``IntervalSeconds * BackoffRate ** count``, capped by
  ``MaxDelaySeconds``); once ``count`` reaches ``MaxAttempts`` the Catch decides (``CAUGHT_ERROR``,
  ``nextState``, ``catchIndex``). LocalStack also *slept* the backoff before answering (seconds per call);
  TestState only reports the decision, so it no longer waits. ``retryIndex`` is reported for the retrier
  that matched, not for every retrier evaluated.
- A ``lambda:invoke`` mock whose ``Payload`` is an object (as AWS's own examples write it:
  ``{"StatusCode":200,"Payload":{"body":"ok"}}``) was refused under STRICT and PRESENT field validation
  ("Field 'Payload' must be a string"); one whose ``Payload`` is JSON text ended in the same
  AttributeError. The optimized Lambda integration parses the function's ``Payload`` "from escaped Json
  to Json" (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html), so a mocked result
  is the state's result as that integration produces it: an object ``Payload`` is valid in every mode
  (the other fields are still validated against Lambda's ``Invoke`` output shape), and a ``Payload``
  string holding JSON text is parsed (a string that is not JSON stays a string, as AWS answers it).
- ``context`` was ignored (``$$.Execution.Id`` came back as a TestState express ARN). AWS: "A JSON string
  representing a valid Context object for the state under test. This field may only be specified if a
  mock is specified in the same request" (botocore ``stepfunctions`` model, ``TestStateInput.context``).
  The given object is now ``$$`` (JSONPath ``$$``, intrinsic arguments, JSONata ``$states.context``)
  exactly as given, as AWS answers it: ``{}`` is ``$$`` = ``{}`` and a partial object is not filled in
  (AWS-validated snapshots in LocalStack's test_state_context_object). LocalStack's own bookkeeping keeps
  the interpreter's Context object (it reads ``$$.StateMachine``/``$$.Execution`` and failed with a
  KeyError when they were replaced). Without a ``context``, ``$$.State.RetryCount`` is
  ``stateConfiguration.retrierRetryCount`` (undocumented by AWS; the closest documented value). Without a
  mock, ``context`` is refused with a ValidationException, and so is a ``Task`` (task token) for a state
  that is not a ``.sync``/``.waitForTaskToken`` Task, in AWS's words.
- Python exception text reached the caller (the ``States.Runtime`` causes above, ``InvalidDefinition``
  messages ``Error=ValueError Args=[...]`` and ``ASLParserException ...``, an ``InternalError`` naming a
  ``TypeError`` for an ``errorOutput`` without ``cause``, a 500 for ``input`` that is not JSON, now
  ``InvalidExecutionInput`` as the botocore model lists for TestState). Every TestState answer is now in
  AWS's shapes: an unexpected interpreter exception is reported as ``States.Runtime`` with a plain cause,
  an unexpected provider exception as ``InternalFailure``, and ``output``/``inspectionData`` JSON is
  compact as AWS renders it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any, Final

from scones_localstack.stepfunctions.asl_cache import parse_tree

LAMBDA_INVOKE: Final[str] = "arn:aws:states:::lambda:invoke"
TASK_CONTEXT_NOT_ALLOWED: Final[str] = (
    "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a "
    "'.sync' or '.waitForTaskToken' service integration pattern"
)
INVALID_INPUT: Final[str] = "Invalid State Machine Execution Input: 'input is not valid JSON'"
CONTEXT_NEEDS_MOCK: Final[str] = "TestState does not support Context when a mock is not specified."
ERROR_OUTPUT_NEEDS_ERROR: Final[str] = "Mock errorOutput must contain an error."
RUNTIME_CAUSE: Final[str] = "An error occurred while evaluating the state."
# LocalStack's words for a mock with both fields, which it applies to neither here (AWS's are undocumented).
MOCK_NEEDS_ONE_FIELD: Final[str] = (
    "A test mock should have only one of the following fields: [result, errorOutput]."
)
VARIABLES_NOT_OBJECT: Final[str] = "Invalid variables provided: variables must be a JSON object"  # our words
INSPECTION_LEVELS: Final[tuple[str, ...]] = ("INFO", "DEBUG", "TRACE")  # botocore's InspectionLevel
FIELD_VALIDATION_MODES: Final[tuple[str, ...]] = ("STRICT", "PRESENT", "NONE")  # MockResponseValidationMode
# A Python type's repr in LocalStack's messages ("got '<class 'list'>' instead") and its JSON name.
_PYTHON_TYPE = re.compile(r"<class '(\w+)'>")
_JSON_TYPE_NAMES: Final[dict[str, str]] = {
    "dict": "object",
    "list": "array",
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "boolean",
    "NoneType": "null",
}
INTERNAL_FAILURE: Final[str] = "The TestState request could not be processed."
_MARK = "_scones_test_state"
_PARSER_EXCEPTION: Final[str] = "ASLParserException "  # LocalStack's repr of a syntax error
# LocalStack renders an unexpected exception as ``Name(message)`` (TestStateProgram, _validate_definition).
_PYTHON_EXCEPTION = re.compile(r"^[A-Z]\w*(Error|Exception|Exit|Interrupt)\b\(")
_INSPECTION_JSON_FIELDS: Final[tuple[str, ...]] = (
    "input",
    "afterArguments",
    "afterInputPath",
    "afterParameters",
    "result",
    "afterResultSelector",
    "afterResultPath",
    "variables",
    "afterItemsPath",
    "afterItemSelector",
    "afterItemBatcher",
    "afterItemsPointer",
)


def compact(text: Any) -> Any:
    """JSON text as AWS renders it (no spaces); anything that is not JSON text is returned unchanged."""
    if not isinstance(text, str):
        return text
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text


def is_python_exception_text(text: Any) -> bool:
    return isinstance(text, str) and bool(_PYTHON_EXCEPTION.match(text))


def find_state(definition: Any, state_name: str | None) -> dict[str, Any] | None:
    """The tested state's declaration: the definition itself without a state name, else the state of that
    name anywhere in the machine (Parallel branches and Map processors included)."""
    if not isinstance(definition, dict):
        return None
    if state_name is None:
        return definition
    todo = [definition]
    while todo:
        machine = todo.pop()
        states = machine.get("States")
        if not isinstance(states, dict):
            continue
        if isinstance(found := states.get(state_name), dict):
            return found
        for state in states.values():
            if not isinstance(state, dict):
                continue
            todo.extend(b for b in state.get("Branches") or [] if isinstance(b, dict))
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(state.get(key), dict):
                    todo.append(state[key])
    return None


def tested_resource(request: dict[str, Any]) -> str | None:
    """The ``Resource`` of the state under test (None when the definition cannot be read: the provider's
    own validation answers that)."""
    try:
        definition = json.loads(request.get("definition") or "")
    except ValueError:
        return None
    state = find_state(definition, request.get("stateName"))
    resource = state.get("Resource") if state else None
    return resource if isinstance(resource, str) else None


def lambda_result_as_integration(result: Any) -> Any:
    """A mocked ``lambda:invoke`` result with its ``Payload`` as the optimized integration hands it on:
    JSON text parsed, any other value as given."""
    if isinstance(result, dict) and isinstance(payload := result.get("Payload"), str):
        try:
            return {**result, "Payload": json.loads(payload)}
        except ValueError:
            return result
    return result


def task_context_not_allowed(request: dict[str, Any]) -> bool:
    """Whether the Context object has ``Task`` (a task token) for a state that gets none: only a Task with
    a ``.sync`` or ``.waitForTaskToken`` integration pattern has one (AWS's answer is recorded in
    LocalStack's AWS-validated snapshot test_state_context_object_invalid_states[TOKEN_TASK_NOT_SYNC])."""
    try:
        context = json.loads(request.get("context") or "null")
    except ValueError:
        return False  # LocalStack answers "Invalid Context object provided: ..."
    if not isinstance(context, dict) or "Task" not in context:
        return False
    resource = tested_resource(request) or ""
    return not re.search(r"\.(sync(:\d+)?|waitForTaskToken)$", resource)


def constraint_violations(request: dict[str, Any]) -> list[str]:
    """The request's values outside the botocore model's enums and minimums, in AWS's validation words
    ("Value 'X' at 'path' failed to satisfy constraint: Member must ..."). botocore sends any enum value
    and checks minimums only when its parameter validation is on; LocalStack accepted them (an unknown
    ``inspectionLevel`` ran as INFO, a negative ``retrierRetryCount`` as 0)."""
    violations: list[str] = []
    given_mock = request.get("mock")
    mock: dict[str, Any] = given_mock if isinstance(given_mock, dict) else {}
    configuration = request.get("stateConfiguration")
    configuration = configuration if isinstance(configuration, dict) else {}
    for where, value, allowed in (
        ("inspectionLevel", request.get("inspectionLevel"), INSPECTION_LEVELS),
        ("mock.fieldValidationMode", mock.get("fieldValidationMode"), FIELD_VALIDATION_MODES),
    ):
        if value is not None and value not in allowed:
            violations.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value "
                f"set: [{', '.join(allowed)}]"
            )
    for name in ("retrierRetryCount", "mapIterationFailureCount"):
        value = configuration.get(name)
        if isinstance(value, int) and value < 0:
            violations.append(
                f"Value '{value}' at 'stateConfiguration.{name}' failed to satisfy constraint: Member must "
                "have value greater than or equal to 0"
            )
    return violations


def normalise_request(request: dict[str, Any]) -> None:
    """Check and rewrite a TestState request in place, before LocalStack's provider sees it."""
    from localstack.aws.api.stepfunctions import InvalidExecutionInput, ValidationException

    if violations := constraint_violations(request):
        count = len(violations)
        raise ValidationException(
            f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(violations)}"
        )
    if request.get("input") is not None:
        try:
            json.loads(request["input"])
        except ValueError:
            raise InvalidExecutionInput(INVALID_INPUT) from None
    if request.get("variables") is not None:
        try:
            variables = json.loads(request["variables"])
        except ValueError:
            variables = None
        if not isinstance(variables, dict):
            raise ValidationException(VARIABLES_NOT_OBJECT)
    mock = request.get("mock")
    if mock is not None and not mock.get("result") and mock.get("errorOutput") is None:
        raise ValidationException(MOCK_NEEDS_ONE_FIELD)  # {} was no mock: the real service was called
    if request.get("context") is not None and not mock:
        raise ValidationException(CONTEXT_NEEDS_MOCK)
    if not mock:
        return
    if task_context_not_allowed(request):
        raise ValidationException(TASK_CONTEXT_NOT_ALLOWED)
    error_output = mock.get("errorOutput")
    if error_output is not None:
        if not error_output.get("error"):
            raise ValidationException(ERROR_OUTPUT_NEEDS_ERROR)
        mock["errorOutput"] = {"error": error_output["error"], "cause": error_output.get("cause", "")}
    raw = mock.get("result")
    if isinstance(raw, str) and tested_resource(request) == LAMBDA_INVOKE:
        try:
            result = json.loads(raw)
        except ValueError:
            return  # LocalStack answers "Mocked result must be valid JSON", as AWS does
        mock["result"] = json.dumps(lambda_result_as_integration(result))


def shape_output(output: dict[str, Any]) -> dict[str, Any]:
    """A TestState answer in AWS's rendering, with no Python exception text in it."""
    if "output" in output:
        output["output"] = compact(output["output"])
    if is_python_exception_text(output.get("cause")):
        output["cause"] = RUNTIME_CAUSE
    inspection = output.get("inspectionData")
    if isinstance(inspection, dict):
        for field in _INSPECTION_JSON_FIELDS:
            if field in inspection:
                inspection[field] = compact(inspection[field])
    return output


def aws_shaped_test_state(test_state: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``StepFunctionsProvider.test_state``: AWS's request rules in, AWS's shapes out."""
    from localstack.aws.api import CommonServiceException, ServiceException
    from localstack.aws.api.stepfunctions import InvalidDefinition, ValidationException

    @functools.wraps(test_state)
    def checked(self: Any, context: Any, request: dict[str, Any], **kwargs: Any) -> Any:
        normalise_request(request)
        try:
            output = test_state(self, context, request, **kwargs)
        except InvalidDefinition as invalid:
            message = str(getattr(invalid, "message", "") or "")
            if message.startswith(("Error=", _PARSER_EXCEPTION)):
                raise InvalidDefinition(invalid_definition_message(message)) from None
            raise
        except ValidationException as refused:
            message = str(getattr(refused, "message", "") or "")
            if not _PYTHON_TYPE.search(message):
                raise
            raise ValidationException(json_type_names(message)) from None
        except ServiceException:
            raise
        except Exception:
            raise CommonServiceException("InternalFailure", INTERNAL_FAILURE, status_code=500) from None
        return shape_output(output)

    setattr(checked, _MARK, True)
    return checked


def json_type_names(message: str) -> str:
    """``... got '<class 'list'>' instead`` -> ``... got 'array' instead``: JSON's names, not Python's."""
    return _PYTHON_TYPE.sub(lambda match: _JSON_TYPE_NAMES.get(match.group(1), "value"), message)


def invalid_definition_message(message: str) -> str:
    """``Error=ValueError Args=['why'] in definition '...'`` or ``ASLParserException why`` -> AWS's
    ``Invalid State Machine Definition`` wording with the reason only."""
    if message.startswith(_PARSER_EXCEPTION):
        return f"Invalid State Machine Definition: '{message[len(_PARSER_EXCEPTION) :]}'"
    match = re.search(r"Args=\[(.*)\] in definition", message, flags=re.DOTALL)
    reason = match.group(1).strip("'\"") if match else "the definition could not be read"
    return f"Invalid State Machine Definition: '{reason}'"


def backoff_seconds(interval: float, rate: float, count: int, max_delay: float) -> float:
    """``IntervalSeconds * BackoffRate ** count``, capped by ``MaxDelaySeconds`` (LocalStack's default cap is
    AWS's largest, 31622401 s): a huge ``retrierRetryCount`` under a huge ``MaxAttempts`` overflowed a float
    (``OverflowError``), which reached the caller as Python text."""
    try:
        return min(interval * rate**count, max_delay)
    except OverflowError:
        return max_delay


def retry_decision(retrier: Any, retrier_index: int) -> Callable[[Any], None]:
    """Drop-in for ``MockedStateExecution.with_retry_state_id``: the retrier's decision for the mocked
    attempt, reported and never waited for."""
    from localstack.services.stepfunctions.asl.component.common.retry.retrier_outcome import (
        RetrierOutcome,
    )

    def decide(env: Any) -> None:
        retrier.error_equals.eval(env)
        if not env.stack.pop():
            env.stack.append(RetrierOutcome.Skipped)
            return
        configuration = getattr(getattr(env, "mock", None), "_state_configuration", None) or {}
        count = configuration.get("retrierRetryCount") or 0
        if count >= retrier.max_attempts.attempts:
            env.stack.append(RetrierOutcome.Failed)
            return
        interval = backoff_seconds(
            retrier.interval_seconds.seconds,
            retrier.backoff_rate.rate,
            count,
            retrier.max_delay_seconds.max_delays_seconds,
        )
        details = env.inspection_data.setdefault("errorDetails", {})
        details["retryIndex"] = retrier_index
        details["retryBackoffIntervalSeconds"] = int(interval)
        env.stack.append(RetrierOutcome.Executed)

    return decide


def context_seen(env: Any) -> Any:
    """``$$`` as the state under test sees it.

    With a ``context`` in the request it is that object exactly as given: AWS answers ``$$`` = ``{}`` for
    ``{}`` and ``{"Execution": {}, "State": {}, "StateMachine": {}}`` for empty objects, filling in nothing
    (LocalStack's AWS-validated snapshot test_state_context_object_edge_cases[EMPTY, EMPTY_OBJECTS]).
    Without one it is the interpreter's, with ``State.RetryCount`` set to ``stateConfiguration.
    retrierRetryCount``: AWS does not document ``$$`` for that case; both count "retry attempts that have
    occurred", so that is the documented-closest value. Outside TestState: the interpreter's, untouched."""
    data = env.states.context_object.context_object_data
    mock = getattr(env, "mock", None)
    if mock is None or not hasattr(mock, "get_context"):
        return data
    given = mock.get_context()
    if given is not None:
        return given
    configuration = getattr(mock, "_state_configuration", None) or {}
    count = configuration.get("retrierRetryCount")
    state = data.get("State")
    if count and isinstance(state, dict):
        return {**data, "State": {**state, "RetryCount": count}}
    return data


def reads_context_seen(read: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a ``$$`` reader (a JSONPath ``$$...`` string, an intrinsic function's ``$$...`` argument): it
    reads ``context_seen`` instead of the interpreter's Context object, which LocalStack's own code keeps
    reading (``$$.StateMachine``, ``$$.Execution``, the task token, the retry counter)."""

    @functools.wraps(read)
    def seen(self: Any, env: Any) -> Any:
        context_object = env.states.context_object
        own = context_object.context_object_data
        shown = context_seen(env)
        if shown is own:
            return read(self, env)
        context_object.context_object_data = shown
        try:
            return read(self, env)
        finally:
            context_object.context_object_data = own

    setattr(seen, _MARK, True)
    return seen


def frame_with_context() -> Any:
    """Drop-in for ``TestStateEnvironment.as_frame_of``: LocalStack *replaced* the interpreter's Context
    object by the given one there, so a frame lost ``$$.StateMachine``, which it reads next (KeyError
    'StateMachine'). The interpreter keeps its own; ``$$`` readers see the given one (``context_seen``)."""

    def as_frame_of(cls: Any, env: Any, event_history_frame_cache: Any = None) -> Any:
        return cls.as_inner_frame_of(
            env=env, variable_store=env.variable_store, event_history_frame_cache=event_history_frame_cache
        )

    setattr(as_frame_of, _MARK, True)
    return classmethod(as_frame_of)


def _parse_tree(definition: str, state_name: str | None) -> Any:
    """TestState's parse tree: a whole machine when a state is named, else one state's body."""
    return parse_tree(definition, state_body=state_name is None)


def _build_program(tree: Any, state_name: str | None) -> Any:
    from localstack.services.stepfunctions.asl.parse.test_state.preprocessor import (
        TestStatePreprocessor,
    )

    return TestStatePreprocessor().to_test_state_program(tree, state_name)


def _tested_state(tree: Any, state_name: str | None) -> Any:
    """The tested state's component as the preprocessor builds it, before TestState wraps it (None when
    the state is not there: the checks have already answered that)."""
    from localstack.services.stepfunctions.asl.parse.test_state.preprocessor import (
        TestStatePreprocessor,
        find_state,
    )

    preprocessor = TestStatePreprocessor()
    if state_name:
        return find_state(state_name, preprocessor.visitState_machine(ctx=tree).states.states)
    return preprocessor._common_state_field_of(state_props=preprocessor.visitState_decl_body(ctx=tree))


def _program_of(pristine: Any, state_name: str | None) -> Any:
    """A runnable TestState program around a copy of the pristine tested state (a copy is 20x cheaper
    than building the state machine again; components hold no per-run state, see asl_cache)."""
    import copy

    from localstack.services.stepfunctions.asl.component.test_state.program.test_state_program import (
        TestStateProgram,
    )
    from localstack.services.stepfunctions.asl.parse.test_state.preprocessor import _decorate_state_field

    state = copy.deepcopy(pristine)
    _decorate_state_field(state, is_single_state=state_name is None)
    return TestStateProgram(state)


class ParseOnce:
    """TestState parsed once per (definition, state name) instead of five times per call.

    Why: one TestState call ran LocalStack's ANTLR parser over the whole definition five times (definition
    analysis, state lookup, role check, mock check, then the run): 5 x 22-80 ms for our workflow, which
    made a call take 0.1-0.8 s; the definition check then walked the tree again. The parse tree is
    read-only for its visitors (see asl_cache), so it is kept, and a definition that passed the check is
    not walked again;
    the checks share one program built from it, which they only read. The run gets a program of its own
    every time (a copy of the tested state as first built): TestState wraps the tested state's components
    while evaluating it (retriers, catchers), so a program that ran is never handed out again. Definitions
    that fail to parse are not kept.
    """

    def __init__(self, maxsize: int = 64) -> None:
        import threading
        from collections import OrderedDict

        self._maxsize = maxsize
        self._trees: OrderedDict[tuple[str, str | None], tuple[Any, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, definition: str, state_name: str | None) -> tuple[Any, Any, Any]:
        key = (definition, state_name)
        with self._lock:
            hit = self._trees.get(key)
            if hit is not None:
                self._trees.move_to_end(key)
                return hit
        tree = _parse_tree(definition, state_name)  # errors propagate; nothing is stored
        hit = (tree, _build_program(tree, state_name), _tested_state(tree, state_name))
        with self._lock:
            self._trees[key] = hit
            if len(self._trees) > self._maxsize:
                self._trees.popitem(last=False)
        return hit

    def checked(self, definition: str, state_name: str | None = None) -> tuple[Any, Any]:
        """Drop-in for ``TestStateAmazonStateLanguageParser.parse`` (the checks): (program, tree)."""
        tree, program, _ = self._entry(definition, state_name)
        return program, tree

    def analysed_once(self, analyse: Callable[..., None]) -> Callable[..., None]:
        """Wrap ``TestStateStaticAnalyser.analyse``: a definition that passed the walk over its tree
        (about 10 ms for our workflow) passes again without one; a failing one is walked, and fails,
        every time."""
        passed: set[tuple[str, str | None]] = set()

        @functools.wraps(analyse)
        def checked(analyser: Any, definition: str) -> None:
            key = (definition, analyser.state_name)
            if key in passed:
                return
            analyse(analyser, definition)
            with self._lock:
                if len(passed) >= self._maxsize:
                    passed.clear()
                passed.add(key)

        setattr(checked, _MARK, True)
        return checked

    def fresh(self, definition: str, state_name: str | None = None) -> Any:
        """A program to run, of its own: a copy of the pristine tested state, wrapped for TestState."""
        tree, _, pristine = self._entry(definition, state_name)
        if pristine is None:
            return _build_program(tree, state_name)
        return _program_of(pristine, state_name)


def parse_once(parser: ParseOnce) -> None:
    from localstack.services.stepfunctions.asl.parse.test_state.asl_parser import (
        TestStateAmazonStateLanguageParser,
    )
    from localstack.services.stepfunctions.backend.test_state.execution_worker import (
        TestStateExecutionWorker,
    )

    def entrypoint(self: Any) -> Any:
        details = self._evaluation_details.state_machine_details
        return parser.fresh(details.definition, self.state_name)

    checked = parser.checked
    setattr(checked.__func__, _MARK, True)  # type: ignore[attr-defined]
    TestStateAmazonStateLanguageParser.parse = staticmethod(checked)  # type: ignore[method-assign]
    TestStateExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]

    from localstack.services.stepfunctions.asl.static_analyser.test_state.test_state_analyser import (
        TestStateStaticAnalyser,
    )

    TestStateStaticAnalyser.analyse = parser.analysed_once(TestStateStaticAnalyser.analyse)  # type: ignore[method-assign]


def install() -> None:
    """Idempotent."""
    from localstack.services.stepfunctions.asl.parse.test_state.asl_parser import (
        TestStateAmazonStateLanguageParser,
    )

    if not getattr(TestStateAmazonStateLanguageParser.parse, _MARK, False):
        parse_once(ParseOnce())

    from localstack.services.stepfunctions.asl.component.common.string.string_expression import (
        StringContextPath,
    )
    from localstack.services.stepfunctions.asl.component.intrinsic.argument.argument import (
        ArgumentContextPath,
    )
    from localstack.services.stepfunctions.asl.component.test_state.state.execution import (
        MockedStateExecution,
    )
    from localstack.services.stepfunctions.asl.eval.test_state.environment import TestStateEnvironment
    from localstack.services.stepfunctions.asl.static_analyser.test_state.test_state_analyser import (
        TestStateStaticAnalyser,
    )
    from localstack.services.stepfunctions.provider import StepFunctionsProvider

    if not getattr(StepFunctionsProvider.test_state, _MARK, False):
        StepFunctionsProvider.test_state = aws_shaped_test_state(StepFunctionsProvider.test_state)  # type: ignore[method-assign]

    if not getattr(MockedStateExecution.with_retry_state_id, _MARK, False):
        setattr(retry_decision, _MARK, True)
        MockedStateExecution.with_retry_state_id = staticmethod(retry_decision)  # type: ignore[method-assign, assignment]

    if not getattr(TestStateEnvironment.as_frame_of, _MARK, False):
        TestStateEnvironment.as_frame_of = frame_with_context()  # type: ignore[method-assign]

    if not getattr(StringContextPath._eval_body, _MARK, False):
        StringContextPath._eval_body = reads_context_seen(StringContextPath._eval_body)  # type: ignore[method-assign]
    if not getattr(ArgumentContextPath._eval_argument, _MARK, False):
        ArgumentContextPath._eval_argument = reads_context_seen(ArgumentContextPath._eval_argument)  # type: ignore[method-assign]

    validate = TestStateStaticAnalyser.validate_mock_result_matches_api_shape
    if not getattr(validate, _MARK, False):
        TestStateStaticAnalyser.validate_mock_result_matches_api_shape = staticmethod(  # type: ignore[method-assign]
            lambda_payload_is_json(validate)
        )


def lambda_payload_is_json(validate: Callable[..., None]) -> Callable[..., None]:
    """Wrap the mock-result validator: a ``lambda:invoke`` result's ``Payload`` is the function's parsed
    JSON (any value); the other fields are checked against Lambda's ``Invoke`` output as before."""
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.service.state_task_service_lambda import (  # noqa: E501
        StateTaskServiceLambda,
    )

    @functools.wraps(validate)
    def checked(mock_result: Any, field_validation_mode: Any, test_state: Any) -> None:
        if (
            isinstance(test_state, StateTaskServiceLambda)
            and isinstance(mock_result, dict)
            and not isinstance(mock_result.get("Payload", ""), str)
        ):
            mock_result = {key: value for key, value in mock_result.items() if key != "Payload"}
        validate(mock_result=mock_result, field_validation_mode=field_validation_mode, test_state=test_state)

    setattr(checked, _MARK, True)
    return checked
