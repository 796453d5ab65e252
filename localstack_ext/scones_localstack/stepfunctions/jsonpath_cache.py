"""Parse each JSONPath expression once in LocalStack's Step Functions interpreter.

Why: the interpreter calls jsonpath_ng's ``parse()`` on every evaluation (``Payload.$``, ResultSelector,
OutputPath, Parameters, ResultPath ...), and that parser rebuilds its PLY tables on each call: about
17 ms per call on a 2-core machine, a dozen calls per execution of our workflow, so most of an
execution's time went into re-parsing the same few strings. A parsed path is an expression tree that
``find()`` only reads, so handing out the same tree for the same string changes nothing but the time.

A miss parses with a parser kept per thread: jsonpath_ng's module-level ``parse()`` builds a new parser,
and with it the PLY tables, on every call (60-85 ms; 1.3 ms with a built one), and CreateStateMachine's
definition checks and a new machine's first execution miss on every path they meet. One per thread,
because a PLY parser keeps its stacks on itself while it parses.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_MARK = "_scones_cached"


def per_thread(make_parser: Callable[[], Any]) -> Callable[[str], Any]:
    """``parse(path)`` with one parser built per thread by ``make_parser``, reused for every path."""
    local = threading.local()

    def parse(path: str) -> Any:
        parser = getattr(local, "parser", None)
        if parser is None:
            parser = local.parser = make_parser()
        return parser.parse(path)

    return parse


def _cached(parse: Callable[..., Any], miss: Callable[[str], Any] | None = None) -> Callable[..., Any]:
    """``parse`` memoised per path string; ``miss`` (default ``parse``) parses a string not seen yet."""
    first = miss or parse
    memo = functools.lru_cache(maxsize=4096)(lambda path: first(path))

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
    # newer jsonpath_ng spells it "Extended" and deprecates the old name, which LocalStack's pin still has
    ext_parser = getattr(jsonpath_ng.ext.parser, "ExtendedJsonPathParser", None)
    cached_ext = _cached(ext, per_thread(ext_parser or jsonpath_ng.ext.parser.ExtentedJsonPathParser))
    cached_base = _cached(base, per_thread(jsonpath_ng.parser.JsonPathParser))
    jsonpath_ng.ext.parser.parse = jsonpath_ng.ext.parse = cached_ext
    jsonpath_ng.parser.parse = jsonpath_ng.parse = cached_base
    rebind(ext, cached_ext)
    rebind(base, cached_base)
