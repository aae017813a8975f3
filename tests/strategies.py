"""The strategies the property tests use: the package's own (`completion_validator.strategies`), closed objects."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from completion_validator import strategies


def completions(max_choices: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """Valid responses with no vendor members, so that every profile (forbid_unknown_fields too) accepts them."""
    return strategies.completions(forbid_unknown_fields=True, max_choices=max_choices)
