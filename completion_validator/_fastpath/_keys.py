"""Ruling out duplicate keys without a second parse, on the fast path.

orjson keeps the last of repeated keys silently, so a document it parsed may not be the one
that was sent. Counting is enough to rule duplicates out in the common case: every key in the
text ends with a colon, and the parsed value says how many keys survived.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from completion_validator._jsontext import JsonSyntaxError, parse_json

# A key written with white space before its colon (`"id" : 1`): the quick key count misses it.
_SPACED_COLON = re.compile(rb'"[ \t\r\n]+:')
_SPACED_COLON_TEXT = re.compile(r'"[ \t\r\n]+:')
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = (dict, list)


def has_no_duplicate_keys(raw: bytes | str, keys: int) -> bool:
    """True only if the JSON text `raw`, whose parsed value has `keys` members, repeats no key.

    orjson keeps the last of repeated keys silently. Every key in the text ends with a colon:
    (1) if the text's colons number exactly the parsed keys, there is no duplicate (and no colon
    in any string); (2) if no key has white space before its colon, every key ends in `":` and
    strings can only add to that count, so equal counts again mean no duplicate; (3) otherwise
    the strict parser, which refuses duplicates, decides.
    """
    if isinstance(raw, str):
        if raw.count(":") == keys or (raw.count('":') == keys and _SPACED_COLON_TEXT.search(raw) is None):
            return True
        text = raw
    else:
        if raw.count(b":") == keys or (raw.count(b'":') == keys and _SPACED_COLON.search(raw) is None):
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


def count_keys(value: object) -> int:
    """How many object members a JSON value holds, at every depth.

    Breadth-first over whole levels with builtins (type sets, len, chain), because the large
    documents are lists of thousands of small maps (top_logprobs).
    """
    total = 0
    level: list[Any] = [value]
    while level:
        types = set(map(type, level))
        if types <= _SCALARS:
            break
        following: list[Any] = []
        if dict in types:
            objects = level if len(types) == 1 else [item for item in level if type(item) is dict]
            total += sum(map(len, objects))
            following.extend(itertools.chain.from_iterable(map(dict.values, objects)))
        if list in types:
            arrays = level if len(types) == 1 else [item for item in level if type(item) is list]
            following.extend(itertools.chain.from_iterable(arrays))
        level = following
    return total


# Members whose values a schema-valid response holds as scalars (or null): no keys inside.
_SCALAR_MEMBERS = frozenset(
    {"id", "object", "created", "model", "system_fingerprint", "text", "index", "finish_reason"}
)
_SCALAR_ARRAYS = frozenset({"tokens", "token_logprobs", "text_offset"})


def count_response_keys(response: Any) -> int:
    """`count_keys` for a response jsonschema-rs has found schema-valid, using the shape it guarantees.

    Known members have known types (strings, integers, arrays of scalars, top_logprobs maps of
    numbers), so only their own length counts; unknown (vendor) members are counted generically.
    Written as plain loops: this runs once per document on the hot path.
    """
    total = len(response)
    for name, value in response.items():
        if name in _SCALAR_MEMBERS or value is None:
            continue
        if name == "choices":
            for choice in value:
                total += len(choice)
                for member, inner in choice.items():
                    if member in _SCALAR_MEMBERS or inner is None:
                        continue
                    total += _logprobs_keys(inner) if member == "logprobs" else count_keys(inner)
        elif name == "usage":
            total += len(value) + sum(count_keys(inner) for inner in value.values() if type(inner) in _CONTAINERS)
        else:
            total += count_keys(value)
    return total


def _logprobs_keys(logprobs: dict[str, Any]) -> int:
    total = len(logprobs)
    for name, value in logprobs.items():
        if name in _SCALAR_ARRAYS:
            continue
        if name == "top_logprobs":
            try:
                total += sum(map(len, value))  # maps of numbers, by the schema
                continue
            except TypeError:  # null items (lenient)
                pass
        total += count_keys(value)
    return total
