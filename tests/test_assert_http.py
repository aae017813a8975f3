"""`assert_valid_completion` on real httpx and requests responses: the status and the server's words, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import requests

from completion_validator.testing import CompletionAssertionError, assert_valid_completion

VALID = Path(__file__).parent / "examples" / "valid" / "v01_openai_spec_example_nonstream.json"
ERROR_BODY = Path(__file__).parent / "examples" / "invalid" / "i39_error_body.json"
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def httpx_response(status: int, body: bytes, content_type: str = "application/json") -> httpx.Response:
    request = httpx.Request("POST", "http://127.0.0.1:8000/v1/completions")
    return httpx.Response(status, content=body, headers={"content-type": content_type}, request=request)


def requests_response(
    status: int, body: bytes, reason: str, content_type: str = "application/json"
) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content, response.reason = status, body, reason
    response.headers["content-type"] = content_type
    return response


def responses(status: int, body: bytes, reason: str, content_type: str = "application/json") -> list[object]:
    return [httpx_response(status, body, content_type), requests_response(status, body, reason, content_type)]


@pytest.mark.parametrize("response", responses(200, VALID.read_bytes(), "OK"), ids=["httpx", "requests"])
def test_a_valid_body_passes(response: object) -> None:
    assert_valid_completion(response)


@pytest.mark.parametrize("response", responses(502, HTML_502, "Bad Gateway", "text/html"), ids=["httpx", "requests"])
def test_an_html_502_names_the_status_and_shows_the_body(response: object) -> None:
    with pytest.raises(CompletionAssertionError) as caught:
        assert_valid_completion(response)
    report = str(caught.value)
    assert report.startswith("HTTP 502 Bad Gateway: the server answered with an error, not a completion")
    assert "body (text/html): <html><head><title>502 Bad Gateway" in report
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


@pytest.mark.parametrize("response", responses(400, ERROR_BODY.read_bytes(), "Bad Request"), ids=["httpx", "requests"])
def test_an_api_error_shows_the_servers_message_not_missing_fields(response: object) -> None:
    with pytest.raises(CompletionAssertionError) as caught:
        assert_valid_completion(response)
    report = str(caught.value)
    assert report.startswith("HTTP 400 Bad Request: the server answered with an API error: ")
    assert "The model `text-davinci-003` has been deprecated" in report
    assert "code 'model_not_found'" in report
    assert "required" not in report


@pytest.mark.parametrize("response", responses(500, b"", "Internal Server Error"), ids=["httpx", "requests"])
def test_an_empty_error_body_says_so(response: object) -> None:
    with pytest.raises(CompletionAssertionError, match=r"(?s)HTTP 500 Internal Server Error: .*an empty body"):
        assert_valid_completion(response)


def test_a_duplicate_key_in_a_body_fails_as_it_fails_given_as_text() -> None:
    valid = json.loads(VALID.read_text())
    text = json.dumps(valid)[:-1] + ', "model": "other"}'
    with pytest.raises(CompletionAssertionError, match="duplicate") as as_text:
        assert_valid_completion(text)
    for response in responses(200, text.encode(), "OK"):
        with pytest.raises(CompletionAssertionError, match="duplicate") as as_body:
            assert_valid_completion(response)
        assert "HTTP 200 OK: the body (application/json) is not valid JSON" in str(as_body.value)
        assert str(as_text.value).split(": ", 1)[1] in str(as_body.value)


def test_an_error_body_given_as_data_is_named_with_its_message() -> None:
    with pytest.raises(CompletionAssertionError) as caught:
        assert_valid_completion(json.loads(ERROR_BODY.read_text()))
    assert "an API error body, not a completion response: the server said" in str(caught.value)
    assert [error.keyword for error in caught.value.errors] == ["api-error"]
