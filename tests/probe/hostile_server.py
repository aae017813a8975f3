"""A server on 127.0.0.1 that misbehaves at the HTTP level, one way per run, for the probe's hardening tests.

Each behaviour answers every connection the same way:

- `trickle`: the status line and headers, one byte every 0.2 s (each read succeeds, so a
  per-read timeout never fires);
- `continue-loop`: `100 Continue` again and again, never a final status;
- `silent`: reads the request and says nothing;
- `short-body`: a complete, valid completion as the body, with a Content-Length 300 bytes larger;
- `cut-chunked`: a chunked body whose last chunk never comes;
- `long-stream`: a 200 OK event stream of 300,000 chunks, each with TGI's `finish_reason: ""`;
- `endless-body`: an HTTP/1.0 answer whose body ends when the server closes, trickled forever
  (the client's connection object lets go of the socket for such an answer).

Every loop is bounded in count and time (`_MAX_SECONDS`), and a connection the client closed
ends its handler. `connections` counts the connections accepted, so a test can tell that a
request was never sent.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.hostile.inputs import VALID

BEHAVIOURS = ("trickle", "continue-loop", "silent", "short-body", "cut-chunked", "endless-body", "long-stream")
_MAX_SECONDS = 20.0  # no handler lives longer, whatever the client does
_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


@dataclass
class Hostile:
    """The running server: its base URL and the connections it has accepted."""

    base_url: str
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _body() -> bytes:
    """A true answer to the probe's basic case: its one choice finished "length" at max_tokens 8."""
    usage = {"prompt_tokens": 5, "completion_tokens": 8, "total_tokens": 13}
    return json.dumps({**VALID, "usage": usage}).encode()


def _read_request(connection: socket.socket) -> None:
    """Read the whole request: its head, then as many body bytes as its Content-Length says.

    Closing a socket with unread bytes in it makes the kernel reset the connection: the client
    may then see `connection reset` before it reads the answer, not the answer the behaviour
    stages (a cut chunked body would read as an I/O error on a loaded machine). The probe sends
    its head and its body apart, so one `recv` may return before the body has come.
    """
    received = b""
    while b"\r\n\r\n" not in received and len(received) < 65536:
        more = connection.recv(65536)
        if not more:
            return
        received += more
    head, _, body = received.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    missing = (int(length.group(1)) if length else 0) - len(body)
    while missing > 0:
        more = connection.recv(min(missing, 65536))
        if not more:
            return
        missing -= len(more)


def _answer(connection: socket.socket, behaviour: str, stop: threading.Event) -> None:
    connection.settimeout(_MAX_SECONDS)
    try:
        _read_request(connection)
        ends = time.monotonic() + _MAX_SECONDS
        if behaviour == "trickle":
            for byte in _HEAD + b"Content-Length: 2\r\n\r\n{}":
                if stop.is_set() or time.monotonic() > ends:
                    return
                connection.sendall(bytes([byte]))
                time.sleep(0.2)
        elif behaviour == "continue-loop":
            for _ in range(int(_MAX_SECONDS / 0.02)):
                if stop.is_set():
                    return
                connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                time.sleep(0.02)
        elif behaviour == "silent":
            stop.wait(_MAX_SECONDS)
        elif behaviour == "short-body":
            body = _body()
            connection.sendall(_HEAD + f"Content-Length: {len(body) + 300}\r\n\r\n".encode() + body)
        elif behaviour == "endless-body":
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
            for _ in range(int(_MAX_SECONDS / 0.02)):
                if stop.is_set():
                    return
                connection.sendall(b" ")
                time.sleep(0.02)
        elif behaviour == "long-stream":
            chunk = (
                b'data: {"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"m",'
                b'"choices":[{"text":" a","index":0,"logprobs":null,"finish_reason":""}]}\n\n'
            )
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n")
            for _ in range(300):
                if stop.is_set():
                    return
                connection.sendall(chunk * 1_000)
            connection.sendall(b"data: [DONE]\n\n")
        elif behaviour == "cut-chunked":
            body = _body()
            connection.sendall(_HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body)
    except OSError:
        pass  # the client went away: that ends this connection
    finally:
        connection.close()


@contextmanager
def hostile_server(behaviour: str) -> Iterator[Hostile]:
    """Serve `behaviour` on a free port of 127.0.0.1 until the block ends."""
    assert behaviour in BEHAVIOURS, behaviour
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    server = Hostile(f"http://127.0.0.1:{listener.getsockname()[1]}/v1")
    stop = threading.Event()

    def accept() -> None:
        ends = time.monotonic() + 4 * _MAX_SECONDS
        while not stop.is_set() and time.monotonic() < ends:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with server.lock:
                server.connections += 1
            threading.Thread(target=_answer, args=(connection, behaviour, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        listener.close()
