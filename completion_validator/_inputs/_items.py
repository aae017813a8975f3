"""What reading an input yields, and the helpers every format shares.

A reader yields, in input order, a `Document` for every payload it could parse, a `Capture` for
a stream, `Clean` for a document the fast path vouched for, `Explained` for one whose findings
the fast path gave whole, and a `Finding` (with no path) for everything it could not read — so
one bad line in a log never hides the rest of the run.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from completion_validator._jsontext import JsonLocator, LineIndex, Locator, Position
from completion_validator.errors import Finding, InstancePath

UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: a UTF-32 little-endian BOM starts with the UTF-16 one.
_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32 (little-endian)",
    b"\x00\x00\xfe\xff": "UTF-32 (big-endian)",
    b"\xff\xfe": "UTF-16 (little-endian)",
    b"\xfe\xff": "UTF-16 (big-endian)",
}


class Verdict(enum.Enum):
    """What the fast reader says of JSON bytes when it does not hand back the value it read."""

    CLEAN = "clean"  # nothing to report under the settings: never parsed any further
    UNREAD = "unread"  # not read exactly (malformed, a duplicate key, a long integer): the strict parser reads it


@dataclass(frozen=True)
class Judged:
    """The fast reader's whole account of a document: its findings, each with the byte offset of its value.

    The compiled scanner judged it: strict JSON, no rule reports anything, and these schema
    findings (the reference engine's records) are all there is. Not yet located: the reader
    knows the lines (`located_in_line`, `located_in_text`).
    """

    findings: tuple[Finding, ...]
    offsets: tuple[int, ...]

    def located_in_line(self, raw: bytes, number: int) -> list[Finding]:
        """The findings of JSON Lines line `number`, whose bytes are `raw`: columns count characters."""
        ascii_only = raw.isascii()  # then a byte offset is a character offset
        return [
            finding.located(number, (offset if ascii_only else len(raw[:offset].decode("utf-8"))) + 1, number)
            for finding, offset in zip(self.findings, self.offsets, strict=True)
        ]

    def located_in_text(self, data: bytes) -> list[Finding]:
        """The findings of a whole JSON file whose bytes are `data` (lines end at LF, CRLF or CR)."""
        if not self.findings:
            return []
        head = data[: max(self.offsets)]
        characters = _characters(data, head, self.offsets)
        if b"\n" not in head and b"\r" not in head:  # all on the first line (a file written compactly)
            return [
                finding.located(1, count + 1, None) for finding, count in zip(self.findings, characters, strict=True)
            ]
        lines = LineIndex(head.decode("utf-8"))
        located = []
        for finding, count in zip(self.findings, characters, strict=True):
            position = lines.position(count)
            located.append(finding.located(position.line, position.column, None))
        return located


def _characters(data: bytes, head: bytes, offsets: tuple[int, ...]) -> list[int] | tuple[int, ...]:
    """The character offsets of byte `offsets` into UTF-8 `data`, whose first bytes up to the last are `head`."""
    if head.isascii():
        return offsets
    if len(head) <= 4096:
        return [len(data[:offset].decode("utf-8")) for offset in offsets]
    # A large document: decoded once, piece by piece (a missing member's offset, its object's, comes
    # before those of the values inside it, so the offsets are sorted first).
    counted, start, count = {}, 0, 0
    for offset in sorted(set(offsets)):
        count += len(data[start:offset].decode("utf-8"))
        counted[offset], start = count, offset
    return [counted[offset] for offset in offsets]


# Reads JSON bytes once (`_fastpath.json_reader`): Verdict.CLEAN, a `Judged` account, the exact
# value to explain, or Verdict.UNREAD.
FastRead = Callable[[bytes], Any]


@dataclass(frozen=True)
class Document:
    """One parsed payload: its value, its index in the input (JSONL line, YAML document), its positions."""

    value: Any
    index: int | None
    locator: Locator = field(repr=False, compare=False)
    # Read exactly from JSON text by the fast reader: JSON values only, nothing to examine but depth.
    exact: bool = False

    def locate(self, path: InstancePath | None, keyword: str) -> Position:
        """The line and column to report for a finding at `path` with `keyword` (no path: the start)."""
        return self.locator.locate(path or (), keyword)


@dataclass(frozen=True)
class Clean:
    """A document the fast path found nothing to report in; it was never parsed any further."""

    index: int | None = None


@dataclass(frozen=True)
class Explained:
    """A document the fast path explained whole: its findings, located."""

    findings: list[Finding]
    index: int | None = None


@dataclass(frozen=True)
class Capture:
    """A captured server-sent-events stream, checked as a whole (see streams.py).

    `text` is the capture, or an iterable of its lines (a file read as it is checked).
    """

    text: str | Iterable[str]
    index: int | None = None


Item = Document | Capture | Clean | Explained | Finding


def exact_locator(text: str, value: Any, first_line: int = 1, *, single_line: bool = False) -> JsonLocator:
    """Positions in a text the fast reader read exactly into `value` (orjson is there: it read it)."""
    from completion_validator._fastpath import orjson  # loaded already: the fast reader is its module

    writer = None if orjson is None else orjson.dumps
    return JsonLocator(text, first_line, single_line=single_line, value=value, writer=writer)


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
