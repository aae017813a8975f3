"""Which files a run reads: paths as given, directories searched for the suffixes of the format table."""

from __future__ import annotations

import fnmatch
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from completion_validator._inputs import SUFFIXES, format_of
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


@dataclass(frozen=True)
class Excluded:
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

    def __contains__(self, relative: PurePosixPath) -> bool:
        name = relative.name
        return any(fnmatch.fnmatchcase(str(relative) if "/" in pattern else name, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class Source:
    """One input of a run: the name to show, the path (None for stdin), or why it cannot be used."""

    name: str
    path: Path | None
    problem: str | None = None
    # Why a directory scan passed over this entry (not a regular file): reported, never read.
    skipped: str | None = None


def expand(
    paths: list[str],
    *,
    follow_links: bool = False,
    exclude: frozenset[FileId] = frozenset(),
    excluded: Excluded = Excluded(),
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
            found = sorted(_payload_files(path, problems, skipped, follow_links, exclude, excluded))
            for folder, problem in sorted(problems):
                yield Source(str(folder), folder, problem)
            for entry, reason in sorted(skipped):
                yield Source(str(entry), entry, skipped=reason)
            if not found and not problems:
                suffixes = ", ".join(sorted(SUFFIXES))
                yield Source(raw, path, f"no files ending in {suffixes} in this directory")
            for file in found:
                yield Source(str(file), file)
        else:
            yield Source(raw, path)


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
) -> Iterator[Path]:
    """Payload files below `root`; hidden entries skipped, links out, loops and unreadable entries reported.

    Only regular files are taken: a FIFO or a device named like a payload would block the run or
    never end. Name one on the command line to read it as a stream.
    """
    try:
        inside = root.resolve()
    except (OSError, RuntimeError):
        inside = root.absolute()
    seen: set[FileId] = set()
    pending = [root]
    while pending:
        folder = pending.pop()
        identity = file_id(folder)
        if identity is None or identity in seen:
            continue  # gone since it was listed, or a link back to a folder already searched
        seen.add(identity)
        try:
            entries = sorted(folder.iterdir())
        except OSError as error:
            problems.append((folder, f"cannot list this directory: {os_message(error)}"))
            continue
        for entry in entries:
            if entry.name.startswith(".") or PurePosixPath(entry.relative_to(root).as_posix()) in excluded:
                continue
            try:
                linked = stat.S_ISLNK(entry.lstat().st_mode)
                mode = entry.stat().st_mode if not linked or _leads_inside(entry, inside) or follow_links else None
            except (OSError, RuntimeError) as error:
                if _is_broken_link(entry):  # nothing to read there
                    if format_of(entry) is not None:
                        skipped.append(
                            (entry, "skipped: a broken link, not a regular file (name it to read it as a stream)")
                        )
                    continue
                message = os_message(error) if isinstance(error, OSError) else "a symbolic link loop"
                problems.append((entry, f"cannot examine this entry: {message}"))
                continue
            if mode is None:
                if _is_dir(entry) or format_of(entry) is not None:
                    why = "skipped: a symbolic link that leads out of the folder (--follow-links follows it)"
                    skipped.append((entry, why))
                continue
            if stat.S_ISDIR(mode):
                pending.append(entry)
            elif format_of(entry) is not None:
                if not stat.S_ISREG(mode):
                    kind = _kind(entry)
                    skipped.append((entry, f"skipped: {kind}, not a regular file (name it to read it as a stream)"))
                elif file_id(entry) not in exclude:
                    yield entry


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
