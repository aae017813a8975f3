"""`--format text`: `file:line:col: error: $.path: message [keyword]` lines, as compilers and linters print them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO

from completion_validator._reporters._lines import one_line, path_shown
from completion_validator._results import FileResult, Summary
from completion_validator.errors import Finding


def use_color(choice: str, stream: IO[str]) -> bool:
    """Colour for `--color auto|always|never`; auto means a terminal, unless NO_COLOR is set."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


_WRITTEN = 4096  # lines' ends kept, at most...
_WRITTEN_MESSAGE = 512  # ...each of a message this long at most


class TextReporter:
    """One line per finding, then a one-line summary."""

    def __init__(self, stream: IO[str], *, color: bool, quiet: int = 0, statistics: bool = False) -> None:
        self._stream = stream
        self._quiet = quiet
        self._statistics = statistics
        bold, red, yellow, dim, reset = (
            ("\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m") if color else ("",) * 5
        )
        self._styles = {"location": bold, "error": red + bold, "warning": yellow + bold, "keyword": dim, "reset": reset}
        self._written: dict[tuple[object, ...], str] = {}
        self._around: dict[tuple[object, ...], tuple[str, str]] = {}  # what a line shows before and after the message
        self._file: str | None = None
        self._file_shown = ""

    def finding(self, finding: Finding) -> None:
        """Print one line for the finding (with -q errors only; with -qq nothing)."""
        self.findings((finding,))

    def findings(self, found: Sequence[Finding]) -> None:
        """Print a line for each finding, in one write (a log's block may have one on every line)."""
        if self._statistics or self._quiet >= 2:
            return
        errors_only = self._quiet == 1
        written, style = self._written, self._styles
        location, reset = style["location"], style["reset"]
        lines = []
        for finding in found:
            if errors_only and finding.severity != "error":
                continue
            # What follows the location is the same for every line of a log with one problem: written
            # once per record (short ones only, a few thousand at most), not escaped anew per line.
            key = (finding.severity, finding.keyword, finding.path, finding.message)  # the path: is it the root
            rest = written.get(key)
            if rest is None:  # a message of its own (each line's counts): only the message is escaped anew
                around = self._around.get(key[:3])
                if around is None:
                    around = (
                        f"{style[finding.severity]}{finding.severity}{reset}: {path_shown(finding)}",
                        f" {style['keyword']}[{finding.keyword}]{reset}\n",
                    )
                    if len(self._around) < _WRITTEN:
                        self._around[key[:3]] = around
                rest = around[0] + one_line(finding.message) + around[1]
                if len(written) < _WRITTEN and len(finding.message) <= _WRITTEN_MESSAGE:
                    written[key] = rest
            if finding.file != self._file:  # a run's findings come file by file: the name is escaped once per file
                self._file, self._file_shown = finding.file, one_line(finding.file or "")
            line = finding.line
            where = self._file_shown if line is None else f"{self._file_shown}:{line}:{finding.column}"
            lines.append(f"{location}{where}{reset}: {rest}")
        if lines:
            self._stream.write("".join(lines))

    def file(self, result: FileResult) -> None:
        """Nothing per file: the lines say it all."""

    def finish(self, summary: Summary) -> None:
        """Print the one-line summary (with -q only when something failed; never with -qq).

        So -q prints nothing at all when the run exits 0: warnings alone do not fail a run.
        """
        if self._quiet >= 2 or (self._quiet == 1 and summary.exit_status == 0):
            return
        if self._statistics:
            self._stream.write(statistics_table(summary))
        self._stream.write(summary.describe() + "\n")
        self._stream.flush()


def statistics_table(summary: Summary) -> str:
    """Findings per keyword or rule id, most frequent first: `  1204  enum`."""
    counts = sorted(summary.keywords.items(), key=lambda item: (-item[1], item[0]))
    if not counts:
        return ""
    width = len(f"{counts[0][1]:,}")
    return "".join(f"{count:>{width},}  {keyword}\n" for keyword, count in counts)
