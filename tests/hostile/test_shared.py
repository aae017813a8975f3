"""Shared sub-objects: a value that written out would be astronomically long (#27 item 16).

`x = [x, x]` sixty times is 61 lists in memory and 2 ** 60 in JSON text. Every walk of a
Python value used to expand it: the compiled walker ran for hours, and where it stopped early
(a list where an object belongs) the round trip through orjson tried to write it out and ended
in SIGSEGV under a memory cap. Now the compiled walker has a work budget and says so, the round
trip is refused past `ROUND_TRIP_LIMIT` values written out, and the reference walk reports one
`limit` finding where the expansion passes its budget and shows nothing past it. Every compiled
walk also checks for Ctrl-C.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from completion_validator._fastpath._libraries import scan
from tests.hostile.harness import run_python_guarded

_SHARED = """
import json, sys
from completion_validator import is_valid, iter_errors, validate, InvalidCompletion
payload = json.load(open("tests/examples/valid/v01_openai_spec_example_nonstream.json"))
x = [1]
for _ in range(60):
    x = [x, x]
where = sys.argv[1]
if where == "vendor":
    payload["vendor"] = x
elif where == "usage":
    payload["usage"] = x
elif where == "logprobs":
    payload["choices"][0]["logprobs"] = {"tokens": x}
else:
    payload["choices"] = x
print(is_valid(payload))
print(json.dumps([[e.keyword, e.pointer[:30]] for e in iter_errors(payload)]))
try:
    validate(payload)
except InvalidCompletion:
    print("raised")
"""


@pytest.mark.parametrize("where", ["vendor", "usage", "logprobs", "choices"])
def test_a_shared_value_ends_with_a_limit_finding(where: str) -> None:
    outcome = run_python_guarded(_SHARED.replace("sys.argv[1]", repr(where)), timeout=60)
    assert outcome.status == 0, outcome.stderr[-3000:]
    valid, found, raised = outcome.text.splitlines()
    assert (valid, raised) == ("False", "raised")
    assert "limit" in {keyword for keyword, _ in __import__("json").loads(found)}


_INTERRUPTED = """
import sys, time
from completion_validator._fastpath._libraries import scan
x = [1]
for _ in range(80):
    x = [x, x]
print("walking", flush=True)
try:
    scan.written_out_within(x, 2 ** 62)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.skipif(scan is None, reason="the scanner was not built here")
def test_ctrl_c_ends_a_compiled_walk() -> None:
    walk = subprocess.Popen([sys.executable, "-c", _INTERRUPTED], stdout=subprocess.PIPE, text=True)
    assert walk.stdout is not None
    assert walk.stdout.readline() == "walking\n"
    time.sleep(0.3)
    walk.send_signal(signal.SIGINT)
    out, _ = walk.communicate(timeout=10)
    assert out == "interrupted\n"
