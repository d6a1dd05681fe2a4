"""Lesson 07's request checks without a model: every bad request of bad_requests.py that the
parser catches raises RequestError with its status, param and code, and the error body is
OpenAI's; good bodies become jobs with OpenAI's defaults."""

import pytest

from course_utils.serve.engine import AdapterNotFoundError, Completion
from course_utils.serve.requests import (DEFAULT_MAX_TOKENS, RequestError, apply_stop, parse_request,
                                         response_body)

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


def test_stop_strings_and_the_response_body():
    assert apply_stop("abc. def", [".", "z"]) == ("abc", True)
    assert apply_stop("abc", ["z"]) == ("abc", False)
    job = parse_request("chat", GOOD, StubEngine())
    body = response_body(job, Completion("hello", "policy_qa", 9, 2, "stop"))
    assert body["object"] == "chat.completion" and body["model"] == "policy_qa"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "hello"}
    assert body["usage"] == {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}
