"""Messages that say what to do, not only where: each input in `tests/messages/` and the report it must get.

`<name>.<ext>` is run through the command as a user would (`completion-validator <name>.<ext>`,
or with the arguments in `<name>.args`, one a line); `<name>.expected` is the whole text report.
`UPDATE_GOLDEN=1` rewrites the expected reports (read the diff before committing it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_helpers import cli

MESSAGES = Path(__file__).parent / "messages"
INPUTS = sorted(path for path in MESSAGES.iterdir() if path.suffix not in {".expected", ".args", ".stdin"})


@pytest.mark.parametrize("path", INPUTS, ids=lambda path: path.name)
def test_the_report_says_what_the_input_is_and_what_to_do(path: Path) -> None:
    arguments_file = path.with_suffix(".args")
    arguments = arguments_file.read_text().split("\n")[:-1] if arguments_file.exists() else [path.name]
    stdin_file = path.with_suffix(".stdin")
    stdin = stdin_file.read_bytes() if stdin_file.exists() else None
    run = cli("--no-progress", *arguments, cwd=MESSAGES, stdin=stdin)
    expected_file = path.with_suffix(".expected")
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(run.stdout + run.stderr)
    assert run.stdout + run.stderr == expected_file.read_text()
