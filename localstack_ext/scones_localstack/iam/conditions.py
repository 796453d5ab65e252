"""The ``Condition`` element: operators, ``...IfExists``, ``Null``, and the ``ForAllValues``/``ForAnyValue``
set qualifiers, decided against the request context's keys.

AWS references ("IAM JSON policy elements: Condition operators", "Conditions with multiple context keys or
values"):

- several operators in one ``Condition``, and several keys under one operator, are ANDed;
- several values for one key are ORed - for a negated operator (``StringNotEquals``, ``ArnNotLike``,
  ``NotIpAddress`` ...) NORed: the key must match none of them;
- "If the key that you specify in a policy condition is not present in the request context, the values do
  not match and the condition is false. If the policy condition requires that the key is not matched, such
  as StringNotLike or ArnNotLike, and the right key is not present, the condition is true." ``...IfExists``
  makes a missing key true for every operator; ``Null`` tests presence itself;
- condition key names are case-insensitive, values are compared as each operator says;
- ``ForAllValues``: true when every value of the (multivalued) key matches, and when the key is missing or
  empty; ``ForAnyValue``: true when at least one value matches, false when the key is missing.

Policy variables (``${aws:username}``, "IAM policy elements: Variables and tags") are replaced in condition
values from the context; a value whose variable the context lacks matches nothing.

An operator this module does not know raises ``UnsupportedConditionError`` rather than guessing: a policy
that uses one is refused loudly, never silently allowed.
"""

from __future__ import annotations

import ipaddress
import operator as op
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from .patterns import arn_like, glob_match

ContextValue = str | Sequence[str]
Context = Mapping[str, ContextValue]  # keys lower-cased (see normalize_context)


class UnsupportedConditionError(ValueError):
    """A policy names a condition operator (or value) that this engine does not evaluate."""


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def normalize_context(keys: Mapping[str, ContextValue]) -> dict[str, tuple[str, ...]]:
    """Lower-cased key names (they are case-insensitive) to tuples of string values."""
    out: dict[str, tuple[str, ...]] = {}
    for name, value in keys.items():
        if isinstance(value, str):
            out[name.lower()] = (value,)
        elif isinstance(value, bool):
            out[name.lower()] = ("true" if value else "false",)
        else:
            out[name.lower()] = tuple(str(v) for v in value)
    return out


def substitute(value: str, context: Mapping[str, tuple[str, ...]]) -> str | None:
    """``${key}`` replaced by the key's (single) value; None when a variable is missing from the context."""
    if "${" not in value:
        return value
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        found = context.get(match.group(1).strip().lower())
        if not found or len(found) != 1:
            missing = True
            return ""
        return found[0]

    out = _VARIABLE.sub(replace, value)
    return None if missing else out


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> datetime:
    """ISO 8601 (``2026-01-01T00:00:00Z``) or epoch seconds, as the date operators accept."""
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), tz=UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip_in(network: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)


Matcher = Callable[[str, str], bool]  # (policy value, request value) -> match


def _numeric(test: Callable[[float, float], bool]) -> Matcher:
    def match(policy_value: str, request_value: str) -> bool:
        try:
            return test(_number(request_value), _number(policy_value))
        except ValueError:
            return False  # a request value that is no number matches nothing

    return match


def _dated(test: Callable[[datetime, datetime], bool]) -> Matcher:
    def match(policy_value: str, request_value: str) -> bool:
        try:
            return test(_date(request_value), _date(policy_value))
        except ValueError:
            return False

    return match


