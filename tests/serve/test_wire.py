"""Lesson 07's server at the HTTP level (`course_utils.serve.wire`), on FakeEngine: every request of
bad_requests.RAW_CASES (broken JSON, broken HTTP, bodies too large or too deep) gets its 4xx with
OpenAI's error body and the server keeps serving; a client that drips its head or stalls its
body gets 408 in a bounded time while others are served; an idle connection is closed; the
connection cap answers 503."""

import socket
import time

import pytest

from course_utils.serve import http as server
from course_utils.serve.client import openai_client
from course_utils.serve.http import ServerSettings

from bad_requests import RAW_CASES, assert_error_body, read_answer, send_raw, with_key
from fake_engine import KEY, MSG, FakeEngine



def chat(handle):
    return openai_client(handle.url, api_key=KEY, timeout=30).chat.completions


@pytest.mark.parametrize("raw, status, param, code", RAW_CASES)
def test_raw_bad_requests_get_4xx_with_openai_body(fake, raw, status, param, code):
    got, body = send_raw(fake.port, raw, api_key=KEY)
    assert got == status, body
    assert_error_body(body["error"], param, code)
    assert chat(fake).create(model="tiny", messages=MSG, max_tokens=3).choices[0].message.content == "hel"


def test_slow_and_idle_clients_get_408_or_are_closed_and_block_nobody(fake):
    drip = socket.create_connection(("127.0.0.1", fake.port), timeout=10)
    short = socket.create_connection(("127.0.0.1", fake.port), timeout=10)
    idle = socket.create_connection(("127.0.0.1", fake.port), timeout=10)
    t = time.perf_counter()
    drip.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
    short.sendall(with_key(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{", KEY))
    assert chat(fake).create(model="tiny", messages=MSG, max_tokens=3).choices[0].message.content == "hel"
    drip.sendall(b"H")                              # still dripping, one byte now and then
    for sock in (drip, short):
        status, body, _ = read_answer(sock)
        assert status == 408 and body["error"]["code"] == "request_timeout", body
    assert time.perf_counter() - t < 5
    assert idle.recv(100) == b""                    # closed after the idle timeout, no answer owed
    for sock in (drip, short, idle):
        sock.close()


def test_the_connection_cap_answers_503():
    with server.start_server(FakeEngine(), settings=ServerSettings(max_connections=3)) as handle:
        held = [socket.create_connection(("127.0.0.1", handle.port)) for _ in range(3)]
        time.sleep(0.2)
        status, body = send_raw(handle.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == 503 and body["error"]["code"] == "server_busy"
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert send_raw(handle.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200
