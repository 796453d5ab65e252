"""InvokeEndpoint's input constraints at the gateway, checked before the endpoint is looked up, as AWS does.

Why here too: the stand-in validates what reaches it, but a request for an endpoint with no stand-in (or an
empty name, which no route of a stand-in could carry) is answered by the gateway, and AWS refuses an invalid
request with ValidationError before it ever says "endpoint not found". The constraints are those of the
operation's input shape in the service model LocalStack already loaded (botocore's
data/sagemaker-runtime/2017-05-13/service-2.json, ``InvokeEndpointInput``: EndpointName max 63, pattern
``^[a-zA-Z0-9](-*[a-zA-Z0-9])*``; CustomAttributes max 1024, ``\\p{ASCII}*``, sensitive; InferenceId min 1,
max 64, ``\\A\\S[\\p{Print}]*\\z``; ...). The checks and AWS's (Coral) wording are the same as the stand-in's
(local_endpoint/validation.py, another interpreter, so another copy); tests on both faces assert the same
messages.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localstack.aws.api import CommonServiceException

# java.util.regex POSIX classes used by the model; US-ASCII only, as Java reads them by default.
JAVA_CLASSES = {"ASCII": r"\x00-\x7F", "Print": r"\x20-\x7E"}


def java_regex(pattern: str) -> re.Pattern[str]:
    """A Java pattern of the service model as a Python regex (``\\p{..}`` classes, ``\\z``), used with
    ``fullmatch`` because the service validates with Java's ``matches()`` (the whole value)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "p" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i)
                name = pattern[i + 3 : end]
                if name not in JAVA_CLASSES:
                    raise ValueError(f"unsupported Java character class \\p{{{name}}} in {pattern!r}")
                out.append(JAVA_CLASSES[name] if in_class else f"[{JAVA_CLASSES[name]}]")
                i = end + 1
                continue
            out.append(r"\Z" if nxt == "z" else ch + nxt)
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        out.append(ch)
        i += 1
    return re.compile("".join(out), re.ASCII)


@dataclass(frozen=True)
class Constraint:
    """One string member of the input: where it travels and what the model allows."""

    member: str  # the model's member name, e.g. InferenceId
    location: str  # "uri" or "header"
    location_name: str  # the URI label or header name
    min_length: int | None
    max_length: int | None
    pattern: str | None
    regex: re.Pattern[str] | None
    sensitive: bool

    @property
    def field(self) -> str:
        """The name AWS's messages use: the member name in lower camel case (EndpointName -> endpointName)."""
        return self.member[:1].lower() + self.member[1:]

    def violations(self, value: str) -> list[str]:
        subject = f"Value at '{self.field}'" if self.sensitive else f"Value '{value}' at '{self.field}'"
        broken: list[str] = []
        if self.min_length is not None and len(value) < self.min_length:
            broken.append(f"Member must have length greater than or equal to {self.min_length}")
        if self.max_length is not None and len(value) > self.max_length:
            broken.append(f"Member must have length less than or equal to {self.max_length}")
        if self.regex is not None and self.regex.fullmatch(value) is None:
            broken.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        return [f"{subject} failed to satisfy constraint: {b}" for b in broken]


def constraints_of(shape: Any) -> tuple[Constraint, ...]:
    """The URI and header string members of a botocore input StructureShape, in model order."""
    found: list[Constraint] = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location not in ("uri", "header") or member.type_name != "string":
            continue
        meta = member.metadata
        pattern = meta.get("pattern")
        found.append(
            Constraint(
                member=name,
                location=location,
                location_name=member.serialization.get("name", name),
                min_length=meta.get("min"),
                max_length=meta.get("max"),
                pattern=pattern,
                regex=java_regex(pattern) if pattern else None,
                sensitive=bool(meta.get("sensitive")),
            )
        )
    return tuple(found)


def violations(constraints: tuple[Constraint, ...], values: Mapping[str, str | None]) -> list[str]:
    """Every violation of ``values`` (keyed by member name; None or absent: not sent), in model order."""
    found: list[str] = []
    for constraint in constraints:
        value = values.get(constraint.member)
        if value is not None:
            found += constraint.violations(value)
    return found


class InvalidInput(CommonServiceException):
    """SageMaker Runtime's ValidationError (400, not retryable) listing every violation in AWS's wording."""

    def __init__(self, found: list[str]) -> None:
        noun = "error" if len(found) == 1 else "errors"
        super().__init__(
            "ValidationError", f"{len(found)} validation {noun} detected: " + "; ".join(found), 400
        )


@functools.cache
def _constraints(operation: Any) -> tuple[Constraint, ...]:
    return constraints_of(operation.input_shape)


def check_request(operation: Any, request: Mapping[str, Any]) -> None:
    """Raise InvalidInput when the parsed request breaks its operation's constraints (None: not sent)."""
    values = {name: value for name, value in request.items() if isinstance(value, str)}
    found = violations(_constraints(operation), values)
    if found:
        raise InvalidInput(found)


# -- an empty EndpointName ---------------------------------------------------------------------------
# LocalStack's request router cannot match an empty URI label (``/endpoints//invocations``), so the parser
# fails before any provider runs and the request ends as a retryable 500 InternalError. AWS refuses it as
# invalid input. A response handler (it runs after LocalStack's exception handlers, which would overwrite
# an earlier answer) turns exactly that case into the ValidationError the operation would have raised.
EMPTY_NAME_PATH = re.compile(r"/endpoints//(invocations|invocations-response-stream|async-invocations)")
OPERATIONS = {
    "invocations": "InvokeEndpoint",
    "invocations-response-stream": "InvokeEndpointWithResponseStream",
    "async-invocations": "InvokeEndpointAsync",
}


def answer_empty_endpoint_name(chain: Any, context: Any, response: Any) -> None:
    """Response handler: a POST to ``/endpoints//...`` of sagemaker-runtime answers ValidationError."""
    from localstack.aws.protocol.serializer import create_serializer
    from rolo.request import get_raw_path

    service = context.service
    if service is None or service.service_name != "sagemaker-runtime" or context.operation is not None:
        return
    match = EMPTY_NAME_PATH.fullmatch(get_raw_path(context.request))
    if context.request.method != "POST" or match is None:
        return
    operation = service.operation_model(OPERATIONS[match.group(1)])
    error = InvalidInput(violations(_constraints(operation), {"EndpointName": ""}))
    context.operation = operation
    context.service_exception = error
    serializer = create_serializer(service, context.protocol)
    response.update_from(
        serializer.serialize_error_to_response(error, operation, context.request.headers, context.request_id)
    )


def install() -> None:
    from localstack.aws import handlers

    if answer_empty_endpoint_name not in handlers.run_custom_response_handlers.handlers:
        handlers.run_custom_response_handlers.append(answer_empty_endpoint_name)
