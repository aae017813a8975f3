"""Input formats: one table of every format we read, and reading a file or a stream by it.

Each format is a module beside this one with a `read(data)` function (line-based formats also
`read_line`), imported only when an input of that format turns up: a pre-commit run over three
JSON files never imports PyYAML. Readers only read: they yield the bytes of each JSON document
and where it is, and the checker asks the fast path about them. The CLI's `--input-format`
choices, the suffixes a directory scan looks for and the pre-commit hook's `files:` pattern all
come from (or are tested against) `FORMATS`; a new format is a module here and a row in the table.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import BinaryIO, NamedTuple

from completion_validator._inputs._items import (
    UTF8_BOM,
    Capture,
    Document,
    Item,
    JsonText,
    os_message,
    parse_document,
    problem,
)
from completion_validator._inputs._limits import (
    DEFAULT_MAX_DOCUMENT_SIZE,
    GZIP_MAGIC,
    READ_FAILURES,
    Broken,
    TooLong,
    broken_finding,
    failure_reason,
    line_too_long,
    lines_limited,
    open_maybe_compressed,
    read_whole,
    too_large,
)
from completion_validator._inputs.read_sse import SSE_PREFIXES
from completion_validator.errors import Finding

Marker = TooLong | Broken  # the last item of a stream of lines that ended early
NumberedLines = Iterator[tuple[int, bytes] | Marker]

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "Capture",
    "Document",
    "InputFormat",
    "Item",
    "JsonText",
    "format_of",
    "is_compressed",
    "is_regular",
    "join_lines",
    "looks_like_sse",
    "looks_like_yaml",
    "parse_document",
    "read_bytes",
    "read_numbered_lines",
    "read_path",
    "sniff_format",
    "sniff_stream",
]


class InputFormat(NamedTuple):
    """A format we read: its name (`--input-format`), file suffixes, reader module, and how it is read."""

    name: str
    suffixes: tuple[str, ...]
    description: str
    # Read line by line, each line a document (memory stays flat; workers can share the lines).
    line_based: bool = False

    def reader(self) -> ModuleType:
        """The module that reads this format (imported on first use)."""
        return _reader(self.name)

    def read(self, data: bytes) -> Iterator[Item]:
        """Every item in `data`, read as this format."""
        items: Iterator[Item] = self.reader().read(data)
        return items

    def read_line(self, number: int, raw: bytes) -> Item | None:
        """Line `number` of a line-based input (None for a blank line)."""
        item: Item | None = self.reader().read_line(number, raw)
        return item


@cache  # asked once a file: import_module's lookup costs more than the dict's
def _reader(name: str) -> ModuleType:
    return importlib.import_module(f"completion_validator._inputs.read_{name}")


FORMATS: dict[str, InputFormat] = {
    entry.name: entry
    for entry in (
        InputFormat("json", (".json", ".json.gz"), "one response per file"),
        InputFormat(
            "jsonl", (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"), "one response per line", line_based=True
        ),
        InputFormat(
            "yaml", (".yaml", ".yml", ".yaml.gz", ".yml.gz"), "one or more documents (---), YAML 1.2 core rules"
        ),
        InputFormat("sse", (".sse", ".sse.gz"), "a captured stream: data: events ending with data: [DONE]"),
    )
}
SUFFIXES: dict[str, InputFormat] = {suffix: entry for entry in FORMATS.values() for suffix in entry.suffixes}


# How many dot-separated parts the longest suffix has (`.jsonl.gz`: 2): a name is looked up by
# its last parts, longest first, not matched against every suffix in turn.
_SUFFIX_PARTS = max(suffix.count(".") for suffix in SUFFIXES)


def format_of(path: Path) -> InputFormat | None:
    """The format a file name says, if it says one (`.jsonl.gz` is JSON Lines, compressed)."""
    return format_of_name(path.name)


def format_of_name(name: str) -> InputFormat | None:
    """The format the file name `name` says, if it says one (a name that is only a suffix says none)."""
    name = name.lower()
    dots: list[int] = []
    dot = len(name)
    while len(dots) < _SUFFIX_PARTS and (dot := name.rfind(".", 0, dot)) > 0:  # a dot at 0: the suffix is the name
        dots.append(dot)
    for start in reversed(dots):
        named = SUFFIXES.get(name[start:])
        if named is not None:
            return named
    return None


def is_compressed(path: Path) -> bool:
    """Whether a regular file starts with gzip's magic bytes."""
    try:
        with path.open("rb") as stream:
            return stream.read(2) == GZIP_MAGIC
    except OSError:
        return False


