"""An OpenAI-compatible /v1/completions and /v1/chat/completions on loopback, conformant unless told otherwise.

It answers from the request, as OpenAI does: n choices per prompt indexed prompt by prompt,
logprobs arrays of the right lengths, echo, stop sequences, the include_usage chunk, 400 for
logprobs over 5 and for stream_options without stream.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.probe.fake_chat import answer

WORDS = ["Hello", ",", " world", "!", " This", " is", " a", " test", ".", " Done"]
DEFECTS = {
    # defect -> the rule ids the probe must report for it, and nothing else
    "status-500-for-batch": {"probe-http-status"},
    "text-plain": {"probe-content-type"},
    "no-usage": {"probe-usage"},
    "one-token-too-many": {"probe-max-tokens"},
    "stop-at-max-tokens": {"probe-finish-length"},
    "n-ignored": {"probe-choices"},
    "include-usage-ignored": {"probe-stream-usage"},
    "chat-shaped-logprobs": {"probe-logprobs", "logprobs-shape"},
    "echo-ignored": {"probe-echo", "probe-echo-logprobs"},
    "echo-first-logprob": {"probe-echo-logprobs"},
    "stop-sequence-kept": {"probe-stop"},
    "accepts-bad-params": {"probe-bad-params"},
}


def _logprobs(tokens: list[str], k: int, start: int, first_null: bool) -> dict[str, Any]:
    offsets, position = [], start
    for token in tokens:
        offsets.append(position)
        position += len(token)
    alternatives = [{token: -0.5, **{f"alt{i}": -1.0 - i for i in range(k)}} for token in tokens]
    token_logprobs: list[float | None] = [-0.5] * len(tokens)
    top: list[dict[str, float] | None] = list(alternatives)
    if first_null and tokens:
        token_logprobs[0], top[0] = None, None
    return {"tokens": tokens, "token_logprobs": token_logprobs, "top_logprobs": top, "text_offset": offsets}


def _choices(body: dict[str, Any], defect: str | None) -> tuple[list[dict[str, Any]], int]:
    prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
    n = 1 if defect == "n-ignored" else body.get("n", 1)
    limit = body.get("max_tokens", 16) + (defect == "one-token-too-many")
    stops = body.get("stop") or []
    choices, generated = [], 0
    for number, prompt in enumerate(prompts):
        for copy in range(n):
            tokens = [WORDS[(i + copy) % len(WORDS)] for i in range(limit)]
            finish = "length" if defect != "stop-at-max-tokens" else "stop"
            for cut in range(len(tokens)):
                text_so_far = "".join(tokens[: cut + 1])
                if defect != "stop-sequence-kept" and any(stop in text_so_far for stop in stops):
                    tokens, finish = tokens[:cut], "stop"
                    break
            generated += len(tokens)
            echo = body.get("echo") and defect != "echo-ignored"
            text = (prompt if echo else "") + "".join(tokens)
            logprobs = None
            if isinstance(body.get("logprobs"), int):
                listed = ([prompt] if echo else []) + tokens
                logprobs = _logprobs(listed, body["logprobs"], 0, bool(echo) and defect != "echo-first-logprob")
                if defect == "chat-shaped-logprobs":
                    logprobs = {"content": [{"token": token, "logprob": -0.5} for token in tokens]}
            choices.append({"text": text, "index": number * n + copy, "logprobs": logprobs, "finish_reason": finish})
    return choices, generated


class _Handler(BaseHTTPRequestHandler):
    defect: str | None = None

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path == "/v1/chat/completions":
            self._send(*answer(body, self.defect))
            return
        if self.path != "/v1/completions":  # as real servers (and FastAPI's default body) answer
            self._send(404, b'{"detail":"Not Found"}', "application/json")
            return
        defect = self.defect
        bad = (isinstance(body.get("logprobs"), int) and body["logprobs"] > 5) or (
            "stream_options" in body and not body.get("stream")
        )
        if bad and defect != "accepts-bad-params":
            error = {"error": {"message": "invalid parameter", "type": "invalid_request_error", "code": None}}
            self._send(400, json.dumps(error).encode(), "application/json")
            return
        if defect == "html-from-a-gateway" and not body.get("stream"):
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "application/json")
            return
        if defect == "status-500-for-batch" and isinstance(body["prompt"], list):
            self._send(500, b'{"error": {"message": "batch prompts are not supported"}}', "application/json")
            return
        choices, generated = _choices(body, defect)
        head = {"id": "cmpl-fake123", "object": "text_completion", "created": 1_700_000_000, "model": body["model"]}
        prompt_tokens = 5 * (len(body["prompt"]) if isinstance(body["prompt"], list) else 1)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": generated,
            "total_tokens": prompt_tokens + generated,
        }
        if not body.get("stream"):
            response: dict[str, Any] = {**head, "choices": choices}
            if defect != "no-usage":
                response["usage"] = usage
            content_type = "text/plain" if defect == "text-plain" else "application/json"
            self._send(200, json.dumps(response).encode(), content_type)
            return
        if defect == "never-ending-stream":  # trickles keep-alives: bounded here in count and time (20 s)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for _ in range(400):
                try:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                except OSError:  # the probe gave up and closed the connection
                    return
                time.sleep(0.05)
            return
        include_usage = (body.get("stream_options") or {}).get("include_usage") and defect != "include-usage-ignored"
        events = []
        for choice in choices:
            event_choice = {**choice}
            chunk: dict[str, Any] = {**head, "choices": [event_choice]}
            if include_usage:
                chunk["usage"] = None
            events.append(chunk)
        if include_usage:
            events.append({**head, "choices": [], "usage": usage})
        text = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        self._send(200, text.encode(), "text/event-stream")


@contextmanager
def fake_server(defect: str | None = None) -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) for the duration; yields the base URL (`http://127.0.0.1:PORT/v1`)."""
    handler = type("Handler", (_Handler,), {"defect": defect})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
