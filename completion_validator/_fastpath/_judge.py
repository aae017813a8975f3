"""The judge: the fast path for one set of settings, chosen once, asked once per document.

Most documents in a log are valid. Our own compiled scanner (`_scan.c`, running a program that
`_program.py` compiles from the derived schemas) reads the bytes once and can say "certainly
clean" without building a Python object, in less than a bare parse, or judge a document whole
(`Judged`). When it is not sure (or was not built), orjson parses, jsonschema-rs (built from the
very same derived schemas as the reference engine) gives a verdict, and the rule screen and the
duplicate-key count follow. A document that is not clean comes back as the value read (`Exact`),
with what was learned of it, so the checker explains it without asking again; only a document
orjson could not read exactly is `UNREAD`, for the strict parser, which also locates syntax errors.

`judge(settings)` is None where orjson is missing: every document then takes the reference path
(slower, same results).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import cache, cached_property
from typing import Any

from completion_validator._fastpath._keys import ESCAPED_COLON, has_no_duplicate_keys
from completion_validator._fastpath._libraries import installed, jsonschema_rs, orjson, scan
from completion_validator._fastpath._members import PART_BITS, MemberAccounts, failed_parts, member_runner
from completion_validator._fastpath._program import Program, Unsupported, compile_program, constant
from completion_validator._fastpath._records import Records, judged_builder
from completion_validator._fastpath._screen import screened_rules, screening_schemas
from completion_validator._fastpath._sums import KeptSums
from completion_validator._fastpath._verdict import CLEAN, UNREAD, Exact, Judged, Verdict
from completion_validator._jsontext import PARSER_DEPTH
from completion_validator._profiles import Profile
from completion_validator._response_types import AUTO, response_type
from completion_validator._settings import Settings
from completion_validator.errors import Finding

TextRead = Callable[[bytes], Verdict]
# lines(source, start, number, file) -> (stop, number, clean, out, pending): see `Judge.lines`
Lines = list[tuple[int, bytes]] | bytes
LinesRead = Callable[[Lines, int, int, "str | None"], "LinesAccount"]
LinesAccount = tuple[int, int, int, "list[Finding | tuple[int, bytes, Verdict]]", list[int]]
ValueRead = Callable[[object], Verdict]
ChunkRead = Callable[[str], "tuple[Any, Verdict] | None"]


class Judge:
    """The fast path for one `Settings`, for whole documents or for stream chunks (`chunk`).

    - `text(raw)`: a verdict on JSON bytes.
    - `lines(source, start, number, file)`: lines read as `text` reads each, from `start` on:
      `source` a list of (number, bytes) and `start` an index, or a block of bytes whose lines end
      at LF and `start` the byte offset of line `number`. Up to `stop` (the end, or the next line
      after a few handed back): (`stop`, the number of the line there, how many lines were clean,
      the others in order, the positions there of those handed back). A line whose verdict is a
      final account of one finding is that finding, placed in `file`; any other is handed back as
      (its number, its bytes, its verdict).
    - `value(payload)`: a verdict on a Python value (what users pass to `iter_errors`).
    - `read_chunk(data)`: a stream chunk's value and its verdict (`CLEAN`, `Judged` or `Exact`),
      or None where it was not read exactly: the stream checker needs the chunk whatever the verdict.
    - `explain(payload)`: the schema findings as the reference engine's records, or None where
      jsonschema-rs cannot vouch for them.
    - `suspects(payload)`: the selected rules that might report anything (the rest certainly
      would not), or None where it cannot tell.
    """

    def __init__(self, settings: Settings, chunk: bool) -> None:
        self.settings = settings
        self.chunk = chunk

    @cached_property
    def dumps(self) -> Callable[[Any], bytes]:
        """The writer of orjson (wanted only for a value orjson read: it is imported by then)."""
        library = orjson()
        assert library is not None
        writer: Callable[[Any], bytes] = library.dumps
        return writer

    # Built on first use: a pre-commit run over three files never builds the readers it does not use.
    @cached_property
    def text(self) -> TextRead:
        """A verdict on JSON bytes."""
        return self._text_readers[0]

    @cached_property
    def lines(self) -> LinesRead:
        """A log's lines read as `text` reads each, the lines it need not hand back counted or placed in C."""
        return self._text_readers[1]

    @cached_property
    def _text_readers(self) -> tuple[TextRead, LinesRead]:
        if self.settings.response_type == AUTO:
            return _auto_text_readers(self.settings)
        return _text_readers(self.settings)

    @cached_property
    def value(self) -> ValueRead:
        """A verdict on a Python value."""
        if self.settings.response_type == AUTO:
            return _auto_value_reader(self.settings)
        return _value_reader(self.settings)

    @cached_property
    def read_chunk(self) -> ChunkRead:
        """A stream chunk's value and verdict, or None where it was not read exactly."""
        return _chunk_reader(self.settings)

    def explain(self, payload: object) -> list[Finding] | None:
        """jsonschema-rs's findings on `payload`, translated; None where they might differ from jsonschema's."""
        from completion_validator._fastpath._explain import compiled_explainer

        explainer = compiled_explainer(self.settings.profile(stream=self.chunk))
        return None if explainer is None else explainer(payload)

    def suspects(
        self, payload: object, *, schema_valid: bool = False, failed_parts: frozenset[str] | None = None
    ) -> frozenset[str] | None:
        """The selected rules that might report anything on `payload`; None: any might (run them all).

        `schema_valid`: the judge found the schema and the rules' bounds to pass already;
        `failed_parts`: and the scanner named the screen's parts that failed (the rest passed).
        """
        suspects = _suspects(self.settings, self.chunk)
        return None if suspects is None else suspects(payload, schema_valid, failed_parts)


