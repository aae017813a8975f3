"""`.json`: one response per file, strict JSON."""

from __future__ import annotations

from collections.abc import Iterator

from completion_validator._inputs._items import UTF8_BOM, Item, JsonText, problem
from completion_validator._jsontext import Position


def read(data: bytes) -> Iterator[Item]:
    """A whole file holding one JSON value, as its bytes (the checker parses it)."""
    if data.startswith(UTF8_BOM):
        yield problem(
            "the file starts with a UTF-8 byte order mark; JSON text must not (RFC 8259 §8.1): save it without BOM",
            "bom",
            Position(1, 1),
        )
        return
    yield JsonText(data)
