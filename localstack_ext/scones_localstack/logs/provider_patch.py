"""LocalStack's CloudWatch Logs provider with real filter patterns (see filter_pattern).

Why: LocalStack community routes ``FilterLogEvents``, subscription filters and metric filters through
``localstack.services.logs.provider.get_pattern_matcher``, which it documents as "Can be patched by plugins to
return a more sophisticated pattern matcher" and which answers "match" for every pattern. We replace it
with :func:`~scones_localstack.logs.filter_pattern.compile_pattern`, and refuse an invalid pattern as AWS
does: with ``InvalidParameterException`` when the filter is searched (FilterLogEvents) or created
(PutMetricFilter, PutSubscriptionFilter; the botocore model lists that error for all three), never
later on PutLogEvents.

The provider module imports moto's logs backend, which LocalStack loads on the first Logs request; the patch
waits for that import (:func:`when_imported`) rather than paying for it at start-up.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Final

from scones_localstack.logs.filter_pattern import InvalidFilterPatternError, Matcher, compile_pattern

PROVIDER_MODULE: Final = "localstack.services.logs.provider"
_MARK: Final = "_scones_filter_patterns"


def invalid_parameter(error: InvalidFilterPatternError) -> Exception:
    """The API error a caller gets for an invalid pattern (AWS's code; our parser's message)."""
    from localstack.aws.api.logs import InvalidParameterException

    return InvalidParameterException(str(error))


def checked(pattern: str | None) -> Matcher:
    """The pattern's matcher, or AWS's ``InvalidParameterException`` when it is not valid syntax."""
    try:
        return compile_pattern(pattern)
    except InvalidFilterPatternError as error:
        raise invalid_parameter(error) from None


def get_pattern_matcher(pattern: str) -> Callable[[str, dict[str, Any]], bool]:
    """LocalStack's matcher signature: ``matches(pattern, event)`` with an event dict holding ``message``."""
    matcher = checked(pattern)
    return lambda _pattern, event: matcher(str(event.get("message", "")))


def validating(method: Callable[..., Any], pattern_index: int) -> Callable[..., Any]:
    """Wraps a moto backend ``put_*_filter`` method: check the pattern before moto stores it."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        pattern = kwargs["filter_pattern"] if "filter_pattern" in kwargs else args[pattern_index]
        checked(pattern)
        return method(self, *args, **kwargs)

    setattr(wrapper, _MARK, True)
    return wrapper


def patch_provider(provider: ModuleType) -> None:
    """Idempotent: the module-level matcher (looked up at call time by every caller in that module) and
    the two moto methods that store patterns."""
    from moto.logs.models import LogsBackend

    provider.get_pattern_matcher = get_pattern_matcher  # type: ignore[attr-defined]
    # moto's argument orders: put_metric_filter(filter_name, filter_pattern, ...),
    # put_subscription_filter(log_group_name, filter_name, filter_pattern, ...).
    for name, index in (("put_metric_filter", 1), ("put_subscription_filter", 2)):
        method = getattr(LogsBackend, name)
        if not getattr(method, _MARK, False):
            setattr(LogsBackend, name, validating(method, index))


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: when ``name`` is about to be imported, it wraps the real loader so ``patch``
    runs right after the module's body."""

    def __init__(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self.name = name
        self.patch = patch

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        exec_module = loader.exec_module
        patch = self.patch

        def exec_then_patch(module: ModuleType) -> None:
            exec_module(module)
            patch(module)

        loader.exec_module = exec_then_patch  # type: ignore[method-assign]
        return spec


def when_imported(name: str, patch: Callable[[ModuleType], None]) -> None:
    """Run ``patch(module)`` now if ``name`` is imported, else right after it is."""
    module = sys.modules.get(name)
    if module is not None:
        patch(module)
    elif not any(isinstance(f, _PatchOnImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport(name, patch))


def install() -> None:
    """Idempotent; the logs provider gets the real matcher whenever LocalStack loads it."""
    when_imported(PROVIDER_MODULE, patch_provider)
