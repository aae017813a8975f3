"""Running the command: in-process through `main(argv)` (most tests), or as the real console script."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from completion_validator.cli import main

SCRIPT = Path(sys.executable).parent / "completion-validator"
_QUIET_ENV = {"NO_COLOR": "", "FORCE_COLOR": ""}


def script(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `completion-validator ARGS` in a subprocess and capture its output as text."""
    environment = {**os.environ, **_QUIET_ENV, **(env or {})}
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        check=False,
    )


class _Stdin(io.TextIOWrapper):
    """A text stdin over bytes, as `sys.stdin` is (the runner reads `sys.stdin.buffer`)."""


@contextlib.contextmanager
def _stdin(data: bytes) -> Iterator[None]:
    with mock.patch.object(sys, "stdin", _Stdin(io.BytesIO(data), encoding="utf-8")):
        yield


def cli(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `main([ARGS])` in this process, with stdin, cwd and environment as given; capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, {**_QUIET_ENV, **(env or {})}))
        stack.enter_context(_stdin(stdin or b""))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors, --help
            status = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(["completion-validator", *args], status, out.getvalue(), err.getvalue())
