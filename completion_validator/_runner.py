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
from collections.abc import Iterable, Iterator
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NamedTuple

from completion_validator._inputs import (
    FORMATS,
    Capture,
    InputFormat,
    Item,
    NumberedLines,
    format_of,
    is_compressed,
    is_regular,
    join_lines,
    looks_like_yaml,
    read_bytes,
    read_path,
    sniff_stream,
)
from completion_validator._inputs._items import os_message, problem
from completion_validator._inputs._limits import (
    DEFAULT_MAX_DOCUMENT_SIZE,
    GZIP_MAGIC,
    READ_FAILURES,
    Broken,
    TooLong,
    broken_finding,
    failure_reason,
    first_line_too_long,
    gunzip,
    line_too_long,
    open_maybe_compressed,
)
from completion_validator._inputs.files import Excluded, Source, expand
from completion_validator._inputs.read_jsonl import pretty_printed
from completion_validator._jsontext import Position
from completion_validator._reporters import Reporter
from completion_validator._results import FileResult, Report, Summary
from completion_validator._settings import Settings
from completion_validator._tally import tally_block, tally_capture, tally_items, tally_lines, unreadable
from completion_validator._workers import Workers, available_cpus, internal_problem
from completion_validator.errors import Finding

if TYPE_CHECKING:
    from completion_validator._fastpath._judge import Judge
    from completion_validator._progress import Progress

BATCH_LINES = 2_000  # lines per batch read by the main process (stdin, --jobs 1)
# ...and bytes at most: a batch and its findings (which hold the values they show) are in memory
# at once, and 2,000 long lines would be gigabytes.
BATCH_BYTES = 4 << 20
SPAN_BYTES = 1 << 20  # bytes per range a worker reads itself (files, --jobs > 1)
_PIECE = 1 << 20  # bytes of a long line read at a time
# Lines per range at most: what a worker hands back grows with the findings of its lines, and a
# megabyte of `{}` lines is 350,000 documents with five findings each (3 GB in flight, unbounded).
SPAN_LINES = BATCH_LINES
NO_DOCUMENTS = "no documents in this input: it is empty or holds only blank lines"
WORKER_DIED = "a worker process died during this input; the lines it held were checked again in this process"
Span = tuple[int, int, int]  # offset, length, number of the first line


class RunOptions(NamedTuple):
    """How to check (profile and rules), the error cap, the input format, the worker processes."""

    settings: Settings = Settings()
    max_errors: int | None = None
    input_format: str | None = None
    debug: bool = False
    jobs: int = 1
    # The engine: the fast path where it can vouch (`--engine auto`), or jsonschema alone.
    fast: bool = True
    max_document_size: int = DEFAULT_MAX_DOCUMENT_SIZE
    # Folder scans: follow symbolic links that leave the folder; files never to read (the report).
    follow_links: bool = False
    exclude: frozenset[tuple[int, int]] = frozenset()
    excluded: Excluded = Excluded()


def _unreadable(finding: Finding) -> Report:
    report = Report(max_findings=None)
    unreadable(report, finding)
    return report


def default_jobs() -> int:
    """All the cores this process may use (also the most `--jobs` starts)."""
    return available_cpus()


@cache
def _judge(options: RunOptions) -> Judge | None:
    """The judge for these options (built once per process; None for the reference engine or without the libraries)."""
    if not options.fast:
        return None
    from completion_validator._fastpath._judge import judge

    return judge(options.settings)


def run(paths: list[str], options: RunOptions, reporter: Reporter, progress: Progress | None = None) -> Summary:
    """Check every input, report as results come, and return the totals."""
    summary = Summary()
    sources: Iterable[Source] = expand(
        paths, follow_links=options.follow_links, exclude=options.exclude, excluded=options.excluded
    )
    if progress is not None:  # the totals need every source up front (a scan is done whole anyway)
        sources = list(sources)
        progress.set_totals(sum(_size(source) for source in sources), len(sources))
    died_before = False
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
                name = source.name
                result = FileResult(name)
                summary.files.append(result)
                for tally in _tallies(source, options, workers):
                    result.add(tally)
                    if tally.keywords:  # a clean file's are empty: Counter.update costs a Python call
                        summary.keywords.update(tally.keywords)
                    if tally.findings:
                        if progress is not None:
                            progress.clear()
                        # one call for a block's findings (a log may have one on every line)
                        reporter.findings(
                            [
                                located if located.file is not None else located.in_file(name)
                                for located in tally.findings
                            ]
                        )
                    if progress is not None:
                        progress.advance(documents=tally.documents + tally.unreadable, bytes_done=tally.bytes_read)
                if progress is not None:
                    progress.advance(files=1)
                if workers.broken and not died_before:
                    died_before = True
                    result.warnings += 1
                    _report(reporter, progress, Finding(None, "internal", WORKER_DIED, severity="warning", file=name))
                if not result.documents and not result.read_problems:
                    result.warnings += 1
                    _report(reporter, progress, Finding(None, "no-input", NO_DOCUMENTS, severity="warning", file=name))
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
    if source.path is None:
        return 0
    path = Path(source.path)
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


