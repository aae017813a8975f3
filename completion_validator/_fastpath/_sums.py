"""A sum rule's finding made by the scanner: a log whose every line's `total_tokens` is off.

Such a log has a different finding on every line (each its own counts), so no account kept by a
member's text is ever met again (`_members.py`). But where the usage's screen failed by its sum
alone, the scanner has read the three counts and where total_tokens' value lies, and the rule is
one sum (`@rule(..., sums=Sum(...))`): the scanner fills its counts into the rule's own message
template. What it needs from Python is kept here once per set of failed parts: a finding the rule
made of an earlier line (its id, severity, path: all but the counts), and the template's pieces.

Why the sum's finding is then the line's only one: the usage part's screen passes only when each
of its checks does, and each other rule of that part (usage-negative, usage-details) is silent
when the checks that stand for it pass; the scanner takes this way only where the sum was the one
check of the part to fail, no other part failed and the schema held (`SumRead` in `_scan.c`).
"""

from __future__ import annotations

from completion_validator._fastpath._program import constant
from completion_validator._rules import RULES, Sum
from completion_validator._rules.response_screen import SHARED_ROLES
from completion_validator.errors import Finding

Pieces = tuple[str | int, ...]
# A sum's finding kept for the scanner, by the SUSPECT_ bits of the lines it stands for.
KeptSums = dict[int, tuple[Finding, Pieces]]
# The screen's roles of the counts the scanner reads, by the slot it fills them into.
_SLOTS = {"R_TOTAL": "SLOT_TOTAL", "R_PROMPT": "SLOT_PROMPT", "R_COMPLETION": "SLOT_COMPLETION"}


def sum_pieces(declared: Sum) -> Pieces | None:
    """The pieces of `declared`'s message for the scanner, or None where it reads other counts than the screen's.

    The scanner sums what the screen reads as prompt_tokens and completion_tokens and compares
    total_tokens: a declaration is filled in there only where it is that sum.
    """
    roles = {name: SHARED_ROLES.get((declared.member, name)) for name in (declared.total, *declared.parts)}
    if roles[declared.total] != "R_TOTAL" or sorted(str(roles[part]) for part in declared.parts) != [
        "R_COMPLETION",
        "R_PROMPT",
    ]:
        return None
    slots = {name: constant(_SLOTS[str(role)]) for name, role in roles.items()}
    return declared.pieces({**slots, "sum": constant("SLOT_SUM")})


def kept_sum(found: tuple[Finding, ...], final: bool, rules: frozenset[str]) -> tuple[Finding, Pieces] | None:
    """What the scanner needs to make the sum rule's finding itself: from one line's account, if it is that finding."""
    if not final or len(found) != 1:
        return None
    (made,) = found
    declared = RULES[made.keyword].sums if made.keyword in rules else None
    if declared is None or made.instance_path != (declared.member, declared.total):
        return None
    pieces = sum_pieces(declared)
    return None if pieces is None else (made, pieces)