@cache
def judge(settings: Settings, *, chunk: bool = False) -> Judge | None:
    """The judge for `settings` (stream chunks if `chunk`); None without orjson. Built once per process.

    Under `auto` its text reader asks each type's reader in turn (`_auto_text_readers`); the rest
    judge values as the default type: one of another type is never clean there, and the checker,
    which reads its `object`, asks that type's judge. A stream's chunks are judged as the type
    the stream checker found it to be.
    """
    if not installed("orjson"):  # not imported here: a run the scanner vouches for never needs it
        return None
    if settings.response_type != settings.typed and chunk:
        return judge(settings._replace(response_type=settings.typed), chunk=chunk)
    return Judge(settings, chunk)


def _response_rules(settings: Settings) -> set[str]:
    from completion_validator._rules import RULES

    typed = settings.typed
    return {
        rule_id
        for rule_id in settings.selected_rules()
        if RULES[rule_id].check is not None and typed in RULES[rule_id].response_types
    }


def _screens(settings: Settings) -> bool:
    """Whether the screen stands for every selected response rule (else the fast path must stand aside)."""
    return not _response_rules(settings) - screened_rules(settings.typed)


@cache
def compiled_validator(profile: Profile) -> Callable[[Any], bool] | None:
    """jsonschema-rs's `is_valid` for `profile` plus the rules' bounds, built offline from the shipped files."""
    library = jsonschema_rs()
    if library is None:
        return None
    try:
        derived = screening_schemas(profile)
    except Unsupported:  # a rule's bound leads nowhere in the schemas: no fast verdict
        return None
    registry = library.Registry([(schema["$id"], schema) for schema in derived.values()])
    root = response_type(profile.response_type).root(stream=profile.stream)
    validator = library.Draft202012Validator(derived[root], registry=registry, offline=True)
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
    """jsonschema-rs checking only the rules' bounds, on any document, valid or not."""
    library = jsonschema_rs()
    if library is None:
        return None
    try:
        derived = {name: _bounds_only(schema) for name, schema in screening_schemas(profile).items()}
    except Unsupported:
        return None
    registry = library.Registry([(schema["$id"], schema) for schema in derived.values()])
    root = response_type(profile.response_type).root(stream=profile.stream)
    validator = library.Draft202012Validator(derived[root], registry=registry, offline=True)
    is_valid: Callable[[Any], bool] = validator.is_valid
    return is_valid


NO_SUSPECTS: frozenset[str] = frozenset()


