"""What one probe case got back: the request, the HTTP answer, and the response it adds up to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from completion_validator._probe.cases import Case


@dataclass
class Outcome:
    """One case: its request, what the server answered, and the response it adds up to."""

    case: Case
    request: dict[str, Any]
    status: int
    content_type: str
    response: dict[str, Any] | None = None  # the JSON body, or the response a stream adds up to
    usage_chunks: int = 0  # a stream's include_usage chunks (choices: [] and a usage object)
    error_body: Any = None  # the body's `error` member, when it has one
    framing: str | None = None  # how the HTTP framing of the answer broke, if it did
    body: Any = None  # the JSON body as read (an error document, for a non-2xx answer); None for a stream
    body_is_json: bool = False  # whether the body was read as JSON at all
    unasked_usage_chunks: int = 0  # chunks with choices that carry a usage nobody asked for
    earlier_ids: dict[str, str] = field(default_factory=dict)  # ids of the answers before, to the case that got each

    @property
    def streamed(self) -> bool:
        """Whether the request asked for a stream."""
        return bool(self.request.get("stream"))

    @property
    def expects_rejection(self) -> bool:
        """Whether the request is one the API refuses."""
        return self.case.expects_rejection

    def choices(self) -> list[Mapping[str, Any]]:
        """The response's well-formed choices."""
        choices = (self.response or {}).get("choices")
        return [choice for choice in choices if isinstance(choice, Mapping)] if isinstance(choices, list) else []
