"""The public strategies: what they draw is valid (streams through the file checker); each fault is one finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from completion_validator import iter_errors, iter_stream_errors
from completion_validator.strategies import FAULTS, Fault, completions, faulty_completions, streams
from tests.cli_helpers import cli


@given(completions())
def test_completions_are_valid(payload: dict[str, Any]) -> None:
    assert list(iter_errors(payload)) == []


@given(completions(lenient=True))
def test_lenient_completions_are_valid_under_lenient(payload: dict[str, Any]) -> None:
    assert list(iter_errors(payload, lenient=True)) == []


@given(completions(forbid_unknown_fields=True, n=3, logprobs=True, usage=True))
def test_completions_honour_their_options(payload: dict[str, Any]) -> None:
    assert list(iter_errors(payload, forbid_unknown_fields=True)) == []
    assert [choice["index"] for choice in payload["choices"]] == [0, 1, 2]
    assert all(choice["logprobs"] is not None for choice in payload["choices"])
    assert "usage" in payload


@settings(max_examples=40)
@given(st.integers(0, 3), st.booleans(), st.none() | st.booleans(), st.data())
def test_streams_are_valid_captures(n: int, include_usage: bool, logprobs: bool | None, data: st.DataObject) -> None:
    capture = data.draw(streams(n=n, include_usage=include_usage, logprobs=logprobs))
    assert capture.endswith(("data: [DONE]\n\n", "data: [DONE]\r\n\r\n"))
    assert [(e.keyword, e.pointer, e.event) for e in iter_stream_errors(capture)] == []


@settings(max_examples=10, deadline=None)
@given(streams(n=2, include_usage=True, logprobs=True))
def test_streams_pass_the_file_checker(tmp_path_factory: pytest.TempPathFactory, capture: str) -> None:
    path: Path = tmp_path_factory.mktemp("stream") / "reply.sse"
    path.write_bytes(capture.encode())
    result = cli(str(path))
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("fault", FAULTS)
@settings(max_examples=25)
@given(data=st.data())
def test_each_fault_is_exactly_one_finding(fault: str, data: st.DataObject) -> None:
    payload, planted = data.draw(faulty_completions(fault=fault))
    assert isinstance(planted, Fault)
    found = [(e.keyword, e.pointer, e.severity) for e in iter_errors(payload)]
    assert found == [(planted.keyword, planted.pointer, planted.severity)]


@given(faulty_completions())
def test_any_fault_is_exactly_one_finding(drawn: tuple[dict[str, Any], Fault]) -> None:
    payload, planted = drawn
    assert [(e.keyword, e.pointer) for e in iter_errors(payload)] == [(planted.keyword, planted.pointer)]


def test_an_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        faulty_completions(fault="nope")
