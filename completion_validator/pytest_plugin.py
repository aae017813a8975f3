"""The pytest plugin, registered through the `pytest11` entry point: installing the package enables it.

It provides the `assert_valid_completion` fixture, so a test can check a payload without an
import; `from completion_validator.testing import assert_valid_completion` works the same.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from completion_validator.testing import assert_valid_completion as _assert_valid_completion


@pytest.fixture(name="assert_valid_completion")
def assert_valid_completion_fixture() -> Callable[..., None]:
    """`assert_valid_completion(payload, *, lenient=False, forbid_unknown_fields=False, schema="auto")`."""
    return _assert_valid_completion
