"""`--format sarif`: SARIF 2.1.0, for GitHub code scanning and the IDEs' SARIF viewers.

One run: the tool with every rule it can report (the rules, the JSON Schema keywords of the
schema files, and the keywords that are not rules), and one result per finding, located by
file, line and column, with the JSON pointer and document in the result's properties.
"""

from __future__ import annotations

import json
from typing import IO
from urllib.parse import quote

from completion_validator import __version__
from completion_validator._reporters import OneByOne
from completion_validator._reporters._lines import headline
from completion_validator._reporters.json_document import Spool, utf8_safe
from completion_validator._results import FileResult, Summary
from completion_validator.errors import NON_RULE_KEYWORDS, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/completion-validator/completion-validator"


def rule_descriptors() -> list[dict[str, object]]:
    """Every rule and keyword a result can name, as SARIF reportingDescriptors."""
    from completion_validator._registry import schema_keywords
    from completion_validator._rules import RULES

    descriptors: list[dict[str, object]] = [
        {
            "id": rule.id,
            "shortDescription": {"text": rule.rationale},
            "defaultConfiguration": {"level": rule.severity},
            "properties": {"kind": f"{rule.scope} rule"},
        }
        for rule in RULES.values()
    ]
    descriptors += [
        {
            "id": keyword,
            "shortDescription": {"text": f"The JSON Schema keyword '{keyword}' of the schema files failed."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"kind": "schema keyword"},
        }
        for keyword in sorted(schema_keywords())
    ]
    descriptors += [
        {
            "id": keyword,
            "shortDescription": {"text": meaning},
            "defaultConfiguration": {"level": "warning" if keyword == "max-errors" else "error"},
            "properties": {"kind": "input"},
        }
        for keyword, meaning in NON_RULE_KEYWORDS.items()
    ]
    return descriptors


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, object]:
    # A URI names bytes: a file name's undecodable byte (surrogateescape) is percent-encoded as itself.
    uri = quote((finding.file or "").encode("utf-8", "surrogateescape"), safe="/:")
    location: dict[str, object] = {"artifactLocation": {"uri": uri}}
    if finding.line is not None:
        location["region"] = {"startLine": finding.line, "startColumn": finding.column or 1}
    result: dict[str, object] = {
        "ruleId": finding.keyword,
        "level": finding.severity,
        "message": {"text": headline(finding)},
        "locations": [{"physicalLocation": location}],
        "properties": {
            key: value
            for key, value in (("pointer", finding.pointer), ("document", finding.document), ("event", finding.event))
            if value is not None
        },
    }
    if finding.keyword in rule_index:
        result["ruleIndex"] = rule_index[finding.keyword]
    return result


class SarifReporter(OneByOne):
    """Spools one result per finding; writes the SARIF log at the end."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._rules = rule_descriptors()
        self._index = {str(rule["id"]): number for number, rule in enumerate(self._rules)}
        self._results = Spool(level=4)

    def finding(self, finding: Finding) -> None:
        """Spool the finding as a result."""
        self._results.add(_result(finding, self._index))

    def file(self, result: FileResult) -> None:
        """Nothing per file."""

    def finish(self, summary: Summary) -> None:
        """Write the log: `$schema`, `version`, one run with the tool, its rules, the results."""
        driver = {"name": "completion-validator", "version": __version__, "informationUri": INFORMATION_URI}
        head = {
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {**driver, "rules": self._rules}},
                    "invocations": [{"executionSuccessful": True, "exitCode": summary.exit_status}],
                    "results": "RESULTS",
                }
            ],
        }
        text = utf8_safe(json.dumps(head, ensure_ascii=False, indent=2))
        before, after = text.split('"RESULTS"')
        self._stream.write(before)
        self._results.copy_to(self._stream)
        self._stream.write(after + "\n")
        self._stream.flush()
