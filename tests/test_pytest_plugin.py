"""The plugin inside a real pytest run (pytester): passing and failing tests, and what the failure shows."""

from __future__ import annotations

import pytest

TEST_FILE = """
def test_good(assert_valid_completion):
    assert_valid_completion({
        "id": "cmpl-1", "object": "text_completion", "created": 1589478378, "model": "m",
        "choices": [{"text": "x", "index": 0, "logprobs": None, "finish_reason": "stop"}],
    })

def test_bad(assert_valid_completion):
    assert_valid_completion({
        "id": "cmpl-1", "object": "text_completion", "created": 1589478378, "model": "m",
        "choices": [{"text": None, "index": 0, "logprobs": None, "finish_reason": "eos"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7},
    })
"""


def test_plugin_is_registered_by_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=TEST_FILE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)


def test_failure_report_names_each_field_without_our_internals(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=TEST_FILE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    shown = [line[1:].strip() for line in result.stdout.lines if line.startswith("E ")]
    assert shown == [
        "completion_validator.testing.CompletionAssertionError: 3 field errors in completion response",
        "$.choices[0].text  [type]",
        "null is not of type 'string'",
        "expected: string",
        "actual:   null",
        "$.choices[0].finish_reason  [enum]",
        "'eos' is not one of 'stop', 'length', 'content_filter'",
        "expected: one of 'stop', 'length', 'content_filter'",
        "actual:   'eos'",
        "$.usage.total_tokens  [required]",
        "required property 'total_tokens' is missing",
    ]
    assert "completion_validator/testing.py" not in result.stdout.str()
    assert "completion_validator/validation.py" not in result.stdout.str()


def test_lenient_keyword_reaches_the_validator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
def test_vllm(assert_valid_completion):
    assert_valid_completion({
        "id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m", "system_fingerprint": None,
        "choices": [{"text": "x", "index": 0, "logprobs": None, "finish_reason": "stop"}],
    }, lenient=True)
"""
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
