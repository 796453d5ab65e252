"""Lex and parse each state machine definition once in LocalStack's Step Functions interpreter.

Why: every execution starts by running the ANTLR lexer and parser over the whole ASL definition (about
22 ms of CPU for our workflow on a 2-core machine, a quarter of everything LocalStack does for one
execution) and then builds the evaluation components from the parse tree. Only the second step has to
happen per execution: the components keep per-execution state, so they stay fresh. The parse tree is
read-only for the visitors that consume it (the preprocessor and the static analysers read children,
tokens and text; nothing in LocalStack assigns to a context), so the same tree can serve every
execution of the same definition, also concurrently. Definitions with syntax errors are not cached:
they raise exactly as before.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_MARK = "_scones_cached"
MAX_DEFINITIONS = 256


def _parse_tree(definition: str) -> Any:
    """The ANTLR parse tree of a definition; raises ASLParserException as LocalStack's parser does."""
    from antlr4 import CommonTokenStream, InputStream
    from localstack.services.stepfunctions.asl.antlr.runtime.ASLLexer import ASLLexer
    from localstack.services.stepfunctions.asl.antlr.runtime.ASLParser import ASLParser
    from localstack.services.stepfunctions.asl.parse.asl_parser import (
        ASLParserException,
        SyntaxErrorListener,
    )

    listener = SyntaxErrorListener()
    parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    tree = parser.state_machine()
    if listener.errors:
        raise ASLParserException(errors=listener.errors)
    return tree


def _build_program(tree: Any) -> Any:
    """Fresh evaluation components for one execution, built from the shared tree."""
    from localstack.services.stepfunctions.asl.parse.preprocessor import Preprocessor

    return Preprocessor().visit(tree)


def cached_parser(
    parse_tree: Callable[[str], Any] = _parse_tree,
    build_program: Callable[[Any], Any] = _build_program,
    maxsize: int = MAX_DEFINITIONS,
) -> Callable[[str], tuple[Any, Any]]:
    """A drop-in for ``AmazonStateLanguageParser.parse``: (fresh program, shared parse tree)."""
    memo = functools.lru_cache(maxsize=maxsize)(parse_tree)  # exceptions are never cached
    lock = threading.Lock()  # one parse per definition, even when executions start together

    def parse(definition: str) -> tuple[Any, Any]:
        with lock:
            tree = memo(definition)
        return build_program(tree), tree

    setattr(parse, _MARK, True)
    parse.cache_info = memo.cache_info  # type: ignore[attr-defined]
    return parse


def install() -> None:
    """Swap the parser's entry point; the subclass for TestState keeps its own ``parse``. Idempotent."""
    from localstack.services.stepfunctions.asl.parse.asl_parser import AmazonStateLanguageParser

    if not getattr(AmazonStateLanguageParser.parse, _MARK, False):
        AmazonStateLanguageParser.parse = staticmethod(cached_parser())  # type: ignore[method-assign]
