"""Read a site file: TOML → validated, frozen :class:`SiteConfig`.

Every problem becomes a :class:`ConfigIssue` with the file, the line and the key
path, so that ``edge config check`` can print all of them at once and the
controller never starts on a half-valid file.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.config.checks import cross_check
from edge.config.locate import key_lines, line_of
from edge.config.schema import SiteConfig

MAX_SITE_BYTES = 2 * 1024 * 1024
"""A site file is a few kilobytes; anything past this is not one."""
MoreChecks = Callable[[SiteConfig], list[tuple[str, str]]]
"""Rules beyond the file itself: (key path, message) for each one broken."""


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with a site file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.path}: {self.message}"
            if self.path
            else (f"{where}: {self.message}")
        )


class ConfigError(Exception):
    """A site file that cannot be used; ``issues`` lists every problem."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _loc_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


def _describe(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check its spelling, or remove it)"
    if kind == "missing":
        return "missing required key"
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{err['msg']}{shown}"


def parse_config(
    text: str,
    file: str = "<site>",
    known_models: Iterable[str] | None = None,
    more_checks: MoreChecks | None = None,
) -> SiteConfig:
    """Validate site-file text; raise :class:`ConfigError` listing every issue.

    ``more_checks`` adds rules that look outside the file (paths, the tariff
    file) once the schema holds; its problems are reported with their lines
    like the others.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError(
            [ConfigIssue(file, line, "", f"not valid TOML: {exc}")]
        ) from None
    except RecursionError:
        raise ConfigError(
            [ConfigIssue(file, None, "", "arrays or tables nested too deeply")]
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ConfigError(
            [ConfigIssue(file, None, "", f"not valid TOML: {exc}")]
        ) from None
    lines = key_lines(text)
    try:
        config = SiteConfig.model_validate(data)
    except RecursionError:
        raise ConfigError(
            [ConfigIssue(file, None, "", "arrays or tables nested too deeply")]
        ) from None
    except ValidationError as exc:
        issues: list[ConfigIssue] = []
        for err in exc.errors():
            path = _loc_path(err["loc"])
            # Unions and literals report one entry per alternative: keep the first.
            if any(i.path == path for i in issues):
                continue
            issues.append(ConfigIssue(file, line_of(lines, path), path, _describe(err)))
        raise ConfigError(issues) from None
    problems = cross_check(config, set(known_models) if known_models else None)
    if more_checks is not None:
        problems += more_checks(config)
    if problems:
        raise ConfigError(
            [ConfigIssue(file, line_of(lines, p), p, msg) for p, msg in problems]
        )
    return config


def load_config(
    path: Path | str,
    known_models: Iterable[str] | None = None,
    more_checks: MoreChecks | None = None,
) -> SiteConfig:
    """Read and validate the site file at ``path``."""
    return parse_config(
        read_site_text(path), str(path), known_models, more_checks=more_checks
    )


def read_site_text(path: Path | str) -> str:
    """The text of a site file: a regular file of at most 2 MiB, in UTF-8.

    Never reads more than the cap (``/dev/zero`` and pipes are refused, as is a
    file that grows while read); a byte that is not UTF-8 is reported with its
    offset and line.
    """
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise _one(name, None, f"cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _one(name, None, f"not a regular file ({_kind(info.st_mode)})")
        if info.st_size > MAX_SITE_BYTES:
            raise _one(name, None, _too_large(info.st_size))
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_SITE_BYTES:
            chunk = os.read(fd, MAX_SITE_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _one(name, None, f"cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > MAX_SITE_BYTES:
        raise _one(name, None, _too_large(size))
    return decode_site_bytes(b"".join(chunks), name)


def decode_site_bytes(data: bytes, file: str) -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _one(
            file,
            line,
            f"not UTF-8 text: byte 0x{data[exc.start]:02X} at offset {exc.start} "
            f"(line {line}, column {column}); save the file as UTF-8",
        ) from None


def _one(file: str, line: int | None, message: str) -> ConfigError:
    return ConfigError([ConfigIssue(file, line, "", message)])


def _too_large(size: int) -> str:
    return (
        f"too large for a site file ({size} bytes or more; at most "
        f"{MAX_SITE_BYTES // (1024 * 1024)} MiB)"
    )


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")
