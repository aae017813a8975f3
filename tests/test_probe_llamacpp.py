"""The probe against a real llama.cpp server (the xllamacpp wheel) serving a tiny model written here.

What llama.cpp gets wrong today is pinned in `tests/probe/expected/llamacpp.toml`, held by
`tests/test_probe_servers.py`; here, that every output format reports a real server.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import cli
from tests.probe.tiny_model import write_tiny_llama

pytestmark = pytest.mark.slow
SERVE = Path(__file__).parent / "probe" / "serve_llamacpp.py"


@pytest.fixture(scope="module")
def llamacpp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("xllamacpp", reason="the probe test group (xllamacpp, gguf) is not installed")
    pytest.importorskip("gguf", reason="the probe test group (xllamacpp, gguf) is not installed")
    model = write_tiny_llama(tmp_path_factory.mktemp("model") / "tiny.gguf")
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(SERVE), str(model), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("the llama.cpp server exited at start")
                time.sleep(0.1)
        else:
            pytest.fail("the llama.cpp server did not answer /health within 60 s")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_model_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    pytest.importorskip("gguf")
    first, second = write_tiny_llama(tmp_path / "a.gguf"), write_tiny_llama(tmp_path / "b.gguf")
    assert first.read_bytes() == second.read_bytes()
    assert 300_000 < first.stat().st_size < 1_000_000


def test_every_format_reports_a_real_server(llamacpp: str) -> None:
    for output_format in ("text", "github", "sarif", "junit", "gitlab"):
        result = cli(
            "probe", "--base-url", llamacpp, "--model", "tiny", "--only", "logprobs", "--format", output_format
        )
        assert result.returncode == 1
        assert "probe-logprobs" in result.stdout
