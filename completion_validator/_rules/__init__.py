"""One registry for every rule, about a response or about a stream, each registered where its logic is.

A rule checks what JSON Schema cannot say: arithmetic between fields, the spec's prose, the order
of a stream's events. Each has a stable kebab-case id, a severity, and a rationale — the first
line of its docstring, which `--list-rules` and the rule table of docs/rules.md show.

- Response rules (`response.py`) are functions from a payload to findings, decorated with `@rule`.
  They run after the schema and must tolerate payloads the schema rejected. A rule says beside
  it what the fast path needs of it: `screened` (the part of its response type's screen,
  `response_screen.py`, that stands for it: `usage`, `choices`...; empty: none does, and the fast
  path stands aside while it is selected) and its `bounds` (instance paths and
  `minimum`/`maximum`, checked in compiled code on the screening copy), and a rule that is one
  sum declares it (`sums=Sum(...)`, its message a template): it builds its finding from that,
  and the compiled scanner, which reads the same counts, fills in the same template.
- Stream rules (`stream.py`) are small classes decorated with `@stream_rule`: the stream checker
  feeds each a stream's events in order, then its end, and they keep only the state they need
  (per choice, not per event), so a capture of any length is checked in bounded memory.

A finding's `keyword` is its rule's id and its `severity` the rule's: the registry stamps both,
so a rule only says where and what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, TypeVar

from completion_validator._jsontext import Position
from completion_validator.errors import Finding, InstancePath, Severity, UnknownRule

if TYPE_CHECKING:
    from completion_validator._sse import StreamEnd, StreamEvent

# A response rule: payload -> findings; one that declares a `lenient` keyword is told the profile.
ResponseCheck = Callable[..., Iterator[Finding]]
Scope = Literal["response", "stream", "probe"]
# A probe rule: what a live server's answer to one request must show, given the request.
ProbeCheck = Callable[[Any], Iterator[Finding]]
# A bound a rule amounts to, at an instance path (`[]`: every item, `*`: every member the schema names).
Bound = tuple[tuple[str, ...], Mapping[str, int]]


class Sum:
    """A rule that is one sum: member `total` of `member` must be the sum of members `parts`.

    `message` is a `str.format` template over the members' names and `sum`. The rule makes its
    finding with `finding`; a log line's counts are filled into the same template by the compiled
    scanner (from `pieces`), so the two cannot word it differently. A plain class: a dataclass
    would cost the command's start-up for one declaration.
    """

    __slots__ = ("member", "message", "parts", "total")

    def __init__(self, member: str, total: str, parts: tuple[str, ...], message: str) -> None:
        self.member, self.total, self.parts, self.message = member, total, parts, message

    def finding(self, total: int, parts: tuple[int, ...], actual: object) -> Finding:
        """The finding where `total` is not the sum of `parts` (in `self.parts`' order); `actual` as found."""
        names = dict(zip(self.parts, parts, strict=True))
        summed = sum(parts)
        message = self.message.format(**names, **{self.total: total, "sum": summed})
        return finding((self.member, self.total), message, str(summed), actual)

    def pieces(self, slots: Mapping[str, int]) -> tuple[str | int, ...] | None:
        """The message as literal text and slots (`slots`: a member's name, or "sum", to its number), or None.

        None where the template names something `slots` does not, or formats a value (`{sum:>5}`).
        """
        from string import Formatter  # only where a scanner is built: not on the command's start-up

        made: list[str | int] = []
        for text, name, spec, conversion in Formatter().parse(self.message):
            made.append(text)
            if name is None:
                continue
            if spec or conversion or name not in slots:
                return None
            made.append(slots[name])
        return tuple(made)


class StreamCheck:
    """The state of one stream rule over one stream: fed every event in order, then the end.

    Subclasses override `event` and/or `end` and report with `finding` / `finding_at`.
    """

    rule_id: ClassVar[str] = ""
    severity: ClassVar[Severity] = "error"

    def event(self, event: StreamEvent) -> Iterable[Finding]:
        """Findings about this event, given the events before it."""
        return ()

    def end(self, end: StreamEnd) -> Iterable[Finding]:
        """Findings that only the end of the stream shows."""
        return ()

    def finding(
        self,
        message: str,
        position: Position,
        event: int | None,
        path: InstancePath = (),
        actual: object = None,
    ) -> Finding:
        """A finding of this rule at a place in the capture."""
        return Finding(
            path,
            self.rule_id,
            message,
            None,
            actual,
            None,
            self.severity,
            event,
            line=position.line,
            column=position.column,
        )

    def finding_at(self, event: StreamEvent, path: InstancePath, message: str, actual: object = None) -> Finding:
        """A finding about the value at `path` of an event's chunk, located there."""
        return self.finding(message, event.locate(path), event.number, path, actual)


class Rule(NamedTuple):
    """A registered rule: id, severity, what it applies to, its rationale and its logic."""

    id: str
    severity: Severity
    scope: Scope
    rationale: str
    check: ResponseCheck | None = None
    stream_check: type[StreamCheck] | None = None
    # Response rules that only make sense for a whole response (not for one stream chunk).
    whole_response_only: bool = False
    # Stream rules reported even when deselected: they say that an event could not be read at all.
    always: bool = False
    # The response rule reads the profile (it declares a `lenient` keyword).
    profile_aware: bool = False
    # Probe rules: the expectation, checked on a case's outcome.
    probe_check: ProbeCheck | None = None
    # The response types it applies to.
    response_types: tuple[str, ...] = ("completion",)
    # The part of the fast path's screen that stands for it (see `response_screen.PARTS`); "": none.
    screened: str = ""
    # The bounds it amounts to, placed into the screening copy of the schemas.
    bounds: tuple[Bound, ...] = ()
    # The payload's members it reads (its findings lie under them); (): it may read anything. A
    # rule that names them can be run on those members alone, read from their text (a TGI line's
    # `id: ""`), without reading the rest of the document into Python values.
    reads: tuple[str, ...] = ()
    # The sum it is, where it is one (its findings are made from it).
    sums: Sum | None = None

    def run(self, payload: Mapping[str, Any], *, lenient: bool = False) -> Iterator[Finding]:
        """A response rule's findings, each stamped with the rule's id and severity."""
        assert self.check is not None
        found = self.check(payload, lenient=lenient) if self.profile_aware else self.check(payload)
        for finding in found:
            yield finding.by_rule(self.id, self.severity)


RULES: dict[str, Rule] = {}
_StreamCheckType = TypeVar("_StreamCheckType", bound=type[StreamCheck])


def _rationale(documented: object) -> str:
    """The first paragraph of a docstring, on one line."""
    text = (getattr(documented, "__doc__", None) or "").strip()
    return " ".join(line.strip() for line in text.split("\n\n")[0].splitlines())


def rule(
    rule_id: str,
    severity: Severity,
    *,
    whole_response_only: bool = False,
    screened: str = "",
    bounds: tuple[Bound, ...] = (),
    reads: tuple[str, ...] = (),
    response_types: tuple[str, ...] = ("completion",),
    sums: Sum | None = None,
) -> Callable[[ResponseCheck], ResponseCheck]:
    """Register a response check under `rule_id` (`screened`, `bounds`, `reads`, `sums`: what the fast path knows)."""

    def register(check: ResponseCheck) -> ResponseCheck:
        code = check.__code__  # inspect.signature would cost pre-commit's start-up 5 ms
        aware = "lenient" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        RULES[rule_id] = Rule(
            rule_id,
            severity,
            "response",
            _rationale(check),
            check,
            None,
            whole_response_only,
            profile_aware=aware,
            response_types=response_types,
            screened=screened,
            bounds=bounds,
            reads=reads,
            sums=sums,
        )
        return check

    return register


def stream_rule(
    rule_id: str, severity: Severity, *, always: bool = False
) -> Callable[[_StreamCheckType], _StreamCheckType]:
    """Register a stream check class under `rule_id`."""

    def register(check: _StreamCheckType) -> _StreamCheckType:
        check.rule_id, check.severity = rule_id, severity
        RULES[rule_id] = Rule(
            rule_id,
            severity,
            "stream",
            _rationale(check),
            None,
            check,
            always=always,
            response_types=("completion", "chat"),
        )
        return check

    return register


def probe_rule(
    rule_id: str, severity: Severity, *, response_types: tuple[str, ...] = ("completion", "chat")
) -> Callable[[ProbeCheck], ProbeCheck]:
    """Register an expectation that `completion-validator probe` checks on a live server's answers."""

    def register(check: ProbeCheck) -> ProbeCheck:
        RULES[rule_id] = Rule(
            rule_id, severity, "probe", _rationale(check), probe_check=check, response_types=response_types
        )
        return check

    return register


def run_probe_rules(outcome: object, selected: frozenset[str], response_type: str = "completion") -> Iterator[Finding]:
    """Every finding of the selected probe rules for this response type on one case's outcome."""
    for rule_id, registered in RULES.items():
        if registered.probe_check is not None and rule_id in selected and response_type in registered.response_types:
            for found in registered.probe_check(outcome):
                yield found.by_rule(rule_id, registered.severity)


def finding(path: InstancePath, message: str, expected: str | None = None, actual: object = None) -> Finding:
    """What a response rule yields: the registry fills in its id and severity."""
    return Finding(path, "", message, expected, actual)


def select_rules(select: Iterable[str] | None = None, ignore: Iterable[str] = ()) -> frozenset[str]:
    """The rule ids to run: `select` (ids or id prefixes such as `usage`; default all) minus `ignore`."""
    known = sorted(RULES)

    def expand(names: Iterable[str]) -> set[str]:
        chosen: set[str] = set()
        for name in names:
            matches = {rule_id for rule_id in known if rule_id == name or rule_id.startswith(name + "-")}
            if not matches:
                raise UnknownRule(f"unknown rule {name!r}; known rules: {', '.join(known)}")
            chosen |= matches
        return chosen

    chosen = expand(select) if select is not None else set(known)
    return frozenset(chosen - expand(ignore))


def run_rules(
    payload: object,
    selected: frozenset[str],
    *,
    chunk: bool = False,
    lenient: bool = False,
    response_type: str = "completion",
) -> Iterator[Finding]:
    """Every finding of the selected response rules on `payload` (a stream chunk skips whole-response rules)."""
    if not isinstance(payload, Mapping):
        return
    for registered in _response_rules(selected, chunk, response_type):
        yield from registered.run(payload, lenient=lenient)


@cache
def _response_rules(selected: frozenset[str], chunk: bool, response_type: str) -> tuple[Rule, ...]:
    """The response rules to run, in registry order: looked up once per selection, not per document."""
    return tuple(
        registered
        for rule_id, registered in RULES.items()
        if registered.check is not None
        and rule_id in selected
        and response_type in registered.response_types
        and not (chunk and registered.whole_response_only)
    )


def new_stream_checks() -> list[StreamCheck]:
    """A fresh state for every stream rule, in registry order (all run; selection applies to what they report)."""
    return [registered.stream_check() for registered in RULES.values() if registered.stream_check is not None]


def wanted(finding: Finding, selected: frozenset[str]) -> bool:
    """Whether a stream finding is reported under this selection."""
    registered = RULES.get(finding.keyword)
    return registered is None or registered.scope != "stream" or registered.always or finding.keyword in selected


# Registration happens on import: the rule modules come last, after what they use, in the order
# --list-rules shows them.
from completion_validator._rules import response  # noqa: E402, F401

# isort: split
from completion_validator._rules import truth  # noqa: E402, F401

# isort: split
from completion_validator._rules import chat  # noqa: E402, F401

# isort: split
from completion_validator._rules import stream  # noqa: E402, F401

# isort: split
from completion_validator._rules import probe  # noqa: E402, F401
