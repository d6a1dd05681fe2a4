"""Lesson 07: an OpenAI-compatible HTTP server for one base model and its LoRA adapters.

    GET  /v1/models             the base and every adapter, as OpenAI's model list
    POST /v1/completions        {"model": NAME, "prompt": "...", "max_tokens": N, ...}
    POST /v1/chat/completions   {"model": NAME, "messages": [...], "max_tokens": N, ...}

The request's `model` field picks the adapter, as in vLLM, so the same `openai` client code runs
against this server and against `vllm serve --enable-lora`. Standard library only
(`http.server.ThreadingHTTPServer`): one thread per connection parses and checks the request,
then hands it to the `MicroBatcher`.

The `MicroBatcher`'s worker is the only thread that touches the model (adapter selection is
shared model state: requests answered from several threads at once got each other's adapters).
It waits up to `window_ms` after the first request for more, then answers them all in one
mixed-adapter `generate`. Bad requests get OpenAI-style error JSON with a 4xx status, and the
server keeps serving. It binds 127.0.0.1 unless told otherwise (it has no authentication).

What this leaves out: streaming (`stream=true` is refused), n > 1, logprobs, tools, and API
keys (any key is accepted: keep it on loopback or behind a proxy that checks them).
"""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from course_utils.serve.engine import AdapterNotFoundError, ContextLengthError, MultiAdapterModel, torch_threads

MAX_BODY_BYTES = 1_000_000
DEFAULT_MAX_TOKENS = 16          # OpenAI's default for /v1/completions
REQUEST_TIMEOUT_S = 300


class RequestError(Exception):
    """Lesson 07. A refused request: HTTP status, OpenAI error type/code, the parameter at fault."""

    def __init__(self, status: int, message: str, param: str | None = None,
                 code: str | None = None, type_: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type_

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


# --- request parsing --------------------------------------------------------------------------
def _number(body: dict, name: str, default, lo: float, hi: float, integer: bool = False):
    value = body.get(name, default)
    if value is None:
        return default
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        kind = "an integer" if integer else "a number"
        raise RequestError(400, f"{name} must be {kind} from {lo:g} to {hi:g}; got {value!r}", name)
    return value


def _text_content(content, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "".join(p["text"] for p in content)
    raise RequestError(400, f"{where}.content must be a string (or a list of text parts)", where)


@dataclass
class Job:
    """Lesson 07. One parsed request, waiting for the worker."""

    kind: str                      # "chat" | "completion"
    model: str
    prompt: object                 # messages (chat) or text (completion)
    max_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    future: Future = field(default_factory=Future)

    @property
    def key(self) -> tuple:        # requests that can share one `generate` call
        return (self.temperature, self.top_p) if self.temperature > 0 else (0.0, 1.0)


def parse_request(kind: str, body, engine: MultiAdapterModel) -> Job:
    """Lesson 07. Check an /v1/completions or /v1/chat/completions body; RequestError (4xx) if bad."""
    if not isinstance(body, dict):
        raise RequestError(400, "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestError(400, f"'model' is required: one of {engine.names}", "model")
    try:
        engine.route(model)
    except AdapterNotFoundError as err:
        raise RequestError(404, str(err), "model", "model_not_found") from None
    for name in ("stream", "logprobs", "tools", "functions"):
        if body.get(name) not in (None, False, []):
            raise RequestError(400, f"{name} is not supported by this server; leave it out", name)
    if body.get("n", 1) != 1:
        raise RequestError(400, f"n must be 1 on this server; got {body.get('n')!r}", "n")
    for name in ("frequency_penalty", "presence_penalty"):
        if body.get(name) not in (None, 0, 0.0):
            raise RequestError(400, f"{name} is not supported by this server; leave it out", name)
    limit = engine.context_length
    if kind == "chat":
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise RequestError(400, "'messages' must be a non-empty list of {role, content}", "messages")
        prompt = []
        for i, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
                raise RequestError(400, f"messages[{i}] needs a role of system, user or assistant",
                                   f"messages[{i}].role")
            prompt.append({"role": m["role"], "content": _text_content(m.get("content"), f"messages[{i}]")})
    else:
        max_tokens = body.get("max_tokens")
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1:
            prompt = prompt[0]
        if not isinstance(prompt, str):
            raise RequestError(400, "'prompt' must be a string (one prompt per request here)", "prompt")
    max_tokens = _number({"max_tokens": max_tokens}, "max_tokens", DEFAULT_MAX_TOKENS, 1, limit, True)
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) and s for s in stop):
        raise RequestError(400, "stop must be a string or a list of up to 4 non-empty strings", "stop")
    return Job(kind, model, prompt, int(max_tokens),
               temperature=float(_number(body, "temperature", 0.0, 0.0, 2.0)),
               top_p=float(_number(body, "top_p", 1.0, 1e-6, 1.0)), stop=stop)


def apply_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Lesson 07. Cut `text` at the first stop string; (text, whether one was found)."""
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


# --- the worker -------------------------------------------------------------------------------
class MicroBatcher:
    """Lesson 07. The one thread that owns the model: collects requests for `window_ms`, answers
    them in one mixed-adapter `generate`, and sets each request's future."""

    def __init__(self, engine: MultiAdapterModel, window_ms: float = 10.0, max_batch: int = 16,
                 threads: int | None = 1):
        self.engine, self.window, self.max_batch, self.threads = engine, window_ms / 1e3, max_batch, threads
        self.queue: queue.Queue = queue.Queue()
        self.batches: list[int] = []       # the size of every batch run, for the lesson's plots
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="model-worker", daemon=True)

    def start(self) -> "MicroBatcher":
        self._thread.start()
        return self

    def submit(self, job: Job) -> Future:
        if self._stop.is_set():
            raise RequestError(503, "the server is shutting down", type_="server_error")
        self.queue.put(job)
        return job.future

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        while not self.queue.empty():      # anything still queued is told, not dropped silently
            job = self.queue.get_nowait()
            job.future.set_exception(RequestError(503, "the server shut down", type_="server_error"))

    def _run(self) -> None:
        with torch_threads(self.threads):
            while not self._stop.is_set():
                try:
                    batch = [self.queue.get(timeout=0.05)]
                except queue.Empty:
                    continue
                # keep collecting while requests keep coming (each within `window` of the last),
                # up to max_batch or 5 windows: a lone request waits one window, no more
                cap = time.perf_counter() + 5 * self.window
                while len(batch) < self.max_batch:
                    left = min(self.window, cap - time.perf_counter())
                    try:
                        batch.append(self.queue.get(timeout=left) if left > 0 else self.queue.get_nowait())
                    except queue.Empty:
                        break
                groups: dict[tuple, list[Job]] = {}
                for job in batch:
                    groups.setdefault(job.key, []).append(job)
                for jobs in groups.values():
                    self._answer(jobs)

    def _answer(self, jobs: list[Job]) -> None:
        ready, ids = [], []
        for job in jobs:               # tokenizing here keeps the tokenizer on one thread too
            try:
                prompt_ids = self.engine.encode(job.prompt, chat=job.kind == "chat")
                self.engine.check_fits(len(prompt_ids), job.max_tokens)
                ids.append(prompt_ids)
                ready.append(job)
            except ContextLengthError as err:
                job.future.set_exception(RequestError(400, str(err), "messages" if job.kind == "chat"
                                                      else "prompt", "context_length_exceeded"))
            except Exception as err:   # a template error and the like: this request only
                job.future.set_exception(RequestError(400, f"cannot encode the prompt: {err}"))
        if not ready:
            return
        try:
            self.batches.append(len(ready))
            outs = self.engine.generate_ids(ids, [j.model for j in ready], [j.max_tokens for j in ready],
                                            temperature=ready[0].temperature, top_p=ready[0].top_p)
        except Exception as err:       # the batch failed: every request in it gets a 500, the server lives
            for job in ready:
                job.future.set_exception(RequestError(500, f"generation failed: {err}", type_="server_error"))
            return
        for job, out in zip(ready, outs):
            text, stopped = apply_stop(out.text, job.stop)
            if stopped:
                out.finish_reason = "stop"
            out.text = text
            job.future.set_result(out)


