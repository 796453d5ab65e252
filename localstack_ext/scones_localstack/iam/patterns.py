"""Wildcard matching of policy ``Action``/``Resource`` values and ARN comparison, as IAM defines them.

AWS: "IAM JSON policy elements: Action" - action names are case-insensitive and may use ``*`` and ``?``
anywhere (``s3:Get*``, ``*``); "IAM JSON policy elements: Resource" - ARNs are case-sensitive, ``*``
matches any run of characters and ``?`` one character, and ``"*"`` alone means every resource. The ARN
condition operators ("Condition operators: Amazon Resource Name (ARN) condition operators") compare the
six colon-separated parts of an ARN one by one, so a wildcard in the region part cannot eat the account.

Patterns compile once (``functools.lru_cache``): the gateway evaluates the same handful of statements on
every request, and the issue's budget is one millisecond per evaluated request.
"""

from __future__ import annotations

import re
from functools import lru_cache

ARN_PARTS = 6  # arn:partition:service:region:account:resource (the resource part may hold ':' and '/')


@lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``*`` any run of characters (also none), ``?`` exactly one; everything else literal."""
    if pattern == "*":
        return True
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return _compiled(pattern, ignore_case).fullmatch(value) is not None


def action_matches(pattern: str, action: str) -> bool:
    """An ``Action``/``NotAction`` entry against ``service:Operation``: case-insensitive."""
    return glob_match(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    """A ``Resource``/``NotResource`` entry against the request's ARN: case-sensitive, per ARN part."""
    return arn_like(pattern, resource)


def arn_like(pattern: str, arn: str) -> bool:
    """``ArnLike``: each of the six ARN parts matched on its own; a value that is no ARN matches only a
    pattern that is none either (then as a plain wildcard string), as ``"*"`` matches anything."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", ARN_PARTS - 1)
    arn_parts = arn.split(":", ARN_PARTS - 1)
    if len(pattern_parts) != ARN_PARTS or len(arn_parts) != ARN_PARTS:
        return glob_match(pattern, arn)
    return all(glob_match(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def arn_equals(pattern: str, arn: str) -> bool:
    """``ArnEquals``: AWS documents it as a synonym of ``ArnLike`` (wildcards allowed in both)."""
    return arn_like(pattern, arn)
