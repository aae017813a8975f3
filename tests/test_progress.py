"""Progress on a long run: shown on a real (pseudo-)terminal, never in a pipe, in CI or when asked not to."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli_helpers import SCRIPT
from tests.hostile.inputs import jsonl

CLEAR = "\r\x1b[K"


@pytest.fixture(scope="module")
def long_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return jsonl(tmp_path_factory.mktemp("progress") / "log.jsonl", 60_000, invalid_every=12_000)


def _run_on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[str, str, int]:
    """Run the command with stderr on a pseudo-terminal and stdout on a pipe; return (stdout, terminal, status)."""
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    environment |= {"COMPLETION_VALIDATOR_PROGRESS_DELAY": "0"} | (env or {})
    controller, terminal = pty.openpty()
    command = subprocess.Popen(
        [str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=terminal, env=environment, text=True
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done with it
                break
            if not chunk:
                break
            seen += chunk
        elif command.poll() is not None:
            break
    os.close(controller)
    stdout, _ = command.communicate(timeout=60)
    return stdout, seen.decode("utf-8", "replace"), command.returncode


def test_progress_shows_on_a_terminal_and_is_cleared_before_findings(long_log: Path) -> None:
    stdout, terminal, status = _run_on_a_terminal("--jobs", "1", str(long_log))
    assert status == 1
    assert "checked " in terminal
    assert " documents (" in terminal
    assert "MiB" in terminal
    assert "of 1 files" in terminal
    assert terminal.endswith(CLEAR), terminal[-200:]  # nothing left on the line at the end
    assert all(line.endswith("[enum]") for line in stdout.splitlines()[:-1])
    assert " documents (" not in stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-progress"], {}),
        ([], {"CI": "true"}),
        (["--format", "json"], {}),
        (["-qq"], {}),
    ],
    ids=["no-progress", "ci", "json", "quiet"],
)
def test_no_progress_when_not_wanted(long_log: Path, args: list[str], env: dict[str, str]) -> None:
    _, terminal, _ = _run_on_a_terminal("--jobs", "1", *args, str(long_log), env=env)
    assert "checked " not in terminal


def test_no_progress_in_a_pipe(long_log: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    environment["COMPLETION_VALIDATOR_PROGRESS_DELAY"] = "0"
    result = subprocess.run([str(SCRIPT), str(long_log)], capture_output=True, text=True, env=environment, check=False)
    assert result.stderr == ""
