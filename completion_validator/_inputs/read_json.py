"""`.json`: one response per file, strict JSON."""

from __future__ import annotations

from collections.abc import Iterator

from completion_validator._inputs._items import (
    UTF8_BOM,
    Clean,
    Document,
    Explained,
    FastRead,
    Item,
    Judged,
    Verdict,
    decode,
    exact_locator,
    problem,
)
from completion_validator._jsontext import JsonLocator, JsonSyntaxError, LineIndex, Position, parse_json


def read(data: bytes, fast_read: FastRead | None = None) -> Iterator[Item]:
    """A whole file holding one JSON value (`Clean` if `fast_read` vouches for it, else read once if it can)."""
    if data.startswith(UTF8_BOM):
        yield problem(
            "the file starts with a UTF-8 byte order mark; JSON text must not (RFC 8259 §8.1): save it without BOM",
            "bom",
            Position(1, 1),
        )
        return
    read = Verdict.UNREAD if fast_read is None else fast_read(data)
    if read is Verdict.CLEAN:
        yield Clean()
        return
    if type(read) is Judged:
        yield Explained(read.located_in_text(data))
        return
    text = decode(data)
    if not isinstance(text, str):
        yield text
        return
    if read is not Verdict.UNREAD:
        yield Document(read, None, exact_locator(text, read), exact=True)
        return
    try:
        value = parse_json(text)
    except JsonSyntaxError as error:
        yield problem(error.message, error.keyword, LineIndex(text).position(error.offset))
        return
    yield Document(value, None, JsonLocator(text, value=value))
