"""Where a report goes with `-o`: never over an input, never half-written.

The report is written to a temporary file beside its destination (hidden, so a folder scan
passes over it) and renamed into place once the run has ended; a run that fails to write leaves
the destination as it was. An output that is one of the inputs is refused before anything is
opened for writing, and one that sits in a folder being scanned (last run's report) is left out
of the scan. An output that is not a regular file (a FIFO, /dev/stdout) is written directly.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO, TypeVar

from completion_validator._inputs.files import FileId, file_id

if TYPE_CHECKING:
    from completion_validator._reporters import Reporter
    from completion_validator._results import FileResult, Summary
    from completion_validator.errors import Finding


class OutputIsAnInput(ValueError):
    """`-o` names a file the run would read."""


class ReportNotWritten(Exception):
    """Writing the report failed (a full disk, /dev/full, a full $TMPDIR): `reason` says why."""

    def __init__(self, error: OSError) -> None:
        self.reason = (error.strerror or type(error).__name__).lower()
        super().__init__(self.reason)


@contextlib.contextmanager
def written() -> Iterator[None]:
    """Turn a failure to write (but not a reader gone away: `| head`) into `ReportNotWritten`."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise ReportNotWritten(error) from None


class ReportFile(NamedTuple):
    """The report's stream, and the files a folder scan must leave out."""

    stream: TextIO
    exclude: frozenset[FileId]


@contextlib.contextmanager
def report_file(destination: Path, inputs: list[str]) -> Iterator[ReportFile]:
    """Where the report goes: written beside `destination`, renamed into place when the block ends without error."""
    target = file_id(destination)
    if target is not None:
        for raw in inputs:
            if raw != "-" and file_id(Path(raw)) == target:
                raise OutputIsAnInput(
                    f"--output-file {destination} is also an input: the report would overwrite it; "
                    "write the report elsewhere"
                )
    exclude = frozenset({target} if target is not None else ())
    try:
        regular = target is None or stat.S_ISREG(destination.stat().st_mode)
    except OSError:
        regular = True
    if not regular:  # a FIFO, a terminal, /dev/stdout: nothing to rename
        stream = destination.open("w", encoding="utf-8", errors="backslashreplace")
        try:
            yield ReportFile(stream, exclude)
        finally:
            with written():
                stream.close()
        return
    import tempfile  # only with -o: a plain run imports nothing it does not use

    descriptor, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    temporary = Path(name)
    try:
        temporary.chmod(0o666 & ~_umask())  # as `open` would have made it, not mkstemp's 0600
        stream = open(descriptor, "w", encoding="utf-8", errors="backslashreplace")  # noqa: PTH123, SIM115
        try:
            yield ReportFile(stream, exclude)
        except BaseException:
            with contextlib.suppress(OSError):
                stream.close()
            raise
        with written():
            stream.close()
        temporary.replace(destination)  # not reached when the run or the last write failed
    finally:
        temporary.unlink(missing_ok=True)  # renamed already, or not to be kept


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_Written = TypeVar("_Written")


class _Guarded:
    """A reporter whose every write that fails raises `ReportNotWritten` (reading never happens in a reporter)."""

    def __init__(self, reporter: Reporter) -> None:
        self._reporter = reporter

    def finding(self, finding: Finding) -> None:
        _write(self._reporter.finding, finding)

    def findings(self, found: Sequence[Finding]) -> None:
        _write(self._reporter.findings, found)

    def file(self, result: FileResult) -> None:
        _write(self._reporter.file, result)

    def finish(self, summary: Summary) -> None:
        _write(self._reporter.finish, summary)


def _write(method: Callable[[_Written], None], argument: _Written) -> None:
    """`method(argument)`, a failure to write turned as `written()` turns it.

    A call, not the context manager: a log can have a finding on every line and a folder a
    thousand files, and entering a context manager costs a microsecond each time.
    """
    try:
        method(argument)
    except BrokenPipeError:
        raise
    except OSError as error:
        raise ReportNotWritten(error) from None


def guarded(reporter: Reporter) -> Reporter:
    """`reporter`, with a failure to write turned into `ReportNotWritten`."""
    return _Guarded(reporter)