def looks_like_sse(data: bytes) -> bool:
    """Whether input starts the way an event stream does: `data:`, `event:`, `id:`, `retry:` or a `:` comment."""
    return data.removeprefix(UTF8_BOM).lstrip(b"\r\n").startswith(SSE_PREFIXES)


# What only YAML starts with: a directive, a document marker, a block sequence item or a plain
# `key:`. JSON text never does, so an unnamed input starting so is named YAML when JSON fails.
_YAML_START = re.compile(rb"(?:%YAML|---|- |-$|[A-Za-z_][\w.-]*[ \t]*:(?:[ \t]|$))")


def looks_like_yaml(data: bytes) -> bool:
    """Whether the first line that is not blank or a comment starts as only YAML does."""
    for line in data.splitlines()[:64]:
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            return _YAML_START.match(stripped) is not None
    return False


def sniff_format(data: bytes) -> InputFormat:
    """Guess the format of unnamed input: SSE by its first fields, JSONL when the first of several lines is an object.

    SSE needs both of the first two lines that are not blank to be event-stream fields: YAML whose
    first key is `id` starts as an `id:` field would. A log whose first line was cut (`tail -c`,
    a rotated file: it ends as an object ends, `}`, but does not parse) is JSON Lines too when
    the line after it is a whole object: read as one document, its other lines would go unchecked.
    A pretty-printed document cannot look so: its first line opens it, and its second line,
    where it is an object, is an item followed by a comma or by the closing `]`.
    """
    lines = (line.strip() for line in data.removeprefix(UTF8_BOM).splitlines())
    non_blank = [line for line in lines if line][:2]
    if looks_like_sse(data) and all(line.startswith(SSE_PREFIXES) for line in non_blank):
        return FORMATS["sse"]
    if len(non_blank) == 2:
        first, second = non_blank
        # the first line whole, or cut where an object ends (a value ending in `}` that is JSON is an object)
        if _whole_object(first) or (first.endswith(b"}") and _whole_object(second)):
            return FORMATS["jsonl"]
    return FORMATS["json"]


def _whole_object(line: bytes) -> bool:
    """Whether `line` holds one whole JSON object (one nested too deeply for `json` counts: its reader says so)."""
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except RecursionError:  # "{[[[[..." on one line: a line of a log all the same, not a crash of the guess
        return True
    except ValueError:  # UnicodeDecodeError included
        return False


def sniff_stream(
    stream: BinaryIO, chosen: InputFormat | None = None, limit: int = DEFAULT_MAX_DOCUMENT_SIZE
) -> tuple[InputFormat, NumberedLines]:
    """The format of a stream such as stdin, and all of its lines, numbered, each read within `limit`.

    To guess the format only the first two non-blank lines are read ahead, so a JSONL stream of
    any length is still read with flat memory.
    """
    lines = lines_limited(stream, limit)
    if chosen is not None:
        return chosen, lines
    head: list[tuple[int, bytes] | Marker] = []
    for item in lines:
        head.append(item)
        if isinstance(item, TooLong | Broken) or sum(bool(line.strip()) for _, line in _numbered(head)) == 2:
            break
    sniffed = sniff_format(b"".join(line for _, line in _numbered(head)))
    return sniffed, _chain(head, lines)


