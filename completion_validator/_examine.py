"""What a payload holds that JSON cannot, and the order findings are shown in.

Both engines need these, and neither needs an engine for them: a Python value may hold cycles,
non-string keys, NaN or integers longer than Python prints, and jsonschema must only ever see a
safe view of it. Findings are then shown the way the fields appear in the document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from completion_validator._jsontext import INT_DIGITS_LIMIT, TooLongNumber, has_lone_surrogate, lone_surrogate_message
from completion_validator.errors import Finding, InstancePath, safe_repr

# At one path, the first of these explains the others away: a value that is not JSON at all,
# or of the wrong type, also fails `enum`, but saying so adds nothing.
_PRIMARY_KEYWORDS = ("not-json", "limit", "encoding", "type")

# Below this depth a value is replaced in the view: jsonschema, the rules and the reporters
# recurse, the schemas never look this deep, and a message never shows it.
VIEW_DEPTH = 64
_HUGE_BITS = 14_000  # an int this wide may pass the int-string limit: checked exactly


class _Unseen:
    """Stands in the view for what jsonschema must not walk: a cycle, or a value nested too deep."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return self.why


class Examined(NamedTuple):
    """A payload's problems as JSON data, and the value to validate (the payload, or a safe copy of it)."""

    view: object
    problems: tuple[Finding, ...]


def examine(payload: object) -> Examined:
    """Find what JSON cannot hold — at any depth, in cycles too — and build a safe view if one is needed.

    One iterative walk (no recursion: values may nest deeper than Python's recursion limit), in
    time and memory linear in the payload: each value carries a link to its parent's place, and a
    path is spelled out only for a problem. A view, a copy with cycles, over-long integers and
    values deeper than `VIEW_DEPTH` replaced, is built only when the payload holds one of them;
    otherwise the payload is its own view.
    """
    problems = _Problems()
    needs_view = False
    on_path: set[int] = set()
    expansion = _Expansion()
    stack: list[tuple[object, _Place, int, bool]] = [(payload, None, 0, False)]
    while stack and not problems.full:
        node, place, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if isinstance(node, Mapping | list):
            if id(node) in on_path:
                problems.add(Finding(_path(place), "not-json", _RECURSIVE, "a finite JSON value", "…"))
                needs_view = True
                continue
            if expansion.passed(node):
                problems.add(_expanded(place))
                return Examined(_view(payload), tuple(problems.found))
            needs_view = needs_view or depth >= VIEW_DEPTH
            on_path.add(id(node))
            stack.append((node, place, depth, True))
            if isinstance(node, Mapping):
                stack.extend(_members(node, place, depth + 1, problems))
            else:
                stack.extend(
                    (item, (place, index), depth + 1, False) for index, item in reversed(list(enumerate(node)))
                )
            continue
        problem = _scalar_problem(node, place)
        if problem is not None:
            problems.add(problem)
            needs_view = needs_view or problem.keyword == "limit"
    if problems.full:
        needs_view = True
        problems.found.append(_left_out(stack))
    return Examined(_view(payload) if needs_view else payload, tuple(problems.found))


# A value's place: None at the root, else (its parent's place, its key or index). Shared by siblings,
# so walking a value n levels deep costs n links, where n full paths would cost n * n / 2 parts.
_Place = tuple["_Place", str | int] | None


def _path(place: _Place) -> InstancePath:
    parts: list[str | int] = []
    while place is not None:
        place, part = place
        parts.append(part)
    return tuple(reversed(parts))


# What the problems' paths may hold in all: each deep problem costs its depth, so a value holding a
# problem at every one of a million levels would cost a million million parts. Past this, the walk
# stops and says so, at the first place it did not look at.
_PATH_PARTS_BUDGET = 1_000_000


class _Problems:
    """The problems found so far, and whether their paths have used up `_PATH_PARTS_BUDGET`."""

    __slots__ = ("found", "parts")

    def __init__(self) -> None:
        self.found: list[Finding] = []
        self.parts = 0

    def add(self, problem: Finding) -> None:
        self.found.append(problem)
        self.parts += len(problem.instance_path or ())

    @property
    def full(self) -> bool:
        return self.parts > _PATH_PARTS_BUDGET


