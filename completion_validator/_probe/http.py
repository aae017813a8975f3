"""Sending one request to a live server: the standard library only, bounded in time and in size.

A stream is read as it comes, under one deadline for the whole answer, so a server that never
ends a stream hits `--timeout` instead of hanging the probe. Nothing is imported on the file
checking path.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_ANSWER = 64 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """What the server sent back: status, content type and body bytes."""

    status: int
    content_type: str
    body: bytes


class Unreachable(Exception):
    """The server could not be asked: refused, timed out, TLS failed, or the URL is wrong."""


def post(base_url: str, path: str, body: dict[str, Any], *, api_key: str | None, timeout: float) -> Answer:
    """POST `body` as JSON to `base_url + path` and read the whole answer before `timeout` seconds pass."""
    url = urlsplit(base_url.rstrip("/") + path)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise Unreachable(f"{base_url!r} is not an http(s) URL")
    connection_type = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_type(url.hostname, url.port, timeout=timeout)
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    deadline = time.monotonic() + timeout
    try:
        connection.request("POST", url.path + (f"?{url.query}" if url.query else ""), json.dumps(body), headers)
        response = connection.getresponse()
        parts: list[bytes] = []
        size = 0
        while chunk := response.read1(65536):
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER:
                raise Unreachable(f"the answer is larger than {MAX_ANSWER // (1 << 20)} MiB")
            if time.monotonic() > deadline:
                raise Unreachable(f"the answer did not end within {timeout:g} s (a stream that never ends?)")
        return Answer(response.status, response.getheader("content-type") or "", b"".join(parts))
    except ConnectionRefusedError:
        raise Unreachable(f"connection refused by {url.hostname}:{url.port or 'default port'}") from None
    except TimeoutError:
        raise Unreachable(f"no answer within {timeout:g} s") from None
    except ssl.SSLError as error:
        raise Unreachable(f"TLS failed: {error.reason or error}") from None
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(f"{type(error).__name__}: {error}") from None
    finally:
        connection.close()
