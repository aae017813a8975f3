"""SARIF, JUnit and GitLab reports, checked against each format's own definition and a real consumer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from lxml import etree

from tests.cli_helpers import cli
from tests.formats.conftest import JENKINS_XSD, SARIF_SCHEMA

HERE = Path(__file__).parent
CLI = HERE.parent / "cli"
RUN = [
    "inputs",
    "../examples/valid/h07_yaml_fixture.yaml",
    "../examples/invalid/e02_together_object_and_eos.json",
    "../examples/invalid/y01_yaml_two_documents.yaml",
    "../examples/streams/invalid/i02_vllm_error_event.sse",
    "../examples/valid/w01_suspect_but_valid.json",
    "missing.json",
]
Fetch = Callable[[tuple[str, str]], Path]


def _report(output_format: str, *paths: str) -> str:
    result = cli("--format", output_format, *(paths or RUN), cwd=CLI)
    assert result.returncode == 2, result.stderr
    return result.stdout


@pytest.mark.network
def test_sarif_is_valid_sarif_2_1_0(published_file: Fetch) -> None:
    schema = json.loads(published_file(SARIF_SCHEMA).read_text())
    log = json.loads(_report("sarif"))
    errors = [f"{error.json_path}: {error.message}" for error in Draft7Validator(schema).iter_errors(log)]
    assert errors == []


def test_sarif_names_every_rule_and_places_every_result() -> None:
    log = json.loads(_report("sarif"))
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert {"usage-total", "stream-terminator", "type", "enum", "required", "parse", "io"} <= set(ids)
    assert len(ids) == len(set(ids))
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in {"error", "warning"}
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    [bad_object] = [r for r in run["results"] if r["properties"].get("pointer") == "/object"]
    assert bad_object["ruleId"] == "enum"
    assert bad_object["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 13}
    assert run["invocations"][0]["exitCode"] == 2


@pytest.mark.network
def test_junit_is_valid_against_jenkins_junit_xsd(published_file: Fetch) -> None:
    # Jenkins' junit-4.xsd is the shape Jenkins, GitLab and Azure Pipelines read. (Ant's older
    # JUnit.xsd wants a <properties> element and no 'skipped' count, which none of them needs.)
    schema = etree.XMLSchema(etree.parse(str(published_file(JENKINS_XSD))))
    assert schema.validate(etree.fromstring(_report("junit").encode())), schema.error_log


def test_junit_counts_one_case_per_failing_document() -> None:
    report = etree.fromstring(_report("junit").encode())
    assert report.tag == "testsuites"
    cases = {case.get("name"): case for case in report.iter("testcase")}
    assert cases["inputs/log.jsonl:3"].find("failure") is not None
    assert cases["inputs/log.jsonl:5"].find("error") is not None  # unreadable line
    assert cases["../examples/invalid/y01_yaml_two_documents.yaml#1"].find("failure") is not None
    assert cases["missing.json"].find("error") is not None
    assert "inputs/log.jsonl (1 valid document)" in cases
    assert cases["../examples/valid/w01_suspect_but_valid.json"].find("system-out") is not None
    totals = {key: int(report.get(key, "-1")) for key in ("tests", "failures", "errors")}
    assert totals["tests"] == len(cases)
    assert totals["failures"] == sum(case.find("failure") is not None for case in cases.values())


def test_gitlab_code_quality_matches_its_documented_shape() -> None:
    schema = json.loads((HERE / "gitlab-code-quality.schema.json").read_text())
    issues = json.loads(_report("gitlab"))
    assert [error.message for error in Draft202012Validator(schema).iter_errors(issues)] == []
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_gitlab_fingerprints_stay_when_lines_move(tmp_path: Path) -> None:
    source = (CLI / "inputs/minified.json").read_text()
    (tmp_path / "a.json").write_text(source)
    before = json.loads(cli("--format", "gitlab", "a.json", cwd=tmp_path).stdout)
    (tmp_path / "a.json").write_text("\n\n" + source)
    after = json.loads(cli("--format", "gitlab", "a.json", cwd=tmp_path).stdout)
    assert [i["fingerprint"] for i in before] == [i["fingerprint"] for i in after]
    assert [i["location"]["lines"]["begin"] for i in before] != [i["location"]["lines"]["begin"] for i in after]


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit", "gitlab"])
def test_output_file_gets_the_report_and_the_status_stays(tmp_path: Path, output_format: str) -> None:
    target = tmp_path / "report.out"
    written = cli("--format", output_format, "--output-file", str(target), *RUN, cwd=CLI)
    shown = cli("--format", output_format, *RUN, cwd=CLI)
    assert (written.returncode, written.stdout) == (shown.returncode, "")
    assert target.read_text() == shown.stdout