# operator -> (matcher, negated). A negated operator is "not any of the values matches".
_OPERATORS: dict[str, tuple[Matcher, bool]] = {
    "StringEquals": (lambda p, r: p == r, False),
    "StringNotEquals": (lambda p, r: p == r, True),
    "StringEqualsIgnoreCase": (lambda p, r: p.lower() == r.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, r: p.lower() == r.lower(), True),
    "StringLike": (glob_match, False),
    "StringNotLike": (glob_match, True),
    "NumericEquals": (_numeric(op.eq), False),
    "NumericNotEquals": (_numeric(op.eq), True),
    "NumericLessThan": (_numeric(op.lt), False),
    "NumericLessThanEquals": (_numeric(op.le), False),
    "NumericGreaterThan": (_numeric(op.gt), False),
    "NumericGreaterThanEquals": (_numeric(op.ge), False),
    "DateEquals": (_dated(op.eq), False),
    "DateNotEquals": (_dated(op.eq), True),
    "DateLessThan": (_dated(op.lt), False),
    "DateLessThanEquals": (_dated(op.le), False),
    "DateGreaterThan": (_dated(op.gt), False),
    "DateGreaterThanEquals": (_dated(op.ge), False),
    "Bool": (lambda p, r: p.lower() == r.lower(), False),
    "BinaryEquals": (lambda p, r: p == r, False),  # base64 text compared as given
    "IpAddress": (lambda p, r: _safe_ip(p, r), False),
    "NotIpAddress": (lambda p, r: _safe_ip(p, r), True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
}


def _safe_ip(network: str, address: str) -> bool:
    try:
        return _ip_in(network, address)
    except ValueError:
        return False


def supported_operators() -> tuple[str, ...]:
    """The base operator names (each also with ``IfExists`` and the set qualifiers), plus ``Null``."""
    return (*_OPERATORS, "Null")


def _values(raw: object) -> tuple[str, ...]:
    if isinstance(raw, list | tuple):
        return tuple(_scalar(v) for v in raw)
    return (_scalar(raw),)


def _scalar(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int | float):
        return str(raw)
    raise UnsupportedConditionError(f"condition value {raw!r} is not a string, number or boolean")


def _one_key(
    operator: str,
    key: str,
    policy_values: tuple[str, ...],
    context: Mapping[str, tuple[str, ...]],
    variables: bool,
) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "IfExists"
    base = name[: -len("IfExists")] if if_exists else name
    request_values = context.get(key.lower(), ())

    if base == "Null":
        # {"Null": {"key": "true"}}: true when the key is absent; "false": true when it is present
        absent = not request_values
        return all((v.lower() == "true") == absent for v in policy_values)
    if base not in _OPERATORS:
        raise UnsupportedConditionError(f"condition operator {operator!r} is not supported")
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedConditionError(f"condition set qualifier {qualifier!r} is not supported")
    matcher, negated = _OPERATORS[base]
    if variables:
        resolved = [v for v in (substitute(p, context) for p in policy_values) if v is not None]
    else:
        resolved = list(policy_values)

    def value_matches(request_value: str) -> bool:
        hit = any(matcher(p, request_value) for p in resolved)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return not request_values or all(value_matches(r) for r in request_values)
    if qualifier == "ForAnyValue":
        return any(value_matches(r) for r in request_values)
    if not request_values:
        return if_exists or negated
    # a single-valued operator on a multivalued key: true when any request value satisfies it
    return any(value_matches(r) for r in request_values)


def conditions_hold(
    condition: Mapping[str, object] | None, context: Mapping[str, tuple[str, ...]], *, variables: bool = True
) -> bool:
    """The whole ``Condition`` block: every operator, every key under it, must hold. ``variables``: replace
    ``${...}`` policy variables (only policies of ``Version`` 2012-10-17 have them)."""
    if not condition:
        return True
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            raise UnsupportedConditionError(f"condition {operator!r} must map keys to values")
        for key, raw in block.items():
            if not _one_key(operator, key, _values(raw), context, variables):
                return False
    return True


def validate(condition: Mapping[str, object] | None) -> None:
    """Raise ``UnsupportedConditionError`` now for an operator we cannot evaluate (at policy load)."""
    if not condition:
        return
    for operator, block in condition.items():
        qualifier, _, name = operator.rpartition(":")
        base = name[: -len("IfExists")] if name.endswith("IfExists") else name
        if base != "Null" and base not in _OPERATORS:
            raise UnsupportedConditionError(f"condition operator {operator!r} is not supported")
        if qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise UnsupportedConditionError(f"condition set qualifier {qualifier!r} is not supported")
        if not isinstance(block, Mapping):
            raise UnsupportedConditionError(f"condition {operator!r} must map keys to values")
        for raw in block.values():
            _values(raw)
