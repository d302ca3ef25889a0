"""Typed access to one TOML table of a profile, with errors naming the key path.

``Reader(table, "eastron_sdm630.toml: register[3]", allowed_keys)`` refuses an
unknown key at once; each accessor checks the value's type (a bool is not an
int) and raises :class:`~drivers.errors.ProfileError` naming ``where.key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drivers.errors import ProfileError

REQUIRED: Any = object()
"""The default that makes a key required."""


class Reader:
    """Typed access to one TOML table, with errors that name the key path."""

    def __init__(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        self.table = table
        self.where = where
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ProfileError(f"{where}: unknown key {unknown[0]!r}")

    def error(self, key: str, message: str) -> ProfileError:
        """An error naming ``key`` in this table."""
        return ProfileError(f"{self.where}.{key}: {message}")

    def get(self, key: str, kinds: tuple[type, ...], default: Any) -> Any:
        """The value of ``key`` if it is one of ``kinds``; ``default`` if absent."""
        if key not in self.table:
            if default is REQUIRED:
                raise self.error(key, "missing")
            return default
        value = self.table[key]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            raise self.error(
                key, f"expected {kinds[0].__name__}, got {type(value).__name__}"
            )
        return value

    def text(self, key: str, default: Any = None) -> Any:
        """A string value."""
        return self.get(key, (str,), default)

    def integer(self, key: str, default: Any = None) -> Any:
        """An integer value."""
        return self.get(key, (int,), default)

    def flag(self, key: str) -> bool:
        """A boolean value, false when absent."""
        return bool(self.get(key, (bool,), False))

    def num(self, key: str, default: Any = None) -> Any:
        """A number, as float."""
        value = self.get(key, (int, float), default)
        return float(value) if value is not None else None

    def table_of(self, key: str) -> Any:
        """A sub-table, or None."""
        return self.get(key, (dict,), None)

    def int_list(self, key: str) -> list[int]:
        """A list of integers, empty when absent."""
        items = self.get(key, (list,), [])
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
            raise self.error(key, "expected a list of integers")
        return list(items)

    def enum(self, key: str, enum: Any, default: Any = None) -> Any:
        """A member of ``enum`` named by the value."""
        raw = self.table.get(key, default)
        if raw is REQUIRED:
            raise self.error(key, "missing")
        if raw is None:
            return None
        try:
            return enum(raw)
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum)
            raise self.error(key, f"{raw!r} is not one of {choices}") from None

    def enum_list(self, key: str, enum: Any) -> list[Any]:
        """A list of members of ``enum``."""
        out = []
        for raw in self.get(key, (list,), []):
            try:
                out.append(enum(raw))
            except ValueError:
                raise self.error(
                    key, f"{raw!r} is not a known {enum.__name__}"
                ) from None
        return out
