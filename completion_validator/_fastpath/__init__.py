"""The fast path: read each document once with orjson, decide with compiled code, explain from what was read.

Most documents in a log are valid. Our own compiled scanner (`_scan.c`, running a program that
`_program.py` compiles from the derived schemas) reads the bytes once and can say "certainly
clean" without building a Python object, in less than a bare parse. When it is not sure (or was
not built), orjson parses, jsonschema-rs (built from the very same derived schemas as the
reference engine) gives a verdict, and the rule screen and the duplicate-key count follow. A
document that is not clean is explained from the value already read, when orjson read it
exactly (`is_exact`): the compiled explainer (`_explain.py`) gives jsonschema's records, and the
rules run. Only a document orjson could not read exactly goes to the strict parser, which also
locates syntax errors.

Both libraries are optional at run time: without them, every document takes the reference path
(slower, same results). The screen (`_screen.py`) is the rules' conservative twin, and
`_keys.py` rules out duplicate keys, which orjson would silently collapse.
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

from completion_validator._fastpath._judge import judged_builder
from completion_validator._fastpath._keys import ESCAPED_COLON, has_no_duplicate_keys
from completion_validator._fastpath._program import Program, Unsupported, compile_program
from completion_validator._fastpath._screen import SCREENED_RULES, passes_screen
from completion_validator._inputs._items import Judged, Verdict
from completion_validator._profiles import Profile, derive_schema
from completion_validator._registry import ROOT_SCHEMA, load_schema_files
from completion_validator._rules import RULES
from completion_validator._rules.response import EARLIEST_CREATED, ONE_DAY
from completion_validator._settings import Settings


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # a platform without wheels for it: the reference path does all the work
        return None


orjson = _optional("orjson")


@cache
def jsonschema_rs() -> ModuleType | None:
    """jsonschema-rs, imported when first needed: a run the scanner vouches for never pays for it (~8 ms)."""
    return _optional("jsonschema_rs")


_scan = _optional("completion_validator._fastpath._scan")  # absent where the wheel was built without a compiler


def available() -> bool:
    """Whether the compiled fast path can run here (orjson and jsonschema-rs importable)."""
    return orjson is not None and jsonschema_rs() is not None


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
    library = jsonschema_rs()
    if library is None:
        return None
    derived = _screening_schemas(profile)
    registry = library.Registry([(schema["$id"], schema) for schema in derived.values()])
    validator = library.Draft202012Validator(derived[ROOT_SCHEMA], registry=registry, offline=True)
    is_valid: Callable[[Any], bool] = validator.is_valid
    return is_valid


# What a bounds-only copy of the schemas keeps: the structure that leads to the bounds, and the bounds.
_STRUCTURE = frozenset({"$id", "$schema", "$ref", "$defs", "properties", "items", "additionalProperties"})
_BOUNDS = frozenset({"minimum", "maximum"})


def _bounds_only(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            kept[key] = {name: _bounds_only(member) for name, member in value.items()}
        elif key in _STRUCTURE and not isinstance(value, bool):
            kept[key] = _bounds_only(value)
        elif key in _BOUNDS:
            kept[key] = value
    return kept


@cache
def _bounds_validator(profile: Profile) -> Callable[[Any], bool] | None:
    """jsonschema-rs checking only the rules' bounds (`_SCREENING_BOUNDS`), on any document, valid or not."""
    library = jsonschema_rs()
    if library is None:
        return None
    derived = {name: _bounds_only(schema) for name, schema in _screening_schemas(profile).items()}
    registry = library.Registry([(schema["$id"], schema) for schema in derived.values()])
    validator = library.Draft202012Validator(derived[ROOT_SCHEMA], registry=registry, offline=True)
    is_valid: Callable[[Any], bool] = validator.is_valid
    return is_valid


