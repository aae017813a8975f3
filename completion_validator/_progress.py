"""Progress on long runs: documents checked, their rate, bytes and files done — on a terminal only.

A 400,000-line log runs for seconds before its first finding; on a terminal the user wants to
know it is working. The line is drawn on stderr after the first second, redrawn at most ten
times a second, and cleared before anything else is printed, so findings never mix with it.
Pipes, CI (`CI` set) and machine formats never see it. Nothing here is imported on the short path.
"""

from __future__ import annotations

import os
import time
from typing import IO

_CLEAR = "\r\x1b[K"


def wanted(stream: IO[str], output_format: str, *, disabled: bool) -> bool:
    """Whether to show progress: asked for (not --no-progress), text output, a terminal, not in CI."""
    return not disabled and output_format == "text" and not os.environ.get("CI") and stream.isatty()


class Progress:
    """Counts as the run goes and draws one line; `clear()` before printing anything else."""

    def __init__(self, stream: IO[str], *, delay: float | None = None) -> None:
        if delay is None:  # the tests shorten the wait; a second is right for people
            delay = float(os.environ.get("COMPLETION_VALIDATOR_PROGRESS_DELAY", "1"))
        self._stream = stream
        self._total_bytes = 0
        self._total_files = 0
        self._start = time.monotonic()
        self._delay = delay
        self._drawn_at = 0.0
        self._shown = False
        self.documents = 0
        self.bytes_done = 0
        self.files_done = 0

    def set_totals(self, total_bytes: int, total_files: int) -> None:
        """What the run will read: bytes of the regular files among its inputs, and inputs."""
        self._total_bytes, self._total_files = total_bytes, total_files

    def advance(self, *, documents: int = 0, bytes_done: int = 0, files: int = 0) -> None:
        """Count work done; redraw if it is time to."""
        self.documents += documents
        self.bytes_done += bytes_done
        self.files_done += files
        now = time.monotonic()
        if now - self._start >= self._delay and now - self._drawn_at >= 0.1:
            self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.documents / max(now - self._start, 1e-9)
        parts = [f"checked {self.documents:,} documents ({rate:,.0f}/s)"]
        if self._total_bytes:
            parts.append(f"{_mib(min(self.bytes_done, self._total_bytes))} of {_mib(self._total_bytes)}")
        parts.append(f"{self.files_done} of {self._total_files} files")
        self._stream.write(_CLEAR + " · ".join(parts))
        self._stream.flush()
        self._drawn_at = now
        self._shown = True

    def clear(self) -> None:
        """Remove the line, if one is shown."""
        if self._shown:
            self._stream.write(_CLEAR)
            self._stream.flush()
            self._shown = False


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MiB"
