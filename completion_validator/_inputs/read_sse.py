"""`.sse`: a server-sent-events capture of a streamed completion, checked as a whole."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from completion_validator._inputs._items import Capture, Item, decode
from completion_validator._inputs._limits import too_large

_BLOCK = 1 << 20

# What a stream capture starts with (JSON cannot; YAML can, so YAML files are never sniffed).
SSE_PREFIXES = (b"data:", b"event:", b"id:", b"retry:", b":")


def read(data: bytes) -> Iterator[Item]:
    """The capture as text, or the reason it cannot be decoded."""
    text = decode(data)
    yield Capture(text.removeprefix("\ufeff")) if isinstance(text, str) else text


def read_file(path: Path, limit: int) -> Iterator[Item]:
    """A capture file, read twice in bounded pieces: checked whole for size and UTF-8, then line by line.

    The first pass keeps the old meaning (a capture that is not UTF-8 is unreadable as a whole,
    located where it stops being UTF-8); the second keeps memory independent of the number of
    events: only the line being read is held.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    total = 0
    with path.open("rb") as stream:
        while True:
            block = stream.read(_BLOCK)
            total += len(block)
            if total > limit:
                yield too_large(limit)
                return
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError:  # located by decoding what was read, whole: an error path
                stream.seek(0)
                problem = decode(stream.read(total))
                assert not isinstance(problem, str), "the incremental decoder and decode() disagree"
                yield problem
                return
            if not block:
                break
    if total < _BLOCK:  # small: as fast to hold it, and the capture's lines need no second open
        yield Capture(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
        return
    yield Capture(_lines_of(path))


def _lines_of(path: Path) -> Iterator[str]:
    with path.open("rb") as stream:
        for line in stream:  # bytes lines end at LF; a CR-only line end stays inside and the parser splits it
            yield line.decode("utf-8")
