"""Lesson 07's OpenAI-compatible server, driven by the official `openai` client on a free loopback
port: concurrent mixed-adapter requests get exactly their adapter's offline greedy answer; bad
requests get 4xx error JSON and the server keeps answering; it binds 127.0.0.1 and stops cleanly."""

import json
import re
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from course_utils.serve import engine as serve
from course_utils.serve import http as server
from course_utils.dataset.load import load_split

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


@pytest.mark.parametrize("kwargs, status, param", [
    (dict(model="no-such-adapter"), 404, "model"),
    (dict(max_tokens=0), 400, "max_tokens"),
    (dict(max_tokens=10_000), 400, "max_tokens"),
    (dict(temperature=5), 400, "temperature"),
    (dict(n=2), 400, "n"),
    (dict(stream=True), 400, "stream"),
    (dict(messages=[{"role": "wizard", "content": "hi"}]), 400, "messages[0].role"),
    (dict(messages=[{"role": "user", "content": "word " * 1200}]), 400, "messages"),
])
def test_bad_requests_get_openai_error_json_and_the_server_keeps_serving(client, requests_and_answers,
                                                                        kwargs, status, param):
    reqs, offline = requests_and_answers
    args = {**dict(model=reqs[1][0], messages=reqs[1][1], max_tokens=MAX_TOKENS), **kwargs}
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**args)
    err = info.value
    assert err.status_code == status and err.body["param"] == param and err.body["message"]
    if param == "messages":
        assert err.body["code"] == "context_length_exceeded"
    again = client.chat.completions.create(model=reqs[1][0], messages=reqs[1][1], max_tokens=MAX_TOKENS)
    assert again.choices[0].message.content == offline[1]


def test_malformed_bodies_and_routes(running, requests_and_answers):
    url = running.url
    for body in (b"{not json", b"[1, 2]", b'{"messages": []}', b"\xff\xfe"):
        status, payload = post_raw(url, "/chat/completions", body)
        assert status == 400 and payload["error"]["type"] == "invalid_request_error", body
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


def test_cli_serves_then_stops_on_sigterm(random_adapters):
    """`python -m course_utils.serve ...` in a subprocess: it answers, then exits 0 on SIGTERM."""
    cmd = [sys.executable, "-m", "course_utils.serve", "--base", "tiny", "--port", "0",
           *(f"--adapter={n}={p}" for n, p in random_adapters.items())]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, deadline, seen = None, time.time() + 120, []
        while url is None and time.time() < deadline and proc.poll() is None:
            if select.select([proc.stdout], [], [], 1)[0]:
                line = proc.stdout.readline()
                seen.append(line)
                m = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
                url = m.group(1) if m else None
        assert url, f"the server did not start: {''.join(seen)[-2000:]}"
        r = server.openai_client(url).chat.completions.create(
            model="policy_qa", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
        assert r.model == "policy_qa"
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        assert "Server stopped." in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_rejects_bad_adapter_arguments(tmp_path, capsys):
    for arg in ("no-equals-sign", "__base__=x", f"a={tmp_path}"):
        with pytest.raises(SystemExit) as info:
            serve.main(["--adapter", arg])
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "NAME=PATH" in err and "not usable" in err and "adapter_config.json" in err
