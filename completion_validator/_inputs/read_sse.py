"""`.sse`: a server-sent-events capture of a streamed completion, checked as a whole."""

from __future__ import annotations

from collections.abc import Iterator

from completion_validator._inputs._items import Capture, CleanCheck, Item, decode

# What a stream capture starts with (JSON cannot; YAML can, so YAML files are never sniffed).
SSE_PREFIXES = (b"data:", b"event:", b"id:", b"retry:", b":")


def read(data: bytes, is_clean: CleanCheck | None = None) -> Iterator[Item]:
    """The capture as text, or the reason it cannot be decoded."""
    text = decode(data)
    yield Capture(text.removeprefix("\ufeff")) if isinstance(text, str) else text
