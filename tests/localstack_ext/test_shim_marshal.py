"""Unit tests of the shim's marshalling (no LocalStack, no network).

The shim runs in the function's interpreter with the standard library only, but must produce the
bytes AWS's Python runtime produces: awslambdaric encodes with simplejson==3.17.2 (its pinned
requirement) through ``JSONEncoder(use_decimal=False[, ensure_ascii=False])`` plus a ``default``
that writes Decimals verbatim. Every expected string below was produced by that encoder
(simplejson 3.17.2, C speedups) for the same value; they are reference outputs, not ours.
"""

from __future__ import annotations

import collections
import decimal
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SHIM_DIR = Path(__file__).resolve().parents[2] / "localstack_ext" / "scones_localstack" / "lambda_executor"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SHIM_DIR / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # shim.py imports shim_marshal by name, as it does at run time
    spec.loader.exec_module(module)
    return module


marshal = _load("shim_marshal")
_load("shim_http")
shim = _load("shim")
Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize(
    ("value", "ascii_json", "unicode_json"),
    [
        (
            {"pi": decimal.Decimal("3.14159"), "a": decimal.Decimal("1.10"), "e": decimal.Decimal("1E+2")},
            '{"pi": 3.14159, "a": 1.10, "e": 1E+2}',
            '{"pi": 3.14159, "a": 1.10, "e": 1E+2}',
        ),
        (
            [decimal.Decimal("NaN"), decimal.Decimal("Infinity"), decimal.Decimal("-0")],
            "[NaN, Infinity, -0]",
            "[NaN, Infinity, -0]",
        ),
        (decimal.Decimal("5.000"), "5.000", "5.000"),
        (
            {"price": "£1.00", "emoji": "😀", "ctrl": "a\u2028b\x00"},
            '{"price": "\\u00a31.00", "emoji": "\\ud83d\\ude00", "ctrl": "a\\u2028b\\u0000"}',
            '{"price": "£1.00", "emoji": "😀", "ctrl": "a\u2028b\\u0000"}',
        ),
        ({"b": b"abc", b"k": 1}, '{"b": "abc", "k": 1}', '{"b": "abc", "k": 1}'),
        ([b"x", "y"], '["x", "y"]', '["x", "y"]'),
        (Point(1, 2), '{"x": 1, "y": 2}', '{"x": 1, "y": 2}'),
        (
            {"n": Point(1, [2]), "t": (1, 2)},
            '{"n": {"x": 1, "y": [2]}, "t": [1, 2]}',
            '{"n": {"x": 1, "y": [2]}, "t": [1, 2]}',
        ),
        (
            [1.0, 1e100, float("nan"), float("inf"), -0.0, 0.1],
            "[1.0, 1e+100, NaN, Infinity, -0.0, 0.1]",
            "[1.0, 1e+100, NaN, Infinity, -0.0, 0.1]",
        ),
        (
            {1: "a", 2.5: "b", None: "d"},
            '{"1": "a", "2.5": "b", "null": "d"}',
            '{"1": "a", "2.5": "b", "null": "d"}',
        ),
        # simplejson memoises key spellings per call: after True, the equal key 1 is written "true"
        (
            {"x": {True: 1}, "y": {1: 2}},
            '{"x": {"true": 1}, "y": {"true": 2}}',
            '{"x": {"true": 1}, "y": {"true": 2}}',
        ),
        ([2**70], "[1180591620717411303424]", "[1180591620717411303424]"),
        ("héllo", '"h\\u00e9llo"', '"héllo"'),
        (None, "null", "null"),
    ],
)
def test_to_json__matches_awslambdaric(value: object, ascii_json: str, unicode_json: str) -> None:
    assert marshal.to_json(value, ensure_ascii=True) == ascii_json
    assert marshal.to_json(value, ensure_ascii=False) == unicode_json


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"s": {1}}, "Unable to marshal response: Object of type set is not JSON serializable"),
        ({"o": object()}, "Unable to marshal response: Object of type object is not JSON serializable"),
        (
            {"b": b"\xff"},
            "Unable to marshal response: 'utf-8' codec can't decode byte 0xff in position 0: "
            "invalid start byte",
        ),
        (
            {decimal.Decimal(1): 1},
            "Unable to marshal response: keys must be str, int, float, bool or None, not decimal.Decimal",
        ),
        ({(1, 2): 1}, "Unable to marshal response: keys must be str, int, float, bool or None, not tuple"),
    ],
)
def test_marshal_response__unserialisable_is_marshal_error(value: object, message: str) -> None:
    with pytest.raises(marshal.FaultError) as caught:
        marshal.marshal_response(value, ensure_ascii=False)
    assert caught.value.error_type == "Runtime.MarshalError"
    assert caught.value.message == message


