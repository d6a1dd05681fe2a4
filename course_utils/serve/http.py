"""Lesson 07: an OpenAI-compatible HTTP server for one base model and its LoRA adapters.

    GET  /v1/models             the base and every adapter, as OpenAI's model list
    POST /v1/completions        {"model": NAME, "prompt": "...", "max_tokens": N, ...}
    POST /v1/chat/completions   {"model": NAME, "messages": [...], "max_tokens": N, ...}

The request's `model` field picks the adapter, as in vLLM, so the same `openai` client code runs
against this server and against `vllm serve --enable-lora`. Standard library only
(`http.server.ThreadingHTTPServer`): one thread per connection parses and checks the request
(`course_utils.serve.requests`), then hands it to the `MicroBatcher`
(`course_utils.serve.batcher`), whose worker is the only thread that touches the model. Bad
requests get OpenAI-style error JSON with a 4xx status, and the server keeps serving. It binds
127.0.0.1 unless told otherwise (it has no authentication).

What this leaves out: streaming (`stream=true` is refused), n > 1, logprobs, tools, and API
keys (any key is accepted: keep it on loopback or behind a proxy that checks them).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from openai import OpenAI

from course_utils.serve.batcher import MicroBatcher
from course_utils.serve.engine import MultiAdapterModel
from course_utils.serve.requests import RequestError, parse_request, response_body

MAX_BODY_BYTES = 1_000_000
REQUEST_TIMEOUT_S = 300


# --- HTTP -------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """Lesson 07. One request: parse, check, queue for the worker, wait, answer (or a 4xx JSON)."""

    protocol_version = "HTTP/1.1"      # keep-alive: the openai client reuses its connections
    timeout = 30                       # an idle keep-alive connection is closed after this
    server: "CourseHTTPServer"

    def log_message(self, format, *args):  # noqa: A002  (quiet: the lesson prints what matters)
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, payload: dict, close: bool = False) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:                      # the body was not read: the connection cannot be reused
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _error(self, err: RequestError, close: bool = False) -> None:
        self._send(err.status, err.body(), close)

    def do_GET(self):  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        engine = self.server.batcher.engine
        if path == "/v1/models":
            created = int(self.server.started)
            data = [{"id": engine.base_name, "object": "model", "created": created,
                     "owned_by": "finetune-course", "root": engine.base_name, "parent": None}]
            data += [{"id": n, "object": "model", "created": created, "owned_by": "finetune-course",
                      "root": str(p), "parent": engine.base_name} for n, p in engine.adapter_paths.items()]
            return self._send(200, {"object": "list", "data": data})
        if path == "/health":
            return self._send(200, {"status": "ok"})
        self._error(RequestError(404, f"no route GET {path}; try GET /v1/models", code="not_found"))

    def do_POST(self):  # noqa: N802
        path = self.path.split("?")[0].rstrip("/")
        kinds = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}
        try:
            length = self.headers.get("Content-Length", "")
            if not length.isdigit():
                return self._error(RequestError(411, "a Content-Length header (bytes) is required",
                                                code="missing_content_length"), True)
            if int(length) > MAX_BODY_BYTES:
                return self._error(RequestError(413, f"the body is {length} bytes; the limit is "
                                                     f"{MAX_BODY_BYTES}", code="request_too_large"), True)
            raw = self.rfile.read(int(length))  # read even for a bad path: the connection stays usable
            if path not in kinds:
                raise RequestError(404, f"no route POST {path}; use /v1/chat/completions or "
                                        f"/v1/completions", code="not_found")
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise RequestError(400, f"the body is not valid JSON: {err}", code="invalid_json") from None
            job = parse_request(kinds[path], body, self.server.batcher.engine)
            out = self.server.batcher.submit(job).result(timeout=REQUEST_TIMEOUT_S)
            self._send(200, response_body(job, out))
        except RequestError as err:
            self._error(err)
        except TimeoutError:
            self._error(RequestError(504, "generation took too long", type_="server_error"))
        except Exception as err:       # a bug must not take the server down: 500, keep serving
            self._error(RequestError(500, f"internal error: {type(err).__name__}: {err}",
                                     type_="server_error"))


class CourseHTTPServer(ThreadingHTTPServer):
    """Lesson 07. The standard library's threading HTTP server, holding the batcher."""

    daemon_threads = True              # a stuck client never blocks shutdown

    def __init__(self, address, batcher: MicroBatcher, verbose: bool = False):
        self.batcher, self.verbose, self.started = batcher, verbose, time.time()
        super().__init__(address, Handler)


