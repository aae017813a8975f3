"""What each real server gets wrong today, as the slow tests pin it: `tests/probe/expected/<server>.toml`.

Each file names the server and lists its findings as (rule, the cases it fires on, why it is
true); `maybe` lists cases where a finding comes on some runs and not others (said why in the
same entry). The slow tests hold every real server to its file, both ways; the conformance page
(`docs/conformance.md`, written by `tests/conformance_page.py`) is made from the same files.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

EXPECTED = Path(__file__).parent / "expected"
# The order of the table's columns, and the file of each.
SERVERS = ("llamacpp", "vllm", "transformers", "litellm-llamacpp", "litellm-vllm")


@dataclass(frozen=True)
class Expected:
    """One server's pinned findings: (case, rule) -> why, and the pairs that may or may not come."""

    title: str
    findings: dict[tuple[str, str], str]
    maybe: frozenset[tuple[str, str]]
    notes: tuple[str, ...] = ()  # how it writes what the spec leaves open (the text_offset convention)


def expected(server: str) -> Expected:
    """The pinned findings of `server` (a name in `SERVERS`)."""
    document = tomllib.loads((EXPECTED / f"{server}.toml").read_text(encoding="utf-8"))
    findings: dict[tuple[str, str], str] = {}
    maybe: set[tuple[str, str]] = set()
    for entry in document["finding"]:
        assert entry["why"].strip(), f"{server}: {entry['rule']} says no why"
        for case in entry["cases"]:
            assert (case, entry["rule"]) not in findings, f"{server}: {case} {entry['rule']} listed twice"
            findings[(case, entry["rule"])] = entry["why"]
        for case in entry.get("maybe", ()):
            maybe.add((case, entry["rule"]))
            findings.setdefault((case, entry["rule"]), entry["why"])
    return Expected(document["server"], findings, frozenset(maybe), tuple(document.get("notes", ())))