def _chosen_format(options: RunOptions) -> InputFormat | None:
    return FORMATS[options.input_format] if options.input_format else None


def _tallies(source: Source, options: RunOptions, workers: Workers) -> Iterator[Report]:
    """What one input holds: line-based inputs in batches (possibly in workers), anything else in one go.

    Whatever the source — stdin, a FIFO, `<(curl ...)`, a compressed file — JSON Lines is read
    as a stream of batches, each reported as it is checked, each line within the limit; only a
    regular, uncompressed file is cut into byte ranges that workers read themselves.
    """
    if source.problem is not None:
        yield _unreadable(problem(source.problem, "no-input"))
        return
    chosen = _chosen_format(options)
    limit = options.max_document_size
    if source.path is None:
        yield from _stream_tallies(_stdin(), chosen, options, workers, source.name)
        return
    named = chosen or source.named
    if named is None or named.line_based:
        path = Path(source.path)
        named = named or format_of(path)
        if named is not None and named.line_based:
            if is_regular(path) and not is_compressed(path):
                yield from _file_tallies(path, named, options, workers, source.name)
            else:  # compressed JSON Lines, or a stream: read as stdin is
                yield from _opened_stream_tallies(path, named, options, workers, source.name)
            return
        if named is None and not is_regular(path):  # a stream with no suffix (`<(curl ...)`): sniffed
            yield from _opened_stream_tallies(path, named, options, workers, source.name)
            return
    # a file named as one document (.json, .yaml, .sse) is read whole, whatever it is: no stat for it
    yield from check_items(read_path(source.path, chosen, limit, named), options)


def _opened_stream_tallies(
    path: Path, named: InputFormat | None, options: RunOptions, workers: Workers, name: str
) -> Iterator[Report]:
    try:
        stream = open_maybe_compressed(path)
    except READ_FAILURES as error:
        yield _unreadable(problem(failure_reason(error), "io"))
        return
    with stream:
        yield from _stream_tallies(stream, named, options, workers, name)


def _stream_tallies(
    stream: BinaryIO, chosen: InputFormat | None, options: RunOptions, workers: Workers, name: str
) -> Iterator[Report]:
    """A stream's reports: JSON Lines in batches as they come, anything else read whole within the limit."""
    limit = options.max_document_size
    chosen, lines = sniff_stream(stream, chosen, limit)
    if chosen.line_based:
        yield from _line_tallies(lines, chosen, options, workers, name)
        return
    data = join_lines(lines, limit)
    if isinstance(data, Finding):
        if data.keyword == "limit" and options.input_format is None:
            # unnamed input whose first line is already over the limit: one JSON document or
            # JSON Lines cannot be told apart, so say what is true of both
            data = first_line_too_long(limit)
        yield _unreadable(data)
    elif options.input_format is None and chosen.name == "json" and looks_like_yaml(data):
        message = "this input is not JSON but looks like YAML: read it as YAML with --input-format yaml"
        yield _unreadable(problem(message, "parse", Position(1, 1)))
    else:
        yield from check_items(read_bytes(data, chosen), options)


def _file_tallies(path: Path, named: InputFormat, options: RunOptions, workers: Workers, name: str) -> Iterator[Report]:
    """A regular JSON Lines file: byte ranges that workers read themselves, or batches in this process."""
    limit = options.max_document_size
    try:
        stream = path.open("rb")
    except OSError as error:
        yield _unreadable(problem(os_message(error), "io"))
        return
    with stream:
        if workers.jobs > 1:  # workers read their own byte ranges of the file this run opened
            pretty = pretty_printed(stream.readline(64))
            if pretty is not None:
                yield _unreadable(pretty)
                return
            stream.seek(0)
            overlong: list[int] = []
            opened = (os.getpid(), stream.fileno(), _identity(stream))
            spans = _spans(stream, SPAN_BYTES, limit, overlong)
            yield from workers.map(check_line_span, spans, _failed_span, options, named.name, str(path), opened, name)
            if overlong:
                yield _unreadable(line_too_long(overlong[0], limit))
        else:
            yield from _block_tallies(stream, named, options, name)


