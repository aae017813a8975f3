"""Build the fast path's compiled scanner (`completion_validator/_fastpath/_scan.c`) into the wheel.

The scanner is optional: where it cannot be compiled (no C compiler, an unusual platform), the
wheel is built without it and every document takes the orjson path, with the same results. A
wheel that has it is tagged for its platform; an editable install gets it beside its source.
The build stamps the source's digest into the module, so a test can tell a stale copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MODULE = "completion_validator._fastpath._scan"
SOURCE = Path("completion_validator", "_fastpath", "_scan.c")
# "required": a wheel without the scanner is a failure (release builds), not a fallback;
# "off": build the pure-Python wheel (the release's fallback for platforms without a wheel of theirs).
SWITCH = "COMPLETION_VALIDATOR_SCANNER"


def source_digest(root: Path) -> str:
    """The digest the module carries (`_scan.SOURCE_DIGEST`): sha256 of the C source, first 16 hex digits."""
    return hashlib.sha256((root / SOURCE).read_bytes()).hexdigest()[:16]


def build_extension(root: Path, out_dir: Path) -> Path:
    """Compile the scanner with setuptools' build_ext (whatever compiler Python was built with)."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    flags = [] if sys.platform == "win32" else ["-O2", "-fvisibility=hidden"]
    extension = Extension(
        MODULE,
        sources=[str(root / SOURCE)],
        define_macros=[("SOURCE_DIGEST", f'"{source_digest(root)}"')],
        extra_compile_args=flags,
    )
    command = build_ext(Distribution({"name": "completion-validator", "ext_modules": [extension]}))
    command.build_lib = str(out_dir)
    command.build_temp = str(out_dir / "temp")
    command.ensure_finalized()
    command.run()
    return Path(command.get_ext_fullpath(MODULE))


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Hatchling's hook: compile the scanner, or leave it out with a warning."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get(SWITCH) == "off":
            return
        root = Path(self.root)
        out_dir = Path(tempfile.mkdtemp(prefix="completion-validator-build-"))
        if version == "editable":  # never leave a module built from an older source beside the new one
            for stale in (root / SOURCE).parent.glob("_scan.*"):
                if stale.suffix in (".so", ".pyd"):
                    stale.unlink()
        try:
            built = build_extension(root, out_dir)
        except Exception as error:
            if os.environ.get(SWITCH) == "required":
                raise
            print(
                f"completion-validator: the compiled scanner was not built ({error}); the wheel works without it, "
                "more slowly on valid documents",
                file=sys.stderr,
            )
            return
        target = Path(*MODULE.split(".")[:-1], built.name)
        if version == "editable":
            # An editable install imports from the source tree: the module goes beside its source.
            shutil.copy2(built, root / target)
        else:
            build_data["force_include"][str(built)] = str(target)
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
