"""Sending one request to a live server: the standard library only, bounded in time, size and memory.

One deadline covers the whole exchange — connecting, the status line and headers (however
slowly a server trickles them, however many `100 Continue` it sends), and the body: a watchdog
shuts the socket down when it passes, so no read can outlive it. The body is gathered into one
buffer (a server that sends it a byte at a time costs its bytes, not an object per byte), up to
`MAX_ANSWER`. An answer whose framing is broken (fewer bytes than its Content-Length, a chunked
body cut off) is kept with what came and the break described, for the probe to report.

Nothing here ever puts the API key into a message: the key is checked before anything is sent
(`check_api_key`), and every message is built from our own words, the host and the port.
Nothing is imported on the file checking path.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

MAX_ANSWER = 64 * 1024 * 1024
_READ = 65536


@dataclass(frozen=True)
class Answer:
    """What the server sent back: status, content type, body bytes, and how its framing broke (if it did)."""

    status: int
    content_type: str
    body: bytes
    framing: str | None = None


class Unreachable(Exception):
    """The server could not be asked, or did not answer in time: the message says which (never the key)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class BadArgument(ValueError):
    """A probe argument that cannot be used; the message names the argument, never a secret it holds."""


def check_api_key(key: str | None, source: str) -> str | None:
    """The key as it will be sent (surrounding white space dropped), or `BadArgument` naming `source`.

    Keys read from files and secrets often end with a newline: that is dropped. Any other control
    character, or one outside Latin-1, cannot go into an HTTP header; the error says where the key
    came from and never shows it.
    """
    if key is None:
        return None
    key = key.strip()
    if any(ord(character) < 32 or ord(character) == 127 or ord(character) > 255 for character in key):
        raise BadArgument(
            f"the API key from {source} holds a control character or one outside Latin-1: "
            "it cannot be sent in an HTTP header (the key is not shown)"
        )
    return key or None


def check_base_url(base_url: str) -> SplitResult:
    """The parsed base URL, or `BadArgument`: http(s), a host, a port that exists, no user name or password."""
    try:
        url = urlsplit(base_url)
        port = url.port  # raises for a port that is not a number in 0..65535
    except ValueError as error:
        raise BadArgument(f"--base-url is not a URL: {error}") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise BadArgument("--base-url must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/v1")
    if url.username is not None or url.password is not None:
        raise BadArgument(
            "--base-url holds a user name or password (user:pass@host); it is not sent or shown: "
            "give the key with --api-key or $OPENAI_API_KEY"
        )
    if port == 0:
        raise BadArgument("--base-url names port 0")
    return url


def shown(url: SplitResult) -> str:
    """A URL as messages show it: scheme, host, port and path, never a user name or password."""
    host = f"[{url.hostname}]" if url.hostname and ":" in url.hostname else url.hostname
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{host}{port}{url.path}"


class _Response(Protocol):
    def read1(self, n: int = -1) -> bytes: ...


def read_body(response: _Response, body: bytearray, limit: int = MAX_ANSWER) -> None:
    """The whole body into `body`, however small the pieces it comes in; `Unreachable` past `limit`."""
    while chunk := response.read1(_READ):
        body += chunk
        if len(body) > limit:
            raise Unreachable(f"the answer is larger than {limit // (1 << 20)} MiB")


class _Watchdog:
    """Shuts a socket down when the deadline passes, so that any read blocked on it ends.

    It holds the socket itself: `http.client` drops the connection's reference to it for an
    answer that ends when the server closes, while the response still reads from it.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket | None) -> None:
        """The socket to shut down (connected now); at once if the deadline has passed already."""
        with self._lock:
            self._socket = sock
            expired = self.expired
        if expired:
            self._shut()

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
        self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed
                self._socket.shutdown(socket.SHUT_RDWR)


def post(base_url: str, path: str, body: dict[str, Any] | bytes, *, api_key: str | None, timeout: float) -> Answer:
    """POST `body` as JSON (bytes: as they are) to `base_url + path`; the whole answer must come within `timeout` s."""
    try:
        url = check_base_url(base_url.rstrip("/") + path)
        key = check_api_key(api_key, "--api-key")
    except BadArgument as error:
        raise Unreachable(str(error)) from None
    assert url.hostname is not None
    connection_type = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(url.hostname, url.port, timeout=timeout)
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if key:
        headers["authorization"] = f"Bearer {key}"
    where = f"{url.hostname}:{url.port or 'default port'}"
    target = url.path + (f"?{url.query}" if url.query else "")
    started = time.monotonic()
    content = bytearray()
    response: http.client.HTTPResponse | None = None

    def late() -> Unreachable:
        if response is None:  # the deadline covers connecting, the status line and every header
            return Unreachable(f"no answer within {timeout:g} s (status line and headers)", timed_out=True)
        return Unreachable(f"the answer did not end within {timeout:g} s (a stream that never ends?)", timed_out=True)

    with _Watchdog(timeout) as watchdog:
        try:
            connection.connect()  # within the socket's own timeout, which is the whole deadline
            watchdog.watch(connection.sock)
            connection.request("POST", target, body if isinstance(body, bytes) else json.dumps(body), headers)
            response = connection.getresponse()
            read_body(response, content)
            framing = None
            if response.length:  # what read1 left of the Content-Length when the server closed
                framing = f"the body ended after {len(content)} bytes, {response.length} short of its Content-Length"
            if watchdog.expired:
                raise late()
            return Answer(response.status, response.getheader("content-type") or "", bytes(content), framing)
        except Unreachable:
            raise
        except http.client.IncompleteRead:
            if watchdog.expired or response is None:
                raise late() from None
            framing = f"the chunked body was cut off after {len(content)} bytes, before its last chunk"
            return Answer(response.status, response.getheader("content-type") or "", bytes(content), framing)
        except ConnectionRefusedError:
            raise Unreachable(f"connection refused by {where}") from None
        except TimeoutError:
            raise late() from None
        except ssl.SSLError as error:
            raise Unreachable(f"TLS failed: {error.reason or type(error).__name__}") from None
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watchdog.expired or time.monotonic() - started >= timeout:
                raise late() from None
            # The class name and errno only: an exception's text may quote what was sent.
            reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
            raise Unreachable(f"{reason} while talking to {where}") from None
        finally:
            if response is not None:
                response.close()
            connection.close()
