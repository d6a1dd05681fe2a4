"""Lesson 07's server as a user runs it: `python -m course_utils.serve --base tiny --adapter
NAME=DIR ...` in a subprocess, driven by the official `openai` client. An unknown adapter is a 404
with OpenAI's error body, and every bad request of bad_requests.py gets its 4xx with `param` and
`code`, as in-process (test_http.py): the command line must not load a second copy of the
server's modules, whose error classes the HTTP layer would not recognise. SIGTERM stops it with
exit status 0."""

import ast
import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import openai
import pytest

from course_utils.paths import PACKAGE_DIR
from course_utils.serve import cli
from course_utils.serve.http import openai_client

from bad_requests import CASES, assert_openai_error

URL = re.compile(r"(http://127\.0\.0\.1:\d+/v1)")
GOOD = dict(model="policy_qa", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)


def _wait_for_url(proc, lines: list[str], seen: threading.Event, timeout: float = 240) -> str | None:
    deadline = time.time() + timeout
    while not seen.wait(1):
        if proc.poll() is not None or time.time() > deadline:
            return None
    return next(URL.search(line).group(1) for line in lines if URL.search(line))


@pytest.fixture(scope="module")
def cli_server(random_adapters):
    """The command line's server on a free port with the three random adapters; at the end it is
    sent SIGTERM and must exit 0 after saying so."""
    cmd = [sys.executable, "-m", "course_utils.serve", "--base", "tiny", "--port", "0",
           *(f"--adapter={n}={p}" for n, p in random_adapters.items())]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, seen = [], threading.Event()

    def read():          # drain the pipe all along: the server logs every request
        for line in proc.stdout:
            lines.append(line)
            if URL.search(line):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        url = _wait_for_url(proc, lines, seen)
        assert url, f"the server did not start: {''.join(lines)[-2000:]}"
        yield SimpleNamespace(url=url, proc=proc, lines=lines)
        proc.terminate()
        assert proc.wait(timeout=60) == 0, "".join(lines)[-2000:]
        reader.join(10)
        assert "Server stopped." in "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def client(cli_server):
    return openai_client(cli_server.url, timeout=120)


@pytest.mark.slow
def test_the_cli_serves_its_adapters(client):
    assert [m.id for m in client.models.list().data] == ["tiny", "triage", "moderation", "policy_qa"]
    reply = client.chat.completions.create(**GOOD)
    assert reply.model == "policy_qa" and reply.usage.completion_tokens >= 1


@pytest.mark.slow
def test_an_unknown_adapter_is_a_404_with_openai_error_body(cli_server, client):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(**{**GOOD, "model": "no-such-adapter"})
    assert_openai_error(info.value, 404, "model", "model_not_found")
    assert "'no-such-adapter' is not served here" in info.value.body["message"]
    request = urllib.request.Request(cli_server.url + "/chat/completions", method="POST",
                                     data=json.dumps({**GOOD, "model": "no-such-adapter"}).encode(),
                                     headers={"Content-Type": "application/json"})
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


def test_bad_adapter_arguments_exit_2_before_loading_anything(tmp_path, capsys):
    for arg in ("no-equals-sign", "__base__=x", f"a={tmp_path}"):
        with pytest.raises(SystemExit) as info:
            cli.main(["--adapter", arg])
        assert info.value.code == 2
    err = capsys.readouterr().err
    assert "NAME=PATH" in err and "not usable" in err and "adapter_config.json" in err


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
