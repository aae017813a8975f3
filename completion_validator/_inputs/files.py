"""Which files a run reads: paths as given, directories searched for the suffixes of the format table."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import NamedTuple

from completion_validator._inputs import SUFFIXES, InputFormat, format_of_name
from completion_validator._inputs._items import os_message

STDIN = "-"

# What a directory scan passes over unless named: tooling files whose names end like a payload's
# (a package.json beside the fixtures is not an invalid completion), and folders of other tools.
# Hidden entries (.git, .venv, .github) are passed over already. A file named on the command line
# is always read.
DEFAULT_EXCLUDES = (
    "node_modules",
    "__pycache__",
    "package.json",
    "package-lock.json",
    "composer.json",
    "tsconfig*.json",
    "jsconfig.json",
    "manifest.json",
    "renovate.json",
    "*.schema.json",
    "pnpm-lock.yaml",
    "mkdocs.yml",
    "docker-compose.y*ml",
    "compose.y*ml",
)


class Excluded(NamedTuple):
    """Which entries of a directory scan are passed over: glob patterns, as ruff's `--exclude` reads them.

    A pattern without `/` is matched against each entry's name (`manifest.json`, `*.schema.json`,
    `node_modules`); one with `/` against its path relative to the folder scanned (`fixtures/old/*`).
    An excluded folder is not entered.
    """

    patterns: tuple[str, ...] = DEFAULT_EXCLUDES

    @classmethod
    def adding(cls, patterns: Iterable[str]) -> Excluded:
        """The defaults and `patterns` (each may hold several, comma-separated)."""
        extra = tuple(part.strip().rstrip("/") for value in patterns for part in value.split(",") if part.strip())
        return cls(DEFAULT_EXCLUDES + extra)

    def excludes(self, name: str, relative: str) -> bool:
        """Whether the entry `name`, at `relative` (a posix path from the folder scanned), is passed over."""
        by_name, by_path = _matchers(self.patterns)
        return by_name(name) is not None or by_path(relative) is not None


@cache
def _matchers(patterns: tuple[str, ...]) -> tuple[Callable[[str], object], Callable[[str], object]]:
    # one regular expression for the patterns of names, one for those of paths: a folder of a
    # thousand fixtures is not matched against each pattern in turn (`fnmatchcase` compiles
    # the same translations, so the answers are the same)
    def joined(chosen: list[str]) -> Callable[[str], object]:
        return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in chosen) or "(?!)").match

    return (
        joined([pattern for pattern in patterns if "/" not in pattern]),
        joined([pattern for pattern in patterns if "/" in pattern]),
    )


DEFAULT_EXCLUDED = Excluded()


class Source(NamedTuple):
    """One input of a run: the name to show, the path (None for stdin), or why it cannot be used."""

    name: str
    # As text: a folder of a thousand small files would spend more on pathlib's parsing than on reading them.
    path: str | None
    problem: str | None = None
    # Why a directory scan passed over this entry (not a regular file): reported, never read.
    skipped: str | None = None
    # The format its name says, where the walk has looked already.
    named: InputFormat | None = None


def expand(
    paths: list[str],
    *,
    follow_links: bool = False,
    exclude: frozenset[FileId] = frozenset(),
    excluded: Excluded = DEFAULT_EXCLUDED,
) -> Iterator[Source]:
    """Each input of a run, directories expanded into the payload files below them.

    A folder is walked without recursion (a tree a thousand levels deep is just deep), every
    entry that cannot be examined is reported at its path and the walk goes on, and a symbolic
    link that leads out of the folder named is reported as skipped unless `follow_links`: a tree
    from a pull request must not make the run read `/` or quote a file from elsewhere. Files in
    `exclude` (the report being written) and entries matching `excluded` are passed over.
    """
    for raw in paths:
        if raw == STDIN:
            yield Source("<stdin>", None)
            continue
        path = Path(raw)
        if _is_dir(path):
            problems: list[tuple[Path, str]] = []
            skipped: list[tuple[Path, str]] = []
            found = _payload_files(path, problems, skipped, follow_links, exclude, excluded)
            for folder, problem in sorted(problems):
                yield Source(str(folder), str(folder), problem)
            for entry, reason in sorted(skipped):
                yield Source(str(entry), str(entry), skipped=reason)
            if not found and not problems:
                suffixes = ", ".join(sorted(SUFFIXES))
                yield Source(raw, str(path), f"no files ending in {suffixes} in this directory")
            for file, named in found:
                yield Source(file, file, named=named)
        else:
            yield Source(raw, str(path))


FileId = tuple[int, int]  # device and inode


def file_id(path: Path) -> FileId | None:
    """The identity of the file at `path` (links followed), or None where there is none to read."""
    try:
        status = path.stat()
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _payload_files(
    root: Path,
    problems: list[tuple[Path, str]],
    skipped: list[tuple[Path, str]],
    follow_links: bool,
    exclude: frozenset[FileId],
    excluded: Excluded,
) -> list[tuple[str, InputFormat]]:
    """Payload files below `root` (as text) and their formats, in path order.

    Hidden entries are skipped; links out, loops and entries that cannot be examined are said.

    Only regular files are taken: a FIFO or a device named like a payload would block the run or
    never end. Name one on the command line to read it as a stream. Entries are listed with
    `os.scandir`, whose listing says what each entry is: a folder of a thousand fixtures costs
    no system call per file.
    """
    try:
        inside = root.resolve()
    except (OSError, RuntimeError):
        inside = root.absolute()
    seen: set[FileId] = set()
    found: list[tuple[tuple[str, ...], str, InputFormat]] = []  # sorted by parts, as paths sort
    pending: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, parts = pending.pop()
        identity = file_id(folder)
        if identity is None or identity in seen:
            continue  # gone since it was listed, or a link back to a folder already searched
        seen.add(identity)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=_name)
        except OSError as error:
            problems.append((folder, f"cannot list this directory: {os_message(error)}"))
            continue
        prefix = _child_prefix(folder)
        for entry in entries:
            name = entry.name
            relative = (*parts, name)
            if name.startswith(".") or excluded.excludes(name, "/".join(relative)):
                continue
            kind = _kind_of(entry, folder, inside, follow_links, problems, skipped)
            if kind == "folder":
                pending.append((folder / name, relative))
            elif (
                kind == "file"
                and (named := format_of_name(name)) is not None
                and (not exclude or file_id(folder / name) not in exclude)
            ):
                found.append((relative, prefix + name, named))
    found.sort(key=_parts)
    return [(path, named) for _, path, named in found]


def _child_prefix(folder: Path) -> str:
    """What `str(folder / name)` writes before an entry's `name` (`.` writes nothing; `/` no second `/`).

    Asked of pathlib once a folder, not once a file.
    """
    return str(folder / "x")[:-1]


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _parts(found: tuple[tuple[str, ...], str, InputFormat]) -> tuple[str, ...]:
    return found[0]


def _kind_of(
    entry: os.DirEntry[str],
    folder: Path,
    inside: Path,
    follow_links: bool,
    problems: list[tuple[Path, str]],
    skipped: list[tuple[Path, str]],
) -> str | None:
    """What `entry` of `folder` is to the walk: "folder", "file" (a regular one), or None (passed over; said if so)."""
    try:
        if not entry.is_symlink():  # the listing's own type: no system call
            if entry.is_dir(follow_symlinks=False):
                return "folder"
            if entry.is_file(follow_symlinks=False):
                return "file"
    except OSError:
        pass  # the listing does not say (a file system without entry types): asked again below
    path = folder / entry.name  # made only here: nearly every entry is a plain file or folder
    try:
        if not entry.is_symlink():
            mode = entry.stat(follow_symlinks=False).st_mode
        elif follow_links or _leads_inside(path, inside):
            mode = path.stat().st_mode
        else:
            if _is_dir(path) or format_of_name(entry.name) is not None:
                why = "skipped: a symbolic link that leads out of the folder (--follow-links follows it)"
                skipped.append((path, why))
            return None
    except (OSError, RuntimeError) as error:
        if _is_broken_link(path):  # nothing to read there
            if format_of_name(entry.name) is not None:
                skipped.append((path, "skipped: a broken link, not a regular file (name it to read it as a stream)"))
            return None
        message = os_message(error) if isinstance(error, OSError) else "a symbolic link loop"
        problems.append((path, f"cannot examine this entry: {message}"))
        return None
    if stat.S_ISDIR(mode):
        return "folder"
    if format_of_name(entry.name) is None:
        return None
    if stat.S_ISREG(mode):
        return "file"
    skipped.append((path, f"skipped: {_kind(path)}, not a regular file (name it to read it as a stream)"))
    return None


def _is_broken_link(entry: Path) -> bool:
    try:
        return stat.S_ISLNK(entry.lstat().st_mode) and file_id(entry) is None
    except OSError:  # not even its own entry can be examined
        return False


def _leads_inside(link: Path, inside: Path) -> bool:
    """Whether a symbolic link's target is within the folder the walk started from."""
    return link.resolve(strict=True).is_relative_to(inside)


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
