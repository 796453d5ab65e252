"""Parse each JSONPath expression once in LocalStack's Step Functions interpreter.

Why: the interpreter calls jsonpath_ng's ``parse()`` on every evaluation (``Payload.$``, ResultSelector,
OutputPath, Parameters, ResultPath ...), and that parser rebuilds its PLY tables on each call: about
17 ms per call on a 2-core machine, a dozen calls per execution of our workflow, so most of an
execution's time went into re-parsing the same few strings. A parsed path is an expression tree that
``find()`` only reads, so handing out the same tree for the same string changes nothing but the time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

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
    """Replace jsonpath_ng's two `parse` functions (plain and extended) with memoised ones, also where
    LocalStack already imported them by name; idempotent."""
    import jsonpath_ng
    import jsonpath_ng.ext
    import jsonpath_ng.ext.parser
    import jsonpath_ng.parser

    from scones_localstack.stepfunctions.rebind import rebind

    if getattr(jsonpath_ng.ext.parser.parse, _MARK, False):
        return
    ext, base = jsonpath_ng.ext.parser.parse, jsonpath_ng.parser.parse
    cached_ext, cached_base = _cached(ext), _cached(base)
    jsonpath_ng.ext.parser.parse = jsonpath_ng.ext.parse = cached_ext
    jsonpath_ng.parser.parse = jsonpath_ng.parse = cached_base
    rebind(ext, cached_ext)
    rebind(base, cached_base)
