"""Running the real console script on hostile input, guarded: a wall-clock timeout and an address-space limit.

The timeouts and limits are guards against hangs and runaway memory, not speed assertions: a
case that passes takes a fraction of them.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.cli_helpers import SCRIPT

MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the command (and of each worker)
TIMEOUT = 60.0
# One finding per line: `file:line:col: severity: ... [keyword]`, or `file: severity: ... [keyword]`.
FINDING_LINE = r"^.*?(:\d+:\d+)?: (error|warning): .* \[[a-zA-Z-]+\]$"


@dataclass(frozen=True)
class Outcome:
    """What the command did: its status, its output as bytes, its error stream as text."""

    status: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        """Standard output, which must be valid UTF-8 whatever the input held."""
        return self.stdout.decode("utf-8")


def _limit_memory(limit: int) -> Callable[[], None]:
    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return limit_memory


def run_guarded(
    *args: str | Path,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    timeout: float = TIMEOUT,
    memory: int = MEMORY_LIMIT,
) -> Outcome:
    """Run `completion-validator ARGS` with the guards; a hang fails the test (TimeoutExpired)."""
    environment = {**os.environ, "NO_COLOR": "", "FORCE_COLOR": ""}
    result = subprocess.run(
        [str(SCRIPT), *map(str, args)],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
        preexec_fn=_limit_memory(memory),
        check=False,
    )
    return Outcome(result.returncode, result.stdout, result.stderr.decode("utf-8", "replace"))


def run_python_guarded(code: str, timeout: float = TIMEOUT, memory: int = MEMORY_LIMIT) -> Outcome:
    """Run `code` in a fresh interpreter with the guards: for API cases whose failure is runaway memory."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        timeout=timeout,
        preexec_fn=_limit_memory(memory),
        check=False,
    )
    return Outcome(result.returncode, result.stdout, result.stderr.decode("utf-8", "replace"))


def assert_sane(outcome: Outcome, status: int, output_format: str = "text") -> str:
    """No traceback, the expected status, valid UTF-8, and output that keeps its shape; returns stdout."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.status == status, (outcome.status, outcome.text[-2000:], outcome.stderr[-2000:])
    text = outcome.text
    if output_format == "json":
        json.loads(text)
    elif output_format == "text":
        *findings, summary = text.splitlines()
        assert " checked: " in summary, summary
        for line in findings:
            assert __import__("re").match(FINDING_LINE, line), line
    return text