def _stdin() -> BinaryIO:
    """Standard input's bytes, decompressed on the fly when they start with gzip's magic bytes."""
    stream = sys.stdin.buffer
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(2)[:2] == GZIP_MAGIC:
        return gunzip(stream, owned=False)
    return stream


def _line_tallies(
    lines: NumberedLines, chosen: InputFormat, options: RunOptions, workers: Workers, name: str
) -> Iterator[Report]:
    ended: list[Finding] = []  # why the lines ended early, if they did
    first = next(lines, None)
    if first is None:
        return
    if isinstance(first, tuple) and first[0] == 1 and (pretty := pretty_printed(first[1])) is not None:
        yield _unreadable(pretty)
        return
    lines = itertools.chain((first,), lines)

    def batches() -> Iterator[list[tuple[int, bytes]]]:
        batch: list[tuple[int, bytes]] = []
        size = 0
        for entry in lines:
            if isinstance(entry, TooLong):
                ended.append(line_too_long(entry.number, options.max_document_size))
                break
            if isinstance(entry, Broken):
                ended.append(broken_finding(entry.number, entry.reason))
                break
            batch.append(entry)
            size += len(entry[1])
            if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    yield from workers.map(check_line_batch, batches(), _failed_batch, options, chosen.name, name)
    if ended:
        yield _unreadable(ended[0])


def _block_tallies(stream: BinaryIO, named: InputFormat, options: RunOptions, name: str) -> Iterator[Report]:
    """A regular JSON Lines file checked in this process: read a block at a time, its lines read in place in C.

    What workers do with their byte ranges (`check_line_span`), without a second read: a log is
    not read line by line through Python (nor counted apart from its split).
    """
    limit = options.max_document_size
    blocks = _whole_lines(stream, SPAN_BYTES, limit)
    line = 1  # the next line to read
    while True:
        try:
            read = next(blocks, None)
        except READ_FAILURES as error:  # the disk failed under the run: what was read is kept
            yield _unreadable(broken_finding(line, failure_reason(error)))
            return
        if read is None:
            return
        block, too_long = read
        if line == 1 and (pretty := pretty_printed(block.split(b"\n", 1)[0])) is not None:
            yield _unreadable(pretty)
            return
        report, line = check_line_block(block, line, options, named.name, name)  # and the next line's number
        report.bytes_read = len(block)  # the line ends too: a progress bar ends at the size
        yield report
        if too_long is not None:  # the block stopped before it: the lines above are all there is
            yield _unreadable(line_too_long(line, limit))
            return


def _spans(
    stream: BinaryIO, size: int, limit: int, overlong: list[int], most_lines: int = SPAN_LINES
) -> Iterator[Span]:
    """Consecutive whole-line ranges of about `size` bytes and at most `most_lines` lines.

    Stops before a line over `limit` (noted in `overlong`).
    """
    for offset, block, line in _blocks(stream, size, limit, overlong):
        yield from _split_block(offset, block, line, most_lines)


def _split_block(offset: int, block: bytes, line: int, most_lines: int) -> Iterator[Span]:
    """A block of whole lines, read at `offset`, cut into ranges of at most `most_lines` lines (`bytes.find`)."""
    length = len(block)
    start = 0
    while start < length:
        end, count = start, 0
        while count < most_lines:
            found = block.find(b"\n", end)
            if found < 0:
                end = length
                break
            end, count = found + 1, count + 1
        yield offset + start, end - start, line
        line += count
        start = end


def _blocks(stream: BinaryIO, size: int, limit: int, overlong: list[int]) -> Iterator[tuple[int, bytes, int]]:
    """Consecutive blocks of whole lines of about `size` bytes, with their offsets and first line numbers.

    Stops before a line over `limit` (noted in `overlong`).
    """
    offset, line = 0, 1
    for block, too_long in _whole_lines(stream, size, limit):
        if block:
            yield offset, block, line
        if too_long is not None:
            overlong.append(line + too_long)
            return
        offset += len(block)
        line += block.count(b"\n")


