"""The two rotation strategies safevault ships: one credential, or two that alternate.

- :class:`SingleCredentialRotator`: ``apply`` replaces the target's only credential (one
  database role's password, one API key). Simple, but between ``apply`` and the moment every
  reader has the new value, readers holding the old one are refused: pair it with
  ``call_with_secret`` on the reader side, or prefer the alternating strategy.
- :class:`AlternatingCredentialRotator`: two target users (``app_a``/``app_b``) or keys
  (``key1``/``key2``). The secret's value names the current one (JSON
  ``{"username": ..., "password": ...}``); each rotation refreshes the idle one and makes it
  current, so the previous value keeps working until its revoke, after the grace period.

Both are parametrized by small callables. With ``safevault.aio`` each callable may be an
``async def`` function: the rotator returns its awaitable and the async shell awaits it.
"""

from __future__ import annotations

import inspect
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from safevault._model._rotator import Rotator
from safevault._model._secret import Secret
from safevault.errors import InvalidArgumentError

__all__ = ["AlternatingCredentialRotator", "CredentialRejectedError", "SingleCredentialRotator"]

_LOG = logging.getLogger("safevault")


class CredentialRejectedError(Exception):
    """A strategy's ``check`` returned False: the new credential does not work on the target."""


def _new_password() -> str:
    return secrets.token_urlsafe(32)


