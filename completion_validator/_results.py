"""What a run found: one outcome per file, and the totals with the exit status they imply.

These are the values reporters render beside the findings; nothing here prints.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

FileStatus = Literal["valid", "invalid", "error"]


@dataclass
class FileResult:
    """The outcome for one input file: how many documents, how many invalid, any read problem."""

    file: str
    documents: int = 0
    invalid_documents: int = 0
    errors: int = 0
    warnings: int = 0
    read_problems: int = 0

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


@dataclass
class Summary:
    """Totals over the whole run, and the exit status they imply."""

    files: list[FileResult] = field(default_factory=list)
    # Directory entries passed over (not regular files); each was reported as a warning.
    skipped: int = 0
    # The output's reader went away before the end (`| head`): the counts are what was found until then.
    output_cut: bool = False
    # Findings per keyword or rule id, hidden ones (--max-errors) included: what --statistics prints.
    keywords: Counter[str] = field(default_factory=Counter)

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
    def exit_status(self) -> int:
        """0 all valid, 1 some document invalid, 2 some input could not be read."""
        if self.unreadable_files:
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
            "exit_status": self.exit_status,
        }

    def describe(self) -> str:
        """One line, e.g. `3 files, 120 documents checked: 2 invalid, 5 errors`."""
        counts = describe_counts(
            self.documents, self.invalid_documents, self.errors, self.warnings, self.unreadable_files
        )
        return f"{_count(len(self.files), 'file')}, {counts}"


def describe_counts(documents: int, invalid: int, errors: int, warnings: int, unreadable: int) -> str:
    """`120 documents checked: 2 invalid, 5 errors` (warnings and unreadable inputs when there are any)."""
    parts = [f"{invalid} invalid", _count(errors, "error")]
    if warnings:
        parts.append(_count(warnings, "warning"))
    if unreadable:
        parts.append(f"{unreadable} unreadable")
    return f"{_count(documents, 'document')} checked: " + ", ".join(parts)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
