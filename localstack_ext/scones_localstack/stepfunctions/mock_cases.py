"""A mocked test case the loaded mock config lacks is an ``InvalidName`` error, not Python text.

Why: with ``SFN_MOCK_CONFIG`` loaded, LocalStack 2026.3.0's ``load_local_mock_test_case_for`` raises
``RuntimeError`` for a state machine or test case the file does not define, which reaches the
``StartExecution`` caller as ``InternalError`` carrying the Python message. Without a file it returns
None, and the provider answers ``InvalidName`` ("Invalid mock test case name ... Either the test case is
not defined or the mock configuration file could not be loaded"). A case missing from a loaded file is
the same mistake, so it gets the same answer (Step Functions Local answers an unknown test case the same
way: a client error naming it, https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-test-sm-exec.html);
the file's problem is logged for whoever reads LocalStack's log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

LOG = logging.getLogger(__name__)
_MARK = "_scones_unknown_case_is_invalid_name"


def none_when_undefined(load: Callable[..., Any]) -> Callable[..., Any]:
    """``load`` with a RuntimeError (an undefined state machine or case) turned into None, logged."""
    if getattr(load, _MARK, False):
        return load

    @functools.wraps(load)
    def load_or_none(*args: Any, **kwargs: Any) -> Any:
        try:
            return load(*args, **kwargs)
        except RuntimeError as exc:
            LOG.warning("mock config: %s", exc)
            return None

    setattr(load_or_none, _MARK, True)
    return load_or_none


def install() -> None:
    from localstack.services.stepfunctions import provider

    provider.load_local_mock_test_case_for = none_when_undefined(  # type: ignore[attr-defined]
        provider.load_local_mock_test_case_for  # type: ignore[attr-defined]
    )
