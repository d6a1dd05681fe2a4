"""Lesson 07: the server seen from a client: the official `openai` package, and what it measures.

    openai_client       `OpenAI(base_url=..., api_key=...)` for a server at a URL (vLLM's too)
    measure_requests    requests/s one after another, then `concurrency` at a time
    measure_streaming   time to first token and total time of streamed requests, alone or with
                        other requests in flight

Time to first token (TTFT) is what a chat user feels: with `stream=True` the first words show
while the rest is generated. Total latency is what a program waiting for the whole answer feels.

What this leaves out: retries (the clients here make none, so every error is seen) and async
clients (`openai.AsyncOpenAI` works the same way).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from openai import OpenAI

NO_KEY = "not-needed-on-loopback"   # the openai client insists on a key; a server without one ignores it


def openai_client(url: str, timeout: float = 60.0, api_key: str | None = None):
    """Lesson 07. The official `openai` client for a server at `url`: the same code works for vLLM."""
    return OpenAI(base_url=url, api_key=api_key or NO_KEY, max_retries=0, timeout=timeout)


def measure_requests(url: str, requests: list[tuple[str, list[dict]]], concurrency: int = 8,
                     max_tokens: int = 16, api_key: str | None = None) -> dict:
    """Lesson 07. Send (model, messages) chat requests one after another, then `concurrency` at a
    time; requests/s of each and the answers (in request order) of both runs."""
    c = openai_client(url, api_key=api_key)

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


def stream_chat(client, model: str, messages: list[dict], max_tokens: int, **kw) -> dict:
    """Lesson 07. One streamed chat request: its text, finish_reason, usage, time to first token
    and total time (seconds)."""
    t = time.perf_counter()
    first, pieces, finish, usage = None, [], None, None
    stream = client.chat.completions.create(model=model, messages=messages, max_tokens=max_tokens,
                                            temperature=0, stream=True,
                                            stream_options={"include_usage": True}, **kw)
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            if choice.delta.content:
                first = first if first is not None else time.perf_counter() - t
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    return dict(text="".join(pieces), pieces=len(pieces), finish_reason=finish, usage=usage,
                ttft_s=first if first is not None else time.perf_counter() - t,
                total_s=time.perf_counter() - t)


def measure_streaming(url: str, requests: list[tuple[str, list[dict]]], concurrency: int = 1,
                      max_tokens: int = 32, api_key: str | None = None) -> list[dict]:
    """Lesson 07. Stream each (model, messages) request, `concurrency` at a time (1: alone, no
    other request in flight); one `stream_chat` result per request, in request order."""
    client = openai_client(url, api_key=api_key, timeout=300)
    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(lambda r: stream_chat(client, r[0], r[1], max_tokens), requests))
