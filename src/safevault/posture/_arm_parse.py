"""ARM template expressions: the parser, canonical rendering, and the Unresolved marker.

``[func(args)]`` with nested calls, string literals in single quotes (``''`` escapes a
quote), integers, ``true``/``false``, property access (``.name``) and indexing (``[0]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "Call",
    "ExpressionError",
    "Index",
    "Lit",
    "Member",
    "Node",
    "Unresolved",
    "parse",
    "render",
    "render_text",
]


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value the evaluator does not compute.

    :ivar text: the expression text (for composite strings, the literal parts with the
        unresolved parts in brackets), stable for linking.
    :ivar reason: why it is not computed.
    :ivar composite: True when ``text`` mixes literal and unresolved parts.
    """

    text: str
    reason: str
    composite: bool = False

    @property
    def display(self) -> str:
        """The text as it reads in a name: brackets around an atomic expression."""
        return self.text if self.composite else f"[{self.text}]"


class ExpressionError(ValueError):
    """A malformed expression."""


@dataclass(frozen=True, slots=True)
class Lit:
    value: Any


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Member:
    target: Node
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    target: Node
    index: Node


Node: TypeAlias = "Lit | Call | Member | Index"

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[(),.\[\]]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExpressionError(f"unexpected {text[pos : pos + 10]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'}")
        self.pos += 1
        return token

    def expression(self) -> Node:
        kind, value = self.take()
        node: Node
        if kind == "str":
            node = Lit(value[1:-1].replace("''", "'"))
        elif kind == "num":
            node = Lit(int(value))
        elif kind == "ident":
            nxt = self.peek()
            if nxt is not None and nxt[1] == "(":
                self.take("(")
                args: list[Node] = []
                if self.peek() is not None and self.peek() != ("punct", ")"):
                    args.append(self.expression())
                    while self.peek() == ("punct", ","):
                        self.take(",")
                        args.append(self.expression())
                self.take(")")
                node = Call(value, tuple(args))
            elif value.lower() in ("true", "false"):
                node = Lit(value.lower() == "true")
            else:
                raise ExpressionError(f"unexpected name {value!r}")
        else:
            raise ExpressionError(f"unexpected {value!r}")
        while self.peek() in (("punct", "."), ("punct", "[")):
            if self.take()[1] == ".":
                node = Member(node, self.take()[1])
            else:
                node = Index(node, self.expression())
                self.take("]")
        return node


def parse(text: str) -> Node:
    """Parse the inside of ``[...]``.

    :raises ExpressionError: malformed.
    """
    parser = _Parser(text)
    node = parser.expression()
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return node


def render(node: Node) -> str:
    """Canonical text of an expression."""
    if isinstance(node, Lit):
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return str(node.value).lower() if isinstance(node.value, bool) else str(node.value)
    if isinstance(node, Call):
        return f"{node.name}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, Member):
        return f"{render(node.target)}.{node.name}"
    return f"{render(node.target)}[{render(node.index)}]"


def render_text(value: Any) -> str:
    """A value as it reads in a name (unresolved parts in brackets)."""
    return value.display if isinstance(value, Unresolved) else str(value)
