"""Build each state machine definition's program once in LocalStack's Step Functions interpreter.

Why: every execution starts by running the ANTLR lexer and parser over the whole ASL definition (about
22 ms of CPU for our workflow on a 2-core machine, a quarter of everything LocalStack did for one
execution) and then building the evaluation components from the parse tree (another 4 ms). Neither
depends on anything but the definition text, so the same definition can hand out the same program.

Why sharing the program is safe: LocalStack's components keep no per-execution state. Everything an
execution changes lives in its ``Environment`` (stack, heap, history, variables); a component only
contributes a ``heap_key`` under which it files its state in that environment (Retry attempt counters,
for one). LocalStack itself relies on this: a Map state evaluates one ``Program`` object from several
iteration threads at once, each with its own environment. A scan of the component classes finds
attribute assignments only while a component is built (``__init__``/``from_state_props``) and in the
per-evaluation worker objects of Map and Parallel, which are created anew for every evaluation. The one
lazily assigned attribute, ``heap_key``, is assigned here before a program is shared, so two first
executions cannot race to give one component two keys. The parse tree is read-only for its visitors.
Definitions with syntax or build errors are not cached: they raise exactly as before, every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

_MARK = "_scones_cached"
MAX_DEFINITIONS = 256


def parse_tree(definition: str, *, state_body: bool = False) -> Any:
    """The ANTLR parse tree of a definition (or, with ``state_body``, of one state's body, as TestState
    takes it); raises ASLParserException as LocalStack's parser does."""
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
    tree = parser.state_decl_body() if state_body else parser.state_machine()
    if listener.errors:
        raise ASLParserException(errors=listener.errors)
    return tree


def _build_program(tree: Any) -> Any:
    from localstack.services.stepfunctions.asl.parse.preprocessor import Preprocessor

    return Preprocessor().visit(tree)


def components(root: Any, is_component: Callable[[Any], bool]) -> Iterator[Any]:
    """Every component reachable from ``root`` through attributes and containers, each once."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend(item.values())
        elif is_component(item):
            yield item
            todo.extend(vars(item).values())


def _assign_heap_keys(program: Any) -> Any:
    from localstack.services.stepfunctions.asl.component.component import Component
    from localstack.services.stepfunctions.asl.component.eval_component import EvalComponent

    for component in components(program, lambda item: isinstance(item, Component)):
        if isinstance(component, EvalComponent):
            _ = component.heap_key  # assigned now, once, instead of on first use
    return program


def cached_parser(
    parse_tree: Callable[[str], Any] = parse_tree,
    build_program: Callable[[Any], Any] = _build_program,
    prepare: Callable[[Any], Any] = _assign_heap_keys,
    maxsize: int = MAX_DEFINITIONS,
) -> Callable[[str], tuple[Any, Any]]:
    """A drop-in for ``AmazonStateLanguageParser.parse``: (program, parse tree), built once per text."""
    built: OrderedDict[str, tuple[Any, Any]] = OrderedDict()
    lock = threading.Lock()  # one build per definition, even when executions start together

    def parse(definition: str) -> tuple[Any, Any]:
        with lock:
            hit = built.get(definition)
            if hit is None:
                tree = parse_tree(definition)  # errors propagate and nothing is stored
                hit = prepare(build_program(tree)), tree
                built[definition] = hit
                if len(built) > maxsize:
                    built.popitem(last=False)
            else:
                built.move_to_end(definition)
            return hit

    setattr(parse, _MARK, True)
    return parse


def install() -> None:
    """Swap the parser's entry point; the subclass for TestState keeps its own ``parse``. Idempotent."""
    from localstack.services.stepfunctions.asl.parse.asl_parser import AmazonStateLanguageParser

    if not getattr(AmazonStateLanguageParser.parse, _MARK, False):
        AmazonStateLanguageParser.parse = staticmethod(cached_parser())  # type: ignore[method-assign, assignment]
