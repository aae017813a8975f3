"""Reporters render a run's results: `text` for people, `json` for programs, `github` for CI.

Each receives the errors as they are found and the totals at the end, so text and GitHub
output stream (a long JSONL log shows its first errors at once) while JSON collects one
document. None of them finds anything; they only render.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Protocol

from completion_validator.errors import display_value
from completion_validator.results import FileResult, LocatedError, Summary


class Reporter(Protocol):
    """What the CLI tells a reporter, in order: errors and files as they finish, then the summary."""

    def error(self, error: LocatedError) -> None:
        """One located error (or warning)."""

    def file(self, result: FileResult) -> None:
        """A file is done."""

    def finish(self, summary: Summary) -> None:
        """The run is done."""


def use_color(choice: str, stream: IO[str]) -> bool:
    """Colour for `--color auto|always|never`; auto means a terminal, unless NO_COLOR is set."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def location(error: LocatedError) -> str:
    """`file:line:column`, or just the file when the position is not known."""
    if error.position is None:
        return error.file
    return f"{error.file}:{error.position.line}:{error.position.column}"


def headline(error: LocatedError) -> str:
    """The error without its location: `$.path: message`, or the bare message for a read problem."""
    if error.field is None or (not error.field.instance_path and error.keyword.startswith("stream-")):
        return error.message
    return f"{error.field.path}: {error.message}"


class TextReporter:
    """`file:line:col: error: $.path: message [keyword]` lines, as compilers and linters print them."""

    def __init__(self, stream: IO[str], *, color: bool, quiet: int = 0) -> None:
        self._stream = stream
        self._quiet = quiet
        bold, red, yellow, dim, reset = (
            ("\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m") if color else ("",) * 5
        )
        self._styles = {"location": bold, "error": red + bold, "warning": yellow + bold, "keyword": dim, "reset": reset}

    def error(self, error: LocatedError) -> None:
        """Print one line for the error."""
        if self._quiet >= 2:
            return
        style = self._styles
        self._stream.write(
            f"{style['location']}{location(error)}{style['reset']}: "
            f"{style[error.severity]}{error.severity}{style['reset']}: {headline(error)} "
            f"{style['keyword']}[{error.keyword}]{style['reset']}\n"
        )

    def file(self, result: FileResult) -> None:
        """Nothing per file: the lines say it all."""

    def finish(self, summary: Summary) -> None:
        """Print the one-line summary (with -q only when something failed; never with -qq)."""
        if self._quiet >= 2 or (self._quiet == 1 and summary.exit_status == 0):
            return
        self._stream.write(summary.describe() + "\n")
        self._stream.flush()


class JsonReporter:
    """One JSON document on stdout at the end of the run, whatever happened."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._errors: list[dict[str, object]] = []
        self._files: list[dict[str, object]] = []

    def error(self, error: LocatedError) -> None:
        """Keep the error for the final document."""
        self._errors.append(error.as_dict())

    def file(self, result: FileResult) -> None:
        """Keep the file's outcome for the final document."""
        self._files.append(result.as_dict())

    def finish(self, summary: Summary) -> None:
        """Write the document: `valid`, `summary`, `files`, `errors`."""
        document = {
            "valid": summary.exit_status == 0,
            "summary": summary.as_dict(),
            "files": self._files,
            "errors": self._errors,
        }
        json.dump(document, self._stream, ensure_ascii=False, indent=2, default=_unserialisable)
        self._stream.write("\n")
        self._stream.flush()


def usage_error_document(message: str) -> str:
    """The `--format json` document for a command line that could not be understood."""
    summary = Summary()
    document = {
        "valid": False,
        "summary": {**summary.as_dict(), "errors": 1, "exit_status": 2},
        "files": [],
        "errors": [
            {
                "file": None,
                "line": None,
                "column": None,
                "document": None,
                "pointer": None,
                "path": None,
                "keyword": "usage",
                "severity": "error",
                "message": message,
                "expected": None,
                "actual": None,
                "schema": None,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _unserialisable(value: object) -> str:
    return display_value(value, limit=None)


class GithubReporter:
    """GitHub Actions workflow commands, so each error shows inline on the pull request."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def error(self, error: LocatedError) -> None:
        """Print a `::error file=...,line=...,col=...,title=...::message` command."""
        properties = [f"file={_escape_property(error.file)}"]
        if error.position:
            properties += [f"line={error.position.line}", f"col={error.position.column}"]
        properties.append(f"title={_escape_property(f'completion-validator [{error.keyword}]')}")
        self._stream.write(f"::{error.severity} {','.join(properties)}::{_escape_data(headline(error))}\n")

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


def make_reporter(name: str, *, color: str = "auto", quiet: int = 0, stream: IO[str] | None = None) -> Reporter:
    """The reporter for `--format NAME`."""
    out = stream or sys.stdout
    if name == "json":
        return JsonReporter(out)
    if name == "github":
        return GithubReporter(out)
    return TextReporter(out, color=use_color(color, out), quiet=quiet)


def list_rules(output_format: str = "text") -> str:
    """Every rule with its id, severity and rationale, as text or (`--format json`) a JSON list."""
    from completion_validator.rules import RULES, STREAM_RULES

    entries = [(rule.id, rule.severity, rule.rationale) for rule in RULES.values()]
    entries += [(rule_id, severity, rationale) for rule_id, (severity, rationale) in STREAM_RULES.items()]
    if output_format == "json":
        rows = [
            {"id": rule_id, "severity": severity, "rationale": rationale} for rule_id, severity, rationale in entries
        ]
        return json.dumps(rows, indent=2) + "\n"
    width = max(len(rule_id) for rule_id, _, _ in entries)
    return "".join(f"{rule_id:<{width}}  {severity:<7}  {rationale}\n" for rule_id, severity, rationale in entries)
