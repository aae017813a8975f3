"""Chat completions through the same machinery (#23): type detection, assembly, hostile values, the API's options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from completion_validator import is_valid, iter_errors, iter_stream_errors
from completion_validator._chat_stream import ChatAssembler
from completion_validator._response_types import detect
from completion_validator.chat_strategies import chat_completions, chat_streams
from completion_validator.testing import CompletionAssertionError, assert_valid_completion
from tests.cli_helpers import cli

EXAMPLES = Path(__file__).parent / "examples"
CHAT = json.loads((EXAMPLES / "valid" / "c02_openai_tool_call.json").read_text())
COMPLETION = json.loads((EXAMPLES / "valid" / "v01_openai_spec_example_nonstream.json").read_text())


def _with_arguments(arguments: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(json.dumps(CHAT))
    payload["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = arguments
    return payload


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (CHAT, "chat"),
        (COMPLETION, "completion"),
        ({"object": "chat.completion.chunk"}, "chat"),
        ({"choices": [{"index": 0, "delta": {}}]}, "chat"),  # no object: told by the choices' shape
        ({"choices": [{"index": 0, "text": ""}]}, "completion"),
        ({}, "completion"),
        ([], "completion"),
    ],
)
def test_a_document_is_checked_as_what_it_says_it_is(value: object, kind: str) -> None:
    assert detect(value) == kind


def test_detection_runs_no_method_of_a_dict_subclass() -> None:
    class Hostile(dict[str, Any]):
        def get(self, *_: object) -> object:
            raise AssertionError("a subclass's get ran")

    assert detect(Hostile(CHAT)) == "chat"


@pytest.mark.parametrize("arguments", ["[" * 100_000, "{" * 50_000, '{"a": ' * 30_000, "x" * 2_000_000])
def test_hostile_arguments_are_one_warning_never_an_exception(arguments: str) -> None:
    found = [(error.keyword, error.severity) for error in iter_errors(_with_arguments(arguments))]
    assert found == [("chat-tool-arguments-json", "warning")]
    (finding,) = iter_errors(_with_arguments(arguments))
    assert len(finding.message) < 300


def test_the_schema_option_is_checked_and_named_in_every_face() -> None:
    assert is_valid(CHAT)
    assert is_valid(CHAT, schema="chat")
    assert [e.keyword for e in iter_errors(CHAT, schema="completion")] == ["response-type"]
    with pytest.raises(ValueError, match="unknown schema 'chats'; known: completion, chat, auto"):
        is_valid(CHAT, schema="chats")
    assert_valid_completion(CHAT)
    with pytest.raises(CompletionAssertionError, match="response-type"):
        assert_valid_completion(COMPLETION, schema="chat")
    result = cli("--schema", "chats", "x.json")
    assert result.returncode == 2
    assert "invalid choice: 'chats'" in result.stderr


def test_tool_call_parts_are_merged_by_index_as_clients_merge_them() -> None:
    assembler = ChatAssembler()
    head = {"id": "c", "object": "chat.completion.chunk", "created": 1762000000, "model": "m"}
    parts = [
        {"role": "assistant", "tool_calls": [{"index": 1, "id": "b", "type": "function", "function": {"name": "g"}}]},
        {"tool_calls": [{"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x"'}}]},
        {
            "tool_calls": [
                {"index": 0, "function": {"arguments": ": 1}"}},
                {"index": 1, "function": {"arguments": "{}"}},
            ]
        },
    ]
    for delta in parts:
        assembler.add({**head, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]})
    assembler.add({**head, "choices": [{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "tool_calls"}]})
    response = assembler.result()
    assert response is not None
    assert response["object"] == "chat.completion"
    (choice,) = response["choices"]
    assert choice["message"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}},
            {"id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
        ],
    }
    assert choice["finish_reason"] == "tool_calls"
    assert is_valid(response, lenient=True)


def test_a_chat_stream_failing_on_every_chunk_is_checked_to_its_end() -> None:
    chunk = json.dumps(
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 1762000000,
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "[INST]", "content": "x"}, "finish_reason": None}],
        }
    )
    capture = f"data: {chunk}\n\n" * 2_000 + "data: [DONE]\n\n"
    found = list(iter_stream_errors(capture))
    assert [error.keyword for error in found].count("enum") == 2_000  # the role, in every chunk
    assert {error.keyword for error in found} == {"enum", "stream-finish-reason"}


@settings(max_examples=60, deadline=None)
@given(chat_completions())
def test_every_drawn_chat_completion_is_valid(payload: dict[str, Any]) -> None:
    assert list(iter_errors(payload)) == []
    assert list(iter_errors(json.loads(json.dumps(payload)), schema="chat", forbid_unknown_fields=True)) == []


@settings(max_examples=40, deadline=None)
@given(chat_streams(n=2, include_usage=True))
def test_every_drawn_chat_stream_is_valid(capture: str) -> None:
    assert list(iter_stream_errors(capture)) == []
