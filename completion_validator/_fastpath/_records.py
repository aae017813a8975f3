"""The scanner's judged failures, as the reference engine's records.

`Scanner.judge` reads a document once and, when no rule reports anything on it and every schema
error is a scalar of the wrong type or outside an enum, or a required member missing, where no
rule looks (or where the rules pass over a value that is not an integer or not a string: an id,
created, a choice's index), hands back those failures: keyword, node, path, value and byte
offset (of the value; of the object, for a missing member). This turns them into the records
jsonschema's errors become (`_findings`, with the keyword's value and location the program kept
for the node), so a log whose every line has `system_fingerprint: null` is explained without a
parse into Python objects, a schema engine or a walk to locate the finding.

Records are cached by what they are made of: the lines of a log tend to fail alike, and a
record is frozen, so each line only gets its own position (`Finding.located`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from completion_validator._fastpath._program import Program, constant
from completion_validator._fastpath._verdict import Judged
from completion_validator._findings import enum_finding, required_finding, type_finding
from completion_validator._recognize import may_be_recognized
from completion_validator.errors import Finding

_CACHED = 4096  # records kept; a log with more distinct failures builds the rest each time
_CACHED_VALUE = 256  # characters of a record's path and value it may be kept by: 4,096 of them stay small

Failure = tuple[int, int, tuple[str | int, ...], Any, int]


Records = dict[tuple[Any, ...], tuple[Finding, bool]]


def judged_builder(program: Program, kept: Records | None = None) -> Callable[[list[Failure]], Judged]:
    """A function turning `Scanner.judge`'s failures into a `Judged` account (records in document order).

    `kept`: where its records are kept, for a caller that looks them up too (`Scanner.account_lines`,
    which places a line's one final record in C, by the same key as `record` here).
    """
    cache: Records = {} if kept is None else kept
    kept_type, kept_required = constant("KEPT_TYPE"), constant("KEPT_REQUIRED")  # else KEPT_ENUM

    def record(kind: int, node: int, path: tuple[str | int, ...], value: Any) -> tuple[Finding, bool]:
        """The record and whether it is final (see `Judged.final`), kept if small."""
        # 1 and 1.0 and True are equal keys, and 0.0 and -0.0: the type and the repr tell them apart
        key = (kind, node, path, type(value), repr(value) if type(value) is float else value)
        known = cache.get(key)
        if known is not None:
            return known
        if kind == kept_type:
            declared, location = program.types[node] or _missing(node, "type")
            finding = type_finding(declared, value, path, location)
        elif kind == kept_required:  # path is the missing member's: its object's, and its name
            _, location = program.requireds[node] or _missing(node, "required")
            finding = required_finding(str(path[-1]), path[:-1], location)
        else:
            allowed, location = program.enums[node] or _missing(node, "enum")
            finding = enum_finding(allowed, value, path, location)
        made = finding, not may_be_recognized((finding,))  # (which says so of a finding at `object` too)
        if len(cache) < _CACHED and _small(path, value):
            _ = finding.path, finding.pointer  # written once, carried by every located copy
            cache[key] = made
        return made

    def build(failures: list[Failure]) -> Judged:
        if len(failures) == 1:  # a log line with one problem: no lists to build, no call but on a miss
            kind, node, path, value, offset = failures[0]
            known = cache.get((kind, node, path, type(value), repr(value) if type(value) is float else value))
            finding, final = known if known is not None else record(kind, node, path, value)
            return Judged((finding,), (offset,), final)
        findings = []
        every_final = True
        for kind, node, path, value, _ in failures:
            finding, final = record(kind, node, path, value)
            findings.append(finding)
            every_final = every_final and final
        return Judged(tuple(findings), tuple([failure[4] for failure in failures]), every_final)

    return build


def _small(path: tuple[str | int, ...], value: Any) -> bool:
    """Whether a record may be kept by this path and value: a long string would stay in memory 4,096 times over."""
    size = sum(len(part) for part in path if type(part) is str)
    return size + (len(value) if type(value) is str else 0) <= _CACHED_VALUE


def _missing(node: int, keyword: str) -> tuple[Any, str]:
    raise AssertionError(f"the scanner judged a {keyword} failure at node {node}, which has no {keyword}")
