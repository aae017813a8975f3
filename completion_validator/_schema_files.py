"""Where the schema files are, and reading them.

The repository's top-level `schemas/` folder is the only copy in git. A wheel carries it as
`completion_validator/schemas` (hatchling force-include); a checkout or an editable install
reads it from beside the package.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ROOT_SCHEMA = "completion.schema.json"
SCHEMA_SUFFIX = ".schema.json"


class SchemaFilesNotFound(RuntimeError):
    """The package was installed without its schema files."""


def schema_dir() -> Path:
    """The folder holding the schema files, in a wheel install or in a checkout."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / ROOT_SCHEMA).is_file():
            return candidate
    raise SchemaFilesNotFound(
        f"no {ROOT_SCHEMA} beside {package}: the installation is incomplete; reinstall the package"
    )


@cache
def load_schema_files() -> dict[str, dict[str, Any]]:
    """Every schema file's contents by file name, read once per process."""
    folder = schema_dir()
    return {
        path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*" + SCHEMA_SUFFIX))
    }
