"""Running a check over files, directories and stdin, and feeding what it finds to a reporter.

Every input is read and checked in turn; a problem with one file (missing, unreadable, bad
syntax) is reported and the run goes on with the next, so no result is lost. Line-based inputs
(JSON Lines) are read in batches of lines, which worker processes check when `--jobs` allows (a
bounded number of batches in flight, so memory stays flat); results are merged in input order,
so the output is the same whatever the number of jobs.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING, Any, BinaryIO

from completion_validator._inputs import (
    FORMATS,
    Capture,
    Clean,
    CleanCheck,
    Document,
    InputFormat,
    Item,
    format_of,
    read_bytes,
    read_path,
    sniff_stream,
)
from completion_validator._inputs._items import os_message, problem
from completion_validator._inputs.files import Source, expand
from completion_validator._reporters import Reporter
from completion_validator._results import FileResult, Summary
from completion_validator._settings import Settings
from completion_validator.errors import Finding

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

BATCH_LINES = 2_000  # lines per batch read by the main process (stdin, --jobs 1)
SPAN_BYTES = 1 << 20  # bytes per range a worker reads itself (files, --jobs > 1)


@dataclass(frozen=True)
class RunOptions:
    """How to check (profile and rules), the error cap, the input format, the worker processes."""

    settings: Settings = field(default_factory=Settings)
    max_errors: int | None = None
    input_format: str | None = None
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
    located: list[Finding] = field(default_factory=list)

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


@cache
def _clean_check(options: RunOptions) -> CleanCheck | None:
    """The fast verdict for these options (built once per process; None without the libraries)."""
    if not options.fast:
        return None
    from completion_validator._fastpath import clean_json_checker

    return clean_json_checker(options.settings)


def run(paths: list[str], options: RunOptions, reporter: Reporter) -> Summary:
    """Check every input, report as results come, and return the totals."""
    summary = Summary()
    with _Workers(options.jobs) as workers:
        for source in expand(paths):
            result = FileResult(source.name)
            for tally in _tallies(source, options, workers):
                tally.add_to(result)
                for located in tally.located:
                    reporter.finding(replace(located, file=source.name))
            summary.files.append(result)
            reporter.file(result)
    reporter.finish(summary)
    return summary


def _chosen_format(options: RunOptions) -> InputFormat | None:
    return FORMATS[options.input_format] if options.input_format else None


def _tallies(source: Source, options: RunOptions, workers: _Workers) -> Iterator[Tally]:
    """What one input holds: line-based inputs in batches (possibly in workers), anything else in one go."""
    if source.problem is not None:
        yield Tally(read_problems=1, located=[problem(source.problem, "no-input")])
        return
    is_clean = _clean_check(options)
    chosen = _chosen_format(options)
    path = source.path
    if path is None:
        chosen, lines = sniff_stream(sys.stdin.buffer, chosen)
        if chosen.line_based:
            yield from _line_tallies(lines, chosen, options, workers)
        else:
            yield check_items(read_bytes(b"".join(lines), chosen, is_clean), options)
        return
    named = chosen or format_of(path)
    if named is None or not named.line_based:
        yield check_items(read_path(path, chosen, is_clean), options)
        return
    try:
        stream = path.open("rb")
    except OSError as error:
        yield Tally(read_problems=1, located=[problem(os_message(error), "io")])
        return
    with stream:
        if workers.jobs > 1:  # workers read their own byte ranges: no line crosses a pipe
            yield from workers.map(check_line_span, _spans(stream), options, named.name, str(path))
        else:
            yield from _line_tallies(stream, named, options, workers)


def _line_tallies(
    lines: Iterable[bytes], chosen: InputFormat, options: RunOptions, workers: _Workers
) -> Iterator[Tally]:
    batches = _batched(enumerate(lines, start=1), BATCH_LINES)
    yield from workers.map(check_line_batch, batches, options, chosen.name)


def _spans(stream: BinaryIO, size: int = SPAN_BYTES) -> Iterator[tuple[int, int, int]]:
    """(offset, length, first line number) of consecutive whole-line ranges of about `size` bytes."""
    offset, line = 0, 1
    while block := stream.read(size):
        if not block.endswith(b"\n"):
            block += stream.readline()
        yield offset, len(block), line
        offset += len(block)
        line += block.count(b"\n")


def check_line_span(span: tuple[int, int, int], options: RunOptions, format_name: str, path: str) -> Tally:
    """Check one byte range of whole lines of a line-based file (runs in a worker process)."""
    offset, length, first_line = span
    with open(path, "rb") as stream:  # noqa: PTH123 - a worker's own handle
        stream.seek(offset)
        block = stream.read(length)
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()  # the empty string after the last line end
    return check_line_batch(list(enumerate(lines, start=first_line)), options, format_name)


def _batched(numbered: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    while batch := list(itertools.islice(numbered, size)):
        yield batch


def check_line_batch(batch: list[tuple[int, bytes]], options: RunOptions, format_name: str) -> Tally:
    """Check some numbered lines of a line-based input (runs in a worker process with --jobs)."""
    is_clean = _clean_check(options)
    line_format = FORMATS[format_name]
    items = (line_format.read_line(number, raw, is_clean) for number, raw in batch)
    return check_items((item for item in items if item is not None), options)


def check_items(items: Iterable[Item], options: RunOptions) -> Tally:
    """Check read items: count clean ones, explain the rest, report what could not be read."""
    tally = Tally()
    for item in items:
        if isinstance(item, Clean):
            tally.documents += 1
            continue
        if isinstance(item, Finding):
            tally.read_problems += 1
            tally.located.append(item)
            continue
        tally.documents += 1
        try:
            found = _check_capture(item, options) if isinstance(item, Capture) else _check_document(item, options)
        except Exception as failure:  # a bug of ours must not lose the other documents' results
            if options.debug:
                raise
            tally.read_problems += 1
            where = "".join(traceback.format_exception_only(failure)).strip()
            message = f"internal error while checking this document: {where} (rerun with --debug for the traceback)"
            tally.located.append(Finding(None, "internal", message, document=item.index))
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
            tally.located.append(
                Finding(
                    None,
                    "max-errors",
                    message,
                    severity="warning",
                    line=first.line,
                    column=first.column,
                    document=item.index,
                )
            )
    return tally


def _check_document(document: Document, options: RunOptions) -> list[Finding]:
    from completion_validator._check import check  # jsonschema is imported only to explain

    located = []
    for error in check(document.value, options.settings):
        position = document.locate(error.instance_path, error.keyword)
        located.append(replace(error, line=position.line, column=position.column, document=document.index))
    return located


def _check_capture(capture: Capture, options: RunOptions) -> list[Finding]:
    from completion_validator.streams import check_stream

    return [replace(finding, document=finding.event) for finding in check_stream(capture.text, options.settings)]


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
        self, check: Callable[..., Tally], batches: Iterator[Any], options: RunOptions, *extra: str
    ) -> Iterator[Tally]:
        """`check(batch, options, *extra)` over the batches, in order; in workers when there are jobs."""
        args = (options, *extra)
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
