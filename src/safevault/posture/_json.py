"""Reading an input file as JSON, with one clear line when it cannot be read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safevault.posture._errors import PostureInputError

__all__ = ["read_json"]


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