def test_marshal_response__circular_reference_is_marshal_error() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(marshal.FaultError, match="Circular reference detected"):
        marshal.marshal_response(loop, ensure_ascii=True)


def test_marshal_response__top_level_bytes_are_the_body() -> None:
    assert marshal.marshal_response(b"\xff\x00raw", ensure_ascii=True) == b"\xff\x00raw"


def test_marshal_response__utf8_body() -> None:
    assert marshal.marshal_response({"t": "é"}, ensure_ascii=False) == '{"t": "é"}'.encode()


@pytest.mark.parametrize(
    ("execution_env", "ensure_ascii"),
    [
        ("AWS_Lambda_python3.13", False),
        ("AWS_Lambda_python3.12", False),
        ("AWS_Lambda_python3.11", True),
        ("AWS_Lambda_python3.9", True),
        (None, True),
        ("AWS_Lambda_rapid", True),
    ],
)
def test_ensure_ascii_for__python_312_and_later_keep_unicode(
    execution_env: str | None, ensure_ascii: bool
) -> None:
    assert marshal.ensure_ascii_for(execution_env) is ensure_ascii


def test_unmarshal_request__bad_json_is_unmarshal_error() -> None:
    with pytest.raises(marshal.FaultError) as caught:
        marshal.unmarshal_request("{nope")
    assert caught.value.error_type == "Runtime.UnmarshalError"
    assert caught.value.message.startswith("Unable to unmarshal input: Expecting property name")


def test_error_from_exception__drops_runtime_frames() -> None:
    namespace: dict[str, object] = {}
    exec(
        compile("def handler():\n    raise ValueError('bad')\n", "/task/lambda_function.py", "exec"),
        namespace,
    )
    try:
        namespace["handler"]()  # type: ignore[operator]
    except ValueError as exc:
        error = marshal.error_from_exception(exc, "req-1", runtime_file=__file__)
    assert error["errorMessage"] == "bad"
    assert error["errorType"] == "ValueError"
    assert error["requestId"] == "req-1"
    assert error["stackTrace"] == ['  File "/task/lambda_function.py", line 2, in handler\n']


def test_format_error_log__awslambdaric_line() -> None:
    error = marshal.make_error("bad", "ValueError", ['  File "f.py", line 2, in h\n    raise X\n'], "r")
    assert marshal.format_error_log(error) == (
        '[ERROR] ValueError: bad\rTraceback (most recent call last):\r\u00a0\u00a0File "f.py", line 2, in h'
        "\r\u00a0\u00a0\u00a0\u00a0raise X\n"
    )


def test_python_paths__code_then_layers_later_layer_first() -> None:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    assert shim.python_paths("/code", ["/l1", "/l2"]) == [
        "/code",
        f"/l2/python/lib/{version}/site-packages",
        f"/l1/python/lib/{version}/site-packages",
        "/l2/python",
        "/l1/python",
    ]


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("nodots", "Runtime.MalformedHandlerName", "Bad handler 'nodots': not enough values to unpack"),
        (
            "sys.handler",
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
        (
            "no_such_mod_xyz.h",
            "Runtime.ImportModuleError",
            "Unable to import module 'no_such_mod_xyz': No module",
        ),
        ("json.no_such_fn", "Runtime.HandlerNotFound", "Handler 'no_such_fn' missing on module 'json'"),
    ],
)
def test_load_handler__faults(handler: str, error_type: str, message: str) -> None:
    with pytest.raises(marshal.FaultError) as caught:
        shim.load_handler(handler)
    assert caught.value.error_type == error_type
    assert caught.value.message.startswith(message)
