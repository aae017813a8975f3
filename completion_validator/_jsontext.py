"""Strict JSON text: parsing it, and finding the line and column of a value in it.

The bottom layer: everything that reads JSON text (the input readers, the stream checker, the
API's `is_valid_json`) parses it here, and nothing here knows of schemas or rules. Parsing is
strict — a duplicate key, NaN or Infinity is an error — because a validator that lets the
parser silently pick one of two keys checks a document nobody sent.

Validation works on parsed values, which have forgotten where they came from. Only a document
with errors needs positions: `find` walks the text along one path, skipping every other value
in C. For malformed text, `scan` re-reads it to say in words what the parser expected where.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any, NamedTuple

from completion_validator.errors import InstancePath

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERAL = re.compile(r"true|false|null")
_NON_JSON_CONSTANT = re.compile(r"-?(?:NaN|Infinity)")


class Position(NamedTuple):
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
    """Turns character offsets into line and column numbers.

    Lines end at LF, CRLF or CR, as in JSON files and editors; `single_line` text (one line of
    a JSON Lines file, whose lines end at LF only) has no line ends inside it, whatever CRs it holds.
    """

    def __init__(self, text: str, first_line: int = 1, *, single_line: bool = False) -> None:
        self._starts = [0] if single_line else [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
        self._first_line = first_line

    def position(self, offset: int) -> Position:
        """The line and column of a character offset."""
        row = bisect.bisect_right(self._starts, offset) - 1
        return Position(self._first_line + row, offset - self._starts[row] + 1)


_SKIPPER = json.JSONDecoder()
_UNKNOWN: Any = object()  # `find` without the parsed value
Writer = Callable[[Any], bytes]  # writes a parsed value as JSON bytes (orjson.dumps)


# The containers a locator was asked into, by offset: None (once), or, from the second time on,
# every member's (key, value) offsets or every item's offset, found in one walk. A document with
# thousands of findings in one object or array (an attacker's usage details, a logprob above 0
# at every token) would otherwise be walked again for each of them: quadratic.
Walked = dict[int, "dict[str, tuple[int, int]] | list[int] | None"]


def find(
    text: str,
    path: InstancePath,
    value: Any = _UNKNOWN,
    writer: Writer | None = None,
    walked: Walked | None = None,
) -> tuple[int | None, int] | None:
    """(offset of the member's key or None, offset of the value) at `path` in strict JSON text.

    Walks only along `path`, skipping every other value with the C decoder, so locating an
    error in a 300 KB document costs about a parse, not a Python-level scan of it. The text
    must be valid JSON (it is: it parsed before anything was found wrong in it). `value`, the
    text's parsed value when known, lets a member be found by searching for its key
    (`_search_member`) instead of walking the members before it; `writer` (orjson.dumps, when
    installed) lets it look into earlier members that are containers. `walked`, kept by the
    caller across the findings of one text, makes a container asked into again walked once.
    """
    offset = _skip(text, 0)
    key_offset: int | None = None
    searchable = value is not _UNKNOWN
    node = value
    for part in path:
        opening = text[offset : offset + 1]
        if opening == "{" and isinstance(part, str):
            members = None if walked is None else _walked_before(walked, text, offset)
            if isinstance(members, dict):
                found = members.get(part)
            else:
                found = _search_member(text, offset, node, part, writer) if searchable else None
                if found is None:
                    found = _find_member(text, _skip(text, offset + 1), part)
            if found is None:
                return None
            key_offset, offset = found
            node = node.get(part) if type(node) is dict else _UNKNOWN
        elif opening == "[" and isinstance(part, int) and part >= 0:
            items = None if walked is None else _walked_before(walked, text, offset)
            if isinstance(items, list):
                if part >= len(items):
                    return None
                offset = items[part]
            else:
                offset = _skip(text, offset + 1)
                for _ in range(part):
                    if text.startswith("]", offset):
                        return None
                    offset = _after_value(text, offset)
                if text.startswith("]", offset):
                    return None
            key_offset = None
            node = node[part] if type(node) is list and part < len(node) else _UNKNOWN
        else:
            return None
    return key_offset, offset


def _walked_before(walked: Walked, text: str, offset: int) -> dict[str, tuple[int, int]] | list[int] | None:
    """The container at `offset` walked whole, if it was asked into before; None the first time."""
    if offset not in walked:
        walked[offset] = None
        return None
    known = walked[offset]
    if known is None:
        known = walked[offset] = (
            _every_member(text, offset) if text.startswith("{", offset) else _every_item(text, offset)
        )
    return known


def _every_member(text: str, offset: int) -> dict[str, tuple[int, int]]:
    """Each member of the object at `offset`: its name, and where its key and its value start."""
    members: dict[str, tuple[int, int]] = {}
    offset = _skip(text, offset + 1)
    while not text.startswith("}", offset):
        match = _STRING.match(text, offset)
        if match is None:
            break
        key, key_start = match.group(), offset
        offset = _skip(text, _skip(text, match.end()) + 1)  # past the colon
        members.setdefault(key[1:-1] if "\\" not in key else json.loads(key), (key_start, offset))
        offset = _after_value(text, offset)
    return members


def _every_item(text: str, offset: int) -> list[int]:
    """Where each item of the array at `offset` starts."""
    items = []
    offset = _skip(text, offset + 1)
    while not text.startswith("]", offset):
        items.append(offset)
        offset = _after_value(text, offset)
    return items


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


def _search_member(text: str, offset: int, node: Any, name: str, writer: Writer | None) -> tuple[int, int] | None:
    """The member `name` of the object at `offset`, found by searching the text for `"name"`.

    Sound only where nothing before the key can hold that text: the name is plain (letters,
    digits, `_`), no unicode escape precedes the match (so the key is written as itself), and
    no earlier member's key or value contains the name (so no string, escaped quotes and all,
    can spell `"name"`). An earlier container is looked into through `writer`, which writes
    every key and string in it with word characters as they are. None (walk instead) wherever
    that is not certain.
    """
    if type(node) is not dict or name not in node or not _PLAIN_NAME.fullmatch(name):
        return None
    for key, member in node.items():
        if key == name:
            break
        if name in key or not _cannot_spell(member, name, writer):
            return None
    key_offset = text.find(f'"{name}"', offset)
    if key_offset < 0 or text.find("\\u", offset, key_offset) >= 0:
        # With no unicode escape before the match, the key is written as itself, so this first
        # match is it (an escaped key would lie before a later match, and its escape with it).
        return None
    colon = _skip(text, key_offset + len(name) + 2)
    if not text.startswith(":", colon):
        return None
    return key_offset, _skip(text, colon + 1)


_NUMBERS = (int, float, bool)


def _cannot_spell(member: Any, name: str, writer: Writer | None) -> bool:
    """Whether no key or string in `member` contains `name` (False where that is not known)."""
    if member is None or type(member) in _NUMBERS:
        return True
    if type(member) is str:
        return name not in member
    if writer is None or type(member) not in (dict, list):
        return False
    try:
        return name.encode() not in writer(member)
    except (TypeError, ValueError, OverflowError):  # too deep to write: walk instead
        return False


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


def scan(text: str) -> None:
    """Read the text token by token; raise a `JsonSyntaxError` saying what was expected where it fails."""
    end = _scan_value(text, _skip(text, 0))
    if _skip(text, end) != len(text):
        raise JsonSyntaxError("extra data after the JSON value", _skip(text, end))


def _skip(text: str, offset: int) -> int:
    if text[offset : offset + 1] not in _BLANKS:  # most tokens follow each other without white space
        return offset
    match = _WHITESPACE.match(text, offset)
    return match.end() if match else offset


_BLANKS = frozenset(" \t\n\r")


def _scan_value(text: str, offset: int) -> int:
    char = text[offset : offset + 1]
    if char == "{":
        return _scan_object(text, offset)
    if char == "[":
        return _scan_array(text, offset)
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


def _scan_object(text: str, offset: int) -> int:
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
        offset = _skip(text, match.end())
        if not text.startswith(":", offset):
            raise JsonSyntaxError("expected ':' after the property name", offset)
        offset = _scan_value(text, _skip(text, offset + 1))
        offset = _skip(text, offset)
        if text.startswith("}", offset):
            return offset + 1
        if not text.startswith(",", offset):
            raise JsonSyntaxError("expected ',' or '}'", offset)
        offset = _skip(text, offset + 1)


def _scan_array(text: str, offset: int) -> int:
    offset = _skip(text, offset + 1)
    if text.startswith("]", offset):
        return offset + 1
    while True:
        offset = _skip(text, _scan_value(text, offset))
        if text.startswith("]", offset):
            return offset + 1
        if not text.startswith(",", offset):
            raise JsonSyntaxError("expected ',' or ']'", offset)
        offset = _skip(text, offset + 1)


PARSER_DEPTH = 1000  # nesting always read, wherever the call stack stands; deeper is a `limit` error
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_NESTING = re.compile(r'[\[\]{}]|"(?:[^"\\]|\\.)*"')
_MARKED = 100  # at most this many duplicate-key objects or constants are considered for the report


class _Constant:
    """Stands for a NaN or Infinity literal until the parse ends and it can be located."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Strict:
    """json.loads hooks that mark duplicate keys and non-finite constants instead of failing at once.

    The standard parser gives its hooks no offsets; failing in the hook would leave only a
    Python-level rescan of the whole text to find the place (51 s on 18.8 MB). Marked values are
    located afterwards by identity along one walk, and by `find`, which skips values in C.
    """

    def __init__(self) -> None:
        self.duplicates: list[tuple[dict[str, Any], str]] = []
        self.constants: list[_Constant] = []

    def pairs(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs) and len(self.duplicates) < _MARKED:
            seen: set[str] = set()
            repeated = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
            self.duplicates.append((result, repeated))
        return result

    def constant(self, name: str) -> Any:
        marker = _Constant(name)
        if len(self.constants) < _MARKED:
            self.constants.append(marker)
        return marker


