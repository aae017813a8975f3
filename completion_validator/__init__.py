"""Validate OpenAI-style text-completion responses against hand-written JSON Schemas.

The public names are loaded on first use (PEP 562), so that importing the package — as the
command does on every pre-commit run — costs nothing until something is validated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from completion_validator._api import (
        is_valid,
        is_valid_json,
        iter_errors,
        iter_errors_json,
        iter_stream_errors,
        validate,
    )
    from completion_validator.errors import FieldError, Finding, InvalidCompletion, UnknownRule

__all__ = [
    "FieldError",
    "Finding",
    "InvalidCompletion",
    "UnknownRule",
    "is_valid",
    "is_valid_json",
    "iter_errors",
    "iter_errors_json",
    "iter_stream_errors",
    "validate",
]
__version__ = "0.1.0"

_HOMES = {
    "FieldError": "completion_validator.errors",
    "Finding": "completion_validator.errors",
    "InvalidCompletion": "completion_validator.errors",
    "UnknownRule": "completion_validator.errors",
    "is_valid": "completion_validator._api",
    "is_valid_json": "completion_validator._api",
    "iter_errors": "completion_validator._api",
    "iter_errors_json": "completion_validator._api",
    "iter_stream_errors": "completion_validator._api",
    "validate": "completion_validator._api",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'completion_validator' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
