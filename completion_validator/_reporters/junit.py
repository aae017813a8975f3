"""`--format junit`: JUnit XML, the report GitLab, Jenkins and Azure Pipelines show as test results.

One test suite per file. Each document with errors is a failing test case (`FILE`, or
`FILE:LINE` for a JSON Lines record, `FILE#N` for a YAML document) whose failure lists its
findings; input that could not be read is a test case with an error. The valid documents of a
file are one passing test case (a log of a million valid lines is not a million test cases, the
way linters such as ruff report clean files).
"""

from __future__ import annotations

from typing import IO

from completion_validator._reporters import OneByOne
from completion_validator._reporters._lines import headline, location, one_line
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding

_NOT_XML = str.maketrans(dict.fromkeys((*range(0, 9), 11, 12, *range(14, 32))))


def _text(lines: list[str]) -> str:
    """Lines for an XML element: each one line, escaped, without what XML 1.0 cannot hold at all."""
    text = "\n".join(one_line(line) for line in lines)
    return text.translate(_NOT_XML).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    """A quoted XML attribute value (what xml.sax.saxutils.quoteattr does, without importing urllib)."""
    text = one_line(value).translate(_NOT_XML).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return '"' + text.replace('"', "&quot;") + '"'


def _case_name(finding: Finding) -> str:
    """The document's test case: the file, `FILE:LINE` for a JSON Lines record, `FILE#N` for a YAML document."""
    file = finding.file or ""
    if finding.document is None or finding.event is not None or finding.keyword.startswith("stream-"):
        return file  # a whole file, or a stream (one capture is one document)
    if finding.document == finding.line:
        return f"{file}:{finding.document}"
    return f"{file}#{finding.document}"


class JunitReporter(OneByOne):
    """Collects each file's findings by document; writes a suite per file as the file is done."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._current: dict[str, list[Finding]] = {}
        self._suites: list[str] = []
        self._totals = {"tests": 0, "failures": 0, "errors": 0}
        stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')

    def finding(self, finding: Finding) -> None:
        """Keep the finding with its document's others until the file is done."""
        self._current.setdefault(_case_name(finding), []).append(finding)

    def file(self, result: FileResult) -> None:
        """Render the file's suite (kept as text: the root element needs the totals first)."""
        cases: list[str] = []
        failures = errors = 0
        failing_documents = 0
        for name, found in self._current.items():
            lines = [f"{location(f)}: {f.severity}: {headline(f)} [{f.keyword}]" for f in found]
            unreadable = [f for f in found if f.instance_path is None and f.severity == "error"]
            failed = [f for f in found if f.severity == "error"]
            if unreadable:
                errors += 1
                first = unreadable[0]
                message, kind = _attribute(headline(first)), _attribute(first.keyword)
                body = f"<error message={message} type={kind}>{_text(lines)}</error>"
            elif failed:
                failures += 1
                failing_documents += 1
                noun = "error" if len(failed) == 1 else "errors"
                body = f'<failure message="{len(failed)} {noun}" type="invalid">{_text(lines)}</failure>'
            else:  # warnings only: the document passes; the warnings go with it
                body = f"<system-out>{_text(lines)}</system-out>"
            cases.append(f'    <testcase name={_attribute(name)} classname="completion-validator">{body}</testcase>')
        warned = sum(all(f.severity != "error" for f in found) for found in self._current.values())
        valid = result.documents - failing_documents - warned
        if valid > 0 or not cases:
            noun = "document" if valid == 1 else "documents"
            label = f"{result.file} ({valid} valid {noun})" if result.documents != 1 else result.file
            cases.append(f'    <testcase name={_attribute(label)} classname="completion-validator"/>')
        tests = len(cases)
        self._totals["tests"] += tests
        self._totals["failures"] += failures
        self._totals["errors"] += errors
        counts = f'tests="{tests}" failures="{failures}" errors="{errors}" skipped="0" time="0"'
        self._suites.append(
            f"  <testsuite name={_attribute(result.file)} {counts}>\n" + "\n".join(cases) + "\n  </testsuite>"
        )
        self._current = {}

    def finish(self, summary: Summary) -> None:
        """Write the root element with the totals, and the suites."""
        totals = self._totals
        self._stream.write(
            f'<testsuites name="completion-validator" tests="{totals["tests"]}" failures="{totals["failures"]}" '
            f'errors="{totals["errors"]}" time="0">\n'
        )
        for suite in self._suites:
            self._stream.write(suite + "\n")
        self._stream.write("</testsuites>\n")
        self._stream.flush()
