"""scones.workflow.errors draws its error tree in its docstring: every class is in it, under its base."""

from __future__ import annotations

import inspect
import re

from scones.workflow import errors


def test_docstring_tree__names_every_error_under_its_base() -> None:
    classes = {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, Exception) and value.__module__ == errors.__name__
    }
    drawn = re.findall(r"^[├└]── (\w+)", errors.__doc__ or "", re.MULTILINE)
    assert "TargetUnreachableError" in drawn
    assert sorted(drawn) == sorted(set(classes) - {"WorkflowError"})
    assert all(classes[name].__bases__ == (errors.WorkflowError,) for name in drawn)
