"""Lesson 07's server as a user runs it: `python -m course_utils.serve --base tiny --adapter
NAME=DIR ...` in a subprocess, with an API key from COURSE_API_KEY, driven by the official
`openai` client and by raw sockets. Every bad request of bad_requests.py gets the 4xx, `param`
and `code` it gets in-process (test_http.py): the command line must not load a second copy of
the server's modules, whose error classes the HTTP layer would not recognise. A wrong key is a
401, a full queue a 429 with Retry-After, slow clients a 408; clients that hang up cost nothing
and print no traceback. SIGTERM with requests generating and queued: every one gets a whole
HTTP answer, and the server exits 0."""

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import openai
import pytest

from course_utils.paths import PACKAGE_DIR
from course_utils.serve import cli
from course_utils.serve.client import openai_client, stream_chat

from bad_requests import CASES, RAW_CASES, assert_error_body, assert_openai_error, read_answer, send_raw, with_key
from builders import write_adapter

URL = re.compile(r"(http://127\.0\.0\.1:\d+/v1)")
KEY = "cli-test-key-7f3a9c"
GOOD = dict(model="policy_qa", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
LONG = dict(model="triage", messages=[{"role": "user", "content": "Tell me everything."}])


def _wait_for_url(proc, lines: list[str], seen: threading.Event, timeout: float = 300) -> str | None:
    deadline = time.time() + timeout
    while not seen.wait(1):
        if proc.poll() is not None or time.time() > deadline:
            return None
    return next(URL.search(line).group(1) for line in lines if URL.search(line))


def start_cli(adapters: dict, *flags: str, env: dict | None = None) -> SimpleNamespace:
    """`python -m course_utils.serve` on a free port, its output read all along into `lines`."""
    cmd = [sys.executable, "-m", "course_utils.serve", "--base", "tiny", "--port", "0",
           *(f"--adapter={n}={p}" for n, p in adapters.items()), *flags]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})
    lines, seen = [], threading.Event()

    def read():          # drain the pipe all along: the server logs every request
        for line in proc.stdout:
            lines.append(line)
            if URL.search(line):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    url = _wait_for_url(proc, lines, seen)
    if not url:
        proc.kill()
        pytest.fail(f"the server did not start: {''.join(lines)[-2000:]}")
    return SimpleNamespace(url=url, port=int(url.split(":")[2].split("/")[0]), proc=proc, lines=lines, reader=reader)


def stop_cli(server, timeout: float = 120) -> int:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    try:
        code = server.proc.wait(timeout=timeout)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
    server.reader.join(10)
    return code


@pytest.fixture(scope="module")
def cli_server(random_adapters):
    """The command line's server with the three random adapters, a key from the environment, a
    queue of 2, batches of 2 and 1-second read deadlines; SIGTERM at the end must exit 0."""
    server = start_cli(random_adapters, "--max-queue", "2", "--max-batch", "2", "--header-timeout", "1",
                       "--body-timeout", "1", "--request-timeout", "120", env={"COURSE_API_KEY": KEY})
    yield server
    assert stop_cli(server) == 0, "".join(server.lines)[-2000:]
    out = "".join(server.lines)
    assert "Server stopped." in out and "Traceback" not in out and "BrokenPipe" not in out, out[-3000:]
    assert KEY not in out                                    # the key is never printed


@pytest.fixture(scope="module")
def client(cli_server):
    return openai_client(cli_server.url, timeout=120, api_key=KEY)


@pytest.mark.slow
def test_the_cli_serves_its_adapters_whole_and_streamed(client):
    assert [m.id for m in client.models.list().data] == ["tiny", "triage", "moderation", "policy_qa"]
    reply = client.chat.completions.create(**GOOD)
    assert reply.model == "policy_qa" and reply.usage.completion_tokens >= 1
    streamed = stream_chat(client, GOOD["model"], GOOD["messages"], GOOD["max_tokens"])
    assert streamed["text"] == reply.choices[0].message.content
    assert streamed["usage"].completion_tokens == reply.usage.completion_tokens


