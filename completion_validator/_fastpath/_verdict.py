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
from dataclasses import dataclass
from typing import Any, Final

from completion_validator._jsontext import LineIndex
from completion_validator.errors import Finding


class _Mark(enum.Enum):
    CLEAN = "clean"
    UNREAD = "unread"


CLEAN: Final = _Mark.CLEAN
UNREAD: Final = _Mark.UNREAD


@dataclass(frozen=True, slots=True)
class Judged:
    """The scanner's whole account of a document: its findings, each with the byte offset of its value.

    Strict JSON, no rule reports anything, and these schema findings (the reference engine's
    records) are all there is. Not yet located: the checker knows the lines.
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
        """The findings of a whole JSON text whose bytes are `data` (lines end at LF, CRLF or CR)."""
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


@dataclass(frozen=True, slots=True)
class Exact:
    """A value read exactly from JSON text (or copied exactly from a Python value), to be explained."""

    value: Any
    schema_valid: bool = False
    # The screen's parts that failed, as the scanner named them reading the text whole (`id`,
    # `created`, `usage`): only their rules are left to run. None: not known.
    failed_parts: frozenset[str] | None = None


Verdict = _Mark | Judged | Exact


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
