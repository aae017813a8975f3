"""Reporters render a run's findings: one module per output format, chosen from one table.

Each receives the findings as they are found and the totals at the end, so text and GitHub
output stream (a long JSONL log shows its first findings at once) while JSON collects one
document. None of them finds anything; they only render. `--format`'s choices are `REPORTERS`.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, NamedTuple, Protocol

from completion_validator._results import FileResult, Summary

__all__ = ["REPORTERS", "OneByOne", "Reporter", "list_rules", "make_reporter", "usage_error_document"]

if TYPE_CHECKING:
    from completion_validator.errors import Finding


class Reporter(Protocol):
    """What the runner tells a reporter, in order: findings and files as they finish, then the summary."""

    def finding(self, finding: Finding) -> None:
        """One located finding (error or warning)."""

    def findings(self, found: Sequence[Finding]) -> None:
        """Several located findings, in order: a log's block of lines is one call, not one per line."""

    def file(self, result: FileResult) -> None:
        """A file is done."""

    def finish(self, summary: Summary) -> None:
        """The run is done."""


class OneByOne:
    """`findings` for a reporter that takes them one at a time (those whose work per finding outweighs a call)."""

    def finding(self, finding: Finding) -> None:
        raise NotImplementedError

    def findings(self, found: Sequence[Finding]) -> None:
        """Each finding in turn."""
        for finding in found:
            self.finding(finding)


class Choices(NamedTuple):
    """What the command line says about output, besides the format."""

    color: str = "auto"
    quiet: int = 0
    statistics: bool = False


def _text(stream: IO[str], choices: Choices) -> Reporter:
    from completion_validator._reporters.text import TextReporter, use_color

    color = use_color(choices.color, stream)
    return TextReporter(stream, color=color, quiet=choices.quiet, statistics=choices.statistics)


def _json(stream: IO[str], choices: Choices) -> Reporter:
    from completion_validator._reporters.json_document import JsonReporter

    return JsonReporter(stream, statistics=choices.statistics)


def _plain(module: str, name: str) -> Callable[[IO[str], Choices], Reporter]:
    def make(stream: IO[str], choices: Choices) -> Reporter:
        reporter: Reporter = getattr(importlib.import_module(f"completion_validator._reporters.{module}"), name)(stream)
        return reporter

    return make


# --format NAME -> a reporter writing to a stream, given the other output choices. Each reporter's
# module is imported when chosen: pre-commit's text run pays for no XML, hashing or spooling.
REPORTERS: dict[str, Callable[[IO[str], Choices], Reporter]] = {
    "text": _text,
    "json": _json,
    "github": _plain("github", "GithubReporter"),
    "sarif": _plain("sarif", "SarifReporter"),
    "junit": _plain("junit", "JunitReporter"),
    "gitlab": _plain("gitlab", "GitlabReporter"),
    "html": _plain("html", "HtmlReporter"),
}


def usage_error_document(message: str) -> str:
    """The `--format json` document for a command line that could not be understood."""
    from completion_validator._reporters.json_document import usage_error_document as document

    return document(message)


def make_reporter(
    name: str, *, color: str = "auto", quiet: int = 0, statistics: bool = False, stream: IO[str] | None = None
) -> Reporter:
    """The reporter for `--format NAME`."""
    return REPORTERS[name](stream or sys.stdout, Choices(color, quiet, statistics))


def list_rules(output_format: str = "text") -> str:
    """Every rule with its id, severity and rationale, then the keywords that are not rules."""
    from completion_validator._rules import RULES
    from completion_validator.errors import NON_RULE_KEYWORDS

    entries = [(rule.id, rule.severity, rule.rationale) for rule in RULES.values()]
    if output_format == "json":
        rows = [
            {"id": rule_id, "severity": severity, "rationale": rationale} for rule_id, severity, rationale in entries
        ]
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(rule_id) for rule_id, _, _ in entries)
    text = "".join(f"{rule_id:<{width}}  {severity:<7}  {rationale}\n" for rule_id, severity, rationale in entries)
    text += "\nkeywords that are not rules (besides the JSON Schema keywords of the schema files):\n"
    width = max(len(keyword) for keyword in NON_RULE_KEYWORDS)
    return text + "".join(f"{keyword:<{width}}  {meaning}\n" for keyword, meaning in NON_RULE_KEYWORDS.items())
