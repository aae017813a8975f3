"""The compiled scanner's C source, held to the rules it must keep without being built.

Python reads every constant of the scanner (types, roles, limits, the codes of kept failures)
from the compiled module, never from a copy. These tests read `_scan.c` as text, so they hold
where no compiler is: every constant Python asks for is declared there, and the module, where
it was built, exports the very values the source declares. The source also compiles without a
single warning under `-Wall -Wextra -Werror` with every compiler found here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from completion_validator._fastpath._libraries import scan
from completion_validator._response_types import RESPONSE_TYPES
from tests.conftest import REPO

SOURCE = REPO / "completion_validator/_fastpath/_scan.c"
PYTHON_SIDE = [
    REPO / "completion_validator/_fastpath/_program.py",
    REPO / "completion_validator/_fastpath/_records.py",
]


def declared() -> dict[str, int]:
    """Every integer constant `_scan.c` declares: `#define NAME number` and the members of its `enum`s."""
    text = SOURCE.read_text(encoding="utf-8")
    found = {name: int(value) for name, value in re.findall(r"^#define ([A-Z_]+) \(?(-?\d+)\)?", text, re.MULTILINE)}
    for body in re.findall(r"\benum\s*\{([^}]*)\}", text):
        following = 0
        for member in (part.strip() for part in body.split(",")):
            if not member:
                continue
            name, _, value = (piece.strip() for piece in member.partition("="))
            following = int(value) if value else following
            found[name] = following
            following += 1
    return found


def asked_for() -> set[str]:
    """Every constant name the Python side asks the module for: in `constant("...")` calls and role tables."""
    names: set[str] = set()
    for path in PYTHON_SIDE:
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'constant\("([A-Z_]+)"\)', text))
        names |= set(re.findall(r'"((?:T|R)_[A-Z_]+)"', text))
    for kind in RESPONSE_TYPES.values():
        names |= set(kind.scanner_roles().values()) | set(kind.scanner_roles(chunk=True).values())
    return names


def test_every_constant_python_asks_for_is_declared_in_the_source() -> None:
    missing = asked_for() - set(declared())
    assert not missing, f"_scan.c declares no {sorted(missing)}"
    assert {"R_CREATED", "T_STRING", "MAX_PROPS", "KEPT_REQUIRED"} <= asked_for(), "the scan of the Python side"


@pytest.mark.skipif(scan is None, reason="the scanner was not built here")
def test_the_module_exports_what_the_source_declares() -> None:
    source = declared()
    exported = {name: value for name, value in vars(scan).items() if type(value) is int}
    assert asked_for() <= set(exported), "a constant Python asks for is not exported (PyInit__scan)"
    assert {name: source[name] for name in exported} == exported


@pytest.mark.parametrize("compiler", ["gcc", pytest.param("clang", marks=pytest.mark.slow)])  # CI installs clang
def test_the_source_compiles_without_a_warning(compiler: str, tmp_path: Path) -> None:
    if shutil.which(compiler) is None:
        pytest.skip(f"no {compiler} here")
    include = sysconfig.get_paths()["include"]
    warnings = ["-Wall", "-Wextra", "-Werror"]
    result = subprocess.run(
        [compiler, "-O2", *warnings, "-fPIC", f"-I{include}", "-c", str(SOURCE), "-o", str(tmp_path / "scan.o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
