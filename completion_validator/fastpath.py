"""The fast path: decide with compiled code that a document is clean, and explain only the rest.

Most documents in a log are valid. For those, parsing with orjson, a verdict from jsonschema-rs
(built from the very same derived schemas as the reference engine) and the rule screen cost
a few times a bare parse; only a document that fails any of them goes through the reference
path (strict parser, jsonschema, every rule) to produce its field-level records. So records
are always the reference engine's; the fast path only ever says "nothing to report".

Both libraries are optional at run time: without them, every document takes the reference path
(slower, same results).
"""

from __future__ import annotations

import importlib
import itertools
import re
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

from completion_validator._schema_files import ROOT_SCHEMA, load_schema_files
from completion_validator.profiles import Profile, derive_schema
from completion_validator.rules import passes_screen
from completion_validator.settings import Settings


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # a platform without wheels for it: the reference path does all the work
        return None


orjson = _optional("orjson")
jsonschema_rs = _optional("jsonschema_rs")

# A key written with white space before its colon (`"id" : 1`): the quick key count misses it.
_SPACED_COLON = re.compile(rb'"[ \t\r\n]+:')
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CONTAINERS = (dict, list)


def available() -> bool:
    """Whether the compiled fast path can run here (orjson and jsonschema-rs importable)."""
    return orjson is not None and jsonschema_rs is not None


# The rules that are bounds, compiled into the screening copy of the schemas so that jsonschema-rs
# checks them in its own loop: (file, path to a subschema, keywords to add). Only the fast
# verdict uses this copy; the reference schemas stay the spec as written, and the findings
# themselves still come from the rules (logprob-positive, usage-negative).
_SCREENING_BOUNDS: tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...] = (
    ("logprobs.schema.json", ("properties", "token_logprobs", "items"), {"maximum": 0}),
    ("logprobs.schema.json", ("properties", "top_logprobs", "items", "additionalProperties"), {"maximum": 0}),
    ("usage.schema.json", ("properties", "prompt_tokens"), {"minimum": 0}),
    ("usage.schema.json", ("properties", "completion_tokens"), {"minimum": 0}),
    ("usage.schema.json", ("properties", "total_tokens"), {"minimum": 0}),
    *(
        ("usage.schema.json", ("properties", details, "properties", member), {"minimum": 0})
        for details, members in (
            (
                "completion_tokens_details",
                (
                    "accepted_prediction_tokens",
                    "audio_tokens",
                    "reasoning_tokens",
                    "rejected_prediction_tokens",
                    "text_tokens",
                ),
            ),
            (
                "prompt_tokens_details",
                ("audio_tokens", "cached_tokens", "text_tokens", "image_tokens", "cache_write_tokens"),
            ),
        )
        for member in members
    ),
)


def _screening_schemas(profile: Profile) -> dict[str, dict[str, Any]]:
    derived = {name: derive_schema(contents, profile) for name, contents in load_schema_files().items()}
    for name, path, keywords in _SCREENING_BOUNDS:
        node = derived[name]
        for part in path:
            node = node[part]
        node.update(keywords)
    return derived


@cache
def compiled_validator(profile: Profile) -> Callable[[Any], bool] | None:
    """jsonschema-rs's `is_valid` for `profile` plus the rules' bounds, built offline from the shipped files."""
    if jsonschema_rs is None:
        return None
    derived = _screening_schemas(profile)
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in derived.values()])
    validator = jsonschema_rs.Draft202012Validator(derived[ROOT_SCHEMA], registry=registry, offline=True)
    is_valid: Callable[[Any], bool] = validator.is_valid
    return is_valid


@cache
def clean_json_checker(settings: Settings) -> Callable[[bytes], bool] | None:
    """A function telling whether JSON bytes are certainly clean under `settings`, or None without the libraries.

    "Clean" means strict JSON (no duplicate key) for which the reference path would report
    nothing at all, not even a warning. Everything is looked up once here, not per document.
    """
    if orjson is None:
        return None
    validator = compiled_validator(settings.profile())
    if validator is None:
        return None
    screen = passes_screen if settings.selected_rules() else None
    loads, malformed = orjson.loads, orjson.JSONDecodeError

    def is_clean(raw: bytes) -> bool:
        try:
            value = loads(raw)
            if not validator(value):
                return False
        except (malformed, ValueError, TypeError, OverflowError):
            return False
        if type(value) is not dict or (screen is not None and not screen(value)):
            return False
        return has_no_duplicate_keys(raw, count_response_keys(value))

    return is_clean


def has_no_duplicate_keys(raw: bytes, keys: int) -> bool:
    """True only if the JSON text `raw`, whose parsed value has `keys` members, repeats no key.

    orjson keeps the last of repeated keys silently. Every key in the text ends with a colon:
    (1) if the text's colons number exactly the parsed keys, there is no duplicate (and no colon
    in any string); (2) if no key has white space before its colon, every key ends in `":` and
    strings can only add to that count, so equal counts again mean no duplicate; (3) otherwise
    the strict parser, which refuses duplicates, decides.
    """
    if raw.count(b":") == keys:
        return True
    if raw.count(b'":') == keys and _SPACED_COLON.search(raw) is None:
        return True
    from completion_validator.positions import JsonSyntaxError
    from completion_validator.readers import parse_json

    try:
        parse_json(raw.decode("utf-8"))
    except (JsonSyntaxError, UnicodeDecodeError):
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