# A value's containers written out as JSON, at most: this many, or this many times its distinct
# ones. Shared sub-objects are legal in Python but written out they repeat: `x = [x, x]` sixty
# times is 61 lists and 2 ** 60 of them in JSON text, which no walk (nor jsonschema) ends.
_EXPANSION_FLOOR = 100_000
_EXPANSION_FACTOR = 10


class _Expansion:
    """Counts the containers a walk meets, written out, against the distinct ones among them."""

    __slots__ = ("distinct", "visits")

    def __init__(self) -> None:
        self.visits = 0
        self.distinct: set[int] = set()

    def passed(self, node: object) -> bool:
        """Count `node`; whether the value, written out, has now passed its budget."""
        self.visits += 1
        if self.visits <= _EXPANSION_FLOOR:
            self.distinct.add(id(node))
            return False
        self.distinct.add(id(node))
        return self.visits > _EXPANSION_FACTOR * len(self.distinct)


def _expanded(place: _Place) -> Finding:
    return Finding(
        _path(place),
        "limit",
        f"shared sub-objects make this value, written out as JSON, hold more than {_EXPANSION_FLOOR:,} objects "
        f"and arrays, over {_EXPANSION_FACTOR} times the distinct ones: the rest from here on is not examined",
        "a value whose JSON text is not many times its size",
        "…",
    )


def _left_out(stack: list[tuple[object, _Place, int, bool]]) -> Finding:
    unvisited = [place for _, place, _, leaving in stack if not leaving]
    where = _path(unvisited[-1]) if unvisited else ()
    return Finding(
        where,
        "limit",
        f"the values that are not JSON lie so deep that their paths would exceed {_PATH_PARTS_BUDGET:,} parts "
        "in all: those found so far are shown, the rest from here on is not examined",
        "fewer problems this deep",
        "…",
    )


def examine_parsed(value: object) -> Examined:
    """`examine` for a value parsed exactly from JSON text: only its depth can need a view.

    Text cannot hold cycles, non-string keys or NaN, but orjson reads up to 1,024 levels, deeper
    than `VIEW_DEPTH`. Counting levels, a whole level at a time with builtins, is far cheaper
    than `examine`'s walk over every value; only a document that deep is walked in full.
    """
    level: list[Any] = [value]
    for _ in range(VIEW_DEPTH):
        containers = [node for node in level if type(node) is dict or type(node) is list]
        if not containers:
            return Examined(value, ())
        level = [
            item
            for node in containers
            for item in (node.values() if type(node) is dict else node)
            if type(item) is dict or type(item) is list
        ]
    return examine(value) if level else Examined(value, ())


_RECURSIVE = "a recursive structure: this value contains itself, which no JSON text can"


def _members(
    node: Mapping[object, object], place: _Place, depth: int, problems: _Problems
) -> list[tuple[object, _Place, int, bool]]:
    children: list[tuple[object, _Place, int, bool]] = []
    for key, item in reversed(list(node.items())):
        if not isinstance(key, str):
            problems.add(
                Finding(
                    _path(place),
                    "not-json",
                    f"object key {safe_repr(key)} is not a string ({type(key).__name__}); JSON keys are strings",
                    "string keys",
                    safe_repr(key),
                )
            )
            continue
        if has_lone_surrogate(key):
            problems.add(
                Finding(_path((place, key)), "encoding", "key: " + lone_surrogate_message(key), "UTF-8 text", None)
            )
        children.append((item, (place, key), depth, False))
    return children


def _scalar_problem(node: object, place: _Place) -> Finding | None:
    if node is None or isinstance(node, bool):
        return None
    if isinstance(node, str):
        if has_lone_surrogate(node):
            return Finding(
                _path(place),
                "encoding",
                lone_surrogate_message(node),
                "UTF-8 text",
                node.encode("utf-8", "backslashreplace").decode(),
            )
        return None
    if isinstance(node, int):
        if node.bit_length() > _HUGE_BITS and abs(node) >= 10**INT_DIGITS_LIMIT:
            digits = int(node.bit_length() * math.log10(2)) + 1  # never converted to text: that is the problem
            return Finding(
                _path(place), "limit", _too_long_message(digits), "at most 4,300 digits", f"<{digits:,} digits>"
            )
        return None
    if isinstance(node, TooLongNumber):
        return Finding(
            _path(place), "limit", _too_long_message(len(node.digits.lstrip("+-"))), "at most 4,300 digits", repr(node)
        )
    if isinstance(node, float):
        if math.isfinite(node):
            return None
        return Finding(_path(place), "not-json", f"{node!r} is not a JSON number", "a finite number", repr(node))
    kind = type(node).__name__
    return Finding(_path(place), "not-json", f"a Python {kind} is not a JSON value", "a JSON value", safe_repr(node))


