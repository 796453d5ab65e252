"""Requests LocalStack cannot parse are refused as AWS refuses them, never with LocalStack's own words.

Why: LocalStack 2026.3.0's request parser raises ``RequestParserError`` for a body that is not JSON, a
value of the wrong type (``"retrierRetryCount": "x"``), an unknown ``X-Amz-Target`` or path, and its
``ServiceExceptionSerializer`` answered every one with a 500 ``InternalError`` "exception while calling
stepfunctions with unknown operation: Invalid type when parsing ...": a server fault that SDKs retry,
worded after the emulator's internals. It also let through values of the wrong JSON type that Python
happens to convert (``"5"`` for an integer, ``5`` for a string), which AWS refuses.

What AWS answers, per protocol:

- JSON protocols (awsJson1_0/1_1: Step Functions, SageMaker; restJson1: most REST services) answer a
  body that is not JSON or a value of the wrong type with 400 ``SerializationException``: Smithy's
  protocol compliance suite (smithy-lang/smithy, smithy-aws-protocol-tests, restJson1
  ``httpMalformedRequestTests``: "When the request body is not valid JSON, the response should be a 400
  SerializationException", the same for malformed integers, booleans, blobs, lists, maps). Coral's
  wording for a wrong type is "STRING_VALUE cannot be converted to Integer" (ECS, awsJson1_1:
  aws/aws-cdk-cli#973) and "Start of structure or map found where not expected." (DynamoDB). A service
  that models its own error for this is answered with it: Lambda's ``InvalidRequestContentException``
  ("The request body could not be parsed as JSON, or a request header is invalid", botocore
  lambda/2015-03-31/service-2.json).
- An unknown ``X-Amz-Target`` is 400 ``UnknownOperationException`` (awsJson); an unknown REST path 404
  ``UnknownOperationException``.
- Query protocols: ``InvalidAction`` (unknown or missing Action) and ``InvalidParameterValue`` (a value
  that cannot be read), both 400 (AWS's Common Errors page of every query API reference).
- S3 / rest-xml: ``MalformedXML`` for a body that is not XML, ``InvalidArgument`` for a value that
  cannot be read, both 400 (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).

Installed from the ``one_parser_per_service`` hook: the parser's error path, next to its caches.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

_MARK = "_scones_request_parsing"

JSON_PROTOCOLS = ("json", "rest-json")
MODELED_BODY_ERROR = "InvalidRequestContentException"

# Coral's names for the JSON token found where another type was expected.
_TOKEN = {str: "STRING_VALUE", bool: "BOOLEAN_VALUE", int: "NUMBER_VALUE", float: "NUMBER_VALUE"}
_EXPECTED = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
    "timestamp": "Date",
    "blob": "ByteBuffer",
    "structure": "Structure",
    "list": "List",
    "map": "Map",
}


@dataclass(frozen=True)
class Refusal:
    """The AWS error a malformed request gets: code, HTTP status, message."""

    code: str
    status: int
    message: str


def mismatch(shape: Any, value: Any) -> str | None:
    """Coral's message for the first value in ``value`` (parsed JSON) not of ``shape``'s type, or None.

    Unknown members are ignored and ``null`` stands for an absent member, as AWS's JSON services do.
    """
    if value is None or shape is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return None
        if not isinstance(value, dict):
            return _wrong(value, kind)
        members = _body_members(shape)
        for key, item in value.items():
            found = mismatch(members.get(key), item)
            if found:
                return found
        return None
    if kind == "list":
        if not isinstance(value, list):
            return _wrong(value, kind)
        return next((m for item in value if (m := mismatch(shape.member, item))), None)
    if kind == "map":
        if not isinstance(value, dict):
            return _wrong(value, kind)
        return next((m for item in value.values() if (m := mismatch(shape.value, item))), None)
    if kind in ("string", "blob", "character"):
        ok = isinstance(value, str)
    elif kind in ("integer", "long", "short", "byte", "bigInteger"):
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer()
        )
    elif kind in ("float", "double", "bigDecimal"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok or value in ("NaN", "Infinity", "-Infinity")
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "timestamp":
        ok = isinstance(value, int | float | str) and not isinstance(value, bool)
    else:
        ok = True
    return None if ok else _wrong(value, kind)


@functools.lru_cache(maxsize=4096)
def _body_members(shape: Any) -> dict[str, Any]:
    """A structure's body members by their JSON name (botocore rebuilds ``members`` on every access: this
    walk would cost 100-150 us a request without the cache)."""
    return {
        member.serialization.get("name", name): member
        for name, member in shape.members.items()
        if not member.serialization.get("location")
    }


def _wrong(value: Any, expected_kind: str) -> str:
    if isinstance(value, dict):
        return "Start of structure or map found where not expected."
    if isinstance(value, list):
        return "Start of list found where not expected."
    token = _TOKEN.get(type(value), "VALUE")
    return f"{token} cannot be converted to {_EXPECTED.get(expected_kind, expected_kind.title())}"


def json_body_shape(operation: Any, protocol: str) -> Any:
    """The shape the JSON body of ``operation``'s request follows (None: the body is not JSON members)."""
    shape = operation.input_shape
    if shape is None or protocol != "rest-json":
        return shape
    payload = shape.serialization.get("payload")
    if not payload:
        return shape
    member = shape.members[payload]
    return member if member.type_name == "structure" else None


def body_json(request: Any) -> Any:
    """The request body as JSON, None if it is empty, not JSON or CBOR."""
    if request.mimetype.startswith("application/x-amz-cbor") or not request.get_data(cache=True):
        return None
    # werkzeug caches the parse: LocalStack's parser has already paid for it.
    return request.get_json(force=True, silent=True)


