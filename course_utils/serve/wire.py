"""Lesson 07: HTTP/1.1 on one connection, with a time limit on every read and write.

`Connection` wraps an asyncio stream pair and h11, the HTTP/1.1 parser uvicorn uses: h11 turns
bytes into events (a request head, body data, its end) and responses into bytes, and refuses
malformed input itself (a Content-Length of "¹", a header line of 20 KB, a broken request line),
so this module only decides *when* to give up on a client:

    idle_timeout_s     an idle keep-alive connection is closed, silently, after this
    header_timeout_s   once a request's first byte has arrived, its head must be complete in
                       this time (a client dripping one byte every 9 s gets 408 after 10 s)
    body_timeout_s     and then its body (a Content-Length larger than what is sent: 408)
    write_timeout_s    a client that stops reading its answer is dropped after this

A request whose body is over `max_body_bytes` gets 413 before the body is read. Every error
before or during the read is answered with OpenAI's error JSON and the connection is closed.

What this leaves out: HTTP/2, TLS (put a proxy in front), and request pipelining beyond what h11
buffers (a pipelined request waits until the answer before it has been sent).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from http import HTTPStatus

import h11

from course_utils.serve.requests import RequestError


@dataclass(frozen=True)
class Limits:
    """Lesson 07. How long and how much the server waits for and accepts from one client."""

    idle_timeout_s: float = 30.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 20.0
    write_timeout_s: float = 30.0
    max_body_bytes: int = 1_000_000
    max_head_bytes: int = 16_384


class ClientGone(Exception):
    """Lesson 07. The client closed the connection or stopped reading."""


@dataclass
class Request:
    """Lesson 07. One HTTP request, read whole: method, path, headers (lower-case names), body."""

    method: str
    path: str
    headers: dict[str, bytes]
    body: bytes


class Connection:
    """Lesson 07. One client connection: read requests with deadlines, send answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limits: Limits):
        self.reader, self.writer, self.limits = reader, writer, limits
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head_bytes)
        peer = writer.get_extra_info("peername") or ("?", 0)
        self.peer = f"{peer[0]}:{peer[1]}"
        self.idle = True               # waiting for a request that has not begun: safe to close
        self.linger = False            # closing after an error: read what the client still sends

    # --- reading ---------------------------------------------------------------------------
    async def _more(self, deadline: float, stop: asyncio.Event | None = None, size: int = 4096) -> bool:
        """Feed h11 the next bytes (at most `size`: h11 measures a head only while it is
        incomplete, so a head is read in small parts); False when the deadline passed or `stop`
        was set first."""
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        read = asyncio.ensure_future(self.reader.read(size))
        waits = {read} if stop is None else {read, asyncio.ensure_future(stop.wait())}
        done, pending = await asyncio.wait(waits, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if read not in done:
            return False
        try:
            data = read.result()
        except ConnectionError:
            raise ClientGone from None
        self.h11.receive_data(data)    # b"" tells h11 the client closed its side
        return True

    async def _event(self, deadline: float, size: int = 4096):
        """The next h11 event, or None when the deadline passed first."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as err:
                raise RequestError(err.error_status_hint, f"malformed HTTP request: {err}",
                                   code="invalid_http_request") from None
            if event is not h11.NEED_DATA:
                return event
            if not await self._more(deadline, size=size):
                return None

    async def read_request(self, stop: asyncio.Event) -> Request | None:
        """The next request, head and body; None when the client closed or left the connection
        idle (or `stop` was set while it was idle). RequestError (408, 413, 4xx) for a bad one."""
        lim = self.limits
        self.idle = not self.h11.trailing_data[0]
        event = None
        if self.idle:                  # nothing of the next request yet: wait, or close quietly
            if stop.is_set() or not await self._more(time.monotonic() + lim.idle_timeout_s, stop):
                return None
        self.idle = False
        event = await self._event(time.monotonic() + lim.header_timeout_s)
        if event is None:
            raise RequestError(408, f"the request head did not arrive within {lim.header_timeout_s:g} s",
                               code="request_timeout")
        if isinstance(event, h11.ConnectionClosed):
            return None
        head_bytes = len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers)
        if head_bytes > lim.max_head_bytes:  # h11 measures only heads still incomplete after a read
            raise RequestError(431, f"the request head is {head_bytes} bytes; the limit is "
                                    f"{lim.max_head_bytes}", code="invalid_http_request")
        method, path = event.method.decode("ascii", "replace"), event.target.decode("ascii", "replace")
        headers = {k.decode("latin-1").lower(): v for k, v in event.headers}
        self._check_length(method, headers)
        if self.h11.they_are_waiting_for_100_continue:
            await self._write(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))
        return Request(method, path.split("?")[0], headers, await self._body())

    def _check_length(self, method: str, headers: dict[str, bytes]) -> None:
        length = headers.get("content-length")
        if method == "POST" and length is None and b"chunked" not in headers.get("transfer-encoding", b""):
            raise RequestError(411, "a Content-Length header (bytes) is required", code="missing_content_length")
        # h11 has checked that it is ASCII digits; 20 of them is already too large a body
        if length is not None and (len(length) > 18 or int(length) > self.limits.max_body_bytes):
            raise RequestError(413, f"the body is {length[:20].decode()} bytes; the limit is "
                                    f"{self.limits.max_body_bytes}", code="request_too_large")

    async def _body(self) -> bytes:
        lim, parts, size = self.limits, [], 0
        deadline = time.monotonic() + lim.body_timeout_s
        while True:
            event = await self._event(deadline, size=65536)
            if event is None:
                raise RequestError(408, f"the body did not arrive within {lim.body_timeout_s:g} s "
                                        f"({size} bytes came)", code="request_timeout")
            if isinstance(event, h11.ConnectionClosed):
                raise ClientGone
            if isinstance(event, h11.EndOfMessage):
                return b"".join(parts)
            size += len(event.data)
            if size > lim.max_body_bytes:
                raise RequestError(413, f"the body is over the limit of {lim.max_body_bytes} bytes",
                                   code="request_too_large")
            parts.append(bytes(event.data))

    async def closed_by_client(self) -> None:
        """Return when the client closes its side (read while an answer is being prepared: any
        pipelined bytes are kept for h11)."""
        while True:
            try:
                data = await self.reader.read(65536)
            except ConnectionError:
                return
            if not data:
                return
            self.h11.receive_data(data)

    # --- writing ---------------------------------------------------------------------------
    async def _write(self, data: bytes) -> None:
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), self.limits.write_timeout_s)
        except (ConnectionError, asyncio.TimeoutError, RuntimeError):
            raise ClientGone from None

    @staticmethod
    def _head(status: int, headers: list[tuple[str, str]]) -> h11.Response:
        reason = HTTPStatus(status).phrase.encode() if status in HTTPStatus._value2member_map_ else b""
        return h11.Response(status_code=status, headers=headers, reason=reason)

    async def send_json(self, status: int, payload: dict, headers: list[tuple[str, str]] = (),
                        close: bool = False) -> None:
        body = json.dumps(payload).encode()
        head = [("content-type", "application/json"), ("content-length", str(len(body))), *headers]
        if close:
            head.append(("connection", "close"))
            self.linger = True
        try:
            data = self.h11.send(self._head(status, head)) + self.h11.send(h11.Data(data=body))
            data += self.h11.send(h11.EndOfMessage())
        except h11.LocalProtocolError:  # h11 has already failed this connection: nothing to say
            raise ClientGone from None
        await self._write(data)

    async def start_stream(self) -> None:
        """A 200 whose body is server-sent events, sent as they come (chunked encoding)."""
        await self._write(self.h11.send(self._head(200, [
            ("content-type", "text/event-stream"), ("cache-control", "no-cache")])))

    async def send_chunk(self, data: bytes) -> None:
        if data:
            await self._write(self.h11.send(h11.Data(data=data)))

    async def end_stream(self) -> None:
        await self._write(self.h11.send(h11.EndOfMessage()))

    def next_cycle(self) -> bool:
        """Ready for the next request on this connection? (False: close it.)"""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False

    async def close(self) -> None:
        """Close the connection. After an error answer, first half-close and read (for up to a
        second) what the client is still sending: closing with unread bytes sends a TCP reset,
        and the client could lose the answer it was sent."""
        try:
            if self.linger and self.writer.can_write_eof():
                self.writer.write_eof()
                end = time.monotonic() + 1.0
                while time.monotonic() < end and await asyncio.wait_for(self.reader.read(65536),
                                                                        end - time.monotonic()):
                    pass
        except (ConnectionError, asyncio.TimeoutError, RuntimeError, OSError):
            pass
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (ConnectionError, asyncio.TimeoutError, RuntimeError):
            pass
