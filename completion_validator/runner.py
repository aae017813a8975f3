"""Running a check over files, directories and stdin, and feeding what it finds to a reporter.

Every input is read and checked in turn; a problem with one file (missing, unreadable, bad
syntax) is reported and the run goes on with the next, so no result is lost.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from completion_validator.readers import (
    FORMAT_BY_SUFFIX,
    Capture,
    Document,
    InputFormat,
    Item,
    ReadProblem,
    read_path,
    read_stream,
)
from completion_validator.reporters import Reporter
from completion_validator.results import FileResult, LocatedError, Summary
from completion_validator.settings import Settings

STDIN = "-"


@dataclass(frozen=True)
class RunOptions:
    """How to check (profile and rules), the error cap, the input format when not by suffix."""

    settings: Settings = field(default_factory=Settings)
    max_errors: int | None = None
    input_format: InputFormat | None = None
    debug: bool = False


def expand(paths: list[str]) -> Iterator[tuple[str, Path | None, str | None]]:
    """Each input as (name to show, path or None for stdin, problem if it cannot be used)."""
    for raw in paths:
        if raw == STDIN:
            yield "<stdin>", None, None
            continue
        path = Path(raw)
        if path.is_dir():
            found = sorted(_payload_files(path))
            if not found:
                suffixes = ", ".join(sorted(FORMAT_BY_SUFFIX))
                yield raw, path, f"no files ending in {suffixes} in this directory"
            for file in found:
                yield str(file), file, None
        else:
            yield raw, path, None


def _payload_files(folder: Path) -> Iterator[Path]:
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _payload_files(entry)
        elif entry.suffix.lower() in FORMAT_BY_SUFFIX:
            yield entry


def run(paths: list[str], options: RunOptions, reporter: Reporter) -> Summary:
    """Check every input, report as results come, and return the totals."""
    summary = Summary()
    for name, path, problem in expand(paths):
        result = FileResult(name)
        if problem is not None:
            result.read_problems += 1
            reporter.error(LocatedError(name, None, None, "no-input", problem))
        else:
            items = (
                read_path(path, options.input_format) if path else read_stream(sys.stdin.buffer, options.input_format)
            )
            _check_file(name, items, options, result, reporter)
        summary.files.append(result)
        reporter.file(result)
    reporter.finish(summary)
    return summary


def _check_file(
    name: str,
    items: Iterator[Item],
    options: RunOptions,
    result: FileResult,
    reporter: Reporter,
) -> None:
    for item in items:
        if isinstance(item, ReadProblem):
            result.read_problems += 1
            reporter.error(LocatedError(name, item.position, item.index, item.keyword, item.message))
            continue
        result.documents += 1
        try:
            found = (
                _check_capture(name, item, options)
                if isinstance(item, Capture)
                else _check_document(name, item, options)
            )
        except Exception as failure:  # a bug of ours must not lose the other documents' results
            if options.debug:
                raise
            result.read_problems += 1
            where = "".join(traceback.format_exception_only(failure)).strip()
            message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
            reporter.error(LocatedError(name, None, item.index, "internal", message))
            continue
        errors = sum(error.severity == "error" for error in found)
        result.errors += errors
        result.warnings += len(found) - errors
        result.invalid_documents += bool(errors)
        shown = found if options.max_errors is None else found[: options.max_errors]
        for located in shown:
            reporter.error(located)
        if len(shown) < len(found):
            first = shown[-1] if shown else found[0]
            reporter.error(
                LocatedError(
                    name,
                    first.position,
                    item.index,
                    "max-errors",
                    f"{len(found) - len(shown)} more problems in this document not shown (--max-errors)",
                    "warning",
                )
            )


def _check_document(name: str, document: Document, options: RunOptions) -> list[LocatedError]:
    from completion_validator.validation import check  # jsonschema is imported only to validate

    return [
        LocatedError(
            name,
            document.locate(error.instance_path, error.keyword),
            document.index,
            error.keyword,
            error.message,
            error.severity,
            error,
        )
        for error in check(document.value, options.settings)
    ]


def _check_capture(name: str, capture: Capture, options: RunOptions) -> list[LocatedError]:
    from completion_validator.streams import check_stream

    return [
        LocatedError(
            name,
            found.position,
            found.error.event,
            found.error.keyword,
            found.error.message,
            found.error.severity,
            found.error,
        )
        for found in check_stream(capture.text, options.settings)
    ]