def parse_json(text: str) -> Any:
    r"""Parse strict JSON: duplicate keys, NaN and Infinity are errors. Raises `JsonSyntaxError`.

    An integer longer than Python reads becomes a `TooLongNumber`, which the engine reports at
    its place, so the document's other problems are still found. A lone surrogate escape
    (`"\\ud800"`) is an `encoding` error: no UTF-8 text can hold it (RFC 7493).
    """
    strict = _Strict()
    try:
        with _room_for(PARSER_DEPTH):
            value = json.loads(text, object_pairs_hook=strict.pairs, parse_constant=strict.constant)
    except json.JSONDecodeError as error:
        raise _explain(text, error.pos, _json_message(text, error)) from None
    except RecursionError:
        raise _too_deep(text) from None
    except ValueError:  # an integer past the int-string limit: read it again, keeping it as text
        strict = _Strict()
        value = json.loads(text, object_pairs_hook=strict.pairs, parse_constant=strict.constant, parse_int=_read_int)
    if strict.duplicates or strict.constants:
        raise _first_marked(text, value, strict)
    if text.count("[") + text.count("{") > PARSER_DEPTH:  # the stack has room for a few levels more
        deepest = _past_the_limit(text)
        if deepest is not None:
            raise deepest
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(text, value)
    return value


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