def _whole_lines(stream: BinaryIO, size: int, limit: int) -> Iterator[tuple[bytes, int | None]]:
    """Blocks of whole lines of about `size` bytes; the last is cut before a line over `limit`.

    Each comes with None, but for that last one: with how many lines come before the long one in
    it (its line number, less the block's first). Lines are not counted here: a reader that
    splits the block counts them as it does.
    """
    while block := stream.read(size):
        over_at = None  # the index of a line over the limit that the block was cut before
        if not block.endswith(b"\n"):
            start = block.rfind(b"\n") + 1  # where the line the block stopped in starts
            rest = _rest_of_line(stream, limit - (len(block) - start))
            if rest is None:
                block, over_at = block[:start], block.count(b"\n", 0, start)
            else:
                block = b"".join([block, *rest])  # one copy, however many pieces
        if len(block) > limit:
            too_long = _first_line_over(block, limit)
            if too_long is not None:  # a line before is over the limit too: it is the first
                cut = sum(len(part) + 1 for part in block.split(b"\n")[:too_long])
                yield block[:cut], too_long
                return
        yield block, over_at
        if over_at is not None:
            return


def _rest_of_line(stream: BinaryIO, room: int) -> list[bytes] | None:
    """The rest of a line (its LF last), in pieces; None if it holds more than `room` bytes before its LF.

    Read a megabyte at a time and refused as soon as it passes: a line longer than the limit is
    never held whole (one `readline(limit + 1)`, then the block joined to it, held twice the
    limit: 220 MB for a 100 MiB limit).
    """
    pieces: list[bytes] = []
    length = 0  # bytes of the line read, its LF not counted
    while length <= room:
        piece = stream.readline(min(_PIECE, room + 2 - length))  # room + 1 bytes and a LF at most
        if not piece:
            break
        pieces.append(piece)
        if piece.endswith(b"\n"):
            length += len(piece) - 1
            break
        length += len(piece)
    return None if length > room else pieces


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
    span: Span,
    options: RunOptions,
    format_name: str,
    path: str,
    opened: tuple[int, int, tuple[int, int]],
    name: str | None = None,
) -> Report:
    """Check one byte range of whole lines of a line-based file (runs in a worker process); `name`: as shown."""
    offset, length, first_line = span
    try:
        with _open_what_the_run_opened(path, opened) as stream:
            block = os.pread(stream.fileno(), length, offset)
    except OSError as error:
        message = f"cannot read the lines from {first_line} on: {os_message(error)}"
        return _unreadable(problem(message, "io", index=first_line))
    report, _ = check_line_block(block, first_line, options, format_name, name)
    report.bytes_read = len(block)  # the line ends too: a progress bar ends at the file's size
    return report


def check_line_block(
    block: bytes, first_line: int, options: RunOptions, format_name: str, file: str | None = None
) -> tuple[Report, int]:
    """Check the lines of a block of whole lines, the first numbered `first_line` (the count path).

    The lines are read where they are in the block (`tally_block`): not split into a list first.
    Returns the report and the number of the line after the block's last.
    """
    return tally_block(
        block,
        first_line,
        options.settings,
        _judge(options),  # built once per process, and before the workers fork
        max_errors=options.max_errors,
        debug=options.debug,
        format_name=format_name,
        file=file,
    )


def check_line_batch(
    batch: list[tuple[int, bytes]], options: RunOptions, format_name: str, file: str | None = None
) -> Report:
    """Check some numbered lines of a line-based input (in a worker process with --jobs): the count path.

    `file`: the input's name as the run shows it, given to the findings placed here.
    """
    report = tally_lines(
        batch,
        options.settings,
        _judge(options),  # built once per process, and before the workers fork
        max_errors=options.max_errors,
        debug=options.debug,
        format_name=format_name,
        file=file,
    )
    report.bytes_read = sum(map(len, map(itemgetter(1), batch)))  # no Python frame per line
    return report


def check_items(items: Iterable[Item], options: RunOptions) -> Iterator[Report]:
    """Check the items of a whole input (not line-based) with the run's options: the count path.

    A stream capture's findings come as they are found (`tally_capture`), in reports of a bounded
    size; the other items of an input are counted together.
    """
    judge, pending = _judge(options), list[Item]()
    for item in items:
        if isinstance(item, Capture):
            if pending:
                yield tally_items(pending, options.settings, judge, max_errors=options.max_errors, debug=options.debug)
                pending = []
            yield from tally_capture(item, options.settings, judge, max_errors=options.max_errors, debug=options.debug)
        else:
            pending.append(item)
    if pending:
        yield tally_items(pending, options.settings, judge, max_errors=options.max_errors, debug=options.debug)


def _failed_batch(batch: list[tuple[int, bytes]], why: str) -> Report:
    first, last = batch[0][0], batch[-1][0]
    return _unreadable(internal_problem(f"{why} (lines {first}-{last})", first, first))


def _failed_span(span: Span, why: str) -> Report:
    return _unreadable(internal_problem(f"{why} (lines from {span[2]})", span[2], span[2]))
