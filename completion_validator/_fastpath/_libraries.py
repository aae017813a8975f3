"""The compiled libraries the fast path runs on, each optional: without one, the reference path does its work.

orjson reads and writes JSON, jsonschema-rs checks schemas, and `_scan` is our own scanner
(absent where the wheel was built without a C compiler). jsonschema-rs is imported when first
needed: a run the scanner vouches for never pays for it (~8 ms of start-up).
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:  # a platform without wheels for it: the reference path does all the work
        return None


orjson = _optional("orjson")
scan = _optional("completion_validator._fastpath._scan")


@cache
def jsonschema_rs() -> ModuleType | None:
    """jsonschema-rs, imported when first needed."""
    return _optional("jsonschema_rs")


def available() -> bool:
    """Whether the compiled fast path can run here (orjson and jsonschema-rs importable)."""
    return orjson is not None and jsonschema_rs() is not None
