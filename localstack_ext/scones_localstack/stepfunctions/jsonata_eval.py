"""JSONata evaluated in-process by jsonata-python (pure Python), never through a Java download.

Why: LocalStack 2026.3.0 evaluates every JSONata expression in a JVM (Dashjoin's jsonata-java through
JPype), which it first downloads: Java 21 and four Maven jars. Offline, the first ``{% ... %}`` of any
state machine with ``"QueryLanguage": "JSONata"`` (and any ``$variable`` reference in a JSONPath state)
failed with ``States.Runtime`` and ``PackageException(Installation of java 21 failed.)``. It also passed
the bindings as JSONata text prepended to the expression, with string values quoted but not escaped (a
``"`` in ``$states.input`` broke the expression).

What changes: the two places that evaluate (``StringJSONata`` for ``{% %}`` fields, Choice conditions
included; ``StringVariableSample`` for ``$variable`` paths) call jsonata-python with real bindings:
``$states`` (``input``, ``context``, ``result``, ``errorOutput``, as LocalStack tracks them), the workflow
variables of the current scope, and the functions Step Functions adds (see jsonata_functions). Errors
come back as AWS documents them: "States.QueryEvaluationError: Query evaluation failed in a JSONata
state, such as a JSONata type error, an incorrectly typed result, or an undefined result" (Amazon States
Language spec, https://states-language.net/spec.html#appendix-a), with an ``EvaluationFailed`` history
event (``EvaluationFailedEventDetails``: "an evaluation failure ... for example, when a JSONata expression
throws an error") and AWS's cause wording ("The JSONata expression '<expr>' specified for the field
'<field>' returned nothing (undefined)." / "... threw an error during evaluation. <code>: <message>").
LocalStack's own entry point (``eval_jsonata_expression``, text with declarations) is pointed at the same
evaluator, so nothing can start the JVM.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn

import jsonata

from scones_localstack.stepfunctions.jsonata_functions import STEP_FUNCTIONS_FUNCTIONS, FunctionArgumentError

_MARK: Final[str] = "_scones_jsonata"
UNDEFINED: Final[object] = object()
# JSONata 2.0.6 built-ins Step Functions removes (bound to nothing, so a call is JSONata's T1006).
UNAVAILABLE_FUNCTIONS: Final[tuple[str, ...]] = ("eval",)
_INDEX: Final[str] = "_scones_index"
_CLASS_SUFFIX: Final[re.Pattern[str]] = re.compile(r"(String)?JSONata$")


class JSONataEvaluationError(Exception):
    """An expression failed to parse or evaluate; ``code`` is JSONata's error code (e.g. T2002)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnsupportedResultError(Exception):
    """An expression returned something JSON cannot carry (a function)."""


def _lambda(function: Callable[..., Any]) -> Any:
    def call(*args: Any) -> Any:
        result = function(*(None if arg is jsonata.Utils.NULL_VALUE else arg for arg in args))
        return jsonata.Utils.NULL_VALUE if result is None else result

    return jsonata.Jsonata.JLambda(call)


@functools.cache
def _functions() -> dict[str, Any]:
    """Step Functions' functions, and ``$eval`` unbound: "``$eval`` is not available—use ``$parse``
    instead" (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html), so a call
    fails as JSONata fails any call of an unbound name (T1006 "Attempted to invoke a non-function")."""
    return {
        **{name: _lambda(function) for name, function in STEP_FUNCTIONS_FUNCTIONS.items()},
        **dict.fromkeys(UNAVAILABLE_FUNCTIONS),
    }


def _plain(value: Any) -> Any:
    """jsonata-python's sequences and null marker as plain JSON values; a function is refused."""
    if value is jsonata.Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool | int | float | str):
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)  # JSON has one number type; AWS renders 4.0 as 4
        return value
    raise UnsupportedResultError(type(value).__name__)