def _require_callable(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not callable(value):
        raise InvalidArgumentError(f"{name} must be a callable (a function or async function).")


def _accepted(result: Any) -> Any:
    """Treat a check's ``False`` as a rejection, now or once its awaitable is awaited; any
    other outcome of a check (a connection, a row ...) passes, as ``verify``'s ``None``."""
    if inspect.isawaitable(result):
        awaitable = result

        async def later() -> None:
            if await awaitable is False:
                raise CredentialRejectedError("the check rejected the new credential")

        return later()
    if result is False:
        raise CredentialRejectedError("the check rejected the new credential")
    return None


class SingleCredentialRotator(Rotator):
    """Rotate a target that has one credential: ``apply`` replaces it.

    The old value stops working as soon as ``apply`` ran: readers still holding it are
    refused until they read the new version (``call_with_secret`` does that at once). Use
    :class:`AlternatingCredentialRotator` when the target can hold two credentials.

    :keyword set_credential: ``set_credential(new_value)``: install the new value on the
        target (e.g. ``ALTER ROLE app PASSWORD ...`` through an admin connection). Must be
        idempotent: after a crash the next run applies the same pending value again.
    :keyword check: ``check(new_value)``: raise (or return False) if the value does not work
        (e.g. log in with it).
    :keyword revoke: optional ``revoke(old_value)``: make the previous value stop working
        once the grace period passed (for targets where it is a separate credential).
    :keyword generate: optional ``generate() -> str``: a new value (default: 32 random bytes,
        URL-safe base64).
    :raises InvalidArgumentError: a parameter is not callable.
    """

    def __init__(
        self,
        *,
        set_credential: Callable[[str], Any],
        check: Callable[[str], Any],
        revoke: Callable[[str], Any] | None = None,
        generate: Callable[[], str] | None = None,
    ) -> None:
        _require_callable("set_credential", set_credential)
        _require_callable("check", check)
        _require_callable("revoke", revoke, optional=True)
        _require_callable("generate", generate, optional=True)
        self._set_credential = set_credential
        self._check = check
        self._revoke = revoke
        self._generate = generate or _new_password

    def __repr__(self) -> str:
        return "SingleCredentialRotator()"

    def generate(self, current: Secret | None) -> str:
        """A new value from ``generate`` (default: 43 URL-safe random characters)."""
        return self._generate()

    def apply(self, new_value: str, current: Secret | None) -> Any:
        """Install ``new_value`` on the target through ``set_credential``."""
        return self._set_credential(new_value)

    def verify(self, new_value: str) -> Any:
        """Run ``check``; a False result counts as a failure."""
        return _accepted(self._check(new_value))

    def revoke(self, old: Secret) -> Any:
        """Run ``revoke(old_value)`` if one was given (the credential was already replaced)."""
        if self._revoke is None:
            return None
        return self._revoke(old.value)


class AlternatingCredentialRotator(Rotator):
    """Rotate between two target users (or keys), so the old value works until its revoke.

    The secret's value is JSON ``{"username": ..., "password": ...}`` (other fields, e.g.
    ``host``, are carried over from the current value). Each rotation picks the *idle* user
    (the one the current value does not name), gives it a fresh password and makes it
    current; the previous user keeps its password until the revoke, which resets it to a
    random throwaway that is stored nowhere.

    :keyword users: the two users, e.g. ``("app_a", "app_b")``; both need the same rights.
    :keyword set_password: ``set_password(username, password)``: set a user's password on the
        target (through an admin connection). Must be idempotent.
    :keyword check: ``check(username, password)``: raise (or return False) if the login fails.
    :keyword password: optional ``password() -> str`` for new passwords (default: 32 random
        bytes, URL-safe base64).
    :raises InvalidArgumentError: not exactly two distinct users, or a parameter not callable.
    """

    def __init__(
        self,
        *,
        users: tuple[str, str],
        set_password: Callable[[str, str], Any],
        check: Callable[[str, str], Any],
        password: Callable[[], str] | None = None,
    ) -> None:
        if (
            not isinstance(users, (tuple, list))
            or len(users) != 2
            or not all(isinstance(u, str) and u for u in users)
            or users[0] == users[1]
        ):
            raise InvalidArgumentError(
                "users must be two distinct, non-empty user names, e.g. ('app_a', 'app_b')."
            )
        _require_callable("set_password", set_password)
        _require_callable("check", check)
        _require_callable("password", password, optional=True)
        self.users: tuple[str, str] = (users[0], users[1])
        self._set_password = set_password
        self._check = check
        self._password = password or _new_password

    def __repr__(self) -> str:
        return f"AlternatingCredentialRotator(users={self.users!r})"

    def idle_user(self, current: Secret | None) -> str:
        """The user the current value does not name (the first user when there is none).

        :raises InvalidArgumentError: the current value is not this strategy's JSON, or names
            a user outside ``users``.
        """
        if current is None:
            return self.users[0]
        fields = self._parse(current.value, "the current value")
        return self.users[1] if fields["username"] == self.users[0] else self.users[0]

    def generate(self, current: Secret | None) -> str:
        """The idle user with a fresh password, as JSON (other current fields kept)."""
        fields: dict[str, Any] = {}
        if current is not None:
            fields = self._parse(current.value, "the current value")
        user = self.idle_user(current)
        value: dict[str, Any] = {"username": user, "password": self._password()}
        value.update((k, v) for k, v in fields.items() if k not in ("username", "password"))
        return json.dumps(value)

    def apply(self, new_value: str, current: Secret | None) -> Any:
        """Set the new user's password through ``set_password``."""
        fields = self._parse(new_value, "the new value")
        return self._set_password(fields["username"], fields["password"])

    def verify(self, new_value: str) -> Any:
        """Log in as the new user through ``check``; a False result counts as a failure."""
        fields = self._parse(new_value, "the new value")
        return _accepted(self._check(fields["username"], fields["password"]))

    def revoke(self, old: Secret) -> Any:
        """Reset the previous user's password to a random throwaway, so the old value fails.

        An old value that is not this strategy's JSON (e.g. written before it was adopted)
        names no user to revoke: it is skipped with a warning.
        """
        try:
            fields = self._parse(old.value, "the previous value")
        except InvalidArgumentError:
            _LOG.warning(
                "safevault: the previous version %s of %r names none of %r; nothing revoked.",
                old.version,
                old.name,
                self.users,
            )
            return None
        return self._set_password(fields["username"], _new_password())

    def _parse(self, value: str, what: str) -> dict[str, Any]:
        try:
            fields = json.loads(value)
        except ValueError:
            fields = None
        if (
            not isinstance(fields, dict)
            or fields.get("username") not in self.users
            or not isinstance(fields.get("password"), str)
        ):
            raise InvalidArgumentError(
                f"{what} of the secret is not JSON {{'username': ..., 'password': ...}} naming "
                f"one of {self.users!r}: set a first value in that form before rotating."
            )
        return fields
