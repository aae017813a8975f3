"""What a run found: the counts of some documents (`Report`), one outcome per file, and the totals.

These are the values reporters render beside the findings; nothing here prints. `Report` is
public as `completion_validator.batch.Report`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Literal

from completion_validator.errors import Finding

FileStatus = Literal["valid", "invalid", "error"]


@dataclass
class Report:
    """What checking some documents found: exact counts, and the first `max_findings` located findings.

    Counts: `documents` checked, `invalid` ones (with at least one error), `errors`, `warnings`,
    `unreadable` (lines that could not be read as JSON), and `keywords`, the number of findings
    per keyword or rule id (also those beyond `max_findings`). `findings` holds the located
    findings in input order, at most `max_findings` of them (None: all).
    """

    documents: int = 0
    invalid: int = 0
    errors: int = 0
    warnings: int = 0
    unreadable: int = 0
    keywords: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    max_findings: int | None = field(default=100, compare=False)  # a setting, not part of what was found
    # Bytes of input these counts cover, where known (the command's progress line uses it).
    bytes_read: int = field(default=0, compare=False)

    @property
    def valid(self) -> int:
        """Documents with no error (warnings allowed)."""
        return self.documents - self.invalid

    @property
    def is_empty(self) -> bool:
        """Nothing was checked: the identity of `merge`."""
        return not (self.documents or self.unreadable or self.findings or self.keywords)

    def merge(self, other: Report) -> Report:
        """The report of both: counts added, findings in order up to the larger `max_findings`.

        Use as `Report.merge(a, b)`. It is associative for reports made with the same
        `max_findings`, and `Report()` is its identity, so `fold` / `treeReduce` / `reduce` work.
        """
        if other.is_empty:
            return replace(self, keywords=Counter(self.keywords), findings=list(self.findings))
        if self.is_empty:
            return replace(other, keywords=Counter(other.keywords), findings=list(other.findings))
        limit = (
            None
            if self.max_findings is None or other.max_findings is None
            else max(self.max_findings, other.max_findings)
        )
        findings = self.findings + other.findings
        return Report(
            documents=self.documents + other.documents,
            invalid=self.invalid + other.invalid,
            errors=self.errors + other.errors,
            warnings=self.warnings + other.warnings,
            unreadable=self.unreadable + other.unreadable,
            keywords=self.keywords + other.keywords,
            findings=findings if limit is None else findings[:limit],
            max_findings=limit,
            bytes_read=self.bytes_read + other.bytes_read,
        )

    def note(self, finding: Finding) -> None:
        """Keep a located finding, if there is room for it."""
        if self.max_findings is None or len(self.findings) < self.max_findings:
            self.findings.append(finding)

    def to_dict(self) -> dict[str, object]:
        """The report with the field names of `--format json` (`statistics` as `--statistics` adds it)."""
        return {
            "valid": not (self.invalid or self.unreadable),
            "summary": {
                "documents": self.documents,
                "valid_documents": self.valid,
                "invalid_documents": self.invalid,
                "errors": self.errors + self.unreadable,
                "warnings": self.warnings,
                "unreadable": self.unreadable,
            },
            "statistics": dict(sorted(self.keywords.items(), key=lambda item: (-item[1], item[0]))),
            "errors": [finding.as_dict() for finding in self.findings],
        }

    def summary(self) -> str:
        """One line, as the command prints it: `120 documents checked: 2 invalid, 5 errors`."""
        return describe_counts(
            self.documents, self.invalid, self.errors + self.unreadable, self.warnings, self.unreadable
        )


class FileResult:
    """The outcome for one input file: how many documents, how many invalid, any read problem.

    A plain class (one is made per file; a dataclass costs milliseconds to create at start-up).
    """

    __slots__ = ("documents", "errors", "file", "invalid_documents", "read_problems", "warnings")

    def __init__(
        self,
        file: str,
        documents: int = 0,
        invalid_documents: int = 0,
        errors: int = 0,
        warnings: int = 0,
        read_problems: int = 0,
    ) -> None:
        self.file = file
        self.documents = documents
        self.invalid_documents = invalid_documents
        self.errors = errors
        self.warnings = warnings
        self.read_problems = read_problems

    def __repr__(self) -> str:
        return f"FileResult({self.as_dict()})"

    def add(self, report: Report) -> None:
        """Count what `report` found in this file."""
        self.documents += report.documents
        self.invalid_documents += report.invalid
        self.errors += report.errors
        self.warnings += report.warnings
        self.read_problems += report.unreadable

    @property
    def status(self) -> FileStatus:
        """`error` if some of it could not be read, else `invalid` or `valid`."""
        if self.read_problems:
            return "error"
        return "invalid" if self.invalid_documents else "valid"

    def as_dict(self) -> dict[str, object]:
        """The file as `--format json` writes it."""
        return {
            "file": self.file,
            "status": self.status,
            "documents": self.documents,
            "invalid_documents": self.invalid_documents,
            "errors": self.errors + self.read_problems,
            "warnings": self.warnings,
        }


class Summary:
    """Totals over the whole run, and the exit status they imply."""

    __slots__ = ("files", "keywords", "output_cut", "skipped")

    def __init__(self) -> None:
        self.files: list[FileResult] = []
        # Directory entries passed over (not regular files); each was reported as a warning.
        self.skipped = 0
        # The output's reader went away before the end (`| head`): the counts are what was found until then.
        self.output_cut = False
        # Findings per keyword or rule id, hidden ones (--max-errors) included: what --statistics prints.
        self.keywords: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"Summary({self.as_dict()})"

    @property
    def documents(self) -> int:
        """Documents checked, over all files."""
        return sum(result.documents for result in self.files)

    @property
    def invalid_documents(self) -> int:
        """Documents with at least one error."""
        return sum(result.invalid_documents for result in self.files)

    @property
    def errors(self) -> int:
        """Errors reported, read problems included."""
        return sum(result.errors + result.read_problems for result in self.files)

    @property
    def warnings(self) -> int:
        """Warnings reported (skipped directory entries included)."""
        return sum(result.warnings for result in self.files) + self.skipped

    @property
    def unreadable_files(self) -> int:
        """Files that could not be read, or not all of them."""
        return sum(result.status == "error" for result in self.files)

    @property
    def unreadable(self) -> int:
        """What could not be read, counted as `Report.unreadable` counts it: each line, document or input."""
        return sum(result.read_problems for result in self.files)

    @property
    def exit_status(self) -> int:
        """0 all valid, 1 some document invalid, 2 some input could not be read, or none held a document.

        A run that checked nothing must not pass: an empty log, or 100 million blank lines, is
        not a valid one.
        """
        if self.unreadable_files or (self.files and not self.documents):
            return 2
        return 1 if self.invalid_documents else 0

    def as_dict(self) -> dict[str, int]:
        """The counts as `--format json` writes them."""
        return {
            "files": len(self.files),
            "documents": self.documents,
            "valid_documents": self.documents - self.invalid_documents,
            "invalid_documents": self.invalid_documents,
            "errors": self.errors,
            "warnings": self.warnings,
            "unreadable_files": self.unreadable_files,
            "unreadable": self.unreadable,
            "exit_status": self.exit_status,
        }

    def describe(self) -> str:
        """One line, e.g. `3 files, 120 documents checked: 2 invalid, 5 errors` (as `Report.summary` counts)."""
        counts = describe_counts(self.documents, self.invalid_documents, self.errors, self.warnings, self.unreadable)
        return f"{_count(len(self.files), 'file')}, {counts}"


def describe_counts(documents: int, invalid: int, errors: int, warnings: int, unreadable: int) -> str:
    """`1,200 documents checked: 2 invalid, 5 errors` (warnings and what could not be read, when there are any).

    `unreadable` counts what could not be read — a line of JSON Lines, a document, a whole input —
    the same in the command's line and in `Report.summary()`.
    """
    parts = [f"{invalid:,} invalid", _count(errors, "error")]
    if warnings:
        parts.append(_count(warnings, "warning"))
    if unreadable:
        parts.append(f"{unreadable:,} unreadable")
    return f"{_count(documents, 'document')} checked: " + ", ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"
