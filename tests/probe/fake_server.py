"""An OpenAI-compatible /v1/completions and /v1/chat/completions on loopback, conformant unless told otherwise.

It answers from the request, as OpenAI does: n choices per prompt indexed prompt by prompt,
logprobs arrays of the right lengths, echo, stop sequences, the include_usage chunk, a new id
each time, 400 (with the spec's error body) for logprobs over 5, stream_options without stream,
best_of with stream and a body that is not JSON, 404 for a model it does not serve.
"""

from __future__ import annotations

import itertools
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
    # what real servers were seen to get wrong (#22), each planted alone
    "error-code-number": {"probe-error-body"},  # vLLM: "code": 400
    "error-detail": {"probe-error-body"},  # FastAPI's {"detail": ...} (transformers serve)
    "usage-one-choice": {"probe-usage-plausible"},  # llama.cpp: one choice's tokens for n choices
    "usage-zero-chunks": {"usage-zero", "probe-stream-usage-unasked", "probe-usage-plausible"},  # LiteLLM
    "same-id": {"probe-id-unique"},
    "echo-unasked": {"probe-echo-unasked"},
    "start-token-listed": {"logprobs-tokens-text"},  # vLLM's echo lists <s>
    "offsets-shifted": {"probe-text-offset"},  # llama-cpp-python: every offset one too far
    "colliding-alternatives": {"top-logprob-chosen", "probe-logprobs"},  # vLLM: tokens that read alike
    "length-after-stop": {"probe-finish-stop"},
    "stream-logprobs-dropped": {"probe-logprobs"},  # LiteLLM drops logprobs from chunks
}
UNKNOWN_MODEL = "no-such-model"  # a model name with this in it gets 404; it serves any other
_IDS = itertools.count(1)


def _logprobs(tokens: list[str], k: int, start: int, first_null: bool, defect: str | None) -> dict[str, Any]:
    offsets, position = [], start + (defect == "offsets-shifted")
    for token in tokens:
        offsets.append(position)
        position += len(token)
    alternatives = [{token: -0.5, **{f"alt{i}": -1.0 - i for i in range(k)}} for token in tokens]
    if defect == "colliding-alternatives":  # another token that reads the same took the chosen one's key
        alternatives = [{token: -2.0} for token in tokens]
    token_logprobs: list[float | None] = [-0.5] * len(tokens)
    top: list[dict[str, float] | None] = list(alternatives)
    if first_null and tokens:
        token_logprobs[0], top[0] = None, None
    return {"tokens": tokens, "token_logprobs": token_logprobs, "top_logprobs": top, "text_offset": offsets}


def _choices(body: dict[str, Any], defect: str | None) -> tuple[list[dict[str, Any]], int]:
    prompt_ids = isinstance(body["prompt"], list) and all(isinstance(part, int) for part in body["prompt"])
    prompts = body["prompt"] if isinstance(body["prompt"], list) and not prompt_ids else [body["prompt"]]
    prompts = ["" if not isinstance(prompt, str) else prompt for prompt in prompts]  # token ids echo as nothing here
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
                    tokens, finish = tokens[:cut], "stop" if defect != "length-after-stop" else "length"
                    break
            generated += len(tokens)
            unasked = defect == "echo-unasked" and limit > 0 and not stops and body.get("logprobs") is None
            echo = (body.get("echo") and defect != "echo-ignored") or unasked
            text = (prompt if echo else "") + "".join(tokens)
            logprobs = None
            if isinstance(body.get("logprobs"), int):
                listed = ([prompt] if echo and prompt else []) + tokens
                first_null = bool(echo and prompt) and defect != "echo-first-logprob"
                if defect == "start-token-listed" and echo:
                    listed, first_null = ["<s>", *listed], True
                logprobs = _logprobs(listed, body["logprobs"], 0, first_null, defect)
                if defect == "chat-shaped-logprobs":
                    logprobs = {"content": [{"token": token, "logprob": -0.5} for token in tokens]}
            choices.append({"text": text, "index": number * n + copy, "logprobs": logprobs, "finish_reason": finish})
    return choices, generated


class _Handler(BaseHTTPRequestHandler):
    serves: tuple[str, ...] = ("completions", "chat")
    defect: str | None = None

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, code: str | None, param: str | None = None) -> None:
        """The spec's error body, or what the defect makes of it."""
        error: dict[str, Any] = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
        if self.defect == "error-code-number":
            error["code"] = status
        document: dict[str, Any] = {"detail": message} if self.defect == "error-detail" else {"error": error}
        self._send(status, json.dumps(document).encode(), "application/json")

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        except ValueError:
            self._error(400, "the body is not JSON", None)
            return
        if self.path == "/v1/chat/completions" and "chat" in self.serves:
            self._send(*answer(body, self.defect))
            return
        if self.path != "/v1/completions" or "completions" not in self.serves:  # as real servers (FastAPI) answer
            self._send(404, b'{"detail":"Not Found"}', "application/json")
            return
        defect = self.defect
        if UNKNOWN_MODEL in str(body.get("model")):
            self._error(404, f"The model {body.get('model')!r} does not exist", "model_not_found", "model")
            return
        bad = (
            (isinstance(body.get("logprobs"), int) and body["logprobs"] > 5)
            or ("stream_options" in body and not body.get("stream"))
            or (body.get("best_of", 1) > 1 and body.get("stream"))
        )
        if bad and defect != "accepts-bad-params":
            self._error(400, "invalid parameter", None)
            return
        if defect == "html-from-a-gateway" and not body.get("stream"):
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "application/json")
            return
        if defect == "status-500-for-batch" and isinstance(body["prompt"], list):
            self._error(500, "batch prompts are not supported", None)
            return
        choices, generated = _choices(body, defect)
        answer_id = "cmpl-fake123" if defect == "same-id" else f"cmpl-fake{next(_IDS)}"
        head = {"id": answer_id, "object": "text_completion", "created": 1_700_000_000, "model": body["model"]}
        prompt = body["prompt"]
        prompt_tokens = len(prompt) if isinstance(prompt, list) and isinstance(prompt[0], int) else 5 * len(choices)
        prompt_tokens //= body.get("n", 1) if not isinstance(prompt, list) or isinstance(prompt[0], str) else 1
        if defect == "usage-one-choice" and len(choices) > 1:
            generated //= len(choices)
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
            if defect == "stream-logprobs-dropped":
                event_choice["logprobs"] = None
            chunk: dict[str, Any] = {**head, "choices": [event_choice]}
            if include_usage:
                chunk["usage"] = None
            elif defect == "usage-zero-chunks":
                chunk["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
            events.append(chunk)
        if include_usage:
            events.append({**head, "choices": [], "usage": usage})
        text = "".join(f"data: {json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        self._send(200, text.encode(), "text/event-stream")


@contextmanager
def fake_server(defect: str | None = None, serves: tuple[str, ...] = ("completions", "chat")) -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) for the duration; yields the base URL (`http://127.0.0.1:PORT/v1`).

    `serves`: the endpoints it has ("completions", "chat"); any other path is 404, as on a real server.
    """
    handler = type("Handler", (_Handler,), {"defect": defect, "serves": serves})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
