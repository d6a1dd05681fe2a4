"""Browser tests of the lesson 01-03 calculators: Voila serves them, a headless Chromium uses them.

The tools (Debian's `chromium`, pip's `playwright` and `voila`) are installed by
`bash scripts/setup_browser.sh`. Where one is missing the tests skip and say that command;
under CI (`CI=true`) they fail instead, so a CI machine without a browser cannot pass quietly.
Playwright drives the system Chromium (`executable_path`), never a browser of its own.

The browser may reach the Voila server on 127.0.0.1 and nothing else: every other request is
aborted and listed in build/browser/blocked_requests.txt.

What this leaves out: the calculators' arithmetic (tests/widgets and tests/plan test it
without a browser); these tests check that what a learner types reaches it and comes back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from browser_tools import chromium_path, missing_tools, require_browser_tools
from course_utils import REPO_ROOT

SHOTS_DIR = REPO_ROOT / "build" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium (scripts/setup_browser.sh)")


@pytest.fixture(scope="session")
def browser_tools():
    """Skip (fail under CI=true) when a tool is missing, naming the command that installs it."""
    require_browser_tools(missing_tools())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"voila exited with {proc.returncode}; its log: {log}\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"voila did not answer {url} within {timeout:.0f} s; its log: {log}")


@pytest.fixture(scope="session")
def voila_url(browser_tools, tmp_path_factory):
    """Base URL of a Voila server on 127.0.0.1 that serves the calculator notebooks."""
    from lesson_calculators import write_notebooks

    folder = tmp_path_factory.mktemp("calculators")
    write_notebooks(folder)
    port = _free_port()
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    log = SHOTS_DIR / "voila.log"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the inline backend, as in Jupyter
    cmd = [sys.executable, "-m", "voila", str(folder), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
           # kernels talk over Unix sockets: no TCP port to lose to another process
           "--KernelManager.transport=ipc", "--VoilaConfiguration.show_tracebacks=True"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=folder, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(url + "/", proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def chromium(browser_tools):
    """A headless Chromium (the system one) driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True,
                                     args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def blocked_requests():
    """Every request the pages tried outside 127.0.0.1 (aborted), written out at the end."""
    blocked: list[str] = []
    yield blocked
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    (SHOTS_DIR / "blocked_requests.txt").write_text("".join(f"{u}\n" for u in sorted(set(blocked))))


@pytest.fixture
def open_calculator(chromium, voila_url, blocked_requests):
    """open_calculator(name) -> a loaded CalculatorPage for lesson_calculators.SOURCES[name]."""
    from calculator_page import CalculatorPage

    contexts = []

    def keep_local(route):
        url = route.request.url
        if url.startswith(voila_url + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked_requests.append(url)
            route.abort()

    def open_(name: str) -> CalculatorPage:
        context = chromium.new_context(viewport={"width": 1280, "height": 1000})
        contexts.append(context)
        context.route("**/*", keep_local)
        page = context.new_page()
        return CalculatorPage(page, name, SHOTS_DIR).load(f"{voila_url}/voila/render/{name}.ipynb")

    yield open_
    for context in contexts:
        context.close()
