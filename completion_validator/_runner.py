"""Running a check over files, directories and stdin, and feeding what it finds to a reporter.

Every input is read and checked in turn; a problem with one file (missing, unreadable, bad
syntax) is reported and the run goes on with the next, so no result is lost. Line-based inputs
(JSON Lines) are read in batches of lines, which worker processes check when `--jobs` allows (a
bounded number of batches in flight, so memory stays flat); results are merged in input order,
so the output is the same whatever the number of jobs.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import BinaryIO

from completion_validator._inputs import (
    FORMATS,
    Capture,
    Clean,
    CleanCheck,
    Document,
    InputFormat,
    Item,
    NumberedLines,
    format_of,
    join_lines,
    read_bytes,
    read_path,
    sniff_stream,
)
from completion_validator._inputs._items import os_message, problem
from completion_validator._inputs._limits import (
    DEFAULT_MAX_DOCUMENT_SIZE,
    TooLong,
    line_too_long,
    lines_limited,
    too_large,
)
from completion_validator._inputs.files import Source, expand
from completion_validator._progress import Progress
from completion_validator._reporters import Reporter
from completion_validator._results import FileResult, Summary
from completion_validator._settings import Settings
from completion_validator._workers import Workers, available_cpus, internal_problem
from completion_validator.errors import Finding

BATCH_LINES = 2_000  # lines per batch read by the main process (stdin, --jobs 1)
SPAN_BYTES = 1 << 20  # bytes per range a worker reads itself (files, --jobs > 1)
Span = tuple[int, int, int]  # offset, length, number of the first line


@dataclass(frozen=True)
class RunOptions:
    """How to check (profile and rules), the error cap, the input format, the worker processes."""

    settings: Settings = field(default_factory=Settings)
    max_errors: int | None = None
    input_format: str | None = None
    debug: bool = False
    jobs: int = 1
    fast: bool = True
    max_document_size: int = DEFAULT_MAX_DOCUMENT_SIZE


@dataclass
class Tally:
    """What checking some documents found: the counts, and the errors to report, in order."""

    documents: int = 0
    invalid_documents: int = 0
    errors: int = 0
    warnings: int = 0
    read_problems: int = 0
    located: list[Finding] = field(default_factory=list)
    # Bytes of line-based input these counts cover (for progress; 0 where not counted).
    bytes_read: int = 0

    def add_to(self, result: FileResult) -> None:
        """Add the counts to a file's result."""
        result.documents += self.documents
        result.invalid_documents += self.invalid_documents
        result.errors += self.errors
        result.warnings += self.warnings
        result.read_problems += self.read_problems


def default_jobs() -> int:
    """All the cores this process may use (also the most `--jobs` starts)."""
    return available_cpus()


@cache
def _clean_check(options: RunOptions) -> CleanCheck | None:
    """The fast verdict for these options (built once per process; None without the libraries)."""
    if not options.fast:
        return None
    from completion_validator._fastpath import clean_json_checker

    return clean_json_checker(options.settings)


def run(paths: list[str], options: RunOptions, reporter: Reporter, progress: Progress | None = None) -> Summary:
    """Check every input, report as results come, and return the totals."""
    summary = Summary()
    sources: Iterable[Source] = expand(paths)
    if progress is not None:  # the totals need every source up front (a scan is done whole anyway)
        sources = list(sources)
        progress.set_totals(sum(_size(source) for source in sources), len(sources))
    try:
        with Workers(options.jobs) as workers:
            for source in sources:
                if source.skipped is not None:
                    summary.skipped += 1
                    _report(
                        reporter,
                        progress,
                        Finding(None, "no-input", source.skipped, severity="warning", file=source.name),
                    )
                    continue
                result = FileResult(source.name)
                summary.files.append(result)
                for tally in _tallies(source, options, workers):
                    tally.add_to(result)
                    for located in tally.located:
                        _report(reporter, progress, replace(located, file=source.name))
                    if progress is not None:
                        progress.advance(documents=tally.documents + tally.read_problems, bytes_done=tally.bytes_read)
                if progress is not None:
                    progress.advance(files=1)
                reporter.file(result)
        if progress is not None:
            progress.clear()
        reporter.finish(summary)
    except BrokenPipeError:  # the reader of our output went away (`| head`): stop, keep what was found
        summary.output_cut = True
    return summary


def _report(reporter: Reporter, progress: Progress | None, finding: Finding) -> None:
    if progress is not None:
        progress.clear()
    reporter.finding(finding)


def _size(source: Source) -> int:
    try:
        return source.path.stat().st_size if source.path is not None and source.path.is_file() else 0
    except OSError:
        return 0


def _chosen_format(options: RunOptions) -> InputFormat | None:
    return FORMATS[options.input_format] if options.input_format else None


