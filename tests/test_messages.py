"""Messages that say what to do, not only where: each input in `tests/messages/` and the report it must get.

Each `<name>.expected` is the whole text report of running the command as a user would on
`<name>.<ext>` (`completion-validator <name>.<ext>`), or with the arguments in `<name>.args`
(one a line) and the standard input in `<name>.stdin`.
`UPDATE_GOLDEN=1` rewrites the expected reports (read the diff before committing it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_helpers import cli

MESSAGES = Path(__file__).parent / "messages"
CASES = sorted(MESSAGES.glob("*.expected"))


def _arguments(expected_file: Path) -> list[str]:
    arguments_file = expected_file.with_suffix(".args")
    if arguments_file.exists():
        return arguments_file.read_text().split("\n")[:-1]
    (named,) = (path.name for path in MESSAGES.glob(expected_file.stem + ".*") if path.suffix != ".expected")
    return [named]


@pytest.mark.parametrize("expected_file", CASES, ids=lambda path: path.stem)
def test_the_report_says_what_the_input_is_and_what_to_do(expected_file: Path) -> None:
    stdin_file = expected_file.with_suffix(".stdin")
    stdin = stdin_file.read_bytes() if stdin_file.exists() else None
    run = cli("--no-progress", *_arguments(expected_file), cwd=MESSAGES, stdin=stdin)
    if os.environ.get("UPDATE_GOLDEN"):
        expected_file.write_text(run.stdout + run.stderr)
    assert run.stdout + run.stderr == expected_file.read_text()
