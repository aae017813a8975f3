"""The example corpus, run through the public API in every profile it has expectations for."""

from __future__ import annotations

import pytest

from completion_validator import InvalidCompletion, is_valid, iter_errors, validate
from completion_validator._rules import RULES
from completion_validator._settings import Options
from tests.examples import Case, cases

OPTIONS: dict[str, Options] = {
    "strict": {},
    "lenient": {"lenient": True},
    "forbid_unknown_fields": {"forbid_unknown_fields": True},
}
ALL = cases("valid") + cases("invalid")


def _reported(case: Case, profile: str) -> list[tuple[str | None, str]]:
    return [(error.pointer, error.keyword) for error in iter_errors(case.document.value, **OPTIONS[profile])]


@pytest.mark.parametrize(
    ("case", "profile"),
    [pytest.param(case, profile, id=f"{profile}-{case.id}") for case in ALL for profile in case.expected],
)
def test_reports_exactly_the_expected_errors(case: Case, profile: str) -> None:
    assert _reported(case, profile) == case.expected[profile]


@pytest.mark.parametrize("case", ALL, ids=lambda case: case.id)
def test_is_valid_and_validate_agree_with_iter_errors(case: Case) -> None:
    expected_valid = all(
        keyword in RULES and RULES[keyword].severity == "warning" for _, keyword in case.expected["strict"]
    )
    assert is_valid(case.document.value) is expected_valid
    if expected_valid:
        validate(case.document.value)
    else:
        with pytest.raises(InvalidCompletion) as caught:
            validate(case.document.value)
        assert [(e.pointer, e.keyword) for e in caught.value.errors] == case.expected["strict"]


def test_corpus_covers_every_required_field_type_enum_and_nullable() -> None:
    reported = {(pointer, keyword) for case in ALL for errors in case.expected.values() for pointer, keyword in errors}
    required = {
        "/id",
        "/object",
        "/created",
        "/model",
        "/choices",
        "/choices/0/text",
        "/choices/0/index",
        "/choices/0/logprobs",
        "/choices/0/finish_reason",
        "/usage/prompt_tokens",
        "/usage/completion_tokens",
    }
    assert required <= {pointer for pointer, keyword in reported if keyword == "required"}
    assert {("/object", "enum"), ("/choices/0/finish_reason", "enum")} <= reported
    lenient_nulls = [case for case in ALL if case.expected.get("strict") and not case.expected.get("lenient")]
    assert len(lenient_nulls) >= 4