@contextlib.contextmanager
def _room_for(levels: int) -> Iterator[None]:
    """Let the C parser nest `levels` deep above the current frame (its limit is Python's recursion limit).

    Without this the depth a document may have would depend on how deep the caller's stack is
    (a test runner's is deeper than the command's).
    """
    depth, frame = 0, sys._getframe()
    while frame is not None and depth < 10_000:
        depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
    wanted, before = depth + levels + 50, sys.getrecursionlimit()
    if wanted <= before:
        yield
        return
    sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _json_message(text: str, error: json.JSONDecodeError) -> str:
    if error.msg.startswith("Invalid control character"):
        char = text[error.pos : error.pos + 1]
        return (
            f"a raw control character (U+{ord(char):04X}) in a string: write it escaped, e.g. \\n or \\u{ord(char):04x}"
        )
    return _lowercase_first(error.msg.removesuffix(" at"))


def _too_deep(text: str) -> JsonSyntaxError:
    return _past_the_limit(text) or JsonSyntaxError("the document is nested too deeply to read", 0, "limit")


def _past_the_limit(text: str) -> JsonSyntaxError | None:
    """The `limit` error at the bracket that opens level `PARSER_DEPTH` + 1, if the text nests that deep."""
    depth = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > PARSER_DEPTH:
                return JsonSyntaxError(
                    f"nested too deeply: more than {PARSER_DEPTH} levels here, more than the parser reads",
                    match.start(),
                    "limit",
                )
        elif token in "]}":
            depth -= 1
    return None


def _paths_of(value: Any, targets: set[int]) -> dict[int, InstancePath]:
    """The path of each object whose id is in `targets`, found in one walk."""
    found: dict[int, InstancePath] = {}
    stack: list[tuple[Any, InstancePath]] = [(value, ())]
    while stack and len(found) < len(targets):
        node, path = stack.pop()
        if id(node) in targets:
            found.setdefault(id(node), path)
        if isinstance(node, dict):
            stack.extend((item, (*path, key)) for key, item in node.items())
        elif isinstance(node, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(node))
    return found


def _first_marked(text: str, value: Any, strict: _Strict) -> JsonSyntaxError:
    """The duplicate key or constant that comes first in the text, as a located error."""
    targets = {id(obj) for obj, _ in strict.duplicates} | {id(marker) for marker in strict.constants}
    paths = _paths_of(value, targets)
    candidates: list[JsonSyntaxError] = []
    unplaced: list[JsonSyntaxError] = []
    for obj, key in strict.duplicates:
        offset = _second_key(text, paths.get(id(obj)), key)
        message = f"duplicate key {key!r} (JSON parsers keep only one of them)"
        if offset is None:  # under an earlier duplicate key, whose own place comes first in the text
            unplaced.append(JsonSyntaxError(message, 0, "duplicate-key"))
        else:
            candidates.append(JsonSyntaxError(message, offset, "duplicate-key"))
    for marker in strict.constants:
        located = find(text, paths[id(marker)]) if id(marker) in paths else None
        offset = located[1] if located else 0
        sign = "-" if text.startswith("-", offset) else ""
        message = f"{sign}{marker.name} is not valid JSON (JSON numbers are finite)"
        (candidates if located else unplaced).append(JsonSyntaxError(message, offset, "not-json"))
    return min(candidates or unplaced, key=lambda error: error.offset)


