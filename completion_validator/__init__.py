"""Validate OpenAI-style text-completion responses against hand-written JSON Schemas."""

from __future__ import annotations

from completion_validator.errors import FieldError, InvalidCompletion
from completion_validator.validation import is_valid, iter_errors, validate

__all__ = ["FieldError", "InvalidCompletion", "is_valid", "iter_errors", "validate"]
__version__ = "0.1.0"
