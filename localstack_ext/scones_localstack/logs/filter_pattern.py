"""CloudWatch Logs filter patterns, parsed once and matched against event messages (standard library only).

Why: LocalStack community's ``FilterLogEvents`` (and its subscription and metric filters) ignore
``filterPattern`` — ``get_pattern_matcher`` answers "match" for every pattern, so
``aws logs filter-log-events --filter-pattern ERROR`` returned every event. This module implements the
syntax AWS documents in "Filter pattern syntax for metric filters, subscription filters, filter log events,
and Live Tail" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):

- Unstructured terms, case-sensitive: ``ERROR`` (the message contains it), ``ERROR ARGUMENTS`` (all of
  them), ``"INTERNAL SERVER ERROR"`` (an exact phrase), ``?ERROR ?WARN`` (any of them), ``ERROR -ARGUMENTS``
  (without it). Terms are matched as substrings of the message. An empty pattern matches every event.
- Regular expressions between ``%``: ``%AUTHORI[ZS]ED%`` standalone, or as a value in JSON and space-delimited
  patterns. As AWS documents, ``(`` and ``)`` are refused.
- JSON patterns ``{ $.a.b[0] = "x" }``: ``=``/``!=`` on strings (``*`` is a wildcard) and numbers, ``<``,
  ``>``, ``<=``, ``>=`` on numbers, ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``EXISTS``, ``NOT EXISTS``,
  ``&&``/``||`` (``&&`` binds tighter) and parentheses. A message that is not JSON never matches, nor does a
  comparison on a field the message does not have (``NOT EXISTS`` aside).
- Space-delimited patterns ``[ip, user, ..., status = 4*, bytes > 1000]``: one name per field of the
  message (fields split on spaces; text in ``[]`` or ``""`` is one field), ``...`` for any number of fields,
  conditions ``name op value`` joined by ``&&``/``||``.

Not supported (refused as invalid, never silently matching everything): ``$.*`` and ``[*]`` selectors,
``$size``/``$.x[*]`` functions, and the hexadecimal escapes of forbidden characters.

A pattern we cannot parse raises :class:`InvalidFilterPatternError`; the LocalStack hook answers it as AWS's
``InvalidParameterException`` ("Invalid character(s) in term" is AWS's wording for a term with characters that
need quotes, as reported against the real API in ministryofjustice/modernisation-platform-environments#5137).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

Matcher = Callable[[str], bool]

# Characters with a meaning in the syntax: a term holding one must be quoted.
_TERM_FORBIDDEN: Final = frozenset('"{}[]()<>=!&|,%\\')
_REGEX_FORBIDDEN: Final = frozenset("()")
_NUMBER: Final = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_OPERATORS: Final = ("!=", "<=", ">=", "=", "<", ">")
_SELECTOR_PART: Final = re.compile(r"\.([^.\[\]*]+)|\[(\d+)\]")
_MISSING: Final = object()


class InvalidFilterPatternError(ValueError):
    """The pattern does not follow AWS's filter pattern syntax; ``str()`` is the message the API answers."""


def compile_pattern(pattern: str | None) -> Matcher:
    """A function telling whether one event message matches ``pattern``; raises
    :class:`InvalidFilterPatternError` when the pattern is not valid syntax."""
    text = (pattern or "").strip()
    if not text:
        return _always
    if text.startswith("{"):
        if not text.endswith("}"):
            raise InvalidFilterPatternError("Invalid filter pattern: unbalanced braces")
        return _json_matcher(text[1:-1])
    if text.startswith("["):
        if not text.endswith("]"):
            raise InvalidFilterPatternError("Invalid filter pattern: unbalanced brackets")
        return _delimited_matcher(text[1:-1])
    if len(text) > 1 and text.startswith("%") and text.endswith("%"):
        regex = _regex(text)
        return lambda message: regex.search(message) is not None
    return _terms_matcher(text)


def matches(pattern: str | None, message: str) -> bool:
    """Whether ``message`` matches ``pattern`` (parses the pattern each call; compile it to reuse)."""
    return compile_pattern(pattern)(message)