class ServerHandle:
    """Lesson 07. A running server: `.url` (…/v1, for `OpenAI(base_url=...)`), `.stop()`; a context manager."""

    def __init__(self, httpd: CourseHTTPServer, batcher: MicroBatcher):
        self.httpd, self.batcher = httpd, batcher
        self.host, self.port = httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}/v1"
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="http-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, finish the worker, close the socket. Safe to call twice."""
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join()
        self.batcher.stop()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_server(engine: MultiAdapterModel, host: str = "127.0.0.1", port: int = 0,
                 window_ms: float = 10.0, max_batch: int = 16, verbose: bool = False) -> ServerHandle:
    """Lesson 07. Serve `engine` in background threads; port 0 picks a free port. Returns a handle."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding {host}: this server has no authentication; anyone who can reach "
              f"the port can use it", file=sys.stderr)
    if not isinstance(max_batch, int) or max_batch < 1:
        raise ValueError(f"max_batch={max_batch!r}: give a whole number >= 1 (1 turns batching off)")
    if not 0 <= window_ms <= 1000:
        raise ValueError(f"window_ms={window_ms!r}: give 0-1000 milliseconds (10 is a good start)")
    batcher = MicroBatcher(engine, window_ms, max_batch).start()
    try:
        httpd = CourseHTTPServer((host, port), batcher, verbose)
    except OSError as err:
        batcher.stop()
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror}. Pick another --port "
                      f"(0 lets the system choose).") from err
    return ServerHandle(httpd, batcher)


def serve_forever(engine: MultiAdapterModel, host: str = "127.0.0.1", port: int = 8000, **kw) -> None:
    """Lesson 07. Run the server in the foreground until Ctrl-C or SIGTERM, then shut down cleanly."""
    handle = start_server(engine, host, port, verbose=True, **kw)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"Serving {engine.names} at {handle.url} (Ctrl-C stops)", flush=True)
    while not done.wait(0.5):
        pass
    handle.stop()
    print("Server stopped.", flush=True)


# --- clients ----------------------------------------------------------------------------------
def openai_client(url: str, timeout: float = 60.0):
    """Lesson 07. The official `openai` client for a server at `url`: the same code works for vLLM."""
    return OpenAI(base_url=url, api_key="not-needed-on-loopback", max_retries=0, timeout=timeout)


def measure_requests(url: str, requests: list[tuple[str, list[dict]]], concurrency: int = 8,
                     max_tokens: int = 16) -> dict:
    """Lesson 07. Send (model, messages) chat requests one after another, then `concurrency` at a
    time; requests/s of each and the answers (in request order) of both runs."""
    c = openai_client(url)

    def ask(req):
        r = c.chat.completions.create(model=req[0], messages=req[1], max_tokens=max_tokens, temperature=0)
        return r.choices[0].message.content

    t = time.perf_counter()
    sequential = [ask(r) for r in requests]
    seq_s = time.perf_counter() - t
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(ask, requests[:concurrency]))   # warm-up: opens the pool's connections
        t = time.perf_counter()
        concurrent = list(pool.map(ask, requests))
        con_s = time.perf_counter() - t
    return dict(n=len(requests), concurrency=concurrency, sequential_rps=len(requests) / seq_s,
                concurrent_rps=len(requests) / con_s, speedup=seq_s / con_s,
                sequential=sequential, concurrent=concurrent)
