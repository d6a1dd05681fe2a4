"""The bad chat requests that lesson 07's server must refuse, shared by test_http.py (server in
this process) and test_cli.py (server started as `python -m course_utils.serve`): each is the
keyword arguments that spoil a good `client.chat.completions.create(...)` call, with the HTTP
status, the OpenAI error `param` and `code` it must get. A plain module, not a test file."""

import pytest

LONG_PROMPT = "word " * 1200          # over the tiny model's 1024-token context

CASES = [
    pytest.param(dict(model="no-such-adapter"), 404, "model", "model_not_found", id="unknown-adapter"),
    pytest.param(dict(max_tokens=0), 400, "max_tokens", "integer_below_min_value", id="max-tokens-0"),
    pytest.param(dict(max_tokens=10_000), 400, "max_tokens", "integer_above_max_value", id="max-tokens-huge"),
    pytest.param(dict(temperature=5), 400, "temperature", "decimal_above_max_value", id="temperature-5"),
    pytest.param(dict(top_p=0), 400, "top_p", "decimal_below_min_value", id="top-p-0"),
    pytest.param(dict(n=2), 400, "n", "unsupported_value", id="n-2"),
    pytest.param(dict(stream=True), 400, "stream", "unsupported_parameter", id="stream"),
    pytest.param(dict(stop=["a", "b", "c", "d", "e"]), 400, "stop", "invalid_value", id="five-stops"),
    pytest.param(dict(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages[0].role",
                 "invalid_value", id="bad-role"),
    pytest.param(dict(messages=[{"role": "user", "content": 5}]), 400, "messages[0].content",
                 "invalid_type", id="bad-content"),
    pytest.param(dict(messages=[]), 400, "messages", "invalid_value", id="no-messages"),
    pytest.param(dict(messages=[{"role": "user", "content": LONG_PROMPT}]), 400, "messages",
                 "context_length_exceeded", id="over-long-prompt"),
]

# Found by the worker after tokenizing, not by `parse_request`.
WORKER_CODES = ("context_length_exceeded",)


def assert_openai_error(err, status: int, param: str, code: str) -> None:
    """`err` (an openai.APIStatusError) carries OpenAI's error body with this status, param and code."""
    assert err.status_code == status, (err.status_code, err.body)
    assert set(err.body) == {"message", "type", "param", "code"}, err.body
    assert err.body["type"] == "invalid_request_error" and err.body["message"], err.body
    assert (err.body["param"], err.body["code"]) == (param, code), err.body
