"""The example corpus: payload files in `tests/examples/{valid,invalid}` and the errors expected of them.

Each payload may have a `<name>.expected.toml` beside it with, per profile (`strict`,
`lenient`, `forbid_unknown_fields`), the list of `{pointer, keyword}` the validator must report,
in order. A multi-document file keys its expectations by document index (`[documents.1]`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from completion_validator._inputs import Document, JsonText, parse_document, read_path

EXAMPLES = Path(__file__).parent / "examples"
PROFILES = ("strict", "lenient", "forbid_unknown_fields")
PAYLOAD_SUFFIXES = (".json", ".yaml", ".yml", ".jsonl")


@dataclass(frozen=True)
class Case:
    """One document of one example file, with what each profile must report for it."""

    path: Path
    document: Document
    expected: dict[str, list[tuple[str, str]]]

    @property
    def id(self) -> str:
        suffix = "" if self.document.index is None else f"#{self.document.index}"
        return f"{self.path.parent.name}/{self.path.name}{suffix}"


def _expectations(table: dict[str, Any], valid: bool) -> dict[str, list[tuple[str, str]]]:
    found = {name: [(e["pointer"], e["keyword"]) for e in table[name]] for name in PROFILES if name in table}
    if valid:
        found.setdefault("strict", [])
        found.setdefault("lenient", found["strict"])
    elif "strict" in found:
        found.setdefault("lenient", found["strict"])
    return found


def cases(folder: str) -> list[Case]:
    """Every document in `tests/examples/<folder>`, with its expectations."""
    found: list[Case] = []
    for path in sorted((EXAMPLES / folder).iterdir()):
        if path.suffix not in PAYLOAD_SUFFIXES:
            continue
        toml_path = path.with_name(path.stem + ".expected.toml")
        table = tomllib.loads(toml_path.read_text(encoding="utf-8")) if toml_path.exists() else {}
        for item in read_path(path):
            document = parse_document(item) if isinstance(item, JsonText) else item
            assert isinstance(document, Document), f"{path}: {document}"
            per_document = table.get("documents", {}).get(str(document.index), table)
            expected = _expectations(per_document, valid=folder == "valid")
            if folder == "invalid" and "documents" in table and str(document.index) not in table["documents"]:
                expected = _expectations({}, valid=True)
            found.append(Case(path, document, expected))
    return found
