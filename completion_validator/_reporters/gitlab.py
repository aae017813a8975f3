"""`--format gitlab`: a GitLab Code Quality report (a JSON array of Code Climate issues).

Each finding is an issue with a description, a check name (its keyword), a severity (error →
major, warning → minor), a location (path and first line) and a fingerprint that stays the same
across runs while the finding does: it hashes the file, keyword, pointer and message, and the
finding's rank among identical ones in that file — never the line, which moves when lines are
added above it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import IO

from completion_validator._reporters import OneByOne
from completion_validator._reporters._lines import headline
from completion_validator._reporters.json_document import Spool
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding

SEVERITY = {"error": "major", "warning": "minor"}


class GitlabReporter(OneByOne):
    """Spools one issue per finding; writes the array at the end."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._issues = Spool(level=1)
        self._seen: Counter[tuple[str, str, str, str]] = Counter()

    def finding(self, finding: Finding) -> None:
        """Spool the finding as an issue."""
        identity = (finding.file or "", finding.keyword, finding.pointer or "", finding.message)
        self._seen[identity] += 1
        digest = hashlib.sha256("\0".join((*identity, str(self._seen[identity]))).encode("utf-8", "surrogatepass"))
        self._issues.add(
            {
                "type": "issue",
                "description": headline(finding),
                "check_name": finding.keyword,
                "fingerprint": digest.hexdigest(),
                "severity": SEVERITY[finding.severity],
                "location": {"path": finding.file or "", "lines": {"begin": finding.line or 1}},
            }
        )

    def file(self, result: FileResult) -> None:
        """Nothing per file."""

    def finish(self, summary: Summary) -> None:
        """Write the array."""
        self._issues.copy_to(self._stream)
        self._stream.write("\n")
        self._stream.flush()
