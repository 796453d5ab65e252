"""Marshalling of handler results and errors exactly as AWS's Python runtime (awslambdaric) does it.

Runs in the FUNCTION's interpreter: standard library only, Python >= 3.8.

awslambdaric encodes with ``simplejson`` (pinned ==3.17.2) through an encoder built as
``JSONEncoder(use_decimal=False[, ensure_ascii=False])`` whose ``default`` turns a Decimal into
``RawJSON(str(d))`` (NaN decimals into ``NaN``). With those simplejson defaults that means, unlike
``json.dumps``:

* a top-level ``bytes`` result is not encoded at all: it is returned as the raw response body;
* ``bytes`` inside the result (values and keys) are decoded as UTF-8 (undecodable -> marshal error);
* ``Decimal`` is written verbatim (``Decimal("1.10")`` -> ``1.10``, ``Decimal("1E+2")`` -> ``1E+2``);
* anything with a callable ``_asdict()`` (namedtuples) becomes an object, other tuples arrays;
* NaN and infinities are allowed (``NaN``, ``Infinity``, ``-Infinity``);
* ``ensure_ascii=False`` only for the runtimes AWS switched (python3.12 and later): older runtimes
  escape non-ASCII as ``\\uXXXX``.

Anything else (a set, an arbitrary object) fails with simplejson's message, which the runtime returns
as ``Runtime.MarshalError`` "Unable to marshal response: Object of type set is not JSON serializable".
"""

from __future__ import annotations

import decimal
import json.encoder
import math
import traceback
from collections.abc import Callable
from typing import Any

ERROR_LOG_LINE_TERMINATE = "\r"
ERROR_LOG_INDENT = "\u00a0"  # awslambdaric indents traceback lines with NO-BREAK SPACE in logs

_FLOAT_REPR = float.__repr__
_INT_REPR = int.__repr__


class FaultError(Exception):
    """A runtime fault: reported with a ``Runtime.*`` errorType and the given message."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def ensure_ascii_for(execution_env: str | None) -> bool:
    """awslambdaric escapes non-ASCII except on AWS_Lambda_python3.12 and newer."""
    prefix = "AWS_Lambda_python"
    if not execution_env or not execution_env.startswith(prefix):
        return True
    try:
        major, minor = (int(p) for p in execution_env[len(prefix) :].split(".")[:2])
    except ValueError:
        return True
    return (major, minor) < (3, 12)


def _float_str(value: float) -> str:
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return _FLOAT_REPR(value)


def _key_str(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        return key.decode("utf-8")
    if isinstance(key, float):
        return _float_str(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return _INT_REPR(key)
    name = type(key).__name__ if type(key).__module__ == "builtins" else _c_type_name(key)
    raise TypeError("keys must be str, int, float, bool or None, not " + name)


def _c_type_name(obj: Any) -> str:
    """simplejson's C encoder names types by tp_name: 'decimal.Decimal' for C types, 'K' for classes."""
    cls = type(obj)
    if cls.__flags__ & (1 << 9):  # Py_TPFLAGS_HEAPTYPE: a class defined in Python
        return cls.__name__
    return cls.__module__ + "." + cls.__qualname__


