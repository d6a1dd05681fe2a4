"""Lesson 07: an OpenAI-compatible HTTP server for one base model and its LoRA adapters.

    GET  /v1/models             the base and every adapter (by name), as OpenAI's model list
    POST /v1/completions        {"model": NAME, "prompt": "...", "max_tokens": N, "stream": ...}
    POST /v1/chat/completions   {"model": NAME, "messages": [...], "max_tokens": N, "stream": ...}
    GET  /health                {"status": "ok"} (no API key needed)

The request's `model` field picks the adapter, as in vLLM, so the same `openai` client code runs
against this server and against `vllm serve --enable-lora`. Each connection is a coroutine on
one asyncio event loop (`course_utils.serve.wire` reads and writes HTTP with h11); a request is
checked (`course_utils.serve.requests`) and queued for the `MicroBatcher`, whose worker thread
is the only one that touches the model. `stream: true` answers with server-sent events as the
worker produces text (`course_utils.serve.responses`).

Why asyncio and h11, not FastAPI on uvicorn (what vLLM's and TGI's routers sit on)? What this
lesson has to show lives below the framework, where uvicorn gives no handle: it has no time limit
for receiving a request (a client dripping its headers one byte at a time keeps its connection;
uvicorn issue #157 proposed `--timeout-request-start`, and servers built on uvicorn still patch
its protocol classes to get one), its connection cap answers a plain-text 503, and ASGI
middleware runs only after a request has been read whole. Here each of those is a few visible
lines: one event loop holds thousands of idle or streaming connections without a thread each,
`asyncio.wait` watches the client's socket while the worker generates (a client that hangs up
cancels its row), and the same loop drains the server on SIGTERM. h11 does the parsing that
must not be hand-written; the standard library does the rest.

Protection, each with a command-line flag (`course_utils.serve.cli`):
- an API key (`api_key`): every /v1/* route answers 401 unless `Authorization: Bearer <key>`
  matches (hmac.compare_digest); the key is never printed;
- a connection cap (`max_connections`: 503 beyond it), read deadlines per request (408), a body
  limit (413), a bounded queue (429 with Retry-After) and a deadline per request (504);
- a graceful stop (`shutdown`): stop accepting, refuse new requests with 503, let the running
  and queued ones finish for `grace_s` seconds, answer whatever is left with 503, close.

It binds 127.0.0.1 unless told otherwise.

What this leaves out: TLS, HTTP/2, n > 1, logprobs, tools, and per-key rate limits.
"""

from __future__ import annotations

import asyncio
import hmac
import sys
import threading
import time
from dataclasses import dataclass

from course_utils.serve.batcher import MicroBatcher
from course_utils.serve.engine import MultiAdapterModel
from course_utils.serve.requests import Job, RequestError, parse_body, parse_request
from course_utils.serve.responses import StreamFormat, response_body
from course_utils.serve.wire import ClientGone, Connection, Limits, Request

ROUTES = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ServerSettings:
    """Lesson 07. The server's limits beyond one connection's (`wire.Limits`)."""

    max_connections: int = 64
    request_timeout_s: float = 120.0   # from the request's arrival to its last token
    grace_s: float = 30.0              # on SIGTERM: how long running requests may go on


def _unauthorized() -> RequestError:
    return RequestError(401, "Incorrect or missing API key. Send the header 'Authorization: Bearer <key>' "
                             "with the key this server was started with (--api-key or COURSE_API_KEY).",
                        code="invalid_api_key")


