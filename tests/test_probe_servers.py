"""The probe against real servers, started here: vLLM on CPU, `transformers serve`, llama.cpp, and LiteLLM's
proxy in front of llama.cpp and of vLLM, each pinned (`tests/probe/servers.py`), for completions
and for chat completions (`--schema chat`).

Each server's findings are held to `tests/probe/expected/<server>.toml` (`<server>-chat.toml`), both ways: a finding
the file does not list (with why it is true) fails, and so does a listed one that no longer
comes. When a server changes, update its file and `docs/conformance.md` (UPDATE_DOCS=1).
Their environments are built by `python -m tests.probe.servers install` (CI does it first); a
missing one skips its tests here and fails them under CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import cli
from tests.probe.conformance import expected
from tests.probe.servers import ENVIRONMENTS, LITELLM_KEY, free_port, litellm, running, transformers_serve, vllm
from tests.probe.tiny_model import write_tiny_llama

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
SERVE_LLAMACPP = HERE / "probe" / "serve_llamacpp.py"


def _environment(name: str) -> None:
    if not ENVIRONMENTS[name].ready:
        message = f"{name} is not installed: python -m tests.probe.servers install {name}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def hf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny Llama in Hugging Face's format, written by a server's own interpreter (it has transformers)."""
    writer = next((environment for environment in ENVIRONMENTS.values() if environment.ready), None)
    if writer is None or writer.name == "litellm":
        _environment("vllm")
    assert writer is not None
    folder = tmp_path_factory.mktemp("hf") / "tiny"
    python = ENVIRONMENTS["vllm" if ENVIRONMENTS["vllm"].ready else "transformers"].python
    subprocess.run([str(python), str(HERE / "probe" / "tiny_hf_model.py"), str(folder)], check=True, timeout=300)
    return folder


@pytest.fixture(scope="module")
def llamacpp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("xllamacpp", reason="the probe test group (xllamacpp, gguf) is not installed")
    folder = tmp_path_factory.mktemp("llamacpp")
    model = write_tiny_llama(folder / "tiny.gguf")
    port = free_port()
    command = [sys.executable, str(SERVE_LLAMACPP), str(model), str(port)]
    with running(command, f"http://127.0.0.1:{port}/health", env={}, log=folder / "log.txt", seconds=120):
        yield f"http://127.0.0.1:{port}/v1"


@pytest.fixture(scope="module")
def vllm_server(hf_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _environment("vllm")
    log = tmp_path_factory.mktemp("vllm") / "log.txt"
    command, health, environment, base_url = vllm(hf_model, log)
    with running(command, health, env=environment, log=log, seconds=600):
        yield base_url


def _litellm(upstream: str, folder: Path) -> Iterator[str]:
    _environment("litellm")
    command, health, environment, base_url = litellm(upstream, folder / "config.yaml")
    with running(command, health, env=environment, log=folder / "log.txt", seconds=180):
        yield base_url


@pytest.fixture(scope="module")
def litellm_llamacpp(llamacpp: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _litellm(llamacpp, tmp_path_factory.mktemp("litellm-llamacpp"))


@pytest.fixture(scope="module")
def litellm_vllm(vllm_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _litellm(vllm_server, tmp_path_factory.mktemp("litellm-vllm"))


def _probe(
    base_url: str, model: str, captures: Path, status: int = 1, schema: str = "completion"
) -> tuple[set[tuple[str, str]], dict[str, object]]:
    """The (case, rule) pairs the probe reports; `status` is its exit status (2: some answer could not be read)."""
    result = cli(
        "probe",
        *("--base-url", base_url, "--model", model, "--api-key", LITELLM_KEY, "--schema", schema),
        *("--timeout", "120", "--format", "json", "--save-captures", str(captures)),
    )
    document = json.loads(result.stdout)
    found = {(error["file"].rsplit(".", 1)[0], error["keyword"]) for error in document["errors"]}
    assert result.returncode == status, result.stdout[-2000:]
    return found, document


def _holds_to_its_file(server: str, found: set[tuple[str, str]], document: dict[str, object]) -> None:
    pinned = expected(server)
    unexplained = found - set(pinned.findings)
    gone = set(pinned.findings) - pinned.maybe - found
    assert not unexplained, f"{server}: findings with no written reason: {sorted(unexplained)}\n{document}"
    assert not gone, f"{server}: pinned findings that no longer come: {sorted(gone)}"


def _holds_both(server: str, base_url: str, tmp_path: Path, chat_model: str = "tiny") -> None:
    """Probe completions (model `tiny`) and chat (`chat_model`), each held to its pinned file."""
    found, document = _probe(base_url, "tiny", tmp_path)
    _holds_to_its_file(server, found, document)
    found, document = _probe(base_url, chat_model, tmp_path / "chat", schema="chat")
    _holds_to_its_file(f"{server}-chat", found, document)


def test_llamacpp(llamacpp: str, tmp_path: Path) -> None:
    _holds_both("llamacpp", llamacpp, tmp_path)
    assert (tmp_path / "stream.sse").read_bytes().rstrip().endswith(b"data: [DONE]")


def test_vllm(vllm_server: str, tmp_path: Path) -> None:
    _holds_both("vllm", vllm_server, tmp_path)


def test_litellm_in_front_of_llamacpp(litellm_llamacpp: str, tmp_path: Path) -> None:
    _holds_both("litellm-llamacpp", litellm_llamacpp, tmp_path, chat_model="tiny-chat")


def test_litellm_in_front_of_vllm(litellm_vllm: str, tmp_path: Path) -> None:
    _holds_both("litellm-vllm", litellm_vllm, tmp_path, chat_model="tiny-chat")


def test_transformers_serve(hf_model: Path, tmp_path: Path) -> None:
    _environment("transformers")
    command, health, environment, base_url = transformers_serve(hf_model, tmp_path / "home")
    with running(command, health, env=environment, log=tmp_path / "log.txt", seconds=300):
        found, document = _probe(base_url, str(hf_model), tmp_path / "captures", status=2)  # a 500 in plain text
        chat_found, chat_document = _probe(base_url, str(hf_model), tmp_path / "chat", schema="chat")
    _holds_to_its_file("transformers", found, document)
    _holds_to_its_file("transformers-chat", chat_found, chat_document)
