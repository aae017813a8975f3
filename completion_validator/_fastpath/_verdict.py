"""The fast path's one answer type: what the judge says of a document it was shown.

- `CLEAN`: nothing to report under the settings; the document was never parsed any further.
- `Judged`: the compiled scanner's whole account: its findings, each with its value's byte offset.
- `Exact`: the value, read exactly as the strict parser would read it (no duplicate key, no
  integer rounded), to be explained from; `schema_valid` when the schema (with the rules'
  bounds) was already found to pass, so that only the rules are left to run.
- `UNREAD`: not read exactly (malformed, a duplicate key, a long integer): the strict parser reads it.

This module sits below everything that reads or checks: readers never see a verdict, the
checker (`_check.py`) turns one into findings.
"""

from __future__ import annotations

import enum
from typing import Any, Final, NamedTuple

from completion_validator.errors import Finding


class _Mark(enum.Enum):
    CLEAN = "clean"
    UNREAD = "unread"


CLEAN: Final = _Mark.CLEAN
UNREAD: Final = _Mark.UNREAD


class Judged(NamedTuple):
    """The scanner's whole account of a document: its findings, each with the byte offset of its value.

    Strict JSON, no rule reports anything, and these schema findings (the reference engine's
    records) are all there is. Not yet located: the checker knows the lines. A named tuple, not a
    frozen dataclass: one is made per line of a log whose every line has a problem, and a frozen
    dataclass's `__init__` costs five times a tuple's.
    """

    findings: tuple[Finding, ...]
    offsets: tuple[int, ...]
    # True where no finding is one `recognized` may read (at `object`: another type; no `choices`:
    # an API error body): these findings are then the document's whole account, under the type
    # asked, without another look (`may_be_recognized`), known once per cached record.
    final: bool = False

    def located_in_line(self, raw: bytes, number: int, file: str | None = None) -> list[Finding]:
        """The findings of JSON Lines line `number` of `file`, whose bytes are `raw`: columns count characters."""
        return [
            finding.at(file, number, column_in_line(raw, offset), number)
            for finding, offset in zip(self.findings, self.offsets, strict=True)
        ]

    def located_in_text(self, data: bytes) -> list[Finding]:
        """The findings of a whole JSON text whose bytes are `data` (lines end at LF, CRLF or CR).

        Counted in the bytes, never decoded whole: a 200 MB document with one finding at its end
        needs no 800 MB string to say where it is.
        """
        if not self.findings:
            return []
        end = max(self.offsets)
        head = data[:end] if end <= _SMALL else b"\n"  # a large one is counted in pieces
        if 10 not in head and 13 not in head:  # no LF, no CR (as ints: memchr): its findings on its first line
            columns = (
                self.offsets if head.isascii() else [len(head[:offset].decode("utf-8")) for offset in self.offsets]
            )
            return [
                finding.located(1, column + 1, None) for finding, column in zip(self.findings, columns, strict=True)
            ]
        positions = _positions(data, self.offsets)
        return [
            finding.located(*positions[offset], None)
            for finding, offset in zip(self.findings, self.offsets, strict=True)
        ]


class Exact(NamedTuple):
    """A value read exactly from JSON text (or copied exactly from a Python value), to be explained.

    A named tuple, as `Judged` is: immutable, and quick to make.
    """

    value: Any
    schema_valid: bool = False
    # The screen's parts that failed, as the scanner named them reading the text whole (`id`,
    # `created`, `usage`): only their rules are left to run. None: not known.
    failed_parts: frozenset[str] | None = None


Verdict = _Mark | Judged | Exact


# A character of UTF-8 text begins at every byte but a continuation byte (0x80-0xBF). Deleting
# those starts (`translate`) leaves the continuation bytes: a piece's length less theirs is the
# number of characters in it, counted without decoding it.
_CHARACTER_STARTS = bytes(byte for byte in range(256) if not 0x80 <= byte < 0xC0)
_PIECE = 1 << 20  # bytes counted at a time: memory stays bounded whatever the document's size
_SMALL = 4096  # findings within this many bytes of a one-line text: its head decoded, the quickest way there


def column_in_line(line: bytes, offset: int) -> int:
    """The column (from 1, in characters) of byte `offset` of the one-line UTF-8 text `line` (valid: scanned)."""
    return (offset if line.isascii() else len(line[:offset].decode("utf-8"))) + 1  # ASCII: bytes are characters


def _characters(data: bytes, start: int, end: int) -> int:
    """How many characters of UTF-8 `data` (valid: the scanner read it) begin in `data[start:end]`."""
    count = 0
    for piece_start in range(start, end, _PIECE):
        piece = data[piece_start : min(piece_start + _PIECE, end)]
        count += len(piece) if piece.isascii() else len(piece) - len(piece.translate(None, _CHARACTER_STARTS))
    return count


def _positions(data: bytes, offsets: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    """The (line, column) of each byte offset into the JSON text `data` (lines end at LF, CRLF or CR).

    Each offset is where a value starts, never inside a line end, so the text is walked once, in
    order of offset, counting line ends and characters between one offset and the next.
    """
    placed: dict[int, tuple[int, int]] = {}
    line, start, column = 1, 0, 0  # column: characters from the line's start up to `start`
    for offset in sorted(set(offsets)):
        ends = data.count(b"\n", start, offset) + data.count(b"\r", start, offset) - data.count(b"\r\n", start, offset)
        if ends:
            line += ends
            line_start = max(data.rfind(b"\n", start, offset), data.rfind(b"\r", start, offset)) + 1
            column = _characters(data, line_start, offset)
        else:
            column += _characters(data, start, offset)
        placed[offset] = (line, column + 1)
        start = offset
    return placed