@cache
def _suspects(
    settings: Settings, chunk: bool
) -> Callable[[Any, bool, frozenset[str] | None], frozenset[str] | None] | None:
    """A function naming the selected rules that might report anything on a payload, valid or not.

    The screen's bounds checked by jsonschema-rs and the screen itself: together the rules'
    conservative twin, so a document that fails only the schema (a vLLM log line with
    `system_fingerprint: null`) is not walked by any rule. Where the screen fails, each of its
    parts (`PARTS`) is asked, and only the rules of the parts that fail (and those with bounds,
    if a bound fails) run: a TGI line with `id: ""` runs `id-empty` alone. None where it cannot vouch.
    """
    from completion_validator._rules import RULES

    if not _screens(settings):
        return None
    bounds = _bounds_validator(settings.profile(stream=chunk))
    if bounds is None:
        return None
    kind = response_type(settings.typed)
    passes_screen, parts = kind.passes_screen, kind.screen_parts
    parted = _parted(settings)
    unparted = parted.get("", NO_SUSPECTS)
    in_part = {name: parted.get(name, NO_SUSPECTS) for name in parts}
    bounded = frozenset(rule_id for rule_id in _response_rules(settings) if RULES[rule_id].bounds)

    def suspects(payload: Any, within_bounds: bool, failed: frozenset[str] | None) -> frozenset[str] | None:
        if type(payload) is not dict:
            return None
        if failed is not None and within_bounds and failed <= in_part.keys():  # the scanner read it whole
            return unparted.union(*(in_part[name] for name in failed))
        try:
            within = within_bounds or bounds(payload)
            if within and passes_screen(payload, chunk=chunk):
                return NO_SUSPECTS
            found = set(unparted) if within else unparted | bounded
            for name, passes in parts.items():
                if in_part[name] and not passes(payload, chunk=chunk):
                    found |= in_part[name]
        except (ValueError, TypeError, OverflowError, KeyError, AttributeError):
            return None
        return frozenset(found)

    return suspects


@cache
def scanner(settings: Settings, *, chunk: bool = False) -> tuple[Any, Program] | None:
    """The compiled scanner for `settings` (for stream chunks if `chunk`) and its program, or None.

    None where it was not built, where a selected rule is one the screen does not know, or where
    the schemas use a keyword the scanner does not check (`Unsupported`).
    """
    if scan is None or not _screens(settings):
        return None
    try:
        return _program(settings.profile(stream=chunk), bool(_response_rules(settings)), chunk)
    except Unsupported:
        return None


@cache
def _program(profile: Profile, screen: bool, chunk: bool = False) -> tuple[Any, Program]:
    """The compiled scanner for `profile` (with the rule screen's roles if `screen`), and its program.

    `chunk`: the screen as the rules read a stream chunk (a choice's index need not be its position).
    """
    assert scan is not None
    kind = response_type(profile.response_type)
    program = compile_program(
        screening_schemas(profile), kind.root(stream=profile.stream), kind.scanner_roles(chunk=chunk) if screen else {}
    )
    earliest, ahead = kind.created_window
    return scan.Scanner(program.nodes, earliest, ahead, chunk), program


def _checks(settings: Settings, *, chunk: bool) -> tuple[Callable[[Any], bool], Callable[[Any], bool] | None] | None:
    """The compiled schema check and the rule screen for `settings`, or None where the fast path cannot vouch."""
    validator = compiled_validator(settings.profile(stream=chunk))
    if validator is None or not _screens(settings):
        return None  # a rule the screen does not know: it cannot vouch for it, so every document is explained
    if not _response_rules(settings):
        return validator, None
    passes_screen = response_type(settings.typed).passes_screen
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


def _too_deep(raw: bytes | str, value: Any) -> bool:
    """Whether `value` nests deeper than the strict parser reads (`PARSER_DEPTH`): it reports a `limit` there.

    orjson reads up to 1,024 levels. Fewer brackets than the limit cannot nest past it, which
    settles nearly every document with two counts; the rest are walked, stopping at the limit.
    """
    opening = raw.count("[") + raw.count("{") if isinstance(raw, str) else raw.count(b"[") + raw.count(b"{")
    if opening <= PARSER_DEPTH:
        return False
    level: list[Any] = [value]
    for _ in range(PARSER_DEPTH):
        level = [
            child
            for container in level
            for child in (container.values() if type(container) is dict else container)
            if type(child) is dict or type(child) is list
        ]
        if not level:
            return False
    return True


