"""The rule registry: ids, severities, rationales, selection, and the rule table of docs/rules.md."""

from __future__ import annotations

import json
import re

import pytest

from completion_validator import UnknownRule, iter_errors
from completion_validator._registry import schema_keywords
from completion_validator._rules import RULES, select_rules
from completion_validator.errors import NON_RULE_KEYWORDS
from tests.cli_helpers import cli
from tests.conftest import REPO
from tests.examples import cases

ALL_RULES = {rule.id: (rule.severity, rule.rationale) for rule in RULES.values()}
RESPONSE_RULES = {rule.id for rule in RULES.values() if rule.scope == "response"}


def test_every_rule_has_a_stable_kebab_case_id_a_severity_and_a_one_line_rationale() -> None:
    for rule_id, (severity, rationale) in ALL_RULES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", rule_id)
        assert severity in {"error", "warning"}
        assert rationale
        assert rationale.endswith(".")


def test_every_payload_rule_is_exercised_by_the_example_corpus() -> None:
    reported = {
        keyword
        for case in cases("valid") + cases("invalid")
        for errors in case.expected.values()
        for _, keyword in errors
    }
    assert reported >= RESPONSE_RULES


def test_the_rules_page_lists_every_rule_with_its_severity_and_rationale() -> None:
    readme = (REPO / "docs" / "rules.md").read_text()
    pattern = re.compile(r"^\| `([a-z-]+)` \| (error|warning) \| (.+) \|$", re.MULTILINE)
    table = {match.group(1): (match.group(2), match.group(3)) for match in pattern.finditer(readme)}
    assert table == ALL_RULES


def test_list_rules_prints_every_rule_then_the_keywords_that_are_not_rules() -> None:
    rules, keywords = cli("--list-rules").stdout.split("\n\n")
    assert [line.split()[0] for line in rules.splitlines()] == list(ALL_RULES)
    assert [line.split()[0] for line in keywords.splitlines()[1:]] == list(NON_RULE_KEYWORDS)


def test_every_keyword_a_finding_carries_is_a_rule_a_schema_keyword_or_documented() -> None:
    documented = set(RULES) | set(NON_RULE_KEYWORDS) | schema_keywords()
    corpus = REPO / "tests/examples"
    document = json.loads(cli("--format", "json", str(corpus), str(REPO / "tests/cli/inputs"), "missing.json").stdout)
    keywords = {error["keyword"] for error in document["errors"]}
    keywords |= {e.keyword for case in cases("valid") + cases("invalid") for e in iter_errors(case.document.value)}
    keywords |= {"usage", "max-errors", "no-input"}  # exercised by the CLI tests
    assert keywords <= documented, keywords - documented
    assert {"parse", "io", "duplicate-key", "encoding", "bom", "not-json", "type", "enum", "required"} <= keywords


def test_no_rule_id_is_also_a_non_rule_keyword() -> None:
    assert not set(RULES) & set(NON_RULE_KEYWORDS)


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (None, [], set(ALL_RULES)),
        (["usage"], [], {"usage-total", "usage-negative", "usage-details", "usage-zero"}),
        (["usage", "id-empty"], ["usage-total"], {"usage-negative", "usage-details", "usage-zero", "id-empty"}),
        (None, ["stream"], {rule.id for rule in RULES.values() if rule.scope != "stream"}),
    ],
)
def test_selection_by_id_and_prefix(select: list[str] | None, ignore: list[str], expected: set[str]) -> None:
    assert select_rules(select, ignore) == expected


def test_unknown_rule_names_the_known_ones() -> None:
    with pytest.raises(UnknownRule, match="unknown rule 'usage-totl'; known rules: chat-finish-tool-calls"):
        select_rules(["usage-totl"])
    with pytest.raises(UnknownRule):
        list(iter_errors({}, ignore=["nope"]))


def test_rules_off_leaves_the_schema_alone() -> None:
    payload = {"id": "", "object": "text_completion", "created": 0, "model": "m", "choices": []}
    assert {e.keyword for e in iter_errors(payload)} == {"id-empty", "created-plausible"}
    assert list(iter_errors(payload, rules=False)) == []
    assert {e.severity for e in iter_errors(payload, warnings_as_errors=True)} == {"error"}


def test_cli_warnings_do_not_fail_unless_asked() -> None:
    suspect = REPO / "tests/examples/valid/w01_suspect_but_valid.json"
    assert cli(str(suspect)).returncode == 0
    assert cli("--warnings-as-errors", str(suspect)).returncode == 1
    assert cli("--no-rules", "--warnings-as-errors", str(suspect)).returncode == 0
    assert cli("--select", "usage", "--warnings-as-errors", str(suspect)).returncode == 0


def test_cli_unknown_rule_is_a_usage_error() -> None:
    result = cli("--ignore", "usage-totl", str(REPO / "tests/examples/valid"))
    assert result.returncode == 2
    assert "unknown rule 'usage-totl'" in result.stderr
