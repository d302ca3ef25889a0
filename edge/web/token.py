"""The API's bearer token, compared in constant time.

The token is in a file the ``[web]`` section names (``token_file``), read with
the same rules as every secret of the site (:func:`edge.config.web.read_api_token`:
a regular file others cannot read, one line of at least 16 characters). It is
never logged and never on a command line. A request is let in only with
``Authorization: Bearer <token>``; the comparison takes the same time wherever
the two differ (:func:`hmac.compare_digest`).
"""

from __future__ import annotations

import hmac

from edge.config.web import ApiTokenFileError, read_api_token


class WebConfigError(Exception):
    """A ``[web]`` file cannot be used; the message names the key and what to do."""


class ApiToken:
    """The one token the API accepts (None: the API is closed to everyone)."""

    def __init__(self, secret: str | None) -> None:
        self._secret = None if secret is None else secret.encode()

    def __repr__(self) -> str:
        return "ApiToken(<set>)" if self._secret else "ApiToken(<none>)"

    @property
    def configured(self) -> bool:
        """Whether a token was given at all."""
        return self._secret is not None

    @classmethod
    def from_file(cls, path: str | None) -> ApiToken:
        """The token in ``path``; None: no token (every request refused)."""
        if path is None:
            return cls(None)
        try:
            return cls(read_api_token(path))
        except ApiTokenFileError as exc:
            raise WebConfigError(str(exc)) from None

    def matches(self, presented: str) -> bool:
        """Whether ``presented`` is the token (constant time; False without one)."""
        if self._secret is None:
            return False
        return hmac.compare_digest(presented.encode(), self._secret)