def is_exact(raw: bytes, value: Any, dumps: Callable[[Any], bytes]) -> bool:
    """Whether `value`, which orjson read from `raw`, is exactly what the strict parser would read."""
    return not _has_long_integer(raw) and not _too_deep(raw, value) and has_no_duplicate_keys(raw, value, dumps)


def _unread(_: object) -> Verdict:
    return UNREAD


def _text_readers(settings: Settings) -> tuple[TextRead, LinesRead]:
    """Read JSON bytes once: `CLEAN`, a `Judged` account, the `Exact` value to explain, or `UNREAD`.

    The compiled scanner reads first; where it is not sure, orjson and jsonschema-rs (built only
    then, so a clean run never pays for them) read the document. Lines of a log are read in C
    (`Scanner.account_lines`), which places a line's one finding itself from the records kept
    here: only the lines it cannot settle come back to Python.
    """
    compiled = scanner(settings)
    if compiled is None:
        without = _orjson_reader(settings) or _unread
        return without, one_at_a_time(without)
    account, account_lines, now = compiled[0].account, compiled[0].account_lines, time.time
    records: Records = {}
    judged = judged_builder(compiled[1], records)
    parts_named = _failed_parts()
    member_accounts: MemberAccounts = {}
    member_of: dict[int, int] = {}
    sums: KeptSums = {}
    members = member_runner(settings, _parted(settings), _has_long_integer, (member_accounts, member_of, sums))
    looked_up = (member_accounts, member_of, sums) if members is not None else (None, None, None)
    rest: TextRead | None = None

    def settle(raw: bytes, failures: Any) -> Verdict:
        """The verdict on `raw`, whose scanner's account (not True: clean) is `failures`."""
        nonlocal rest
        if type(failures) is list:  # the scanner explained it whole
            return judged(failures)
        if type(failures) is tuple and not failures[0]:
            # read whole, the schema and the bounds kept, and only the envelope's rules to run:
            # on the members they read, if that is all they read
            explained = None if members is None else members(raw, failures[1], failures[2])
            if explained is not None:
                return explained
            library = orjson()  # imported on the first document the scanner did not settle
            if library is not None and not _has_long_integer(raw):  # orjson reads the value (strict JSON)
                try:
                    return Exact(library.loads(raw), schema_valid=True, failed_parts=parts_named[failures[1]])
                except library.JSONDecodeError:
                    pass
        if rest is None:
            rest = _orjson_reader(settings) or _unread
        return rest(raw)

    def read(raw: bytes) -> Verdict:
        failures = account(raw, now())
        return CLEAN if failures is True else settle(raw, failures)

    def lines(source: Lines, start: int, number: int, file: str | None) -> LinesAccount:
        stop, number, clean, out, pending = account_lines(
            source, start, number, now(), records, *looked_up, file, Finding
        )
        for position in pending:
            line, raw, failures = out[position]
            out[position] = line, raw, settle(raw, failures)
        return stop, number, clean, out, pending

    return read, lines


@cache
def _failed_parts() -> dict[int, frozenset[str]]:
    """The screen's parts named by the scanner's `SUSPECT_` bits (every combination of them)."""
    every = sum(constant(name) for name in PART_BITS.values())
    return {bits: failed_parts(bits) for bits in range(every + 1)}


def _parted(settings: Settings) -> dict[str, frozenset[str]]:
    """The selected response rules by the part of the screen that stands for them ("": none)."""
    from completion_validator._rules import RULES

    parts = response_type(settings.typed).screen_parts
    parted: dict[str, set[str]] = {}
    for rule_id in _response_rules(settings):
        screened = RULES[rule_id].screened
        parted.setdefault(screened if screened in parts else "", set()).add(rule_id)
    return {part: frozenset(rules) for part, rules in parted.items()}