@cache
def rules_silent(settings: Settings, *, chunk: bool = False) -> Callable[[Any], bool] | None:
    """A function telling that no selected rule would report anything on a payload, valid or not.

    The screen's bounds checked by jsonschema-rs and the screen itself: together the rules'
    conservative twin, so a document that fails only the schema (a vLLM log line with
    `system_fingerprint: null`) is not walked by every rule. None where it cannot vouch.
    """
    response_rules = {rule_id for rule_id in settings.selected_rules() if RULES[rule_id].check is not None}
    bounds = _bounds_validator(settings.profile(stream=chunk))
    if bounds is None or response_rules - SCREENED_RULES:
        return None

    def silent(payload: Any) -> bool:
        try:
            return type(payload) is dict and bounds(payload) and passes_screen(payload, chunk=chunk)
        except (ValueError, TypeError, OverflowError, KeyError, AttributeError):
            return False

    return silent


@cache
def _scanner(settings: Settings, *, chunk: bool = False) -> Any:
    """The compiled scanner for `settings` (for stream chunks if `chunk`), or None (see `compiled_scanner`)."""
    if _scan is None:
        return None
    response_rules = {rule_id for rule_id in settings.selected_rules() if RULES[rule_id].check is not None}
    if response_rules - SCREENED_RULES:
        return None
    try:
        return _program(settings.profile(stream=chunk), bool(response_rules), chunk)
    except Unsupported:
        return None


@cache
def _program(profile: Profile, screen: bool, chunk: bool = False) -> tuple[Any, Program]:
    """The compiled scanner for `profile` (with the rule screen's roles if `screen`), and its program.

    `chunk`: the screen as the rules read a stream chunk (a choice's index need not be its position).
    """
    assert _scan is not None
    program = compile_program(_screening_schemas(profile), ROOT_SCHEMA, screen=screen)
    return _scan.Scanner(program.nodes, EARLIEST_CREATED, ONE_DAY, chunk), program


def compiled_scanner(settings: Settings) -> Callable[[bytes | str, float], bool] | None:
    """The one-pass scanner for `settings`: `scan(document, time.time())` is True only for a clean document.

    None where it was not built, where a selected rule is one the screen does not know, or where
    the schemas use a keyword the scanner does not check (`Unsupported`).
    """
    scanner = _scanner(settings)
    return None if scanner is None else scanner[0].clean


def compiled_walker(settings: Settings) -> Callable[[object, float], bool] | None:
    """The scanner's checks over a Python value (exact dicts, lists, str, int, float, bool, None).

    `walk(value, time.time())` is True only if the value is clean; anything else (a subclass, a
    tuple, NaN, a lone surrogate, an integer beyond 18 digits) gets False, and the caller checks it
    the exact way.
    """
    scanner = _scanner(settings)
    return None if scanner is None else scanner[0].clean_value


def _checks(settings: Settings, *, chunk: bool) -> tuple[Callable[[Any], bool], Callable[[Any], bool] | None] | None:
    """The compiled schema check and the rule screen for `settings`, or None where the fast path cannot vouch."""
    if orjson is None:
        return None
    validator = compiled_validator(settings.profile(stream=chunk))
    if validator is None:
        return None
    response_rules = {rule_id for rule_id in settings.selected_rules() if RULES[rule_id].check is not None}
    if response_rules - SCREENED_RULES:
        return None  # a rule the screen does not know: it cannot vouch for it, so every document is explained
    if not response_rules:
        return validator, None
    if chunk:
        return validator, lambda value: passes_screen(value, chunk=True)
    return validator, passes_screen


# orjson reads an integer beyond 64 bits as a float (123456789012345678901 becomes 1.2345678901234568e+20);
# a value read so is not the document's. Floats are read exactly (correctly rounded, as Python does).
# A regular expression tells such an integer exactly but tries every position (2 ms over 250 KB), so
# the text is first mapped, in one pass, to zeroes for digits and blanks for the rest: 19 digits in
# a row are rare, and only then does the expression look.
_LONG_INTEGER = re.compile(rb"(?<![0-9.])[0-9]{19,}(?![0-9.eE])")
_DIGITS_AS_ZEROES = bytes(48 if byte in b"0123456789" else 32 for byte in range(256))
_NINETEEN_DIGITS = b"0" * 19


