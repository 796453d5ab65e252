"""Step Functions refuses a ``.$`` field that is neither a JSONPath nor an intrinsic function call when the
definition is given (CreateStateMachine, UpdateStateMachine, ValidateStateMachineDefinition, TestState).

Why: LocalStack 2026.3.0 accepts ``"a.$": "$$$["`` and the execution fails later with States.Runtime, and
it keeps ``"a.$": "States.Format("`` (an intrinsic its lexer does not recognise) as a literal ``a.$`` key.
AWS refuses both at definition time: ``InvalidDefinition`` "Invalid State Machine Definition:
'SCHEMA_VALIDATION_FAILED: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic
function call at /States/P/Parameters'", as users quote it (aws-cloudformation/cfn-lint#4085; the same
sentence from Terraform and CDK deployments). ValidateStateMachineDefinition answers the same finding as a
diagnostic: code ``SCHEMA_VALIDATION_FAILED``, severity ``ERROR``, the location
``/States/<StateName>/<FieldName>`` (API reference, ValidateStateMachineDefinitionDiagnostic).

What is checked: every key ending in ``.$`` (at any depth) of a JSONPath state's payload templates
(Parameters, ResultSelector, ItemSelector, Assign, ItemReader.Parameters, ItemBatcher.BatchInput), and its
InputPath and OutputPath ("Value must be a valid JSONPath.", cfn-lint#4078), in every state, nested ones
included (Parallel branches, Map processors). A value is valid when LocalStack's own
parsers read it without error, so what passes here also runs: a JSONPath (``$``, ``$.a``, ``$[0]``), a
Context object path (``$$.Execution.Id``), a variable (``$name.field``) or a States.* intrinsic call.
JSONata states are left to LocalStack (``.$`` keys mean nothing there).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MARK = "_scones_definition_checks"

CODE = "SCHEMA_VALIDATION_FAILED"
MUST = "must be a valid JSONPath or a valid intrinsic function call"
# AWS's sentence for an InputPath/OutputPath that is not a path (cfn-lint#4078 quotes CreateStateMachine:
# "SCHEMA_VALIDATION_FAILED: Value must be a valid JSONPath. at /States/Pass/OutputPath").
NOT_A_PATH = "Value must be a valid JSONPath."
PATH_FIELDS = ("InputPath", "OutputPath")
TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector", "Assign")
NESTED_TEMPLATE_FIELDS = (("ItemReader", "Parameters"), ("ItemBatcher", "BatchInput"))
_VARIABLE = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Finding:
    """One field AWS refuses: AWS's sentence for it and where it is (``/States/P/Parameters``: a ``.$`` key
    is reported at its template, a path field at itself)."""

    message: str
    location: str

    @classmethod
    def dollar_field(cls, field: str, location: str) -> Finding:
        return cls(f"The value for the field '{field}' {MUST}", location)

    @classmethod
    def path_field(cls, location: str) -> Finding:
        return cls(NOT_A_PATH, location)


class InvalidPayloadTemplateError(ValueError):
    """The definition has ``.$`` fields AWS refuses (``findings``)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(invalid_definition_message(findings))
        self.findings = findings


def invalid_definition_message(findings: list[Finding]) -> str:
    """AWS's InvalidDefinition message: every finding, ``CODE: message at location``, comma-separated."""
    reasons = ", ".join(f"{CODE}: {finding.message} at {finding.location}" for finding in findings)
    return f"Invalid State Machine Definition: '{reasons}'"


def findings(definition: str) -> list[Finding]:
    """The ``.$`` fields of ``definition`` AWS refuses; [] for a definition that is not a JSON object (the
    other checks report those)."""
    try:
        document = json.loads(definition)
    except (TypeError, ValueError, RecursionError):
        return []
    if not isinstance(document, dict):
        return []
    language = document.get("QueryLanguage", "JSONPath")
    if isinstance(document.get("States"), dict):
        return list(_states(document["States"], "/States", language))
    # TestState's definition may be a single state.
    return list(_state(document, "", language))


def _states(states: dict[str, Any], location: str, language: Any) -> Iterator[Finding]:
    for name, state in states.items():
        if isinstance(state, dict):
            yield from _state(state, f"{location}/{name}", language)


def _state(state: dict[str, Any], location: str, language: Any) -> Iterator[Finding]:
    language = state.get("QueryLanguage", language)
    if language == "JSONPath":
        for field in PATH_FIELDS:
            path = state.get(field)
            if path is not None and not (isinstance(path, str) and is_path(path)):
                yield Finding.path_field(f"{location}/{field}")
        for field in TEMPLATE_FIELDS:
            yield from _template(state.get(field), f"{location}/{field}")
        for outer, inner in NESTED_TEMPLATE_FIELDS:
            holder = state.get(outer)
            if isinstance(holder, dict):
                yield from _template(holder.get(inner), f"{location}/{outer}/{inner}")
    for branch_index, branch in enumerate(_list(state.get("Branches"))):
        if isinstance(branch, dict) and isinstance(branch.get("States"), dict):
            branch_language = branch.get("QueryLanguage", language)
            yield from _states(
                branch["States"], f"{location}/Branches/{branch_index}/States", branch_language
            )
    for processor in ("ItemProcessor", "Iterator"):
        machine = state.get(processor)
        if isinstance(machine, dict) and isinstance(machine.get("States"), dict):
            inner_language = machine.get("QueryLanguage", language)
            yield from _states(machine["States"], f"{location}/{processor}/States", inner_language)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _template(template: Any, location: str) -> Iterator[Finding]:
    """Every ``.$`` key under ``template`` whose value is not a path or an intrinsic call, in document
    order (an explicit stack: a hostile definition may nest deeper than Python recurses)."""
    stack: list[Iterator[Any]] = [iter([template])]
    while stack:
        node = next(stack[-1], _END)
        if node is _END:
            stack.pop()
        elif isinstance(node, list):
            stack.append(iter(node))
        elif isinstance(node, dict):
            stack.append(_children(node, location))
        elif isinstance(node, Finding):
            yield node


