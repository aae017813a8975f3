"""The compiled libraries the fast path runs on, each optional: without one, the reference path does its work.

orjson reads and writes JSON, jsonschema-rs checks schemas, and `_scan` is our own scanner
(absent where the wheel was built without a C compiler). orjson and jsonschema-rs are imported
when first needed: a run the scanner vouches for never pays for them (orjson brings uuid,
datetime, platform and json with it: ~20 ms of a pre-commit run's start-up; jsonschema-rs ~8 ms).
"""

from __future__ import annotations

import importlib
import sys
from functools import cache
from types import ModuleType


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # a platform without wheels for it: the reference path does all the work
        return None


def installed(name: str) -> bool:
    """Whether the module `name` can be found, without importing it (None in `sys.modules`: it cannot)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    from importlib.util import find_spec

    return find_spec(name) is not None


scan = _optional("completion_validator._fastpath._scan")


@cache
def orjson() -> ModuleType | None:
    """orjson, imported when first needed (None where it cannot be: the caller takes the reference path)."""
    return _optional("orjson")


@cache
def jsonschema_rs() -> ModuleType | None:
    """jsonschema-rs, imported when first needed."""
    return _optional("jsonschema_rs")


def available() -> bool:
    """Whether the compiled fast path can run here (orjson and jsonschema-rs importable)."""
    return orjson() is not None and jsonschema_rs() is not None
