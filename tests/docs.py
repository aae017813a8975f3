"""The examples of the README and `docs/`, as a reader pastes them: blocks read from the Markdown, run, compared.

A page is run top to bottom in a directory of its own, empty at the start, as a reader would
paste its examples into a clean directory with the package installed:

- a ```console block holds `$ COMMAND` lines (a command goes on over lines ending in `\\` and
  through a heredoc) each followed by the output it must print, stdout and stderr together;
- a ```python block is a script, or, when it defines `test_` functions, a test module run by
  pytest (which must pass); the ```text block right after a script is what it must print on
  stdout (and it must exit 0: what an engine logs on stderr, a JVM's warnings, is not compared);
- `<!-- docs-test: skip REASON -->` before a block says why it is not run here (a live server,
  the set-up commands CI runs itself), and `<!-- docs-test: slow -->` runs it in the slow group
  only (the Dask and Spark recipes): such a block must need nothing the page made before it.

Other fences (yaml, json, text that follows no script) are not run. `UPDATE_DOCS=1` writes
what the examples print back into the pages (read the diff before committing it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import REPO

PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!-- docs-test: (skip|slow)\b\s*(.*?)\s*-->$")
_HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")
_TIMEOUT = 300


@dataclass
class Command:
    """One `$` command of a console block and the output the page shows for it (lines of the file)."""

    text: str
    output: list[str]
    output_start: int  # 0-based index in the page of the first output line


@dataclass
class Block:
    """A fenced block of a page: its language, lines, where it is, and how the page says to run it."""

    language: str
    lines: list[str]
    start: int  # 0-based index of the first line inside the fence
    directive: str | None = None  # "skip" or "slow"
    reason: str = ""
    output: Block | None = None  # a script's expected output: the text block right after it
    commands: list[Command] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"line {self.start}"

    @property
    def is_test_module(self) -> bool:
        return self.language == "python" and re.search(r"^def test_", "\n".join(self.lines), re.M) is not None


def read_blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, each with its directive, its expected output, its commands."""
    lines = page.read_text(encoding="utf-8").split("\n")
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opened = _FENCE.match(lines[index])
        if opened is None:
            index += 1
            continue
        end = lines.index("```", index + 1)
        block = Block(opened.group(1), lines[index + 1 : end], index + 1)
        before = _previous_non_blank(lines, index)
        directive = _DIRECTIVE.match(lines[before]) if before is not None else None
        if directive is not None:
            block.directive, block.reason = directive.group(1), directive.group(2)
        previous = blocks[-1] if blocks else None
        if (
            block.language == "text"
            and previous is not None
            and previous.language == "python"
            and not previous.is_test_module
            and all(not line.strip() for line in lines[previous.start + len(previous.lines) + 1 : index])
        ):
            previous.output = block
        elif block.language == "console":
            block.commands = _commands(block)
        blocks.append(block)
        index = end + 1
    return blocks


def _previous_non_blank(lines: list[str], index: int) -> int | None:
    for before in range(index - 1, -1, -1):
        if lines[before].strip():
            return before
    return None


def _commands(block: Block) -> list[Command]:
    commands: list[Command] = []
    index = 0
    lines = block.lines
    while index < len(lines):
        line = lines[index]
        if not line.startswith("$ "):
            if commands:
                commands[-1].output.append(line)
            index += 1
            continue
        text = [line[2:]]
        heredoc = _HEREDOC.search(line)
        while text[-1].endswith("\\") and index + 1 < len(lines):
            index += 1
            text.append(lines[index])
        if heredoc is not None:
            while index + 1 < len(lines) and lines[index].strip() != heredoc.group(1):
                index += 1
                text.append(lines[index])
        commands.append(Command("\n".join(text), [], block.start + index + 1))
        index += 1
    return commands


def environment() -> dict[str, str]:
    """A reader's shell: this interpreter's scripts first on PATH, no colour, no CI, no progress."""
    scripts = str(Path(sys.executable).parent)
    keep = {name: value for name, value in os.environ.items() if name in {"HOME", "LANG", "TMPDIR", "JAVA_HOME"}}
    return {
        **keep,
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
        "COLUMNS": "100",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def run_shell(command: str, cwd: Path) -> str:
    """What a command prints, stdout and stderr together, as a terminal shows them."""
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )
    return result.stdout


def run_python(block: Block, cwd: Path, number: int) -> tuple[int, str]:
    """Run a script (or a test module, with pytest) as a reader would; its status and what it printed."""
    source = "\n".join(block.lines) + "\n"
    if block.is_test_module:
        path = cwd / f"test_example_{number}.py"
        path.write_text(source)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", path.name]
    else:
        path = cwd / f"example_{number}.py"
        path.write_text(source)
        command = [sys.executable, path.name]
    result = subprocess.run(
        command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=_TIMEOUT, check=False
    )
    return result.returncode, result.stdout if result.returncode == 0 else result.stdout + result.stderr


@dataclass
class Mismatch:
    """An example that did not print what its page shows."""

    page: Path
    where: int  # 0-based line of the page where the shown output starts
    example: str
    shown: list[str]
    printed: list[str]

    def __str__(self) -> str:
        shown = "\n".join(f"    {line}" for line in self.shown)
        printed = "\n".join(f"    {line}" for line in self.printed)
        return (
            f"{self.page.relative_to(REPO)}:{self.where + 1}: {self.example}\n"
            f"  the page shows:\n{shown}\n  it printed:\n{printed}"
        )


def run_page(page: Path, cwd: Path, blocks: list[Block], *, slow: bool) -> list[Mismatch]:
    """Run the page's blocks in order (`slow`: only its slow ones) and say where one differs from the page."""
    mismatches: list[Mismatch] = []
    for number, block in enumerate(blocks):
        if block.directive == "skip" or (block.directive == "slow") != slow:
            continue
        if block.language == "console":
            for command in block.commands:
                printed = _lines(run_shell(command.text, cwd))
                if printed != _trimmed(command.output):
                    mismatches.append(Mismatch(page, command.output_start, command.text, command.output, printed))
        elif block.language == "python":
            status, output = run_python(block, cwd, number)
            if block.is_test_module:
                if status != 0:
                    mismatches.append(Mismatch(page, block.start, "the test module passes", [], _lines(output)))
                continue
            shown = block.output.lines if block.output is not None else []
            printed = _lines(output)
            if status != 0 or printed != _trimmed(shown):
                where = block.output.start if block.output is not None else block.start
                mismatches.append(Mismatch(page, where, f"the script at line {block.start}", shown, printed))
    return mismatches


def _lines(text: str) -> list[str]:
    return _trimmed(text.split("\n"))


def _trimmed(lines: list[str]) -> list[str]:
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def write_back(page: Path, blocks: list[Block], mismatches: list[Mismatch]) -> None:
    """Put what the examples printed in place of what the page showed (`UPDATE_DOCS=1`)."""
    lines = page.read_text(encoding="utf-8").split("\n")
    spans: dict[int, tuple[int, list[str]]] = {}  # first shown line -> (lines shown, lines printed)
    for block in blocks:
        for command in block.commands:
            spans[command.output_start] = (len(_trimmed(command.output)), command.output)
        if block.output is not None:
            spans[block.output.start] = (len(_trimmed(block.output.lines)), block.output.lines)
    for mismatch in sorted(mismatches, key=lambda m: m.where, reverse=True):
        start = mismatch.where
        if start not in spans:
            continue
        count, _ = spans[start]
        lines[start : start + count] = mismatch.printed
    page.write_text("\n".join(lines), encoding="utf-8")