def _has_long_integer(raw: bytes) -> bool:
    if _NINETEEN_DIGITS not in raw.translate(_DIGITS_AS_ZEROES):
        return False
    return _LONG_INTEGER.search(raw) is not None


def is_exact(raw: bytes, value: Any, dumps: Callable[[Any], bytes]) -> bool:
    """Whether `value`, which orjson read from `raw`, is exactly what the strict parser would read."""
    return not _has_long_integer(raw) and has_no_duplicate_keys(raw, value, dumps)


def _unread(_: object) -> Verdict:
    return Verdict.UNREAD


@cache
def json_reader(settings: Settings) -> Callable[[bytes], Any] | None:
    """Read JSON bytes once: `Verdict.CLEAN`, a `Judged` account, the exact value to explain, or `Verdict.UNREAD`.

    None without orjson. The compiled scanner reads first; where it is not sure, orjson and
    jsonschema-rs (built only then, so a clean run never pays for them) read the document.
    A document that is not clean is explained from the value read here (one parse per line);
    only one orjson could not read exactly goes to the strict parser, which locates its problem.
    """
    if orjson is None:
        return None
    scanner = _scanner(settings)
    if scanner is None:
        return _orjson_reader(settings)
    judge, judged, now, clean = scanner[0].judge, judged_builder(scanner[1]), time.time, Verdict.CLEAN
    rest: Callable[[bytes], Any] | None = None

    def read(raw: bytes) -> Any:
        nonlocal rest
        failures = judge(raw, now())
        if failures is True:
            return clean
        if failures is not None:  # the scanner explained it whole
            return judged(failures)
        if rest is None:
            rest = _orjson_reader(settings) or _unread
        return rest(raw)

    return read


@cache
def _orjson_reader(settings: Settings) -> Callable[[bytes], Any] | None:
    """`json_reader` without the scanner: orjson parses, jsonschema-rs and the screen decide. None without them."""
    checks = _checks(settings, chunk=False)
    if checks is None or orjson is None:
        return None
    validator, screen = checks
    loads, dumps, malformed = orjson.loads, orjson.dumps, orjson.JSONDecodeError
    clean, unread = Verdict.CLEAN, Verdict.UNREAD
    colon, escaped_colon = b":", ESCAPED_COLON

    def read(raw: bytes) -> Any:
        try:
            value = loads(raw)
        except malformed:
            return unread
        try:
            valid = validator(value)
        except (ValueError, TypeError, OverflowError):
            valid = False
        if valid and type(value) is dict and (screen is None or screen(value)):
            # has_no_duplicate_keys's first test, inlined: a call less on the hottest line there is
            try:
                counted = dumps(value).count(colon) == raw.count(colon) and escaped_colon not in raw
            except (TypeError, ValueError):  # nested deeper than orjson writes (255 levels)
                counted = False
            if counted:
                return clean
            return clean if has_no_duplicate_keys(raw, value, dumps) else unread
        return value if is_exact(raw, value, dumps) else unread

    return read


@cache
def value_reader(settings: Settings) -> Callable[[object], Any] | None:
    """For a Python value (what users pass to `iter_errors`): `Verdict.CLEAN`, a JSON copy, or `Verdict.UNREAD`.

    orjson writes the value (refusing subclasses, dataclasses, datetimes, cycles, deep nesting,
    integers beyond 64 bits) and reads it back; the copy is trusted only if it equals the value,
    which rules out what orjson writes loosely (a tuple as a list, NaN as null, an Enum as its
    value). An Enum that equals its value passes; the verdict is the same for both. None without
    the libraries.
    """
    if orjson is None:
        return None
    walk, now, clean = compiled_walker(settings), time.time, Verdict.CLEAN
    if walk is None:
        return _round_trip_reader(settings)
    rest: Callable[[object], Any] | None = None

    def read(payload: object) -> Any:
        nonlocal rest
        if walk(payload, now()):
            return clean
        if rest is None:
            rest = _round_trip_reader(settings) or _unread
        return rest(payload)

    return read


