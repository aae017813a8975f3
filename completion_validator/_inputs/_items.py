"""What reading an input yields, and the helpers every format shares.

A reader only reads. It yields, in input order, `JsonText` for each JSON document (the bytes and
where they are, not yet parsed: the checker asks the fast path about them first), a `Document`
for a payload it parsed itself (YAML), a `Capture` for a stream, and a `Finding` (with no path)
for everything it could not read — so one bad line in a log never hides the rest of the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from completion_validator._jsontext import JsonLocator, JsonSyntaxError, LineIndex, Locator, Position, parse_json
from completion_validator.errors import Finding, InstancePath

UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: a UTF-32 little-endian BOM starts with the UTF-16 one.
_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


# Plain classes with `__slots__`, not dataclasses: one is made per document read, and a dataclass
# costs milliseconds to create at start-up (a pre-commit run reads a few small files).
class JsonText:
    """One JSON document's bytes, as read, and where they are.

    `index` is its index in the input (a JSON Lines line number, or None), `first_line` the line
    it starts on, `single_line` whether it is one line of JSON Lines (its line end not part of it).
    """

    __slots__ = ("first_line", "index", "raw", "single_line")

    def __init__(self, raw: bytes, index: int | None = None, first_line: int = 1, single_line: bool = False) -> None:
        self.raw = raw
        self.index = index
        self.first_line = first_line
        self.single_line = single_line

    def __repr__(self) -> str:
        return f"JsonText({self.raw[:40]!r}, index={self.index}, first_line={self.first_line})"


class Document:
    """One parsed payload: its value, its index in the input (JSONL line, YAML document), its positions."""

    __slots__ = ("index", "locator", "value")

    def __init__(self, value: Any, index: int | None, locator: Locator) -> None:
        self.value = value
        self.index = index
        self.locator = locator

    def __repr__(self) -> str:
        return f"Document(index={self.index})"

    def locate(self, path: InstancePath | None, keyword: str) -> Position:
        """The line and column to report for a finding at `path` with `keyword` (no path: the start)."""
        return self.locator.locate(path or (), keyword)


class Capture:
    """A captured server-sent-events stream, checked as a whole (see streams.py).

    `text` is the capture, or an iterable of its lines (a file read as it is checked).
    """

    __slots__ = ("index", "text")

    def __init__(self, text: str | Iterable[str], index: int | None = None) -> None:
        self.text = text
        self.index = index

    def __repr__(self) -> str:
        return f"Capture(index={self.index})"


Item = JsonText | Document | Capture | Finding


def problem(
    message: str, keyword: str = "parse", position: Position | None = None, index: int | None = None
) -> Finding:
    """A finding about input that could not be read (no field to point at)."""
    line, column = (position.line, position.column) if position else (None, None)
    return Finding(None, keyword, message, line=line, column=column, document=index)


def decode(data: bytes, first_line: int = 1, index: int | None = None) -> str | Finding:
    """UTF-8 text, or a located `encoding` problem (UTF-16 and UTF-32 named as such)."""
    for bom, name in _WIDE_BOMS.items():
        if data.startswith(bom):
            return problem(
                f"the file is {name}; JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1): "
                "re-save it as UTF-8",
                "encoding",
                LineIndex("", first_line).position(0),
                index,
            )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = data[: error.start].decode("utf-8")
        where = LineIndex(prefix, first_line).position(len(prefix))
        return problem(
            f"invalid UTF-8: byte 0x{data[error.start]:02x} cannot start a character here", "encoding", where, index
        )


def os_message(error: OSError) -> str:
    """An OSError as a message: its reason, lower-cased (`no such file or directory`)."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def parse_document(text: JsonText) -> Document | Finding:
    """JSON text read by the strict parser: the document with its positions, or the located problem."""
    source = decode(text.raw, text.first_line, text.index)
    if not isinstance(source, str):
        return source
    if text.single_line:
        source = source.removesuffix("\n").removesuffix("\r")
    try:
        value = parse_json(source)
    except JsonSyntaxError as error:
        where = LineIndex(source, text.first_line, single_line=text.single_line).position(error.offset)
        return problem(error.message, error.keyword, where, text.index)
    return Document(value, text.index, JsonLocator(source, text.first_line, single_line=text.single_line, value=value))