def evaluate(expression: str, bindings: Mapping[str, Any]) -> Any:
    """The JSON value of ``expression`` under ``bindings`` (names without ``$``), or ``UNDEFINED``.

    A new ``Jsonata`` per call: jsonata-python keeps the expression being evaluated in a thread-local
    set by its constructor, so a parsed object reused across executions' threads is not safe (parsing
    and evaluating a Choice condition takes ~0.3 ms)."""
    try:
        expr = jsonata.Jsonata(expression)
        expr.set_output_convert_nulls(False)
        result = expr.evaluate(None, {**_functions(), **bindings})
    except jsonata.JException as error:
        raise JSONataEvaluationError(error.error, str(error)) from None
    except FunctionArgumentError as error:
        raise JSONataEvaluationError(error.code, str(error)) from None
    except RecursionError:
        raise JSONataEvaluationError("D1011", "Stack overflow error") from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError) as error:
        # jsonata-python bugs on odd input: still a failed evaluation, never Python text to the caller.
        raise JSONataEvaluationError(
            "D0000", f"The expression could not be evaluated ({type(error).__name__})"
        ) from None
    if result is None:
        return UNDEFINED
    return _plain(result)


def _variables(env: Any) -> dict[str, Any]:
    store = env.variable_store
    return {**getattr(store, "_outer_scope", {}), **getattr(store, "_inner_scope", {})}


def _fail(env: Any, cause: str, jsonata_state: bool) -> NoReturn:
    """Raise the failure LocalStack's states catch (Retry/Catch match ``error``), with the history
    event AWS records: ``EvaluationFailed`` in a JSONata state, ``TaskFailed``-shaped otherwise (as
    LocalStack reports a JSONPath that finds nothing)."""
    from localstack.aws.api.stepfunctions import (
        EvaluationFailedEventDetails,
        HistoryEventType,
        TaskFailedEventDetails,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from localstack.services.stepfunctions.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from localstack.services.stepfunctions.asl.eval.event.event_detail import EventDetails

    if jsonata_state:
        name = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
        details = EvaluationFailedEventDetails(error=name.error_name, cause=cause)
        if location := field_name(env):
            details["location"] = location
        event = FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
        raise FailureEventException(failure_event=event)
    name = StatesErrorName(typ=StatesErrorNameType.StatesRuntime)
    raise FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(
                taskFailedEventDetails=TaskFailedEventDetails(error=name.error_name, cause=cause)
            ),
        )
    )


class FieldPath(threading.local):
    """The field being evaluated, as AWS names it in a cause and in ``EvaluationFailedEventDetails.location``:
    relative to the state, ``/`` before each object key, ``[i]`` after each array index (``Output/v``,
    ``Arguments/Input/pushLocation``, ``Assign/x``, ``Output/items[1]``). LocalStack only kept the last
    component's name (the key, ``v``). One per thread: each execution, and each Map/Parallel branch, is
    evaluated on its own thread."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.scope = ""  # "Choices[1]/" or "Catch[0]/" while a Choice rule or a Catcher evaluates

    def text(self) -> str | None:
        return "".join(self.parts) or None


FIELD_PATH: Final[FieldPath] = FieldPath()


def _within(part: Callable[[Any], str], eval_body: Callable[..., None]) -> Callable[..., None]:
    """Wrap a component's ``_eval_body``: ``part(component)`` is on the field path while it evaluates."""

    @functools.wraps(eval_body)
    def evaluate_within(self: Any, env: Any) -> None:
        if not FIELD_PATH.parts:  # not under a field named above: LocalStack's naming (the key)
            eval_body(self, env)
            return
        FIELD_PATH.parts.append(part(self))
        try:
            eval_body(self, env)
        finally:
            FIELD_PATH.parts.pop()

    return evaluate_within