class CourseServer:
    """Lesson 07. The HTTP side of the server: connections, routes, streams, shutdown."""

    def __init__(self, batcher: MicroBatcher, limits: Limits = Limits(),
                 settings: ServerSettings = ServerSettings(), api_key: str | None = None,
                 verbose: bool = False):
        self.batcher, self.limits, self.settings, self.verbose = batcher, limits, settings, verbose
        self._key = api_key.encode() if api_key else None
        self.started = time.time()
        self.connections: dict[Connection, asyncio.Task] = {}
        self.counts: dict[int, int] = {}   # answers sent, by status
        self.draining = asyncio.Event()
        self._server: asyncio.base_events.Server | None = None
        self.host, self.port = "", 0

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._accept, host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    def _log(self, conn: Connection, line: str) -> None:
        if self.verbose:
            print(f"{conn.peer} {line}", flush=True)

    # --- connections -----------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, self.limits)
        full = len(self.connections) >= self.settings.max_connections
        if not (full or self.draining.is_set()):
            self.connections[conn] = asyncio.current_task()
        try:
            if conn in self.connections:
                await self._serve(conn)
            else:                      # over the cap, or shutting down: a 503, then close
                busy = "shutting down" if self.draining.is_set() else \
                    f"at its limit of {self.settings.max_connections} connections"
                await self._answer_error(conn, RequestError(503, f"the server is {busy}; retry in a moment",
                                                            code="server_busy", type_="server_error"), close=True)
        except ClientGone:             # a client that leaves is normal: no traceback, one line
            self._log(conn, "client went away")
        except asyncio.CancelledError:  # cut by shutdown's last resort, after every time limit
            self._log(conn, "connection cut at shutdown")
        except Exception as err:       # a bug must not take the server down, nor fill the console
            print(f"{conn.peer} connection failed: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        finally:
            try:
                await conn.close()     # after an error answer it lingers a second: no reset
            except asyncio.CancelledError:
                pass
            self.connections.pop(conn, None)

    async def _serve(self, conn: Connection) -> None:
        """Answer the requests of one keep-alive connection, one after another."""
        while True:
            try:
                request = await conn.read_request(self.draining)
            except RequestError as err:   # 408, 411, 413, malformed HTTP: answer, then close
                await self._answer_error(conn, err, close=True)
                return
            if request is None:
                return
            if self.draining.is_set():
                await self._answer_error(conn, RequestError(
                    503, "the server is shutting down; send the request again later",
                    code="server_shutting_down", type_="server_error"), close=True)
                return
            started = time.perf_counter()
            status = await self._respond(conn, request)
            self._log(conn, f'"{request.method} {request.path}" {status} {time.perf_counter() - started:.2f} s')
            if not conn.next_cycle():
                return

    async def _answer_error(self, conn: Connection, err: RequestError, close: bool = False) -> int:
        headers = [("retry-after", str(self.batcher.retry_after()))] if err.status in (429, 503) else []
        if err.status == 401:
            headers.append(("www-authenticate", "Bearer"))
        await conn.send_json(err.status, err.body(), headers, close)
        self.counts[err.status] = self.counts.get(err.status, 0) + 1
        return err.status

    # --- routes ----------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        if self._key is None:
            return True
        scheme, _, token = request.headers.get("authorization", b"").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self._key)

    async def _respond(self, conn: Connection, request: Request) -> int:
        """Answer one request; return the status sent."""
        path = request.path.rstrip("/")
        try:
            if path.startswith("/v1/") and not self._authorized(request):
                raise _unauthorized()
            if request.method == "GET" and path in ("/v1/models", "/health"):
                payload = self._models() if path == "/v1/models" else {"status": "ok"}
                await conn.send_json(200, payload)
                self.counts[200] = self.counts.get(200, 0) + 1
                return 200
            if request.method != "POST" or path not in ROUTES:
                raise RequestError(404, f"no route {request.method} {path}; use POST /v1/chat/completions, "
                                        f"POST /v1/completions or GET /v1/models", code="not_found")
            job = parse_request(ROUTES[path], parse_body(request.body), self.batcher.engine)
            job.timeout_s = self.settings.request_timeout_s
            job.deadline = time.monotonic() + job.timeout_s
            return await (self._stream(conn, job) if job.stream else self._whole(conn, job))
        except RequestError as err:
            return await self._answer_error(conn, err)

    def _models(self) -> dict:
        engine, created = self.batcher.engine, int(self.started)
        data = [{"id": name, "object": "model", "created": created, "owned_by": "finetune-course",
                 "root": name, "parent": None if name == engine.base_name else engine.base_name}
                for name in engine.names]    # names only: the folders are this machine's business
        return {"object": "list", "data": data}

    async def _next(self, conn: Connection, job: Job, waits: set) -> asyncio.Future:
        """Wait for the first of `waits` or the client hanging up (ClientGone, the job cancelled)."""
        gone = asyncio.ensure_future(conn.closed_by_client())
        left = max(0.0, job.deadline + 5 - time.monotonic())   # the worker answers by the deadline
        done, pending = await asyncio.wait({*waits, gone}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:       # nothing is left waiting behind (a result future: job.cancelled says it)
            task.cancel()
        if gone in done:
            job.cancelled.set()
            raise ClientGone
        if not done:
            job.cancelled.set()
            raise RequestError(504, "no answer from the model worker in time", code="timeout", type_="server_error")
        return done.pop()

    async def _whole(self, conn: Connection, job: Job) -> int:
        result = asyncio.wrap_future(self.batcher.submit(job))
        try:
            await self._next(conn, job, {result})
        finally:
            job.cancelled.set()        # nothing more is wanted of the worker (a no-op once answered)
        out = result.result()          # raises the job's RequestError
        await conn.send_json(200, response_body(job, out))
        self.counts[200] = self.counts.get(200, 0) + 1
        return 200

    async def _stream(self, conn: Connection, job: Job) -> int:
        """Server-sent events, as the worker produces text. The 200 goes out only once the worker
        has accepted the prompt, so a prompt over the context is still a plain 400."""
        loop, events = asyncio.get_running_loop(), asyncio.Queue()

        def put(item):             # called from the worker thread
            try:
                loop.call_soon_threadsafe(events.put_nowait, item)
            except RuntimeError:   # the loop is closed: nobody is listening any more
                pass

        job.listener = lambda kind, payload: put((kind, payload))
        self.batcher.submit(job).add_done_callback(lambda f: put(("done", f)))
        fmt = StreamFormat(job)
        try:
            kind, payload = (await self._next(conn, job, {asyncio.ensure_future(events.get())})).result()
            if kind == "done":
                payload.result()       # failed before it started: raises its RequestError
            await conn.start_stream()
            await conn.send_chunk(fmt.opening())
            while True:
                try:
                    kind, payload = (await self._next(conn, job, {asyncio.ensure_future(events.get())})).result()
                except RequestError as err:
                    await conn.send_chunk(fmt.error(err))
                    break
                if kind == "text":
                    await conn.send_chunk(fmt.text(payload))
                elif kind == "done":
                    err = payload.exception()
                    await conn.send_chunk(fmt.error(err) if err else fmt.closing(payload.result()))
                    break
            await conn.end_stream()
        finally:
            job.cancelled.set()
        self.counts[200] = self.counts.get(200, 0) + 1
        return 200

    # --- shutdown --------------------------------------------------------------------------
    async def shutdown(self, grace_s: float | None = None) -> dict:
        """Stop accepting; let open requests finish for `grace_s`, then answer the rest with 503;
        close. Returns the answers sent, by status, and how many connections had to be cut."""
        grace = self.settings.grace_s if grace_s is None else grace_s
        self.draining.set()            # idle keep-alive connections close; new requests get 503
        if self._server is not None:
            self._server.close()
        self.batcher.close()
        if not await self._wait_connections(grace):
            self.batcher.abort(RequestError(503, f"the server is shutting down and this answer did not "
                                                 f"finish within its {grace:g} s grace period",
                                            code="server_shutting_down", type_="server_error"))
            lim = self.limits           # a request still arriving gets its answer within these
            await self._wait_connections(lim.header_timeout_s + lim.body_timeout_s + lim.write_timeout_s + 5)
        tasks = list(self.connections.values())
        for task in tasks:             # the last resort, after every time limit
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        return {"answers": dict(sorted(self.counts.items())), "cut": len(tasks)}

    async def _wait_connections(self, seconds: float) -> bool:
        end = time.monotonic() + seconds
        while self.connections and time.monotonic() < end:
            await asyncio.sleep(0.05)
        return not self.connections


# --- running it ---------------------------------------------------------------------------
class ServerHandle:
    """Lesson 07. A server running on its own event loop thread: `.url` (…/v1, for
    `OpenAI(base_url=...)`), `.stop()`; a context manager."""

    def __init__(self, server: CourseServer, host: str, port: int):
        self.server, self.batcher = server, server.batcher
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="http-server", daemon=True)
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(server.start(host, port), self.loop).result(60)
        except OSError as err:
            self._close_loop()
            raise OSError(f"cannot listen on {host}:{port}: {err.strerror}. Pick another --port "
                          f"(0 lets the system choose).") from err
        self.host, self.port = server.host, server.port
        self.url = f"http://{self.host}:{self.port}/v1"
        self.summary: dict | None = None

    def _close_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def stop(self, grace_s: float = 5.0) -> dict | None:
        """Stop as on SIGTERM, with `grace_s` seconds for open requests; safe to call twice."""
        if self._thread.is_alive():
            lim = self.server.limits
            wait = grace_s + lim.header_timeout_s + lim.body_timeout_s + lim.write_timeout_s + 30
            self.summary = asyncio.run_coroutine_threadsafe(self.server.shutdown(grace_s), self.loop).result(wait)
            self._close_loop()
        self.batcher.stop()
        return self.summary

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _make_server(engine: MultiAdapterModel, host: str, window_ms: float, max_batch: int,
                 max_queue: int, api_key: str | None, verbose: bool, limits: Limits,
                 settings: ServerSettings) -> CourseServer:
    if host not in LOOPBACK and not api_key:
        print(f"warning: binding {host} without an API key: anyone who can reach the port can use "
              f"it (give --api-key or COURSE_API_KEY)", file=sys.stderr)
    if not isinstance(max_batch, int) or max_batch < 1:
        raise ValueError(f"max_batch={max_batch!r}: give a whole number >= 1 (1 turns batching off)")
    if not 0 <= window_ms <= 1000:
        raise ValueError(f"window_ms={window_ms!r}: give 0-1000 milliseconds (10 is a good start)")
    if not isinstance(settings.max_connections, int) or settings.max_connections < 1:
        raise ValueError(f"max_connections={settings.max_connections!r}: give a whole number >= 1")
    batcher = MicroBatcher(engine, window_ms, max_batch, max_queue=max_queue)
    return CourseServer(batcher, limits, settings, api_key, verbose)


