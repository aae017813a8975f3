"""Strict JSON text: parsing it, and finding the line and column of a value in it.

The bottom layer: everything that reads JSON text (the input readers, the stream checker, the
API's `is_valid_json`) parses it here, and nothing here knows of schemas or rules. Parsing is
strict — a duplicate key, NaN or Infinity is an error — because a validator that lets the
parser silently pick one of two keys checks a document nobody sent.

Validation works on parsed values, which have forgotten where they came from. Only a document
with errors needs positions, so the scanner runs on the error path alone: it walks the text
once and records where every value (and every member's key) starts, and it locates what the
standard library's parser will not: a duplicate key, and a NaN or Infinity literal.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from completion_validator.errors import InstancePath

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null")
_NON_JSON_CONSTANT = re.compile(r"-?(?:NaN|Infinity)")


@dataclass(frozen=True)
class Position:
    """A 1-based line and column (columns count characters, as editors do)."""

    line: int
    column: int


class JsonSyntaxError(ValueError):
    """JSON text that is malformed or that JSON forbids (duplicate keys, NaN), with its offset."""

    def __init__(self, message: str, offset: int, keyword: str = "parse") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.keyword = keyword


class LineIndex:
    """Turns character offsets into line and column numbers."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
        self._first_line = first_line

    def position(self, offset: int) -> Position:
        """The line and column of a character offset."""
        row = bisect.bisect_right(self._starts, offset) - 1
        return Position(self._first_line + row, offset - self._starts[row] + 1)


@dataclass(frozen=True)
class JsonPositions:
    """Where each value, and each object member's key, starts in a JSON text (character offsets)."""

    values: dict[InstancePath, int]
    keys: dict[InstancePath, int]


_SKIPPER = json.JSONDecoder()


def find(text: str, path: InstancePath) -> tuple[int | None, int] | None:
    """(offset of the member's key or None, offset of the value) at `path` in strict JSON text.

    Walks only along `path`, skipping every other value with the C decoder, so locating an
    error in a 300 KB document costs about a parse, not a Python-level scan of it. The text
    must be valid JSON (it is: it parsed before anything was found wrong in it).
    """
    offset = _skip(text, 0)
    key_offset: int | None = None
    for part in path:
        opening = text[offset : offset + 1]
        if opening == "{" and isinstance(part, str):
            found = _find_member(text, _skip(text, offset + 1), part)
            if found is None:
                return None
            key_offset, offset = found
        elif opening == "[" and isinstance(part, int) and part >= 0:
            offset = _skip(text, offset + 1)
            for _ in range(part):
                if text.startswith("]", offset):
                    return None
                offset = _after_value(text, offset)
            if text.startswith("]", offset):
                return None
            key_offset = None
        else:
            return None
    return key_offset, offset


def _find_member(text: str, offset: int, name: str) -> tuple[int, int] | None:
    while not text.startswith("}", offset):
        match = _STRING.match(text, offset)
        if match is None:
            return None
        key = match.group()
        key_start = offset
        offset = _skip(text, _skip(text, match.end()) + 1)  # past the colon
        if (key[1:-1] if "\\" not in key else json.loads(key)) == name:
            return key_start, offset
        offset = _after_value(text, offset)
    return None


def _after_value(text: str, offset: int) -> int:
    """The offset of the next value in a container, past the value at `offset` and its comma."""
    _, end = _SKIPPER.raw_decode(text, offset)
    end = _skip(text, end)
    return _skip(text, end + 1) if text.startswith(",", end) else end


def scan(text: str) -> JsonPositions:
    """Record the offset of every value and key; raise `JsonSyntaxError` for a duplicate key or NaN."""
    values: dict[InstancePath, int] = {}
    keys: dict[InstancePath, int] = {}
    end = _scan_value(text, _skip(text, 0), (), values, keys)
    if _skip(text, end) != len(text):
        raise JsonSyntaxError("extra data after the JSON value", _skip(text, end))
    return JsonPositions(values, keys)


def _skip(text: str, offset: int) -> int:
    match = _WHITESPACE.match(text, offset)
    return match.end() if match else offset


def _scan_value(
    text: str,
    offset: int,
    path: InstancePath,
    values: dict[InstancePath, int],
    keys: dict[InstancePath, int],
) -> int:
    values[path] = offset
    char = text[offset : offset + 1]
    if char == "{":
        return _scan_object(text, offset, path, values, keys)
    if char == "[":
        return _scan_array(text, offset, path, values, keys)
    for pattern in (_STRING, _NUMBER, _LITERAL):
        match = pattern.match(text, offset)
        if match:
            return match.end()
    if char == '"':
        raise JsonSyntaxError("unterminated string (or a raw control character or bad escape in it)", offset)
    constant = _NON_JSON_CONSTANT.match(text, offset)
    if constant:
        raise JsonSyntaxError(f"{constant.group()} is not valid JSON (JSON numbers are finite)", offset, "not-json")
    raise JsonSyntaxError("expected a JSON value", offset)