def _always(_message: str) -> bool:
    return True


def _regex(text: str) -> re.Pattern[str]:
    """``%...%`` to a compiled expression; AWS refuses subpatterns (parentheses)."""
    body = text[1:-1]
    if not body or _REGEX_FORBIDDEN & set(body):
        raise InvalidFilterPatternError(f"Invalid regex pattern: {text}")
    try:
        return re.compile(body)
    except re.error as error:
        raise InvalidFilterPatternError(f"Invalid regex pattern: {text}") from error


# --- unstructured terms -----------------------------------------------------------------------------------


def _terms_matcher(text: str) -> Matcher:
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for prefix, term in _terms(text):
        {"": required, "?": optional, "-": excluded}[prefix].append(term)

    def match(message: str) -> bool:
        return (
            all(term in message for term in required)
            and (not optional or any(term in message for term in optional))
            and not any(term in message for term in excluded)
        )

    return match


def _terms(text: str) -> list[tuple[str, str]]:
    """``(prefix, term)`` pairs: prefix ``?`` (any of), ``-`` (none of) or ``""`` (all of)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        prefix = ""
        if text[i] in "?-" and i + 1 < len(text) and not text[i + 1].isspace():
            prefix, i = text[i], i + 1
        if text[i] == '"':
            term, i = _quoted(text, i)
        else:
            end = i
            while end < len(text) and not text[end].isspace():
                end += 1
            term, i = text[i:end], end
            if _TERM_FORBIDDEN & set(term):
                raise InvalidFilterPatternError(f"Invalid character(s) in term '{term}'")
        out.append((prefix, term))
    return out


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The string opened by the quote at ``start`` (``\\"`` and ``\\\\`` escaped) and the index after it."""
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    raise InvalidFilterPatternError("Invalid filter pattern: unterminated quoted string")


# --- values and comparisons shared by JSON and space-delimited patterns ----------------------------------


@dataclass(frozen=True)
class _Value:
    """The right-hand side of a comparison: a number, a string (maybe with ``*``) or a ``%regex%``."""

    text: str
    number: float | None = None
    regex: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, raw: str, quoted: bool) -> _Value:
        if not quoted and len(raw) > 1 and raw.startswith("%") and raw.endswith("%"):
            return cls(raw, regex=_regex(raw))
        if not quoted and _NUMBER.fullmatch(raw):
            return cls(raw, number=float(raw))
        if "*" in raw:
            wildcard = ".*".join(re.escape(part) for part in raw.split("*"))
            return cls(raw, regex=re.compile(f"^{wildcard}$", re.DOTALL))
        return cls(raw)

    def equals(self, field: Any) -> bool:
        if self.text == "*":  # ``{ $.latencyMs = * }``: any value the event has
            return field is not _MISSING
        if self.regex is not None:
            text = _as_text(field)
            return text is not None and self.regex.search(text) is not None
        if self.number is not None:
            number = _as_number(field)
            return number is not None and number == self.number
        return isinstance(field, str) and field == self.text


def _as_text(field: Any) -> str | None:
    """A string, or a number as its JSON text (``{ $.code = 4* }`` matches ``"code": 404``)."""
    if isinstance(field, str):
        return field
    if isinstance(field, int | float) and not isinstance(field, bool):
        return json.dumps(field)
    return None


def _as_number(field: Any) -> float | None:
    if isinstance(field, bool):
        return None
    if isinstance(field, int | float):
        return float(field)
    if isinstance(field, str) and _NUMBER.fullmatch(field):
        return float(field)
    return None


def _compare(op: str, field: Any, value: _Value) -> bool:
    if op == "=":
        return value.equals(field)
    if op == "!=":
        return field is not _MISSING and not value.equals(field)
    number = _as_number(field)
    if number is None or value.number is None:
        return False
    return {"<": number < value.number, ">": number > value.number, "<=": number <= value.number}.get(
        op, number >= value.number
    )


def _check_comparison(op: str, value: _Value) -> None:
    if op not in ("=", "!=") and value.number is None:
        raise InvalidFilterPatternError(f"Invalid filter pattern: {op} needs a number, got {value.text}")


