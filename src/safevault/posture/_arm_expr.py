"""A small ARM template expression evaluator: enough to link resources and read defaults.

Evaluated: ``parameters`` (to the value given, else the default), ``variables``,
``concat``, ``format``, ``resourceId``, ``subscriptionResourceId``, ``tenantResourceId``,
``extensionResourceId``, ``subscription()``/``resourceGroup()`` ids (as
``{subscriptionId}``/``{resourceGroupName}`` placeholders), ``toLower``/``toUpper``,
``string``/``int``/``bool``, ``if``/``equals``/``not``/``and``/``or``/``empty``/``length``,
``createArray``/``createObject``, ``true``/``false``/``null``, and ``utcNow()`` (the time
of the check: the deployment is taken to happen now) with ``dateTimeAdd`` and
``dateTimeToEpoch``. Anything else (``reference``, ``uniqueString``, ``copyIndex`` ...) is
left :class:`Unresolved`, and so is everything built from it; string-building over an
unresolved part keeps a stable text so that a child named
``[concat(parameters('kv'), '/key')]`` still links to the vault named ``[parameters('kv')]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from safevault.posture._arm_parse import (
    Call,
    ExpressionError,
    Index,
    Lit,
    Member,
    Node,
    Unresolved,
    parse,
    render,
    render_text,
)
from safevault.posture._values import iso_duration

__all__ = ["RESOURCE_GROUP", "SUBSCRIPTION", "Evaluator", "Unresolved", "render_text"]

SUBSCRIPTION = "{subscriptionId}"
RESOURCE_GROUP = "{resourceGroupName}"


def _composite(parts: list[Any], reason: str) -> Any:
    """Join string parts; with an unresolved part, a composite Unresolved."""
    if not any(isinstance(p, Unresolved) for p in parts):
        return "".join(_stringify(p) for p in parts)
    text = "".join(render_text(p) if isinstance(p, Unresolved) else _stringify(p) for p in parts)
    first = next(p for p in parts if isinstance(p, Unresolved))
    return Unresolved(text, first.reason or reason, composite=True)


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


_CONTEXT: dict[str, dict[str, str]] = {
    "subscription": {"id": f"/subscriptions/{SUBSCRIPTION}", "subscriptionid": SUBSCRIPTION},
    "resourcegroup": {
        "id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}",
        "name": RESOURCE_GROUP,
    },
    "tenant": {},
    "deployment": {},
}


def _parse_time(text: str) -> datetime | None:
    for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_FORMAT = re.compile(r"\{\{|\}\}|\{(\d+)(?:[,:][^}]*)?\}")


class Evaluator:
    """Evaluates expressions of one template.

    :param parameters: the template's ``parameters`` block.
    :param variables: the template's ``variables`` block.
    :param values: parameter values given by the caller (they win over defaults).
    """

    def __init__(
        self,
        parameters: Mapping[str, Any] | None = None,
        variables: Mapping[str, Any] | None = None,
        values: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> None:
        self._now = now or datetime.now(timezone.utc)
        self._params = {k.lower(): v for k, v in (parameters or {}).items()}
        self._vars = {k.lower(): v for k, v in (variables or {}).items()}
        self._values = {k.lower(): v for k, v in (values or {}).items()}
        self._var_cache: dict[str, Any] = {}
        self._resolving: set[str] = set()
        self._functions: dict[str, Callable[[Call, list[Any]], Any]] = {
            "concat": self._concat,
            "format": self._format,
            "resourceid": self._resource_id,
            "subscriptionresourceid": self._subscription_resource_id,
            "tenantresourceid": lambda n, a: self._provider_path("", n, a),
            "extensionresourceid": self._extension_resource_id,
            "tolower": lambda n, a: self._string_op(n, a, str.lower),
            "toupper": lambda n, a: self._string_op(n, a, str.upper),
            "string": lambda n, a: self._string_op(n, a, str),
            "int": self._int,
            "bool": self._bool,
            "if": self._if,
            "equals": self._equals,
            "not": lambda n, a: self._logic(n, a, lambda v: not v[0], 1),
            "and": lambda n, a: self._logic(n, a, all, 0),
            "or": lambda n, a: self._logic(n, a, any, 0),
            "empty": lambda n, a: self._logic(n, a, lambda v: not v[0], 1, truthy=False),
            "length": self._length,
            "createarray": lambda n, a: self._plain(n, a, list),
            "createobject": self._create_object,
            "utcnow": self._utc_now,
            "datetimeadd": self._date_time_add,
            "datetimetoepoch": self._date_time_to_epoch,
            "true": lambda n, a: True,
            "false": lambda n, a: False,
            "null": lambda n, a: None,
        }

    # -- entry points ------------------------------------------------------------------------

    def value(self, value: Any) -> Any:
        """Evaluate every expression string inside a JSON value (objects, lists, strings)."""
        if isinstance(value, str):
            return self.string(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def string(self, text: str) -> Any:
        """A template string: a literal, or the value of its ``[expression]``."""
        stripped = text.strip()
        if stripped.startswith("[["):
            return text.replace("[[", "[", 1)
        if not (stripped.startswith("[") and stripped.endswith("]")):
            return text
        inner = stripped[1:-1]
        try:
            node = parse(inner)
        except ExpressionError as error:
            return Unresolved(inner.strip(), f"malformed expression ({error})")
        return self.eval(node)

    def eval(self, node: Node) -> Any:
        """Evaluate a parsed expression."""
        if isinstance(node, Lit):
            return node.value
        if isinstance(node, Member):
            context = node.target
            if isinstance(context, Call) and context.name.lower() in _CONTEXT:
                known = _CONTEXT[context.name.lower()].get(node.name.lower())
                if known is not None:
                    return known
                return Unresolved(render(node), f"{render(node)} is known only at deployment")
            target = self.eval(node.target)
            return self._access(node, target, node.name)
        if isinstance(node, Index):
            target = self.eval(node.target)
            index = self.eval(node.index)
            if isinstance(index, Unresolved):
                return Unresolved(render(node), index.reason)
            return self._access(node, target, index)
        name = node.name.lower()
        if name == "parameters":
            return self._parameter(node)
        if name == "variables":
            return self._variable(node)
        if name in _CONTEXT:
            return Unresolved(render(node), f"{node.name}() is known only at deployment")
        function = self._functions.get(name)
        if function is None:
            return Unresolved(render(node), f"{node.name}() is evaluated at deployment")
        return function(node, [self.eval(a) for a in node.args])

    # -- parameters and variables ------------------------------------------------------------

    def _name_arg(self, node: Call) -> str | Unresolved:
        if len(node.args) != 1:
            return Unresolved(render(node), f"{node.name}() takes one name")
        name = self.eval(node.args[0])
        return name if isinstance(name, (str, Unresolved)) else Unresolved(render(node), "bad name")

    def _parameter(self, node: Call) -> Any:
        name = self._name_arg(node)
        if isinstance(name, Unresolved):
            return Unresolved(render(node), name.reason)
        key = name.lower()
        if key in self._values:
            return self._values[key]
        definition = self._params.get(key)
        if not isinstance(definition, Mapping):
            return Unresolved(render(node), f"the template has no parameter {name!r}")
        for field, default in definition.items():
            if field.lower() == "defaultvalue":
                return self.value(default)
        return Unresolved(render(node), f"parameter {name!r} has no default value")

    def _variable(self, node: Call) -> Any:
        name = self._name_arg(node)
        if isinstance(name, Unresolved):
            return Unresolved(render(node), name.reason)
        key = name.lower()
        if key in self._var_cache:
            return self._var_cache[key]
        if key not in self._vars:
            return Unresolved(render(node), f"the template has no variable {name!r}")
        if key in self._resolving:
            return Unresolved(render(node), f"variable {name!r} refers to itself")
        self._resolving.add(key)
        try:
            result = self.value(self._vars[key])
        finally:
            self._resolving.discard(key)
        self._var_cache[key] = result
        return result

    # -- functions ---------------------------------------------------------------------------

    def _access(self, node: Node, target: Any, key: Any) -> Any:
        if isinstance(target, Unresolved):
            return Unresolved(render(node), target.reason)
        if isinstance(target, Mapping) and isinstance(key, str):
            for k, v in target.items():
                if k.lower() == key.lower():
                    return v
            return Unresolved(render(node), f"no property {key!r}")
        if isinstance(target, list) and isinstance(key, int) and -len(target) <= key < len(target):
            return target[key]
        return Unresolved(render(node), f"cannot index {type(target).__name__}")

    def _concat(self, node: Call, args: list[Any]) -> Any:
        if args and all(isinstance(a, list) for a in args):
            return [item for a in args for item in a]
        if all(isinstance(a, (str, int, Unresolved)) and not isinstance(a, bool) for a in args):
            return _composite(args, "concat() over an unresolved part")
        return Unresolved(render(node), "concat() over mixed types")

    def _format(self, node: Call, args: list[Any]) -> Any:
        if not args or not isinstance(args[0], str):
            reason = args[0].reason if args and isinstance(args[0], Unresolved) else "no format"
            return Unresolved(render(node), reason)
        values = args[1:]
        parts: list[Any] = []
        pos = 0
        for match in _FORMAT.finditer(args[0]):
            parts.append(args[0][pos : match.start()])
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(token[0])
            else:
                index = int(match.group(1))
                if index >= len(values):
                    return Unresolved(render(node), "format() index out of range")
                parts.append(values[index])
            pos = match.end()
        parts.append(args[0][pos:])
        return _composite(parts, "format() over an unresolved part")

    def _provider_path(self, prefix: str, node: Call, args: list[Any]) -> Any:
        type_index = next(
            (
                i
                for i, a in enumerate(args)
                if isinstance(a, str) and "/" in a and "." in a.split("/")[0]
            ),
            None,
        )
        if type_index is None:
            return Unresolved(render(node), "the resource type is not a literal")
        segments = args[type_index].split("/")
        names = args[type_index + 1 :]
        if len(names) != len(segments) - 1:
            return Unresolved(render(node), "resource type and names do not match")
        parts: list[Any] = [prefix, "/providers/", segments[0]]
        for segment, name in zip(segments[1:], names):
            parts += ["/", segment, "/", name]
        return _composite(parts, "a resource name is unresolved")

    def _resource_id(self, node: Call, args: list[Any]) -> Any:
        head: list[Any] = []
        for arg in args[:2]:
            if isinstance(arg, str) and "/" in arg:
                break
            head.append(arg)
        subscription: Any = SUBSCRIPTION
        group: Any = RESOURCE_GROUP
        if len(head) == 2:
            subscription, group = head
        elif len(head) == 1:
            group = head[0]
        prefix = _composite(["/subscriptions/", subscription, "/resourceGroups/", group], "scope")
        return self._provider_path(prefix, node, args[len(head) :])

    def _subscription_resource_id(self, node: Call, args: list[Any]) -> Any:
        head = args[0] if args and not (isinstance(args[0], str) and "/" in args[0]) else None
        rest = args[1:] if head is not None else args
        subscription = SUBSCRIPTION if head is None else head
        prefix = _composite(["/subscriptions/", subscription], "scope")
        return self._provider_path(prefix, node, rest)

    def _extension_resource_id(self, node: Call, args: list[Any]) -> Any:
        if not args:
            return Unresolved(render(node), "extensionResourceId() takes a resource id")
        return self._provider_path(args[0], node, args[1:])

    def _string_op(self, node: Call, args: list[Any], op: Callable[[Any], str]) -> Any:
        if len(args) != 1 or isinstance(args[0], Unresolved):
            return Unresolved(render(node), args[0].reason if args else "no argument")
        return (
            op(args[0])
            if isinstance(args[0], str) or op is str
            else Unresolved(render(node), "not a string")
        )

    def _int(self, node: Call, args: list[Any]) -> Any:
        try:
            return int(args[0])
        except (TypeError, ValueError, IndexError):
            return Unresolved(render(node), "int() of a non-number")

    def _bool(self, node: Call, args: list[Any]) -> Any:
        if len(args) == 1 and isinstance(args[0], bool):
            return args[0]
        if len(args) == 1 and isinstance(args[0], str) and args[0].lower() in ("true", "false"):
            return args[0].lower() == "true"
        return Unresolved(render(node), "bool() of an unresolved value")

    def _if(self, node: Call, args: list[Any]) -> Any:
        if len(args) == 3 and isinstance(args[0], bool):
            return args[1] if args[0] else args[2]
        return Unresolved(render(node), "if() over an unresolved condition")

    def _equals(self, node: Call, args: list[Any]) -> Any:
        if len(args) == 2 and not any(isinstance(a, Unresolved) for a in args):
            return args[0] == args[1]
        return Unresolved(render(node), "equals() over an unresolved value")

    def _logic(
        self,
        node: Call,
        args: list[Any],
        op: Callable[[list[Any]], bool],
        count: int,
        *,
        truthy: bool = True,
    ) -> Any:
        if (count and len(args) != count) or any(isinstance(a, Unresolved) for a in args):
            return Unresolved(render(node), f"{node.name}() over an unresolved value")
        if truthy and not all(isinstance(a, bool) for a in args):
            return Unresolved(render(node), f"{node.name}() over a non-boolean")
        return op(args)

    def _length(self, node: Call, args: list[Any]) -> Any:
        if len(args) == 1 and isinstance(args[0], (str, list, Mapping)):
            return len(args[0])
        return Unresolved(render(node), "length() of an unresolved value")

    def _plain(self, node: Call, args: list[Any], op: Callable[[list[Any]], Any]) -> Any:
        return op(args)

    def _utc_now(self, node: Call, args: list[Any]) -> Any:
        if args:
            return Unresolved(render(node), "utcNow() with a format is not evaluated")
        return self._now.strftime("%Y%m%dT%H%M%SZ")

    def _date_time_add(self, node: Call, args: list[Any]) -> Any:
        base = _parse_time(args[0]) if args and isinstance(args[0], str) else None
        delta = iso_duration(args[1]) if len(args) == 2 and isinstance(args[1], str) else None
        if base is None or delta is None:
            return Unresolved(render(node), "dateTimeAdd() over an unresolved value")
        return (base + delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _date_time_to_epoch(self, node: Call, args: list[Any]) -> Any:
        base = _parse_time(args[0]) if len(args) == 1 and isinstance(args[0], str) else None
        if base is None:
            return Unresolved(render(node), "dateTimeToEpoch() over an unresolved value")
        return int(base.timestamp())

    def _create_object(self, node: Call, args: list[Any]) -> Any:
        if len(args) % 2 or not all(isinstance(k, str) for k in args[::2]):
            return Unresolved(render(node), "createObject() with unresolved keys")
        return dict(zip(args[::2], args[1::2]))
