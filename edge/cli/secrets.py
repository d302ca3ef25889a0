"""Secrets for the command line, taken from a file or the environment, never argv.

Anything on a command line is visible to every local user in ``ps``, so a token
is given as ``--NAME-file PATH`` (``-`` reads one line from stdin) or in an
environment variable (``/proc/PID/environ`` is readable by its owner only). The
old ``--NAME TOKEN`` forms are refused with a message
that says what to use instead.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from dataclasses import dataclass

MAX_SECRET_BYTES = 4096
"""A token file is a token and a newline, not a document."""


class SecretError(Exception):
    """A secret that cannot be read or used; the message says what to do."""


@dataclass(frozen=True)
class SecretFlag:
    """One secret: ``--{flag}-file PATH`` or the environment variable ``env``."""

    flag: str
    """The old argv flag, e.g. ``ocpi-token-a``."""
    env: str
    what: str

    @property
    def dest(self) -> str:
        """The argparse attribute of ``--{flag}-file``."""
        return self.flag.replace("-", "_") + "_file"

    @property
    def refused_dest(self) -> str:
        """The argparse attribute of the refused ``--{flag}``."""
        return self.flag.replace("-", "_") + "_in_argv"

    def add(self, parser: argparse.ArgumentParser) -> None:
        """Add ``--{flag}-file`` and a hidden ``--{flag}`` that is refused."""
        parser.add_argument(
            f"--{self.flag}-file",
            dest=self.dest,
            metavar="PATH",
            help=f"read {self.what} from this file ('-': stdin), or set {self.env}",
        )
        parser.add_argument(
            f"--{self.flag}", dest=self.refused_dest, help=argparse.SUPPRESS
        )

    def hint(self) -> str:
        """How to give this secret."""
        return f"--{self.flag}-file PATH or the {self.env} environment variable"

    def read(self, args: argparse.Namespace) -> str | None:
        """The secret from its file or variable (None: not given)."""
        if getattr(args, self.refused_dest, None) is not None:
            raise SecretError(
                f"--{self.flag} puts {self.what} on the command line, where every "
                f"local user sees it in `ps`; give it with {self.hint()}"
            )
        path = getattr(args, self.dest, None)
        from_env = os.environ.get(self.env)
        if path is not None and from_env is not None:
            raise SecretError(
                f"{self.what} is given twice (--{self.flag}-file and {self.env}); "
                "give it once"
            )
        if path is not None:
            return _check(_read_file(path, self.what), f"--{self.flag}-file", self.what)
        if from_env is not None:
            return _check(from_env, self.env, self.what)
        return None


def _read_file(path: str, what: str) -> str:
    if path == "-":
        return sys.stdin.readline(MAX_SECRET_BYTES)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise SecretError(f"cannot read {what} from {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) and not stat.S_ISFIFO(info.st_mode):
            raise SecretError(f"{path} is not a file; put {what} in a regular file")
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(
                f"warning: {path} holds {what} and other users may read it "
                f"(mode {stat.S_IMODE(info.st_mode):o}); `chmod 600 {path}`",
                file=sys.stderr,
            )
        os.set_blocking(fd, True)
        data = os.read(fd, MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise SecretError(f"cannot read {what} from {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_BYTES:
        raise SecretError(f"{path} is too large for {what} (over 4 KiB)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretError(f"{path}: {what} is not UTF-8 text") from None


def _check(value: str, source: str, what: str) -> str:
    token = value.strip()
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise SecretError(
            f"{source}: {what} must be one line of printable characters, no spaces"
        )
    return token


OCPI_TOKEN_A = SecretFlag(
    "ocpi-token-a", "EDGE_OCPI_TOKEN_A", "CREDENTIALS_TOKEN_A (token A)"
)
TOKEN_C = SecretFlag("token-c", "EDGE_OCPI_TOKEN_C", "token C")
TOKEN_B = SecretFlag("token-b", "EDGE_OCPI_TOKEN_B", "token B")
