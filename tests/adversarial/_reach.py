"""Everything reachable from an object, as text: for searching errors for a value.

Unlike the leak tests' walk of an exception's attributes, nothing is skipped: HTTP requests and
responses, the transport's own objects (requests' prepared request, aiohttp's request info),
``inner_exception``, ``exc_value`` and the ``__cause__``/``__context__`` chain are all
followed, because a caller's ``except`` clause (or ``pickle``, or an error reporter) can reach
them too.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from types import FrameType, ModuleType, TracebackType
from typing import Any

_LINKS = ("__cause__", "__context__")
_SKIP = (type, ModuleType, TracebackType, FrameType)


def reachable_text(root: Any, *, max_depth: int = 10, max_objects: int = 20_000) -> Iterator[str]:
    """Every str and bytes (decoded) reachable from ``root`` through attributes and items."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack and len(seen) < max_objects:
        obj, depth = stack.pop()
        if obj is None or isinstance(obj, (bool, int, float, complex, *_SKIP)):
            continue
        if id(obj) in seen or depth > max_depth:
            continue
        seen.add(id(obj))
        if isinstance(obj, str):
            yield obj
            continue
        if isinstance(obj, (bytes, bytearray, memoryview)):
            yield bytes(obj).decode("utf-8", "replace")
            continue
        children: list[Any] = []
        if isinstance(obj, Mapping):
            try:
                for key, value in list(obj.items()):
                    children += [key, value]
            except Exception:  # noqa: S110 - a mapping that cannot be listed has nothing to show
                pass
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += list(obj)
        if isinstance(obj, BaseException):
            children += [obj.args, *(getattr(obj, link) for link in _LINKS)]
        attributes = getattr(obj, "__dict__", None)
        if isinstance(attributes, dict):
            children += list(attributes.values())
        for slot in getattr(type(obj), "__slots__", ()) or ():
            if isinstance(slot, str):
                try:
                    children.append(getattr(obj, slot))
                except Exception:  # noqa: S112 - an unset slot holds nothing
                    continue
        stack.extend((child, depth + 1) for child in children)


def holds(root: Any, needle: str) -> bool:
    """True if ``needle`` is in any text reachable from ``root``, or in its pickle."""
    if any(needle in text for text in reachable_text(root)):
        return True
    try:
        data = pickle.dumps(root)
    except Exception:
        return False  # not picklable: nothing to write out
    return needle.encode() in data
