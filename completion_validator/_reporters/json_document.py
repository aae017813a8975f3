"""`--format json`: one JSON document on stdout at the end of the run, whatever happened."""

from __future__ import annotations

import json
import re
from typing import IO

from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding, display_value


class JsonReporter:
    """Collects the files and findings, and writes `valid`, `summary`, `files`, `errors` at the end."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._errors: list[dict[str, object]] = []
        self._files: list[dict[str, object]] = []

    def finding(self, finding: Finding) -> None:
        """Keep the finding for the final document."""
        self._errors.append(finding.as_dict())

    def file(self, result: FileResult) -> None:
        """Keep the file's outcome for the final document."""
        self._files.append(result.as_dict())

    def finish(self, summary: Summary) -> None:
        """Write the document."""
        document = {
            "valid": summary.exit_status == 0,
            "summary": summary.as_dict(),
            "files": self._files,
            "errors": self._errors,
        }
        text = json.dumps(document, ensure_ascii=False, indent=2, default=_unserialisable)
        self._stream.write(utf8_safe(text) + "\n")
        self._stream.flush()


def usage_error_document(message: str) -> str:
    """The `--format json` document for a command line that could not be understood."""
    summary = Summary()
    document = {
        "valid": False,
        "summary": {**summary.as_dict(), "errors": 1, "exit_status": 2},
        "files": [],
        "errors": [Finding(None, "usage", message).as_dict()],
    }
    return json.dumps(document, indent=2) + "\n"


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf8_safe(json_text: str) -> str:
    """JSON text that encodes as UTF-8: a lone surrogate (a file name's undecodable byte) as its escape."""
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", json_text)


def _unserialisable(value: object) -> str:
    return display_value(value, limit=None)