# --- a small tokenizer for JSON and space-delimited expressions ------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "op", "bool" (&& ||), "paren", "string", "word"
    text: str


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(_Token("paren", char))
            i += 1
        elif text.startswith(("&&", "||"), i):
            out.append(_Token("bool", text[i : i + 2]))
            i += 2
        elif char in "=!<>":
            op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if op is None:
                raise InvalidFilterPatternError(f"Invalid filter pattern: unexpected '{char}'")
            out.append(_Token("op", op))
            i += len(op)
        elif char == '"':
            string, i = _quoted(text, i)
            out.append(_Token("string", string))
        elif char == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise InvalidFilterPatternError("Invalid filter pattern: unterminated regex")
            out.append(_Token("word", text[i : end + 1]))
            i = end + 1
        else:
            end = i
            while end < len(text) and not text[end].isspace() and text[end] not in '()=!<>&|"':
                end += 1
            out.append(_Token("word", text[i:end]))
            i = end
    return out


class _Parser:
    """Recursive descent over ``or := and ('||' and)*``, ``and := atom ('&&' atom)*``,
    ``atom := '(' or ')' | comparison``; ``comparison`` is the caller's (JSON or space-delimited)."""

    def __init__(self, tokens: list[_Token], comparison: Callable[[_Parser], Callable[[Any], bool]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.comparison = comparison

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind is not None and token.kind != kind):
            found = "end of pattern" if token is None else f"'{token.text}'"
            raise InvalidFilterPatternError(f"Invalid filter pattern: unexpected {found}")
        self.pos += 1
        return token

    def parse(self) -> Callable[[Any], bool]:
        if not self.tokens:
            raise InvalidFilterPatternError("Invalid filter pattern: empty expression")
        node = self.or_()
        if self.peek() is not None:
            self.take("end")  # raises: something is left over
        return node

    def or_(self) -> Callable[[Any], bool]:
        nodes = [self.and_()]
        while (token := self.peek()) is not None and token.text == "||":
            self.pos += 1
            nodes.append(self.and_())
        return nodes[0] if len(nodes) == 1 else (lambda doc: any(node(doc) for node in nodes))

    def and_(self) -> Callable[[Any], bool]:
        nodes = [self.atom()]
        while (token := self.peek()) is not None and token.text == "&&":
            self.pos += 1
            nodes.append(self.atom())
        return nodes[0] if len(nodes) == 1 else (lambda doc: all(node(doc) for node in nodes))

    def atom(self) -> Callable[[Any], bool]:
        token = self.peek()
        if token is not None and token.text == "(":
            self.pos += 1
            node = self.or_()
            if self.take("paren").text != ")":
                raise InvalidFilterPatternError("Invalid filter pattern: unbalanced parentheses")
            return node
        return self.comparison(self)

    def value(self) -> _Value:
        token = self.take()
        if token.kind not in ("string", "word"):
            raise InvalidFilterPatternError(f"Invalid filter pattern: unexpected '{token.text}'")
        return _Value.parse(token.text, quoted=token.kind == "string")


# --- JSON patterns ----------------------------------------------------------------------------------------


def _selector(text: str) -> Callable[[Any], Any]:
    """``$.a.b[0]`` to a function returning that value of a document, or ``_MISSING``."""
    if not text.startswith("$") or len(text) < 2:
        raise InvalidFilterPatternError(f"Invalid filter pattern: invalid selector {text}")
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        part = _SELECTOR_PART.match(text, pos)
        if part is None:
            raise InvalidFilterPatternError(f"Invalid filter pattern: invalid selector {text}")
        steps.append(part.group(1) if part.group(1) is not None else int(part.group(2)))
        pos = part.end()

    def select(doc: Any) -> Any:
        for step in steps:
            found = (isinstance(step, str) and isinstance(doc, dict) and step in doc) or (
                isinstance(step, int) and isinstance(doc, list) and step < len(doc)
            )
            if not found:
                return _MISSING
            doc = doc[step]
        return doc

    return select


def _json_comparison(parser: _Parser) -> Callable[[Any], bool]:
    select = _selector(parser.take("word").text)
    token = parser.take()
    if token.kind == "op":
        op, value = token.text, parser.value()
        _check_comparison(op, value)
        return lambda doc: _compare(op, select(doc), value)
    keyword = token.text
    if keyword == "EXISTS":
        return lambda doc: select(doc) is not _MISSING
    if keyword == "NOT" and parser.take("word").text == "EXISTS":
        return lambda doc: select(doc) is _MISSING
    if keyword == "IS":
        expected = {"NULL": None, "TRUE": True, "FALSE": False}.get(parser.take("word").text, _MISSING)
        if expected is not _MISSING:
            return lambda doc: select(doc) is expected
    raise InvalidFilterPatternError(f"Invalid filter pattern: unexpected '{keyword}'")


def _json_matcher(body: str) -> Matcher:
    node = _Parser(_tokens(body), _json_comparison).parse()

    def match(message: str) -> bool:
        try:
            doc = json.loads(message)
        except ValueError:
            return False
        return isinstance(doc, dict | list) and node(doc)

    return match


# --- space-delimited patterns -----------------------------------------------------------------------------

_ELLIPSIS: Final = "..."


def _split_fields(body: str) -> list[str]:
    """The pattern's comma-separated fields (commas inside quotes or ``%regex%`` do not split)."""
    fields: list[str] = []
    current: list[str] = []
    quote: str | None = None
    for char in body:
        if quote is not None:
            quote = None if char == quote else quote
        elif char in '"%':
            quote = char
        elif char == ",":
            fields.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    fields.append("".join(current).strip())
    return fields


def _message_fields(message: str) -> list[str]:
    """A message split on spaces; text in ``[]`` or ``""`` is one field (without its brackets/quotes)."""
    out: list[str] = []
    i = 0
    while i < len(message):
        char = message[i]
        if char.isspace():
            i += 1
            continue
        closing = {"[": "]", '"': '"'}.get(char)
        if closing is not None and (end := message.find(closing, i + 1)) >= 0:
            out.append(message[i + 1 : end])
            i = end + 1
            continue
        end = i
        while end < len(message) and not message[end].isspace():
            end += 1
        out.append(message[i:end])
        i = end
    return out


def _delimited_comparison(parser: _Parser) -> Callable[[Any], bool]:
    name = parser.take("word").text
    op = parser.take("op").text
    value = parser.value()
    _check_comparison(op, value)
    return lambda named: _compare(op, named.get(name, _MISSING), value)


def _delimited_matcher(body: str) -> Matcher:
    names: list[str] = []
    conditions: list[Callable[[Any], bool]] = []
    for field in _split_fields(body):
        if not field:
            raise InvalidFilterPatternError("Invalid filter pattern: empty field")
        if field == _ELLIPSIS:
            names.append(_ELLIPSIS)
            continue
        tokens = _tokens(field)
        if not tokens or tokens[0].kind != "word":
            raise InvalidFilterPatternError(f"Invalid filter pattern: invalid field {field}")
        names.append(tokens[0].text)
        if len(tokens) > 1:
            conditions.append(_Parser(tokens, _delimited_comparison).parse())

    def bind(fields: list[str]) -> dict[str, str] | None:
        """Names to message fields; ``...`` absorbs as few fields as it can, then more."""

        def walk(n: int, f: int, named: dict[str, str]) -> dict[str, str] | None:
            if n == len(names):
                return named if f == len(fields) else None
            if names[n] == _ELLIPSIS:
                for skip in range(len(fields) - f + 1):
                    found = walk(n + 1, f + skip, named)
                    if found is not None and all(condition(found) for condition in conditions):
                        return found
                return None
            if f == len(fields):
                return None
            return walk(n + 1, f + 1, {**named, names[n]: fields[f]})

        return walk(0, 0, {})

    def match(message: str) -> bool:
        named = bind(_message_fields(message))
        return named is not None and all(condition(named) for condition in conditions)

    return match
