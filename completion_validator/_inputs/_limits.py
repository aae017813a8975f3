"""Reading with a bound: no input, however large or endless (`/dev/zero`, a FIFO), is held past the limit.

The limit is per document: a whole `.json`, `.yaml` or `.sse` file, or one line of a line-based
file. What is over it is reported (keyword `limit`) and not read further, so memory stays within
the limit whatever the input, and an endless input ends.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from completion_validator.errors import Finding

DEFAULT_MAX_DOCUMENT_SIZE = 256 * 1024 * 1024  # a 100 MB response passes with room to spare
_READ_BLOCK = 1 << 20
_SIZE = re.compile(r"(?i)\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*")
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: str) -> int:
    """`256M`, `1G`, `500k`, `1048576` → bytes (binary units: k = 1024). Raises ValueError."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"expected a size such as 256M, 1G or 1048576, got {text!r}")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()[:1]
    size = int(number * _UNITS[unit])
    if size < 1:
        raise ValueError(f"expected a size of at least 1 byte, got {text!r}")
    return size


def describe_size(size: int) -> str:
    """A size as people write it: `256 MiB`, `1.5 GiB`, `900 bytes`."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f} {name}" if value == int(value) else f"{value:.1f} {name}"
    return "1 byte" if size == 1 else f"{size} bytes"


def too_large(limit: int) -> Finding:
    """The finding for a whole document over the limit."""
    return Finding(
        None,
        "limit",
        f"the input is larger than {describe_size(limit)} (--max-document-size); it was not read",
        line=1,
        column=1,
    )


def first_line_too_long(limit: int) -> Finding:
    """The finding for an unnamed input (JSON or JSON Lines) whose first line alone passes the limit."""
    return Finding(
        None,
        "limit",
        f"the input is larger than {describe_size(limit)} (--max-document-size) before its first line ends; "
        "it was not read",
        line=1,
        column=1,
    )


def line_too_long(number: int, limit: int) -> Finding:
    """The finding for a line over the limit; reading stops there (an endless line never ends)."""
    return Finding(
        None,
        "limit",
        f"line {number} is longer than {describe_size(limit)} (--max-document-size); "
        "it and the rest of the input were not read",
        line=number,
        column=1,
        document=number,
    )


class TooLong:
    """Stands in a stream of lines for the line that was over the limit (the last item)."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number

    def __repr__(self) -> str:
        return f"TooLong({self.number})"


class Broken:
    """Stands in a stream of lines where reading failed (damaged gzip data, an I/O error): the last item."""

    __slots__ = ("number", "reason")

    def __init__(self, number: int, reason: str) -> None:
        self.number = number
        self.reason = reason

    def __repr__(self) -> str:
        return f"Broken({self.number}, {self.reason!r})"


# What reading compressed input raises when the data is damaged or cut short.
READ_FAILURES: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error)


def broken_finding(number: int, reason: str) -> Finding:
    """The finding for a line-based input that could not be read past line `number`."""
    return Finding(
        None,
        "io",
        f"the input cannot be read from line {number} on: {reason}",
        line=number,
        column=1,
        document=number,
    )


def read_limited(stream: BinaryIO, limit: int) -> bytes | None:
    """All of `stream`, or None if it holds more than `limit` bytes (then at most limit + 1 were read).

    For compressed input the limit counts decompressed bytes: a gzip bomb stops there. A regular
    file is read in one call of its size (and a byte more, to see its end), so a 200 MB document
    is held once, not once in blocks and again joined.
    """
    blocks: list[bytes] = []
    total = 0
    whole = _regular_file_size(stream)
    if whole is not None and whole > limit:
        return None  # a regular file says its size: over the limit, nothing need be read
    while total <= limit:
        wanted = limit + 1 - total
        block = stream.read(min(whole + 1, wanted) if whole is not None and not blocks else min(_READ_BLOCK, wanted))
        if not block:
            return blocks[0] if len(blocks) == 1 else b"".join(blocks)
        blocks.append(block)
        total += len(block)
    return None


def read_whole(path: Path | str, limit: int) -> bytes | None:
    """All of the file at `path`, decompressed if it is gzip, or None if that is more than `limit` bytes.

    A plain regular file, the common case, is read with bare system calls (open, size, read, a
    read that finds the end, close: five, where a buffered stream that peeks for gzip's magic
    bytes makes ten): a folder of a thousand small fixtures is opened a thousand times. A file
    that grows while it is read is read on to its end, within the limit. Anything else (gzip,
    a FIFO, a device) is read as `open_maybe_compressed` reads it; raises what reading raises.
    """
    descriptor = os.open(path, os.O_RDONLY)  # not inherited by child processes (PEP 446)
    try:
        plain, data = _read_plain(descriptor, limit)
        if plain:
            os.close(descriptor)
            return data
        stream = io.BufferedReader(io.FileIO(descriptor, "rb"))  # closes the descriptor with it
    except BaseException:
        os.close(descriptor)
        raise
    with stream:
        if stream.peek(2)[:2] == GZIP_MAGIC:
            with gunzip(stream, owned=False) as unpacked:
                return read_limited(unpacked, limit)
        return read_limited(stream, limit)


