"""Lesson 07's OpenAI-compatible server, in this process, driven by the official `openai` client
on a free loopback port: concurrent mixed-adapter requests get exactly their adapter's offline
greedy answer; bad requests get 4xx error JSON with `param` and `code` and the server keeps
answering; it binds 127.0.0.1 and stops cleanly. test_cli.py runs the same bad requests against
`python -m course_utils.serve`."""

import json
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from course_utils.dataset.load import load_split
from course_utils.serve import http as server

from bad_requests import CASES, assert_openai_error

pytestmark = pytest.mark.slow   # the tiny model in 4-bit and a server on a loopback port

MAX_TOKENS = 10


@pytest.fixture(scope="module")
def engine(tiny_engine):
    return tiny_engine


@pytest.fixture(scope="module")
def requests_and_answers(engine):
    """12 chat requests over the three adapters and the base, with their offline greedy answers."""
    rows = load_split("validation")[:12]
    names = ["triage", "moderation", "policy_qa", "tiny"]
    reqs = [(names[i % 4], r["messages"][:-1]) for i, r in enumerate(rows)]
    offline = [engine.generate([m], [n], max_new_tokens=MAX_TOKENS)[0].text for n, m in reqs]
    return reqs, offline


@pytest.fixture(scope="module")
def running(engine, requests_and_answers):
    handle = server.start_server(engine, port=0)   # port 0: a free port chosen by the system
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def client(running):
    return server.openai_client(running.url, timeout=60)


def post_raw(url, path, data: bytes, content_type="application/json"):
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_binds_loopback_and_lists_the_models(running, client):
    assert running.host == "127.0.0.1" and running.url.startswith("http://127.0.0.1:")
    models = client.models.list().data
    assert [m.id for m in models] == ["tiny", "triage", "moderation", "policy_qa"]


def test_concurrent_mixed_adapter_requests_get_their_own_adapters_answer(running, client, requests_and_answers):
    reqs, offline = requests_and_answers
    before = len(running.batcher.batches)

    def ask(req):
        r = client.chat.completions.create(model=req[0], messages=req[1], max_tokens=MAX_TOKENS, temperature=0)
        return r.model, r.choices[0].message.content

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(ask, reqs))
    assert [m for m, _ in got] == [n for n, _ in reqs]
    wrong = [(i, reqs[i][0]) for i, (_, text) in enumerate(got) if text != offline[i]]
    assert not wrong, f"answers that are not their adapter's offline greedy output: {wrong}"
    assert len(set(offline)) >= 4                       # the adapters really answer differently
    assert max(running.batcher.batches[before:]) > 1    # and requests were batched together


def test_completions_endpoint_and_usage(engine, client):
    r = client.completions.create(model="moderation", prompt="Hello there", max_tokens=5)
    want = engine.generate(["Hello there"], ["moderation"], max_new_tokens=5, chat=False)[0]
    assert r.choices[0].text == want.text and r.object == "text_completion"
    assert r.usage.prompt_tokens == want.prompt_tokens and r.usage.completion_tokens == want.completion_tokens
    assert r.choices[0].finish_reason == want.finish_reason


def test_stop_strings_cut_the_answer(engine, client, requests_and_answers):
    (name, msgs), text = requests_and_answers[0][1], requests_and_answers[1][1]
    if len(text) < 3:
        pytest.skip("answer too short to cut")
    stop = text[1:3]
    r = client.chat.completions.create(model=name, messages=msgs, max_tokens=MAX_TOKENS, stop=[stop])
    assert r.choices[0].message.content == text[:text.find(stop)] and r.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("kwargs, status, param, code", CASES)
def test_bad_requests_get_openai_error_json_and_the_server_keeps_serving(client, requests_and_answers,
                                                                        kwargs, status, param, code):
    reqs, offline = requests_and_answers
    args = {**dict(model=reqs[1][0], messages=reqs[1][1], max_tokens=MAX_TOKENS), **kwargs}
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**args)
    assert_openai_error(info.value, status, param, code)
    again = client.chat.completions.create(model=reqs[1][0], messages=reqs[1][1], max_tokens=MAX_TOKENS)
    assert again.choices[0].message.content == offline[1]


def test_malformed_bodies_and_routes(running, requests_and_answers):
    url = running.url
    for body, param, code in ((b"{not json", None, "invalid_json"), (b"[1, 2]", None, "invalid_type"),
                              (b'{"messages": []}', "model", "missing_required_parameter"),
                              (b"\xff\xfe", None, "invalid_json")):
        status, payload = post_raw(url, "/chat/completions", body)
        assert status == 400 and payload["error"]["type"] == "invalid_request_error", body
        assert (payload["error"]["param"], payload["error"]["code"]) == (param, code), payload
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:   # no Content-Length
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(200).startswith(b"HTTP/1.1 411")
    status, payload = post_raw(url, "/nowhere", b"{}")
    assert status == 404 and "no route" in payload["error"]["message"]
    reqs, offline = requests_and_answers
    status, payload = post_raw(url, "/chat/completions", json.dumps(
        {"model": reqs[2][0], "messages": reqs[2][1], "max_tokens": MAX_TOKENS}).encode())
    assert status == 200 and payload["choices"][0]["message"]["content"] == offline[2]


def test_stop_is_clean_and_idempotent(engine):
    handle = server.start_server(engine, port=0)
    port = handle.port
    handle.stop()
    handle.stop()
    assert not handle.batcher._thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(ValueError, match="max_batch"):
        server.start_server(engine, max_batch=0)
