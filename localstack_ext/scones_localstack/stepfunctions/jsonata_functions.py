"""The functions Step Functions adds to JSONata, as plain Python for the in-process evaluator.

Why here: LocalStack 2026.3.0 declares them as JSONata text prepended to each expression, where ``$hash``
and ``$uuid`` answer "Function ... is currently not supported" and ``$parse`` is ``$eval``. AWS documents
six ("JSONata functions provided by Step Functions" in
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): ``$partition(array, size)``,
``$range(start, end, step)`` (end included: ``$range(0, 10, 2)`` is ``[0, 2, 4, 6, 8, 10]``),
``$hash(data, algorithm)`` (MD5, SHA-1, SHA-256, SHA-384, SHA-512), ``$random([seed])`` (a seed gives
the same number every time), ``$uuid()`` (version 4) and ``$parse(json_string)`` (instead of ``$eval``).
A wrong argument raises :class:`FunctionArgumentError`, which the evaluator reports as
``States.QueryEvaluationError`` like any JSONata error.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import uuid
from collections.abc import Callable
from typing import Any, Final

HASH_ALGORITHMS: Final[dict[str, str]] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}
# States.ArrayRange's documented limit (1000 items); AWS does not document one for $range.
RANGE_MAX_ITEMS: Final[int] = 1000


class FunctionArgumentError(Exception):
    """A Step Functions JSONata function was called with an argument it does not accept."""

    def __init__(self, function: str, message: str) -> None:
        super().__init__(f"${function}: {message}")
        self.code = "T0410"  # JSONata's "argument does not match function signature"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integral(value: Any) -> bool:
    return _is_number(value) and float(value).is_integer()


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def partition(array: Any, size: Any) -> list[list[Any]]:
    if not isinstance(array, list):
        raise FunctionArgumentError("partition", "the first argument must be an array")
    if not _integral(size) or size < 1:
        raise FunctionArgumentError("partition", "the chunk size must be a positive integer")
    step = int(size)
    return [list(array[i : i + step]) for i in range(0, len(array), step)]


def range_(start: Any, end: Any, step: Any = 1) -> list[int | float]:
    if not (_is_number(start) and _is_number(end) and _is_number(step)):
        raise FunctionArgumentError("range", "start, end and step must be numbers")
    if step == 0:
        raise FunctionArgumentError("range", "step must not be 0")
    count = math.floor((end - start) / step) + 1
    if count <= 0:
        return []
    if count > RANGE_MAX_ITEMS:
        raise FunctionArgumentError("range", f"the range has more than {RANGE_MAX_ITEMS} items")
    return [_number(start + i * step) for i in range(count)]


def hash_(data: Any, algorithm: Any) -> str:
    if not isinstance(data, str):
        raise FunctionArgumentError("hash", "the data must be a string")
    name = HASH_ALGORITHMS.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise FunctionArgumentError("hash", f"the algorithm must be one of {', '.join(HASH_ALGORITHMS)}")
    return hashlib.new(name, data.encode("utf-8")).hexdigest()


def random_(seed: Any = None) -> float:
    if seed is None:
        return random.random()
    if not _is_number(seed):
        raise FunctionArgumentError("random", "the seed must be a number")
    return random.Random(seed).random()


def uuid_() -> str:
    return str(uuid.uuid4())


def parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise FunctionArgumentError("parse", "the argument must be a string")
    try:
        return json.loads(text)
    except ValueError:
        raise FunctionArgumentError("parse", "the argument is not valid JSON") from None


# Bound under these names (JSONata's `$name`); they replace JSONata's own `$random`.
STEP_FUNCTIONS_FUNCTIONS: Final[dict[str, Callable[..., Any]]] = {
    "partition": partition,
    "range": range_,
    "hash": hash_,
    "random": random_,
    "uuid": uuid_,
    "parse": parse,
}