def _too_long_message(digits: int) -> str:
    return f"an integer of {digits:,} digits is longer than Python reads (4,300 digits): no count or time needs it"


def _view(payload: object) -> object:
    """A copy safe to validate: cycles, over-long integers and values below `VIEW_DEPTH` replaced."""
    root: list[object] = [None]
    on_path: set[int] = set()
    expansion = _Expansion()
    # (value, container to put its copy in, key or index there, depth)
    stack: list[tuple[object, Any, Any, int, bool]] = [(payload, root, 0, 0, False)]
    while stack:
        node, target, slot, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        if isinstance(node, Mapping | list):
            if id(node) in on_path:
                target[slot] = _Unseen("<recursive>")
                continue
            if expansion.passed(node):
                target[slot] = _Unseen("<shared, not written out>")
                continue
            if depth >= VIEW_DEPTH:
                target[slot] = _Unseen("<nested too deeply to show>")
                continue
            on_path.add(id(node))
            stack.append((node, None, None, depth, True))
            copy: Any = {} if isinstance(node, Mapping) else [None] * len(node)
            target[slot] = copy
            items = node.items() if isinstance(node, Mapping) else enumerate(node)
            stack.extend((item, copy, key, depth + 1, False) for key, item in reversed(list(items)))
            continue
        if isinstance(node, int) and not isinstance(node, bool) and node.bit_length() > _HUGE_BITS:
            target[slot] = _Unseen("<integer too long>") if abs(node) >= 10**INT_DIGITS_LIMIT else node
        elif isinstance(node, TooLongNumber):
            target[slot] = _Unseen(repr(node))
        else:
            target[slot] = node
    return root[0]


def drop_explained(errors: list[Finding]) -> list[Finding]:
    primary: dict[InstancePath | None, str] = {}
    for keyword in _PRIMARY_KEYWORDS:
        for error in errors:
            if error.keyword == keyword:
                primary.setdefault(error.instance_path, keyword)
    kept: list[Finding] = []
    seen: set[tuple[InstancePath | None, str, str]] = set()
    for error in errors:
        if primary.get(error.instance_path, error.keyword) != error.keyword:
            continue
        key = (error.instance_path, error.keyword, error.message)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept


def in_document_order(payload: object, errors: list[Finding]) -> list[Finding]:
    """Sort findings the way the fields appear in the document; missing fields after their siblings."""
    if len(errors) < 2:
        return errors
    # Each object's members numbered once, not once per finding: thousands of findings in one
    # object (an attacker's usage details) must not cost thousands of walks of it.
    numbered: dict[int, tuple[Mapping[Any, Any], dict[Any, int] | None, list[Any]]] = {}  # the node kept: ids stay

    def place_in(node: Mapping[Any, Any], part: object) -> int:
        if id(node) not in numbered:
            keys = list(node)
            built: dict[Any, int] = {}
            order: dict[Any, int] | None = built
            try:
                for index, name in enumerate(keys):
                    built.setdefault(name, index)  # the first, as list.index finds it
            except TypeError:  # not a mapping of JSON (unhashable names): counted as before
                order = None
            numbered[id(node)] = (node, order, keys)
        _, order, keys = numbered[id(node)]
        if order is not None:
            return order.get(part, len(keys)) if part in node else len(keys)
        return keys.index(part) if part in node else len(keys)

    def position(error: Finding) -> tuple[int, ...]:
        key: list[int] = []
        node: Any = payload
        for part in error.instance_path or ():
            if isinstance(node, Mapping):
                key.append(place_in(node, part))
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int):
                key.append(part)
                node = node[part] if 0 <= part < len(node) else None
            else:
                key.append(0)
                node = None
        return tuple(key)

    return sorted(errors, key=position)