def _scan_object(
    text: str,
    offset: int,
    path: InstancePath,
    values: dict[InstancePath, int],
    keys: dict[InstancePath, int],
) -> int:
    offset = _skip(text, offset + 1)
    if text.startswith("}", offset):
        return offset + 1
    seen: set[str] = set()
    while True:
        match = _STRING.match(text, offset)
        if not match:
            raise JsonSyntaxError("expected a property name in double quotes", offset)
        name = json.loads(match.group())
        if name in seen:
            raise JsonSyntaxError(
                f"duplicate key {name!r} (JSON parsers keep only one of them)", offset, "duplicate-key"
            )
        seen.add(name)
        keys[(*path, name)] = offset
        offset = _skip(text, match.end())
        if not text.startswith(":", offset):
            raise JsonSyntaxError("expected ':' after the property name", offset)
        offset = _scan_value(text, _skip(text, offset + 1), (*path, name), values, keys)
        offset = _skip(text, offset)
        if text.startswith("}", offset):
            return offset + 1
        if not text.startswith(",", offset):
            raise JsonSyntaxError("expected ',' or '}'", offset)
        offset = _skip(text, offset + 1)


def _scan_array(
    text: str,
    offset: int,
    path: InstancePath,
    values: dict[InstancePath, int],
    keys: dict[InstancePath, int],
) -> int:
    offset = _skip(text, offset + 1)
    if text.startswith("]", offset):
        return offset + 1
    index = 0
    while True:
        offset = _skip(text, _scan_value(text, offset, (*path, index), values, keys))
        if text.startswith("]", offset):
            return offset + 1
        if not text.startswith(",", offset):
            raise JsonSyntaxError("expected ',' or ']'", offset)
        offset = _skip(text, offset + 1)
        index += 1


class _DuplicateKey(ValueError):
    pass


class _NonFiniteNumber(ValueError):
    pass


def _pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _reject_constant(name: str) -> Any:
    raise _NonFiniteNumber(name)


def parse_json(text: str) -> Any:
    """Parse strict JSON: duplicate keys, NaN and Infinity are errors. Raises `JsonSyntaxError`."""
    try:
        return json.loads(text, object_pairs_hook=_pairs_to_dict, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise _explain(text, error.pos, _lowercase_first(error.msg)) from None
    except (_DuplicateKey, _NonFiniteNumber):
        scan(text)  # raises, located at the duplicate key or the constant
        raise JsonSyntaxError("duplicate key or non-finite number", 0) from None
    except RecursionError:
        raise JsonSyntaxError("the document is nested too deeply to read", 0) from None


def _explain(text: str, offset: int, fallback: str) -> JsonSyntaxError:
    """The scanner's wording when it fails at the same place as the parser (it knows the context)."""
    if not text.strip():
        return JsonSyntaxError("no JSON value: the input is empty", offset)
    try:
        scan(text)
    except JsonSyntaxError as located:
        if located.offset == offset:
            return located
    except RecursionError:
        pass
    return JsonSyntaxError(fallback, offset)


def _lowercase_first(message: str) -> str:
    return message[:1].lower() + message[1:]


# Keywords whose finding is best shown at the member's key rather than at its value.
_AT_KEY = frozenset({"additionalProperties"})


class Locator:
    """Finds the line and column of a path in one document's source, on demand."""

    def value_at(self, path: InstancePath) -> Position | None:  # pragma: no cover - interface
        """Where the value at `path` starts."""
        raise NotImplementedError

    def key_at(self, path: InstancePath) -> Position | None:
        """Where the key of the member at `path` starts (default: its value)."""
        return self.value_at(path)

    def locate(self, path: InstancePath, keyword: str) -> Position:
        """The position to report for a finding at `path`: the value, or for a missing member its object."""
        if keyword == "required":
            path = path[:-1]
        while True:
            found = self.key_at(path) if keyword in _AT_KEY else self.value_at(path)
            if found is not None or not path:
                return found or Position(1, 1)
            path, keyword = path[:-1], ""


class JsonLocator(Locator):
    """Positions in a JSON text, found by walking only along the paths asked for."""

    def __init__(self, text: str, first_line: int = 1) -> None:
        self._text = text
        self._first_line = first_line

    @cached_property
    def _lines(self) -> LineIndex:
        return LineIndex(self._text, self._first_line)

    def _find(self, path: InstancePath) -> tuple[int | None, int] | None:
        try:
            return find(self._text, path)
        except (ValueError, IndexError):  # not strict JSON after all: report no position rather than fail
            return None

    def value_at(self, path: InstancePath) -> Position | None:
        """Where the value at `path` starts."""
        found = self._find(path)
        return self._lines.position(found[1]) if found else None

    def key_at(self, path: InstancePath) -> Position | None:
        """Where the key of the member at `path` starts."""
        found = self._find(path)
        if not found:
            return None
        return self._lines.position(found[0] if found[0] is not None else found[1])
