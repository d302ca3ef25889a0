"""Read tokens from an operator's CSV file; every problem names line and column.

The header row names OCPI 2.2.1 Token fields (any order, any subset that includes
``uid``). Empty cells take the same defaults as ``edge tokens add``: the site's
own country code and party id, type RFID, contract_id = uid, issuer "Local",
valid, whitelist ALWAYS, last_updated now. Cells are checked as the OCPI Token
object checks them (lengths, enums, DateTime). Commas, semicolons or tabs may
separate cells; a UTF-8 byte-order mark is ignored.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from edge.auth.token_mapping import cached_from_ocpi
from edge.model.tokens import CachedToken, TokenSource
from edge.ocpi import Token
from edge.ocpi.errors import error_reason
from edge.store.tokens import TOKEN_FIELDS

# The OCPI fields an operator's CSV may carry: the cache's columns but the ones
# the controller keeps itself (where a row came from; the eMSP's energy contract).
FIELDS = tuple(f for f in TOKEN_FIELDS if f not in {"energy_contract", "source"})
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}
_ENUMS = {"type", "whitelist", "default_profile_type"}
MAX_ERRORS = 50


class TokenCsvError(ValueError):
    """The file has problems; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _dialect(text: str) -> str:
    header = text.split("\n", 1)[0]
    for sep in (",", ";", "\t"):
        if sep in header:
            return sep
    return ","


def _bool(cell: str) -> bool:
    low = cell.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{cell!r} is not true or false")


def _when(cell: str) -> datetime:
    try:
        moment = datetime.fromisoformat(cell.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{cell!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{cell!r} has no time zone (add Z for UTC)")
    return moment.astimezone(UTC)


class _Reader:
    def __init__(self, name: str, owner: tuple[str, str], now: datetime) -> None:
        self.name = name
        self.owner = owner
        self.now = now
        self._found: list[tuple[int, int, str]] = []
        self.columns: dict[str, int] = {}
        self.seen: dict[tuple[str, str, str, str], int] = {}

    def problem(self, line: int, text: str, field: str | None = None) -> None:
        where = f"{self.name}:{line}"
        column = 0
        if field is not None:
            column = self.columns.get(field, 0)
            where += (
                f": column {column} ({field})"
                if column
                else f": {field} (default value)"
            )
        self._found.append((line, column, f"{where}: {text}"))

    @property
    def problems(self) -> list[str]:
        """Every problem so far, by line and column."""
        return [text for _, _, text in sorted(self._found)]

    def unique(self, line: int, token: CachedToken) -> bool:
        key = (
            token.country_code.upper(),
            token.party_id.upper(),
            token.uid.upper(),
            token.type.value,
        )
        first = self.seen.setdefault(key, line)
        if first != line:
            self.problem(line, f"uid {token.uid} repeats line {first}", "uid")
        return first == line

    def header(self, cells: list[str]) -> None:
        for number, raw in enumerate(cells, start=1):
            name = raw.strip().lower()
            if name not in FIELDS:
                self.problem(
                    1,
                    f"column {number} ({raw.strip()!r}) is not an OCPI Token field; "
                    f"use {', '.join(FIELDS)}",
                )
            elif name in self.columns:
                self.problem(
                    1, f"column {number} ({name}) repeats column {self.columns[name]}"
                )
            else:
                self.columns[name] = number
        if "uid" not in self.columns:
            self.problem(1, "no uid column")

    def row(self, line: int, cells: list[str]) -> CachedToken | None:
        extra = [c for c in cells[len(self.columns) :] if c.strip()]
        if len(cells) > len(self.columns) and extra:
            self.problem(
                line, f"{len(cells)} cells, but the header names {len(self.columns)}"
            )
            return None
        given = {
            name: cells[col - 1].strip()
            for name, col in self.columns.items()
            if col <= len(cells) and cells[col - 1].strip()
        }
        uid = given.get("uid")
        if uid is None:
            self.problem(line, "required field is missing", "uid")
            return None
        data: dict[str, Any] = {
            "country_code": self.owner[0],
            "party_id": self.owner[1],
            "type": "RFID",
            "contract_id": uid,
            "issuer": "Local",
            "valid": True,
            "whitelist": "ALWAYS",
            "last_updated": self.now,
        } | {k: v for k, v in given.items() if k not in ("valid", "last_updated")}
        for name in _ENUMS & given.keys():
            data[name] = given[name].upper()
        ok = True
        for name, convert in (("valid", _bool), ("last_updated", _when)):
            if name in given:
                try:
                    data[name] = convert(given[name])
                except ValueError as exc:
                    self.problem(line, str(exc), name)
                    ok = False
        try:
            token = Token.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                self.problem(line, error_reason(err), str(err["loc"][0]))
            return None
        return cached_from_ocpi(token, TokenSource.CLI) if ok else None


def parse_tokens_csv(
    text: str, *, name: str, owner: tuple[str, str], now: datetime
) -> list[CachedToken]:
    """Every token in the file, or :class:`TokenCsvError` listing every problem."""
    reader = _Reader(name, owner, now)
    rows = csv.reader(
        io.StringIO(text.removeprefix("\ufeff")), delimiter=_dialect(text)
    )
    tokens: list[CachedToken] = []
    try:
        header = next(rows, None)
        if header is None:
            raise TokenCsvError([f"{name}:1: the file is empty"])
        reader.header(header)
        if reader.problems:
            raise TokenCsvError(reader.problems)
        line = rows.line_num + 1
        for cells in rows:
            if any(c.strip() for c in cells):
                token = reader.row(line, cells)
                if token is not None and reader.unique(line, token):
                    tokens.append(token)
            if len(reader.problems) >= MAX_ERRORS:
                reader.problem(line + 1, f"stopped after {MAX_ERRORS} problems")
                break
            line = rows.line_num + 1
    except csv.Error as exc:
        reader.problem(rows.line_num, str(exc))
    if reader.problems:
        raise TokenCsvError(reader.problems)
    return tokens
