"""The posture checker's own error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safevault.errors import InvalidArgumentError

__all__ = ["PostureInputError", "read_json"]


class PostureInputError(InvalidArgumentError):
    """An input file cannot be read, is not JSON, or is not a shape the loaders know.

    The message is one line naming the file and what to do; it never quotes file content.
    """


def read_json(path: str | Path) -> tuple[Any, str]:
    """The parsed JSON of ``path``, and its text.

    :raises PostureInputError: unreadable, not UTF-8, or not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PostureInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PostureInputError(f"{path}: is a directory, not a JSON file") from None
    except PermissionError:
        raise PostureInputError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise PostureInputError(f"{path}: not a UTF-8 text file") from None
    except OSError as error:
        raise PostureInputError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as error:
        raise PostureInputError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
