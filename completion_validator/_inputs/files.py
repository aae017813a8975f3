"""Which files a run reads: paths as given, directories searched for the suffixes of the format table."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from completion_validator._inputs import SUFFIXES, format_of
from completion_validator._inputs._items import os_message

STDIN = "-"


@dataclass(frozen=True)
class Source:
    """One input of a run: the name to show, the path (None for stdin), or why it cannot be used."""

    name: str
    path: Path | None
    problem: str | None = None
    # Why a directory scan passed over this entry (not a regular file): reported, never read.
    skipped: str | None = None


def expand(paths: list[str]) -> Iterator[Source]:
    """Each input of a run, directories expanded into the payload files below them."""
    for raw in paths:
        if raw == STDIN:
            yield Source("<stdin>", None)
            continue
        path = Path(raw)
        if path.is_dir():
            problems: list[tuple[Path, str]] = []
            skipped: list[tuple[Path, str]] = []
            found = sorted(_payload_files(path, problems, skipped, set()))
            for folder, problem in problems:
                yield Source(str(folder), folder, problem)
            for entry, reason in skipped:
                yield Source(str(entry), entry, skipped=reason)
            if not found and not problems:
                suffixes = ", ".join(sorted(SUFFIXES))
                yield Source(raw, path, f"no files ending in {suffixes} in this directory")
            for file in found:
                yield Source(str(file), file)
        else:
            yield Source(raw, path)


def _payload_files(
    folder: Path, problems: list[tuple[Path, str]], skipped: list[tuple[Path, str]], seen: set[Path]
) -> Iterator[Path]:
    """Payload files below `folder`; hidden entries skipped, symlink loops and unreadable folders reported.

    Only regular files are taken: a FIFO or a device named like a payload would block the run or
    never end. Name one on the command line to read it as a stream.
    """
    real = folder.resolve()
    if real in seen:
        return  # a symbolic link back to a folder already searched
    seen.add(real)
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        problems.append((folder, f"cannot list this directory: {os_message(error)}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _payload_files(entry, problems, skipped, seen)
        elif format_of(entry) is not None:
            if entry.is_file():
                yield entry
            else:
                skipped.append((entry, f"skipped: {_kind(entry)}, not a regular file (name it to read it as a stream)"))


def _kind(entry: Path) -> str:
    try:
        mode = entry.stat().st_mode
    except OSError:
        return "a broken link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"