def _children(node: dict[Any, Any], location: str) -> Iterator[Any]:
    """A template object's values to descend into, and a Finding for each refused ``.$`` key."""
    for key, value in node.items():
        if isinstance(key, str) and key.endswith(".$"):
            if not (isinstance(value, str) and is_path_or_intrinsic(value)):
                yield Finding.dollar_field(key, location)
        else:
            yield value


_END = object()


@functools.lru_cache(maxsize=4096)
def is_path_or_intrinsic(value: str) -> bool:
    """Whether LocalStack's interpreter can evaluate ``value`` as a ``.$`` field's value."""
    if value.startswith("States."):
        return _is_intrinsic(value)
    return is_path(value)


@functools.lru_cache(maxsize=4096)
def is_path(value: str) -> bool:
    """Whether ``value`` is a JSONPath, a Context object path or a variable path LocalStack can evaluate."""
    if not value.startswith("$"):
        return False
    if value.startswith("$$"):
        return _is_jsonpath(value[1:])
    variable = _VARIABLE.match(value)
    if variable:
        return _is_jsonpath("$" + value[variable.end() :])
    return _is_jsonpath(value)


def _is_jsonpath(path: str) -> bool:
    if path == "$":
        return True
    from jsonpath_ng.ext import parse  # the parser LocalStack's extract_json uses (cached: jsonpath_cache)

    try:
        parse(path)
    except Exception:  # jsonpath_ng's lexer and parser errors, and whatever else it raises on odd input
        return False
    return True


def _is_intrinsic(call: str) -> bool:
    """LocalStack's intrinsic parser, made strict: ANTLR reports syntax errors and recovers by default."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from localstack.services.stepfunctions.asl.antlr.runtime.ASLIntrinsicLexer import ASLIntrinsicLexer
    from localstack.services.stepfunctions.asl.antlr.runtime.ASLIntrinsicParser import ASLIntrinsicParser
    from localstack.services.stepfunctions.asl.parse.intrinsic.preprocessor import Preprocessor

    class Refuse(ErrorListener):  # type: ignore[misc]
        def syntaxError(self, *args: Any) -> None:
            raise InvalidIntrinsicError(call)

    try:
        lexer = ASLIntrinsicLexer(InputStream(call))
        lexer.removeErrorListeners()
        lexer.addErrorListener(Refuse())
        parser = ASLIntrinsicParser(CommonTokenStream(lexer))
        parser.removeErrorListeners()
        parser.addErrorListener(Refuse())
        tree = parser.func_decl()
        Preprocessor().visit(tree)  # argument counts and types: ValueError
    except Exception:  # InvalidIntrinsicError, or the preprocessor refusing the arguments
        return False
    return True


class InvalidIntrinsicError(ValueError):
    """ANTLR found a syntax error in an intrinsic function call."""


def _validate_definition(original: Any) -> Any:
    """``StepFunctionsProvider._validate_definition`` (Create/Update/TestState) that refuses bad ``.$``
    fields as AWS does, before LocalStack's own analysers run."""
    from localstack.aws.api.stepfunctions import InvalidDefinition

    def validate_definition(definition: str, static_analysers: Any) -> None:
        found = findings(definition)
        if found:
            raise InvalidDefinition(invalid_definition_message(found))
        original(definition=definition, static_analysers=static_analysers)

    setattr(validate_definition, _MARK, True)
    return staticmethod(validate_definition)


def _validate_state_machine_definition(original: Any) -> Any:
    """ValidateStateMachineDefinition answers these findings as AWS's diagnostics, one each."""
    from localstack.aws.api.stepfunctions import (
        ValidateStateMachineDefinitionDiagnostic,
        ValidateStateMachineDefinitionOutput,
        ValidateStateMachineDefinitionResultCode,
        ValidateStateMachineDefinitionSeverity,
    )

    @functools.wraps(original)
    def validate(self: Any, context: Any, request: Any, **kwargs: Any) -> Any:
        found = findings(request.get("definition") or "")
        if not found:
            return original(self, context, request, **kwargs)
        diagnostics = [
            ValidateStateMachineDefinitionDiagnostic(
                severity=ValidateStateMachineDefinitionSeverity.ERROR,
                code=CODE,
                message=finding.message,
                location=finding.location,
            )
            for finding in found
        ]
        return ValidateStateMachineDefinitionOutput(
            result=ValidateStateMachineDefinitionResultCode.FAIL, diagnostics=diagnostics, truncated=False
        )

    setattr(validate, _MARK, True)
    return validate


def install() -> None:
    """Idempotent. The provider calls ``_validate_definition`` through its class, so every caller sees it."""
    from localstack.services.stepfunctions.provider import StepFunctionsProvider

    if getattr(StepFunctionsProvider._validate_definition, _MARK, False):
        return
    StepFunctionsProvider._validate_definition = _validate_definition(  # type: ignore[method-assign]
        StepFunctionsProvider._validate_definition
    )
    StepFunctionsProvider.validate_state_machine_definition = _validate_state_machine_definition(  # type: ignore[method-assign]
        StepFunctionsProvider.validate_state_machine_definition
    )
