"""Reading payloads from files and streams: JSON, JSONL and YAML, each document with its positions.

A reader yields, in file order, a `Document` for every payload it could parse and a
`ReadProblem` for everything it could not (bad syntax, duplicate keys, bad encoding, a missing
file), so one bad line in a log never hides the rest of the run. Positions are worked out only
when asked for, that is, only for documents that have errors.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Literal

from completion_validator.errors import InstancePath
from completion_validator.positions import JsonSyntaxError, LineIndex, Position, find, scan

InputFormat = Literal["json", "jsonl", "yaml", "sse"]
FORMAT_BY_SUFFIX: dict[str, InputFormat] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".sse": "sse",
}
# What a stream capture starts with (JSON cannot; YAML can, so YAML files are never sniffed).
SSE_PREFIXES = (b"data:", b"event:", b"id:", b"retry:", b":")
_UTF8_BOM = b"\xef\xbb\xbf"
# Keywords whose error is best shown at the member's key rather than at its value.
_AT_KEY = frozenset({"additionalProperties"})


@dataclass(frozen=True)
class ReadProblem:
    """Input that could not be read as JSON data, with where it went wrong when that is known."""

    message: str
    keyword: str = "parse"
    position: Position | None = None
    index: int | None = None


class Locator:
    """Finds the line and column of a path in one document's source, on demand."""

    def value_at(self, path: InstancePath) -> Position | None:  # pragma: no cover - interface
        """Where the value at `path` starts."""
        raise NotImplementedError

    def key_at(self, path: InstancePath) -> Position | None:
        """Where the key of the member at `path` starts (default: its value)."""
        return self.value_at(path)

    def locate(self, path: InstancePath, keyword: str) -> Position:
        """The position to report for an error at `path`: the value, or for a missing member its object."""
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


@dataclass(frozen=True)
class Document:
    """One parsed payload: its value, its index in the file (JSONL line, YAML document), its positions."""

    value: Any
    index: int | None
    locator: Locator = field(repr=False, compare=False)

    def locate(self, path: InstancePath, keyword: str) -> Position:
        """The line and column to report for an error at `path` with `keyword`."""
        return self.locator.locate(path, keyword)


@dataclass(frozen=True)
class Clean:
    """A document the fast path found nothing to report in; it was never parsed any further."""

    index: int | None = None


@dataclass(frozen=True)
class Capture:
    """A captured server-sent-events stream, checked as a whole (see streams.py)."""

    text: str
    index: int | None = None


Item = Document | ReadProblem | Capture | Clean
# Tells whether raw JSON bytes certainly hold nothing to report (fastpath.clean_json_checker).
CleanCheck = Callable[[bytes], bool]


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


_UTF16_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}