def _auto_text_readers(settings: Settings) -> tuple[TextRead, LinesRead]:
    """Under `auto`: each document read first as the type the last one turned out to be.

    A log holds one type, nearly always: its documents take one scan each, whatever the type.
    Where a type's reader finds the `object` wrong, the type that `object` names reads it (and
    is asked first from then on); where it names none (missing, unknown), the default type's
    reader answers, as it always did, and the checker reads the value to learn what it is.
    """
    readers: dict[str, tuple[TextRead, LinesRead]] = {}

    def reader(kind: str) -> tuple[TextRead, LinesRead]:
        if kind not in readers:
            typed = judge(settings._replace(response_type=kind))
            readers[kind] = (_unread, one_at_a_time(_unread)) if typed is None else (typed.text, typed.lines)
        return readers[kind]

    last, (current, current_lines) = settings.typed, reader(settings.typed)

    def settle(raw: bytes, verdict: Verdict, asked: str) -> Verdict:
        """The verdict of the type `raw` is, given the verdict of type `asked`'s reader on it."""
        nonlocal last, current, current_lines
        if verdict is CLEAN or verdict is UNREAD or (type(verdict) is Judged and verdict.final):
            return verdict  # a final account has no finding at `object`: the type is the one asked
        named = _type_named(verdict, settings)
        if named is None or named == asked:  # its object is this type's: these are its findings
            return verdict
        last, (current, current_lines) = named, reader(named)
        return current(raw)

    def read(raw: bytes) -> Verdict:
        return settle(raw, current(raw), last)

    def lines(source: Lines, start: int, number: int, file: str | None) -> LinesAccount:
        # what the asked type's reader counted or placed is clean or final: that type's
        asked = last
        stop, number, clean, out, pending = current_lines(source, start, number, file)
        for position in pending:
            line, raw, verdict = out[position]  # type: ignore[misc]  # pending: a line handed back
            out[position] = line, raw, settle(raw, verdict, asked)
        return stop, number, clean, out, pending

    return read, lines


def one_at_a_time(read: TextRead) -> LinesRead:
    """`Judge.lines` handing each line back with `read`'s verdict (no scanner; `--max-errors 0`)."""

    def lines(source: Lines, start: int, number: int, file: str | None) -> LinesAccount:
        if isinstance(source, list):
            numbered = source[start:]
        else:
            raws = source[start:].split(b"\n")
            if raws[-1] == b"":
                raws.pop()  # after the block's last line end
            numbered = list(enumerate(raws, start=number))
            number += len(raws)
        out: list[Finding | tuple[int, bytes, Verdict]] = [(line, raw, read(raw)) for line, raw in numbered]
        return len(source), number, 0, out, list(range(len(out)))

    return lines


def _auto_value_reader(settings: Settings) -> ValueRead:
    """Under `auto`: a value read by the reader of the type it is (`detect`: its `object`, looked up in C)."""
    default = _value_reader(settings._replace(response_type=settings.typed))
    readers: dict[str, ValueRead] = {}

    def read(payload: object) -> Verdict:
        typed = settings.for_document(payload)
        if typed is settings:
            return default(payload)
        kind = typed.response_type
        if kind not in readers:
            other = judge(typed)
            readers[kind] = _unread if other is None else other.value
        return readers[kind](payload)

    return read


def _type_named(verdict: Verdict, settings: Settings) -> str | None:
    """The type a document not clean for its reader is: from its value, or from the `object` the scanner judged.

    None where the judged `object` is right for the judge; a missing or unknown one names the default type.
    """
    if type(verdict) is Exact:
        return settings.for_document(verdict.value).typed
    if type(verdict) is Judged:
        for finding in verdict.findings:
            if finding.instance_path == ("object",):
                actual = finding.actual
                return settings.for_document({"object": actual}).typed if type(actual) is str else settings.typed
    return None