def _field(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A top-level field opens a new path (a Catch's or Choice's own ``Output`` is not nested in it)."""

    def enter(eval_body: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(eval_body)
        def evaluate_field(self: Any, env: Any) -> None:
            saved, FIELD_PATH.parts = FIELD_PATH.parts, [FIELD_PATH.scope + name]
            try:
                eval_body(self, env)
            finally:
                FIELD_PATH.parts = saved

        return evaluate_field

    return enter


def _scoped(kind: str, eval_body: Callable[..., None]) -> Callable[..., None]:
    """Wrap a Choice rule's or a Catcher's ``_eval_body``: its own fields are named under it
    (``Choices[1]/Condition``, ``Catch[0]/Output/v``); the index is set when the state is built."""

    @functools.wraps(eval_body)
    def evaluate_scoped(self: Any, env: Any) -> None:
        index = getattr(self, _INDEX, None)
        saved = FIELD_PATH.scope
        FIELD_PATH.scope = "" if index is None else f"{kind}[{index}]/"
        try:
            eval_body(self, env)
        finally:
            FIELD_PATH.scope = saved

    return evaluate_scoped


def _indexing(items: str, init: Callable[..., None]) -> Callable[..., None]:
    """Wrap ``ChoicesDecl.__init__``/``CatchDecl.__init__``: each rule or catcher learns its index."""

    @functools.wraps(init)
    def indexed(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        for index, item in enumerate(getattr(self, items, None) or []):
            setattr(item, _INDEX, index)

    return indexed


def condition_jsonata(self: Any, env: Any) -> None:
    """``ConditionStringJSONata._eval_body``: a Condition that is not a boolean fails the state with
    States.QueryEvaluationError ("an incorrectly typed result", ASL appendix A); LocalStack raised a
    RuntimeError whose Python text became an execution's cause."""
    self.string_jsonata.eval(env=env)
    if not isinstance(env.stack[-1], bool):
        env.stack.pop()
        _fail(env, f"{_described(self.string_jsonata.expression, env)} returned a non-boolean result.", True)


def _indexed_array(self: Any, env: Any) -> None:
    """``JSONataTemplateValueArray``/``AssignTemplateValueArray`` with ``[i]`` on the path per element."""
    values = []
    named = bool(FIELD_PATH.parts)
    for index, value in enumerate(self.values):
        if named:
            FIELD_PATH.parts.append(f"[{index}]")
        try:
            value.eval(env)
        finally:
            if named:
                FIELD_PATH.parts.pop()
        values.append(env.stack.pop())
    env.stack.append(values)


def field_name(env: Any) -> str | None:
    """The path (FieldPath), else LocalStack's field name without its class-name suffix: ``Seconds``, not
    ``SecondsJSONata`` (``TimeoutSeconds``, ``HeartbeatSeconds``, ``MaxConcurrency``, ``MaxItems``,
    ``ToleratedFailureCount``, ``ToleratedFailurePercentage`` likewise)."""
    if path := FIELD_PATH.text():
        return path
    name = env.next_field_name
    return _CLASS_SUFFIX.sub("", name) if isinstance(name, str) else name


def _described(expression: str, env: Any) -> str:
    field = field_name(env)
    where = f" specified for the field '{field}'" if field else ""
    return f"The JSONata expression '{expression}'{where}"


def evaluate_in_state(env: Any, expression: str, *, jsonata_state: bool, allow_undefined: bool) -> Any:
    """Evaluate a state's expression with ``$states`` (JSONata states only) and the workflow variables;
    failures become the state's failure (see ``_fail``)."""
    from scones_localstack.stepfunctions.test_state import context_seen

    bindings = _variables(env)
    if jsonata_state:
        states = env.states._states_data
        context = context_seen(env)
        bindings["states"] = states if context is states.get("context") else {**states, "context": context}
    try:
        result = evaluate(expression, bindings)
    except JSONataEvaluationError as failure:
        _fail(
            env,
            f"{_described(expression, env)} threw an error during evaluation. {failure}",
            jsonata_state,
        )
    except UnsupportedResultError:
        _fail(env, f"{_described(expression, env)} returned an unsupported result type.", jsonata_state)
    if result is UNDEFINED:
        if allow_undefined:
            return None
        _fail(env, f"{_described(expression, env)} returned nothing (undefined).", jsonata_state)
    return result


def _evaluate_text(expression: str) -> Any:
    """LocalStack's own entry point (an expression with its bindings declared as text)."""
    from localstack.services.stepfunctions.asl.jsonata.jsonata import JSONataException

    try:
        result = evaluate(expression, {})
    except JSONataEvaluationError as failure:
        raise JSONataException(failure.code, str(failure)) from None
    except UnsupportedResultError:
        raise JSONataException("UNSUPPORTED", "the expression returned an unsupported result type") from None
    return None if result is UNDEFINED else result


def install() -> None:
    """Evaluate JSONata in-process everywhere LocalStack does; idempotent."""
    from localstack.services.stepfunctions.asl.component.common.assign.assign_decl import AssignDecl
    from localstack.services.stepfunctions.asl.component.common.assign.assign_template_binding import (
        AssignTemplateBinding,
    )
    from localstack.services.stepfunctions.asl.component.common.assign.assign_template_value_array import (
        AssignTemplateValueArray,
    )
    from localstack.services.stepfunctions.asl.component.common.catch.catch_decl import CatchDecl
    from localstack.services.stepfunctions.asl.component.common.catch.catcher_decl import CatcherDecl
    from localstack.services.stepfunctions.asl.component.common.jsonata.jsonata_template_binding import (
        JSONataTemplateBinding,
    )
    from localstack.services.stepfunctions.asl.component.common.jsonata.jsonata_template_value import (
        JSONataTemplateValue,
    )
    from localstack.services.stepfunctions.asl.component.common.jsonata.jsonata_template_value_array import (
        JSONataTemplateValueArray,
    )
    from localstack.services.stepfunctions.asl.component.common.outputdecl import Output
    from localstack.services.stepfunctions.asl.component.common.parargs import Arguments
    from localstack.services.stepfunctions.asl.component.common.query_language import QueryLanguageMode
    from localstack.services.stepfunctions.asl.component.common.string import string_expression
    from localstack.services.stepfunctions.asl.component.state.state_choice.choice_rule import ChoiceRule
    from localstack.services.stepfunctions.asl.component.state.state_choice.choices_decl import ChoicesDecl
    from localstack.services.stepfunctions.asl.component.state.state_choice.comparison.comparison import (
        ConditionStringJSONata,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_map.item_selector import (  # noqa: E501
        ItemSelector,
    )
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_map.items.items import (
        ItemsJSONata,
    )
    from localstack.services.stepfunctions.asl.jsonata import jsonata as localstack_jsonata

    if getattr(string_expression, _MARK, False):
        return

    def string_jsonata(self: Any, env: Any) -> None:
        env.stack.append(evaluate_in_state(env, self.expression, jsonata_state=True, allow_undefined=False))

    def variable_sample(self: Any, env: Any) -> None:
        jsonata_state = self.query_language_mode == QueryLanguageMode.JSONata
        env.stack.append(
            evaluate_in_state(env, self.expression, jsonata_state=jsonata_state, allow_undefined=True)
        )

    # The field a cause names: LocalStack records each component's class name as the "field" unless it
    # names one, so a template value overwrote its key ('JSONataTemplateValueTerminalStringJSONata').
    # Template values now keep their binding's key; a Choice condition is AWS's field 'Condition'; and
    # Output, Arguments and Assign name the whole path (FieldPath).
    JSONataTemplateValue._field_name = lambda self: None  # type: ignore[method-assign]
    ConditionStringJSONata._field_name = lambda self: None  # type: ignore[method-assign]
    ConditionStringJSONata._eval_body = _field("Condition")(condition_jsonata)  # type: ignore[method-assign]
    ChoicesDecl.__init__ = _indexing("rules", ChoicesDecl.__init__)  # type: ignore[method-assign]
    CatchDecl.__init__ = _indexing("catchers", CatchDecl.__init__)  # type: ignore[method-assign]
    ChoiceRule._eval_body = _scoped("Choices", ChoiceRule._eval_body)  # type: ignore[method-assign]
    CatcherDecl._eval_body = _scoped("Catch", CatcherDecl._eval_body)  # type: ignore[method-assign]
    Output._eval_body = _field("Output")(Output._eval_body)  # type: ignore[method-assign]
    Arguments._eval_body = _field("Arguments")(Arguments._eval_body)  # type: ignore[method-assign]
    AssignDecl._eval_body = _field("Assign")(AssignDecl._eval_body)  # type: ignore[method-assign]
    ItemSelector._eval_body = _field("ItemSelector")(ItemSelector._eval_body)  # type: ignore[method-assign]
    ItemsJSONata._eval_body = _field("Items")(ItemsJSONata._eval_body)  # type: ignore[method-assign]
    for binding in (JSONataTemplateBinding, AssignTemplateBinding):
        binding._eval_body = _within(lambda self: f"/{self.identifier}", binding._eval_body)  # type: ignore[method-assign]
    JSONataTemplateValueArray._eval_body = _indexed_array  # type: ignore[method-assign]
    AssignTemplateValueArray._eval_body = _indexed_array  # type: ignore[method-assign]
    string_expression.StringJSONata._eval_body = string_jsonata  # type: ignore[method-assign]
    string_expression.StringVariableSample._eval_body = variable_sample  # type: ignore[method-assign]
    # Anything else that evaluates goes through LocalStack's lazy pointer: set it, so the JVM bridge is
    # never built (the bridge downloads Java on first use).
    localstack_jsonata._eval_jsonata = _evaluate_text
    setattr(string_expression, _MARK, True)