@cache
def _round_trip_reader(settings: Settings) -> Callable[[object], Any] | None:
    """`value_reader` without the scanner's walker: orjson writes and reads back, jsonschema-rs decides."""
    checks = _checks(settings, chunk=False)
    if checks is None or orjson is None:
        return None
    validator, screen = checks
    loads, dumps = orjson.loads, orjson.dumps
    strict = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
    clean, unread = Verdict.CLEAN, Verdict.UNREAD

    def read(payload: object) -> Any:
        try:
            value = loads(dumps(payload, option=strict))
            if value != payload:
                return unread
            valid = validator(value)
        except (orjson.JSONEncodeError, ValueError, TypeError, OverflowError, RecursionError):
            return unread
        if valid and type(value) is dict and (screen is None or screen(value)):
            return clean
        return value

    return read


@cache
def chunk_reader(settings: Settings) -> Callable[[str], tuple[Any, bool | Judged] | None] | None:
    """For stream chunks: (the chunk, its verdict), or None where it was not read exactly.

    The verdict: True, certainly clean; a `Judged` account, the scanner's whole explanation (its
    records and where each value starts in the data); False, to be explained from the chunk.
    The stream checker needs the chunk itself (for the stream rules and the assembled response),
    so it is parsed whatever the verdict. None without orjson. The compiled scanner reads first,
    in the stream profile; where it is not sure (or was not built), orjson and jsonschema-rs.
    """
    if orjson is None:
        return None
    scanner = _scanner(settings, chunk=True)
    if scanner is None:
        return _orjson_chunk_reader(settings)
    judge, judged, now, loads, malformed = (
        scanner[0].judge,
        judged_builder(scanner[1]),
        time.time,
        orjson.loads,
        orjson.JSONDecodeError,
    )
    rest: Callable[[str], tuple[Any, bool] | None] | None = None

    def read_chunk(data: str) -> tuple[Any, bool | Judged] | None:
        nonlocal rest
        failures = judge(data, now())
        if failures is not None:
            raw = data.encode()
            if not _has_long_integer(raw):  # orjson would read it as a float: not the chunk's value
                try:
                    value = loads(raw)
                except malformed:  # the scanner read it as the strict parser does; orjson refused it
                    pass
                else:
                    return (value, True) if failures is True else (value, judged(failures))
        if rest is None:
            rest = _orjson_chunk_reader(settings) or _not_read
        return rest(data)

    return read_chunk


def _not_read(_: str) -> None:
    return None


@cache
def _orjson_chunk_reader(settings: Settings) -> Callable[[str], tuple[Any, bool] | None] | None:
    """`chunk_reader` without the scanner: orjson parses, jsonschema-rs and the screen decide. None without them.

    A twin of `_orjson_reader`'s `read` on purpose: one shared body would cost every document
    one more call on the hottest path there is.
    """
    checks = _checks(settings, chunk=True)
    if checks is None or orjson is None:
        return None
    validator, screen = checks
    loads, dumps, malformed = orjson.loads, orjson.dumps, orjson.JSONDecodeError

    def read_chunk(data: str) -> tuple[Any, bool] | None:
        try:
            value = loads(data)
        except malformed:
            return None
        try:
            valid = validator(value)
        except (ValueError, TypeError, OverflowError):
            valid = False
        if valid and type(value) is dict and (screen is None or screen(value)):
            return (value, True) if has_no_duplicate_keys(data, value, dumps) else None
        return (value, False) if is_exact(data.encode(), value, dumps) else None

    return read_chunk