@pytest.mark.slow
def test_an_unknown_adapter_is_a_404_with_openai_error_body(cli_server, client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(**{**GOOD, "model": "no-such-adapter"})
    assert_openai_error(info.value, 404, "model", "model_not_found")
    assert "'no-such-adapter' is not served here" in info.value.body["message"]
    request = urllib.request.Request(cli_server.url + "/chat/completions", method="POST",
                                     data=json.dumps({**GOOD, "model": "no-such-adapter"}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"})
    with pytest.raises(urllib.error.HTTPError) as raw:      # the wire format itself
        urllib.request.urlopen(request, timeout=60)
    assert raw.value.code == 404
    assert json.loads(raw.value.read()) == {"error": info.value.body}


@pytest.mark.slow
@pytest.mark.parametrize("kwargs, status, param, code", CASES)
def test_bad_requests_get_their_status_param_and_code(client, kwargs, status, param, code):
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**{**GOOD, **kwargs})
    assert_openai_error(info.value, status, param, code)
    assert client.chat.completions.create(**GOOD).model == "policy_qa"   # and it keeps serving


@pytest.mark.slow
@pytest.mark.parametrize("raw, status, param, code", RAW_CASES)
def test_raw_bad_requests_get_4xx_with_openai_body(cli_server, raw, status, param, code):
    got, body = send_raw(cli_server.port, raw, api_key=KEY)
    assert got == status, body
    assert_error_body(body["error"], param, code)


@pytest.mark.slow
def test_a_wrong_or_missing_key_is_a_401(cli_server):
    with pytest.raises(openai.AuthenticationError) as info:
        openai_client(cli_server.url, api_key="not-" + KEY).chat.completions.create(**GOOD)
    assert_openai_error(info.value, 401, None, "invalid_api_key")
    status, body = send_raw(cli_server.port, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 401 and body["error"]["code"] == "invalid_api_key"
    assert send_raw(cli_server.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n") == (200, {"status": "ok"})


@pytest.mark.slow
def test_slow_clients_get_408(cli_server, client):
    drip = socket.create_connection(("127.0.0.1", cli_server.port), timeout=30)
    short = socket.create_connection(("127.0.0.1", cli_server.port), timeout=30)
    drip.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")
    short.sendall(with_key(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n{", KEY))
    for sock in (drip, short):
        status, body, _ = read_answer(sock)
        assert status == 408 and body["error"]["code"] == "request_timeout", body
        sock.close()


@pytest.mark.slow
def test_a_full_queue_is_a_429_and_clients_that_leave_cost_nothing(cli_server, client):
    """8 clients ask for 300 tokens at once: 2 generate, 2 wait, the rest get 429 with
    Retry-After. The 4 give up after 3 s (their client's timeout); the server stops generating
    for them, so the next small request is answered at once."""
    impatient = openai_client(cli_server.url, timeout=3, api_key=KEY)

    def ask(_):
        try:
            impatient.chat.completions.create(**LONG, max_tokens=300, extra_body={"min_tokens": 300})
            return "200"
        except openai.RateLimitError as err:
            assert_error_body(err.body, None, "rate_limit_exceeded", type_="requests")
            assert int(err.response.headers["retry-after"]) >= 1
            return "429"
        except openai.APITimeoutError:
            return "gave up"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(ask, range(8)))
    assert outcomes.count("429") >= 3 and set(outcomes) <= {"200", "429", "gave up"}, outcomes
    t = time.perf_counter()
    assert client.chat.completions.create(**GOOD).model == "policy_qa"
    assert time.perf_counter() - t < 20, "a small request waited behind abandoned ones"


@pytest.mark.slow
def test_sigterm_answers_every_request_in_flight_and_exits_0(random_adapters):
    """5 requests generating (24 tokens) and 10 queued (1000 tokens, 3 of them streamed) when
    SIGTERM arrives: the 5 finish within the 8 s grace period (200); the 10 cannot, and get a
    whole 503 with OpenAI's body (an error event and [DONE] for a stream that had begun); a
    request whose body is still arriving gets its 408, an idle connection is closed; no
    connection is cut; the exit status is 0."""
    server = start_cli(random_adapters, "--max-batch", "5", "--window-ms", "100", "--grace-s", "8",
                       "--body-timeout", "3")
    client = openai_client(server.url, timeout=180)
    outcomes: dict[int, str] = {}

    def ask(i):
        stream, n = i in (7, 10, 13), 24 if i < 5 else 1000   # min_tokens: answers of known length
        try:
            if stream:
                got = stream_chat(client, LONG["model"], LONG["messages"], n, extra_body={"min_tokens": n})
                outcomes[i] = f"stream {got['finish_reason']}"
            else:
                client.chat.completions.create(**LONG, max_tokens=n, extra_body={"min_tokens": n})
                outcomes[i] = "200"
        except openai.APIStatusError as err:
            outcomes[i] = f"{err.status_code} {err.body.get('code')}"
        except openai.APIError as err:                  # an error event inside a stream
            outcomes[i] = f"stream error {(err.body or {}).get('code')}"
        except Exception as err:                        # a cut connection
            outcomes[i] = f"cut: {type(err).__name__}"

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(15)]
    try:
        for th in threads[:5]:
            th.start()
        time.sleep(0.5)                                 # the first 5 are one batch, generating
        for th in threads[5:]:
            th.start()
        time.sleep(1.0)                                 # the next 10 are queued behind them
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        uploading = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        uploading.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 99\r\n\r\n{")
        time.sleep(0.2)
        server.proc.send_signal(signal.SIGTERM)
        for th in threads:
            th.join(120)
        assert idle.recv(100) == b""                    # an idle connection owes nothing: closed
        assert read_answer(uploading)[0] == 408         # a request still arriving: a whole answer
        code = stop_cli(server)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    counts = {k: list(outcomes.values()).count(k) for k in sorted(set(outcomes.values()))}
    print(f"\nSIGTERM with 5 generating and 10 queued: {counts}")
    out = "".join(server.lines)
    assert code == 0, out[-2000:]
    assert len(outcomes) == 15 and not [o for o in outcomes.values() if o.startswith("cut")], outcomes
    assert [outcomes[i] for i in range(5)] == ["200"] * 5, outcomes
    assert set(outcomes[i] for i in range(5, 15)) <= {"503 server_shutting_down",
                                                      "stream error server_shutting_down"}, outcomes
    assert "connections cut: 0" in out and "Traceback" not in out, out[-2000:]


def test_bad_adapter_arguments_exit_2_before_loading_anything(tmp_path, capsys):
    pickled = write_adapter(tmp_path / "pickled")
    (pickled / "adapter_model.safetensors").rename(pickled / "adapter_model.bin")
    for arg in ("no-equals-sign", "__base__=x", f"a={tmp_path}", f"p={pickled}"):
        with pytest.raises(SystemExit) as info:
            cli.main(["--adapter", arg])
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "NAME=PATH" in err and "not usable" in err and "adapter_config.json" in err
    assert "adapter_model.bin is a pickle" in err


def test_no_module_imports_the_command_line():
    """The entry point is imported by __main__.py only: importing it anywhere else could load a
    second copy of the server's modules when it runs as `python -m`."""
    entry = {"course_utils.serve.cli", "course_utils.serve.__main__"}
    importers = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) else [])
            if entry & set(names):
                importers.append(str(path.relative_to(PACKAGE_DIR)))
    assert importers == ["serve/__main__.py"], importers
