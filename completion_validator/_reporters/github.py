"""`--format github`: GitHub Actions workflow commands, so each finding shows inline on the pull request."""

from __future__ import annotations

from typing import IO

from completion_validator._reporters import OneByOne
from completion_validator._reporters._lines import headline, one_line
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding


class GithubReporter(OneByOne):
    """`::error file=...,line=...,col=...,title=...::message` per finding, then the summary line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def finding(self, finding: Finding) -> None:
        """Print one workflow command for the finding."""
        properties = [f"file={_escape_property(one_line(finding.file or ''))}"]
        if finding.line is not None:
            properties += [f"line={finding.line}", f"col={finding.column}"]
        properties.append(f"title={_escape_property(f'completion-validator [{finding.keyword}]')}")
        self._stream.write(f"::{finding.severity} {','.join(properties)}::{_escape_data(headline(finding))}\n")

    def file(self, result: FileResult) -> None:
        """Nothing per file."""

    def finish(self, summary: Summary) -> None:
        """The summary as a plain line for the log."""
        self._stream.write(summary.describe() + "\n")
        self._stream.flush()


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
