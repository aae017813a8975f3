"""The matrix of requests the probe sends: each a case, named, with the body that asks for something."""

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
        {"prompt": PROMPT, "max_tokens": 8, "stream": True, "stream_options": {"include_usage": True}},
        "a stream with the include_usage chunk",
    ),
    Case("n", {"prompt": PROMPT, "max_tokens": 4, "n": 2}, "n=2: two choices"),
    Case("n-stream", {"prompt": PROMPT, "max_tokens": 4, "n": 2, "stream": True}, "n=2 streamed"),
    Case("batch", {"prompt": [PROMPT, "Say hello"], "max_tokens": 4, "n": 2}, "two prompts with n=2: four choices"),
    Case("logprobs", {"prompt": PROMPT, "max_tokens": 4, "logprobs": 2, "temperature": 0}, "logprobs=2"),
    Case("echo", {"prompt": PROMPT, "max_tokens": 1, "echo": True, "logprobs": 1}, "echo with logprobs", lenient=True),
    Case("stop", {"prompt": PROMPT, "max_tokens": 16, "stop": [" test", "."]}, "stop sequences"),
    Case(
        "bad-params-logprobs",
        {"prompt": PROMPT, "max_tokens": 1, "logprobs": 6},
        "logprobs over OpenAI's 5",
        rejected_for="logprobs",
    ),
    Case(
        "bad-params-stream-options",
        {"prompt": PROMPT, "max_tokens": 1, "stream_options": {"include_usage": True}},
        "stream_options without stream",
        rejected_for="stream-options",
    ),
)
CASE_NAMES = tuple(case.name for case in CASES)
