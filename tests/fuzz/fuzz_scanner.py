"""Coverage-guided fuzzing of the compiled scanner (`_fastpath/_scan.c`) with atheris and libFuzzer.

The scanner reads untrusted bytes in C, so two things are checked on every input libFuzzer makes:
memory safety (the scanner built here with clang, AddressSanitizer, UBSan and libFuzzer's
coverage, so mutations steer towards C branches not yet taken) and soundness (where the scanner
is sure — "clean", or "these failures" — the reference engine must agree, record for record and
position for position). Each input's first byte picks the profile and the mode (a whole document
or a stream chunk); the rest is the document.

    python tests/fuzz/fuzz_scanner.py -max_total_time=600 [corpus-dir]

`tests/test_fuzz.py` builds the instrumented module and runs this for a bounded time (slow group,
where clang and atheris are installed). The seed corpus is every example file and scanner case.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import atheris

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


def _instrumented_scanner() -> ModuleType:
    """The scanner module built with sanitizers and coverage (`FUZZ_SCANNER_MODULE`, set by the test)."""
    location = os.environ["FUZZ_SCANNER_MODULE"]
    spec = importlib.util.spec_from_file_location("completion_validator._fastpath._scan", location)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


with atheris.instrument_imports(include=["completion_validator"]):
    from completion_validator._check import check
    from completion_validator._fastpath._judge import _has_long_integer, _parted
    from completion_validator._fastpath._members import PART_BITS, member_runner
    from completion_validator._fastpath._program import compile_program
    from completion_validator._fastpath._records import judged_builder
    from completion_validator._fastpath._screen import screening_schemas
    from completion_validator._jsontext import JsonLocator, JsonSyntaxError, parse_json
    from completion_validator._recognize import may_be_recognized
    from completion_validator._response_types import RESPONSE_TYPES
    from completion_validator._rules import RULES
    from completion_validator._settings import Settings

_scan = _instrumented_scanner()
# Each type's scanners, checked against the reference checking every document as that type.
PROFILES = [
    Settings(response_type=kind, lenient=lenient, forbid_unknown_fields=forbid)
    for kind in RESPONSE_TYPES
    for lenient, forbid in ((False, False), (True, False), (False, True), (True, True))
]
SUSPECTED = {constant: part for part, constant in PART_BITS.items()}
# (settings, chunk, scanner, judged, members): each profile for whole documents and for stream chunks.
SCANNERS = []
for _settings in PROFILES:
    _kind = RESPONSE_TYPES[_settings.response_type]
    for _chunk in (False, True):
        _profile = _settings.profile(stream=_chunk)
        _roles = _kind.scanner_roles(chunk=_chunk)
        _program = compile_program(screening_schemas(_profile), _kind.root(stream=_chunk), _roles)
        _scanner = _scan.Scanner(_program.nodes, *_kind.created_window, _chunk)
        _members = None if _chunk else member_runner(_settings, _parted(_settings), _has_long_integer)
        SCANNERS.append((_settings, _chunk, _scanner, judged_builder(_program), _members))


def _reference(data: bytes, settings: Settings, chunk: bool) -> list[Any] | None:
    """The reference engine's located findings (as reprs) for `data` as a whole file; None if it is not JSON."""
    try:
        text = data.decode("utf-8")
        value = parse_json(text)
    except (UnicodeDecodeError, JsonSyntaxError):
        return None
    locator = JsonLocator(text, 1, single_line=False, value=value)
    located = []
    for finding in check(value, settings, None, chunk=chunk):
        position = locator.locate(finding.instance_path or (), finding.keyword)
        located.append(repr(finding.located(position.line, position.column, None)))
    return located


def test_one_input(raw: bytes) -> None:
    if not raw:
        return
    settings, chunk, scanner, judged, members = SCANNERS[raw[0] % len(SCANNERS)]
    data = raw[1:]
    now = time.time()
    if scanner.clean(data, now):
        assert _reference(data, settings, chunk) == [], ("false clean", data[:300])
    failures = scanner.judge(data, now)
    if isinstance(failures, list):
        whole = judged(failures)
        if chunk or not may_be_recognized(whole.findings):  # else the checker reads the document itself
            records = [repr(finding) for finding in whole.located_in_text(data)]
            assert records == _reference(data, settings, chunk), ("judged records differ", data[:300])
    account = scanner.account(data, now)
    if type(account) is tuple and not account[0]:  # only the envelope's rules are left: nothing else is wrong
        named = {name for constant, name in SUSPECTED.items() if account[1] & getattr(_scan, constant)}
        text = data.decode("utf-8")  # the scanner read it whole: strict UTF-8 JSON
        reported = {finding.keyword for finding in check(parse_json(text), settings, None, chunk=chunk)}
        parts = {RULES[keyword].screened if keyword in RULES else keyword for keyword in reported}
        assert named, ("an account naming no part", data[:300])
        assert parts <= named, ("an account naming the wrong parts", data[:300])
        explained = None if members is None else members(data, account[1], account[2])
        if explained is not None:  # the rules run on the members they read, from their text alone
            records = [repr(finding) for finding in explained.located_in_text(data)]
            assert records == _reference(data, settings, chunk), ("member account differs", data[:300])
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return
    if scanner.clean_value(value, now):
        assert check(value, settings, None, chunk=chunk) == [], ("walker false clean", data[:300])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