def to_json(obj: Any, ensure_ascii: bool) -> str:
    """simplejson.dumps as awslambdaric configures it (see the module docstring)."""
    encode_str: Callable[[str], str] = (
        json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    )
    chunks: list[str] = []
    markers: dict[int, Any] = {}
    key_memo: dict[Any, str] = {}

    def enc(o: Any) -> None:
        if isinstance(o, str):
            chunks.append(encode_str(o))
        elif isinstance(o, bytes):
            chunks.append(encode_str(o.decode("utf-8")))
        elif o is None:
            chunks.append("null")
        elif o is True:
            chunks.append("true")
        elif o is False:
            chunks.append("false")
        elif isinstance(o, int):
            chunks.append(_INT_REPR(o))
        elif isinstance(o, float):
            chunks.append(_float_str(o))
        elif isinstance(o, list):
            enc_list(o)
        else:
            as_dict = getattr(o, "_asdict", None)
            if as_dict is not None and callable(as_dict):
                dct = as_dict()
                if not isinstance(dct, dict):
                    raise TypeError("_asdict() must return a dict, not " + type(dct).__name__)
                enc_dict(dct)
            elif isinstance(o, tuple):
                enc_list(o)
            elif isinstance(o, dict):
                enc_dict(o)
            elif isinstance(o, decimal.Decimal):
                chunks.append("NaN" if o.is_nan() else str(o))
            else:
                raise TypeError("Object of type " + type(o).__name__ + " is not JSON serializable")

    def enter(o: Any) -> int:
        marker = id(o)
        if marker in markers:
            raise ValueError("Circular reference detected")
        markers[marker] = o
        return marker

    def enc_list(seq: Any) -> None:
        if not seq:
            chunks.append("[]")
            return
        marker = enter(seq)
        chunks.append("[")
        for i, item in enumerate(seq):
            if i:
                chunks.append(", ")
            enc(item)
        chunks.append("]")
        del markers[marker]

    def enc_dict(dct: dict[Any, Any]) -> None:
        if not dct:
            chunks.append("{}")
            return
        marker = enter(dct)
        chunks.append("{")
        first = True
        for key, value in dct.items():
            if not first:
                chunks.append(", ")
            first = False
            if isinstance(key, str):
                text = key
            else:
                # simplejson's C encoder memoises stringified keys per dumps() call in a dict, so equal
                # keys share the first spelling seen: after a True key, a later 1 key is written "true".
                memo = key_memo.get(key)
                text = memo if memo is not None else key_memo.setdefault(key, _key_str(key))
            chunks.append(encode_str(text))
            chunks.append(": ")
            enc(value)
        chunks.append("}")
        del markers[marker]

    enc(obj)
    return "".join(chunks)


def marshal_response(result: Any, ensure_ascii: bool) -> bytes:
    """The response body; raises FaultError(Runtime.MarshalError) as awslambdaric does."""
    if isinstance(result, bytes):
        return result
    try:
        return to_json(result, ensure_ascii).encode("utf-8")
    except Exception as exc:
        raise FaultError("Runtime.MarshalError", "Unable to marshal response: " + str(exc)) from None


def unmarshal_request(payload: str) -> Any:
    try:
        return json.loads(payload)
    except Exception as exc:
        raise FaultError("Runtime.UnmarshalError", "Unable to unmarshal input: " + str(exc)) from None


def make_error(
    message: str, error_type: str, stack_trace: list[str] | None, request_id: str
) -> dict[str, Any]:
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id,
        "stackTrace": stack_trace or [],
    }


def error_from_exception(exc: BaseException, request_id: str, runtime_file: str) -> dict[str, Any]:
    """awslambdaric's error for a handler exception: runtime frames at the top of the trace dropped."""
    if isinstance(exc, FaultError):
        return make_error(exc.message, exc.error_type, exc.trace, request_id)
    frames: list[tuple[str, int, str, str | None]] = [
        (f.filename, f.lineno or 0, f.name, f.line) for f in traceback.extract_tb(exc.__traceback__)
    ]
    for i, frame in enumerate(frames):
        if frame[0] != runtime_file:
            frames = frames[i:]
            break
    return make_error(str(exc), type(exc).__name__, traceback.format_list(frames), request_id)


def format_error_log(error: dict[str, Any]) -> str:
    """The ``[ERROR] Type: message\\rTraceback...`` line awslambdaric prints for an error."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            if element == "":
                lines.append("")
                continue
            for line in element.splitlines():
                stripped = line.lstrip(" ")
                lines.append(ERROR_LOG_INDENT * (len(line) - len(stripped)) + stripped)
    return ERROR_LOG_LINE_TERMINATE.join(lines) + "\n"
