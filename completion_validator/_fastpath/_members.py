"""Rule findings from the envelope's members alone: a TGI line's `id: ""` without reading the rest.

Where the scanner read a document whole and only the envelope's screen failed, its account
(`Scanner.account`) names the parts that failed and where the values of `id`, `created` and
`usage` lie. The rules of those parts declare the members they read (`reads=`): run on those
members alone, each read from its text by orjson, they say what they would say of the whole
document (a test holds each rule to its declaration), and their findings are placed from the
member's offset. So a log whose every line has one rule's problem is explained as a log of
schema errors is (`Judged`), without building each line in Python. Where a part's rule reads
more (usage-zero reads the choices' text), there is no such account: the document is read whole.

Accounts are kept by the members' text: the lines of a log repeat it (TGI's `""`), and a
finding is frozen, so each line only gets its own offsets. Not where `created` is read: its
rule compares it with the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from completion_validator._examine import in_document_order
from completion_validator._fastpath._libraries import orjson
from completion_validator._fastpath._program import constant
from completion_validator._fastpath._sums import KeptSums, kept_sum
from completion_validator._fastpath._verdict import Judged
from completion_validator._jsontext import Walked, find, places
from completion_validator._recognize import may_be_recognized
from completion_validator._rules import RULES, run_rules
from completion_validator._settings import Settings
from completion_validator.errors import Finding

# The members whose values the scanner's account spans, in its order.
SPANNED = ("id", "created", "usage")
# The scanner's bits for the parts of the screen, by part name.
PART_BITS = {
    "id": "SUSPECT_ID",
    "created": "SUSPECT_CREATED",
    "usage": "SUSPECT_USAGE",
    "zero-usage": "SUSPECT_ZERO_USAGE",
}
_UNCACHED = frozenset({"created"})  # members whose rules read the clock
_CACHED = 4096  # accounts kept; a log with more distinct members builds the rest each time
_CACHED_TEXT = 512  # bytes of members' text an account may be kept by: 4,096 of them stay small

MemberRun = Callable[[bytes, int, tuple[int, ...]], "Judged | None"]
# An account kept by the members' text: the findings, and where each lies (member index, byte offset in it).
_Account = tuple[tuple[Finding, ...], tuple[tuple[int, int], ...], bool]  # findings, places, final


# What to run where the scanner names some failed parts: the rules, the members they read (indexes
# into SPANNED, in its order), and whether the account may be kept (a plain tuple: a dataclass
# would cost every run's start-up half a millisecond).
_Plan = tuple[frozenset[str], tuple[int, ...], bool]


def failed_parts(bits: int) -> frozenset[str]:
    """The screen's parts the scanner's `SUSPECT_` bits name."""
    return frozenset(part for part, name in PART_BITS.items() if bits & constant(name))


MemberAccounts = dict[tuple[Any, ...], "_Account | None"]


def member_runner(
    settings: Settings,
    parted: dict[str, frozenset[str]],
    inexact: Callable[[bytes], bool],
    kept: tuple[MemberAccounts, dict[int, int], KeptSums] | None = None,
) -> MemberRun | None:
    """A function giving the `Judged` account of a document from its failed parts' members, or None.

    `parted`: the selected rules of each part of the screen (those with no part under "");
    `inexact`: whether orjson may read a text other than the strict parser (a long integer).
    The function answers None where a rule to run reads more than the members spanned, where a
    member's text is not what orjson reads exactly, or where a finding lies outside its member.
    `kept`: where its accounts are kept, keyed by (the scanner's bits, the member's text), and for
    the bits whose rules read one member and may be kept, that member's index into `SPANNED`: for
    a caller that looks them up too (`Scanner.account_lines`, which places a line's one final
    finding in C); and where a line's usage failed by its sum alone, the sum rule's finding the
    scanner fills in (`_sums.py`).
    """
    plans: dict[int, _Plan | None] = {}
    cache, member_of, sums = ({}, {}, {}) if kept is None else kept
    # the bits of a line whose usage alone failed, where only the usage part's rules run on it
    summed = constant("SUSPECT_USAGE") if not parted.get("") else None

    def plan(bits: int) -> _Plan | None:
        parts = failed_parts(bits)
        rules = parted.get("", frozenset()).union(*(parted.get(part, frozenset()) for part in parts))
        # a rule that names no members may read any ("*"): not one to run on members alone
        read = {member for rule_id in rules for member in RULES[rule_id].reads or ("*",)}
        if not rules or not read <= set(SPANNED):
            return None
        members = tuple(index for index, member in enumerate(SPANNED) if member in read)
        return rules, members, not read & _UNCACHED

    def account(raw: bytes, plan: _Plan, spans: tuple[int, ...]) -> _Account | None:
        rules, members, _ = plan
        texts: dict[str, bytes] = {}
        for index in sorted(members, key=lambda member: spans[2 * member]):  # in document order
            start, end = spans[2 * index], spans[2 * index + 1]
            if start < 0:
                return None
            texts[SPANNED[index]] = raw[start:end]
        library = orjson()  # imported on the first line the scanner did not settle
        if library is None or any(map(inexact, texts.values())):
            return None
        loads = library.loads
        try:
            partial = {name: loads(text) for name, text in texts.items()}
        except library.JSONDecodeError:  # cannot be: the scanner read it as strict JSON
            return None
        found = in_document_order(
            partial,
            list(run_rules(partial, rules, lenient=settings.lenient, response_type=settings.typed)),
        )
        placed = []
        decoded: dict[str, tuple[str, Walked]] = {}  # each member's text, decoded once, and what was walked of it
        for finding in found:
            where = _offset_in_member(finding, texts, decoded, partial)
            if where is None:
                return None
            placed.append((SPANNED.index(where[0]), where[1]))
        if settings.warnings_as_errors:
            found = [replace(finding, severity="error") for finding in found]
        for finding in found:
            _ = finding.path, finding.pointer  # written once, carried by every located copy
        return tuple(found), tuple(placed), not may_be_recognized(tuple(found))

    def run(raw: bytes, bits: int, spans: tuple[int, ...]) -> Judged | None:
        if bits not in plans:
            made = plans[bits] = plan(bits)
            if made is not None and len(made[1]) == 1 and made[2]:  # one member, its accounts kept
                member_of[bits] = made[1][0]
        chosen = plans[bits]
        if chosen is None:
            return None
        _, members, kept = chosen
        if len(members) == 1:  # nearly always: one part fails, its rules read one member
            key: tuple[Any, ...] = (bits, raw[spans[2 * members[0]] : spans[2 * members[0] + 1]])
        else:
            key = (bits, *[raw[spans[2 * index] : spans[2 * index + 1]] for index in members])
        if kept and key in cache:  # (None too: a member not to be judged so, known already)
            known = cache[key]
        else:
            known = account(raw, chosen, spans)
            if kept and len(cache) < _CACHED and sum(map(len, key[1:])) <= _CACHED_TEXT:
                cache[key] = known
            if bits == summed and bits not in sums and known is not None:
                filled = kept_sum(known[0], known[2], chosen[0])
                if filled is not None:
                    sums[bits] = filled
        if known is None:
            return None
        findings, placed, final = known
        if len(placed) == 1:
            ((index, offset),) = placed
            return Judged(findings, (spans[2 * index] + offset,), final)
        return Judged(findings, tuple([spans[2 * index] + offset for index, offset in placed]), final)

    return run


def _offset_in_member(
    finding: Finding, texts: dict[str, bytes], decoded: dict[str, tuple[str, Walked]], values: dict[str, Any]
) -> tuple[str, int] | None:
    """(the member, the byte offset inside its text) where `finding` is shown; None if outside its member.

    `values`: each member's value, as read from its text.
    """
    path = finding.instance_path
    if not path or path[0] not in texts:
        return None
    member = texts[path[0]]
    if len(path) == 2 and type(path[1]) is str and next(places(path, finding.keyword)) == (path, False):
        offset = flat_member_value(member, path[1], values[path[0]])
        if offset is not None:  # a usage's count: the common case, found without walking the text
            return path[0], offset
    if path[0] not in decoded:
        decoded[path[0]] = (member.decode("utf-8"), {})
    text, walked = decoded[path[0]]
    for place, at_key in places(path, finding.keyword):
        if not place or (at_key and len(place) == 1):
            return None  # shown outside its member (at the root, at the member's key)
        found = find(text, place[1:], walked=walked)
        if found is not None:
            offset = found[0] if at_key and found[0] is not None else found[1]
            return path[0], offset if member.isascii() else len(text[:offset].encode("utf-8"))
    return None


# What separates a key from its value in strict JSON: white space, a colon, white space.
_TO_VALUE = re.compile(rb"[ \t\n\r]*:[ \t\n\r]*")


def flat_member_value(text: bytes, name: str, value: Any) -> int | None:
    """The byte offset of member `name`'s value in `text`, an object's strict JSON text whose value is `value`.

    Only where that is certain from one search: the object holds `name`, no value is a string or
    a container and the text has no escape, so every quoted string in it is a key, each once.
    None otherwise (the caller walks the text).
    """
    if type(value) is not dict or name not in value or b"\\" in text:
        return None
    for member in value.values():
        if type(member) is str or type(member) is dict or type(member) is list:
            return None
    key = b'"' + name.encode("utf-8") + b'"'
    at = text.find(key)
    if at < 0:
        return None
    separator = _TO_VALUE.match(text, at + len(key))
    return None if separator is None else separator.end()
