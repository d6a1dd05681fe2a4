"""Lesson 07: a bounded load test of the server on loopback, every answer checked.

`run_load` starts `clients` threads that, for `duration_s` seconds, send chat requests for
mixed adapters, streamed or not, with a share of malformed ones, through the official `openai`
client (and raw bytes for what it cannot send: broken JSON). Each good request has a known
answer (the adapter's offline greedy output), so the report counts wrong answers, not only
errors:

    requests, requests_per_s     answered good requests, and their rate
    latency_p50_s / _p95_s       whole-request time (streamed ones: until [DONE])
    ttft_p50_s / _p95_s          time to the first piece of text of the streamed ones
    wrong                        answers that differ from the offline greedy output
    status                       answers by HTTP status (malformed requests must get 4xx)
    server_errors                5xx answers; transport_errors: connections that failed
    rss_before_mb / rss_after_mb the server's resident memory before and after

Only loopback addresses are accepted, and every loop is bounded in time and count.
`scripts/load_test.py` runs it against `python -m course_utils.serve` in a subprocess.

What this leaves out: open-loop arrivals (each client here waits for its answer before its
next request, as a chat user does) and clients on other machines.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
import openai
import psutil

from course_utils.serve.client import openai_client, stream_chat

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class LoadPlan:
    """Lesson 07. How hard and how long: clients, seconds, and the shares of each kind of request."""

    clients: int = 32
    duration_s: float = 60.0
    malformed_share: float = 0.05
    stream_share: float = 0.5
    max_tokens: int = 12
    seed: int = 0
    max_requests_per_client: int = 10_000


# a malformed request: (how it is sent, what) -> it must get a 4xx
MALFORMED = [("raw", b"{not json"), ("raw", b"[" * 5000 + b"]" * 5000), ("raw", b'{"model": "tiny"}'),
             ("kwargs", {"model": "no-such-adapter"}), ("kwargs", {"max_tokens": 0}),
             ("kwargs", {"messages": [{"role": "wizard", "content": "hi"}]}), ("kwargs", {"temperature": 9})]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rss_mb(pid: int | None) -> float | None:
    return psutil.Process(pid).memory_info().rss / 1e6 if pid else None


class _Client:
    """One simulated user: its own connections, its own random choices, its records."""

    def __init__(self, url: str, cases: list, plan: LoadPlan, index: int, api_key: str | None):
        self.url, self.cases, self.plan = url, cases, plan
        self.rng = random.Random(plan.seed * 1000 + index)
        self.openai = openai_client(url, timeout=120, api_key=api_key)
        self.raw = httpx.Client(base_url=url, timeout=120,
                                headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        self.records: list[dict] = []

    def run(self, end: float) -> None:
        for _ in range(self.plan.max_requests_per_client):
            if time.monotonic() >= end:
                break
            t = time.perf_counter()
            try:
                record = self._malformed() if self.rng.random() < self.plan.malformed_share else self._good()
            except openai.APIStatusError as err:
                record = {"kind": "failed", "status": err.status_code}
            except (openai.APIConnectionError, httpx.HTTPError) as err:
                record = {"kind": "failed", "status": None, "transport": type(err).__name__}
            except openai.APIError as err:     # an error event inside a stream: the server failed it
                record = {"kind": "failed", "status": 500, "event": (err.body or {}).get("code")}
            record["latency_s"] = time.perf_counter() - t
            self.records.append(record)
        self.raw.close()

    def _good(self) -> dict:
        model, messages, want = self.rng.choice(self.cases)
        if self.rng.random() < self.plan.stream_share:
            got = stream_chat(self.openai, model, messages, self.plan.max_tokens)
            return {"kind": "stream", "status": 200, "ok": got["text"] == want, "ttft_s": got["ttft_s"]}
        reply = self.openai.chat.completions.create(model=model, messages=messages,
                                                    max_tokens=self.plan.max_tokens, temperature=0)
        return {"kind": "whole", "status": 200, "ok": reply.choices[0].message.content == want}

    def _malformed(self) -> dict:
        how, what = self.rng.choice(MALFORMED)
        if how == "raw":
            r = self.raw.post("/chat/completions", content=what, headers={"Content-Type": "application/json"})
            return {"kind": "malformed", "status": r.status_code, "ok": "error" in r.json()}
        model, messages, _ = self.rng.choice(self.cases)
        kwargs = {"model": model, "messages": messages, "max_tokens": self.plan.max_tokens, **what}
        try:
            self.openai.chat.completions.create(**kwargs)
        except openai.APIStatusError as err:
            return {"kind": "malformed", "status": err.status_code, "ok": bool(err.body)}
        return {"kind": "malformed", "status": 200, "ok": False}


def run_load(url: str, cases: list[tuple[str, list[dict], str]], plan: LoadPlan = LoadPlan(),
             api_key: str | None = None, server_pid: int | None = None) -> dict:
    """Lesson 07. Load the server at `url` (loopback only) with `plan`; `cases` are (model,
    messages, expected greedy answer). Returns the report described in the module docstring."""
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"run_load targets loopback only (127.0.0.1); got {url!r}")
    if not cases:
        raise ValueError("run_load needs at least one (model, messages, expected answer) case")
    warm = openai_client(url, timeout=300, api_key=api_key)
    threads = [threading.Thread(target=lambda c=c: warm.chat.completions.create(
        model=c[0], messages=c[1], max_tokens=plan.max_tokens)) for c in cases[:plan.clients]]
    for th in threads:                     # warm-up: the server's buffers at their working size
        th.start()
    for th in threads:
        th.join(300)
    rss_before = _rss_mb(server_pid)
    clients = [_Client(url, cases, plan, i, api_key) for i in range(plan.clients)]
    t0 = time.monotonic()
    end = t0 + plan.duration_s
    threads = [threading.Thread(target=c.run, args=(end,), daemon=True) for c in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join(plan.duration_s + 300)     # a request started just before the end may still run
    wall = time.monotonic() - t0
    return _report([r for c in clients for r in c.records], wall, plan, rss_before, _rss_mb(server_pid))


def _report(records: list[dict], wall: float, plan: LoadPlan, rss_before, rss_after) -> dict:
    good = [r for r in records if r["kind"] in ("whole", "stream")]
    malformed = [r for r in records if r["kind"] == "malformed"]
    status: dict[str, int] = {}
    for r in records:
        key = str(r["status"])
        status[key] = status.get(key, 0) + 1
    return dict(
        clients=plan.clients, duration_s=round(wall, 1), requests=len(good),
        requests_per_s=len(good) / wall, streamed=sum(r["kind"] == "stream" for r in good),
        malformed=len(malformed), malformed_refused_4xx=sum(400 <= (r["status"] or 0) < 500 and r["ok"]
                                                           for r in malformed),
        latency_p50_s=_percentile([r["latency_s"] for r in good], 0.5),
        latency_p95_s=_percentile([r["latency_s"] for r in good], 0.95),
        ttft_p50_s=_percentile([r["ttft_s"] for r in good if "ttft_s" in r], 0.5),
        ttft_p95_s=_percentile([r["ttft_s"] for r in good if "ttft_s" in r], 0.95),
        wrong=sum(not r["ok"] for r in good), status=status,
        server_errors=sum(1 for r in records if (r["status"] or 0) >= 500),
        transport_errors=sum(1 for r in records if r.get("transport")),
        failed=sum(1 for r in records if r["kind"] == "failed"),
        rss_before_mb=rss_before, rss_after_mb=rss_after)


def format_report(report: dict) -> str:
    """Lesson 07. The load test's figures, one per line."""
    def s(x):
        return "-" if x is None else f"{x:.2f}"
    lines = [f"{report['clients']} clients for {report['duration_s']} s: {report['requests']} good requests "
             f"({report['streamed']} streamed), {report['requests_per_s']:.2f} requests/s",
             f"latency p50 {s(report['latency_p50_s'])} s, p95 {s(report['latency_p95_s'])} s; time to first "
             f"token p50 {s(report['ttft_p50_s'])} s, p95 {s(report['ttft_p95_s'])} s",
             f"wrong answers {report['wrong']}; 5xx {report['server_errors']}; transport errors "
             f"{report['transport_errors']}; good requests that failed {report['failed']}",
             f"malformed {report['malformed']}, refused with a 4xx and OpenAI's body {report['malformed_refused_4xx']}",
             f"answers by status {json.dumps(report['status'], sort_keys=True)}"]
    if report["rss_before_mb"] is not None:
        lines.append(f"server resident memory {report['rss_before_mb']:.0f} MB before, "
                     f"{report['rss_after_mb']:.0f} MB after")
    return "\n".join(lines)
