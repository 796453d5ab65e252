"""Parse each JSONPath expression once in LocalStack's Step Functions interpreter.

Why: the interpreter calls jsonpath_ng's ``parse()`` on every evaluation (``Payload.$``, ResultSelector,
OutputPath, Parameters, ResultPath ...), and that parser rebuilds its PLY tables on each call: about
17 ms per call on a 2-core machine, a dozen calls per execution of our workflow, so most of an
execution's time went into re-parsing the same few strings. A parsed path is an expression tree that
``find()`` only reads, so handing out the same tree for the same string changes nothing but the time.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

# LocalStack modules that bound `parse` by name at import time (patched if already imported).
_IMPORTERS = {
    "localstack.services.stepfunctions.asl.utils.json_path": "ext",
    "localstack.services.stepfunctions.asl.component.common.path.result_path": "base",
}
_MARK = "_scones_cached"


def _cached(parse: Callable[..., Any]) -> Callable[..., Any]:
    memo = functools.lru_cache(maxsize=4096)(lambda path: parse(path))

    @functools.wraps(parse)
    def cached_parse(path: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(path, str):
            return parse(path, *args, **kwargs)  # debug parses and odd calls: untouched
        return memo(path)

    setattr(cached_parse, _MARK, True)
    cached_parse.cache_info = memo.cache_info  # type: ignore[attr-defined]
    return cached_parse


def install() -> None:
    """Replace jsonpath_ng's two `parse` functions (plain and extended) with memoised ones; idempotent."""
    import jsonpath_ng
    import jsonpath_ng.ext
    import jsonpath_ng.ext.parser
    import jsonpath_ng.parser

    if getattr(jsonpath_ng.ext.parser.parse, _MARK, False):
        return
    parsers = {"ext": _cached(jsonpath_ng.ext.parser.parse), "base": _cached(jsonpath_ng.parser.parse)}
    jsonpath_ng.ext.parser.parse = parsers["ext"]
    jsonpath_ng.ext.parse = parsers["ext"]
    jsonpath_ng.parser.parse = parsers["base"]
    jsonpath_ng.parse = parsers["base"]
    for module_name, kind in _IMPORTERS.items():
        module = sys.modules.get(module_name)
        if module is not None:
            module.parse = parsers[kind]  # type: ignore[attr-defined]
