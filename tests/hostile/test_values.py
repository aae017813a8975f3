"""Hostile Python values through the API: every one a finding at its pointer, never an exception or a hang."""

from __future__ import annotations

import copy
import json
import socket
from typing import Any

import pytest

from completion_validator import InvalidCompletion, is_valid, is_valid_json, iter_errors, iter_stream_errors, validate
from completion_validator._profiles import Profile
from completion_validator._registry import SchemaLoadError, load_schema_files, schema_set
from completion_validator.testing import CompletionAssertionError, assert_valid_completion
from tests.hostile.harness import run_python_guarded
from tests.hostile.inputs import VALID


def _payload() -> dict[str, Any]:
    return copy.deepcopy(VALID)


def _deep(levels: int) -> list[Any]:
    root: list[Any] = []
    node = root
    for _ in range(levels):
        child: list[Any] = []
        node.append(child)
        node = child
    return root


def _reported(payload: object) -> list[tuple[str | None, str]]:
    return [(error.pointer, error.keyword) for error in iter_errors(payload)]


def test_a_dict_that_contains_itself_is_one_finding_where_the_cycle_closes() -> None:
    payload = _payload()
    payload["vendor"] = {"inner": {}}
    payload["vendor"]["inner"]["back"] = payload
    assert _reported(payload) == [("/vendor/inner/back", "not-json")]


def test_a_list_that_contains_itself_inside_a_choice() -> None:
    payload = _payload()
    loop: list[Any] = ["a"]
    loop.append(loop)
    payload["choices"][0]["logprobs"] = {"tokens": loop}
    assert ("/choices/0/logprobs/tokens/1", "not-json") in _reported(payload)


def test_a_shared_value_that_is_not_a_cycle_is_fine() -> None:
    payload = _payload()
    shared = {"a": 1}
    payload["vendor"] = [shared, shared]
    assert _reported(payload) == []


@pytest.mark.parametrize(
    ("field", "levels"),
    [
        ("model", 10_000),
        ("id", 2_000),
        ("vendor", 2_000),
        ("choices/0/text", 2_000),
        ("choices/0/logprobs/tokens", 2_000),
    ],
)
def test_deeper_than_the_recursion_limit_at_any_field(field: str, levels: int) -> None:
    payload = _payload()
    if field.endswith("tokens"):
        payload["choices"][0]["logprobs"] = {"tokens": _deep(levels)}
        expected = [("/choices/0/logprobs/tokens/0", "type")]
    else:
        *parents, last = field.split("/")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = _deep(levels)
        expected = [] if last == "vendor" else [("/" + field, "type")]
    assert _reported(payload) == expected
    str(next(iter(iter_errors(payload)), ""))  # the message can be shown


# 200,000 levels: the walk that looks for what JSON cannot hold once spelled out every value's
# whole path, n * n / 2 parts for n levels (50,000 levels took 11.7 GB; a million, the machine).
DEEP_VALUES = """
import json, math
from completion_validator import is_valid, iter_errors
from tests.hostile.inputs import VALID
chain = []
for _ in range(200_000):
    chain = [chain]
payload = dict(json.loads(json.dumps(VALID)), vendor=chain)
assert is_valid(payload)
payload["model"] = chain
print(json.dumps([(error.pointer, error.keyword) for error in iter_errors(payload)]))
"""


def test_a_value_200_000_levels_deep_in_linear_time_and_memory() -> None:
    outcome = run_python_guarded(DEEP_VALUES)
    assert outcome.status == 0, outcome.stderr[-2000:]
    assert json.loads(outcome.stdout) == [["/model", "type"]]


def test_problems_at_every_level_of_a_deep_value_stop_at_a_budget_and_say_so() -> None:
    chain: list[Any] = []
    for _ in range(5_000):
        chain = [float("nan"), chain]
    payload = _payload()
    payload["vendor"] = chain
    found = list(iter_errors(payload))
    *problems, last = found
    assert 1_000 < len(problems) < 5_000
    assert {error.keyword for error in problems} == {"not-json"}
    assert last.keyword == "limit"
    assert "the rest from here on is not examined" in last.message
    assert problems[-1].pointer is not None
    assert last.pointer == problems[-1].pointer.removesuffix("/0") + "/1", (
        "where the walk stopped: the rest of the chain"
    )
    assert not is_valid(payload)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("created",), float("nan")),
        (("created",), float("inf")),
        (("choices", 0, "index"), float("-inf")),
        (("usage", "prompt_tokens"), float("nan")),
        (("usage", "total_tokens"), float("inf")),
    ],
)
def test_non_finite_numbers_are_not_json_and_the_other_errors_stay(where: tuple[str | int, ...], value: float) -> None:
    payload = _payload()
    target: Any = payload
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    payload["object"] = "text.completion"
    pointer = "/" + "/".join(map(str, where))
    assert set(_reported(payload)) >= {(pointer, "not-json"), ("/object", "enum")}
    assert is_valid(payload) is False
    with pytest.raises(InvalidCompletion):
        validate(payload)
    with pytest.raises(CompletionAssertionError, match="is not a JSON number"):
        assert_valid_completion(payload)


def test_integers_past_the_digit_limit() -> None:
    payload = _payload()
    payload["created"] = 10**5000
    payload["usage"]["prompt_tokens"] = -(10**4400)
    assert _reported(payload) == [("/created", "limit"), ("/usage/prompt_tokens", "limit")]
    text = json.dumps(VALID).replace('"created": 1589478378', '"created": ' + "9" * 5000)
    assert is_valid_json(text) is False


def test_lone_surrogates_in_values_and_keys() -> None:
    payload = _payload()
    payload["id"] = "cmpl-\ud800"
    payload["vendor"] = {"\udce9": 1}
    assert _reported(payload) == [("/id", "encoding"), ("/vendor/\udce9", "encoding")]
    assert is_valid_json(json.dumps(VALID).replace('"cmpl-', '"\\ud800cmpl-')) is False


def test_a_stream_chunk_with_a_huge_integer() -> None:
    chunk = json.dumps({**VALID, "usage": None})[:-1] + ', "n": ' + "1" * 5000 + "}"
    found = [(e.pointer, e.keyword, e.event) for e in iter_stream_errors(f"data: {chunk}\n\ndata: [DONE]\n\n")]
    assert ("/n", "limit", 1) in found


def test_no_schema_reference_is_ever_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    remote = copy.deepcopy(load_schema_files())
    remote["choice.schema.json"]["properties"]["text"] = {"$ref": "https://example.com/text.schema.json"}
    monkeypatch.setattr("completion_validator._registry.load_schema_files", lambda: remote)
    with pytest.raises(SchemaLoadError, match=r"https://example\.com/text\.schema\.json"):
        schema_set.__wrapped__(Profile(lenient=True, forbid_unknown_fields=True))
    monkeypatch.undo()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert _reported(_payload()) == []