def refusal_for(exception: BaseException, context: Any) -> Refusal:
    """The AWS error for a ``RequestParserError`` of LocalStack's parser on ``context``'s request."""
    from localstack.aws.protocol.parser import OperationNotFoundParserError

    protocol = context.protocol or context.service.protocol
    cause = exception.__cause__
    unknown_operation = isinstance(exception, OperationNotFoundParserError) or (
        protocol == "json" and _requested_operation(context) is None
    )
    if protocol in ("query", "ec2"):
        if unknown_operation or "Missing Action" in str(exception):
            return Refusal("InvalidAction", 400, "The action or operation requested is invalid.")
        return Refusal(
            "InvalidParameterValue",
            400,
            "An invalid or out-of-range value was supplied for the input parameter.",
        )
    if unknown_operation:
        status = 400 if protocol == "json" else 404
        return Refusal("UnknownOperationException", status, "The operation requested is not known.")
    if protocol == "rest-xml":
        if isinstance(cause, ParseError):
            return Refusal(
                "MalformedXML",
                400,
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        return Refusal("InvalidArgument", 400, "A value in the request could not be read.")
    # JSON and CBOR protocols.
    message = "A value in the request could not be read."
    operation = _requested_operation(context)
    shape = None if operation is None else json_body_shape(operation, protocol)
    if protocol in JSON_PROTOCOLS and shape is not None:
        parsed = body_json(context.request)
        cbor = context.request.mimetype.startswith("application/x-amz-cbor")
        if parsed is None and not cbor and context.request.get_data(cache=True):
            message = "The request body is not valid JSON."
        elif parsed is not None:
            message = mismatch(shape, parsed) or message
    code = "SerializationException"
    if _modeled(context, MODELED_BODY_ERROR):
        code = MODELED_BODY_ERROR
    return Refusal(code, 400, message)


def _modeled(context: Any, code: str) -> bool:
    try:
        context.service.shape_for(code)
    except Exception:  # botocore's NoShapeFoundError: the service does not model it
        return False
    return True


def _requested_operation(context: Any) -> Any:
    """The operation the request names (X-Amz-Target, or the REST route), None if the service has none."""
    if context.operation is not None:
        return context.operation
    try:
        if context.protocol == "json":
            target = context.request.headers.get("X-Amz-Target", "")
            return context.service.operation_model(target.rpartition(".")[2])
        from localstack.aws.protocol.parser import create_parser

        router = getattr(create_parser(context.service, context.protocol), "_operation_router", None)
        return None if router is None else router.match(context.request)[0]
    except Exception:  # botocore's OperationNotFoundError, werkzeug's NotFound: no such operation
        return None


def _create_exception_response(original: Any) -> Any:
    """``ServiceExceptionSerializer.create_exception_response`` that answers parser errors as AWS does."""
    from localstack.aws.api import CommonServiceException
    from localstack.aws.protocol.parser import RequestParserError
    from localstack.aws.protocol.serializer import create_serializer

    def create_exception_response(self: Any, exception: Exception, context: Any) -> Any:
        if not isinstance(exception, RequestParserError) or not context.service:
            return original(self, exception, context)
        refusal = refusal_for(exception, context)
        error = CommonServiceException(refusal.code, refusal.message, status_code=refusal.status)
        context.service_exception = error
        # Serializers need an operation for the response's defaults; as LocalStack does for its
        # 500s, the service's first one stands in when the request named none it knows.
        operation = _requested_operation(context) or context.service.operation_model(
            context.service.operation_names[0]
        )
        serializer = create_serializer(context.service, context.protocol)
        return serializer.serialize_error_to_response(
            error, operation, context.request.headers, context.request_id
        )

    setattr(create_exception_response, _MARK, True)
    return create_exception_response


def _parse_and_enrich(original: Any) -> Any:
    """``ServiceRequestParser.parse_and_enrich`` that also refuses JSON values of the wrong type, which
    LocalStack's parser converts (``"5"`` to 5) or passes through (5 for a string)."""
    from localstack.aws.api import CommonServiceException

    def parse_and_enrich(self: Any, context: Any) -> None:
        original(self, context)
        protocol = context.protocol
        if protocol not in JSON_PROTOCOLS or context.operation is None:
            return
        shape = json_body_shape(context.operation, protocol)
        if shape is None:  # a blob payload is a stream the provider reads: never touched here
            return
        parsed = body_json(context.request)
        if parsed is None:
            return
        found = mismatch(shape, parsed)
        if found:
            code = MODELED_BODY_ERROR if _modeled(context, MODELED_BODY_ERROR) else "SerializationException"
            raise CommonServiceException(code, found, status_code=400)

    setattr(parse_and_enrich, _MARK, True)
    return parse_and_enrich


def install() -> None:
    """Idempotent: patches the two handler classes of LocalStack's chain (instances look methods up)."""
    from localstack.aws.handlers.service import ServiceExceptionSerializer, ServiceRequestParser

    if not getattr(ServiceExceptionSerializer.create_exception_response, _MARK, False):
        ServiceExceptionSerializer.create_exception_response = _create_exception_response(  # type: ignore[method-assign]
            ServiceExceptionSerializer.create_exception_response
        )
    if not getattr(ServiceRequestParser.parse_and_enrich, _MARK, False):
        ServiceRequestParser.parse_and_enrich = _parse_and_enrich(  # type: ignore[method-assign]
            ServiceRequestParser.parse_and_enrich
        )
