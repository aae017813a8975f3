r"""Ruling out duplicate keys without a second parse, on the fast path.

orjson keeps the last of repeated keys silently, so a document it parsed may not be the one
that was sent. Counting colons is enough to rule duplicates out, with no tokenizing:

- In the text, every member writes one colon after its key, and every other colon is inside a
  string (keys or values), written as itself unless escaped as `\u003a`.
- orjson writing the *parsed* value back does the same for the members that survived, and never
  escapes a colon.

A repeated key drops a member from the parsed value, and with it at least its own colon, so the
text has more colons than the value written back. With no escaped colon in the text, equal
counts prove that no member was dropped: no duplicate key. Real text is full of colons
("Answer:", URLs, the `":"` token among top logprobs), which is why counting keys alone is not
enough and why this counts both.
"""

from __future__ import annotations

from typing import Any

from completion_validator._jsontext import JsonSyntaxError, parse_json

# `\u003a` / `\u003A` write a colon without a colon byte; this prefix catches both (and a few
# other characters, whose documents then take the exact path: never a wrong answer).
ESCAPED_COLON = b"\\u003"
_ESCAPED_COLON_TEXT = "\\u003"


def has_no_duplicate_keys(raw: bytes | str, parsed: Any, dumps: Any) -> bool:
    """True only if the JSON text `raw`, which orjson parsed into `parsed`, repeats no key.

    `dumps` is `orjson.dumps`, passed in so that this module imports nothing optional. Escaped
    colons (rare) send the document to the strict parser, which refuses duplicates.
    """
    try:
        written = dumps(parsed).count(b":")
    except (TypeError, ValueError):  # nothing orjson parsed should fail to write; if it does, be exact
        written = -1
    if isinstance(raw, str):
        if written == raw.count(":") and _ESCAPED_COLON_TEXT not in raw:
            return True
        text = raw
    else:
        if written == raw.count(b":") and ESCAPED_COLON not in raw:
            return True
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return False
    try:
        parse_json(text)
    except JsonSyntaxError:
        return False
    return True