# --- HTTP -------------------------------------------------------------------------------------
def _response(job: Job, out) -> dict:
    created, usage = int(time.time()), {"prompt_tokens": out.prompt_tokens,
                                        "completion_tokens": out.completion_tokens,
                                        "total_tokens": out.prompt_tokens + out.completion_tokens}
    if job.kind == "chat":
        choice = {"index": 0, "message": {"role": "assistant", "content": out.text},
                  "finish_reason": out.finish_reason, "logprobs": None}
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": created,
                "model": job.model, "choices": [choice], "usage": usage}
    choice = {"index": 0, "text": out.text, "finish_reason": out.finish_reason, "logprobs": None}
    return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": created,
            "model": job.model, "choices": [choice], "usage": usage}


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
                return self._error(RequestError(411, "a Content-Length header (bytes) is required"), True)
            if int(length) > MAX_BODY_BYTES:
                return self._error(RequestError(413, f"the body is {length} bytes; the limit is "
                                                     f"{MAX_BODY_BYTES}"), True)
            raw = self.rfile.read(int(length))  # read even for a bad path: the connection stays usable
            if path not in kinds:
                raise RequestError(404, f"no route POST {path}; use /v1/chat/completions or "
                                        f"/v1/completions", code="not_found")
            try:
                body = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise RequestError(400, f"the body is not valid JSON: {err}") from None
            job = parse_request(kinds[path], body, self.server.batcher.engine)
            out = self.server.batcher.submit(job).result(timeout=REQUEST_TIMEOUT_S)
            self._send(200, _response(job, out))
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
    from openai import OpenAI

    return OpenAI(base_url=url, api_key="not-needed-on-loopback", max_retries=0, timeout=timeout)


def measure_requests(url: str, requests: list[tuple[str, list[dict]]], concurrency: int = 8,
                     max_tokens: int = 16) -> dict:
    """Lesson 07. Send (model, messages) chat requests one after another, then `concurrency` at a
    time; requests/s of each and the answers (in request order) of both runs."""
    from concurrent.futures import ThreadPoolExecutor

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