def _second_key(text: str, path: InstancePath | None, key: str) -> int | None:
    """Where `key` is given the second time in the object at `path`; None where that is not found.

    `path` is the object's place in the parsed value, which keeps the last of a repeated key's
    values, while the text is walked to a key's first: under an earlier duplicate the walk may
    reach another value (an array, another object). That duplicate is then the one to report.
    """
    located = find(text, path) if path is not None else None
    if located is None or not text.startswith("{", located[1]):
        return None
    offset = _skip(text, located[1] + 1)
    seen = False
    while not text.startswith("}", offset):
        match = _STRING.match(text, offset)
        colon = _skip(text, match.end()) if match is not None else -1
        if match is None or not text.startswith(":", colon):
            return None
        name = match.group()
        if (name[1:-1] if "\\" not in name else json.loads(name)) == key:
            if seen:
                return offset
            seen = True
        offset = _after_value(text, _skip(text, colon + 1))
    return None


def has_lone_surrogate(text: str) -> bool:
    """Whether a string holds a surrogate code point on its own (it cannot be encoded as UTF-8)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def lone_surrogate_message(text: str) -> str:
    """What to say of a string holding a lone surrogate."""
    char = next((char for char in text if "\ud800" <= char <= "\udfff"), "\ud800")
    return f"a lone surrogate (\\u{ord(char):04x}) in a string: no UTF-8 text can hold it (RFC 7493 forbids it)"


def _refuse_lone_surrogates(text: str, value: Any) -> None:
    stack: list[tuple[Any, InstancePath]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if has_lone_surrogate(node):
                located = find(text, path)
                raise JsonSyntaxError(lone_surrogate_message(node), located[1] if located else 0, "encoding")
        elif isinstance(node, dict):
            for key, item in reversed(node.items()):
                if has_lone_surrogate(key):
                    located = find(text, (*path, key))
                    offset = located[0] if located and located[0] is not None else 0
                    raise JsonSyntaxError(lone_surrogate_message(key), offset, "encoding")
                stack.append((item, (*path, key)))
        elif isinstance(node, list):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(node))))


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
        for place, at_key in places(path, keyword):
            found = self.key_at(place) if at_key else self.value_at(place)
            if found is not None:
                return found
        return Position(1, 1)


def places(path: InstancePath, keyword: str) -> Iterator[tuple[InstancePath, bool]]:
    """Where a finding at `path` with `keyword` is shown, in the order to try them: (path, at its key).

    The value (or the key, for `_AT_KEY`); a missing member at its object; where a path is not
    in the text (a finding about something absent), the nearest ancestor that is.
    """
    if keyword == "required":
        path = path[:-1]
    at_key = keyword in _AT_KEY
    while True:
        yield path, at_key
        if not path:
            return
        path, at_key = path[:-1], False


class JsonLocator(Locator):
    """Positions in a JSON text, found by walking only along the paths asked for."""

    def __init__(
        self,
        text: str,
        first_line: int = 1,
        *,
        single_line: bool = False,
        value: Any = _UNKNOWN,
        writer: Writer | None = None,
    ) -> None:
        self._text = text
        self._first_line = first_line
        self._single_line = single_line
        self._value = value  # the text's parsed value, when known: members are then searched for
        self._writer = writer
        self._walked: Walked = {}  # containers asked into, walked whole from the second time on

    @cached_property
    def _lines(self) -> LineIndex:
        return LineIndex(self._text, self._first_line, single_line=self._single_line)

    def _find(self, path: InstancePath) -> tuple[int | None, int] | None:
        try:
            return find(self._text, path, self._value, self._writer, self._walked)
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


INT_DIGITS_LIMIT = 4300  # CPython's int <-> str conversion limit (sys.get_int_max_str_digits)


class TooLongNumber:
    """Stands for an integer with more digits than Python reads, so the rest of the document still can be."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"{self.digits[:20]}…({len(self.digits.lstrip('-+')):,} digits)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TooLongNumber) and other.digits == self.digits

    def __hash__(self) -> int:
        return hash(self.digits)


def _read_int(digits: str) -> int | TooLongNumber:
    return int(digits) if len(digits) <= INT_DIGITS_LIMIT else TooLongNumber(digits)