def _numbered(items: list[tuple[int, bytes] | Marker]) -> list[tuple[int, bytes]]:
    return [item for item in items if not isinstance(item, TooLong | Broken)]


def _chain(head: list[tuple[int, bytes] | Marker], rest: NumberedLines) -> NumberedLines:
    yield from head
    if not (head and isinstance(head[-1], TooLong | Broken)):
        yield from rest


def join_lines(lines: NumberedLines, limit: int) -> bytes | Finding:
    """The whole of a stream's lines as one document, or the finding that says why it cannot be."""
    parts: list[bytes] = []
    total = 0
    for item in lines:
        if isinstance(item, Broken):
            return broken_finding(item.number, item.reason)
        if isinstance(item, TooLong):
            return too_large(limit)
        parts.append(item[1])
        total += len(item[1])
        if total > limit:
            return too_large(limit)
    return b"".join(parts)


def read_bytes(data: bytes, chosen: InputFormat) -> Iterator[Item]:
    """Every item in `data`, read as `chosen`."""
    return chosen.read(data)


def read_path(
    where: Path | str,
    chosen: InputFormat | None = None,
    limit: int = DEFAULT_MAX_DOCUMENT_SIZE,
    named: InputFormat | None = None,
) -> Iterator[Item]:
    """Every item in a file (line-based formats streamed line by line, so memory stays flat).

    Any file can be named, FIFOs and devices too (`<(curl ...)`): nothing is read past `limit`.
    `named`: the format its name says, where the caller has looked already; then a path given as
    text is only made a `Path` where a stream is read (a small .json file needs none).
    """
    named = chosen or named
    if named is None or named.name == "sse" or named.line_based:
        path = Path(where)
        return _read_stream_or_whole(path, chosen, limit, named or format_of(path))
    return _read_whole(where, chosen, limit, named)


def _read_stream_or_whole(
    path: Path, chosen: InputFormat | None, limit: int, named: InputFormat | None
) -> Iterator[Item]:
    if named is not None and named.name == "sse" and is_regular(path) and not is_compressed(path):
        from completion_validator._inputs.read_sse import read_file  # large captures are read as they are checked

        try:
            yield from read_file(path, limit)
        except OSError as error:
            yield problem(os_message(error), "io")
        return
    if named is not None and named.line_based:
        try:
            with open_maybe_compressed(path) as stream:
                yield from read_numbered_lines(lines_limited(stream, limit), named, limit)
        except READ_FAILURES as error:
            yield problem(failure_reason(error), "io")
        return
    yield from _read_whole(path, chosen, limit, named)


def _read_whole(path: Path | str, chosen: InputFormat | None, limit: int, named: InputFormat | None) -> Iterator[Item]:
    """The items of a file read whole (sniffed where its name says no format, or says JSON and holds a stream)."""
    try:
        data = read_whole(path, limit)
    except READ_FAILURES as error:
        yield problem(failure_reason(error), "io")
        return
    if data is None:
        yield too_large(limit)
        return
    if named is None or (named.name == "json" and chosen is None and looks_like_sse(data)):
        named = sniff_format(data)  # a stream saved as .json is still a stream
    yield from named.read(data)


def is_regular(path: Path) -> bool:
    """Whether `path` is a regular file (not a FIFO, a device or a directory), without raising."""
    try:
        return path.is_file()
    except OSError:
        return False


def read_numbered_lines(lines: NumberedLines, chosen: InputFormat, limit: int) -> Iterator[Item]:
    """Every item of a line-based input given as numbered lines; a line over the limit ends it."""
    for entry in lines:
        if isinstance(entry, TooLong):
            yield line_too_long(entry.number, limit)
            return
        if isinstance(entry, Broken):
            yield broken_finding(entry.number, entry.reason)
            return
        item = chosen.read_line(entry[0], entry[1])
        if item is not None:
            yield item
