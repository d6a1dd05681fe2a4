"""Lesson 07's request checks without a model: every bad request of bad_requests.py that the
parser catches raises RequestError with its status, param and code, and the error body is
OpenAI's; good bodies become jobs with OpenAI's defaults; bodies that are not JSON, nest too
deep or hold NaN are 400s. test_requests_fuzz.py throws generated bodies at the same parser."""

import json

import pytest

from course_utils.serve.answer import apply_stop
from course_utils.serve.engine import AdapterNotFoundError, Completion
from course_utils.serve.requests import (DEFAULT_MAX_TOKENS, MAX_JSON_DEPTH, RequestError, parse_body,
                                         parse_request)
from course_utils.serve.responses import response_body

from bad_requests import CASES, WORKER_CODES


class StubEngine:
    """What `parse_request` asks of an engine: its names, `route`, and its context length."""

    names = ["tiny", "triage", "policy_qa"]
    context_length = 1024

    def route(self, name):
        if name not in self.names:
            raise AdapterNotFoundError(f"The model {name!r} is not served here.")
        return name


GOOD = dict(model="policy_qa", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)


@pytest.mark.parametrize("kwargs, status, param, code",
                         [c for c in CASES if c.values[3] not in WORKER_CODES])
def test_each_bad_request_is_refused_with_its_status_param_and_code(kwargs, status, param, code):
    with pytest.raises(RequestError) as info:
        parse_request("chat", {**GOOD, **kwargs}, StubEngine())
    err = info.value
    assert (err.status, err.param, err.code) == (status, param, code)
    assert err.body() == {"error": {"message": err.message, "type": "invalid_request_error",
                                    "param": param, "code": code}}


def test_a_good_chat_and_a_good_completion_become_jobs():
    job = parse_request("chat", {**GOOD, "stop": "\n", "max_completion_tokens": 7}, StubEngine())
    assert (job.kind, job.model, job.max_tokens, job.stop, job.temperature) == ("chat", "policy_qa", 7, ["\n"], 0.0)
    assert job.prompt == [{"role": "user", "content": "Hi"}] and job.prompt_param == "messages"
    job = parse_request("completion", {"model": "tiny", "prompt": ["Hello"]}, StubEngine())
    assert (job.prompt, job.max_tokens, job.prompt_param) == ("Hello", DEFAULT_MAX_TOKENS, "prompt")
    with pytest.raises(RequestError) as info:
        parse_request("completion", {"model": "tiny"}, StubEngine())
    assert (info.value.param, info.value.code) == ("prompt", "missing_required_parameter")


def test_streaming_fields_and_tiny_temperatures():
    job = parse_request("chat", {**GOOD, "stream": True, "stream_options": {"include_usage": True}}, StubEngine())
    assert (job.stream, job.include_usage) == (True, True)
    assert parse_request("chat", {**GOOD, "stream": False}, StubEngine()).stream is False
    for bad, param, code in (({"stream": "yes"}, "stream", "invalid_type"), ({"stream": 1}, "stream", "invalid_type"),
                             ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
                             ({"stream": True, "stream_options": []}, "stream_options", "invalid_type"),
                             ({"temperature": float("inf")}, "temperature", "invalid_value"),
                             ({"temperature": float("nan")}, "temperature", "invalid_value")):
        with pytest.raises(RequestError) as info:
            parse_request("chat", {**GOOD, **bad}, StubEngine())
        assert (info.value.status, info.value.param, info.value.code) == (400, param, code), bad
    tiny = parse_request("chat", {**GOOD, "temperature": 1e-300}, StubEngine())
    assert tiny.greedy and tiny.key == (0.0, 1.0)             # vLLM's rule: below 1e-5 is greedy
    assert parse_request("chat", {**GOOD, "min_tokens": 4}, StubEngine()).min_tokens == 4
    with pytest.raises(RequestError) as info:                 # at most max_tokens (4 in GOOD)
        parse_request("chat", {**GOOD, "min_tokens": 5}, StubEngine())
    assert (info.value.param, info.value.code) == ("min_tokens", "integer_above_max_value")
    assert not parse_request("chat", {**GOOD, "temperature": 0.7}, StubEngine()).greedy
    with pytest.raises(RequestError, match="empty") as info:
        parse_request("completion", {"model": "tiny", "prompt": ""}, StubEngine())
    assert (info.value.param, info.value.code) == ("prompt", "invalid_value")


@pytest.mark.parametrize("raw", [b"{not json", b"\xff", b"[" * 100_000 + b"]" * 100_000, b"NaN", b'{"a": Infinity}',
                                 b"1" * 5000, b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)])
def test_bodies_that_are_not_plain_json_are_400(raw):
    with pytest.raises(RequestError) as info:
        parse_body(raw)
    assert (info.value.status, info.value.code, info.value.param) == (400, "invalid_json", None)


def test_plain_json_at_the_depth_limit_is_read():
    deep = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert parse_body(deep) == json.loads(deep)
    assert parse_body(json.dumps(GOOD).encode()) == GOOD


def test_long_bad_values_are_shortened_in_messages():
    with pytest.raises(RequestError) as info:
        parse_request("chat", {**GOOD, "max_tokens": "x" * 100_000}, StubEngine())
    assert len(info.value.message) < 200


def test_stop_strings_and_the_response_body():
    assert apply_stop("abc. def", [".", "z"]) == ("abc", True)
    assert apply_stop("abc", ["z"]) == ("abc", False)
    job = parse_request("chat", GOOD, StubEngine())
    body = response_body(job, Completion("hello", "policy_qa", 9, 2, "stop"))
    assert body["object"] == "chat.completion" and body["model"] == "policy_qa"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "hello"}
    assert body["usage"] == {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