def _read_plain(descriptor: int, limit: int) -> tuple[bool, bytes | None]:
    """(True, its bytes, or None past `limit`) for a plain regular file; (False, None) else, left at its start."""
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        return False, None
    if status.st_size > limit:
        return True, None  # a regular file says its size: over the limit, nothing need be read
    if status.st_size > _READ_BLOCK:  # a large one is asked first whether it is gzip: never read twice
        head = os.read(descriptor, len(GZIP_MAGIC))
        os.lseek(descriptor, 0, os.SEEK_SET)
        if head == GZIP_MAGIC:
            return False, None
    first = os.read(descriptor, min(status.st_size + 1, limit + 1))
    if first.startswith(GZIP_MAGIC):  # a small one is read whole, then read again as a stream
        os.lseek(descriptor, 0, os.SEEK_SET)
        return False, None
    blocks, total = [first], len(first)
    while total <= limit and (block := os.read(descriptor, min(_READ_BLOCK, limit + 1 - total))):
        blocks.append(block)
        total += len(block)
    if total > limit:
        return True, None
    return True, first if len(blocks) == 1 else b"".join(blocks)


def _regular_file_size(stream: BinaryIO) -> int | None:
    """The size of the plain file `stream` reads (not decompressed, not a pipe), or None."""
    if not isinstance(stream, io.BufferedReader):
        return None
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def lines_limited(stream: BinaryIO, limit: int, first: int = 1) -> Iterator[tuple[int, bytes] | TooLong | Broken]:
    """(number, line) for each line of `stream`, ending with `TooLong` at a line over `limit` bytes.

    A line is its bytes up to and including LF (JSON Lines ends lines at LF; a CR before it is
    the line's own). Never reads more than `limit` + 1 bytes of one line.
    """
    number = first - 1
    peek = getattr(stream, "peek", None)
    while True:
        try:
            line = _readline(stream, limit)
            if line is not None and peek is not None and line.endswith(b"\n") and not line.strip():
                number += _skip_blank_lines(stream, peek)
        except READ_FAILURES as error:
            yield Broken(number + 1, failure_reason(error))
            return
        if line is None:
            yield TooLong(number + 1)
            return
        if not line:
            return
        number += 1
        yield number, line


_PIECE = 1 << 20


def _readline(stream: BinaryIO, limit: int) -> bytes | None:
    """The next line (with its LF), or None when it is longer than `limit` (its LF not counted).

    A long line is read in pieces of a megabyte and refused as soon as it passes the limit, so
    refusing it never holds more than the limit (one `readline(limit + 1)` built the whole line
    first: twice the limit at the peak, compressed or not).
    """
    first = stream.readline(min(limit + 1, _PIECE))
    if len(first) < _PIECE or first.endswith(b"\n"):  # nearly every line: one call
        return first if _within(first, limit) else None
    pieces, size = [first], len(first)
    while size <= limit:
        piece = stream.readline(min(limit + 1 - size, _PIECE))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
        if piece.endswith(b"\n"):
            break
    if size > limit and not (size == limit + 1 and pieces[-1].endswith(b"\n")):
        return None
    return b"".join(pieces)


def _within(line: bytes, limit: int) -> bool:
    return len(line) <= limit or (len(line) == limit + 1 and line.endswith(b"\n"))


_BLANK = b" \t\r\n"


def _skip_blank_lines(stream: BinaryIO, peek: Callable[[int], bytes]) -> int:
    """Consume the whole blank lines that come next, in bulk; how many there were.

    A compressed log of blank lines (98 KB of gzip is 100 million of them) must cost what
    scanning its bytes costs, not a readline and a yield per line.
    """
    skipped = 0
    while True:
        ahead = peek(1 << 16)
        blank = len(ahead) - len(ahead.lstrip(_BLANK))
        whole = ahead.rfind(b"\n", 0, blank) + 1  # up to the end of the last whole blank line
        if not whole:
            return skipped
        skipped += ahead.count(b"\n", 0, whole)
        stream.read(whole)


def failure_reason(error: BaseException) -> str:
    """What to say of a read that failed: damaged compressed data, or the operating system's reason."""
    if isinstance(error, OSError) and error.strerror:  # the operating system's own reason
        return error.strerror[:1].lower() + error.strerror[1:]
    text = str(error) or type(error).__name__
    return f"the compressed data is damaged or cut short ({text})"


def open_maybe_compressed(path: Path) -> BinaryIO:
    """The file, decompressed on the fly if it is gzip (by its magic bytes, whatever its name).

    The bytes are peeked at, not read: a FIFO or a device loses nothing.
    """
    stream = path.open("rb")
    if stream.peek(2)[:2] == GZIP_MAGIC:
        return gunzip(stream, owned=True)
    return stream


def gunzip(raw: BinaryIO, *, owned: bool) -> BinaryIO:
    """Gzip over `raw`; with `owned`, closing it closes `raw` too (GzipFile(fileobj=...) leaves it open).

    gzip is imported here, not at start-up: most runs read no compressed input.
    """
    import gzip

    class Gunzip(gzip.GzipFile):
        def close(self) -> None:
            try:
                super().close()
            finally:
                if owned:
                    raw.close()

    reader: BinaryIO = Gunzip(fileobj=raw, mode="rb")  # type: ignore[assignment]
    return reader


GZIP_MAGIC = b"\x1f\x8b"