def _decode(data: bytes, first_line: int = 1) -> str | ReadProblem:
    for bom, name in _UTF16_BOMS.items():
        if data.startswith(bom):
            return ReadProblem(
                f"the file is {name}; JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1): "
                "re-save it as UTF-8",
                "encoding",
                LineIndex("", first_line).position(0),
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8")
        where = LineIndex(prefix, first_line).position(len(prefix))
        return ReadProblem(
            f"invalid UTF-8: byte 0x{data[error.start]:02x} cannot start a character here", "encoding", where
        )


def read_json_bytes(data: bytes, is_clean: CleanCheck | None = None) -> Iterator[Item]:
    """A whole file holding one JSON value (`Clean` if `is_clean` vouches for it)."""
    if data.startswith(_UTF8_BOM):
        yield ReadProblem(
            "the file starts with a UTF-8 byte order mark; JSON text must not (RFC 8259 §8.1): save it without BOM",
            "bom",
            Position(1, 1),
        )
        return
    if is_clean is not None and is_clean(data):
        yield Clean()
        return
    text = _decode(data)
    if isinstance(text, ReadProblem):
        yield text
        return
    try:
        value = parse_json(text)
    except JsonSyntaxError as error:
        yield ReadProblem(error.message, error.keyword, LineIndex(text).position(error.offset))
        return
    yield Document(value, None, JsonLocator(text))


def read_jsonl_lines(lines: Iterable[bytes], is_clean: CleanCheck | None = None) -> Iterator[Item]:
    """One JSON value per line, read lazily; blank lines are skipped; `index` is the line number."""
    for number, raw in enumerate(lines, start=1):
        item = read_jsonl_line(number, raw, is_clean)
        if item is not None:
            yield item


def read_jsonl_line(number: int, raw: bytes, is_clean: CleanCheck | None = None) -> Item | None:
    """Line `number` of a JSON Lines file (None for a blank line)."""
    if number == 1 and raw.startswith(_UTF8_BOM):
        return ReadProblem(
            "the file starts with a UTF-8 byte order mark; JSON Lines must not: save it without BOM",
            "bom",
            Position(1, 1),
            number,
        )
    if is_clean is not None and is_clean(raw):
        return Clean(number)
    if not raw.strip():
        return None
    text = _decode(raw, number)
    if isinstance(text, ReadProblem):
        return ReadProblem(text.message, text.keyword, text.position, number)
    text = text.rstrip("\r\n")
    try:
        value = parse_json(text)
    except JsonSyntaxError as error:
        return ReadProblem(error.message, error.keyword, LineIndex(text, number).position(error.offset), number)
    return Document(value, number, JsonLocator(text, number))


def read_yaml_bytes(data: bytes) -> Iterator[Item]:
    """One or more YAML documents; `index` is the document's 0-based position in the file."""
    from completion_validator import yaml_documents  # PyYAML only when YAML is read

    yield from yaml_documents.read(data, _decode)


def read_sse_bytes(data: bytes) -> Iterator[Item]:
    """A server-sent-events capture of a streamed completion."""
    text = _decode(data)
    yield text if isinstance(text, ReadProblem) else Capture(text.removeprefix("\ufeff"))


READERS: dict[InputFormat, Callable[[bytes, CleanCheck | None], Iterator[Item]]] = {
    "json": read_json_bytes,
    "jsonl": lambda data, is_clean: read_jsonl_lines(data.splitlines(keepends=True), is_clean),
    "yaml": lambda data, _: read_yaml_bytes(data),
    "sse": lambda data, _: read_sse_bytes(data),
}


def looks_like_sse(data: bytes) -> bool:
    """Whether input starts the way an event stream does: `data:`, `event:`, `id:`, `retry:` or a `:` comment."""
    return data.removeprefix(_UTF8_BOM).lstrip(b"\r\n").startswith(SSE_PREFIXES)


def sniff_format(data: bytes) -> InputFormat:
    """Guess the format of unnamed input: SSE by its first field, JSONL when the first of several lines is an object."""
    if looks_like_sse(data):
        return "sse"
    lines = (line.strip() for line in data.splitlines())
    non_blank = [line for line in lines if line][:2]
    if len(non_blank) == 2 and non_blank[0].startswith(b"{"):
        try:
            json.loads(non_blank[0])
        except ValueError:
            return "json"
        return "jsonl"
    return "json"


def format_of(path: Path) -> InputFormat | None:
    """The format a file name says, if it says one."""
    return FORMAT_BY_SUFFIX.get(path.suffix.lower())


def read_path(
    path: Path, input_format: InputFormat | None = None, is_clean: CleanCheck | None = None
) -> Iterator[Item]:
    """Every document in a file (JSONL streamed line by line, so memory stays flat)."""
    chosen = input_format or format_of(path)
    try:
        if chosen == "jsonl":
            with path.open("rb") as stream:
                yield from read_jsonl_lines(stream, is_clean)
            return
        data = path.read_bytes()
    except OSError as error:
        yield ReadProblem(os_message(error), "io")
        return
    if chosen is None or (chosen == "json" and input_format is None and looks_like_sse(data)):
        chosen = sniff_format(data)  # a stream saved as .json is still a stream
    yield from read_bytes(data, chosen, is_clean)


def sniff_stream(stream: IO[bytes], input_format: InputFormat | None = None) -> tuple[InputFormat, Iterator[bytes]]:
    """The format of a stream such as stdin, and all of its lines.

    To guess the format only the first two non-blank lines are read ahead, so a JSONL stream of
    any length is still read with flat memory.
    """
    if input_format is not None:
        return input_format, iter(stream)
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        if sum(bool(part.strip()) for part in head) == 2:
            break
    return sniff_format(b"".join(head)), itertools.chain(head, stream)


def read_bytes(data: bytes, input_format: InputFormat, is_clean: CleanCheck | None = None) -> Iterator[Item]:
    """Every document in `data`, read as `input_format`."""
    return READERS[input_format](data, is_clean)


def os_message(error: OSError) -> str:
    """An OSError as a message: its reason, lower-cased (`no such file or directory`)."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]
