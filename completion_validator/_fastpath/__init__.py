"""The fast path: one judge per set of settings, answering in one verdict type, held to the reference engine.

`judge(settings)` (`_judge.py`) reads a document once and answers a `Verdict` (`_verdict.py`):
`CLEAN`, `Judged`, `Exact` or `UNREAD`. Outside this package only the checker (`_check.py`, with
the count loop and the stream checker beside it) and the public faces know a judge exists:
readers only read, and jsonschema (`--engine reference`) stays the definition that every
verdict here is tested against.

This module imports nothing heavy: the verdict types sit below everything that reads or checks.
"""

from __future__ import annotations

from completion_validator._fastpath._verdict import CLEAN, UNREAD, Exact, Judged, Verdict

__all__ = ["CLEAN", "UNREAD", "Exact", "Judged", "Verdict"]
