"""A folder walk finds what a plain recursive listing finds, in the order paths sort.

The walk lists folders with `os.scandir` and sorts by path parts itself; this holds it to the
simplest statement of what it must give: every regular payload file below the folder, none
hidden or excluded by name, sorted as `pathlib` sorts paths (by parts: `a/b` before `a-c`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from completion_validator._inputs import SUFFIXES, format_of, format_of_name
from completion_validator._inputs.files import Excluded, _child_prefix, expand

# characters that sort on either side of "/" and "." (a walk that sorted strings would differ)
_NAMES = st.text(alphabet="ab-_.0Zé", min_size=1, max_size=4)
_SUFFIXES = st.sampled_from([".json", ".jsonl", ".yaml", ".txt", ".schema.json", ".JSON", ""])
_TREES = st.recursive(
    st.tuples(_NAMES, _SUFFIXES).map("".join),
    lambda children: st.dictionaries(_NAMES, children, max_size=4),
    max_leaves=12,
)


def _build(folder: Path, tree: dict[str, object]) -> None:
    for name, child in tree.items():
        if isinstance(child, dict):
            if not (folder / name).is_file():  # a file and a folder of one name: the first made stays
                (folder / name).mkdir(exist_ok=True)
                _build(folder / name, child)
        elif not (folder / str(child)).exists():
            (folder / str(child)).write_text("{}")


def _expected(root: Path) -> list[Path]:
    excluded = Excluded()
    found = []
    for folder, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".") and not excluded.excludes(name, "")]
        found += [
            Path(folder) / name
            for name in files
            if not name.startswith(".") and not excluded.excludes(name, "") and format_of(Path(name)) is not None
        ]
    return sorted(found)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_NAMES, _TREES, min_size=1, max_size=5))
def test_the_walk_finds_every_payload_file_in_path_order(tree: dict[str, object]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "root"
        root.mkdir()
        _build(root, tree)
        sources = list(expand([str(root)]))
        expected = _expected(root)
        if not expected:
            assert [source.problem is not None for source in sources] == [True]
            return
        assert [source.path for source in sources] == [str(path) for path in expected]
        assert [source.name for source in sources] == [str(path) for path in expected]


def _named_by_definition(name: str) -> object:
    """The format a name says, as the format table defines it: the longest suffix it ends with, and more."""
    lowered = name.lower()
    endings = [suffix for suffix in SUFFIXES if lowered.endswith(suffix) and len(lowered) > len(suffix)]
    return SUFFIXES[max(endings, key=len)] if endings else None


@given(st.lists(st.sampled_from(["", ".", "a", "..", *SUFFIXES, ".GZ", ".Json", ".x"]), max_size=5).map("".join))
def test_a_name_says_the_format_of_its_longest_suffix(name: str) -> None:
    assert format_of_name(name) is _named_by_definition(name)


# folders as a user names them: relative, absolute, the current one, with and without a trailing /
_FOLDERS = st.lists(st.sampled_from([".", "..", "a", "é b", "/", "//", "x.json"]), min_size=1, max_size=4).map("/".join)


@given(_FOLDERS, _NAMES)
def test_a_found_file_is_named_as_pathlib_names_it(folder: str, name: str) -> None:
    """The walk writes a file's path once a folder (`_child_prefix`); it must be what `str(folder / name)` is."""
    assume(name not in {".", ".."})
    assert _child_prefix(Path(folder)) + name == str(Path(folder) / name)
