"""Running a check over files, directories and stdin, and feeding what it finds to a reporter.

Every input is read and checked in turn; a problem with one file (missing, unreadable, bad
syntax) is reported and the run goes on with the next, so no result is lost. JSON Lines are
read in batches of lines, which worker processes check when `--jobs` allows (a bounded number of
batches in flight, so memory stays flat); results are merged in input order, so the output is
the same whatever the number of jobs.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from completion_validator.readers import (
    FORMAT_BY_SUFFIX,
    Capture,
    Clean,
    CleanCheck,
    Document,
    InputFormat,
    Item,
    ReadProblem,
    format_of,
    os_message,
    read_bytes,
    read_jsonl_line,
    read_path,
    sniff_stream,
)
from completion_validator.reporters import Reporter
from completion_validator.results import FileResult, LocatedError, Summary
from completion_validator.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

STDIN = "-"
BATCH_LINES = 2_000  # lines per batch read by the main process (stdin, --jobs 1)
SPAN_BYTES = 1 << 20  # bytes per range a worker reads itself (files, --jobs > 1)


@dataclass(frozen=True)
class RunOptions:
    """How to check (profile and rules), the error cap, the input format, the worker processes."""

    settings: Settings = field(default_factory=Settings)
    max_errors: int | None = None
    input_format: InputFormat | None = None
    debug: bool = False
    jobs: int = 1
    fast: bool = True


@dataclass
class Tally:
    """What checking some documents found: the counts, and the errors to report, in order."""

    documents: int = 0
    invalid_documents: int = 0
    errors: int = 0
    warnings: int = 0
    read_problems: int = 0
    located: list[LocatedError] = field(default_factory=list)

    def add_to(self, result: FileResult) -> None:
        """Add the counts to a file's result."""
        result.documents += self.documents
        result.invalid_documents += self.invalid_documents
        result.errors += self.errors
        result.warnings += self.warnings
        result.read_problems += self.read_problems


def default_jobs() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def expand(paths: list[str]) -> Iterator[tuple[str, Path | None, str | None]]:
    """Each input as (name to show, path or None for stdin, problem if it cannot be used)."""
    for raw in paths:
        if raw == STDIN:
            yield "<stdin>", None, None
            continue
        path = Path(raw)
        if path.is_dir():
            problems: list[tuple[Path, str]] = []
            found = sorted(_payload_files(path, problems, set()))
            for folder, problem in problems:
                yield str(folder), folder, problem
            if not found and not problems:
                suffixes = ", ".join(sorted(FORMAT_BY_SUFFIX))
                yield raw, path, f"no files ending in {suffixes} in this directory"
            for file in found:
                yield str(file), file, None
        else:
            yield raw, path, None


