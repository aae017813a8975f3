"""Generated hostile inputs (nothing committed): each built from the example corpus or from scratch."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
VALID = json.loads((REPO / "tests/examples/valid/v01_openai_spec_example_nonstream.json").read_text())
INVALID_LINE = json.dumps({**VALID, "object": "text_completion.chunk"}).encode()
VALID_LINE = json.dumps(VALID).encode()


def jsonl(path: Path, lines: int, *, invalid_every: int = 0) -> Path:
    """A JSON Lines log of `lines` responses, every `invalid_every`-th one invalid (0: none)."""
    with path.open("wb") as out:
        for number in range(1, lines + 1):
            bad = invalid_every and number % invalid_every == 0
            out.write((INVALID_LINE if bad else VALID_LINE) + b"\n")
    return path
