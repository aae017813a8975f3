"""Thousands of findings in one object or array: placed and ordered in linear work, not quadratic.

An attacker's `usage.completion_tokens_details` with 20,000 members above the total, or a
log-probability above 0 at each of 20,000 tokens, is one document with 20,000 findings. Each was
placed by walking its object or array from the start (and ordered by listing its object's keys),
so the work grew with the square of the findings: 42 s for one 400 KB line. Now a container
asked into a second time is walked once, whole, and each object's keys are numbered once.

The work is counted (calls of the walking steps, iterations of a mapping), never timed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from completion_validator import _jsontext
from completion_validator._check import check_json
from completion_validator._examine import in_document_order
from completion_validator._fastpath._judge import judge
from completion_validator._inputs import JsonText
from completion_validator._settings import Settings
from completion_validator.errors import Finding
from tests.hostile.inputs import VALID

MANY = 2_000


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of `_jsontext.<name>` (a step that walks the text)."""
    calls = [0]
    original: Callable[..., Any] = getattr(_jsontext, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(_jsontext, name, counted)
    return calls


def _details_over_the_total(count: int) -> bytes:
    usage = {**VALID["usage"], "completion_tokens_details": {f"k{index}": 10**6 for index in range(count)}}
    return json.dumps({**VALID, "usage": usage}).encode()


def test_findings_in_one_object_are_placed_in_one_walk_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the command's own path: the scanner's account of the usage member, or orjson's value."""
    steps = _counting(monkeypatch, "_after_value")
    spelled = _counting(monkeypatch, "_cannot_spell")
    raw = _details_over_the_total(MANY)
    found = check_json(JsonText(raw, 1, 1, single_line=True), Settings(), judge(Settings()))
    assert isinstance(found, list)
    assert [finding.keyword for finding in found] == ["usage-details"] * MANY
    assert len({finding.column for finding in found}) == MANY
    assert steps[0] + spelled[0] <= 3 * MANY


def test_a_locator_walks_a_container_whole_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members searched for by name and items counted from the start, each time: now once per container."""
    steps = _counting(monkeypatch, "_after_value")
    spelled = _counting(monkeypatch, "_cannot_spell")
    document = {"members": {f"k{index}": [index] for index in range(MANY)}, "items": list(range(MANY))}
    text = json.dumps(document, indent=1)
    locator = _jsontext.JsonLocator(text, value=json.loads(text))
    for index in reversed(range(MANY)):  # the worst order for a walk from the start
        member = locator.value_at(("members", f"k{index}", 0))
        item = locator.value_at(("items", index))
        assert member is not None
        assert item is not None
        assert text.splitlines()[member.line - 1].strip() == str(index)
        assert text.splitlines()[item.line - 1].strip().rstrip(",") == str(index)
    assert steps[0] + spelled[0] <= 6 * MANY


class _CountedMapping(Mapping[str, Any]):
    """A mapping that counts how often it is listed."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = items
        self.listed = 0

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        self.listed += 1
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def test_findings_in_one_object_are_ordered_listing_it_once() -> None:
    details = _CountedMapping({f"k{index}": index for index in range(MANY)})
    found = [Finding(("details", f"k{index}"), "x", "") for index in reversed(range(MANY))]
    ordered = in_document_order({"details": details}, found)
    assert [finding.instance_path for finding in ordered] == [("details", f"k{index}") for index in range(MANY)]
    assert details.listed == 1


def test_unhashable_names_are_still_ordered() -> None:
    """A mapping that lists what no dict can hold is ordered as before (by position in its listing)."""

    class Odd(Mapping[Any, Any]):
        def __getitem__(self, key: Any) -> Any:
            return 1

        def __iter__(self) -> Iterator[Any]:
            return iter([["a"], "b", "a"])

        def __len__(self) -> int:
            return 3

        def __contains__(self, key: object) -> bool:
            return key in ("a", "b")

    found = [Finding(("a",), "x", ""), Finding(("b",), "x", ""), Finding(("c",), "x", "")]
    ordered = in_document_order(Odd(), found)
    assert [finding.instance_path for finding in ordered] == [("b",), ("a",), ("c",)]
