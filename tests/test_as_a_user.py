"""Tests written the way a user of the package writes them in their own project.

The `assert_valid_completion` fixture comes from the installed plugin: no import, no conftest.
"""

from __future__ import annotations

import json
import unittest
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from completion_validator import InvalidCompletion, validate
from completion_validator.testing import CompletionAssertionError, assert_valid_completion

FIXTURES = Path(__file__).parent / "examples"
RESPONSE = json.loads((FIXTURES / "valid/v01_openai_spec_example_nonstream.json").read_text())


def test_my_server_returns_a_valid_completion(assert_valid_completion: Callable[..., None]) -> None:
    assert_valid_completion(RESPONSE)


def test_json_text_and_bytes_are_accepted() -> None:
    assert_valid_completion(json.dumps(RESPONSE))
    assert_valid_completion(json.dumps(RESPONSE).encode())


def test_vllm_payload_passes_only_when_lenient() -> None:
    vllm = json.loads((FIXTURES / "invalid/n01_vllm_nulls.json").read_text())
    assert_valid_completion(vllm, lenient=True)
    with pytest.raises(CompletionAssertionError):
        assert_valid_completion(vllm)


class _PydanticLike:
    """Stands in for openai-python's Completion: model_dump(exclude_unset=True) is the server's body."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def model_dump(self, *, mode: str, exclude_unset: bool, by_alias: bool) -> dict[str, Any]:
        assert (mode, exclude_unset, by_alias) == ("json", True, True)
        return self._data


class _ResponseLike:
    """Stands in for an httpx / requests response."""

    def __init__(self, body: object) -> None:
        self._body = body

    def json(self) -> object:
        return self._body


def test_sdk_objects_and_http_responses_are_accepted() -> None:
    assert_valid_completion(_PydanticLike(RESPONSE))
    assert_valid_completion(_ResponseLike(RESPONSE))


def test_failure_lists_every_bad_field() -> None:
    bad = {**RESPONSE, "object": "text_completion.chunk", "created": "1589478378"}
    with pytest.raises(CompletionAssertionError) as caught:
        assert_valid_completion(_ResponseLike(bad))
    assert str(caught.value).splitlines() == [
        "2 field errors in completion response",
        "$.object  [enum]",
        "  'text_completion.chunk' is not one of 'text_completion'",
        "  expected: one of 'text_completion'",
        "  actual:   'text_completion.chunk'",
        "$.created  [type]",
        "  '1589478378' is not of type 'integer'",
        "  expected: integer",
        "  actual:   '1589478378'",
    ]
    assert [error.pointer for error in caught.value.errors] == ["/object", "/created"]


def test_malformed_json_text_fails_with_the_parse_error() -> None:
    with pytest.raises(CompletionAssertionError, match=r"not valid JSON: expected ',' or '}'"):
        assert_valid_completion('{"id": "x" "object": "text_completion"}')


class WithoutPytest(unittest.TestCase):
    """validate() raises InvalidCompletion, usable from unittest."""

    def test_validate_raises_with_every_error(self) -> None:
        with self.assertRaises(InvalidCompletion) as caught:  # noqa: PT027 - the unittest way, on purpose
            validate({**RESPONSE, "choices": [{"text": "x"}]})
        self.assertEqual(  # noqa: PT009
            [error.pointer for error in caught.exception.errors],
            ["/choices/0/index", "/choices/0/logprobs", "/choices/0/finish_reason"],
        )