def _payload_files(folder: Path, problems: list[tuple[Path, str]], seen: set[Path]) -> Iterator[Path]:
    """Payload files below `folder`; hidden entries skipped, symlink loops and unreadable folders reported."""
    real = folder.resolve()
    if real in seen:
        return  # a symbolic link back to a folder already searched
    seen.add(real)
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        problems.append((folder, f"cannot list this directory: {os_message(error)}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _payload_files(entry, problems, seen)
        elif entry.suffix.lower() in FORMAT_BY_SUFFIX:
            yield entry


@cache
def _clean_check(options: RunOptions) -> CleanCheck | None:
    """The fast verdict for these options (built once per process; None without the libraries)."""
    if not options.fast:
        return None
    from completion_validator.fastpath import clean_json_checker

    return clean_json_checker(options.settings)


def run(paths: list[str], options: RunOptions, reporter: Reporter) -> Summary:
    """Check every input, report as results come, and return the totals."""
    summary = Summary()
    with _Workers(options.jobs) as workers:
        for name, path, problem in expand(paths):
            result = FileResult(name)
            for tally in _tallies(name, path, problem, options, workers):
                tally.add_to(result)
                for located in tally.located:
                    reporter.error(located)
            summary.files.append(result)
            reporter.file(result)
    reporter.finish(summary)
    return summary


def _tallies(
    name: str, path: Path | None, problem: str | None, options: RunOptions, workers: _Workers
) -> Iterator[Tally]:
    """What one input holds: JSON Lines in batches (possibly in workers), anything else in one go."""
    if problem is not None:
        yield Tally(read_problems=1, located=[LocatedError(name, None, None, "no-input", problem)])
        return
    is_clean = _clean_check(options)
    if path is None:
        chosen, lines = sniff_stream(sys.stdin.buffer, options.input_format)
        if chosen == "jsonl":
            yield from _jsonl_tallies(name, lines, options, workers)
        else:
            yield check_items(name, read_bytes(b"".join(lines), chosen, is_clean), options)
        return
    if (options.input_format or format_of(path)) != "jsonl":
        yield check_items(name, read_path(path, options.input_format, is_clean), options)
        return
    try:
        stream = path.open("rb")
    except OSError as error:
        yield Tally(read_problems=1, located=[LocatedError(name, None, None, "io", os_message(error))])
        return
    with stream:
        if workers.jobs > 1:  # workers read their own byte ranges: no line crosses a pipe
            yield from workers.map(check_jsonl_span, _spans(stream), name, options, str(path))
        else:
            yield from _jsonl_tallies(name, stream, options, workers)


def _jsonl_tallies(name: str, lines: Iterable[bytes], options: RunOptions, workers: _Workers) -> Iterator[Tally]:
    batches = _batched(enumerate(lines, start=1), BATCH_LINES)
    yield from workers.map(check_jsonl_batch, batches, name, options)


def _spans(stream: BinaryIO, size: int = SPAN_BYTES) -> Iterator[tuple[int, int, int]]:
    """(offset, length, first line number) of consecutive whole-line ranges of about `size` bytes."""
    offset, line = 0, 1
    while block := stream.read(size):
        if not block.endswith(b"\n"):
            block += stream.readline()
        yield offset, len(block), line
        offset += len(block)
        line += block.count(b"\n")


def check_jsonl_span(span: tuple[int, int, int], name: str, options: RunOptions, path: str) -> Tally:
    """Check one byte range of whole lines of a JSON Lines file (runs in a worker process)."""
    offset, length, first_line = span
    with open(path, "rb") as stream:  # noqa: PTH123 - a worker's own handle
        stream.seek(offset)
        block = stream.read(length)
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()  # the empty string after the last line end
    return check_jsonl_batch(list(enumerate(lines, start=first_line)), name, options)


def _batched(numbered: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    while batch := list(itertools.islice(numbered, size)):
        yield batch


def check_jsonl_batch(batch: list[tuple[int, bytes]], name: str, options: RunOptions) -> Tally:
    """Check some numbered lines of a JSON Lines input (runs in a worker process with --jobs)."""
    is_clean = _clean_check(options)
    items = (read_jsonl_line(number, raw, is_clean) for number, raw in batch)
    return check_items(name, (item for item in items if item is not None), options)


def check_items(name: str, items: Iterable[Item], options: RunOptions) -> Tally:
    """Check read items: count clean ones, explain the rest, report what could not be read."""
    tally = Tally()
    for item in items:
        if isinstance(item, Clean):
            tally.documents += 1
            continue
        if isinstance(item, ReadProblem):
            tally.read_problems += 1
            tally.located.append(LocatedError(name, item.position, item.index, item.keyword, item.message))
            continue
        tally.documents += 1
        try:
            found = (
                _check_capture(name, item, options)
                if isinstance(item, Capture)
                else _check_document(name, item, options)
            )
        except Exception as failure:  # a bug of ours must not lose the other documents' results
            if options.debug:
                raise
            tally.read_problems += 1
            where = "".join(traceback.format_exception_only(failure)).strip()
            message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
            tally.located.append(LocatedError(name, None, item.index, "internal", message))
            continue
        errors = sum(error.severity == "error" for error in found)
        tally.errors += errors
        tally.warnings += len(found) - errors
        tally.invalid_documents += bool(errors)
        shown = found if options.max_errors is None else found[: options.max_errors]
        tally.located.extend(shown)
        if len(shown) < len(found):
            first = shown[-1] if shown else found[0]
            hidden = len(found) - len(shown)
            message = f"{hidden} more problems in this document not shown (--max-errors)"
            tally.located.append(LocatedError(name, first.position, item.index, "max-errors", message, "warning"))
    return tally


def _check_document(name: str, document: Document, options: RunOptions) -> list[LocatedError]:
    from completion_validator.validation import check  # jsonschema is imported only to explain

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


class _Workers:
    """Worker processes for JSON Lines batches, started only when a second batch turns up."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def map(
        self, check: Callable[..., Tally], batches: Iterator[Any], name: str, options: RunOptions, *extra: str
    ) -> Iterator[Tally]:
        """`check(batch, name, options, *extra)` over the batches, in order; in workers when there are jobs."""
        args = (name, options, *extra)
        first = next(batches, None)
        if first is None:
            return
        if self.jobs <= 1:
            yield check(first, *args)
            for batch in batches:
                yield check(batch, *args)
            return
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor  # only a long JSON Lines input needs it

            _clean_check(options)  # build the compiled validator once, before the workers fork
            self._pool = ProcessPoolExecutor(max_workers=self.jobs)
        in_flight: list[Future[Tally]] = [self._pool.submit(check, first, *args)]
        for batch in batches:
            in_flight.append(self._pool.submit(check, batch, *args))
            if len(in_flight) >= 2 * self.jobs:  # bounded: a huge file never piles up in memory
                yield in_flight.pop(0).result()
        for future in in_flight:
            yield future.result()