def _orjson_reader(settings: Settings) -> TextRead | None:
    """The text reader without the scanner: orjson parses, jsonschema-rs and the screen decide. None without them."""
    checks, library = _checks(settings, chunk=False), orjson()
    if checks is None or library is None:
        return None
    validator, screen = checks
    loads, dumps, malformed = library.loads, library.dumps, library.JSONDecodeError
    colon, escaped_colon = b":", ESCAPED_COLON

    def read(raw: bytes) -> Verdict:
        try:
            value = loads(raw)
        except malformed:
            return UNREAD
        try:
            valid = validator(value)
        except (ValueError, TypeError, OverflowError):
            valid = False
        if valid and type(value) is dict:
            if _too_deep(raw, value):
                return UNREAD  # the strict parser reports the depth
            if screen is None or screen(value):
                # has_no_duplicate_keys's first test, inlined: a call less on the hottest line there is
                try:
                    counted = dumps(value).count(colon) == raw.count(colon) and escaped_colon not in raw
                except (TypeError, ValueError):  # nested deeper than orjson writes (255 levels)
                    counted = False
                if counted:
                    return CLEAN
                return CLEAN if has_no_duplicate_keys(raw, value, dumps) else UNREAD
            # valid under the schema and its bounds: only the rules are left to run
            return Exact(value, schema_valid=True) if is_exact(raw, value, dumps) else UNREAD
        return Exact(value) if is_exact(raw, value, dumps) else UNREAD

    return read


def _value_reader(settings: Settings) -> ValueRead:
    """For a Python value: `CLEAN`, the scanner's records of its text (`Judged`), an `Exact` copy, or `UNREAD`.

    The scanner's checks walk the value in C (exact dicts, lists, str, int, float, bool, None);
    where they are not sure, orjson writes the value (refusing subclasses, dataclasses,
    datetimes, cycles, deep nesting, integers beyond 64 bits) and reads it back; the copy is
    trusted only if it equals the value, which rules out what orjson writes loosely (a tuple as
    a list, NaN as null, an Enum as its value).
    """
    compiled = scanner(settings)
    if compiled is None:
        return _round_trip_reader(settings) or _unread
    walk, now = compiled[0].clean_value, time.time
    rest: ValueRead | None = None

    def read(payload: object) -> Verdict:
        nonlocal rest
        found = walk(payload, now())
        if found:
            return CLEAN
        if found is None:  # shared sub-objects make it too large written out: no round trip through text
            return UNREAD
        if rest is None:
            rest = _round_trip_reader(settings, compiled) or _unread
        return rest(payload)

    return read


def _round_trip_reader(settings: Settings, compiled: tuple[Any, Program] | None = None) -> ValueRead | None:
    """The value reader without the scanner's walker: orjson writes and reads back, jsonschema-rs decides.

    With the compiled scanner (`compiled`), the text written is judged by it first: a value
    whose only errors are scalars where no rule looks (an invalid enum, a string index) gets
    the scanner's records (`Judged`), as the same text would, without a schema engine.
    """
    checks, library = _checks(settings, chunk=False), orjson()
    if checks is None or library is None:
        return None
    validator, screen = checks
    scan_judge, now = (None, time.time) if compiled is None else (compiled[0].judge, time.time)
    judged = None if compiled is None else judged_builder(compiled[1])
    loads, dumps = library.loads, library.dumps
    strict = library.OPT_PASSTHROUGH_SUBCLASS | library.OPT_PASSTHROUGH_DATACLASS | library.OPT_PASSTHROUGH_DATETIME
    failures = (library.JSONEncodeError, ValueError, TypeError, OverflowError, RecursionError)
    within = _written_out_within()

    def read(payload: object) -> Verdict:
        size = within(payload, ROUND_TRIP_LIMIT)
        if not size:
            return UNREAD  # shared sub-objects: written out it would be astronomically long (orjson would try)
        try:
            written = dumps(payload, option=strict)
            if size == PLAIN:  # only what orjson writes as itself: read back, it would equal the payload
                value: Any = payload
            else:
                value = loads(written)
                if value != payload:
                    return UNREAD
            if scan_judge is not None and judged is not None:
                # equal, and orjson refuses what is not JSON: the text is the payload's, exactly
                verdict = scan_judge(written, now())
                if verdict is True:
                    return CLEAN
                if verdict is not None:
                    account = judged(verdict)
                    if _actuals_are_the_payloads(account, payload):
                        return account
            valid = validator(value)
        except failures:
            return UNREAD
        if valid and type(value) is dict and (screen is None or screen(value)):
            return CLEAN
        return Exact(value)

    return read


