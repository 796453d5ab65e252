"""The three Lambdas' errors have one shape: each ships alone, so each has its own tree, but the trees agree.

Shape: ``<Step>Error(Exception)`` is the base of every error the step raises (the class name is the
``errorType`` Step Functions matches on, see the Lambda Python runtime: ``type(exc).__name__``), and
``InvalidEventError`` is ``(<Step>Error, ValueError)``: a malformed event is a bad value, never retried.
The names the state machine's Retry/Catch match on must stay the names the Lambdas raise.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import ModuleType

import pytest

from lambdas.classify import logic as classify
from lambdas.filter_confidence import logic as filter_confidence
from lambdas.serialize_image import logic as serialize_image

ROOT = Path(__file__).resolve().parents[2]
BASES = {
    classify: "ClassifyError",
    filter_confidence: "FilterConfidenceError",
    serialize_image: "SerializeImageError",
}


def errors_of(module: ModuleType) -> dict[str, type[BaseException]]:
    """Every exception class the module defines, by the name the runtime reports (``__name__``)."""
    return {
        value.__name__: value
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__
    }


@pytest.mark.parametrize("module", list(BASES), ids=lambda m: m.__name__.split(".")[1])
def test_each_lambda__one_base_error_and_invalid_event_is_a_value_error(module: ModuleType) -> None:
    errors = errors_of(module)
    base = errors[BASES[module]]
    assert base.__bases__ == (Exception,)
    assert all(issubclass(error, base) for error in errors.values()), errors
    assert module.InvalidEventError.__bases__ == (base, ValueError)
    # The module docstring draws the same tree.
    doc = module.__doc__ or ""
    assert f"{base.__name__} (base)" in doc
    assert all(name in doc for name in errors), sorted(name for name in errors if name not in doc)


def test_state_machine__matches_only_error_names_the_lambdas_raise() -> None:
    definition = json.loads((ROOT / "statemachine" / "workflow.asl.json").read_text())
    matched: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            matched.update(node.get("ErrorEquals", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(definition)
    ours = {name for name in matched if not name.startswith(("States.", "Lambda.", "S3."))}
    raised = {name for module in BASES for name in errors_of(module)}
    assert ours == {"EndpointUnavailableError", "EndpointNotFoundError", "LowConfidenceError"}
    assert ours <= raised
