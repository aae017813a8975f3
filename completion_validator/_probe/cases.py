"""The matrix of requests the probe sends: each a case, named, with the body that asks for something.

What a case expects is data on it: a request the API refuses names what it refuses
(`rejected_for`) and the status OpenAI answers (`rejected_status`); a case whose answer uses up
max_tokens says so (`exhausts_max_tokens`). The rest follows from the request itself (the
probe rules, `_rules/probe.py`). Every case asks for temperature 0, or a `seed` where it asks
for several choices (vLLM refuses n > 1 with greedy sampling), so that a run's findings are the
same from one run to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROMPT = "Say this is a test"


@dataclass(frozen=True)
class Case:
    """One request of the matrix; the model is added when it is sent."""

    name: str
    body: dict[str, Any]
    what: str
    # What the request asks for that the API refuses (logprobs over 5): a 4xx with an error body is expected.
    rejected_for: str = ""
    # Check the answer under the lenient profile (OpenAI itself sends null for an echoed first token's logprob).
    lenient: bool = False
    # The request asks for fewer tokens than the answer would take: every choice finishes with "length".
    exhausts_max_tokens: bool = False
    # The status OpenAI answers a refused request with (400; 404 for a model that does not exist).
    rejected_status: int = 400
    # Bytes sent as they are instead of the JSON body (a body that is not JSON); None: the body as JSON.
    raw: bytes | None = None

    @property
    def expects_rejection(self) -> bool:
        """Whether the request is one the API refuses."""
        return bool(self.rejected_for)

    @property
    def streamed(self) -> bool:
        """Whether the case asks for a stream."""
        return bool(self.body.get("stream"))


CASES: tuple[Case, ...] = (
    Case("basic", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0}, "a plain completion"),
    Case(
        "length",
        {"prompt": PROMPT, "max_tokens": 1, "temperature": 0},
        "max_tokens 1: finish_reason length",
        exhausts_max_tokens=True,
    ),
    Case("stream", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0, "stream": True}, "a stream"),
    Case(
        "stream-usage",
        {
            "prompt": PROMPT,
            "max_tokens": 8,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        "a stream with the include_usage chunk",
    ),
    Case("n", {"prompt": PROMPT, "max_tokens": 4, "n": 2, "seed": 1}, "n=2: two choices"),
    Case("n-stream", {"prompt": PROMPT, "max_tokens": 4, "n": 2, "seed": 1, "stream": True}, "n=2 streamed"),
    Case(
        "batch",
        {"prompt": [PROMPT, "Say hello"], "max_tokens": 4, "n": 2, "seed": 1},
        "two prompts with n=2: four choices",
    ),
    Case("token-ids", {"prompt": [1, 2, 3], "max_tokens": 4, "temperature": 0}, "a prompt of token ids"),
    Case("logprobs", {"prompt": PROMPT, "max_tokens": 4, "logprobs": 2, "temperature": 0}, "logprobs=2"),
    Case(
        "logprobs-0",
        {"prompt": PROMPT, "max_tokens": 4, "logprobs": 0, "temperature": 0},
        "logprobs=0: the chosen tokens' log-probabilities, no alternatives asked",
    ),
    Case(
        "stream-logprobs",
        {"prompt": PROMPT, "max_tokens": 4, "logprobs": 2, "temperature": 0, "stream": True},
        "logprobs=2 streamed",
    ),
    Case(
        "echo",
        {"prompt": PROMPT, "max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 0},
        "echo with logprobs",
        lenient=True,
    ),
    Case(
        "stream-echo",
        {"prompt": PROMPT, "max_tokens": 2, "echo": True, "temperature": 0, "stream": True},
        "echo streamed",
    ),
    Case("stop", {"prompt": PROMPT, "max_tokens": 16, "stop": [" test", "."], "temperature": 0}, "stop sequences"),
    Case(
        "max-tokens-0",
        {"prompt": PROMPT, "max_tokens": 0, "temperature": 0},
        "max_tokens 0: the spec allows it (minimum 0); nothing is generated",
    ),
    Case("repeat", {"prompt": PROMPT, "max_tokens": 8, "temperature": 0}, "basic again: a new id"),
    Case(
        "bad-params-logprobs",
        {"prompt": PROMPT, "max_tokens": 1, "logprobs": 6, "temperature": 0},
        "logprobs over OpenAI's 5",
        rejected_for="logprobs",
    ),
    Case(
        "bad-params-stream-options",
        {"prompt": PROMPT, "max_tokens": 1, "stream_options": {"include_usage": True}, "temperature": 0},
        "stream_options without stream",
        rejected_for="stream-options",
    ),
    Case(
        "best-of-stream",
        {"prompt": PROMPT, "max_tokens": 4, "best_of": 2, "stream": True, "temperature": 0},
        "best_of with stream (the spec: best_of results cannot be streamed)",
        rejected_for="best_of with stream",
    ),
    Case(
        "unknown-model",
        {"prompt": PROMPT, "max_tokens": 1, "model": "completion-validator-no-such-model"},
        "a model the server does not have",
        rejected_for="a model that does not exist",
        rejected_status=404,
    ),
    Case(
        "not-json",
        {"prompt": PROMPT, "max_tokens": 1},
        "a request body that is not JSON",
        rejected_for="a body that is not JSON",
        raw=b'{"prompt": "Say this is a test", "max_tokens": ',
    ),
)
CASE_NAMES = tuple(case.name for case in CASES)