def _actuals_are_the_payloads(account: Judged, payload: object) -> bool:
    """Whether each value the scanner's records show, read from the written text, is the payload's own.

    orjson writes an Enum as its value (an IntEnum equals its int): where one is what failed, the
    record must show it, so the value is explained from itself instead.
    """
    for finding in account.findings:
        if finding.keyword == "required" or finding.instance_path is None:
            continue
        node: Any = payload
        try:
            for part in finding.instance_path:
                node = node[part]
        except (KeyError, IndexError, TypeError):  # cannot be: the text is the payload's; explain it instead
            return False
        if type(node) is not type(finding.actual):
            return False
    return True


# Values a Python value may hold, written out, for the round trip through orjson: a legitimate
# 20 MB document holds about 3 million.
ROUND_TRIP_LIMIT = 1 << 24


# What `written_out_within` answers for a value within the limit that holds only exact dicts (str
# keys), lists, str, int, finite floats, bool and None: its copy through orjson need not be read back.
PLAIN = 2


def _written_out_within() -> Callable[[object, int], int]:
    """The compiled `written_out_within`, or the same count in Python where the scanner was not built.

    0: over the limit; 1: within; `PLAIN`: within, and plain JSON (the Python count never says so).
    """
    if scan is not None:
        compiled: Callable[[object, int], int] = scan.written_out_within
        return compiled

    def within(value: object, limit: int) -> int:
        # Counting in Python costs ~0.5 s a million values: past a million, the round trip (only
        # ever a shortcut) is skipped and the value is explained from itself.
        left, stack = min(limit, 1 << 20), [(value, 0)]
        while stack:
            node, depth = stack.pop()
            left -= 1
            if left < 0:
                return 0
            if depth < 256 and type(node) is dict:
                stack.extend((item, depth + 1) for item in node.values())
            elif depth < 256 and (type(node) is list or type(node) is tuple):
                stack.extend((item, depth + 1) for item in node)
        return 1

    return within


def _chunk_reader(settings: Settings) -> ChunkRead:
    """For stream chunks: (the chunk, its verdict), or None where it was not read exactly.

    The compiled scanner reads first, in the stream profile; where it is not sure (or was not
    built), orjson and jsonschema-rs.
    """
    compiled, library = scanner(settings, chunk=True), orjson()
    if compiled is None or library is None:
        return _orjson_chunk_reader(settings) or _not_read
    scan_judge, judged, now, loads, malformed = (
        compiled[0].judge,
        judged_builder(compiled[1]),
        time.time,
        library.loads,
        library.JSONDecodeError,
    )
    rest: ChunkRead | None = None

    def read_chunk(data: str) -> tuple[Any, Verdict] | None:
        nonlocal rest
        failures = scan_judge(data, now())
        if failures is not None:
            raw = data.encode()
            if not _has_long_integer(raw):  # orjson would read it as a float: not the chunk's value
                try:
                    value = loads(raw)
                except malformed:  # the scanner read it as the strict parser does; orjson refused it
                    pass
                else:
                    return (value, CLEAN) if failures is True else (value, judged(failures))
        if rest is None:
            rest = _orjson_chunk_reader(settings) or _not_read
        return rest(data)

    return read_chunk


def _not_read(_: str) -> None:
    return None


def _orjson_chunk_reader(settings: Settings) -> ChunkRead | None:
    """The chunk reader without the scanner: orjson parses, jsonschema-rs and the screen decide. None without them.

    A twin of `_orjson_reader`'s `read` on purpose: one shared body would cost every document
    one more call on the hottest path there is.
    """
    checks, library = _checks(settings, chunk=True), orjson()
    if checks is None or library is None:
        return None
    validator, screen = checks
    loads, dumps, malformed = library.loads, library.dumps, library.JSONDecodeError

    def read_chunk(data: str) -> tuple[Any, Verdict] | None:
        try:
            value = loads(data)
        except malformed:
            return None
        try:
            valid = validator(value)
        except (ValueError, TypeError, OverflowError):
            valid = False
        if valid and type(value) is dict and (screen is None or screen(value)):
            exact = has_no_duplicate_keys(data, value, dumps) and not _too_deep(data, value)
            return (value, CLEAN) if exact else None
        return (value, Exact(value)) if is_exact(data.encode(), value, dumps) else None

    return read_chunk
