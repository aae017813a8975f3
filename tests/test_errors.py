"""FieldError values and the text `InvalidCompletion` shows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from completion_validator import FieldError, InvalidCompletion, iter_errors, validate
from completion_validator.errors import display_value, to_json_path, to_pointer

VALID = {
    "id": "cmpl-1",
    "object": "text_completion",
    "created": 1589478378,
    "model": "m",
    "choices": [{"text": "x", "index": 0, "logprobs": None, "finish_reason": "stop"}],
}


def test_error_names_the_field_the_expectation_and_the_value() -> None:
    payload = json.loads(json.dumps(VALID))
    payload["choices"][0]["finish_reason"] = "eos"
    [error] = iter_errors(payload)
    assert error.pointer == "/choices/0/finish_reason"
    assert error.path == "$.choices[0].finish_reason"
    assert error.keyword == "enum"
    assert error.message == "'eos' is not one of 'stop', 'length', 'content_filter'"
    assert error.expected == "one of 'stop', 'length', 'content_filter'"
    assert error.actual == "eos"
    assert error.schema == "finish-reason.schema.json#/enum"
    assert error.severity == "error"


def test_missing_field_is_reported_at_its_own_path() -> None:
    payload = {key: value for key, value in VALID.items() if key != "model"}
    [error] = iter_errors(payload)
    assert (error.pointer, error.keyword, error.actual) == ("/model", "required", None)
    assert error.message == "required property 'model' is missing"


def test_nullable_logprobs_reports_the_inner_field_not_any_of() -> None:
    payload = json.loads(json.dumps(VALID))
    payload["choices"][0]["logprobs"] = {"tokens": [1]}
    [error] = iter_errors(payload)
    assert str(error) == "$.choices[0].logprobs.tokens[0]: 1 is not of type 'string' [type]"


def test_invalid_completion_lists_one_line_per_error() -> None:
    with pytest.raises(InvalidCompletion) as caught:
        validate({"id": 7, "object": "text_completion", "created": "now", "model": "m", "choices": []})
    assert str(caught.value).splitlines() == [
        "invalid completion response: 2 field errors",
        "  $.id: 7 is not of type 'string' [type]",
        "  $.created: 'now' is not of type 'integer' [type]",
    ]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not a dict", "$: 'not a dict' is not of type 'object' [type]"),
        (None, "$: null is not of type 'object' [type]"),
        (
            [VALID],
            '$: [{"id": "cmpl-1", "object": "text_completion", "created": 1589478378, "model": …'
            " is not of type 'object' [type]",
        ),
    ],
)
def test_a_root_that_is_not_an_object_is_one_error_at_the_root(payload: object, message: str) -> None:
    assert [str(error) for error in iter_errors(payload)] == [message]


@pytest.mark.parametrize(
    ("value", "keyword"),
    [("0", "type"), (True, "type"), (1.5, "type"), (1.0, None), (-3, None)],
)
def test_integers_are_strict_json_integers(value: object, keyword: str | None) -> None:
    payload = {**VALID, "created": value}
    assert [error.keyword for error in iter_errors(payload, rules=False)] == ([keyword] if keyword else [])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"cmpl-1", "a Python bytes is not a JSON value"),
        ({"a"}, "a Python set is not a JSON value"),
        (float("nan"), "nan is not a JSON number"),
        (float("inf"), "inf is not a JSON number"),
    ],
)
def test_python_values_json_cannot_hold_get_a_clear_error(value: object, message: str) -> None:
    [error] = iter_errors({**VALID, "id": value})
    assert (error.pointer, error.keyword, error.message) == ("/id", "not-json", message)


def test_non_string_keys_get_a_clear_error() -> None:
    payload: dict[Any, Any] = dict(VALID)
    payload[1] = "x"
    errors = list(iter_errors(payload))
    assert [(e.pointer, e.keyword) for e in errors] == [("", "not-json")]
    assert "not a string (int)" in errors[0].message


def test_field_error_is_frozen_and_serialisable() -> None:
    error = FieldError(("choices", 0, "text"), "type", "null is not of type 'string'", "string", None, None)
    with pytest.raises(AttributeError):
        error.keyword = "enum"  # type: ignore[misc]
    assert json.loads(json.dumps(error.as_dict()))["path"] == "$.choices[0].text"


def test_display_truncates_only_for_display() -> None:
    long_text = "x" * 500
    [error] = iter_errors({**VALID, "model": [long_text]})
    assert error.actual == [long_text]
    assert len(display_value(error.actual)) == 80


@given(st.lists(st.one_of(st.text(max_size=5), st.integers(min_value=0, max_value=9)), max_size=5))
def test_pointer_escapes_round_trip(parts: list[str | int]) -> None:
    pointer = to_pointer(tuple(parts))
    decoded = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
    assert decoded == [str(part) for part in parts]
    assert to_json_path(tuple(parts)).startswith("$")


def test_located_in_file_and_at_are_replace_with_every_field_carried_over() -> None:
    from dataclasses import fields, replace

    from completion_validator.errors import Finding

    values = {field.name: f"<{field.name}>" for field in fields(Finding)}
    finding = Finding(**values)  # type: ignore[arg-type]
    assert finding.located(3, 4, 5) == replace(finding, line=3, column=4, document=5)
    assert finding.in_file("log.jsonl") == replace(finding, file="log.jsonl")
    assert finding.at("log.jsonl", 3, 4, 5) == replace(finding, file="log.jsonl", line=3, column=4, document=5)


_FINDINGS = st.builds(
    FieldError,
    instance_path=st.one_of(
        st.none(), st.just(()), st.lists(st.sampled_from(["id", "usage", 0]), max_size=2).map(tuple)
    ),
    keyword=st.sampled_from(["type", "enum", "stream-order", "usage-total"]),
    message=st.sampled_from(["bad", "bad\nline", "a\u202eb", "x" * 600]),
    severity=st.sampled_from(["error", "warning"]),
    file=st.sampled_from([None, "a.jsonl", "b\n.jsonl"]),
    line=st.one_of(st.none(), st.integers(1, 9)),
    column=st.integers(1, 9),
)


@given(st.lists(_FINDINGS, max_size=8), st.booleans())
def test_the_text_report_writes_each_finding_as_it_would_alone(found: list[Any], color: bool) -> None:
    # the text reporter keeps what follows a location per record: a line must read as it would
    # from a reporter that never saw another finding
    import io

    from completion_validator._reporters.text import TextReporter

    def written(findings: list[Any]) -> str:
        out = io.StringIO()
        reporter = TextReporter(out, color=color)
        for finding in findings:
            reporter.finding(finding)
        return out.getvalue()

    assert written(found) == "".join(written([finding]) for finding in found)