def _tallies(source: Source, options: RunOptions, workers: Workers) -> Iterator[Tally]:
    """What one input holds: line-based inputs in batches (possibly in workers), anything else in one go."""
    if source.problem is not None:
        yield Tally(read_problems=1, located=[problem(source.problem, "no-input")])
        return
    is_clean = _clean_check(options)
    chosen = _chosen_format(options)
    limit = options.max_document_size
    path = source.path
    if path is None:
        chosen, lines = sniff_stream(sys.stdin.buffer, chosen, limit)
        if chosen.line_based:
            yield from _line_tallies(lines, chosen, options, workers)
            return
        data = join_lines(lines, limit)
        if data is None:
            yield Tally(read_problems=1, located=[too_large(limit)])
        else:
            yield check_items(read_bytes(data, chosen, is_clean), options)
        return
    named = chosen or format_of(path)
    if named is None or not named.line_based or not _is_regular(path):
        yield check_items(read_path(path, chosen, is_clean, limit), options)
        return
    try:
        stream = path.open("rb")
    except OSError as error:
        yield Tally(read_problems=1, located=[problem(os_message(error), "io")])
        return
    with stream:
        if workers.jobs > 1:  # workers read their own byte ranges of the file this run opened
            overlong: list[int] = []
            opened = (os.getpid(), stream.fileno(), _identity(stream))
            spans = _spans(stream, SPAN_BYTES, limit, overlong)
            yield from workers.map(check_line_span, spans, _failed_span, options, named.name, str(path), opened)
            if overlong:
                yield Tally(read_problems=1, located=[line_too_long(overlong[0], limit)])
        else:
            yield from _line_tallies(lines_limited(stream, limit), named, options, workers)


def _is_regular(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _line_tallies(lines: NumberedLines, chosen: InputFormat, options: RunOptions, workers: Workers) -> Iterator[Tally]:
    overlong: list[int] = []

    def batches() -> Iterator[list[tuple[int, bytes]]]:
        batch: list[tuple[int, bytes]] = []
        for entry in lines:
            if isinstance(entry, TooLong):
                overlong.append(entry.number)
                break
            batch.append(entry)
            if len(batch) >= BATCH_LINES:
                yield batch
                batch = []
        if batch:
            yield batch

    yield from workers.map(check_line_batch, batches(), _failed_batch, options, chosen.name)
    if overlong:
        yield Tally(read_problems=1, located=[line_too_long(overlong[0], options.max_document_size)])


def _spans(stream: BinaryIO, size: int, limit: int, overlong: list[int]) -> Iterator[Span]:
    """Consecutive whole-line ranges of about `size` bytes; stops before a line over `limit` (noted in `overlong`)."""
    offset, line = 0, 1
    while block := stream.read(size):
        if not block.endswith(b"\n"):
            block += stream.readline(limit + 1)
        if len(block) > limit:
            too_long = _first_line_over(block, limit)
            if too_long is not None:
                cut = sum(len(part) + 1 for part in block.split(b"\n")[:too_long])
                if cut:
                    yield offset, cut, line
                overlong.append(line + too_long)
                return
        yield offset, len(block), line
        offset += len(block)
        line += block.count(b"\n")


def _first_line_over(block: bytes, limit: int) -> int | None:
    """The 0-based index of the first line of `block` longer than `limit` (its LF not counted)."""
    for index, part in enumerate(block.split(b"\n")):
        if len(part) > limit:
            return index
    return None


def _identity(stream: BinaryIO) -> tuple[int, int]:
    status = os.fstat(stream.fileno())
    return status.st_dev, status.st_ino


def _open_what_the_run_opened(path: str, opened: tuple[int, int, tuple[int, int]]) -> BinaryIO:
    """The file the main process opened, even if it has since been renamed, rotated or deleted.

    On Linux the main process's descriptor is reachable as /proc/PID/fd/N; elsewhere the file is
    opened by name and must still be the same file.
    """
    pid, descriptor, identity = opened
    try:
        return open(f"/proc/{pid}/fd/{descriptor}", "rb")  # noqa: PTH123 - a worker's own handle
    except OSError:
        stream = open(path, "rb")  # noqa: PTH123, SIM115
        if _identity(stream) != identity:
            stream.close()
            raise OSError(f"{path} was replaced during the run (rotated or deleted)") from None
        return stream


def check_line_span(
    span: Span, options: RunOptions, format_name: str, path: str, opened: tuple[int, int, tuple[int, int]]
) -> Tally:
    """Check one byte range of whole lines of a line-based file (runs in a worker process)."""
    offset, length, first_line = span
    try:
        with _open_what_the_run_opened(path, opened) as stream:
            block = os.pread(stream.fileno(), length, offset)
    except OSError as error:
        return Tally(
            read_problems=1, located=[problem(f"cannot read lines {first_line}ff.: {os_message(error)}", "io")]
        )
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()  # the empty string after the last line end
    return check_line_batch(list(enumerate(lines, start=first_line)), options, format_name)


def check_line_batch(batch: list[tuple[int, bytes]], options: RunOptions, format_name: str) -> Tally:
    """Check some numbered lines of a line-based input (runs in a worker process with --jobs)."""
    is_clean = _clean_check(options)
    line_format = FORMATS[format_name]
    items = (line_format.read_line(number, raw, is_clean) for number, raw in batch)
    tally = check_items((item for item in items if item is not None), options)
    tally.bytes_read = sum(len(raw) for _, raw in batch)
    return tally


def _failed_batch(batch: list[tuple[int, bytes]], why: str) -> Tally:
    first, last = batch[0][0], batch[-1][0]
    return Tally(read_problems=1, located=[internal_problem(f"{why} (lines {first}-{last})", first, first)])


def _failed_span(span: Span, why: str) -> Tally:
    return Tally(read_problems=1, located=[internal_problem(f"{why} (lines from {span[2]})", span[2], span[2])])


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
            tally.located.append(internal_problem(message, item.index))
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

    found = check_stream(capture.text, options.settings, fast=options.fast)
    return [replace(finding, document=finding.event) for finding in found]
