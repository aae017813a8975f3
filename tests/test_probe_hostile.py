"""The probe against hostile servers and hostile arguments (#27: items 1, 6, 13, 14, 15).

What each test holds, and the promise it keeps:
- the API key never reaches the output, in any format: a key with a newline around it is used
  trimmed; any other control character, or one outside Latin-1, is a usage error (exit 2) that
  names where the key came from and never shows it;
- one deadline per case covers connecting, the status line and headers, and the body: a server
  that trickles its headers or sends `100 Continue` forever costs `--timeout`, not forever;
- after a case times out the probe stops, and says how to go on (`--keep-going`);
- a body shorter than its Content-Length, or a chunked body cut off, is a `probe-http-framing`
  finding, not a valid answer;
- a body that arrives a byte at a time costs its bytes, not an object per byte;
- every bad argument is a usage error before any request, and a URL's user name or password is
  never echoed.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from completion_validator._probe.http import read_body
from tests.cli_helpers import cli
from tests.probe.fake_server import fake_server
from tests.probe.hostile_server import hostile_server

SECRET = "sk-th1s-1s-a-s3cret"


def _probe(base_url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    # The hostile server answers every path alike: the completions matrix alone is what these tests count.
    result = cli("probe", "--base-url", base_url, "--model", "m", "--schema", "completion", *args, env=env)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif", "junit", "gitlab"])
@pytest.mark.parametrize(
    ("key", "where"),
    [
        (f"{SECRET}\r\nx-injected: 1", "env"),  # a CR/LF inside: header injection, refused
        (f"{SECRET}\x1b[2J", "env"),  # an escape sequence
        (f"{SECRET}\x00", "argument"),
        (f"{SECRET}\u2603", "argument"),  # outside Latin-1
        (f"{SECRET}\x7f", "argument"),
    ],
)
def test_a_key_that_cannot_be_sent_is_a_usage_error_that_never_shows_it(
    key: str, where: str, output_format: str
) -> None:
    with hostile_server("silent") as server:
        arguments = ["--format", output_format, "--timeout", "2"]
        if where == "argument":
            status, out, err = _probe(server.base_url, *arguments, "--api-key", key)
        else:
            status, out, err = _probe(server.base_url, *arguments, env={"OPENAI_API_KEY": key})
        assert server.connections == 0, "refused before any request"
    assert status == 2
    assert SECRET not in out + err
    assert ("--api-key" if where == "argument" else "$OPENAI_API_KEY") in err
    assert "Traceback" not in err


def test_a_key_with_a_newline_around_it_is_sent_trimmed() -> None:
    with fake_server() as base_url:
        status, out, err = _probe(
            base_url, "--only", "basic", "--format", "json", env={"OPENAI_API_KEY": f" {SECRET}\n"}
        )
    assert (status, json.loads(out)["errors"]) == (0, [])
    assert SECRET not in out + err


_HEADERS_LATE = "basic: no answer within 1 s (status line and headers) [io]"


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        ("trickle", _HEADERS_LATE),
        ("continue-loop", _HEADERS_LATE),
        ("silent", _HEADERS_LATE),
        ("endless-body", "basic: the answer did not end within 1 s"),  # the body of an HTTP/1.0 answer
    ],
)
def test_one_deadline_covers_headers_and_body(behaviour: str, said: str) -> None:
    with hostile_server(behaviour) as server:
        started = time.monotonic()
        status, out, _ = _probe(server.base_url, "--only", "basic", "--timeout", "1")
        took = time.monotonic() - started
    assert status == 2
    assert said in out
    assert took < 4, f"the probe took {took:.1f} s with --timeout 1"


def test_after_a_timeout_the_probe_stops_and_says_how_to_go_on() -> None:
    with hostile_server("silent") as server:
        status, out, _ = _probe(server.base_url, "--only", "basic,length,n", "--timeout", "0.5")
        assert server.connections == 1
    assert status == 2
    assert "2 more cases were not sent" in out
    assert "--keep-going" in out
    with hostile_server("silent") as server:
        status, out, _ = _probe(server.base_url, "--only", "basic,length", "--timeout", "0.5", "--keep-going")
        assert server.connections == 2
    assert out.count("no answer within 0.5 s") == 2


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("short-body", "short of its Content-Length"),
        ("cut-chunked", "the chunked body was cut off after"),
    ],
)
def test_a_broken_framing_is_a_finding_not_a_valid_answer(behaviour: str, message: str) -> None:
    with hostile_server(behaviour) as server:
        status, out, _ = _probe(server.base_url, "--only", "basic", "--format", "json", "--timeout", "5")
    errors = json.loads(out)["errors"]
    assert [error["keyword"] for error in errors] == ["probe-http-framing"]
    assert message in errors[0]["message"]
    assert status == 1


class _OneByteAtATime:
    def __init__(self, size: int) -> None:
        self.left = size

    def read1(self, n: int = -1) -> bytes:
        if not self.left:
            return b""
        self.left -= 1
        return b"x"


def test_a_body_sent_a_byte_at_a_time_costs_its_bytes() -> None:
    size = 1 << 20
    body = bytearray()
    tracemalloc.start()
    try:
        read_body(_OneByteAtATime(size), body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(body) == size
    assert peak < 3 * size, f"{peak:,} bytes held for a {size:,}-byte body"  # was ~34 bytes an object a byte


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "inf"], "--timeout"),
        (["--timeout", "-1"], "--timeout"),
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "1e308"], "--timeout"),
        (["--timeout", "soon"], "--timeout"),
        (["--base-url", "http://127.0.0.1:70000/v1"], "--base-url is not a URL"),
        (["--base-url", "http://[::1/v1"], "--base-url is not a URL"),
        (["--base-url", "ftp://127.0.0.1/v1"], "--base-url must be an http"),
        (["--base-url", "http://user:pa55w0rd@127.0.0.1:9/v1"], "--base-url holds a user name or password"),
    ],
)
def test_bad_arguments_are_usage_errors_before_any_request(arguments: list[str], said: str) -> None:
    with hostile_server("silent") as server:
        base = ["--base-url", server.base_url] if "--base-url" not in arguments else []
        result = cli("probe", *base, "--model", "m", *arguments)
        assert server.connections == 0
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert "pa55w0rd" not in result.stdout + result.stderr


def test_save_captures_naming_a_file_is_a_usage_error_before_any_request(tmp_path: Path) -> None:
    existing = tmp_path / "captures.txt"
    existing.write_text("mine")
    with hostile_server("silent") as server:
        result = cli("probe", "--base-url", server.base_url, "--model", "m", "--save-captures", str(existing))
        assert server.connections == 0
    assert result.returncode == 2
    assert "--save-captures" in result.stderr
    assert existing.read_text() == "mine"


@pytest.mark.slow
def test_a_long_failing_stream_is_probed_in_bounded_memory() -> None:
    # 300,000 chunks (45 MB), a finding on each: the probe kept every chunk as a dict and every
    # finding in a list, and under a memory cap ended in SIGSEGV (#27 item 3). A guarded
    # interpreter runs it under 600 MiB of address space.
    from tests.hostile.harness import run_python_guarded

    with hostile_server("long-stream") as server:
        code = (
            "import sys; from completion_validator.cli import main; "
            f"sys.exit(main(['probe', '--base-url', '{server.base_url}', '--model', 'm', '--schema', 'completion', "
            "'--only', 'stream', "
            "'--timeout', '60']))"
        )
        outcome = run_python_guarded(code, timeout=120, memory=600 << 20)
    assert outcome.status == 1, outcome.stderr[-2000:]
    assert "Traceback" not in outcome.stderr
    summary = outcome.text.splitlines()[-1]
    assert summary.startswith("1 file, 1 document checked: 1 invalid, 300,0"), summary  # one per chunk, and the end's
