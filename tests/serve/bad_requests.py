"""The bad requests that lesson 07's server must refuse, shared by the in-process tests
(test_http.py, fake and real engine) and test_cli.py (the server started as `python -m
course_utils.serve`). A plain module, not a test file.

CASES: keyword arguments that spoil a good `client.chat.completions.create(...)` call, with the
HTTP status, the OpenAI error `param` and `code` it must get.
RAW_CASES: requests written as bytes (what no `openai` client would send: broken JSON, broken
HTTP), sent on a socket with `send_raw`. Every one of them answered 500 or worse before."""

import json
import socket

import pytest

LONG_PROMPT = "word " * 1200          # over the tiny model's 1024-token context
CHAT = "/v1/chat/completions"

CASES = [
    pytest.param(dict(model="no-such-adapter"), 404, "model", "model_not_found", id="unknown-adapter"),
    pytest.param(dict(max_tokens=0), 400, "max_tokens", "integer_below_min_value", id="max-tokens-0"),
    pytest.param(dict(max_tokens=10_000), 400, "max_tokens", "integer_above_max_value", id="max-tokens-huge"),
    pytest.param(dict(temperature=5), 400, "temperature", "decimal_above_max_value", id="temperature-5"),
    pytest.param(dict(top_p=0), 400, "top_p", "decimal_below_min_value", id="top-p-0"),
    pytest.param(dict(n=2), 400, "n", "unsupported_value", id="n-2"),
    pytest.param(dict(frequency_penalty=1), 400, "frequency_penalty", "unsupported_parameter", id="penalty"),
    pytest.param(dict(stop=["a", "b", "c", "d", "e"]), 400, "stop", "invalid_value", id="five-stops"),
    pytest.param(dict(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages[0].role",
                 "invalid_value", id="bad-role"),
    pytest.param(dict(messages=[{"role": "user", "content": 5}]), 400, "messages[0].content",
                 "invalid_type", id="bad-content"),
    pytest.param(dict(messages=[]), 400, "messages", "invalid_value", id="no-messages"),
    pytest.param(dict(stream_options={"include_usage": True}), 400, "stream_options", "invalid_value",
                 id="stream-options-without-stream"),
    pytest.param(dict(messages=[{"role": "user", "content": LONG_PROMPT}]), 400, "messages",
                 "context_length_exceeded", id="over-long-prompt"),
]

# Found by the worker after tokenizing, not by `parse_request`.
WORKER_CODES = ("context_length_exceeded",)

_GOOD = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


def _post(body: bytes, path: str = CHAT, length: str | None = None) -> bytes:
    length = str(len(body)) if length is None else length
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    return head.encode() + (f"Content-Length: {length}\r\n".encode("utf-8") if length else b"") + b"\r\n" + body


def _good_with(raw_value: str, field: str = "temperature") -> bytes:
    return json.dumps(_GOOD)[:-1].encode() + f', "{field}": {raw_value}}}'.encode()


RAW_CASES = [
    pytest.param(_post(b"{not json"), 400, None, "invalid_json", id="not-json"),
    pytest.param(_post(b"\xff\xfe"), 400, None, "invalid_json", id="not-utf8"),
    pytest.param(_post(b"[" * 100_000 + b"]" * 100_000), 400, None, "invalid_json", id="nested-100k-deep"),
    pytest.param(_post(b'{"model": "tiny", "messages": ' + b"[" * 100 + b"]" * 100 + b"}"), 400, None,
                 "invalid_json", id="nested-100-deep"),
    pytest.param(_post(_good_with("NaN")), 400, None, "invalid_json", id="temperature-NaN"),
    pytest.param(_post(_good_with("1e999")), 400, "temperature", "invalid_value", id="temperature-1e999"),
    pytest.param(_post(_good_with("9" * 5000, "max_tokens")), 400, None, "invalid_json", id="int-5000-digits"),
    pytest.param(_post(b"[1, 2]"), 400, None, "invalid_type", id="array-body"),
    pytest.param(_post(b'{"messages": []}'), 400, "model", "missing_required_parameter", id="no-model"),
    pytest.param(_post(b'{"model": "tiny", "prompt": ""}', "/v1/completions"), 400, "prompt", "invalid_value",
                 id="empty-prompt"),
    pytest.param(_post(_good_with('"yes"', "stream")), 400, "stream", "invalid_type", id="stream-yes"),
    pytest.param(_post(b"{}", length="\u00b9"), 400, None, "invalid_http_request", id="content-length-superscript"),
    pytest.param(_post(b"", length=""), 411, None, "missing_content_length", id="no-content-length"),
    pytest.param(_post(b"", length="2000000"), 413, None, "request_too_large", id="body-too-large"),
    pytest.param(_post(b"{}", "/v1/nowhere"), 404, None, "not_found", id="no-such-route"),
    pytest.param(b"GET /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n", 404, None, "not_found", id="get-a-post-route"),
    pytest.param(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431, None,
                 "invalid_http_request", id="head-20kb"),
    pytest.param(b"HELLO\r\n\r\n", 400, None, "invalid_http_request", id="not-http"),
]


def with_key(raw: bytes, api_key: str | None) -> bytes:
    """`raw` with an Authorization header after its request line (when there is a key)."""
    if not api_key or b"\r\n" not in raw:
        return raw
    line, rest = raw.split(b"\r\n", 1)
    return line + f"\r\nAuthorization: Bearer {api_key}".encode() + b"\r\n" + rest


def read_answer(sock: socket.socket) -> tuple[int, dict | None, bytes]:
    """Status, JSON body (None if not JSON) and head of one HTTP answer, read until the body is whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(65536)
        if not part:
            raise ConnectionError(f"the connection closed before a whole answer: {data[:200]!r}")
        data += part
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        part = sock.recv(65536)
        if not part:
            raise ConnectionError(f"the connection closed inside the body: {body[:200]!r}")
        body += part
    status = int(head.split(b" ")[1])
    try:
        return status, json.loads(body), head
    except ValueError:
        return status, None, head


def send_raw(port: int, raw: bytes, api_key: str | None = None, timeout: float = 60) -> tuple[int, dict | None]:
    """Send `raw` to 127.0.0.1:port and read one answer: (status, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(with_key(raw, api_key))
        status, body, _ = read_answer(sock)
        return status, body


def assert_openai_error(err, status: int, param: str, code: str) -> None:
    """`err` (an openai.APIStatusError) carries OpenAI's error body with this status, param and code."""
    assert err.status_code == status, (err.status_code, err.body)
    assert_error_body(err.body, param, code)


def assert_error_body(body: dict, param, code, type_: str = "invalid_request_error") -> None:
    """`body` (the "error" object) is OpenAI's, with this param, code and type, and a message."""
    assert set(body) == {"message", "type", "param", "code"}, body
    assert body["type"] == type_ and body["message"], body
    assert (body["param"], body["code"]) == (param, code), body