def start_server(engine: MultiAdapterModel, host: str = "127.0.0.1", port: int = 0,
                 window_ms: float = 10.0, max_batch: int = 16, verbose: bool = False,
                 api_key: str | None = None, max_queue: int = 64, limits: Limits = Limits(),
                 settings: ServerSettings = ServerSettings()) -> ServerHandle:
    """Lesson 07. Serve `engine` in background threads; port 0 picks a free port. Returns a handle."""
    server = _make_server(engine, host, window_ms, max_batch, max_queue, api_key, verbose, limits, settings)
    server.batcher.start()
    try:
        return ServerHandle(server, host, port)
    except Exception:
        server.batcher.stop()
        raise


async def _serve_until_signal(server: CourseServer, host: str, port: int) -> dict:
    import signal

    await server.start(host, port)
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    names = server.batcher.engine.names
    key = " (API key required)" if server._key else ""
    print(f"Serving {names} at http://{server.host}:{server.port}/v1{key} (Ctrl-C stops)", flush=True)
    await stop.wait()
    busy = len(server.connections)
    print(f"Shutting down: {busy} open connections, {server.batcher.running} requests generating, "
          f"{server.batcher.waiting} queued; {server.settings.grace_s:g} s grace", flush=True)
    return await server.shutdown()


def serve_forever(engine: MultiAdapterModel, host: str = "127.0.0.1", port: int = 8000,
                  window_ms: float = 10.0, max_batch: int = 16, api_key: str | None = None,
                  max_queue: int = 64, limits: Limits = Limits(),
                  settings: ServerSettings = ServerSettings()) -> dict:
    """Lesson 07. Run the server in the foreground until Ctrl-C or SIGTERM, then shut down
    gracefully (see `CourseServer.shutdown`); returns what the shutdown answered."""
    server = _make_server(engine, host, window_ms, max_batch, max_queue, api_key, True, limits, settings)
    server.batcher.start()
    try:
        summary = asyncio.run(_serve_until_signal(server, host, port))
    finally:
        server.batcher.stop()
    print(f"Server stopped. Answers by status: {summary['answers']}; connections cut: {summary['cut']}",
          flush=True)
    return summary
