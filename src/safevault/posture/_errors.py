"""The posture checker's own error."""

from __future__ import annotations

from safevault.errors import InvalidArgumentError

__all__ = ["PostureInputError"]


class PostureInputError(InvalidArgumentError):
    """An input file cannot be read, is not JSON, or is not a shape the loaders know.

    The message is one line naming the file and what to do; it never quotes file content.
    """
